"""Syscall dispatch: a SYS_* id and six arguments to a handler; errors come back as -errno.

The arch entry (arch/x86_64/syscall.py) maps the user's number to the kernel's dense id with
the generated table (numbers.py) and calls `syscall_dispatch`. A handler raises SysError(errno);
the dispatcher turns it into the negative errno user space expects. Unknown or unimplemented
syscalls answer -ENOSYS and are logged once per number.

This first slice runs one process (init, pid 1) whose file descriptors 0..2 are the console.
"""

from typing import Final

from asterpy.lang import Array, struct, SysError, i64, kinfo, kprint, u8, u32, u64
from asterpy.lang.errno import EINVAL, ENOSYS, EPERM, ESRCH
import asterpy.kernel.log as klog
import asterpy.kernel.time as ktime
from asterpy.kernel.time import monotonic_ns
from asterpy.syscall.numbers import (
    SYS_CLOCK_GETTIME, SYS_GETRANDOM, SYS_GETRLIMIT, SYS_NONE, SYS_PRLIMIT64, SYS_RSEQ, SYS_SETRLIMIT, SYS_UNAME,
)
from asterpy.task.process import Process, current_process

from asterpy.kernel.entropy import random_u64

# The syscall families: each answers NOT_HANDLED for numbers that are not its own. Module

IOV_MAX: Final = u64(1024)
SIGSET_SIZE: Final = u64(8)
NSIG: Final = u64(64)
SIGKILL: Final = u64(9)
SIGSTOP: Final = u64(19)
SIG_BLOCK: Final = u64(0)
SIG_UNBLOCK: Final = u64(1)
SIG_SETMASK: Final = u64(2)

ARCH_SET_GS: Final = u64(0x1001)
ARCH_SET_FS: Final = u64(0x1002)
ARCH_GET_FS: Final = u64(0x1003)
ARCH_GET_GS: Final = u64(0x1004)

CLOCK_REALTIME: Final = u64(0)
CLOCK_MONOTONIC: Final = u64(1)
CLOCK_PROCESS_CPUTIME_ID: Final = u64(2)
CLOCK_THREAD_CPUTIME_ID: Final = u64(3)
CLOCK_MONOTONIC_RAW: Final = u64(4)
CLOCK_REALTIME_COARSE: Final = u64(5)
CLOCK_MONOTONIC_COARSE: Final = u64(6)
CLOCK_BOOTTIME: Final = u64(7)
NSEC_PER_SEC: Final = u64(1000000000)

GRND_MASK: Final = u64(7)                # GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE
GETRANDOM_MAX: Final = u64(33554431)     # Linux caps one call at this many bytes

RLIMIT_STACK: Final = u64(3)
RLIMIT_NOFILE: Final = u64(7)
RLIM_NLIMITS: Final = u64(16)
RLIM_INFINITY: Final = u64(0xFFFFFFFFFFFFFFFF)
STACK_RLIMIT: Final = u64(8 << 20)

UTS_FIELD: Final = u64(65)
UTS_SIZE: Final = u64(6 * 65)


@struct
class SeenSet:
    """Syscall numbers below 1024 already reported as unimplemented (a bitmap)."""

    bits: Array[u64, 16]


enosys_seen: SeenSet = SeenSet()


def proc() -> Process:
    """The running process (every syscall has one)."""
    p = current_process()
    if p is None:
        raise SysError(ESRCH)
    return p


def put_str(p: Process, va: u64, s: bytes) -> None:
    """Store s at user address va (the NUL comes from the zeroed buffer)."""
    p.put_bytes(va, s)


def sys_uname(buf: u64) -> u64:
    """uname(2): six 65-byte fields; EFAULT if the buffer is not writable."""
    p = proc()
    p.check_user(buf, UTS_SIZE, True)
    for i in range(u64(0), UTS_SIZE // 8):
        p.put_u64(buf + 8 * i, u64(0))
    for i in range((UTS_SIZE // 8) * 8, UTS_SIZE):
        p.put_byte(buf + i, u8(0))
    put_str(p, buf, b"Linux")
    put_str(p, buf + UTS_FIELD, b"asterpy")
    put_str(p, buf + 2 * UTS_FIELD, b"6.1.0-asterpy")
    put_str(p, buf + 3 * UTS_FIELD, b"#1 asterpy 0.1.0")
    put_str(p, buf + 4 * UTS_FIELD, b"x86_64")
    put_str(p, buf + 5 * UTS_FIELD, b"(none)")
    return u64(0)


def sys_clock_gettime(clk: u64, tp: u64) -> u64:
    """clock_gettime(2) from the kernel clock: EINVAL for an unknown clock, EFAULT for tp.
    The CPU-time clocks answer with the monotonic clock (no per-task accounting yet)."""
    now = monotonic_ns()
    if clk == CLOCK_REALTIME or clk == CLOCK_REALTIME_COARSE:
        now += ktime.realtime_base_ns
    elif (clk != CLOCK_MONOTONIC and clk != CLOCK_MONOTONIC_RAW and clk != CLOCK_MONOTONIC_COARSE
          and clk != CLOCK_BOOTTIME and clk != CLOCK_PROCESS_CPUTIME_ID and clk != CLOCK_THREAD_CPUTIME_ID):
        raise SysError(EINVAL)
    p = proc()
    p.check_user(tp, u64(16), True)
    p.put_u64(tp, now // NSEC_PER_SEC)
    p.put_u64(tp + 8, now % NSEC_PER_SEC)
    return u64(0)


def sys_getrandom(buf: u64, n: u64, flags: u64) -> u64:
    """getrandom(2): EINVAL for unknown flags, EFAULT for the buffer; at most 32 MiB - 1 per call."""
    if (flags & ~GRND_MASK) != 0:
        raise SysError(EINVAL)
    if n > GETRANDOM_MAX:
        n = GETRANDOM_MAX
    p = proc()
    p.check_user(buf, n, True)
    i = u64(0)
    while i < n:
        r = random_u64()
        j = u64(0)
        while j < 8 and i < n:
            p.put_byte(buf + i, u8(r >> (8 * j)))
            i += 1
            j += 1
    return n


def rlimits_of(pid: u64) -> Process:
    """The process whose limits prlimit64 reads or sets (0: the caller); ESRCH if none."""
    p = proc()
    n = pid & 0xFFFFFFFF
    if n == 0 or n == p.pid:
        return p
    q = sched.find_process(n)
    if q is None or q.zombie:
        raise SysError(ESRCH)
    return q


def set_rlimit(target: Process, resource: u64, soft: u64, hard: u64) -> None:
    """Apply new limits: EINVAL if soft > hard, EPERM to raise a hard limit without privilege,
    and RLIMIT_NOFILE capped by the most descriptors a table can have."""
    if soft > hard:
        raise SysError(EINVAL)
    if hard > target.rlim_max[resource] and proc().uid != 0:
        raise SysError(EPERM)
    if resource == RLIMIT_NOFILE:
        if hard > NOFILE_HARD_MAX:
            raise SysError(EPERM)
        target.files.limit = soft
    target.rlim_cur[resource] = soft
    target.rlim_max[resource] = hard


def sys_prlimit64(pid: u64, resource: u64, new: u64, old: u64) -> u64:
    """prlimit64(2): read and/or set a process's limits (ESRCH, EINVAL, EPERM, EFAULT)."""
    if resource >= RLIM_NLIMITS:
        raise SysError(EINVAL)
    target = rlimits_of(pid)
    p = proc()
    soft = u64(0)
    hard = u64(0)
    if new != 0:
        soft = p.get_u64(new)
        hard = p.get_u64(new + 8)
    if old != 0:
        p.check_user(old, u64(16), True)
        p.put_u64(old, target.rlim_cur[resource])
        p.put_u64(old + 8, target.rlim_max[resource])
    if new != 0:
        set_rlimit(target, resource, soft, hard)
    return u64(0)


def sys_getrlimit(resource: u64, addr: u64) -> u64:
    """getrlimit(2): EINVAL for an unknown resource, EFAULT."""
    if resource >= RLIM_NLIMITS:
        raise SysError(EINVAL)
    p = proc()
    p.check_user(addr, u64(16), True)
    p.put_u64(addr, p.rlim_cur[resource])
    p.put_u64(addr + 8, p.rlim_max[resource])
    return u64(0)


def sys_setrlimit(resource: u64, addr: u64) -> u64:
    """setrlimit(2): EINVAL for an unknown resource or soft > hard, EPERM, EFAULT."""
    if resource >= RLIM_NLIMITS:
        raise SysError(EINVAL)
    p = proc()
    soft = p.get_u64(addr)
    hard = p.get_u64(addr + 8)
    set_rlimit(p, resource, soft, hard)
    return u64(0)


def current_pid() -> u64:
    """The running process's pid (0 if none: the log line of a kernel-internal call)."""
    p = current_process()
    if p is None:
        return u64(0)
    return p.pid


def unimplemented(nr: u64) -> u64:
    """Log an unknown or unimplemented syscall number once, then raise ENOSYS."""
    seen = True
    if nr < 1024:
        seen = ((enosys_seen.bits[nr >> 6] >> (nr & 63)) & 1) != 0
        enosys_seen.bits[nr >> 6] |= u64(1) << (nr & 63)
    if not seen:
        kinfo(f"[pid {current_pid()}] syscall {nr} not implemented: ENOSYS")
    raise SysError(ENOSYS)


def dispatch(sys_id: u32, nr: u64, a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """Run the handler of sys_id (raises SysError)."""
    r = sysfiles.files_dispatch(sys_id, a0, a1, a2, a3, a4, a5)
    if r != sysfiles.NOT_HANDLED:
        return r
    r = sysproc.process_dispatch(sys_id, a0, a1, a2, a3, a4, a5)
    if r != sysproc.NOT_HANDLED:
        return r
    r = sysclock.clock_dispatch(sys_id, a0, a1, a2)
    if r != sysclock.NOT_HANDLED:
        return r
    r = syscred.cred_dispatch(sys_id, a0, a1, a2)
    if r != syscred.NOT_HANDLED:
        return r
    r = syssched.sched_dispatch(sys_id, a0, a1, a2, a3)
    if r != syssched.NOT_HANDLED:
        return r
    r = sysevent.event_dispatch(sys_id, a0, a1, a2, a3, a4, a5)
    if r != sysevent.NOT_HANDLED:
        return r
    r = syssocket.socket_dispatch(sys_id, a0, a1, a2, a3, a4, a5)
    if r != syssocket.NOT_HANDLED:
        return r
    r = sysmm.mm_dispatch(sys_id, a0, a1, a2, a3, a4, a5)
    if r != sysmm.NOT_HANDLED:
        return r
    if sys_id == SYS_UNAME:
        return sys_uname(a0)
    if sys_id == SYS_CLOCK_GETTIME:
        return sys_clock_gettime(a0, a1)
    if sys_id == SYS_GETRANDOM:
        return sys_getrandom(a0, a1, a2)
    if sys_id == SYS_PRLIMIT64:
        return sys_prlimit64(a0, a1, a2, a3)
    if sys_id == SYS_GETRLIMIT:
        return sys_getrlimit(a0, a1)
    if sys_id == SYS_SETRLIMIT:
        return sys_setrlimit(a0, a1)
    if sys_id == SYS_RSEQ:
        # Both libcs cope with ENOSYS here; not worth a log line.
        raise SysError(ENOSYS)
    return unimplemented(nr)


def syscall_dispatch(sys_id: u32, nr: u64, a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> i64:
    """The result of syscall nr (kernel id sys_id, SYS_NONE if unknown): a value or -errno."""
    if sys_id == SYS_NONE:
        try:
            unimplemented(nr)
        except SysError as e:
            return -i64(e.errno)
    if klog.trace_syscalls:
        kprint(f"[pid {current_pid()}] -> {nr}({a0:#x}, {a1:#x}, {a2:#x}, {a3:#x})")
    sysproc.note_syscall(sys_id)
    r = i64(0)
    try:
        r = i64(dispatch(sys_id, nr, a0, a1, a2, a3, a4, a5))
    except SysError as e:
        r = -i64(e.errno)
    if klog.trace_syscalls:
        kprint(f"[pid {current_pid()}] <- {nr} = {r}")
    return r


# Imports of higher layers come last: those modules import this one back (an import cycle), and
# under CPython the names above must exist by the time they do.
import asterpy.syscall.proc_calls as sysproc  # noqa: E402
import asterpy.syscall.clock as sysclock  # noqa: E402
import asterpy.syscall.mm as sysmm  # noqa: E402
import asterpy.syscall.cred as syscred  # noqa: E402
import asterpy.syscall.sched_calls as syssched  # noqa: E402
import asterpy.syscall.fs_event as sysevent  # noqa: E402
import asterpy.syscall.fs_socket as syssocket  # noqa: E402
import asterpy.syscall.files as sysfiles  # noqa: E402
import asterpy.task.sched as sched  # noqa: E402
from asterpy.fs.fdtable import NOFILE_HARD_MAX  # noqa: E402
