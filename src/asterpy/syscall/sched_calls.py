"""Scheduling syscalls: nice values, policies and priorities, I/O priorities, CPU affinity, getcpu,
robust futex lists. One CPU and one round-robin policy: priorities and policies are stored and reported but
do not change the order tasks run in. Table entries: `syscall_<name>`."""

from typing import Final

from asterpy.lang import SysError, i32, i64, u32, u64
from asterpy.lang.errno import EACCES, EINVAL, EPERM, ESRCH
from asterpy.task.process import Process
from asterpy.task.sched import current_task, find_process, find_task, the_tables
from asterpy.task.task import Task

PRIO_PROCESS: Final = u64(0)
PRIO_PGRP: Final = u64(1)
PRIO_USER: Final = u64(2)
SCHED_OTHER: Final = u64(0)
SCHED_FIFO: Final = u64(1)
SCHED_RR: Final = u64(2)
SCHED_BATCH: Final = u64(3)
SCHED_IDLE: Final = u64(5)
SCHED_DEADLINE: Final = u64(6)     # known to the priority range calls (0..0); not settable here
SCHED_RESET_ON_FORK: Final = u64(0x40000000)
IOPRIO_WHO_PROCESS: Final = u64(1)
IOPRIO_WHO_PGRP: Final = u64(2)
IOPRIO_WHO_USER: Final = u64(3)
IOPRIO_CLASS_NONE: Final = u64(0)
IOPRIO_CLASS_RT: Final = u64(1)
IOPRIO_CLASS_BE: Final = u64(2)
IOPRIO_CLASS_IDLE: Final = u64(3)
IOPRIO_CLASS_SHIFT: Final = u64(13)
IOPRIO_NR_LEVELS: Final = u64(8)
ROBUST_LIST_HEAD_BYTES: Final = u64(24)
CPU_MASK_BYTES: Final = u64(8)           # the kernel's cpumask: 64 CPUs
RR_INTERVAL_NS: Final = u64(10000000)    # one timer tick


def int_arg(x: u64) -> i64:
    """A C int argument (the low 32 bits, sign-extended)."""
    return i64(i32(u32(x & 0xFFFFFFFF)))


def task_of(pid: u64) -> Task:
    """The task pid names (0: the caller); ESRCH if none, EINVAL if negative."""
    n = int_arg(pid)
    if n < 0:
        raise SysError(EINVAL)
    if n == 0:
        return current_task()
    t = find_task(u64(n))
    if t is None:
        raise SysError(ESRCH)
    return t


def who_matches(kind: u64, w: u64, p: Process, me: Process) -> bool:
    """Whether p is named by (kind, w) of getpriority-style calls: kind PRIO_PROCESS, PRIO_PGRP or
    PRIO_USER (ioprio's IOPRIO_WHO_* minus one); w 0 means the caller's own."""
    if kind == PRIO_PROCESS:
        return (w == 0 and p is me) or p.pid == w
    if kind == PRIO_PGRP:
        return (w == 0 and p.pgid == me.pgid) or (w != 0 and p.pgid == w)
    return (w == 0 and p.uid == me.uid) or (w != 0 and p.uid == w)


def prio_targets_nice(which: u64, who: u64, set_to: i64, setting: bool) -> i64:
    """getpriority/setpriority over PRIO_PROCESS, PRIO_PGRP or PRIO_USER: the lowest nice value
    found (getpriority), or set every match; ESRCH if nothing matched."""
    me = current_task().proc
    w = u64(int_arg(who)) & 0xFFFFFFFF
    if which != PRIO_PROCESS and which != PRIO_PGRP and which != PRIO_USER:
        raise SysError(EINVAL)
    best = i64(20)
    found = False
    for p in the_tables().procs:
        if p.zombie:
            continue
        if not who_matches(which, w, p, me):
            continue
        found = True
        if setting:
            if me.uid != 0 and p.ruid != me.uid and p.uid != me.uid:
                raise SysError(EPERM)     # another user's process
            if set_to < p.nice and me.uid != 0:
                raise SysError(EACCES)    # only privilege lowers a nice value (Linux: EACCES)
            p.nice = set_to
        elif p.nice < best:
            best = p.nice
    if not found:
        raise SysError(ESRCH)
    return best


def ioprio_targets(which: u64, who: u64, value: u64, setting: bool) -> u64:
    """ioprio_get/ioprio_set over IOPRIO_WHO_PROCESS, _PGRP or _USER: the best (lowest) value found,
    or set every match (EPERM for another user's process unless privileged); ESRCH if none matched,
    EINVAL for an unknown which."""
    me = current_task().proc
    w = u64(int_arg(who)) & 0xFFFFFFFF
    if which != IOPRIO_WHO_PROCESS and which != IOPRIO_WHO_PGRP and which != IOPRIO_WHO_USER:
        raise SysError(EINVAL)
    best = u64(0xFFFFFFFF)
    found = False
    for p in the_tables().procs:
        if p.zombie:
            continue
        if not who_matches(which - IOPRIO_WHO_PROCESS, w, p, me):
            continue
        found = True
        if setting:
            if me.uid != 0 and p.uid != me.uid and p.ruid != me.uid:
                raise SysError(EPERM)
            p.ioprio = value
        elif p.ioprio < best:
            best = p.ioprio
    if not found:
        raise SysError(ESRCH)
    return best


def sys_ioprio_set(which: u64, who: u64, ioprio: u64) -> u64:
    """ioprio_set(2): the class and level are checked as Linux does (RT needs privilege, BE levels
    0..7, NONE level 0) and stored; no I/O scheduler reads them."""
    v = ioprio & 0xFFFF
    cls = v >> IOPRIO_CLASS_SHIFT
    level = v & ((u64(1) << IOPRIO_CLASS_SHIFT) - 1)
    if cls == IOPRIO_CLASS_RT:
        if current_task().proc.uid != 0:
            raise SysError(EPERM)
        if level >= IOPRIO_NR_LEVELS:
            raise SysError(EINVAL)
    elif cls == IOPRIO_CLASS_BE:
        if level >= IOPRIO_NR_LEVELS:
            raise SysError(EINVAL)
    elif cls == IOPRIO_CLASS_NONE:
        if level != 0:
            raise SysError(EINVAL)
    elif cls != IOPRIO_CLASS_IDLE:
        raise SysError(EINVAL)
    ioprio_targets(which, who, v, True)
    return u64(0)


def syscall_ioprio_get(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of ioprio_get(2)."""
    return ioprio_targets(a0 & 0xFFFFFFFF, a1, u64(0), False)


def syscall_ioprio_set(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of ioprio_set(2)."""
    return sys_ioprio_set(a0 & 0xFFFFFFFF, a1, a2)


def sys_getpriority(which: u64, who: u64) -> u64:
    """getpriority(2): the raw syscall answers 20 - nice (so it is never negative)."""
    return u64(20 - prio_targets_nice(which, who, i64(0), False))


def sys_setpriority(which: u64, who: u64, prio: u64) -> u64:
    """setpriority(2): nice clamped to -20..19."""
    n = int_arg(prio)
    if n < -20:
        n = i64(-20)
    if n > 19:
        n = i64(19)
    prio_targets_nice(which, who, n, True)
    return u64(0)


def sys_sched_getaffinity(pid: u64, size: u64, mask: u64) -> u64:
    """sched_getaffinity(2): CPU 0 only; EINVAL if size is too small or not a multiple of 8;
    returns the bytes written."""
    t = task_of(pid)
    if size < CPU_MASK_BYTES or (size & 7) != 0:
        raise SysError(EINVAL)
    p = t.proc
    p.check_user(mask, CPU_MASK_BYTES, True)
    p.put_u64(mask, u64(1))
    return CPU_MASK_BYTES


def sys_sched_setaffinity(pid: u64, size: u64, mask: u64) -> u64:
    """sched_setaffinity(2): EINVAL unless the mask includes CPU 0 (the only one)."""
    task_of(pid)  # ESRCH for a pid that names no task
    me = current_task().proc
    if size == 0:
        raise SysError(EINVAL)
    first = u64(0)
    if size >= 8:
        first = me.get_u64(mask)
    else:
        first = u64(me.get_u8(mask))
    if (first & 1) == 0:
        raise SysError(EINVAL)
    return u64(0)


def sys_getcpu(cpu: u64, node: u64) -> u64:
    """getcpu(2): CPU 0, node 0."""
    p = current_task().proc
    if cpu != 0:
        p.put_u32(cpu, u32(0))
    if node != 0:
        p.put_u32(node, u32(0))
    return u64(0)


def valid_policy(policy: u64) -> bool:
    """Whether policy (reset-on-fork bit removed) is one Linux knows."""
    pol = policy & ~SCHED_RESET_ON_FORK
    return pol == SCHED_OTHER or pol == SCHED_FIFO or pol == SCHED_RR or pol == SCHED_BATCH or pol == SCHED_IDLE


def sys_sched_setscheduler(pid: u64, policy: u64, param: u64, set_policy: bool) -> u64:
    """sched_setscheduler/sched_setparam: the priority must be 1..99 for FIFO/RR, 0 otherwise."""
    t = task_of(pid)
    me = current_task().proc
    if param == 0:
        raise SysError(EINVAL)
    prio = u64(me.get_u32(param))
    pol = t.policy
    if set_policy:
        if not valid_policy(policy):
            raise SysError(EINVAL)
        pol = policy & ~SCHED_RESET_ON_FORK
    realtime = pol == SCHED_FIFO or pol == SCHED_RR
    if (realtime and (prio < 1 or prio > 99)) or (not realtime and prio != 0):
        raise SysError(EINVAL)
    if realtime and me.uid != 0:
        raise SysError(EPERM)
    t.policy = pol
    t.rt_priority = prio
    return u64(0)


def syscall_getpriority(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getpriority(2)."""
    return sys_getpriority(a0, a1)


def syscall_setpriority(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setpriority(2)."""
    return sys_setpriority(a0, a1, a2)


def syscall_sched_getaffinity(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sched_getaffinity(2)."""
    return sys_sched_getaffinity(a0, a1, a2)


def syscall_sched_setaffinity(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sched_setaffinity(2)."""
    return sys_sched_setaffinity(a0, a1, a2)


def syscall_getcpu(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getcpu(2)."""
    return sys_getcpu(a0, a1)


def zombie_named(pid: u64) -> Process | None:
    """The not yet reaped process pid names when no live task has that id (None otherwise): Linux
    still answers scheduling queries about it, with what its main thread had."""
    n = int_arg(pid)
    if n <= 0 or find_task(u64(n)) is not None:
        return None
    p = find_process(u64(n))
    if p is None or not p.zombie:
        return None
    return p


def syscall_sched_getscheduler(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sched_getscheduler(2)."""
    z = zombie_named(a0)
    if z is not None:
        return z.leader_policy
    return task_of(a0).policy


def syscall_sched_setscheduler(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sched_setscheduler(2)."""
    return sys_sched_setscheduler(a0, a1, a2, True)


def syscall_sched_setparam(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sched_setparam(2)."""
    return sys_sched_setscheduler(a0, u64(0), a1, False)


def syscall_sched_getparam(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sched_getparam(2)."""
    z = zombie_named(a0)
    prio = z.leader_rt_priority if z is not None else task_of(a0).rt_priority
    current_task().proc.put_u32(a1, u32(prio))
    return u64(0)


def syscall_sched_get_priority_max(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sched_get_priority_max(2)."""
    if a0 == SCHED_DEADLINE:
        return u64(0)
    if not valid_policy(a0) or (a0 & SCHED_RESET_ON_FORK) != 0:
        raise SysError(EINVAL)
    if a0 == SCHED_FIFO or a0 == SCHED_RR:
        return u64(99)
    return u64(0)


def syscall_sched_get_priority_min(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sched_get_priority_min(2)."""
    if a0 == SCHED_DEADLINE:
        return u64(0)
    if not valid_policy(a0) or (a0 & SCHED_RESET_ON_FORK) != 0:
        raise SysError(EINVAL)
    if a0 == SCHED_FIFO or a0 == SCHED_RR:
        return u64(1)
    return u64(0)


def syscall_sched_rr_get_interval(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sched_rr_get_interval(2)."""
    task_of(a0)
    p = current_task().proc
    p.check_user(a1, u64(16), True)
    p.put_u64(a1, u64(0))
    p.put_u64(a1 + 8, RR_INTERVAL_NS)
    return u64(0)


def syscall_set_robust_list(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of set_robust_list(2)."""
    if a1 != ROBUST_LIST_HEAD_BYTES:
        raise SysError(EINVAL)
    current_task().robust_list = a0
    return u64(0)


def syscall_get_robust_list(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of get_robust_list(2)."""
    t = task_of(a0)
    p = current_task().proc
    p.put_u64(a1, t.robust_list)
    p.put_u64(a2, ROBUST_LIST_HEAD_BYTES)
    return u64(0)
