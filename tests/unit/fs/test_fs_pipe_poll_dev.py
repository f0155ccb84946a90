"""Pipes (blocking, EOF, EPIPE/SIGPIPE, O_NONBLOCK, PIPE_BUF, FIONREAD), poll/select, /dev nodes, sendfile."""

from typing import List

import pytest

from asterpy.fs import pipe as pipe_mod
from asterpy.lang.errno import EAGAIN, EBADF, EFAULT, EINTR, EINVAL, ENOSPC, ENOTTY, EPIPE, ESPIPE

from fs_sim import Sys, fs_world, sysc  # noqa: F401

O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_NONBLOCK, O_CLOEXEC = 0, 1, 2, 0o100, 0o4000, 0o2000000
FIONREAD, FIONBIO, FIOCLEX, FIONCLEX = 0x541B, 0x5421, 0x5451, 0x5450
POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 1, 4, 8, 16, 32


def make_pipe(s: Sys, flags: int = 0) -> List[int]:
    """pipe2(flags): [read fd, write fd]."""
    a = s.alloc(8)
    assert s.call("pipe2", a, flags) == 0
    return s.i32s(a, 2)


def test_pipe_round_trip_and_eof(sysc: Sys) -> None:
    """Bytes come out in order; EOF once the writer is closed and the buffer drained."""
    r, w = make_pipe(sysc)
    assert (r, w) == (3, 4)
    assert sysc.write(w, b"abc") == 3
    assert sysc.write(w, b"def") == 3
    n = sysc.alloc(4)
    assert sysc.call("ioctl", r, FIONREAD, n) == 0 and sysc.i32s(n, 1) == [6]
    assert sysc.read_fd(r, 4) == b"abcd"
    sysc.call("close", w)
    assert sysc.read_fd(r, 10) == b"ef"
    assert sysc.read_fd(r, 10) == b""
    assert sysc.fstat(r)["mode"] & 0o170000 == 0o010000


def test_pipe_wraps_around(sysc: Sys) -> None:
    """Data crossing the end of the 64 KiB ring comes out intact."""
    r, w = make_pipe(sysc)
    chunk = bytes(range(256)) * 160          # 40 KiB
    assert sysc.write(w, chunk) == len(chunk)
    assert sysc.read_fd(r, 30000) == chunk[:30000]
    assert sysc.write(w, chunk) == len(chunk)
    got = sysc.read_fd(r, 65536)
    assert got == chunk[30000:] + chunk


def test_pipe_full_nonblocking_and_atomic(sysc: Sys) -> None:
    """O_NONBLOCK: a full pipe takes what fits of a big write, nothing of a small one (EAGAIN)."""
    r, w = make_pipe(sysc, O_NONBLOCK)
    big = b"x" * 70000
    assert sysc.write(w, big) == 65536
    assert sysc.write(w, b"y") == -EAGAIN
    assert sysc.read_fd(r, 100) == b"x" * 100
    # 100 bytes free: a 200-byte (<= PIPE_BUF) write must not be split.
    assert sysc.write(w, b"z" * 200) == -EAGAIN
    assert sysc.write(w, b"z" * 100) == 100
    assert sysc.call("read", 3, sysc.alloc(1), 0) == 0


def test_pipe_empty_nonblocking_and_interrupted(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty pipe: EAGAIN with O_NONBLOCK, EINTR when the sleep is interrupted."""
    r, w = make_pipe(sysc)
    sysc.call("fcntl", r, 4, O_NONBLOCK)
    assert sysc.call("read", r, sysc.alloc(4), 4) == -EAGAIN
    sysc.call("fcntl", r, 4, 0)
    sleeps: List[int] = []

    def no_sleep(chan: object) -> bool:
        sleeps.append(1)
        return False
    monkeypatch.setattr(pipe_mod, "sleep_on", no_sleep)
    assert sysc.call("read", r, sysc.alloc(4), 4) == -EINTR
    assert sleeps == [1]


def test_pipe_blocking_read_wakes_up(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader sleeping on an empty pipe gets the data a writer puts in while it sleeps."""
    r, w = make_pipe(sysc)
    pp = sysc.p.files.get(r).pipe

    def writer_runs(chan: object) -> bool:
        assert chan == pp.rchan
        sysc.write(w, b"late")
        return True
    monkeypatch.setattr(pipe_mod, "sleep_on", writer_runs)
    assert sysc.read_fd(r, 10) == b"late"
    pp = None   # the patched function outlives the test: let the pipe go with its files


def test_epipe_and_sigpipe(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing with no reader: EPIPE and SIGPIPE to the writer."""
    sent: List[int] = []
    monkeypatch.setattr(pipe_mod, "raise_signal_self", lambda sig: sent.append(int(sig)))
    r, w = make_pipe(sysc)
    sysc.call("close", r)
    assert sysc.write(w, b"x") == -EPIPE
    assert sent == [13]


def test_pipe_ends_and_errors(sysc: Sys) -> None:
    """Wrong-direction I/O is EBADF; positioned I/O and lseek are ESPIPE; bad pipe2 args."""
    r, w = make_pipe(sysc)
    assert sysc.call("write", r, sysc.put(b"x"), 1) == -EBADF
    assert sysc.call("read", w, sysc.alloc(1), 1) == -EBADF
    assert sysc.call("pread64", r, sysc.alloc(1), 1, 0) == -ESPIPE
    assert sysc.call("pipe2", sysc.alloc(8), 0x1) == -EINVAL
    assert sysc.call("pipe", 0x10) == -EFAULT
    assert sysc.call("fsync", r) == -EINVAL
    assert sysc.call("ioctl", r, FIONREAD, 0x10) == -EFAULT


def test_pipe_shared_by_dup_keeps_writer(sysc: Sys) -> None:
    """EOF waits for the last of the write end's descriptors."""
    r, w = make_pipe(sysc)
    w2 = sysc.call("dup", w)
    sysc.call("close", w)
    assert sysc.p.files.get(r).pipe.writers == 1
    sysc.call("close", w2)
    assert sysc.p.files.get(r).pipe.writers == 0
    assert sysc.read_fd(r, 1) == b""


def test_poll(sysc: Sys) -> None:
    """poll reports readiness per fd; POLLNVAL for a closed fd; negative fds are skipped."""
    r, w = make_pipe(sysc)
    fds = sysc.alloc(32)

    def setup(entries: List[tuple]) -> None:
        raw = b"".join(fd.to_bytes(4, "little", signed=True) + ev.to_bytes(2, "little") + b"\0\0"
                       for fd, ev in entries)
        from task_sim import uwrite
        uwrite(sysc.p, fds, raw)

    def revents(i: int) -> int:
        return int.from_bytes(sysc.read(fds + 8 * i + 6, 2), "little")
    setup([(r, POLLIN), (w, POLLOUT), (99, POLLIN), (-1, POLLIN)])
    assert sysc.call("poll", fds, 4, 0) == 2
    assert [revents(i) for i in range(4)] == [0, POLLOUT, POLLNVAL, 0]
    sysc.write(w, b"x")
    assert sysc.call("poll", fds, 2, 0) == 2
    assert revents(0) == POLLIN
    sysc.call("close", w)
    setup([(r, POLLIN)])
    assert sysc.call("poll", fds, 1, 0) == 1 and revents(0) == POLLIN | POLLHUP
    assert sysc.call("poll", fds, 5000, 0) == -EINVAL
    assert sysc.call("poll", 0x10, 1, 0) == -EFAULT


def test_poll_timeout_and_interrupt(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing ready: a timeout returns 0, an interrupted sleep EINTR."""
    from asterpy.syscall import fs_poll
    from asterpy.kernel.wait import INTERRUPTED, TIMED_OUT
    r, w = make_pipe(sysc)
    fds = sysc.put(r.to_bytes(4, "little") + (POLLIN).to_bytes(2, "little") + b"\0\0")
    monkeypatch.setattr(fs_poll, "sleep_until", lambda chan, dl: TIMED_OUT)
    assert sysc.call("poll", fds, 1, 10) == 0
    monkeypatch.setattr(fs_poll, "sleep_until", lambda chan, dl: INTERRUPTED)
    assert sysc.call("poll", fds, 1, 10) == -EINTR
    ts = sysc.put((0).to_bytes(8, "little") + (2_000_000_000).to_bytes(8, "little"))
    assert sysc.call("ppoll", fds, 1, ts, 0, 8) == -EINVAL


def test_select(sysc: Sys) -> None:
    """select rewrites the sets to the ready descriptors; EBADF for a closed one in a set."""
    r, w = make_pipe(sysc)
    rs = sysc.put((1 << r).to_bytes(8, "little"))
    ws = sysc.put((1 << w).to_bytes(8, "little"))
    tv = sysc.put(b"\0" * 16)
    assert sysc.call("select", w + 1, rs, ws, 0, tv) == 1
    assert sysc.u64at(rs) == 0 and sysc.u64at(ws) == 1 << w
    sysc.write(w, b"x")
    rs2 = sysc.put((1 << r).to_bytes(8, "little"))
    assert sysc.call("pselect6", r + 1, rs2, 0, 0, tv, 0) == 1
    assert sysc.u64at(rs2) == 1 << r
    bad = sysc.put((1 << 40).to_bytes(8, "little"))
    assert sysc.call("select", 41, bad, 0, 0, tv) == -EBADF


def test_dev_nodes(sysc: Sys) -> None:
    """/dev lists the standard nodes; null, zero, full and urandom behave."""
    names = sysc.listdir(b"/dev")
    for n in (b"null", b"zero", b"full", b"random", b"urandom", b"console", b"tty"):
        assert n in names
    st = sysc.stat(b"/dev/null")
    assert st["mode"] == 0o20666 and st["rdev"] == (1 << 8) | 3
    null = sysc.open(b"/dev/null", O_RDWR)
    assert sysc.write(null, b"gone") == 4
    assert sysc.read_fd(null, 10) == b""
    zero = sysc.open(b"/dev/zero", O_RDONLY)
    buf = sysc.put(b"\xff" * 64)
    assert sysc.call("read", zero, buf, 64) == 64 and sysc.read(buf, 64) == b"\0" * 64
    full = sysc.open(b"/dev/full", O_WRONLY)
    assert sysc.write(full, b"x") == -ENOSPC
    ur = sysc.open(b"/dev/urandom", O_RDONLY)
    a = sysc.read_fd(ur, 32)
    b = sysc.read_fd(ur, 32)
    assert len(a) == 32 and a != b
    assert sysc.call("ioctl", null, 0x5413, sysc.alloc(8)) == -ENOTTY


def test_console_is_a_tty(sysc: Sys) -> None:
    """isatty(1): TCGETS on the console succeeds, on a regular file ENOTTY."""
    t = sysc.alloc(64)
    assert sysc.call("ioctl", 1, 0x5401, t) == 0
    fd = sysc.open(b"/f", O_CREAT | O_RDWR)
    assert sysc.call("ioctl", fd, 0x5401, t) == -ENOTTY
    tty = sysc.open(b"/dev/tty", O_RDWR)
    assert sysc.write(tty, b"hi") == 2
    assert bytes(sysc.tty_out).endswith(b"hi")


def test_generic_ioctls(sysc: Sys) -> None:
    """FIOCLEX/FIONCLEX set the fd flag, FIONBIO the file's O_NONBLOCK, FIONREAD on a file."""
    fd = sysc.open(b"/f", O_CREAT | O_RDWR)
    sysc.write(fd, b"12345")
    sysc.call("lseek", fd, 1, 0)
    assert sysc.call("ioctl", fd, FIOCLEX, 0) == 0 and sysc.call("fcntl", fd, 1) == 1
    assert sysc.call("ioctl", fd, FIONCLEX, 0) == 0 and sysc.call("fcntl", fd, 1) == 0
    one = sysc.put((1).to_bytes(4, "little"))
    assert sysc.call("ioctl", fd, FIONBIO, one) == 0
    assert sysc.call("fcntl", fd, 3) & O_NONBLOCK
    n = sysc.alloc(4)
    assert sysc.call("ioctl", fd, FIONREAD, n) == 0 and sysc.i32s(n, 1) == [4]
    assert sysc.call("ioctl", 77, FIONREAD, n) == -EBADF


def test_sendfile(sysc: Sys) -> None:
    """sendfile copies file to file (and updates *offset, not the file offset, when given)."""
    src = sysc.open(b"/src", O_CREAT | O_RDWR)
    sysc.write(src, b"0123456789" * 1000)
    sysc.call("lseek", src, 0, 0)
    dst = sysc.open(b"/dst", O_CREAT | O_RDWR)
    assert sysc.call("sendfile", dst, src, 0, 20000) == 10000
    assert sysc.stat(b"/dst")["size"] == 10000
    off = sysc.put((5).to_bytes(8, "little"))
    r, w = make_pipe(sysc)
    assert sysc.call("sendfile", w, src, off, 3) == 3
    assert sysc.u64at(off) == 8
    assert sysc.read_fd(r, 10) == b"567"
    assert sysc.call("sendfile", 1, src, off, 3) == -EINVAL
    assert sysc.call("sendfile", dst, r, 0, 3) == -EINVAL


def test_memfd(sysc: Sys) -> None:
    """memfd_create gives a read-write anonymous file."""
    fd = sysc.s("memfd_create", b"buf", 1)
    assert fd >= 3
    assert sysc.write(fd, b"mem") == 3
    assert sysc.call("pread64", fd, sysc.alloc(3), 3, 0) == 3
    assert sysc.call("fcntl", fd, 1) == 1
    assert sysc.s("memfd_create", b"x", 0x100) == -EINVAL


def test_short_reads_need_only_the_bytes_copied(sysc: Sys) -> None:
    """A buffer whose unmapped tail is not reached is fine (pipe, file, readv); a kernel address is EFAULT."""
    r, w = make_pipe(sysc)
    sysc.write(w, b"abc")
    end = sysc.base + 256 * 1024            # the first unmapped byte after the scratch area
    assert sysc.call("read", r, end - 3, 4096) == 3
    assert sysc.read(end - 3, 3) == b"abc"
    fd = sysc.open(b"/f", O_CREAT | O_RDWR)
    sysc.write(fd, b"xy")
    sysc.call("lseek", fd, 0, 0)
    iov = sysc.put((end - 2).to_bytes(8, "little") + (8192).to_bytes(8, "little"))
    assert sysc.call("readv", fd, iov, 1) == 2
    bad = sysc.put((0xFFFF_8000_0000_0000).to_bytes(8, "little") + (8).to_bytes(8, "little"))
    assert sysc.call("readv", fd, bad, 1) == -EFAULT
    sysc.write(w, b"q")
    assert sysc.call("read", r, 0x10, 1) == -EFAULT


def test_named_fifo(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> None:
    """mkfifo: O_NONBLOCK opens (ENXIO for a writer without readers), O_RDWR, a blocking read open
    that waits for a writer, and one interrupted by a signal."""
    assert sysc.s("mknod", b"/ff", 0o010644, 0) == 0
    assert sysc.stat(b"/ff")["mode"] == 0o010644
    assert sysc.open(b"/ff", O_WRONLY | O_NONBLOCK) == -6          # ENXIO
    r = sysc.open(b"/ff", O_RDONLY | O_NONBLOCK)
    assert r >= 0
    w = sysc.open(b"/ff", O_WRONLY | O_NONBLOCK)
    assert sysc.write(w, b"fifo") == 4
    assert sysc.read_fd(r, 10) == b"fifo"
    rw = sysc.open(b"/ff", O_RDWR)
    assert sysc.write(rw, b"x") == 1 and sysc.read_fd(rw, 1) == b"x"
    for fd in (r, w, rw):
        sysc.call("close", fd)
    opened: List[int] = []

    def writer_opens(chan: object) -> bool:
        opened.append(sysc.open(b"/ff", O_WRONLY))
        return True
    monkeypatch.setattr(pipe_mod, "sleep_on", writer_opens)
    r = sysc.open(b"/ff", O_RDONLY)
    assert r >= 0 and len(opened) == 1 and opened[0] >= 0
    for fd in (r, opened[0]):
        sysc.call("close", fd)
    monkeypatch.setattr(pipe_mod, "sleep_on", lambda chan: False)
    assert sysc.open(b"/ff", O_RDONLY) == -EINTR
    assert sysc.open(b"/ff", O_WRONLY) == -EINTR


def test_select_and_ppoll_report_time_left(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> None:
    """select's timeval and ppoll's timespec come back holding the time left (0 after a timeout)."""
    from asterpy.syscall import fs_poll
    from asterpy.kernel.wait import TIMED_OUT
    clock = [1_000_000_000]
    monkeypatch.setattr(fs_poll, "monotonic_ns", lambda: clock[0])

    def sleep_half(chan: object, deadline: object) -> object:
        clock[0] = int(deadline)
        return TIMED_OUT
    monkeypatch.setattr(fs_poll, "sleep_until", sleep_half)
    r, w = make_pipe(sysc)
    rs = sysc.put((1 << r).to_bytes(8, "little"))
    tv = sysc.put((2).to_bytes(8, "little") + (500000).to_bytes(8, "little"))
    assert sysc.call("select", r + 1, rs, 0, 0, tv) == 0
    assert sysc.read(tv, 16) == b"\0" * 16
    sysc.write(w, b"x")
    ts = sysc.put((3).to_bytes(8, "little") + (0).to_bytes(8, "little"))
    fds = sysc.put(r.to_bytes(4, "little") + (1).to_bytes(2, "little") + b"\0\0")
    assert sysc.call("ppoll", fds, 1, ts, 0, 8) == 1
    assert sysc.u64at(ts) == 3 and sysc.u64at(ts + 8) == 0


def test_copy_file_range(sysc: Sys) -> None:
    """copy_file_range copies between regular files, moving the offsets it was not given."""
    a = sysc.open(b"/a", O_CREAT | O_RDWR)
    sysc.write(a, b"0123456789")
    sysc.call("lseek", a, 2, 0)
    b = sysc.open(b"/b", O_CREAT | O_RDWR)
    assert sysc.call("copy_file_range", a, 0, b, 0, 5, 0) == 5
    assert sysc.call("lseek", a, 0, 1) == 7 and sysc.call("lseek", b, 0, 1) == 5
    offo = sysc.put((8).to_bytes(8, "little"))
    assert sysc.call("copy_file_range", a, 0, b, offo, 100, 0) == 3
    assert sysc.u64at(offo) == 11
    buf = sysc.alloc(16)
    assert sysc.call("pread64", b, buf, 16, 0) == 11
    assert sysc.read(buf, 11) == b"23456" + b"\0" * 3 + b"789"
    assert sysc.call("copy_file_range", a, 0, b, 0, 1, 1) == -EINVAL
    r, w = make_pipe(sysc)
    assert sysc.call("copy_file_range", r, 0, b, 0, 1, 0) == -EINVAL
    offi = sysc.put((0).to_bytes(8, "little"))
    offs = sysc.put((2).to_bytes(8, "little"))
    assert sysc.call("copy_file_range", a, offi, a, offs, 5, 0) == -EINVAL
