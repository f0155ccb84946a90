"""Harness for the file-system tests: a kernel heap and a process on simulated memory, syscalls by name.

`Sys` runs x86_64 syscalls through the real dispatcher (asterpy.syscall.dispatch.syscall_dispatch)
with the process current; user memory is an anonymous mapping the helpers read and write through
the page tables (tests/unit/task/task_sim.py).
"""

import gc
import sys
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from asterpy.lang import memory, u64
from asterpy.mm import heap, paging
from asterpy.mm.paging import WRITE
from asterpy.fs import inode as fs_inode
from asterpy.fs.inode import DirInode, RegInode
from asterpy.fs.pipe import NamedFifo
from asterpy.fs.initramfs import init_root_from_initramfs, open_console_fds
from asterpy.kernel import entropy
from asterpy.syscall import numbers as N
from asterpy.syscall.dispatch import syscall_dispatch
from asterpy.syscall.numbers import x86_64_sys_id
from asterpy.task.process import Process, set_current

_TASK = Path(__file__).resolve().parents[1] / "task"
if str(_TASK) not in sys.path:
    sys.path.insert(0, str(_TASK))

from task_sim import make_process, uread, uwrite  # noqa: E402

HEAP_BASE = 0x5000_0000_0000
HEAP_SIZE = 24 << 20
USER_SIZE = 256 << 10
AT_FDCWD = -100


def nr(name: str) -> int:
    """The x86_64 number of syscall `name` (e.g. "openat")."""
    return int(getattr(N, "X86_64_NR_" + name.upper()))


class Sys:
    """A current process with a scratch area of user memory, and syscalls by name."""

    def __init__(self, p: Process) -> None:
        """Map USER_SIZE bytes of user memory for p; strings and buffers are bump-allocated there."""
        self.p = p
        self.base = int(p.mmap_anon(u64(USER_SIZE), WRITE))
        self.next = self.base
        self.tty_out = bytearray()

    # ------------------------------------------------------------ user memory

    def reset_scratch(self) -> None:
        """Reuse the scratch memory from its start (each hypothesis example)."""
        self.next = self.base

    def alloc(self, n: int, align: int = 8) -> int:
        """n bytes of zeroed user memory."""
        a = (self.next + align - 1) & ~(align - 1)
        self.next = a + max(n, 1)
        assert self.next <= self.base + USER_SIZE, "scratch user memory exhausted"
        uwrite(self.p, a, b"\0" * max(n, 1))
        return a

    def put(self, data: bytes) -> int:
        """data copied into fresh user memory: its address."""
        a = self.alloc(len(data))
        uwrite(self.p, a, data)
        return a

    def cstr(self, s: bytes) -> int:
        """A NUL-terminated string in user memory."""
        return self.put(s + b"\0")

    def read(self, a: int, n: int) -> bytes:
        """n bytes of user memory at a."""
        return uread(self.p, a, n)

    def i32s(self, a: int, n: int) -> List[int]:
        """n little-endian ints at a."""
        b = self.read(a, 4 * n)
        return [int.from_bytes(b[4 * i:4 * i + 4], "little", signed=True) for i in range(n)]

    def u64at(self, a: int) -> int:
        """The u64 at user address a."""
        return int.from_bytes(self.read(a, 8), "little")

    # ------------------------------------------------------------ syscalls

    def call(self, name: str, *args: int) -> int:
        """Syscall `name` with integer arguments; the signed result (-errno on failure)."""
        n = nr(name)
        a = [u64(x) for x in args] + [u64(0)] * (6 - len(args))
        return int(syscall_dispatch(x86_64_sys_id(u64(n)), u64(n), *a))

    def s(self, name: str, *args: object) -> int:
        """Like call, but bytes arguments become user C strings first."""
        conv = [self.cstr(a) if isinstance(a, bytes) else int(a) for a in args]  # type: ignore[call-overload]
        return self.call(name, *conv)

    def open(self, path: bytes, flags: int = 0, mode: int = 0o644) -> int:
        """open(path, flags, mode)."""
        return self.s("open", path, flags, mode)

    def write(self, fd: int, data: bytes) -> int:
        """write(fd, data)."""
        return self.call("write", fd, self.put(data), len(data))

    def write_at(self, fd: int, data: bytes, off: int) -> int:
        """pwrite64(fd, data, off)."""
        return self.call("pwrite64", fd, self.put(data), len(data), off)

    def read_fd(self, fd: int, n: int) -> bytes:
        """read(fd, n): the bytes (asserts success)."""
        buf = self.alloc(n)
        r = self.call("read", fd, buf, n)
        assert r >= 0, f"read failed: {r}"
        return self.read(buf, r)

    def stat(self, path: bytes, follow: bool = True) -> Dict[str, int]:
        """stat/lstat of path as a dict of the x86_64 struct stat fields (asserts success)."""
        buf = self.alloc(144)
        r = self.s("stat" if follow else "lstat", path, buf)
        assert r == 0, f"stat {path!r}: {r}"
        return decode_stat(self.read(buf, 144))

    def fstat(self, fd: int) -> Dict[str, int]:
        """fstat(fd) decoded (asserts success)."""
        buf = self.alloc(144)
        r = self.call("fstat", fd, buf)
        assert r == 0, f"fstat {fd}: {r}"
        return decode_stat(self.read(buf, 144))

    def listdir(self, path: bytes) -> List[bytes]:
        """The names getdents64 returns for directory path, in order."""
        fd = self.open(path, 0o200000)
        assert fd >= 0, fd
        names: List[bytes] = []
        buf = self.alloc(512)
        while True:
            r = self.call("getdents64", fd, buf, 512)
            assert r >= 0, r
            if r == 0:
                break
            data = self.read(buf, r)
            off = 0
            while off < r:
                reclen = int.from_bytes(data[off + 16:off + 18], "little")
                name = data[off + 19:off + reclen].split(b"\0")[0]
                names.append(name)
                off += reclen
        self.call("close", fd)
        return names


def decode_stat(b: bytes) -> Dict[str, int]:
    """The fields of an x86_64 struct stat."""
    def q(o: int) -> int:
        return int.from_bytes(b[o:o + 8], "little", signed=True)

    def d(o: int) -> int:
        return int.from_bytes(b[o:o + 4], "little")
    return {"dev": q(0), "ino": q(8), "nlink": q(16), "mode": d(24), "uid": d(28), "gid": d(32),
            "rdev": q(40), "size": q(48), "blksize": q(56), "blocks": q(64), "atime": q(72),
            "atime_nsec": q(80), "mtime": q(88), "mtime_nsec": q(96), "ctime": q(104)}


def release_tree(d: DirInode) -> None:
    """Free the kernel memory every file below d holds (before the simulated heap goes away)."""
    for e in d.slots:
        if e is None:
            continue
        ino = e.inode
        if isinstance(ino, RegInode):
            ino.set_size(u64(0))
        elif isinstance(ino, NamedFifo):
            ino.pipe = None
        elif isinstance(ino, DirInode):
            release_tree(ino)


def newc(entries: List[tuple]) -> bytes:
    """A newc archive of (name, mode, data[, nlink, ino, rdev_major, rdev_minor]) entries and the trailer."""
    out = bytearray()
    for i, ent in enumerate(list(entries) + [(b"TRAILER!!!", 0, b"")]):
        name, mode, data = ent[0], ent[1], ent[2]
        nlink = ent[3] if len(ent) > 3 else 1
        ino = ent[4] if len(ent) > 4 else i + 1
        rmaj = ent[5] if len(ent) > 5 else 0
        rmin = ent[6] if len(ent) > 6 else 0
        fields = [ino, mode, 0, 0, nlink, 1700000000, len(data), 0, 0, rmaj, rmin, len(name) + 1, 0]
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + name + b"\0"
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def place(data: bytes) -> int:
    """data in simulated kernel memory: its address."""
    a = memory.sim.alloc(max(len(data), 1), 16)
    memory.sim.write(a, data)
    return a


@pytest.fixture
def fs_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fresh simulated memory with a kernel heap, an empty root file system, no current process,
    and the arch hooks the file code reaches (TLB flush, entropy) replaced."""
    set_current(None)
    fs_inode.reset_root()
    gc.collect()
    memory.reset_sim()
    memory.sim.map(HEAP_BASE, HEAP_SIZE)
    heap.heap_init(u64(HEAP_BASE), u64(HEAP_SIZE))
    monkeypatch.setattr(paging, "tlb_flush_page", lambda va: None)
    monkeypatch.setattr(entropy, "rdtsc64", lambda: u64(7))
    monkeypatch.setattr(entropy, "rdrand_available", lambda: False)
    yield
    set_current(None)
    fs_inode.reset_root()
    gc.collect()
    memory.reset_sim()


@pytest.fixture
def sysc(fs_world: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sys]:
    """A running process over an initramfs-less root (with /dev), fds 0..2 on the console (its
    output collected in Sys.tty_out)."""
    _, _, p = make_process()
    init_root_from_initramfs(u64(0), u64(0))
    p.fs.root = fs_inode.root_dir()
    p.fs.cwd = p.fs.root
    s = Sys(p)
    from asterpy.drivers import tty
    monkeypatch.setattr(tty, "_console", None)
    monkeypatch.setattr(tty, "console_out", lambda c: s.tty_out.append(int(c)))
    open_console_fds(p.files)
    set_current(p)
    yield s
    # Close everything while the heap is still there (a failing test's traceback keeps s alive).
    p.files.close_all()
    release_tree(p.fs.root)
