"""The same initramfs and the same kernel command line boot Debian's Linux and asterpy in the same QEMU.

tests/user/initargs.c runs as init under both and prints its argv, envp, what fds 0-2 are and its
pid, then powers off with reboot(2); the lines must be the same. The cases cover Linux's init
search order (`/init` by default even with `init=`, `rdinit=`, the default list after an `/init`
that cannot run), `panic=1` (Linux's "reboot a second after a panic", which once made asterpy
panic on purpose), the words consumed by the kernel, passed as environment or as arguments, and
Linux's panics when the requested init is missing or init exits (then panic=N reboots: QEMU,
started with -no-reboot, exits).

Debian's kernel comes from `asterpy bench`'s cache (benchmarks/bench.py: apt-get download the
first time, under ~/.cache/asterpy/linux/). Five cases boot both kernels, one asterpy alone; ~1-2 min
under TCG.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bootbuild import SharedKernels
from benchmarks.bench import MACHINE, MEMORY_MB, BenchError, fetch_linux, make_initramfs
from images import KERNEL_EXIT_FAIL, QemuConfig, QemuResult, run_qemu
from images.initramfs import _load_user_build

pytestmark = pytest.mark.boot

REPO = Path(__file__).resolve().parents[2]
INITARGS_SRC = REPO / "tests" / "user" / "initargs.c"
BUSYBOX = Path("/bin/busybox")
REPORT = re.compile(r"^(?:argc \d+|argv\[\d+\] .*|envp\[\d+\] .*|fd \d .*|pid \d+|initargs done)$", re.M)


@pytest.fixture(scope="module")
def linux() -> Path:
    """Debian's vmlinux, as `asterpy bench` fetches and caches it."""
    try:
        return fetch_linux(lambda line: None).vmlinux
    except BenchError as e:
        pytest.skip(f"Debian's Linux kernel is not available here: {e}")


@pytest.fixture(scope="module")
def asterpy(shared_kernels: SharedKernels) -> Path:
    """asterpy's PVH kernel (the one the bench boots on the same machine as Linux)."""
    built = shared_kernels.get("x86_64")
    return built.kernel_pvh if built.kernel_pvh is not None else built.kernel


@pytest.fixture(scope="module")
def initargs(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """tests/user/initargs.c built static for x86_64 musl (tests/user/build.py's flags)."""
    ub = _load_user_build()
    out = tmp_path_factory.mktemp("initargs") / "initargs"
    cmd = ub.TARGETS["x86_64-musl"].command(INITARGS_SRC, out) + ["-s"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ub.zig_env(), check=False)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return out.read_bytes()


def boot(elf: Path, initrd: Path, cmdline: str) -> QemuResult:
    """Boot like `asterpy bench`: pc machine, 1 vCPU, -no-reboot, the serial console captured."""
    return run_qemu(QemuConfig(kernel=elf, arch="x86_64", machine=MACHINE, accel="tcg", memory_mb=MEMORY_MB,
                               smp=1, cmdline=cmdline, initrd=initrd, timeout=90.0))


def both(linux: Path, asterpy: Path, initrd: Path, cmdline: str) -> tuple[str, str]:
    """The serial output of Linux and of asterpy for the same initramfs and command line (CR LF as LF)."""
    out = []
    for elf in (linux, asterpy):
        r = boot(elf, initrd, cmdline)
        assert not r.timed_out, f"{elf.name} did not power off or reboot:\n{r.output[-3000:]}"
        out.append(r.output.replace("\r", ""))
    return out[0], out[1]


def report(output: str) -> list[str]:
    """initargs's lines, in order."""
    return REPORT.findall(output)


def test_default_init_args_env_and_panic_1(linux: Path, asterpy: Path, initargs: bytes, tmp_path: Path) -> None:
    """/init runs although init= names another program; unknown words before init= are dropped,
    later ones are arguments (nokaslr too), name=value words environment (TERM replaces TERM),
    words with a dot and the kernel's own words are consumed, `--` passes the rest on; panic=1
    does not panic; fds 0-2 are /dev/console (5:1); argv[0] is the path."""
    initrd = make_initramfs(tmp_path / "i.cpio", {"init": initargs, "bin/sh": initargs})
    line = ('console=ttyS0 panic=1 loglevel=3 x1 init=/bin/sh foo nokaslr quiet ro rootwait root=/dev/vda '
            'noapic nosmp mitigations=off tsc=reliable printk.time=0 oops=panic w=1 mod.x=1 asterpy.exit=1 '
            'TERM=vt100 -- a "b c" d=e')
    on_linux, on_asterpy = both(linux, asterpy, initrd, line)
    expected = ["argc 6", "argv[0] /init", "argv[1] foo", "argv[2] nokaslr", "argv[3] a", "argv[4] b c",
                "argv[5] d=e", "envp[0] HOME=/", "envp[1] TERM=vt100", "envp[2] w=1",
                "fd 0 chr 5:1", "fd 1 chr 5:1", "fd 2 chr 5:1", "pid 1", "initargs done"]
    assert report(on_linux) == expected, on_linux[-3000:]
    assert report(on_asterpy) == expected, on_asterpy[-3000:]
    assert "panic" not in on_asterpy.lower(), on_asterpy


def test_rdinit(linux: Path, asterpy: Path, initargs: bytes, tmp_path: Path) -> None:
    """rdinit= names the initramfs's program instead of /init; the arguments before it are dropped."""
    initrd = make_initramfs(tmp_path / "i.cpio", {"init": initargs, "bin/other": initargs})
    on_linux, on_asterpy = both(linux, asterpy, initrd, "console=ttyS0 quiet foo rdinit=/bin/other bar=1 baz")
    expected = ["argc 2", "argv[0] /bin/other", "argv[1] baz", "envp[0] HOME=/", "envp[1] TERM=linux",
                "envp[2] bar=1", "fd 0 chr 5:1", "fd 1 chr 5:1", "fd 2 chr 5:1", "pid 1", "initargs done"]
    assert report(on_linux) == expected, on_linux[-3000:]
    assert report(on_asterpy) == expected, on_asterpy[-3000:]


def test_default_list_after_a_broken_init(linux: Path, asterpy: Path, initargs: bytes, tmp_path: Path) -> None:
    """An /init that is no program: Linux's error line, then /sbin/init, /etc/init, /bin/init, /bin/sh."""
    initrd = make_initramfs(tmp_path / "i.cpio", {"init": b"garbage", "bin/sh": initargs})
    on_linux, on_asterpy = both(linux, asterpy, initrd, "console=ttyS0 x y=1")
    expected = ["argc 2", "argv[0] /bin/sh", "argv[1] x", "envp[0] HOME=/", "envp[1] TERM=linux", "envp[2] y=1",
                "fd 0 chr 5:1", "fd 1 chr 5:1", "fd 2 chr 5:1", "pid 1", "initargs done"]
    assert report(on_linux) == expected, on_linux[-3000:]
    assert report(on_asterpy) == expected, on_asterpy[-3000:]
    for out in (on_linux, on_asterpy):
        assert "Failed to execute /init (error -8)" in out, out[-3000:]
        runs = re.findall(r"Run (\S+) as init process", out)
        assert runs == ["/init", "/sbin/init", "/etc/init", "/bin/init", "/bin/sh"], out[-3000:]


def test_missing_requested_init_panics_then_reboots(linux: Path, asterpy: Path, initargs: bytes,
                                                    tmp_path: Path) -> None:
    """init= names no file: Linux's panic; panic=1 reboots a second later (QEMU exits under -no-reboot)."""
    initrd = make_initramfs(tmp_path / "i.cpio", {"init": b"garbage", "bin/sh": initargs})
    on_linux, on_asterpy = both(linux, asterpy, initrd, "console=ttyS0 init=/bin/nonexist panic=1")
    for out in (on_linux, on_asterpy):
        assert "Kernel panic - not syncing: Requested init /bin/nonexist failed (error -2)." in out, out[-3000:]
        assert "Rebooting in 1 seconds.." in out, out[-3000:]
        assert report(out) == [], out[-3000:]


def test_init_exiting_is_a_panic_and_panic_minus_1_reboots(linux: Path, asterpy: Path, tmp_path: Path) -> None:
    """init must not end: `sh -c "exit 3"` as init is Linux's "Attempted to kill init!" panic with the
    wait status, and panic=-1 reboots at once (QEMU, started with -no-reboot, exits)."""
    if not BUSYBOX.is_file():
        pytest.skip("no /bin/busybox (Debian busybox-static)")
    initrd = make_initramfs(tmp_path / "i.cpio", {"bin/busybox": BUSYBOX.read_bytes()})
    on_linux, on_asterpy = both(linux, asterpy, initrd,
                                'console=ttyS0 panic=-1 rdinit=/bin/busybox -- sh -c "echo from-sh; exit 3"')
    for out in (on_linux, on_asterpy):
        assert "\nfrom-sh\n" in out, out[-3000:]
        assert "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300" in out, out[-3000:]


def test_no_working_init(asterpy: Path, tmp_path: Path) -> None:
    """An initramfs with nothing to run: Linux's last words (asterpy only: Linux would first try to
    mount root=, which needs a block device); asterpy.exit=1 then reports FAIL."""
    initrd = make_initramfs(tmp_path / "i.cpio", {"init": b"garbage", "sbin/init": b"\x7fELF"})
    r = boot(asterpy, initrd, "console=ttyS0 asterpy.exit=1")
    out = r.output.replace("\r", "")
    assert "Failed to execute /init (error -8)" in out, out
    assert "Starting init: /sbin/init exists but couldn't execute it (error -8)" in out, out
    assert ("Kernel panic - not syncing: No working init found.  Try passing init= option to kernel. "
            "See Linux Documentation/admin-guide/init.rst for guidance.\n") in out, out
    assert r.exit_status == KERNEL_EXIT_FAIL, (r.returncode, out)
