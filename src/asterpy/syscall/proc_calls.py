"""Process, thread, signal and timing syscalls: clone/fork/exec/exit/wait, ids, kill, sigaction,
futex, sleeps. Table entries: `syscall_<name>`."""

from typing import Final

from asterpy.lang import SysError, i32, i64, u8, u32, u64
from asterpy.lang.errno import EAGAIN, EINTR, EINVAL, ENOMEM, EOPNOTSUPP, EPERM, ESRCH
import asterpy.kernel.time as ktime
from asterpy.kernel.time import monotonic_ns
from asterpy.task.exec import do_execve
from asterpy.task.exit import exit_current, exit_group_now, pid_arg, sys_wait4, sys_waitid
from asterpy.task.fork import CLONE_VFORK, CLONE_VM, do_clone
from asterpy.task.pidfd import sys_pidfd_getfd, sys_pidfd_open
from asterpy.task.futex import FUTEX_CLOCK_REALTIME, FUTEX_CMP_REQUEUE, FUTEX_REQUEUE, FUTEX_WAIT, sys_futex
from asterpy.task.process import USER_TOP, Process
from asterpy.task.sched import (
    INTERRUPTED, current_task, find_process, find_task, sched_sleep_until, sched_yield,
    the_tables,
)
from asterpy.kernel.siginfo import SI_TKILL, SI_USER, SIGCHLD, SIGKILL, SIGSTOP, sig_bit
from asterpy.task.signal import (
    SS_DISABLE, SS_ONSTACK, UNBLOCKABLE, send_to_process, send_to_task, sigreturn, take_signal,
)
from asterpy.task.task import Task
from asterpy.kernel.wait import sleep_on

from kernel_arch import F_RSP, arch_exit, frame_get, set_fs_base, set_user_gs_base, user_frame_of


SIGSET_SIZE: Final = u64(8)
SIG_BLOCK: Final = u64(0)
SIG_UNBLOCK: Final = u64(1)
SIG_SETMASK: Final = u64(2)
ARCH_SET_GS: Final = u64(0x1001)
ARCH_SET_FS: Final = u64(0x1002)
ARCH_GET_FS: Final = u64(0x1003)
ARCH_GET_GS: Final = u64(0x1004)
NSEC_PER_SEC: Final = u64(1000000000)
CLOCK_REALTIME: Final = u64(0)
CLOCK_MONOTONIC: Final = u64(1)
CLOCK_BOOTTIME: Final = u64(7)
TIMER_ABSTIME: Final = u64(1)
MINSIGSTKSZ: Final = u64(2048)
LINUX_REBOOT_MAGIC1: Final = u64(0xFEE1DEAD)
LINUX_REBOOT_CMD_RESTART: Final = u64(0x01234567)
LINUX_REBOOT_CMD_HALT: Final = u64(0xCDEF0123)
LINUX_REBOOT_CMD_POWER_OFF: Final = u64(0x4321FEDC)
LINUX_REBOOT_CMD_CAD_ON: Final = u64(0x89ABCDEF)
LINUX_REBOOT_CMD_CAD_OFF: Final = u64(0)
CLONE_ARGS_SIZE_VER0: Final = u64(64)


def me() -> Process:
    """The running process."""
    return current_task().proc


def timespec_ns(p: Process, addr: u64) -> u64:
    """A struct timespec from user space in ns (EFAULT; EINVAL for a negative or >= 1e9 field)."""
    sec = p.get_u64(addr)
    nsec = p.get_u64(addr + 8)
    if i64(sec) < 0 or nsec >= NSEC_PER_SEC:
        raise SysError(EINVAL)
    if sec > u64(0xFFFFFFFFFFFFFFFF) // NSEC_PER_SEC - 1:
        return u64(0xFFFFFFFFFFFFFFFF) >> 1
    return sec * NSEC_PER_SEC + nsec


def put_timespec(p: Process, addr: u64, ns: u64) -> None:
    """Store ns as a struct timespec at user addr (EFAULT)."""
    p.check_user(addr, u64(16), True)
    p.put_u64(addr, ns // NSEC_PER_SEC)
    p.put_u64(addr + 8, ns % NSEC_PER_SEC)


def sleep_ns(rel: u64, rem_addr: u64) -> u64:
    """Sleep rel ns; EINTR (with the time left stored at rem_addr if nonzero) on a signal."""
    p = me()
    deadline = monotonic_ns() + rel
    if sched_sleep_until(u64(0), deadline) == INTERRUPTED:
        if rem_addr != 0:
            now = monotonic_ns()
            left = u64(0)
            if deadline > now:
                left = deadline - now
            put_timespec(p, rem_addr, left)
        raise SysError(EINTR)
    return u64(0)


def sys_nanosleep(req: u64, rem: u64) -> u64:
    """nanosleep(2)."""
    return sleep_ns(timespec_ns(me(), req), rem)


def sys_clock_nanosleep(clk: u64, flags: u64, req: u64, rem: u64) -> u64:
    """clock_nanosleep(2): REALTIME, MONOTONIC, BOOTTIME; TIMER_ABSTIME; errors are returned, not -1."""
    if clk == u64(3):
        raise SysError(EOPNOTSUPP)     # CLOCK_THREAD_CPUTIME_ID: Linux refuses it too
    if clk != CLOCK_REALTIME and clk != CLOCK_MONOTONIC and clk != CLOCK_BOOTTIME:
        # CLOCK_PROCESS_CPUTIME_ID works on Linux; without CPU-time accounting it is refused.
        raise SysError(EINVAL)
    if (flags & ~TIMER_ABSTIME) != 0:
        raise SysError(EINVAL)
    want = timespec_ns(me(), req)
    if (flags & TIMER_ABSTIME) != 0:
        now = monotonic_ns()
        if clk == CLOCK_REALTIME:
            now += ktime.realtime_base_ns
        if want <= now:
            return u64(0)
        return sleep_ns(want - now, u64(0))
    return sleep_ns(want, rem)


def read_sigset(p: Process, addr: u64, size: u64) -> u64:
    """A sigset_t argument (EINVAL unless size is 8, EFAULT)."""
    if size != SIGSET_SIZE:
        raise SysError(EINVAL)
    return p.get_u64(addr)


def sys_rt_sigprocmask(how: u64, set_addr: u64, old_addr: u64, size: u64) -> u64:
    """rt_sigprocmask(2): SIGKILL and SIGSTOP are never blocked."""
    if size != SIGSET_SIZE:
        raise SysError(EINVAL)
    t = current_task()
    p = t.proc
    new = t.sigmask
    if set_addr != 0:
        s = p.get_u64(set_addr)
        if how == SIG_BLOCK:
            new = t.sigmask | s
        elif how == SIG_UNBLOCK:
            new = t.sigmask & ~s
        elif how == SIG_SETMASK:
            new = s
        else:
            raise SysError(EINVAL)
    if old_addr != 0:
        p.put_u64(old_addr, t.sigmask)
    t.sigmask = new & ~UNBLOCKABLE
    return u64(0)


def sys_rt_sigaction(sig: u64, act: u64, oact: u64, size: u64) -> u64:
    """rt_sigaction(2): EINVAL for a bad number, size, or a handler for SIGKILL/SIGSTOP."""
    if size != SIGSET_SIZE or sig < 1 or sig > 64:
        raise SysError(EINVAL)
    if act != 0 and (sig == SIGKILL or sig == SIGSTOP):
        raise SysError(EINVAL)
    p = me()
    h = u64(0)
    fl = u64(0)
    rs = u64(0)
    mk = u64(0)
    if act != 0:
        h = p.get_u64(act)
        fl = p.get_u64(act + 8)
        rs = p.get_u64(act + 16)
        mk = p.get_u64(act + 24)
    k = sig * 4
    if oact != 0:
        p.check_user(oact, u64(32), True)
        p.put_u64(oact, p.sigactions[k])
        p.put_u64(oact + 8, p.sigactions[k + 1])
        p.put_u64(oact + 16, p.sigactions[k + 2])
        p.put_u64(oact + 24, p.sigactions[k + 3])
    if act != 0:
        p.sigactions[k] = h
        p.sigactions[k + 1] = fl
        p.sigactions[k + 2] = rs
        p.sigactions[k + 3] = mk & ~UNBLOCKABLE
        # Setting a signal to be ignored discards it where it is pending (POSIX).
        if h == u64(1) or (h == 0 and (sig == SIGCHLD or sig == u64(23) or sig == u64(28))):
            p.sig_pending &= ~sig_bit(sig)
            for t in the_tables().tasks:
                if t.proc is p:
                    t.pending &= ~sig_bit(sig)
    return u64(0)


def sys_rt_sigpending(addr: u64, size: u64) -> u64:
    """rt_sigpending(2): pending signals blocked by the caller."""
    if size > SIGSET_SIZE:
        raise SysError(EINVAL)
    t = current_task()
    t.proc.put_u64(addr, (t.pending | t.proc.sig_pending) & t.sigmask)
    return u64(0)


def sys_rt_sigsuspend(set_addr: u64, size: u64) -> u64:
    """rt_sigsuspend(2): wait with a temporary mask until a signal is delivered; always EINTR."""
    t = current_task()
    mask = read_sigset(t.proc, set_addr, size)
    t.saved_sigmask = t.sigmask
    t.restore_sigmask = True
    t.sigmask = mask & ~UNBLOCKABLE
    while sleep_on(u64(0)):
        pass
    raise SysError(EINTR)


def sys_pause() -> u64:
    """pause(2): sleep until a signal arrives; EINTR."""
    while sleep_on(u64(0)):
        pass
    raise SysError(EINTR)


def sys_rt_sigtimedwait(set_addr: u64, info: u64, timeout: u64, size: u64) -> u64:
    """rt_sigtimedwait(2): take one of the signals in set without running a handler."""
    t = current_task()
    p = t.proc
    want = read_sigset(p, set_addr, size) & ~UNBLOCKABLE
    deadline = u64(0)
    if timeout != 0:
        deadline = monotonic_ns() + timespec_ns(p, timeout)
        if deadline == monotonic_ns():
            deadline += 1
    while True:
        have = (t.pending | p.sig_pending) & want
        if have != 0:
            for sig in range(u64(1), u64(65)):
                if (have & sig_bit(sig)) != 0:
                    if info != 0:
                        p.check_user(info, u64(128), True)
                    take_signal(t, sig)
                    if info != 0:
                        p.zero_user(info, u64(128))
                        p.put_u32(info, u32(sig))
                        p.put_u32(info + 8, u32(signals.taken_code & 0xFFFFFFFF))
                        p.put_u32(info + 16, u32(signals.taken_from))
                    return sig
        if timeout != 0 and monotonic_ns() >= deadline:
            raise SysError(EAGAIN)
        # Unblock the awaited signals while sleeping, so their arrival ends the sleep.
        old = t.sigmask
        t.sigmask = old & ~want
        r = sched_sleep_until(u64(0), deadline)
        t.sigmask = old
        if r == INTERRUPTED and ((t.pending | p.sig_pending) & want) == 0:
            raise SysError(EINTR)


def sys_sigaltstack(ss: u64, old: u64) -> u64:
    """sigaltstack(2): EPERM while on it, EINVAL for bad flags, ENOMEM if smaller than MINSIGSTKSZ."""
    t = current_task()
    p = t.proc
    sp = user_frame_sp(t)
    on = t.altstack_size != 0 and sp > t.altstack_sp and sp <= t.altstack_sp + t.altstack_size
    nsp = u64(0)
    nfl = u64(0)
    nsz = u64(0)
    if ss != 0:
        nsp = p.get_u64(ss)
        nfl = p.get_u64(ss + 8) & 0xFFFFFFFF
        nsz = p.get_u64(ss + 16)
    if old != 0:
        p.check_user(old, u64(24), True)
        p.put_u64(old, t.altstack_sp)
        fl = t.altstack_flags
        if on:
            fl = SS_ONSTACK
        p.put_u64(old + 8, fl)
        p.put_u64(old + 16, t.altstack_size)
    if ss != 0:
        if on:
            raise SysError(EPERM)
        # SS_AUTODISARM (1 << 31) is accepted and ignored.
        kind = nfl & ~u64(0x80000000)
        if kind != 0 and kind != SS_DISABLE and kind != SS_ONSTACK:
            raise SysError(EINVAL)
        if kind == SS_DISABLE:
            t.altstack_sp = u64(0)
            t.altstack_size = u64(0)
            t.altstack_flags = SS_DISABLE
        else:
            if nsz < MINSIGSTKSZ:
                raise SysError(ENOMEM)
            t.altstack_sp = nsp
            t.altstack_size = nsz
            t.altstack_flags = u64(0)
    return u64(0)


def user_frame_sp(t: Task) -> u64:
    """The user stack pointer t had when it entered the kernel."""
    return frame_get(user_frame_of(t.kstack_top), F_RSP)


# SIGCONT, which any process may send within its own session (kill(2)'s permission rule).
SIGCONT_NUM: Final = u64(18)


def may_signal(p: Process, q: Process, sig: u64) -> bool:
    """kill(2)'s permission: privileged (euid 0), the same user (p's real or effective uid is q's
    real or saved one), or SIGCONT within p's session."""
    if p.uid == 0 or p.ruid == q.ruid or p.ruid == q.suid or p.uid == q.ruid or p.uid == q.suid:
        return True
    return sig == SIGCONT_NUM and p.sid == q.sid


def sys_kill(pid: u64, sig: u64) -> u64:
    """kill(2): pid > 0 one process, 0 the caller's group, -1 every process but init and the
    caller, < -1 the group -pid. EINVAL for a bad signal, ESRCH if nobody matched, EPERM if the
    caller may signal no member of a group (may_signal; kill(-1) then answers 0, as Linux)."""
    if sig > 64:
        raise SysError(EINVAL)
    p = me()
    spid = pid_arg(pid)
    if spid > 0:
        q = find_process(u64(spid))
        if q is None or q.zombie:
            if q is None:
                raise SysError(ESRCH)
            return u64(0)
        if not may_signal(p, q, sig):
            raise SysError(EPERM)
        send_to_process(q, sig, SI_USER, p.pid)
        return u64(0)
    group = u64(0)
    if spid == 0:
        group = p.pgid
    elif spid < -1:
        group = u64(-spid)
    found = False
    sent = False
    for other in the_tables().procs:
        if other.zombie:
            continue
        if spid == -1:
            if other.pid == 1 or other is p:
                continue
        elif other.pgid != group:
            continue
        found = True
        if may_signal(p, other, sig):
            sent = True
            send_to_process(other, sig, SI_USER, p.pid)
    if not found:
        raise SysError(ESRCH)
    if not sent and spid != -1:
        raise SysError(EPERM)  # a group: Linux's EPERM when no member could be signalled (not for -1)
    return u64(0)


def sys_tgkill(tgid: u64, tid: u64, sig: u64, check_group: bool) -> u64:
    """tgkill(2) / tkill(2): EINVAL for a bad signal or id, ESRCH if there is no such thread."""
    if sig > 64 or pid_arg(tid) <= 0 or (check_group and pid_arg(tgid) <= 0):
        raise SysError(EINVAL)
    t = find_task(tid)
    if t is None or (check_group and t.proc.pid != tgid):
        raise SysError(ESRCH)
    if not may_signal(me(), t.proc, sig):
        raise SysError(EPERM)
    send_to_task(t, sig, SI_TKILL, me().pid)
    return u64(0)


def queued_info(p: Process, sig: u64, pid: u64, uinfo: u64) -> u64:
    """The si_code of a user-made siginfo for rt_(tg)sigqueueinfo (EFAULT); EPERM when it claims
    to come from the kernel or kill (si_code >= 0, or SI_TKILL) and goes to another thread than
    the caller, as Linux."""
    p.check_user(uinfo, u64(128), False)
    code = p.get_u32(uinfo + 8)
    neg = i64(i32(code)) < 0
    if (not neg or u64(code) == SI_TKILL) and pid != current_task().tid:
        raise SysError(EPERM)
    return u64(code)


def sys_rt_sigqueueinfo(pid: u64, sig: u64, uinfo: u64) -> u64:
    """rt_sigqueueinfo(2): send sig to process pid with the caller's siginfo (si_code, si_pid,
    si_uid, si_value); kill(2)'s errors."""
    p = me()
    spid = pid_arg(pid)
    code = queued_info(p, sig, u64(spid) & 0xFFFFFFFF, uinfo)
    if sig > 64:
        raise SysError(EINVAL)
    if spid <= 0:
        raise SysError(ESRCH)
    # Any thread's id names its process (Linux's find_vpid), not only the leader's.
    t = find_task(u64(spid))
    if t is None:
        z = find_process(u64(spid))
        if z is None:
            raise SysError(ESRCH)
        return u64(0)          # a zombie not yet reaped: nothing to do, as kill(2)
    q = t.proc
    if not may_signal(p, q, sig):
        raise SysError(EPERM)
    send_to_process(q, sig, code, u64(p.get_u32(uinfo + 16)), u64(p.get_u32(uinfo + 20)),
                    p.get_u64(uinfo + 24))
    return u64(0)


def sys_rt_tgsigqueueinfo(tgid: u64, tid: u64, sig: u64, uinfo: u64) -> u64:
    """rt_tgsigqueueinfo(2): as rt_sigqueueinfo, to thread tid of process tgid."""
    p = me()
    if pid_arg(tid) <= 0 or pid_arg(tgid) <= 0:
        raise SysError(EINVAL)
    code = queued_info(p, sig, tgid & 0xFFFFFFFF, uinfo)
    if sig > 64:
        raise SysError(EINVAL)
    t = find_task(tid & 0xFFFFFFFF)
    if t is None or t.proc.pid != (tgid & 0xFFFFFFFF):
        raise SysError(ESRCH)
    if not may_signal(p, t.proc, sig):
        raise SysError(EPERM)
    send_to_task(t, sig, code, u64(p.get_u32(uinfo + 16)), u64(p.get_u32(uinfo + 20)),
                 p.get_u64(uinfo + 24))
    return u64(0)


def sys_setpgid(pid: u64, pgid: u64) -> u64:
    """setpgid(2): the caller or a child of it, into a group of the same session."""
    p = me()
    pid = u64(pid_arg(pid))
    if pid_arg(pgid) < 0:
        raise SysError(EINVAL)
    pgid = pgid & 0xFFFFFFFF
    target = p
    if pid != 0 and pid != p.pid:
        q = find_process(pid)
        if q is None or q.ppid != p.pid or q.zombie:
            raise SysError(ESRCH)
        if q.sid != p.sid:
            raise SysError(EPERM)
        target = q
    if target.sid == target.pid:
        raise SysError(EPERM)      # a session leader cannot move
    if pgid == 0:
        pgid = target.pid
    if pgid != target.pid:
        ok = False
        for other in the_tables().procs:
            if other.pgid == pgid and other.sid == p.sid and not other.zombie:
                ok = True
        if not ok:
            raise SysError(EPERM)
    target.pgid = pgid
    return u64(0)


def process_arg(pid: u64) -> Process:
    """The process a pid_t argument names (0: the caller); ESRCH if there is none."""
    pid = pid & 0xFFFFFFFF
    if pid == 0:
        return me()
    q = find_process(pid)
    if q is None:
        raise SysError(ESRCH)
    return q


def sys_setsid() -> u64:
    """setsid(2): EPERM for a process group leader."""
    p = me()
    for q in the_tables().procs:
        if q.pgid == p.pid and not q.zombie:
            raise SysError(EPERM)
    p.sid = p.pid
    p.pgid = p.pid
    return p.sid


def sys_clone3(args: u64, size: u64) -> u64:
    """clone3(2): struct clone_args (64 bytes or more; unknown trailing bytes must be zero)."""
    p = me()
    if size < CLONE_ARGS_SIZE_VER0 or size > 4096:
        raise SysError(EINVAL)
    flags = p.get_u64(args)
    child_tid = p.get_u64(args + 16)
    parent_tid = p.get_u64(args + 24)
    exit_signal = p.get_u64(args + 32)
    stack = p.get_u64(args + 40)
    stack_size = p.get_u64(args + 48)
    tls = p.get_u64(args + 56)
    for off in range(CLONE_ARGS_SIZE_VER0, size & ~u64(7)):
        # set_tid, set_tid_size and cgroup (and anything newer) are not implemented.
        if (off & 7) == 0 and p.get_u64(args + off) != 0:
            raise SysError(EINVAL)
    if exit_signal > 64 or (flags & 0xFF) != 0:
        raise SysError(EINVAL)
    if (stack == 0) != (stack_size == 0):
        raise SysError(EINVAL)
    top = u64(0)
    if stack != 0:
        top = stack + stack_size
    return do_clone(flags | exit_signal, top, parent_tid, child_tid, tls)


def sys_reboot(magic: u64, magic2: u64, cmd: u64) -> u64:
    """reboot(2): power off / halt / restart end the machine (QEMU exits); CAD on/off accepted."""
    if (magic & 0xFFFFFFFF) != LINUX_REBOOT_MAGIC1:
        raise SysError(EINVAL)
    m2 = magic2 & 0xFFFFFFFF
    if m2 != u64(672274793) and m2 != u64(85072278) and m2 != u64(369367448) and m2 != u64(537993216):
        raise SysError(EINVAL)
    if me().uid != 0:
        raise SysError(EPERM)
    c = cmd & 0xFFFFFFFF
    if c == LINUX_REBOOT_CMD_CAD_ON or c == LINUX_REBOOT_CMD_CAD_OFF:
        return u64(0)
    if c == LINUX_REBOOT_CMD_POWER_OFF or c == LINUX_REBOOT_CMD_HALT or c == LINUX_REBOOT_CMD_RESTART:
        arch_exit(u8(0))
    raise SysError(EINVAL)


def sys_arch_prctl(code: u64, addr: u64) -> u64:
    """arch_prctl(2): ARCH_SET_FS/GS (EPERM outside user space), ARCH_GET_FS/GS (EFAULT)."""
    t = current_task()
    if code == ARCH_SET_FS:
        if addr >= USER_TOP:
            raise SysError(EPERM)
        t.fs_base = addr
        set_fs_base(addr)
        return u64(0)
    if code == ARCH_GET_FS:
        t.proc.put_u64(addr, t.fs_base)
        return u64(0)
    if code == ARCH_SET_GS:
        if addr >= USER_TOP:
            raise SysError(EPERM)
        t.gs_base = addr
        set_user_gs_base(addr)
        return u64(0)
    if code == ARCH_GET_GS:
        t.proc.put_u64(addr, t.gs_base)
        return u64(0)
    raise SysError(EINVAL)


def futex_deadline(p: Process, op: u64, timeout: u64) -> u64:
    """The futex timeout as a monotonic deadline (0: none). WAIT's is relative; WAIT_BITSET's absolute."""
    cmd = op & 127
    if cmd == FUTEX_REQUEUE or cmd == FUTEX_CMP_REQUEUE:
        return timeout          # the count to requeue, not a time
    if timeout == 0 or (cmd != FUTEX_WAIT and cmd != u64(9)):
        return u64(0)
    ns = timespec_ns(p, timeout)
    now = monotonic_ns()
    if cmd == FUTEX_WAIT:
        return now + ns + 1
    if (op & FUTEX_CLOCK_REALTIME) != 0:
        base = ktime.realtime_base_ns
        if ns <= base + now:
            return now + 1
        return ns - base
    if ns <= now:
        return now + 1
    return ns


PR_SET_PDEATHSIG: Final = u64(1)
PR_GET_PDEATHSIG: Final = u64(2)
PR_GET_DUMPABLE: Final = u64(3)
PR_SET_DUMPABLE: Final = u64(4)
PR_SET_NAME: Final = u64(15)
PR_GET_NAME: Final = u64(16)
PR_SET_NO_NEW_PRIVS: Final = u64(38)
PR_GET_NO_NEW_PRIVS: Final = u64(39)
PR_SET_CHILD_SUBREAPER: Final = u64(36)
PR_GET_CHILD_SUBREAPER: Final = u64(37)


def sys_prctl(option: u64, arg2: u64) -> u64:
    """prctl(2): the thread name, the parent-death signal, dumpable and no_new_privs flags are
    kept and reported back (the death signal and subreaper role are not acted on yet)."""
    t = current_task()
    p = t.proc
    if option == PR_SET_NAME:
        for i in range(u64(0), u64(16)):
            t.comm[i] = u8(0)
        for i in range(u64(0), u64(15)):
            b = p.get_u8(arg2 + i)
            if b == 0:
                break
            t.comm[i] = b
        return u64(0)
    if option == PR_GET_NAME:
        p.check_user(arg2, u64(16), True)
        for i in range(u64(0), u64(16)):
            p.put_byte(arg2 + i, t.comm[i])
        return u64(0)
    if option == PR_SET_PDEATHSIG:
        if arg2 > 64:
            raise SysError(EINVAL)
        t.pdeath_signal = arg2
        return u64(0)
    if option == PR_GET_PDEATHSIG:
        p.put_u32(arg2, u32(t.pdeath_signal))
        return u64(0)
    if option == PR_GET_DUMPABLE:
        return u64(1)
    if option == PR_SET_DUMPABLE:
        if arg2 > 1:
            raise SysError(EINVAL)
        return u64(0)
    if option == PR_SET_NO_NEW_PRIVS:
        if arg2 != 1:
            raise SysError(EINVAL)
        t.no_new_privs = True
        return u64(0)
    if option == PR_GET_NO_NEW_PRIVS:
        return u64(1) if t.no_new_privs else u64(0)
    if option == PR_SET_CHILD_SUBREAPER:
        return u64(0)
    if option == PR_GET_CHILD_SUBREAPER:
        p.put_u32(arg2, u32(0))
        return u64(0)
    raise SysError(EINVAL)


def syscall_getpid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getpid(2)."""
    return me().pid


def syscall_gettid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of gettid(2)."""
    return current_task().tid


def syscall_getppid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getppid(2)."""
    return me().ppid


def syscall_sched_yield(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sched_yield(2)."""
    sched_yield()
    return u64(0)


def syscall_fork(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fork(2)."""
    return do_clone(u64(SIGCHLD), u64(0), u64(0), u64(0), u64(0))


def syscall_vfork(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of vfork(2)."""
    return do_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, u64(0), u64(0), u64(0), u64(0))


def syscall_clone(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of clone(2)."""
    # x86_64 order: flags, stack, parent_tid, child_tid, tls.
    return do_clone(a0, a1, a2, a3, a4)


def syscall_clone3(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of clone3(2)."""
    return sys_clone3(a0, a1)


def syscall_execve(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of execve(2)."""
    return do_execve(a0, a1, a2)


def syscall_exit(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of exit(2)."""
    exit_current(current_task(), (a0 & 0xFF) << 8)
    return u64(0)


def syscall_exit_group(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of exit_group(2)."""
    exit_group_now(current_task(), (a0 & 0xFF) << 8)
    return u64(0)


def syscall_wait4(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of wait4(2)."""
    return sys_wait4(me(), a0, a1, a2, a3)


def syscall_waitid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of waitid(2)."""
    return sys_waitid(me(), a0, a1, a2, a3, a4)


def syscall_set_tid_address(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of set_tid_address(2)."""
    t = current_task()
    t.clear_child_tid = a0
    return t.tid


def syscall_arch_prctl(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of arch_prctl(2)."""
    return sys_arch_prctl(a0, a1)


def syscall_kill(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of kill(2)."""
    return sys_kill(a0, a1)


def syscall_tgkill(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of tgkill(2)."""
    return sys_tgkill(a0, a1, a2, True)


def syscall_tkill(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of tkill(2)."""
    return sys_tgkill(u64(0), a0, a1, False)


def syscall_rt_sigqueueinfo(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of rt_sigqueueinfo(2)."""
    return sys_rt_sigqueueinfo(a0, a1, a2)


def syscall_rt_tgsigqueueinfo(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of rt_tgsigqueueinfo(2)."""
    return sys_rt_tgsigqueueinfo(a0, a1, a2, a3)


def syscall_rt_sigaction(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of rt_sigaction(2)."""
    return sys_rt_sigaction(a0, a1, a2, a3)


def syscall_rt_sigprocmask(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of rt_sigprocmask(2)."""
    return sys_rt_sigprocmask(a0, a1, a2, a3)


def syscall_rt_sigreturn(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of rt_sigreturn(2)."""
    t = current_task()
    return sigreturn(t, user_frame_of(t.kstack_top))


def syscall_rt_sigpending(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of rt_sigpending(2)."""
    return sys_rt_sigpending(a0, a1)


def syscall_rt_sigsuspend(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of rt_sigsuspend(2)."""
    return sys_rt_sigsuspend(a0, a1)


def syscall_rt_sigtimedwait(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of rt_sigtimedwait(2)."""
    return sys_rt_sigtimedwait(a0, a1, a2, a3)


def syscall_sigaltstack(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sigaltstack(2)."""
    return sys_sigaltstack(a0, a1)


def syscall_pause(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of pause(2)."""
    return sys_pause()


def syscall_nanosleep(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of nanosleep(2)."""
    return sys_nanosleep(a0, a1)


def syscall_clock_nanosleep(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of clock_nanosleep(2)."""
    return sys_clock_nanosleep(a0, a1, a2, a3)


def syscall_pidfd_open(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of pidfd_open(2)."""
    return sys_pidfd_open(me(), a0, a1 & 0xFFFFFFFF)


def syscall_pidfd_getfd(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of pidfd_getfd(2)."""
    return sys_pidfd_getfd(me(), a0, a1, a2 & 0xFFFFFFFF)


def syscall_futex(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of futex(2)."""
    p = me()
    return sys_futex(p, a0, a1, a2, futex_deadline(p, a1, a3), a4, a5)


def syscall_setpgid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setpgid(2)."""
    return sys_setpgid(a0, a1)


def syscall_getpgid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getpgid(2)."""
    return process_arg(a0).pgid


def syscall_getpgrp(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getpgrp(2)."""
    return me().pgid


def syscall_setsid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setsid(2)."""
    return sys_setsid()


def syscall_getsid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getsid(2)."""
    return process_arg(a0).sid


def syscall_reboot(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of reboot(2)."""
    return sys_reboot(a0, a1, a2)


def syscall_prctl(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of prctl(2)."""
    return sys_prctl(a0, a1)


# Imports of higher layers come last: those modules import this one back (an import cycle), and
# under CPython the names above must exist by the time they do.
import asterpy.task.signal as signals  # noqa: E402
