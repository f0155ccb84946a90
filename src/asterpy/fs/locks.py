"""Advisory file locks: flock(2) whole-file locks and fcntl(2) byte-range record locks (POSIX and OFD).

Every lock held is one `FileLock` in one table: its inode, its kind, its owner, its type (read or
write) and its byte range [start, end] (end inclusive; OFFSET_MAX: to the end of any file).

- flock locks belong to an open file description (every descriptor dup'ed or inherited from it);
  they go with its last close.
- POSIX record locks (F_SETLK/F_SETLKW) belong to a descriptor table (the process and its threads):
  closing *any* descriptor of the inode drops all of the table's locks on it, and so does exit.
- OFD record locks (F_OFD_SETLK/F_OFD_SETLKW) belong to an open file description, like flock, but
  share the byte ranges (and conflicts) with POSIX locks.

An open file description is named by a `LockOwner` it holds (made on its first lock; its drop hook
releases the locks), a descriptor table by the number it was given (`new_owner_id`). Locks of one
owner never conflict with each other: a new range replaces the owner's old ones where they
overlap, and ranges of one type that touch are merged (so F_GETLK reports what Linux reports).

A blocking request sleeps on the table's channel until some lock goes away, then looks again; a
signal ends it with EINTR. A POSIX request that would wait for an owner that (through the owners
it waits for) waits for the requester is EDEADLK.
"""

from typing import Final

from asterpy.lang import List, SysError, u64
from asterpy.lang.errno import EAGAIN, EDEADLK, EINTR
from asterpy.fs.inode import Inode
from asterpy.kernel.wait import new_wait_channel, sleep_on, wake_up

# Lock types (struct flock's l_type) and kinds.
F_RDLCK: Final = u64(0)
F_WRLCK: Final = u64(1)
F_UNLCK: Final = u64(2)
KIND_FLOCK: Final = u64(0)
KIND_POSIX: Final = u64(1)
KIND_OFD: Final = u64(2)
# The last byte a lock can cover (a range "to the end of the file").
OFFSET_MAX: Final = u64(0x7FFFFFFFFFFFFFFF)
# How far the deadlock check follows the waits-for chain.
DEADLOCK_DEPTH: Final = 64


class FileLock:
    """One lock held: inode, kind (KIND_*), owner number, type (F_RDLCK/F_WRLCK), [start, end], and
    the pid of the process that took it (what F_GETLK reports for a POSIX lock)."""

    inode: Inode
    kind: u64
    owner: u64
    typ: u64
    start: u64
    end: u64
    pid: u64

    def __init__(self, inode: Inode, kind: u64, owner: u64, typ: u64, start: u64, end: u64, pid: u64) -> None:
        """A lock with these attributes."""
        self.inode = inode
        self.kind = kind
        self.owner = owner
        self.typ = typ
        self.start = start
        self.end = end
        self.pid = pid


class Waiting:
    """A POSIX request asleep: owner `waiter` waits for a lock of owner `holder` (deadlock check)."""

    waiter: u64
    holder: u64

    def __init__(self, waiter: u64, holder: u64) -> None:
        """waiter waits for holder."""
        self.waiter = waiter
        self.holder = holder


class LockTable:
    """Every lock held, the POSIX requests asleep, and the channel they sleep on."""

    locks: List[FileLock]
    waiting: List[Waiting]
    chan: u64
    last_owner: u64

    def __init__(self) -> None:
        """No locks."""
        self.locks = []
        self.waiting = []
        self.chan = new_wait_channel()
        self.last_owner = u64(0)


table: LockTable | None = None


def lock_table() -> LockTable:
    """The one lock table."""
    global table
    t = table
    if t is None:
        t = LockTable()
        table = t
    return t


def new_owner_id() -> u64:
    """A fresh lock-owner number (never 0)."""
    t = lock_table()
    t.last_owner += 1
    return t.last_owner


class LockOwner:
    """What an open file description holds once it has taken a flock or OFD lock: its owner number.
    The description's last close drops it, and with it those locks."""

    id: u64

    def __init__(self) -> None:
        """A new owner."""
        self.id = new_owner_id()

    def __del__(self) -> None:
        """The open file description is gone: its flock and OFD locks go."""
        release_owner(self.id)


def same_space(a: u64, b: u64) -> bool:
    """Whether locks of kinds a and b can conflict: flock with flock, POSIX and OFD with each other."""
    return (a == KIND_FLOCK) == (b == KIND_FLOCK)


def conflicts(lk: FileLock, inode: Inode, kind: u64, owner: u64, typ: u64, start: u64, end: u64) -> bool:
    """Whether held lock lk stands in the way of owner taking typ on [start, end] of inode."""
    return (lk.inode is inode and same_space(lk.kind, kind) and lk.owner != owner and lk.start <= end
            and start <= lk.end and (lk.typ == F_WRLCK or typ == F_WRLCK))


def find_conflict(inode: Inode, kind: u64, owner: u64, typ: u64, start: u64, end: u64) -> FileLock | None:
    """The first held lock in the way of the request, or None."""
    for lk in lock_table().locks:
        if conflicts(lk, inode, kind, owner, typ, start, end):
            return lk
    return None


def waits_for_me(me: u64, holder: u64) -> bool:
    """Whether holder waits (directly or through others) for a lock of me: waiting would deadlock."""
    t = lock_table()
    at = holder
    for _ in range(DEADLOCK_DEPTH):
        nxt = u64(0)
        for w in t.waiting:
            if w.waiter == at:
                nxt = w.holder
                break
        if nxt == 0:
            return False
        if nxt == me:
            return True
        at = nxt
    return False


def stop_waiting(owner: u64) -> None:
    """Forget owner's entry in the waits-for list."""
    t = lock_table()
    i = 0
    while i < len(t.waiting):
        if t.waiting[i].waiter == owner:
            t.waiting.pop(i)
        else:
            i += 1


def remove_range(inode: Inode, kind: u64, owner: u64, start: u64, end: u64) -> bool:
    """Take [start, end] out of owner's locks of this kind on inode (splitting a lock that sticks out
    on both sides); whether anything was removed."""
    t = lock_table()
    changed = False
    i = 0
    while i < len(t.locks):
        lk = t.locks[i]
        if lk.inode is not inode or lk.kind != kind or lk.owner != owner or lk.end < start or end < lk.start:
            i += 1
            continue
        changed = True
        if lk.start < start and end < lk.end:
            t.locks.append(FileLock(inode, kind, owner, lk.typ, end + 1, lk.end, lk.pid))
            lk.end = start - 1
            i += 1
        elif lk.start < start:
            lk.end = start - 1
            i += 1
        elif end < lk.end:
            lk.start = end + 1
            i += 1
        else:
            t.locks.pop(i)
    return changed


def add_merged(inode: Inode, kind: u64, owner: u64, typ: u64, start: u64, end: u64, pid: u64) -> None:
    """Record owner's lock typ on [start, end] (free of its own locks), merged with its locks of the
    same type that touch the range."""
    t = lock_table()
    i = 0
    while i < len(t.locks):
        lk = t.locks[i]
        touches = (lk.end == OFFSET_MAX or lk.end + 1 >= start) and (end == OFFSET_MAX or end + 1 >= lk.start)
        if lk.inode is inode and lk.kind == kind and lk.owner == owner and lk.typ == typ and touches:
            if lk.start < start:
                start = lk.start
            if lk.end > end:
                end = lk.end
            t.locks.pop(i)
        else:
            i += 1
    t.locks.append(FileLock(inode, kind, owner, typ, start, end, pid))


def set_lock(inode: Inode, kind: u64, owner: u64, typ: u64, start: u64, end: u64, pid: u64, wait: bool) -> None:
    """Take (or with F_UNLCK drop) owner's lock typ on [start, end] of inode: EAGAIN if another
    owner's lock is in the way and not wait; else sleep until it goes (EINTR on a signal, EDEADLK
    for a POSIX request that would never be granted)."""
    t = lock_table()
    if typ == F_UNLCK:
        if remove_range(inode, kind, owner, start, end):
            wake_up(t.chan)
        return
    while True:
        lk = find_conflict(inode, kind, owner, typ, start, end)
        if lk is None:
            break
        if not wait:
            raise SysError(EAGAIN)
        if kind == KIND_POSIX and waits_for_me(owner, lk.owner):
            raise SysError(EDEADLK)
        if kind == KIND_POSIX:
            t.waiting.append(Waiting(owner, lk.owner))
        woke = sleep_on(t.chan)
        if kind == KIND_POSIX:
            stop_waiting(owner)
        if not woke:
            raise SysError(EINTR)
    # Changing a lock's type can only let others in (write to read): wake them to look again.
    if remove_range(inode, kind, owner, start, end):
        wake_up(t.chan)
    add_merged(inode, kind, owner, typ, start, end, pid)


def release_where(inode: Inode | None, kind: u64, owner: u64) -> None:
    """Drop every lock of owner of this kind (KIND_FLOCK also takes KIND_OFD: an open file
    description's own locks), on inode or (None) on every inode."""
    t = table
    if t is None or len(t.locks) == 0:
        return
    changed = False
    i = 0
    while i < len(t.locks):
        lk = t.locks[i]
        kind_ok = lk.kind == kind or (kind == KIND_FLOCK and lk.kind == KIND_OFD)
        if lk.owner == owner and kind_ok and (inode is None or lk.inode is inode):
            t.locks.pop(i)
            changed = True
        else:
            i += 1
    if changed:
        wake_up(t.chan)


def release_owner(owner: u64) -> None:
    """An open file description's last close: its flock and OFD locks go."""
    release_where(None, KIND_FLOCK, owner)


def posix_close(owner: u64, inode: Inode) -> None:
    """A descriptor of inode closed in the table owner: all its POSIX locks on inode go."""
    release_where(inode, KIND_POSIX, owner)


def posix_exit(owner: u64) -> None:
    """The descriptor table owner is gone: all its POSIX locks go."""
    release_where(None, KIND_POSIX, owner)


def flock_file(inode: Inode, owner: u64, typ: u64, wait: bool) -> None:
    """flock(2) for the open file description owner: as on Linux, a conversion first drops the lock
    it holds (so a failed LOCK_NB conversion leaves none), then takes the new one."""
    t = lock_table()
    for lk in t.locks:
        if lk.inode is inode and lk.kind == KIND_FLOCK and lk.owner == owner:
            if lk.typ == typ:
                return
            remove_range(inode, KIND_FLOCK, owner, u64(0), OFFSET_MAX)
            wake_up(t.chan)
            break
    set_lock(inode, KIND_FLOCK, owner, typ, u64(0), OFFSET_MAX, u64(0), wait)
