"""Syscall handlers end to end: an x86_64 number through x86_64_sys_id and syscall_dispatch to the
handler and back as a value or -errno, on a booted hello process in simulated memory.

The arch hooks are replaced in asterpy.syscall.dispatch's namespace by the `running` fixture
(conftest.py): console_putc, set_fs_base, user_exit, monotonic_ns, rdtsc64, rdrand_available.
"""

import pytest

from asterpy.lang import captured_console, u64
from asterpy.lang.errno import EBADF, EFAULT, EINVAL, ENOSYS, EPERM, ESRCH
from asterpy.kernel import time as ktime
from asterpy.syscall import numbers as N

from task_sim import Running, uread, uwrite, uword

M64 = (1 << 64) - 1
SIGKILL, SIGSTOP, SIGUSR1 = 9, 19, 10
ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004
MAP_ANON_PRIVATE = 0x22


def scratch(r: Running, pages: int = 2) -> int:
    """A fresh read-write user mapping of `pages` pages (through mmap); its address."""
    a = r.call(int(N.X86_64_NR_MMAP), 0, pages * 4096, 3, MAP_ANON_PRIVATE, M64, 0)
    assert a > 0
    return a


def read_only_page(r: Running) -> int:
    """The first page of hello's read-only segment (its ELF headers)."""
    va = 0x1000000
    assert r.p.space.flags_of(u64(va)) & 2 == 0
    return va


# ------------------------------------------------------------------ write / writev


def test_write_to_console(running: Running) -> None:
    """write(1, buf, n) puts the n user bytes on the console and returns n; n = 0 writes nothing."""
    r = running
    a = scratch(r)
    uwrite(r.p, a + 4090, b"hello, world")          # crosses a page boundary
    assert r.call(int(N.X86_64_NR_WRITE), 1, a + 4090, 12) == 12
    assert bytes(r.console) == b"hello, world"
    assert r.call(int(N.X86_64_NR_WRITE), 2, a, 0) == 0
    assert r.call(int(N.X86_64_NR_WRITE), 0, 0, 0) == 0      # n = 0: the pointer is not looked at
    assert bytes(r.console) == b"hello, world"


@pytest.mark.parametrize("fd", [3, 99, M64])
def test_write_bad_fd(running: Running, fd: int) -> None:
    """Any fd but 0..2 is EBADF (fd -1 included), checked before the buffer."""
    assert running.call(int(N.X86_64_NR_WRITE), fd, 16, 4) == -EBADF
    assert running.console == b""


def test_write_bad_buffer_writes_nothing(running: Running) -> None:
    """EFAULT for null-ish, kernel and half-mapped buffers, and not a byte reaches the console."""
    r = running
    a = scratch(r, 2)
    for buf, n in ((16, 4), (0xFFFF_8000_0000_0000, 8), (a + 4096 - 3, 3 + 2 * 4096), (M64 - 2, 8)):
        assert r.call(int(N.X86_64_NR_WRITE), 1, buf, n) == -EFAULT
    assert r.console == b""


def test_writev(running: Running) -> None:
    """writev gathers the vectors in order; EINVAL for too many or a negative length, EFAULT for
    a bad array or base, with nothing written."""
    r = running
    a = scratch(r)
    uwrite(r.p, a + 1024, b"abc")
    uwrite(r.p, a + 2048, b"defgh")
    iov = a

    def vec(i: int, base: int, ln: int) -> None:
        uwrite(r.p, iov + 16 * i, base.to_bytes(8, "little") + ln.to_bytes(8, "little"))

    vec(0, a + 1024, 3)
    vec(1, 0, 0)                                     # an empty vector may have any base
    vec(2, a + 2048, 5)
    nr = int(N.X86_64_NR_WRITEV)
    assert r.call(nr, 1, iov, 3) == 8
    assert bytes(r.console) == b"abcdefgh"
    r.console.clear()
    assert r.call(nr, 1, iov, 0) == 0
    assert r.call(nr, 5, iov, 1) == -EBADF
    assert r.call(nr, 1, iov, 1025) == -EINVAL
    vec(1, a, 1 << 63)
    assert r.call(nr, 1, iov, 3) == -EINVAL
    vec(1, 0x10, 1)
    assert r.call(nr, 1, iov, 3) == -EFAULT
    assert r.call(nr, 1, 0x10, 1) == -EFAULT
    assert r.console == b""


# ------------------------------------------------------------------ uname / ids / misc


def test_uname_contents(running: Running) -> None:
    """Six NUL-padded 65-byte fields: Linux, asterpy, a release, a version, x86_64, (none)."""
    r = running
    a = scratch(r)
    uwrite(r.p, a, b"\xff" * 390)
    assert r.call(int(N.X86_64_NR_UNAME), a) == 0
    raw = uread(r.p, a, 390)
    fields = [raw[65 * i:65 * (i + 1)] for i in range(6)]
    names = [f.split(b"\0", 1)[0] for f in fields]
    assert names[0] == b"Linux" and names[1] == b"asterpy" and names[4] == b"x86_64"
    assert names[2].startswith(b"6.") and names[3] and names[5] == b"(none)"
    for f, n in zip(fields, names):
        assert f == n + bytes(65 - len(n)), "fields are NUL padded"
    assert uread(r.p, a + 390, 1) == bytes(1)


def test_uname_bad_buffer(running: Running) -> None:
    """EFAULT for an unmapped, read-only or partly mapped buffer, which stays untouched."""
    r = running
    a = scratch(r, 1)
    uwrite(r.p, a + 4096 - 100, b"\x77" * 100)
    ro = read_only_page(r)
    before = uread(r.p, ro, 390)
    for buf in (0, ro, a + 4096 - 100, 0xFFFF_8000_0000_0000):
        assert r.call(int(N.X86_64_NR_UNAME), buf) == -EFAULT
    assert uread(r.p, a + 4096 - 100, 100) == b"\x77" * 100
    assert uread(r.p, ro, 390) == before


def test_simple_answers(running: Running) -> None:
    """getpid/gettid 1, getppid 0, the ids 0, set_tid_address stores and returns the tid, ioctl
    reaching the console terminal (TCGETS to NULL: EFAULT) and EBADF elsewhere, readlink EINVAL, rseq ENOSYS."""
    r = running
    assert r.call(int(N.X86_64_NR_GETPID)) == 1
    assert r.call(int(N.X86_64_NR_GETTID)) == 1
    assert r.call(int(N.X86_64_NR_GETPPID)) == 0
    for nr in (N.X86_64_NR_GETUID, N.X86_64_NR_GETEUID, N.X86_64_NR_GETGID, N.X86_64_NR_GETEGID):
        assert r.call(int(nr)) == 0
    assert r.call(int(N.X86_64_NR_SET_TID_ADDRESS), 0x1234) == 1
    assert int(r.task.clear_child_tid) == 0x1234
    assert r.call(int(N.X86_64_NR_IOCTL), 1, 0x5401) == -EFAULT
    assert r.call(int(N.X86_64_NR_IOCTL), 3, 0x5401) == -EBADF
    assert r.call(int(N.X86_64_NR_READLINK), 0, 0, 0) == -EINVAL     # bufsiz 0 is checked first
    assert r.call(int(N.X86_64_NR_RSEQ), 0, 0, 0, 0) == -ENOSYS


def test_unknown_syscalls_are_enosys_and_logged_once(running: Running) -> None:
    """A number with no syscall, and one with no handler, are -ENOSYS; each number below 1024 is
    logged once (the bitmap's range); larger ones are never logged."""
    r = running
    with captured_console() as lines:
        for nr in (1000, 1000, int(N.X86_64_NR_SWAPON), int(N.X86_64_NR_SWAPON), 5000, M64):
            assert r.call(nr) == -ENOSYS
    assert len([ln for ln in lines if "syscall 1000 " in ln]) == 1
    assert len([ln for ln in lines if f"syscall {int(N.X86_64_NR_SWAPON)} " in ln]) == 1
    assert len(lines) == 2


def test_strace_logs_the_arguments_each_entry_reads(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    """asterpy.strace=1: a line before (the number and the arguments its table entry reads; all six
    for a number without a handler) and one after (the result)."""
    import asterpy.kernel.log as klog
    r = running
    monkeypatch.setattr(klog, "trace_syscalls", True)
    pid = int(r.p.pid)
    with captured_console() as lines:
        r.call(int(N.X86_64_NR_GETPID))
        r.call(int(N.X86_64_NR_CLOSE), 99, 7, 7)
        r.call(int(N.X86_64_NR_SWAPON), 1, 2)
    assert lines[0] == f"[pid {pid}] -> {int(N.X86_64_NR_GETPID)}()"
    assert lines[1] == f"[pid {pid}] <- {int(N.X86_64_NR_GETPID)} = {pid}"
    assert lines[2] == f"[pid {pid}] -> {int(N.X86_64_NR_CLOSE)}(0x63)"
    assert lines[3] == f"[pid {pid}] <- {int(N.X86_64_NR_CLOSE)} = {-EBADF}"
    assert lines[4] == f"[pid {pid}] -> {int(N.X86_64_NR_SWAPON)}(0x1, 0x2, 0x0, 0x0, 0x0, 0x0)"
    assert lines[-1] == f"[pid {pid}] <- {int(N.X86_64_NR_SWAPON)} = {-ENOSYS}"


def test_restart_flag_is_recorded_before_the_entry(running: Running) -> None:
    """The table's may-restart bit reaches the task before the entry runs (poll never restarts)."""
    r = running
    r.call(int(N.X86_64_NR_GETPID))
    assert r.task.restartable
    r.call(int(N.X86_64_NR_POLL), 0, 0, 0)
    assert not r.task.restartable
    r.call(int(N.X86_64_NR_SWAPON))  # no handler: restartable, as before the table
    assert r.task.restartable


def test_exit_group_hands_the_status_to_the_arch(running: Running) -> None:
    """exit_group(3) and exit(0x104) end the program with wait status (code & 0xff) << 8."""
    r = running
    r.call(int(N.X86_64_NR_EXIT_GROUP), 3)
    r.call(int(N.X86_64_NR_EXIT), 0x104)
    assert r.exits == [0x300, 0x400]


def test_no_current_process_is_esrch() -> None:
    """Without a running process, a handler that needs one answers -ESRCH (not a crash)."""
    from asterpy.syscall.dispatch import syscall_dispatch
    z = u64(0)
    assert int(syscall_dispatch(N.SYS_UNAME, N.X86_64_NR_UNAME, u64(0x1000), z, z, z, z, z)) == -ESRCH


# ------------------------------------------------------------------ arch_prctl


def test_arch_prctl(running: Running) -> None:
    """ARCH_SET_FS loads the FS base through the arch and remembers it; ARCH_GET_FS stores it;
    a kernel address is EPERM; GS works the same way; unknown codes are EINVAL; a bad GET_FS
    pointer EFAULT."""
    r = running
    nr = int(N.X86_64_NR_ARCH_PRCTL)
    a = scratch(r)
    assert r.call(nr, ARCH_SET_FS, a + 0x80) == 0
    assert r.fs_loads == [a + 0x80] and int(r.task.fs_base) == a + 0x80
    assert r.call(nr, ARCH_GET_FS, a + 8) == 0
    assert uword(r.p, a + 8) == a + 0x80
    for bad in (0x0000_8000_0000_0000, 0xFFFF_8000_0000_0000, M64):
        assert r.call(nr, ARCH_SET_FS, bad) == -EPERM
    assert r.fs_loads == [a + 0x80] and int(r.task.fs_base) == a + 0x80
    assert r.call(nr, ARCH_SET_GS, a + 0x40) == 0
    assert r.gs_loads == [a + 0x40] and int(r.task.gs_base) == a + 0x40
    assert r.call(nr, ARCH_GET_GS, a + 16) == 0
    assert uword(r.p, a + 16) == a + 0x40
    assert r.call(nr, ARCH_SET_GS, 0xFFFF_8000_0000_0000) == -EPERM
    assert r.call(nr, 0x9999, a) == -EINVAL
    assert r.call(nr, ARCH_GET_FS, 0) == -EFAULT
    assert r.call(nr, ARCH_GET_FS, read_only_page(r)) == -EFAULT
    assert r.call(nr, ARCH_SET_FS, 0) == 0          # clearing it is allowed
    assert r.fs_loads[-1] == 0


# ------------------------------------------------------------------ signals


def test_rt_sigaction(running: Running) -> None:
    """Actions are stored and read back (32-byte kernel sigaction); SIGKILL/SIGSTOP cannot be
    changed but can be queried; bad numbers and sizes are EINVAL; a bad pointer EFAULT."""
    r = running
    nr = int(N.X86_64_NR_RT_SIGACTION)
    a = scratch(r)
    act = (0x401000).to_bytes(8, "little") + (0x04000000).to_bytes(8, "little") + \
        (0x402000).to_bytes(8, "little") + (1 << 5).to_bytes(8, "little")
    uwrite(r.p, a, act)
    assert r.call(nr, SIGUSR1, a, 0, 8) == 0
    assert r.call(nr, SIGUSR1, 0, a + 64, 8) == 0
    assert uread(r.p, a + 64, 32) == act
    # Same buffer in and out: the old action comes back, the new one is taken.
    uwrite(r.p, a + 128, bytes(32))
    assert r.call(nr, SIGUSR1, a + 128, a + 128, 8) == 0
    assert uread(r.p, a + 128, 32) == act
    assert r.call(nr, SIGUSR1, 0, a + 64, 8) == 0
    assert uread(r.p, a + 64, 32) == bytes(32)
    for sig in (SIGKILL, SIGSTOP):
        assert r.call(nr, sig, a, 0, 8) == -EINVAL
        assert r.call(nr, sig, 0, a + 64, 8) == 0
    for sig in (0, 65, M64):
        assert r.call(nr, sig, 0, 0, 8) == -EINVAL
    assert r.call(nr, SIGUSR1, a, 0, 4) == -EINVAL
    assert r.call(nr, SIGUSR1, a, 0, 16) == -EINVAL
    # EFAULT on the new action leaves the old one; EFAULT on oact changes nothing either.
    assert r.call(nr, SIGUSR1, a, 0, 8) == 0
    assert r.call(nr, SIGUSR1, 0x10, 0, 8) == -EFAULT
    assert r.call(nr, SIGUSR1, a + 4096 * 2 - 16, 0, 8) == -EFAULT   # runs off the mapping
    assert r.call(nr, SIGUSR1, 0, read_only_page(r), 8) == -EFAULT
    assert r.call(nr, SIGUSR1, 0, a + 192, 8) == 0
    assert uread(r.p, a + 192, 32) == act
    assert r.call(nr, 64, a, 0, 8) == 0                               # the last signal


def test_rt_sigprocmask(running: Running) -> None:
    """BLOCK/UNBLOCK/SETMASK update the mask, the old one is stored; SIGKILL and SIGSTOP are never
    blocked; a bad how or size is EINVAL; bad pointers EFAULT."""
    r = running
    nr = int(N.X86_64_NR_RT_SIGPROCMASK)
    a = scratch(r)

    def setw(v: int) -> None:
        uwrite(r.p, a, v.to_bytes(8, "little"))

    setw(0b1010)
    assert r.call(nr, 0, a, 0, 8) == 0
    setw(0b0110)
    assert r.call(nr, 0, a, a + 8, 8) == 0
    assert uword(r.p, a + 8) == 0b1010
    setw(0b0010)
    assert r.call(nr, 1, a, a + 8, 8) == 0
    assert uword(r.p, a + 8) == 0b1110
    setw(M64)
    assert r.call(nr, 2, a, a + 8, 8) == 0
    assert uword(r.p, a + 8) == 0b1100
    assert r.call(nr, 0, 0, a + 8, 8) == 0
    assert uword(r.p, a + 8) == M64 & ~((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)))
    assert r.call(nr, 7, a, 0, 8) == -EINVAL
    assert r.call(nr, 7, 0, 0, 8) == 0                  # how is ignored without a set
    assert r.call(nr, 0, a, 0, 4) == -EINVAL
    assert r.call(nr, 0, 0x10, 0, 8) == -EFAULT
    assert r.call(nr, 0, 0, read_only_page(r), 8) == -EFAULT


# ------------------------------------------------------------------ clocks, randomness, limits


def test_clock_gettime(running: Running) -> None:
    """The monotonic clocks give the kernel clock split into seconds and nanoseconds; the realtime
    ones add the RTC base; unknown ids are EINVAL before the pointer is used; bad tp is EFAULT."""
    r = running
    nr = int(N.X86_64_NR_CLOCK_GETTIME)
    a = scratch(r)
    for clk in (1, 4, 6, 7, 2, 3):
        assert r.call(nr, clk, a) == 0
        assert (uword(r.p, a), uword(r.p, a + 8)) == (5, 123_456_789)
    ktime.set_realtime_base(u64(1_700_000_000))      # the RTC says so at monotonic 5.123456789 s
    r.now_ns += 1_000_000_000 + 1
    for clk in (0, 5):
        assert r.call(nr, clk, a) == 0
        assert (uword(r.p, a), uword(r.p, a + 8)) == (1_700_000_001, 1)
    for clk in (8, 12345, M64, 0xFFFF_FFFF_FFFF_FFFE):
        assert r.call(nr, clk, 0) == -EINVAL
    assert r.call(nr, 1, 0) == -EFAULT
    assert r.call(nr, 1, read_only_page(r)) == -EFAULT
    assert r.call(nr, 1, a + 2 * 4096 - 8) == -EFAULT


def test_getrandom(running: Running) -> None:
    """getrandom fills the buffer (not all zero, differs between calls); EINVAL for unknown flags;
    EFAULT for a bad buffer; n = 0 returns 0."""
    r = running
    nr = int(N.X86_64_NR_GETRANDOM)
    a = scratch(r)
    assert r.call(nr, a + 3, 37, 0) == 37
    first = uread(r.p, a + 3, 37)
    assert first != bytes(37) and uread(r.p, a, 3) == bytes(3) and uread(r.p, a + 40, 8) == bytes(8)
    r.tsc += 12345
    assert r.call(nr, a + 3, 37, 1) == 37
    assert uread(r.p, a + 3, 37) != first
    assert r.call(nr, a, 8, 8) == -EINVAL
    assert r.call(nr, 0x10, 8, 0) == -EFAULT
    assert r.call(nr, a + 2 * 4096 - 4, 8, 0) == -EFAULT
    assert r.call(nr, a, 0, 0) == 0


def test_prlimit64_and_getrlimit(running: Running) -> None:
    """RLIMIT_STACK is 8 MiB soft, infinite hard; NOFILE 1024/4096; another pid is ESRCH; an
    unknown resource EINVAL; soft above hard EINVAL; bad pointers EFAULT."""
    r = running
    nr = int(N.X86_64_NR_PRLIMIT64)
    a = scratch(r)
    assert r.call(nr, 0, 3, 0, a) == 0
    assert (uword(r.p, a), uword(r.p, a + 8)) == (8 << 20, M64)
    assert r.call(nr, 1, 7, 0, a) == 0
    assert (uword(r.p, a), uword(r.p, a + 8)) == (1024, 4096)
    assert r.call(int(N.X86_64_NR_GETRLIMIT), 7, a + 16) == 0
    assert (uword(r.p, a + 16), uword(r.p, a + 24)) == (1024, 4096)
    assert r.call(nr, 2, 3, 0, a) == -ESRCH
    assert r.call(nr, 0, 16, 0, a) == -EINVAL
    assert r.call(int(N.X86_64_NR_GETRLIMIT), 16, a) == -EINVAL
    uwrite(r.p, a + 32, (10).to_bytes(8, "little") + (5).to_bytes(8, "little"))
    assert r.call(nr, 0, 3, a + 32, 0) == -EINVAL
    assert r.call(nr, 0, 3, 0x10, 0) == -EFAULT
    assert r.call(nr, 0, 3, 0, read_only_page(r)) == -EFAULT
    assert r.call(int(N.X86_64_NR_GETRLIMIT), 3, 0) == -EFAULT

