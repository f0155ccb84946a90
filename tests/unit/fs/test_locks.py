"""Advisory locks (asterpy.fs.locks, syscall/fs_lock.py): flock and OFD locks between open file
descriptions of one process, F_GETLK's report, ranges split and merged per owner, release on the
last close and on any close (POSIX), and the argument checks."""

import struct
from typing import Iterator

import pytest

from asterpy.fs import locks
from asterpy.fs.inode import RegInode
from asterpy.lang import SysError, u32, u64
from asterpy.lang.errno import EAGAIN, EBADF, EINVAL, EOVERFLOW

from fs_sim import Sys, fs_world, sysc  # noqa: F401

O_RDONLY, O_RDWR, O_CREAT = 0, 2, 0o100
LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN = 1, 2, 4, 8
F_GETLK, F_SETLK, F_OFD_GETLK, F_OFD_SETLK = 5, 6, 36, 37
F_RDLCK, F_WRLCK, F_UNLCK = 0, 1, 2
OFFSET_MAX = (1 << 63) - 1


@pytest.fixture(autouse=True)
def fresh_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no locks."""
    monkeypatch.setattr(locks, "table", None)
    yield


def flock_arg(s: Sys, typ: int, start: int, length: int, whence: int = 0, pid: int = 0) -> int:
    """A struct flock in user memory."""
    return s.put(struct.pack("<hh4xqqi4x", typ, whence, start, length, pid))


def read_flock(s: Sys, a: int) -> tuple:
    """(type, whence, start, len, pid) of the struct flock at a."""
    return struct.unpack("<hh4xqqi4x", s.read(a, 32))


def test_flock_between_descriptions(sysc: Sys) -> None:
    """Two opens conflict; a dup shares; a conversion drops first; the last close releases."""
    a = sysc.open(b"/f", O_RDWR | O_CREAT)
    b = sysc.open(b"/f", O_RDWR)
    assert sysc.call("flock", a, LOCK_EX) == 0
    assert sysc.call("flock", b, LOCK_SH | LOCK_NB) == -EAGAIN
    d = sysc.call("dup", a)
    assert sysc.call("flock", d, LOCK_EX | LOCK_NB) == 0
    assert sysc.call("flock", a, LOCK_SH) == 0
    assert sysc.call("flock", b, LOCK_SH | LOCK_NB) == 0
    # Upgrading beside another shared lock fails, and (as on Linux) leaves a without its lock.
    assert sysc.call("flock", a, LOCK_EX | LOCK_NB) == -EAGAIN
    assert sysc.call("flock", b, LOCK_UN) == 0
    assert sysc.call("flock", b, LOCK_EX | LOCK_NB) == 0
    assert sysc.call("flock", b, LOCK_UN) == 0
    assert sysc.call("flock", a, LOCK_EX | LOCK_NB) == 0
    sysc.call("close", a)
    assert sysc.call("flock", b, LOCK_EX | LOCK_NB) == -EAGAIN
    sysc.call("close", d)
    assert sysc.call("flock", b, LOCK_EX | LOCK_NB) == 0
    assert sysc.call("flock", b, 0) == -EINVAL
    assert sysc.call("flock", 99, LOCK_SH) == -EBADF


def test_ofd_and_posix_locks(sysc: Sys) -> None:
    """OFD locks conflict between descriptions and with the process's POSIX locks; F_OFD_GETLK
    reports the range and pid -1; POSIX locks of one process never conflict with each other."""
    a = sysc.open(b"/g", O_RDWR | O_CREAT)
    b = sysc.open(b"/g", O_RDWR)
    assert sysc.call("fcntl", a, F_OFD_SETLK, flock_arg(sysc, F_WRLCK, 10, 10)) == 0
    assert sysc.call("fcntl", b, F_OFD_SETLK, flock_arg(sysc, F_RDLCK, 15, 1)) == -EAGAIN
    assert sysc.call("fcntl", b, F_SETLK, flock_arg(sysc, F_RDLCK, 15, 1)) == -EAGAIN
    q = flock_arg(sysc, F_WRLCK, 0, 0)
    assert sysc.call("fcntl", b, F_OFD_GETLK, q) == 0
    assert read_flock(sysc, q) == (F_WRLCK, 0, 10, 10, -1)
    assert sysc.call("fcntl", b, F_OFD_SETLK, flock_arg(sysc, F_RDLCK, 0, 1, pid=5)) == -EINVAL
    # POSIX locks: one owner per process, so b's and a's never conflict.
    assert sysc.call("fcntl", b, F_SETLK, flock_arg(sysc, F_WRLCK, 100, 10)) == 0
    assert sysc.call("fcntl", a, F_SETLK, flock_arg(sysc, F_WRLCK, 105, 10)) == 0
    q = flock_arg(sysc, F_WRLCK, 100, 0)
    assert sysc.call("fcntl", a, F_GETLK, q) == 0
    assert read_flock(sysc, q)[0] == F_UNLCK
    # Closing the description drops its OFD lock.
    sysc.call("close", a)
    assert sysc.call("fcntl", b, F_OFD_SETLK, flock_arg(sysc, F_WRLCK, 10, 10)) == 0


def test_argument_checks(sysc: Sys) -> None:
    """Bad whence, type or range: EINVAL; past the largest offset: EOVERFLOW; wrong access: EBADF."""
    fd = sysc.open(b"/h", O_RDWR | O_CREAT)
    ro = sysc.open(b"/h", O_RDONLY)
    assert sysc.call("fcntl", fd, F_SETLK, flock_arg(sysc, F_WRLCK, 0, 1, whence=3)) == -EINVAL
    assert sysc.call("fcntl", fd, F_SETLK, flock_arg(sysc, 9, 0, 1)) == -EINVAL
    assert sysc.call("fcntl", fd, F_SETLK, flock_arg(sysc, F_WRLCK, -1, 1)) == -EINVAL
    assert sysc.call("fcntl", fd, F_SETLK, flock_arg(sysc, F_WRLCK, 5, -6)) == -EINVAL
    assert sysc.call("fcntl", fd, F_SETLK, flock_arg(sysc, F_WRLCK, OFFSET_MAX, 2)) == -EOVERFLOW
    assert sysc.call("fcntl", fd, F_GETLK, flock_arg(sysc, F_UNLCK, 0, 1)) == -EINVAL
    assert sysc.call("fcntl", ro, F_SETLK, flock_arg(sysc, F_WRLCK, 0, 1)) == -EBADF
    assert sysc.call("fcntl", ro, F_SETLK, flock_arg(sysc, F_RDLCK, 0, 1)) == 0
    assert sysc.call("fcntl", ro, F_SETLK, flock_arg(sysc, F_UNLCK, 0, 1)) == 0
    # A negative length counts back from start: [2, 5).
    assert sysc.call("fcntl", fd, F_SETLK, flock_arg(sysc, F_WRLCK, 5, -3)) == 0
    ranges = [(lk.start, lk.end) for lk in locks.lock_table().locks]
    assert ranges == [(2, 4)]


def test_split_merge_and_release() -> None:
    """Unlocking inside a range splits it; touching ranges of one type merge; a conflict answers
    EAGAIN; posix_close drops only the owner's locks on that inode."""
    ino = RegInode(u32(0o644))
    other = RegInode(u32(0o644))
    me, them = locks.new_owner_id(), locks.new_owner_id()
    P = locks.KIND_POSIX

    def mine() -> list:
        return sorted((int(lk.start), int(lk.end), int(lk.typ)) for lk in locks.lock_table().locks
                      if lk.owner == me and lk.inode is ino)

    locks.set_lock(ino, P, me, u64(F_WRLCK), u64(0), u64(99), u64(7), False)
    locks.set_lock(ino, P, me, u64(F_UNLCK), u64(40), u64(59), u64(7), False)
    assert mine() == [(0, 39, F_WRLCK), (60, 99, F_WRLCK)]
    locks.set_lock(ino, P, me, u64(F_RDLCK), u64(30), u64(69), u64(7), False)
    assert mine() == [(0, 29, F_WRLCK), (30, 69, F_RDLCK), (70, 99, F_WRLCK)]
    locks.set_lock(ino, P, me, u64(F_WRLCK), u64(30), u64(69), u64(7), False)
    assert mine() == [(0, 99, F_WRLCK)]
    locks.set_lock(ino, P, them, u64(F_RDLCK), u64(100), u64(200), u64(8), False)
    with pytest.raises(SysError) as e:
        locks.set_lock(ino, P, them, u64(F_RDLCK), u64(99), u64(99), u64(8), False)
    assert e.value.errno == EAGAIN
    locks.set_lock(other, P, me, u64(F_WRLCK), u64(0), u64(OFFSET_MAX), u64(7), False)
    locks.posix_close(me, ino)
    assert mine() == []
    assert len(locks.lock_table().locks) == 2     # theirs, and mine on the other inode
    locks.posix_exit(me)
    assert len(locks.lock_table().locks) == 1
