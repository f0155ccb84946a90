"""Time syscalls: clock_gettime, gettimeofday, time, clock_getres, times, getrusage, sysinfo,
and the interval timers (alarm, setitimer, getitimer). Table entries: `syscall_<name>`.

There is no per-task CPU-time accounting yet: times and getrusage report zero CPU time, and
only ITIMER_REAL fires (ITIMER_VIRTUAL and ITIMER_PROF are kept and read back but never expire).
"""

from typing import Final

from asterpy.lang import List, SysError, i32, i64, u32, u64
from asterpy.lang.errno import EINVAL, EOPNOTSUPP, ESRCH
import asterpy.kernel.time as ktime
from asterpy.kernel.time import monotonic_ns
from asterpy.fs.procfs.content import FSHIFT, update_load
from asterpy.fs.procfs.provider import the_provider
from asterpy.task.process import Process, current_process
from asterpy.task.sched import current_task, find_task, the_tables
from asterpy.task.posix_timer import (
    SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID, PosixTimer, timer_find, timer_new,
    timer_remove,
)
from asterpy.syscall.fs_event import get_timespec_ns, put_itimerspec

NSEC_PER_SEC: Final = u64(1000000000)
NSEC_PER_USEC: Final = u64(1000)
ITIMER_REAL: Final = u64(0)
ITIMER_VIRTUAL: Final = u64(1)
ITIMER_PROF: Final = u64(2)
RUSAGE_SELF: Final = u64(0)
RUSAGE_CHILDREN: Final = u64(0xFFFFFFFFFFFFFFFF)
RUSAGE_THREAD: Final = u64(1)
RUSAGE_BYTES: Final = u64(144)
SYSINFO_BYTES: Final = u64(112)
CLOCK_REALTIME: Final = u64(0)
CLOCK_MONOTONIC: Final = u64(1)
CLOCK_PROCESS_CPUTIME_ID: Final = u64(2)
CLOCK_THREAD_CPUTIME_ID: Final = u64(3)
CLOCK_MONOTONIC_RAW: Final = u64(4)
CLOCK_REALTIME_COARSE: Final = u64(5)
CLOCK_MONOTONIC_COARSE: Final = u64(6)
CLOCK_BOOTTIME: Final = u64(7)
CLOCK_TICK_NS: Final = u64(10000000)       # the timer's 100 Hz, as the coarse clocks' resolution
HZ_CLK_TCK: Final = u64(100)
SI_LOAD_SHIFT: Final = u64(16)         # sysinfo's loads are fixed point with 16 fraction bits


def me() -> Process:
    """The running process."""
    return current_task().proc


def realtime_ns() -> u64:
    """CLOCK_REALTIME now, in ns since the epoch."""
    return ktime.realtime_base_ns + monotonic_ns()


def sys_gettimeofday(tv: u64, tz: u64) -> u64:
    """gettimeofday(2): EFAULT for a bad pointer; the time zone is always UTC (zeros)."""
    p = me()
    now = realtime_ns()
    if tv != 0:
        p.check_user(tv, u64(16), True)
        p.put_u64(tv, now // NSEC_PER_SEC)
        p.put_u64(tv + 8, (now % NSEC_PER_SEC) // NSEC_PER_USEC)
    if tz != 0:
        p.put_u64(tz, u64(0))
    return u64(0)


def sys_time(tloc: u64) -> u64:
    """time(2): seconds since the epoch, also stored at tloc if nonzero (EFAULT)."""
    now = realtime_ns() // NSEC_PER_SEC
    if tloc != 0:
        me().put_u64(tloc, now)
    return now


def sys_clock_getres(clk: u64, res: u64) -> u64:
    """clock_getres(2): 1 ns for the fine clocks, the tick for the coarse ones; EINVAL otherwise."""
    ns = u64(1)
    if clk == u64(5) or clk == u64(6):
        ns = CLOCK_TICK_NS
    elif clk > u64(11) or clk == u64(8) or clk == u64(9) or clk == u64(10):
        # 8, 9 (the alarm clocks) are not supported; 10 is unused; 11 is CLOCK_TAI.
        raise SysError(EINVAL)
    if res != 0:
        p = me()
        p.check_user(res, u64(16), True)
        p.put_u64(res, u64(0))
        p.put_u64(res + 8, ns)
    return u64(0)


def sys_times(buf: u64) -> u64:
    """times(2): zero CPU times (no accounting yet); the clock ticks since boot."""
    if buf != 0:
        me().zero_user(buf, u64(32))
    return monotonic_ns() // (NSEC_PER_SEC // HZ_CLK_TCK)


def sys_getrusage(who: u64, usage: u64) -> u64:
    """getrusage(2): EINVAL for an unknown who; zero usage except the maximum resident size."""
    w = u64(i64(i32(u32(who & 0xFFFFFFFF))))
    if w != RUSAGE_SELF and w != RUSAGE_CHILDREN and w != RUSAGE_THREAD:
        raise SysError(EINVAL)
    p = me()
    p.zero_user(usage, RUSAGE_BYTES)
    if w != RUSAGE_CHILDREN:
        # ru_maxrss in KiB: the pages the process has mapped now stand in for its peak.
        p.put_u64(usage + 32, p.resident_pages() * u64(4))
    return u64(0)


def sys_sysinfo(info: u64) -> u64:
    """sysinfo(2): uptime, the load averages (/proc/loadavg's, in 1/65536), memory (from the frame
    allocator), and the process count."""
    p = me()
    p.zero_user(info, SYSINFO_BYTES)
    p.put_u64(info, monotonic_ns() // NSEC_PER_SEC)
    counts: List[u64] = []
    the_provider().sched_counts(counts)
    la = update_load(counts[0])
    for i in range(0, 3):
        p.put_u64(info + 8 + u64(i) * 8, la.avg[i] << (SI_LOAD_SHIFT - FSHIFT))
    total = p.frames.frame_count * u64(4096)
    free = p.frames.free_count() * u64(4096)
    p.put_u64(info + 32, total)
    p.put_u64(info + 40, free)
    p.put_u64(info + 80, u64(len(the_tables().procs)) & 0xFFFF)
    p.put_u32(info + 104, u32(1))              # mem_unit
    return u64(0)


def timeval_ns(p: Process, addr: u64) -> u64:
    """A struct timeval from user space in ns (EINVAL for a bad usec field)."""
    sec = p.get_u64(addr)
    usec = p.get_u64(addr + 8)
    if i64(sec) < 0 or usec >= u64(1000000):
        raise SysError(EINVAL)
    return sec * NSEC_PER_SEC + usec * NSEC_PER_USEC


def put_itimerval(p: Process, addr: u64, interval_ns: u64, value_ns: u64) -> None:
    """Store a struct itimerval (interval, then value) at user addr."""
    p.check_user(addr, u64(32), True)
    p.put_u64(addr, interval_ns // NSEC_PER_SEC)
    p.put_u64(addr + 8, (interval_ns % NSEC_PER_SEC) // NSEC_PER_USEC)
    p.put_u64(addr + 16, value_ns // NSEC_PER_SEC)
    p.put_u64(addr + 24, (value_ns % NSEC_PER_SEC) // NSEC_PER_USEC)


def itimer_left(deadline: u64) -> u64:
    """ns left until deadline (0 if none); a running timer never reads as 0."""
    if deadline == 0:
        return u64(0)
    now = monotonic_ns()
    if deadline <= now:
        return NSEC_PER_USEC
    return deadline - now


def sys_getitimer(which: u64, cur: u64) -> u64:
    """getitimer(2): EINVAL for an unknown timer."""
    p = me()
    if which > ITIMER_PROF:
        raise SysError(EINVAL)
    put_itimerval(p, cur, p.itimer_interval[which], itimer_left(p.itimer_deadline[which]))
    return u64(0)


def sys_setitimer(which: u64, new: u64, old: u64) -> u64:
    """setitimer(2): arm (or with a zero value disarm) a timer; the old setting goes to old."""
    p = me()
    if which > ITIMER_PROF:
        raise SysError(EINVAL)
    interval = u64(0)
    value = u64(0)
    if new != 0:
        interval = timeval_ns(p, new)
        value = timeval_ns(p, new + 16)
    if old != 0:
        put_itimerval(p, old, p.itimer_interval[which], itimer_left(p.itimer_deadline[which]))
    p.itimer_interval[which] = interval
    p.itimer_deadline[which] = u64(0)
    if value != 0:
        p.itimer_deadline[which] = monotonic_ns() + value
    return u64(0)


def sys_alarm(seconds: u64) -> u64:
    """alarm(2): ITIMER_REAL once after seconds (0 cancels); the seconds left of the previous one."""
    p = me()
    left = itimer_left(p.itimer_deadline[ITIMER_REAL])
    prev = (left + NSEC_PER_SEC // 2) // NSEC_PER_SEC
    if left != 0 and prev == 0:
        prev = u64(1)
    secs = seconds & 0xFFFFFFFF
    p.itimer_interval[ITIMER_REAL] = u64(0)
    p.itimer_deadline[ITIMER_REAL] = u64(0)
    if secs != 0:
        p.itimer_deadline[ITIMER_REAL] = monotonic_ns() + secs * NSEC_PER_SEC
    return prev


TIMER_ABSTIME: Final = u64(1)


def sys_timer_create(clock: u64, sevp: u64, idp: u64) -> u64:
    """timer_create(2) on CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME and the CPU-time clocks
    (which run as the monotonic clock, as clock_gettime answers them: no per-task accounting yet);
    the alarm clocks: EINVAL; the raw and coarse ones have no timers: EOPNOTSUPP. No sevp: SIGALRM
    to the process with the timer id as si_value. EINVAL for a bad notification or signal, or a
    SIGEV_THREAD_ID thread outside the process; EFAULT."""
    p = me()
    value = u64(0)
    signo = u64(14)
    notify = SIGEV_SIGNAL
    tid = u64(0)
    if sevp != 0:
        p.check_user(sevp, u64(64), False)
        value = p.get_u64(sevp)
        signo = u64(p.get_u32(sevp + 8))
        notify = u64(p.get_u32(sevp + 12))
        tid = u64(p.get_u32(sevp + 16))
    c = clock & 0xFFFFFFFF
    if c == u64(4) or c == u64(5) or c == u64(6):
        raise SysError(EOPNOTSUPP)
    if c != u64(0) and c != u64(1) and c != u64(7) and c != CLOCK_PROCESS_CPUTIME_ID \
            and c != CLOCK_THREAD_CPUTIME_ID:
        raise SysError(EINVAL)
    if notify == SIGEV_THREAD_ID | SIGEV_SIGNAL:
        t = find_task(tid)
        if t is None or t.proc is not p:
            raise SysError(EINVAL)
    elif notify != SIGEV_SIGNAL and notify != SIGEV_THREAD and notify != SIGEV_NONE:
        raise SysError(EINVAL)
    if notify != SIGEV_NONE and (signo == 0 or signo > 64):
        raise SysError(EINVAL)
    tm = timer_new(p, c)
    tm.signo = signo
    tm.tid = tid
    tm.notify = SIGEV_SIGNAL
    if notify == SIGEV_NONE or notify == SIGEV_THREAD_ID:
        tm.notify = notify
    if sevp != 0:
        tm.value = value
    try:
        p.put_u32(idp, u32(tm.id))
    except SysError as e:
        timer_remove(tm)
        raise SysError(e.errno)
    return u64(0)


def timer_arg(p: Process, id: u64) -> PosixTimer:
    """The caller's timer id (EINVAL if it has none by that id)."""
    if i32(u32(id & 0xFFFFFFFF)) < 0:
        raise SysError(EINVAL)
    tm = timer_find(p, id & 0xFFFFFFFF)
    if tm is None:
        raise SysError(EINVAL)
    return tm


def sys_timer_settime(id: u64, flags: u64, new: u64, old: u64) -> u64:
    """timer_settime(2): arm (TIMER_ABSTIME: at an absolute time) or disarm; the old setting to old."""
    p = me()
    tm = timer_arg(p, id)
    if new == 0:
        raise SysError(EINVAL)
    interval = get_timespec_ns(p, new)
    value = get_timespec_ns(p, new + 16)
    if old != 0:
        put_itimerspec(p, old, tm.interval, tm.left())
    tm.arm(value, interval, (flags & TIMER_ABSTIME) != 0)
    return u64(0)


def sys_timer_gettime(id: u64, cur: u64) -> u64:
    """timer_gettime(2): the period and the time to the next expiration."""
    p = me()
    tm = timer_arg(p, id)
    put_itimerspec(p, cur, tm.interval, tm.left())
    return u64(0)


def syscall_timer_create(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of timer_create(2)."""
    return sys_timer_create(a0, a1, a2)


def syscall_timer_settime(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of timer_settime(2)."""
    return sys_timer_settime(a0, a1, a2, a3)


def syscall_timer_gettime(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of timer_gettime(2)."""
    return sys_timer_gettime(a0, a1)


def syscall_timer_getoverrun(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of timer_getoverrun(2): the overrun the timer's last signal carried."""
    return timer_arg(me(), a0).last_overrun


def syscall_timer_delete(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of timer_delete(2)."""
    timer_remove(timer_arg(me(), a0))
    return u64(0)


def syscall_gettimeofday(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of gettimeofday(2)."""
    return sys_gettimeofday(a0, a1)


def syscall_time(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of time(2)."""
    return sys_time(a0)


def syscall_clock_getres(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of clock_getres(2)."""
    return sys_clock_getres(a0, a1)


def syscall_times(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of times(2)."""
    return sys_times(a0)


def syscall_getrusage(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getrusage(2)."""
    return sys_getrusage(a0, a1)


def syscall_sysinfo(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sysinfo(2)."""
    return sys_sysinfo(a0)


def syscall_getitimer(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getitimer(2)."""
    return sys_getitimer(a0, a1)


def syscall_setitimer(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setitimer(2)."""
    return sys_setitimer(a0, a1, a2)


def syscall_alarm(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of alarm(2)."""
    return sys_alarm(a0)


def sys_clock_gettime(clk: u64, tp: u64) -> u64:
    """clock_gettime(2) from the kernel clock: EINVAL for an unknown clock, EFAULT for tp.
    The CPU-time clocks answer with the monotonic clock (no per-task accounting yet)."""
    now = monotonic_ns()
    if clk == CLOCK_REALTIME or clk == CLOCK_REALTIME_COARSE:
        now += ktime.realtime_base_ns
    elif (clk != CLOCK_MONOTONIC and clk != CLOCK_MONOTONIC_RAW and clk != CLOCK_MONOTONIC_COARSE
          and clk != CLOCK_BOOTTIME and clk != CLOCK_PROCESS_CPUTIME_ID and clk != CLOCK_THREAD_CPUTIME_ID):
        raise SysError(EINVAL)
    p = current_process()
    if p is None:
        raise SysError(ESRCH)
    p.check_user(tp, u64(16), True)
    p.put_u64(tp, now // NSEC_PER_SEC)
    p.put_u64(tp + 8, now % NSEC_PER_SEC)
    return u64(0)


def syscall_clock_gettime(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of clock_gettime(2)."""
    return sys_clock_gettime(a0, a1)


def sys_clock_settime(clk: u64, tp: u64) -> u64:
    """clock_settime(2): only CLOCK_REALTIME is settable (EINVAL otherwise and for a bad timespec,
    EFAULT for tp); the vDSO's vvar page follows at once."""
    if clk != CLOCK_REALTIME:
        raise SysError(EINVAL)
    p = me()
    sec = p.get_u64(tp)
    nsec = p.get_u64(tp + 8)
    if i64(sec) < 0 or nsec >= NSEC_PER_SEC:
        raise SysError(EINVAL)
    ktime.set_realtime_ns(sec * NSEC_PER_SEC + nsec)
    return u64(0)


def sys_settimeofday(tv: u64, tz: u64) -> u64:
    """settimeofday(2): set CLOCK_REALTIME from a timeval (EINVAL, EFAULT); the time zone is ignored."""
    if tv != 0:
        ktime.set_realtime_ns(timeval_ns(me(), tv))
    return u64(0)


def syscall_clock_settime(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of clock_settime(2)."""
    return sys_clock_settime(u64(i64(i32(u32(a0 & 0xFFFFFFFF)))), a1)


def syscall_settimeofday(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of settimeofday(2)."""
    return sys_settimeofday(a0, a1)
