"""futex(2): sleeping on a user-space word (what pthread mutexes, condition variables and joins use).

A futex word is named by a pair (space, word). A FUTEX_PRIVATE_FLAG operation, or one on a private
mapping, names it by the address space (its root table) and the user address: threads of one process
meet there. An operation without the flag on a MAP_SHARED area names it by the page it lives in
(space 0, word = the direct-map address of the word): the area's pages are its file's page-cache
pages (shared anonymous memory is an unnamed file), the same frames in every process that maps them,
so processes meet on it whatever address each mapped it at (LTP's checkpoints, process-shared
mutexes). A waiter sleeps on a wait channel derived from the pair; wakes count exact pair matches
only (two pairs may share a channel number: such a waiter wakes spuriously, which futex users must
tolerate anyway, but is not counted).
"""

from typing import Final

from asterpy.lang import SysError, u32, u64
from asterpy.lang.errno import EAGAIN, EINTR, EINVAL, ENOSYS, ETIMEDOUT
from asterpy.task.process import Process
from asterpy.task.sched import INTERRUPTED, TIMED_OUT, current_task, sched_sleep_until, the_tables
from asterpy.task.task import SLEEPING, RUNNABLE

FUTEX_WAIT: Final = u64(0)
FUTEX_WAKE: Final = u64(1)
FUTEX_REQUEUE: Final = u64(3)
FUTEX_CMP_REQUEUE: Final = u64(4)
FUTEX_WAKE_OP: Final = u64(5)
FUTEX_WAIT_BITSET: Final = u64(9)
FUTEX_WAKE_BITSET: Final = u64(10)
FUTEX_PRIVATE_FLAG: Final = u64(128)
FUTEX_CLOCK_REALTIME: Final = u64(256)
FUTEX_BITSET_MATCH_ANY: Final = u64(0xFFFFFFFF)
# Channels at and above this bit are futex keys (wait.py hands out small numbers).
KEY_BIT: Final = u64(1) << 63


def futex_space(p: Process, addr: u64, private: bool) -> u64:
    """The space half of the futex pair of the word at addr: p's root table, or 0 for a word of a
    MAP_SHARED area named by its page (a non-private operation)."""
    if not private:
        v = p.vmas.find(addr)
        if v is not None and v.shared():
            return u64(0)
    return p.space.root


def futex_word(p: Process, addr: u64, space: u64) -> u64:
    """The word half of the pair: addr, or for a shared one the word's direct-map address (the page
    is faulted in; EFAULT if unmapped)."""
    if space != 0:
        return addr
    # An aligned word never straddles pages: one piece, whose kernel address names the word.
    piece = p.user_chunks(addr, u64(4), False)
    piece.next()
    return piece.kaddr


def futex_key(space: u64, word: u64) -> u64:
    """The wait channel of the futex pair (space, word)."""
    return KEY_BIT | (((space >> 12) << 47) ^ (word & ((u64(1) << 47) - 1)))


def futex_wait(p: Process, addr: u64, val: u32, deadline_ns: u64, bitset: u64, private: bool) -> u64:
    """FUTEX_WAIT: sleep while *addr == val until woken (0), the deadline (ETIMEDOUT) or a signal (EINTR)."""
    if (addr & 3) != 0 or bitset == 0:
        raise SysError(EINVAL)
    if p.get_u32(addr) != val:
        raise SysError(EAGAIN)
    space = futex_space(p, addr, private)
    word = futex_word(p, addr, space)
    t = current_task()
    t.futex_space = space
    t.futex_addr = word
    t.futex_bitset = bitset
    r = sched_sleep_until(futex_key(space, word), deadline_ns)
    t.futex_addr = u64(0)
    if r == INTERRUPTED:
        raise SysError(EINTR)
    if r == TIMED_OUT:
        raise SysError(ETIMEDOUT)
    return u64(0)


def futex_wake_addr(p: Process, addr: u64, n: u64, private: bool) -> u64:
    """Wake up to n waiters on the word at addr (any bitset); how many woke."""
    return futex_wake_bits(p, addr, n, FUTEX_BITSET_MATCH_ANY, private)


def futex_wake_bits(p: Process, addr: u64, n: u64, bitset: u64, private: bool) -> u64:
    """Wake up to n waiters on addr whose bitset shares a bit with bitset; how many woke."""
    if (addr & 3) != 0 or bitset == 0:
        raise SysError(EINVAL)
    space = futex_space(p, addr, private)
    word = futex_word(p, addr, space)
    key = futex_key(space, word)
    woken = u64(0)
    for t in the_tables().tasks:
        if woken >= n:
            break
        if (t.state == SLEEPING and t.chan == key and t.futex_addr == word and t.futex_space == space
                and (t.futex_bitset & bitset) != 0):
            t.state = RUNNABLE
            woken += 1
    return woken


def futex_requeue(p: Process, addr: u64, n_wake: u64, addr2: u64, n_move: u64, private: bool) -> u64:
    """Wake n_wake waiters of addr and move up to n_move others to wait on addr2; woken + moved."""
    if (addr2 & 3) != 0:
        raise SysError(EINVAL)
    woken = futex_wake_addr(p, addr, n_wake, private)
    space = futex_space(p, addr, private)
    word = futex_word(p, addr, space)
    space2 = futex_space(p, addr2, private)
    word2 = futex_word(p, addr2, space2)
    key = futex_key(space, word)
    key2 = futex_key(space2, word2)
    moved = u64(0)
    for t in the_tables().tasks:
        if moved >= n_move:
            break
        if t.state == SLEEPING and t.chan == key and t.futex_addr == word and t.futex_space == space:
            t.chan = key2
            t.futex_space = space2
            t.futex_addr = word2
            moved += 1
    return woken + moved


def sys_futex(p: Process, addr: u64, op: u64, val: u64, timeout_deadline_ns: u64, addr2: u64, val3: u64) -> u64:
    """futex(2) without the timeout decoding (the syscall layer turns the timespec into a deadline)."""
    cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    private = (op & FUTEX_PRIVATE_FLAG) != 0
    if cmd == FUTEX_WAIT:
        return futex_wait(p, addr, u32(val), timeout_deadline_ns, FUTEX_BITSET_MATCH_ANY, private)
    if cmd == FUTEX_WAIT_BITSET:
        return futex_wait(p, addr, u32(val), timeout_deadline_ns, val3 & 0xFFFFFFFF, private)
    if cmd == FUTEX_WAKE:
        return futex_wake_addr(p, addr, val, private)
    if cmd == FUTEX_WAKE_BITSET:
        return futex_wake_bits(p, addr, val, val3 & 0xFFFFFFFF, private)
    if cmd == FUTEX_REQUEUE or cmd == FUTEX_CMP_REQUEUE:
        # The counts are C ints: negative ones are refused.
        if (val & 0x80000000) != 0 or (timeout_deadline_ns & 0x80000000) != 0:
            raise SysError(EINVAL)
        val = val & 0xFFFFFFFF
        timeout_deadline_ns = timeout_deadline_ns & 0xFFFFFFFF
        if cmd == FUTEX_CMP_REQUEUE and p.get_u32(addr) != u32(val3):
            raise SysError(EAGAIN)
        # For the requeue ops the "timeout" argument is the count to move.
        return futex_requeue(p, addr, val, addr2, timeout_deadline_ns, private)
    raise SysError(ENOSYS)


# The robust-futex list (set_robust_list): a thread's held locks, walked when it exits so that
# waiters learn the owner died. The head is { list, futex_offset, list_op_pending }; each entry
# points to the next (the last back to the head; bit 0 marks a PI lock), and the lock word of an
# entry sits futex_offset bytes from it.
FUTEX_WAITERS: Final = u32(0x80000000)
FUTEX_OWNER_DIED: Final = u32(0x40000000)
FUTEX_TID_MASK: Final = u32(0x3FFFFFFF)
# Linux's ROBUST_LIST_LIMIT: a longer (or circular) list is not followed further.
ROBUST_LIST_LIMIT: Final = u64(2048)


def robust_release(p: Process, entry: u64, offset: u64, tid: u64) -> None:
    """The lock word of entry, if it is held by tid: mark it OWNER_DIED (waiters bit kept) and
    wake one waiter if there are any."""
    addr = entry + offset
    if (addr & 3) != 0:
        return
    word = p.get_u32(addr)
    if u64(word & FUTEX_TID_MASK) != tid:
        return
    p.put_u32(addr, (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED)
    if (word & FUTEX_WAITERS) != 0:
        futex_wake_addr(p, addr, u64(1), False)  # a shared wake, as Linux does for robust lists


def robust_list_exit(p: Process, head: u64, tid: u64) -> None:
    """Walk the robust list at user address head of the exiting thread tid (faults end the walk)."""
    try:
        entry = p.get_u64(head) & ~u64(1)
        offset = p.get_u64(head + 8)
        pending = p.get_u64(head + 16) & ~u64(1)
        n = u64(0)
        while entry != head and entry != 0 and n < ROBUST_LIST_LIMIT:
            nxt = p.get_u64(entry) & ~u64(1)
            # The entry being added or removed is handled last (it may or may not be linked).
            if entry != pending:
                robust_release(p, entry, offset, tid)
            entry = nxt
            n += 1
        if pending != 0:
            robust_release(p, pending, offset, tid)
    except SysError:
        pass
