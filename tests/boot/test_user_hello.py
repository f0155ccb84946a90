"""Run unmodified static Linux programs as init: hello (musl and glibc), a NULL write, busybox echo.

Boots the real kernel with an initramfs (newc cpio, written here) and `init=...` on the command
line (src/asterpy/task/init.py, process.py, syscall/dispatch.py, arch/x86_64/syscall.py and
usermode.py), and checks the program's output, the kernel's report of how it ended and QEMU's
exit status (the kernel passes the init's exit code to isa-debug-exit).
"""
from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from translator.build import BuildResult
from bootbuild import SharedKernels
from images import QemuConfig, QemuResult, run_qemu

pytestmark = pytest.mark.boot

REPO = Path(__file__).resolve().parents[2]
USER_SRC = REPO / "tests" / "user"
BUSYBOX = Path("/bin/busybox")


def newc_member(name: str, data: bytes, mode: int, ino: int) -> bytes:
    """One newc cpio member (header, NUL-terminated name, data, each padded to 4 bytes)."""
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    header = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = header + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def make_cpio(files: dict[str, bytes], dirs: tuple[str, ...] = ()) -> bytes:
    """A newc archive with these directories and executable files, then the trailer."""
    out = b""
    ino = 1
    for d in dirs:
        out += newc_member(d, b"", 0o040755, ino)
        ino += 1
    for name, data in files.items():
        out += newc_member(name, data, 0o100755, ino)
        ino += 1
    out += newc_member("TRAILER!!!", b"", 0, 0)
    return out + b"\0" * (-len(out) % 512)


def compile_static(src: Path, out: Path, compiler: str) -> Path:
    """Build src statically: compiler "zig" (x86_64 musl through ziglang) or "gcc" (host glibc)."""
    if compiler == "zig":
        cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "x86_64-linux-musl", "-static", "-O2",
               str(src), "-o", str(out)]
    else:
        if shutil.which("gcc") is None:
            pytest.skip("gcc is not installed")
        cmd = ["gcc", "-static", "-O2", str(src), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 and compiler == "gcc" and "cannot find -lc" in proc.stderr:
        pytest.skip("no static glibc (libc6-dev) for gcc -static")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def kernel(shared_kernels: SharedKernels) -> BuildResult:
    """The x86_64 kernel from arch/x86_64/entry.py, built once per test session (conftest.py)."""
    return shared_kernels.get("x86_64")


def boot(kernel: BuildResult, initrd: Path, cmdline: str, timeout: float = 60.0) -> QemuResult:
    """Boot under TCG with the initrd and this command line (asterpy.exit=1 first: words after `--` go to init)."""
    return run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=timeout, cmdline="asterpy.exit=1 " + cmdline,
                               initrd=initrd))


def text(r: QemuResult) -> str:
    """The serial output with CR LF as LF."""
    return r.output.replace("\r", "")


def write_initrd(path: Path, files: dict[str, bytes], dirs: tuple[str, ...] = (), gz: bool = False) -> Path:
    """Write an initramfs (optionally gzip-compressed) and return its path."""
    data = make_cpio(files, dirs)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("compiler,gz", [("zig", False), ("gcc", False), ("zig", True)],
                         ids=["musl", "glibc", "musl-gzip"])
def test_hello_runs_in_user_mode(kernel: BuildResult, tmp_path: Path, compiler: str, gz: bool) -> None:
    """A static hello world checks its argv/auxv and some syscall errors, prints its line and exits
    3; the kernel reports it and QEMU exits 3."""
    exe = compile_static(USER_SRC / "hello.c", tmp_path / "hello", compiler)
    initrd = write_initrd(tmp_path / "initrd.img", {"init": exe.read_bytes()}, gz=gz)
    r = boot(kernel, initrd, "init=/init")
    out = text(r)
    assert "check failed" not in out, out
    assert "checks passed\n" in out, out
    assert "hello from user space\n" in out, out
    assert "init exited with status 3" in out, out
    assert out.index("hello from user space") < out.index("init exited with status 3")
    assert "panic" not in out, out
    assert r.exit_status == 3, (r.returncode, out)


def test_null_write_is_sigsegv(kernel: BuildResult, tmp_path: Path) -> None:
    """Writing through NULL ends init with SIGSEGV (reported, no kernel panic); QEMU exits 64 + 11."""
    exe = compile_static(USER_SRC / "segv.c", tmp_path / "segv", "zig")
    initrd = write_initrd(tmp_path / "initrd.img", {"init": exe.read_bytes()})
    r = boot(kernel, initrd, "init=/init")
    out = text(r)
    assert "about to fault" in out, out
    # The report's wording since signals landed: "[pid 1] signal 11 (page fault) at 0x0 rip 0x...".
    assert "[pid 1] SIGSEGV at 0x0 rip 0x" in out or "[pid 1] signal 11 (page fault) at 0x0 rip 0x" in out, out
    assert "still alive" not in out, out
    assert "init killed by signal 11" in out, out
    assert "panic" not in out, out
    assert r.exit_status == 64 + 11, (r.returncode, out)


def test_busybox_echo(kernel: BuildResult, tmp_path: Path) -> None:
    """Debian's static busybox (glibc) runs `echo hello` as init (arguments after `--`)."""
    if not BUSYBOX.is_file():
        pytest.skip("no /bin/busybox (Debian busybox-static)")
    initrd = write_initrd(tmp_path / "initrd.img", {"bin/busybox": BUSYBOX.read_bytes()}, dirs=("bin",))
    r = boot(kernel, initrd, "init=/bin/busybox -- echo hello")
    out = text(r)
    assert "\nhello\n" in out, out
    assert "init exited with status 0" in out, out
    assert r.exit_status == 0, (r.returncode, out)


def test_missing_init_is_linux_panic(kernel: BuildResult, tmp_path: Path) -> None:
    """An init= program that is not in the initramfs is Linux's panic, without a backtrace; with
    asterpy.exit=1 QEMU then reports FAIL."""
    initrd = write_initrd(tmp_path / "initrd.img", {"other": b"\x7fELF"})
    r = boot(kernel, initrd, "init=/init")
    out = text(r)
    assert "Kernel panic - not syncing: Requested init /init failed (error -2).\n" in out, out
    assert "backtrace" not in out, out
    assert r.exit_status == 0x11, (r.returncode, out)


def test_default_boot_runs_no_init(kernel: BuildResult) -> None:
    """Without an initramfs there is nothing to run as init (no block devices): the boot ends, PASS."""
    r: Optional[QemuResult] = run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=30.0,
                                                  cmdline="asterpy.exit=1"))
    assert r is not None
    out = text(r)
    assert "init:" not in out, out
    assert r.exit_status == 0x10, (r.returncode, out)
