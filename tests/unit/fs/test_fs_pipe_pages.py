"""Pipe buffers: pages taken only for data and given back when drained, per-user capacity
accounting (pipe-user-pages-soft), F_SETPIPE_SZ, and ENOMEM instead of a dry kernel (issue #24)."""

from typing import List

import pytest

from asterpy.fs import pipe as pipe_mod
from asterpy.lang import SysError, u64
from asterpy.lang.errno import EBUSY, ENOMEM, EPERM

from fs_sim import Sys, fs_world, sysc  # noqa: F401

O_NONBLOCK = 0o4000
F_SETPIPE_SZ, F_GETPIPE_SZ = 1031, 1032
PAGE = 4096


def make_pipe(s: Sys, flags: int = 0) -> List[int]:
    """pipe2(flags): [read fd, write fd]."""
    a = s.alloc(8)
    assert s.call("pipe2", a, flags) == 0
    return s.i32s(a, 2)


def pipe_of(s: Sys, fd: int) -> pipe_mod.Pipe:
    """The Pipe behind descriptor fd."""
    f = s.p.files.get(u64(fd))
    assert isinstance(f, (pipe_mod.PipeReadFile, pipe_mod.PipeWriteFile))
    return f.pipe


def test_pages_only_while_data_is_there(sysc: Sys) -> None:
    """A new pipe holds no page; a write takes the pages it fills; reads give them back."""
    r, w = make_pipe(sysc)
    pp = pipe_of(sysc, r)
    assert pp.size == 16 * PAGE and pp.held_pages() == 0
    data = bytes(range(256)) * 40                    # 10240 bytes: three pages
    assert sysc.write(w, data) == len(data)
    assert pp.held_pages() == 3
    assert sysc.read_fd(r, 5000) == data[:5000]      # the first page is drained
    assert pp.held_pages() == 2
    assert sysc.read_fd(r, 100000) == data[5000:]
    assert pp.held_pages() == 0 and pp.head == 0


def test_wrapped_data_keeps_its_page(sysc: Sys) -> None:
    """In a full two-page ring whose data wraps into the page a read leaves, that page stays."""
    r, w = make_pipe(sysc, O_NONBLOCK)
    pp = pipe_of(sysc, r)
    assert sysc.call("fcntl", w, F_SETPIPE_SZ, 2 * PAGE) == 2 * PAGE
    seq = bytes((i * 7) & 0xFF for i in range(3 * PAGE))
    assert sysc.write(w, seq[:100]) == 100
    assert sysc.read_fd(r, 100) == seq[:100]         # empty again: head back at 0
    assert sysc.write(w, seq[:2 * PAGE]) == 2 * PAGE
    assert sysc.read_fd(r, 100) == seq[:100]
    assert sysc.write(w, seq[2 * PAGE:2 * PAGE + 100]) == 100   # wraps into page 0
    assert sysc.read_fd(r, 4000) == seq[100:4100]    # head moves on into page 0 ... still live
    assert pp.held_pages() == 2
    assert sysc.read_fd(r, 100000) == seq[4100:2 * PAGE] + seq[2 * PAGE:2 * PAGE + 100]
    assert pp.held_pages() == 0


def test_resize_keeps_data_and_refuses_to_cut_it(sysc: Sys) -> None:
    """F_SETPIPE_SZ rounds to a power of two pages, keeps the bytes, EBUSY below them."""
    r, w = make_pipe(sysc)
    assert sysc.call("fcntl", r, F_GETPIPE_SZ) == 16 * PAGE
    assert sysc.call("fcntl", w, F_SETPIPE_SZ, 5000) == 2 * PAGE
    assert sysc.write(w, b"a" * 6000) == 6000
    assert sysc.call("fcntl", w, F_SETPIPE_SZ, PAGE) == -EBUSY
    assert sysc.call("fcntl", w, F_SETPIPE_SZ, 3 * PAGE) == 4 * PAGE
    assert pipe_of(sysc, r).held_pages() == 2
    assert sysc.read_fd(r, 10000) == b"a" * 6000


def test_soft_limit_for_unprivileged_users(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the soft limit an unprivileged user's new pipes get 2 pages and may not grow; the
    charge goes with the pipes; root is not limited."""
    monkeypatch.setattr(pipe_mod, "PIPE_USER_PAGES_SOFT", u64(40))
    sysc.p.uid = u64(1000)
    sysc.p.ruid = u64(1000)
    fds = [make_pipe(sysc) for _ in range(3)]
    assert [sysc.call("fcntl", r, F_GETPIPE_SZ) for r, _ in fds] == [16 * PAGE, 16 * PAGE, 2 * PAGE]
    assert pipe_mod.charged_pages(u64(1000)) == 34
    assert sysc.call("fcntl", fds[2][1], F_SETPIPE_SZ, 4 * PAGE) == 4 * PAGE      # 36 <= 40
    assert sysc.call("fcntl", fds[2][1], F_SETPIPE_SZ, 16 * PAGE) == -EPERM    # 48 > 40
    assert pipe_mod.charged_pages(u64(1000)) == 36
    assert sysc.call("fcntl", fds[0][1], F_SETPIPE_SZ, PAGE) == PAGE       # shrinking is fine
    assert sysc.call("fcntl", fds[0][1], F_SETPIPE_SZ, 2 << 20) == -EPERM  # past pipe-max-size
    for r, w in fds:
        sysc.call("close", r)
        sysc.call("close", w)
    assert pipe_mod.charged_pages(u64(1000)) == 0
    sysc.p.uid = u64(0)
    sysc.p.ruid = u64(0)
    more = [make_pipe(sysc) for _ in range(4)]
    assert all(sysc.call("fcntl", r, F_GETPIPE_SZ) == 16 * PAGE for r, _ in more)


def test_out_of_pages_is_enomem(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> None:
    """No page for the data: what fits is written, then ENOMEM; a small write is all or nothing."""
    r, w = make_pipe(sysc)
    real = pipe_mod.page_alloc
    left = [2]

    def two_pages() -> u64:
        if left[0] == 0:
            raise SysError(ENOMEM)
        left[0] -= 1
        return real()

    monkeypatch.setattr(pipe_mod, "page_alloc", two_pages)
    assert sysc.write(w, b"q" * (3 * PAGE)) == 2 * PAGE
    assert sysc.write(w, b"q") == -ENOMEM
    assert sysc.read_fd(r, 5 * PAGE) == b"q" * (2 * PAGE)
    assert pipe_of(sysc, r).held_pages() == 0


def test_no_new_pipe_once_the_heap_is_in_its_reserve(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> None:
    """pipe2 is ENOMEM (and charges nobody) when the kernel heap is down to its reserve."""
    monkeypatch.setattr(pipe_mod, "heap_in_reserve", lambda: True)
    assert sysc.call("pipe2", sysc.alloc(8), 0) == -ENOMEM
    assert pipe_mod.charged_pages(u64(0)) == 0
    monkeypatch.setattr(pipe_mod, "heap_in_reserve", lambda: False)
    assert len(make_pipe(sysc)) == 2
