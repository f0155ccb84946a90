"""poll, ppoll, select and pselect6: ask every file its poll_mask, sleep on POLL_CHANNEL until one changes.

Every wake_up in the kernel also wakes POLL_CHANNEL, so a sleeping poller re-checks all its files
whenever anything happens; timeouts use sleep_until on the monotonic clock. The signal mask
arguments of ppoll and pselect6 are read for EFAULT/EINVAL but not applied yet (no signal
delivery changes while sleeping), so a signal they would block still interrupts the wait.
"""

from typing import Final

from asterpy.lang import List, SysError, i32, i64, u8, u16, u64
from asterpy.lang.errno import EBADF, EINTR, EINVAL
from asterpy.fs.abi import POLLFD_SIZE
from asterpy.fs.fdtable import NOFILE_HARD_MAX
from asterpy.fs.file import POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM
from asterpy.kernel.time import monotonic_ns
from asterpy.syscall.fs_common import proc
from asterpy.task.process import Process
from asterpy.kernel.wait import INTERRUPTED, POLL_CHANNEL, TIMED_OUT, sleep_on, sleep_until

NS: Final = u64(1000000000)
FOREVER: Final = u64(0xFFFFFFFFFFFFFFFF)
SIGSET_SIZE: Final = u64(8)
# select's readiness classes, as Linux defines them from the poll bits.
SEL_IN: Final = POLLIN | POLLRDNORM | POLLHUP | POLLERR
SEL_OUT: Final = POLLOUT | POLLWRNORM | POLLERR
SEL_EX: Final = POLLPRI


def deadline_after(ns: u64) -> u64:
    """The monotonic time ns from now (FOREVER if it would overflow)."""
    now = monotonic_ns()
    if ns >= FOREVER - now:
        return FOREVER
    return now + ns


def wait_more(deadline: u64) -> bool:
    """Sleep until something wakes POLL_CHANNEL: True to scan again, False once deadline passed;
    EINTR when a signal is pending."""
    if deadline == 0:
        return False
    if deadline == FOREVER:
        if not sleep_on(POLL_CHANNEL):
            raise SysError(EINTR)
        return True
    r = sleep_until(POLL_CHANNEL, deadline)
    if r == INTERRUPTED:
        raise SysError(EINTR)
    return r != TIMED_OUT


def mask_of(p: Process, fd: u64) -> u64:
    """The poll bits of descriptor fd now (POLLNVAL if it is not open)."""
    if not p.files.is_open(fd):
        return POLLNVAL
    return p.files.get(fd).poll_mask()


def poll_scan(p: Process, fds: u64, nfds: u64) -> u64:
    """One pass over the pollfd array: store each revents; how many are non-zero."""
    ready = u64(0)
    for i in range(u64(0), nfds):
        a = fds + i * POLLFD_SIZE
        w = p.get_u64(a)
        fd = i32(w)
        events = u64(u16(w >> 32))
        rev = u64(0)
        if fd >= 0:
            rev = mask_of(p, u64(fd)) & (events | POLLERR | POLLHUP | POLLNVAL)
        p.put_byte(a + 6, u8(rev))
        p.put_byte(a + 7, u8(rev >> 8))
        if rev != 0:
            ready += 1
    return ready


def do_poll(fds: u64, nfds: u64, deadline: u64) -> u64:
    """poll with an absolute deadline (0: do not wait, FOREVER: no timeout)."""
    p = proc()
    if nfds > p.files.limit:
        raise SysError(EINVAL)
    p.check_user(fds, nfds * POLLFD_SIZE, True)
    while True:
        n = poll_scan(p, fds, nfds)
        if n != 0:
            return n
        if not wait_more(deadline):
            return poll_scan(p, fds, nfds)


def sys_poll(fds: u64, nfds: u64, timeout_ms: u64) -> u64:
    """poll(2): a negative timeout waits forever, 0 does not wait."""
    t = i32(timeout_ms)
    deadline = FOREVER
    if t == 0:
        deadline = u64(0)
    elif t > 0:
        deadline = deadline_after(u64(t) * 1000000)
    return do_poll(fds, nfds, deadline)


def timespec_deadline(p: Process, ts: u64) -> u64:
    """The deadline of a relative timespec argument (NULL: forever; zero: do not wait; EINVAL)."""
    if ts == 0:
        return FOREVER
    sec = p.get_u64(ts)
    nsec = p.get_u64(ts + 8)
    if i64(sec) < 0 or nsec >= NS:
        raise SysError(EINVAL)
    if sec == 0 and nsec == 0:
        return u64(0)
    if sec >= FOREVER // NS:
        return FOREVER
    return deadline_after(sec * NS + nsec)


def check_sigmask(p: Process, mask: u64, size: u64) -> None:
    """Validate ppoll's signal mask argument (EINVAL for a wrong size, EFAULT); not applied."""
    if mask != 0:
        if size != SIGSET_SIZE:
            raise SysError(EINVAL)
        p.get_u64(mask)


def put_remaining(p: Process, addr: u64, deadline: u64, micro: bool) -> None:
    """Store the time left until deadline (0 once passed) in the timespec (or timeval when micro)
    at addr, as Linux does for select, pselect6 and ppoll; nothing for no timeout."""
    if addr == 0 or deadline == FOREVER:
        return
    now = monotonic_ns()
    left = u64(0)
    if deadline > now:
        left = deadline - now
    p.put_u64(addr, left // NS)
    if micro:
        p.put_u64(addr + 8, (left % NS) // 1000)
    else:
        p.put_u64(addr + 8, left % NS)


def sys_ppoll(fds: u64, nfds: u64, ts: u64, sigmask: u64, size: u64) -> u64:
    """ppoll(2) (the signal mask is not applied yet, see the module docstring); the timespec is
    updated to the time left."""
    p = proc()
    deadline = timespec_deadline(p, ts)
    check_sigmask(p, sigmask, size)
    try:
        n = do_poll(fds, nfds, deadline)
    except SysError as e:
        if e.errno == EINTR:
            put_remaining(p, ts, deadline, False)
        raise SysError(e.errno)
    put_remaining(p, ts, deadline, False)
    return n


class FdSets:
    """select's three fd_set bitmaps, read from user memory (words of 64 descriptors)."""

    rd: List[u64]
    wr: List[u64]
    ex: List[u64]

    def __init__(self) -> None:
        """Empty sets."""
        self.rd = []
        self.wr = []
        self.ex = []


def read_set(p: Process, addr: u64, words: u64, out: List[u64]) -> None:
    """Read `words` 64-bit words of an fd_set at addr (NULL: all zero)."""
    for i in range(u64(0), words):
        if addr == 0:
            out.append(u64(0))
        else:
            out.append(p.get_u64(addr + 8 * i))


def write_set(p: Process, addr: u64, words: List[u64]) -> None:
    """Write an fd_set back (nothing for NULL)."""
    if addr == 0:
        return
    for i in range(0, len(words)):
        p.put_u64(addr + 8 * u64(i), words[i])


def select_scan(p: Process, nfds: u64, s: FdSets, ro: List[u64], wo: List[u64], eo: List[u64]) -> u64:
    """One pass: the ready bits of each set into ro/wo/eo; the number of bits set (EBADF)."""
    n = u64(0)
    for w in range(0, len(s.rd)):
        ro[w] = u64(0)
        wo[w] = u64(0)
        eo[w] = u64(0)
        want = s.rd[w] | s.wr[w] | s.ex[w]
        if want == 0:
            continue
        for b in range(u64(0), u64(64)):
            fd = u64(w) * 64 + b
            bit = u64(1) << b
            if fd >= nfds or (want & bit) == 0:
                continue
            if not p.files.is_open(fd):
                raise SysError(EBADF)
            m = p.files.get(fd).poll_mask()
            if (s.rd[w] & bit) != 0 and (m & SEL_IN) != 0:
                ro[w] |= bit
                n += 1
            if (s.wr[w] & bit) != 0 and (m & SEL_OUT) != 0:
                wo[w] |= bit
                n += 1
            if (s.ex[w] & bit) != 0 and (m & SEL_EX) != 0:
                eo[w] |= bit
                n += 1
    return n


def do_select(nfds: u64, rset: u64, wset: u64, eset: u64, deadline: u64) -> u64:
    """select with an absolute deadline: the sets rewritten to the ready descriptors; their count."""
    if i32(nfds) < 0:
        raise SysError(EINVAL)
    nfds = u64(i32(nfds))
    p = proc()
    if nfds > NOFILE_HARD_MAX:
        nfds = NOFILE_HARD_MAX
    words = (nfds + 63) // 64
    s = FdSets()
    read_set(p, rset, words, s.rd)
    read_set(p, wset, words, s.wr)
    read_set(p, eset, words, s.ex)
    # Only the first nfds bits count; the rest of the last word is cleared.
    if (nfds & 63) != 0 and words > 0:
        keep = (u64(1) << (nfds & 63)) - 1
        s.rd[words - 1] &= keep
        s.wr[words - 1] &= keep
        s.ex[words - 1] &= keep
    ro: List[u64] = []
    wo: List[u64] = []
    eo: List[u64] = []
    for _ in range(u64(0), words):
        ro.append(u64(0))
        wo.append(u64(0))
        eo.append(u64(0))
    while True:
        n = select_scan(p, nfds, s, ro, wo, eo)
        if n != 0 or not wait_more(deadline):
            if n == 0:
                n = select_scan(p, nfds, s, ro, wo, eo)
            write_set(p, rset, ro)
            write_set(p, wset, wo)
            write_set(p, eset, eo)
            return n


def sys_select(nfds: u64, rset: u64, wset: u64, eset: u64, tv: u64) -> u64:
    """select(2): a timeval timeout (NULL waits forever); EINVAL for a bad one."""
    p = proc()
    deadline = FOREVER
    if tv != 0:
        sec = p.get_u64(tv)
        usec = p.get_u64(tv + 8)
        if i64(sec) < 0 or usec >= 1000000:
            raise SysError(EINVAL)
        if sec == 0 and usec == 0:
            deadline = u64(0)
        elif sec < FOREVER // NS:
            deadline = deadline_after(sec * NS + usec * 1000)
    return select_and_report(p, nfds, rset, wset, eset, deadline, tv, True)


def select_and_report(p: Process, nfds: u64, rset: u64, wset: u64, eset: u64, deadline: u64, tp: u64,
                      micro: bool) -> u64:
    """do_select, then the time left written back to the timeout (also after EINTR)."""
    try:
        n = do_select(nfds, rset, wset, eset, deadline)
    except SysError as e:
        if e.errno == EINTR:
            put_remaining(p, tp, deadline, micro)
        raise SysError(e.errno)
    put_remaining(p, tp, deadline, micro)
    return n


def sys_pselect6(nfds: u64, rset: u64, wset: u64, eset: u64, ts: u64, sig: u64) -> u64:
    """pselect6(2): a timespec timeout; the {sigset*, size} pair is validated, not applied."""
    p = proc()
    deadline = timespec_deadline(p, ts)
    if sig != 0:
        check_sigmask(p, p.get_u64(sig), p.get_u64(sig + 8))
    return select_and_report(p, nfds, rset, wset, eset, deadline, ts, False)

