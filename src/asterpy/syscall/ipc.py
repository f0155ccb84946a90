"""System V IPC syscalls: semget, semop, semtimedop, semctl (the sets are asterpy.task.sysv_sem).

Table entries: `syscall_<name>`. The argument structs are x86_64's: struct sembuf (6 bytes: u16
number, i16 operation, i16 flags), struct semid64_ds (104 bytes: ipc64_perm, then otime, ctime
and nsems at 48, 64 and 80), struct seminfo (ten ints).
"""

from typing import Final

from asterpy.lang import List, SysError, i16, i32, i64, u8, u16, u32, u64
from asterpy.lang.errno import E2BIG, EACCES, EINVAL, EPERM
import asterpy.kernel.time as ktime
from asterpy.kernel.time import monotonic_ns
from asterpy.syscall.fs_common import proc
from asterpy.syscall.proc_calls import timespec_ns
from asterpy.task.process import Process
from asterpy.task.sysv_sem import (
    SEMAEM, SEMMNI, SEMMNS, SEMMSL, SEMOPM, SEMVMX, SemOp, SemSet, is_owner, lookup, permitted,
    sem_get, sem_op, sem_remove, sem_setall, sem_setval, set_id, sems,
)

IPC_RMID: Final = u64(0)
IPC_SET: Final = u64(1)
IPC_STAT: Final = u64(2)
IPC_INFO: Final = u64(3)
IPC_64: Final = u64(0x100)     # the "new" struct layout flag: x86_64 has only that one
GETPID: Final = u64(11)
GETVAL: Final = u64(12)
GETALL: Final = u64(13)
GETNCNT: Final = u64(14)
GETZCNT: Final = u64(15)
SETVAL: Final = u64(16)
SETALL: Final = u64(17)
SEM_STAT: Final = u64(18)
SEM_INFO: Final = u64(19)
SEM_STAT_ANY: Final = u64(20)
SEMID_DS_SIZE: Final = u64(104)
SEMINFO_SIZE: Final = u64(40)
NSEC_PER_SEC: Final = u64(1000000000)


def me() -> Process:
    """The running process."""
    return proc()


def now_s() -> u64:
    """CLOCK_REALTIME now, in seconds (the sets' otime and ctime)."""
    return (ktime.realtime_base_ns + monotonic_ns()) // NSEC_PER_SEC


def read_ops(p: Process, sops: u64, nsops: u64) -> List[SemOp]:
    """The struct sembuf array at sops (EFAULT)."""
    p.check_user(sops, nsops * 6, False)
    ops: List[SemOp] = []
    for i in range(u64(0), nsops):
        a = sops + i * 6
        num = u64(p.get_u8(a)) | (u64(p.get_u8(a + 1)) << 8)
        op = u64(p.get_u8(a + 2)) | (u64(p.get_u8(a + 3)) << 8)
        flg = u64(p.get_u8(a + 4)) | (u64(p.get_u8(a + 5)) << 8)
        ops.append(SemOp(num, i64(i16(u16(op))), flg))
    return ops


def do_semop(semid: u64, sops: u64, nsops: u64, timeout: u64) -> u64:
    """semop/semtimedop: EINVAL for a negative id or no operations, E2BIG for more than SEMOPM;
    the timeout is relative (NULL: none)."""
    p = me()
    if i32(u32(semid & 0xFFFFFFFF)) < 0 or nsops < 1:
        raise SysError(EINVAL)
    if nsops > SEMOPM:
        raise SysError(E2BIG)
    ops = read_ops(p, sops, nsops)
    deadline = u64(0)
    if timeout != 0:
        deadline = monotonic_ns() + timespec_ns(p, timeout) + 1
    return sem_op(p, semid & 0xFFFFFFFF, ops, deadline, now_s())


def put_semid_ds(p: Process, buf: u64, s: SemSet) -> None:
    """Store s as a struct semid64_ds at buf (EFAULT)."""
    p.check_user(buf, SEMID_DS_SIZE, True)
    for off in range(u64(0), SEMID_DS_SIZE, u64(8)):
        p.put_u64(buf + off, u64(0))
    p.put_u32(buf, u32(s.key))
    p.put_u32(buf + 4, u32(s.uid))
    p.put_u32(buf + 8, u32(s.gid))
    p.put_u32(buf + 12, u32(s.cuid))
    p.put_u32(buf + 16, u32(s.cgid))
    p.put_u32(buf + 20, u32(s.mode))
    p.put_u32(buf + 24, u32(s.seq))
    p.put_u64(buf + 48, s.otime)
    p.put_u64(buf + 64, s.ctime)
    p.put_u64(buf + 80, s.nsems())


def put_seminfo(p: Process, buf: u64, info: bool) -> u64:
    """IPC_INFO / SEM_INFO: the limits (SEM_INFO: semusz and semaem count sets and counters in
    use); the highest slot in use."""
    p.check_user(buf, SEMINFO_SIZE, True)
    t = sems()
    used = u64(0)
    counters = u64(0)
    top = u64(0)
    for i in range(0, len(t.sets)):
        s = t.sets[i]
        if s is not None:
            used += 1
            counters += s.nsems()
            top = u64(i)
    vals = [SEMMNI, SEMMNI, SEMMNS, SEMMNS, SEMMSL, SEMOPM, SEMOPM, u64(20), u64(SEMVMX), SEMAEM]
    if info:
        vals[7] = used
        vals[9] = counters
    for i in range(0, 10):
        p.put_u32(buf + u64(i) * 4, u32(vals[i]))
    return top


def semctl_stat(p: Process, semid: u64, cmd: u64, buf: u64) -> u64:
    """IPC_STAT (0), or SEM_STAT/SEM_STAT_ANY with a slot for semid (the set's id)."""
    if cmd == IPC_STAT:
        s = lookup(semid)
        ret = u64(0)
    else:
        t = sems()
        if semid >= u64(len(t.sets)):
            raise SysError(EINVAL)
        found = t.sets[semid]
        if found is None:
            raise SysError(EINVAL)
        s = found
        ret = set_id(s, semid)
    if cmd != SEM_STAT_ANY and not permitted(p, s, u64(4)):
        raise SysError(EACCES)
    put_semid_ds(p, buf, s)
    return ret


def semctl_set(p: Process, semid: u64, buf: u64) -> u64:
    """IPC_SET: owner uid, gid and mode bits from the struct semid64_ds at buf (EPERM unless owner)."""
    s = lookup(semid)
    p.check_user(buf, SEMID_DS_SIZE, False)
    uid = u64(p.get_u32(buf + 4))
    gid = u64(p.get_u32(buf + 8))
    mode = u64(p.get_u32(buf + 20))
    if not is_owner(p, s):
        raise SysError(EPERM)
    s.uid = uid
    s.gid = gid
    s.mode = (s.mode & ~u64(0o777)) | (mode & 0o777)
    s.ctime = now_s()
    return u64(0)


def semctl_one(p: Process, semid: u64, num: u64, cmd: u64) -> u64:
    """GETVAL, GETPID, GETNCNT, GETZCNT of counter num (EINVAL out of range, EACCES)."""
    s = lookup(semid)
    if num >= s.nsems():
        raise SysError(EINVAL)
    if not permitted(p, s, u64(4)):
        raise SysError(EACCES)
    if cmd == GETVAL:
        return u64(s.vals[num])
    if cmd == GETPID:
        return s.pids[num]
    if cmd == GETNCNT:
        return s.ncnt[num]
    return s.zcnt[num]


def semctl_all(p: Process, semid: u64, cmd: u64, arr: u64) -> u64:
    """GETALL / SETALL: every counter as an array of unsigned shorts at arr."""
    s = lookup(semid)
    n = s.nsems()
    if cmd == GETALL:
        if not permitted(p, s, u64(4)):
            raise SysError(EACCES)
        p.check_user(arr, n * 2, True)
        for i in range(u64(0), n):
            v = u64(s.vals[i])
            p.put_byte(arr + 2 * i, u8_of(v))
            p.put_byte(arr + 2 * i + 1, u8_of(v >> 8))
        return u64(0)
    p.check_user(arr, n * 2, False)
    vals: List[i64] = []
    for i in range(u64(0), n):
        vals.append(i64(u64(p.get_u8(arr + 2 * i)) | (u64(p.get_u8(arr + 2 * i + 1)) << 8)))
    sem_setall(p, semid, vals, now_s())
    return u64(0)


def u8_of(v: u64) -> u8:
    """The low byte of v."""
    return u8(v & 0xFF)


def sys_semctl(semid: u64, num: u64, cmd: u64, arg: u64) -> u64:
    """semctl(2): the fourth argument is the union semun (a value for SETVAL, else a pointer)."""
    p = me()
    cmd = u64(u32(cmd & 0xFFFFFFFF)) & ~IPC_64
    if i32(u32(semid & 0xFFFFFFFF)) < 0:
        raise SysError(EINVAL)
    semid = semid & 0xFFFFFFFF
    n = i64(i32(u32(num & 0xFFFFFFFF)))
    if cmd == IPC_INFO or cmd == SEM_INFO:
        return put_seminfo(p, arg, cmd == SEM_INFO)
    if cmd == IPC_STAT or cmd == SEM_STAT or cmd == SEM_STAT_ANY:
        return semctl_stat(p, semid, cmd, arg)
    if cmd == IPC_SET:
        return semctl_set(p, semid, arg)
    if cmd == IPC_RMID:
        sem_remove(p, semid)
        return u64(0)
    if cmd == GETALL or cmd == SETALL:
        return semctl_all(p, semid, cmd, arg)
    if cmd == GETVAL or cmd == GETPID or cmd == GETNCNT or cmd == GETZCNT or cmd == SETVAL:
        if n < 0:
            # Linux looks the set up first: a bad id is EINVAL either way.
            lookup(semid)
            raise SysError(EINVAL)
        if cmd == SETVAL:
            sem_setval(p, semid, u64(n), i64(i32(u32(arg & 0xFFFFFFFF))), now_s())
            return u64(0)
        return semctl_one(p, semid, u64(n), cmd)
    raise SysError(EINVAL)


def syscall_semget(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of semget(2): key, nsems (a negative count is EINVAL), flags."""
    nsems = i64(i32(u32(a1 & 0xFFFFFFFF)))
    if nsems < 0:
        raise SysError(EINVAL)
    return sem_get(me(), a0 & 0xFFFFFFFF, u64(nsems), a2 & 0xFFFFFFFF, now_s())


def syscall_semop(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of semop(2)."""
    return do_semop(a0, a1, a2, u64(0))


def syscall_semtimedop(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of semtimedop(2)."""
    return do_semop(a0, a1, a2, a3)


def syscall_semctl(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of semctl(2)."""
    return sys_semctl(a0, a1, a2, a3)

