"""eventfd and epoll syscalls. Table entries: `syscall_<name>`."""

from typing import Final

from asterpy.lang import SysError, i32, i64, u32, u64
from asterpy.lang.errno import EBADF, EINTR, EINVAL, EPERM
from asterpy.kernel.time import monotonic_ns
from asterpy.fs.epoll import EPOLLEXCLUSIVE, EPOLLONESHOT, EpollFile, entry_ready
from asterpy.fs.eventfd import EFD_SEMAPHORE, EventFile
from asterpy.fs.timerfd import CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME, TimerFile
from asterpy.fs.file import File
from asterpy.fs.inode import Inode
from asterpy.fs.mode import O_CLOEXEC, O_NONBLOCK, O_RDWR, S_IFDIR, S_IFREG
from asterpy.task.process import Process
from asterpy.task.signalfd import SignalFile
from asterpy.task.sched import INTERRUPTED, current_task, sched_sleep_until
from asterpy.kernel.wait import POLL_CHANNEL

EPOLL_CTL_ADD: Final = u64(1)
EPOLL_CTL_DEL: Final = u64(2)
EPOLL_CTL_MOD: Final = u64(3)
# struct epoll_event is packed on x86_64 (u32 events, u64 data: 12 bytes); 16 elsewhere.
EPOLL_EVENT_BYTES: Final = u64(12)
EP_MAX_EVENTS: Final = u64(0x7FFFFFFF) // EPOLL_EVENT_BYTES
NSEC_PER_MSEC: Final = u64(1000000)
SIGSET_BYTES: Final = u64(8)
UNBLOCKABLE: Final = u64((1 << 8) | (1 << 18))
NSEC_PER_SEC: Final = u64(1000000000)
TFD_TIMER_ABSTIME: Final = u64(1)
TFD_TIMER_CANCEL_ON_SET: Final = u64(2)


def me() -> Process:
    """The running process."""
    return current_task().proc


def fd_arg(a: u64) -> u64:
    """A descriptor argument (a C int): EBADF when negative."""
    if i32(u32(a & 0xFFFFFFFF)) < 0:
        raise SysError(EBADF)
    return a & 0xFFFFFFFF


def install(p: Process, f: File, cloexec: bool) -> u64:
    """Give f the lowest free descriptor."""
    return p.files.alloc(f, u64(0), cloexec)


def sys_eventfd2(initval: u64, flags: u64) -> u64:
    """eventfd2(2): EINVAL for unknown flags."""
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE)) != 0:
        raise SysError(EINVAL)
    f = EventFile(Inode(u32(0o600)), O_RDWR | (flags & O_NONBLOCK), initval & 0xFFFFFFFF,
                  (flags & EFD_SEMAPHORE) != 0)
    return install(me(), f, (flags & O_CLOEXEC) != 0)


def sys_timerfd_create(clock: u64, flags: u64) -> u64:
    """timerfd_create(2): EINVAL for an unknown clock or flags."""
    c = clock & 0xFFFFFFFF
    if c != CLOCK_REALTIME and c != CLOCK_MONOTONIC and c != CLOCK_BOOTTIME:
        raise SysError(EINVAL)
    if (flags & 0xFFFFFFFF & ~(O_CLOEXEC | O_NONBLOCK)) != 0:
        raise SysError(EINVAL)
    f = TimerFile(Inode(u32(0o600)), O_RDWR | (flags & O_NONBLOCK), c)
    return install(me(), f, (flags & O_CLOEXEC) != 0)


def timer_of(p: Process, fd: u64) -> TimerFile:
    """The timerfd of descriptor fd (EBADF, EINVAL if it is not one)."""
    f = p.files.get(fd_arg(fd))
    if isinstance(f, TimerFile):
        return f
    raise SysError(EINVAL)


def get_timespec_ns(p: Process, addr: u64) -> u64:
    """A struct timespec from user space in ns (EINVAL for a negative or bad one)."""
    sec = p.get_u64(addr)
    nsec = p.get_u64(addr + 8)
    if i64(sec) < 0 or nsec >= NSEC_PER_SEC:
        raise SysError(EINVAL)
    return sec * NSEC_PER_SEC + nsec


def put_itimerspec(p: Process, addr: u64, interval: u64, value: u64) -> None:
    """Store a struct itimerspec (interval, then value) at user addr."""
    p.check_user(addr, u64(32), True)
    p.put_u64(addr, interval // NSEC_PER_SEC)
    p.put_u64(addr + 8, interval % NSEC_PER_SEC)
    p.put_u64(addr + 16, value // NSEC_PER_SEC)
    p.put_u64(addr + 24, value % NSEC_PER_SEC)


def sys_timerfd_settime(fd: u64, flags: u64, new: u64, old: u64) -> u64:
    """timerfd_settime(2): arm or disarm; the old setting to old. TFD_TIMER_CANCEL_ON_SET is
    accepted (with TFD_TIMER_ABSTIME) but a clock change does not cancel the timer."""
    p = me()
    fl = flags & 0xFFFFFFFF
    if (fl & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) != 0:
        raise SysError(EINVAL)
    interval = get_timespec_ns(p, new)
    value = get_timespec_ns(p, new + 16)
    f = timer_of(p, fd)
    if old != 0:
        put_itimerspec(p, old, f.interval, f.left())
    f.arm(value, interval, (fl & TFD_TIMER_ABSTIME) != 0)
    return u64(0)


def sys_timerfd_gettime(fd: u64, cur: u64) -> u64:
    """timerfd_gettime(2): the period and the time to the next expiration."""
    p = me()
    f = timer_of(p, fd)
    left = f.left()
    put_itimerspec(p, cur, f.interval, left)
    return u64(0)


def sys_signalfd4(fd: u64, mask: u64, size: u64, flags: u64) -> u64:
    """signalfd4(2): a new signalfd (fd -1) or a new mask for an existing one; EINVAL for bad
    flags, a bad mask size or a descriptor that is no signalfd, EBADF, EFAULT."""
    if (flags & 0xFFFFFFFF & ~(O_CLOEXEC | O_NONBLOCK)) != 0:
        raise SysError(EINVAL)
    if size != SIGSET_BYTES:
        raise SysError(EINVAL)
    p = me()
    m = p.get_u64(mask)
    if (fd & 0xFFFFFFFF) == 0xFFFFFFFF:
        f = SignalFile(Inode(u32(0o600)), O_RDWR | (flags & O_NONBLOCK), m)
        return install(p, f, (flags & O_CLOEXEC) != 0)
    g = p.files.get(fd_arg(fd))
    if isinstance(g, SignalFile):
        g.set_mask(m)
        return fd & 0xFFFFFFFF
    raise SysError(EINVAL)


def sys_epoll_create1(flags: u64) -> u64:
    """epoll_create1(2): EINVAL for flags other than EPOLL_CLOEXEC."""
    if (flags & ~O_CLOEXEC) != 0:
        raise SysError(EINVAL)
    return install(me(), EpollFile(Inode(u32(0o600)), O_RDWR), (flags & O_CLOEXEC) != 0)


def epoll_of(p: Process, epfd: u64) -> EpollFile:
    """The epoll file of descriptor epfd (EBADF, EINVAL if it is not one)."""
    f = p.files.get(fd_arg(epfd))
    if isinstance(f, EpollFile):
        return f
    raise SysError(EINVAL)


def sys_epoll_ctl(epfd: u64, op: u64, fd: u64, event: u64) -> u64:
    """epoll_ctl(2): EBADF, EINVAL (not epoll, same fd, bad op or flags), EPERM for files that
    are always ready (regular files, directories), EEXIST/ENOENT, EFAULT."""
    p = me()
    p.files.get(fd_arg(epfd))
    f = p.files.get(fd_arg(fd))
    ep = epoll_of(p, epfd)
    if (fd & 0xFFFFFFFF) == (epfd & 0xFFFFFFFF) or f is ep:
        raise SysError(EINVAL)
    kind = f.inode.kind()
    if kind == S_IFREG or kind == S_IFDIR:
        raise SysError(EPERM)
    if op != EPOLL_CTL_ADD and op != EPOLL_CTL_DEL and op != EPOLL_CTL_MOD:
        raise SysError(EINVAL)
    events = u64(0)
    data = u64(0)
    if op != EPOLL_CTL_DEL:
        events = u64(p.get_u32(event))
        data = p.get_u64(event + 4)
        if (events & EPOLLEXCLUSIVE) != 0 and op == EPOLL_CTL_MOD:
            raise SysError(EINVAL)
    n = fd & 0xFFFFFFFF
    if op == EPOLL_CTL_ADD:
        ep.add(n, f, events, data)
    elif op == EPOLL_CTL_MOD:
        ep.modify(n, f, events, data)
    else:
        ep.remove(n, f)
    return u64(0)


def collect(p: Process, ep: EpollFile, events: u64, maxevents: u64) -> u64:
    """Write up to maxevents ready entries to the user array; how many."""
    n = u64(0)
    for e in ep.entries:
        if n >= maxevents:
            break
        r = entry_ready(e)
        if r == 0:
            continue
        at = events + n * EPOLL_EVENT_BYTES
        p.put_u32(at, r)
        p.put_u64(at + 4, e.data)
        if (e.events & EPOLLONESHOT) != 0:
            e.disabled = True
        n += 1
    return n


def sys_epoll_pwait(epfd: u64, events: u64, maxevents: u64, timeout_ns: i64, sigmask: u64,
                    sigsetsize: u64) -> u64:
    """epoll_pwait(2) with the timeout in ns (< 0: forever), optionally under a temporary mask."""
    p = me()
    ep = epoll_of(p, epfd)
    mx = i64(i32(u32(maxevents & 0xFFFFFFFF)))
    if mx <= 0 or u64(mx) > EP_MAX_EVENTS:
        raise SysError(EINVAL)
    p.check_user(events, u64(mx) * EPOLL_EVENT_BYTES, True)
    t = current_task()
    old_mask = t.sigmask
    if sigmask != 0:
        if sigsetsize != SIGSET_BYTES:
            raise SysError(EINVAL)
        t.sigmask = p.get_u64(sigmask) & ~UNBLOCKABLE
    deadline = u64(0)
    if timeout_ns > 0:
        deadline = monotonic_ns() + u64(timeout_ns)
    while True:
        n = collect(p, ep, events, u64(mx))
        if n != 0 or timeout_ns == 0 or (deadline != 0 and monotonic_ns() >= deadline):
            t.sigmask = old_mask
            return n
        if sched_sleep_until(POLL_CHANNEL, deadline) == INTERRUPTED:
            if sigmask != 0:
                # The handler runs under the temporary mask; the old one comes back after it.
                t.saved_sigmask = old_mask
                t.restore_sigmask = True
            raise SysError(EINTR)


def ms_timeout(a: u64) -> i64:
    """An epoll_wait timeout in ms (a C int; negative: forever) as ns."""
    ms = i64(i32(u32(a & 0xFFFFFFFF)))
    if ms < 0:
        return i64(-1)
    return ms * i64(NSEC_PER_MSEC)


def syscall_eventfd(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of eventfd(2)."""
    return sys_eventfd2(a0, u64(0))


def syscall_eventfd2(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of eventfd2(2)."""
    return sys_eventfd2(a0, a1)


def syscall_epoll_create(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of epoll_create(2)."""
    if i32(u32(a0 & 0xFFFFFFFF)) <= 0:
        raise SysError(EINVAL)
    return sys_epoll_create1(u64(0))


def syscall_epoll_create1(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of epoll_create1(2)."""
    return sys_epoll_create1(a0)


def syscall_epoll_ctl(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of epoll_ctl(2)."""
    return sys_epoll_ctl(a0, a1, a2, a3)


def syscall_epoll_wait(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of epoll_wait(2)."""
    return sys_epoll_pwait(a0, a1, a2, ms_timeout(a3), u64(0), u64(0))


def syscall_epoll_pwait(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of epoll_pwait(2)."""
    return sys_epoll_pwait(a0, a1, a2, ms_timeout(a3), a4, a5)


def syscall_epoll_pwait2(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of epoll_pwait2(2)."""
    ns = i64(-1)
    if a3 != 0:
        p = me()
        sec = p.get_u64(a3)
        nsec = p.get_u64(a3 + 8)
        if i64(sec) < 0 or nsec >= u64(1000000000):
            raise SysError(EINVAL)
        ns = i64(sec * u64(1000000000) + nsec)
    return sys_epoll_pwait(a0, a1, a2, ns, a4, a5)


def syscall_timerfd_create(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of timerfd_create(2)."""
    return sys_timerfd_create(a0, a1)


def syscall_timerfd_settime(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of timerfd_settime(2)."""
    return sys_timerfd_settime(a0, a1, a2, a3)


def syscall_timerfd_gettime(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of timerfd_gettime(2)."""
    return sys_timerfd_gettime(a0, a1)


def syscall_signalfd(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of signalfd(2)."""
    return sys_signalfd4(a0, a1, a2, u64(0))


def syscall_signalfd4(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of signalfd4(2)."""
    return sys_signalfd4(a0, a1, a2, a3)
