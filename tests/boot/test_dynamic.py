"""Debian's dynamically linked programs run unmodified (issue #15): images/dynamic.py's image.

Each case boots the kernel under TCG with the dynamic image (the host's Debian 12 bash, coreutils,
python3.11 and their libraries, loaded by glibc's ld.so) and `bash -c CMD` as init, and compares
the output with the same command run on the host's Linux in a chroot of the same files. The
tests/user programs linked dynamically (glibc and musl) must print `N passed, 0 failed` in both.
Cases that cannot pass yet are in KNOWN_FAILING (strict xfails): delete an entry when it passes.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from bootbuild import SharedKernels
from translator.build import BuildResult
from images import QemuConfig, QemuResult, run_qemu
from images.cmdline import shell_command_cmdline

pytestmark = pytest.mark.boot

BOOT_TIMEOUT = float(os.environ.get("ASTERPY_USER_TEST_TIMEOUT", "60")) * 2
BASH = "/bin/bash"
KERNEL_FAULT_LINE = re.compile(r"(?m)^\[pid \d+\] signal \d+ \(exception \d+\) rip 0x[0-9a-f]+\n")

# Case id -> why it cannot pass yet (a strict xfail).
KNOWN_FAILING: dict[str, str] = {}


@dataclass(frozen=True)
class Case:
    """One `bash -c` command; `normalize` turns both outputs into what is compared."""

    id: str
    command: str
    normalize: str = "exact"    # exact | ls-l (mode, owner, group, name, link target) | keys (before ':')


# The user test programs that run as ordinary processes (not only as init) in the dynamic image.
# (t_socketpair fails one check on the host's Linux as an ordinary process; t_fileio one with
# Debian's older musl 1.2.3 loader: both are left out here.)
USER_PROGRAMS = ("t_dirs", "t_event", "t_fileio", "t_misc", "t_mm", "t_pipe", "t_signal", "t_spawn", "t_thread",
                 "t_time")
MUSL_PROGRAMS = tuple(p for p in USER_PROGRAMS if p != "t_fileio")

CASES = [
    Case("bash-loop", "for i in 1 2 3; do echo $i; done | wc -l"),
    Case("ls-l", "ls -l /", "ls-l"),
    Case("python-sum", "python3 -S -I -c 'print(sum(range(10)))'"),
    Case("python-os-sys-json", "export PATH=/usr/bin:/bin; python3 -I -c 'import os, sys, json; "
         "print(json.dumps({\"cwd\": os.getcwd(), \"argv\": sys.argv, \"exe\": sys.executable, "
         "\"prefix\": sys.prefix, \"utf8\": \"\\u00e9\".encode()[0]}, sort_keys=True))'"),
    # The modules the issue names, each doing one real thing.
    Case("python-stdlib", "python3 -I -c 'import subprocess, threading, hashlib, tempfile, select, signal, socket, "
         "json, os\na, b = socket.socketpair(); a.send(b\"x\"); print(b.recv(1))\n"
         "print(subprocess.run([\"/bin/echo\", \"hi\"], capture_output=True).stdout)\n"
         "print(hashlib.sha256(b\"\").hexdigest()[:8])\n"
         "t = threading.Thread(target=print, args=(\"thread\",)); t.start(); t.join()\n"
         "d = tempfile.mkdtemp(); print(os.path.isdir(d)); os.rmdir(d)\n"
         "r, w = os.pipe(); os.write(w, b\"y\"); print(select.select([r], [], [], 1)[0] == [r])\n"
         "signal.signal(signal.SIGUSR1, lambda *a: print(\"sig\")); os.kill(os.getpid(), signal.SIGUSR1)\n"
         "print(json.dumps({\"ok\": 1}))'"),
    Case("coreutils", "rm -rf /tmp/cu; mkdir /tmp/cu && cd /tmp/cu && "
         "printf 'b\\na\\nc\\n' > f && sort f | head -n 2 && wc -l < f && "
         "mkdir -p d/e && stat -c %A d && stat -c '%A %s' f && uname -s && id -u && env -i A=1 env && "
         "cp f g && sha256sum g | cut -c1-16 && rm -r d f g && ls"),
    # glibc's ld.so prints the auxiliary vector: every entry asterpy gives, by name (values differ).
    Case("auxv", "LD_SHOW_AUXV=1 /bin/true | cut -d: -f1 | grep -v -e SYSINFO_EHDR -e '???' | sort", "keys"),
    # execve of a program whose PT_INTERP is missing: ENOENT ("required file not found", 127);
    # not executable: EACCES; not an ELF file: ELIBBAD.
    Case("missing-interp", "/tests/badinterp/missing 2>&1; echo status $?"),
    Case("noexec-interp", "/tests/badinterp/notexec 2>&1; echo status $?"),
    Case("notelf-interp", "/tests/badinterp/notelf 2>&1; echo status $?"),
    Case("short-interp", "/tests/badinterp/short 2>&1; echo status $?"),
    # PIE programs move: two runs of cat map it at different addresses.
    Case("pie-random", "a=$(head -c 12 /proc/self/maps); b=$(head -c 12 /proc/self/maps); "
         "test \"$a\" != \"$b\" && echo moved"),
] + [Case(f"glibc-{p}", f"/tests/glibc-dyn/{p} 2>&1 | tail -n 1") for p in USER_PROGRAMS] \
  + [Case(f"musl-{p}", f"/tests/musl-dyn/{p} 2>&1 | tail -n 1") for p in MUSL_PROGRAMS]


def normalize(kind: str, text: str) -> str:
    """What of an output is compared with the host's."""
    if kind == "ls-l":
        out = []
        for line in text.splitlines():
            f = line.split()
            if len(f) < 9:
                continue       # "total N"
            out.append(" ".join([f[0], f[2], f[3]] + f[8:]))
        return "\n".join(out)
    if kind == "keys":
        return "\n".join(sorted(line.strip() for line in text.splitlines()))
    return text


def case_params() -> list[object]:
    """CASES as pytest params, strict xfails where KNOWN_FAILING says so."""
    return [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_FAILING[c.id])]
                         if c.id in KNOWN_FAILING else []) for c in CASES]


@pytest.fixture(scope="module")
def kernel(shared_kernels: SharedKernels) -> BuildResult:
    """The x86_64 kernel, built once per test session (conftest.py)."""
    return shared_kernels.get("x86_64")


@pytest.fixture(scope="module")
def image(shared_kernels: SharedKernels) -> Path:
    """The dynamic image, uncompressed (the kernel skips the gunzip)."""
    if not os.path.exists(BASH) or shutil.which("ldd") is None:
        pytest.skip("needs a glibc host with /bin/bash and ldd (Debian 12)")
    from images.dynamic import build_dynamic_image, dynamic_image_path
    return build_dynamic_image(out=dynamic_image_path().with_name("dynamic.cpio"), compress=False)


@pytest.fixture(scope="module")
def host_root(image: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The image unpacked for the host's Linux (chroot), with a procfs on its /proc."""
    from images.initramfs import S_IFDIR, S_IFLNK, parse_newc
    if os.geteuid() != 0:
        pytest.skip("chroot needs root")
    root = tmp_path_factory.mktemp("dynroot")
    for m in parse_newc(image.read_bytes()):
        path = root / m.name
        kind = m.mode & 0o170000
        if kind == S_IFDIR:
            path.mkdir(parents=True, exist_ok=True)
        elif kind == S_IFLNK:
            path.symlink_to(m.data.decode())
        else:
            path.write_bytes(m.data)
        if kind != S_IFLNK:
            path.chmod(m.mode & 0o7777)
    mounted = subprocess.run(["mount", "-t", "proc", "-o", "nosuid,nodev,noexec", "proc",
                              str(root / "proc")]).returncode == 0
    yield root
    if mounted:
        subprocess.run(["umount", str(root / "proc")])


def run_in_asterpy(kernel: BuildResult, image: Path, command: str) -> QemuResult:
    """Boot with `bash -c command` as init (what `asterpy run -c` does, with bash)."""
    return run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=BOOT_TIMEOUT, initrd=image,
                               cmdline=shell_command_cmdline(command, shell=BASH)))


def run_on_host(root: Path, command: str) -> str:
    """The same command in a chroot of the image on the host's Linux."""
    r = subprocess.run([shutil.which("chroot") or "/usr/sbin/chroot", str(root), BASH, "-c", command], capture_output=True, timeout=120,
                       env={"HOME": "/", "TERM": "linux"})     # what Linux gives init: bash sets PATH
    return (r.stdout + r.stderr).decode()


def test_image_is_small_and_debian(image: Path) -> None:
    """The image holds the host's own ld.so, libc and bash, and stays under 40 MiB unpacked."""
    from images.initramfs import parse_newc
    members = {m.name: m for m in parse_newc(image.read_bytes())}
    assert sum(len(m.data) for m in members.values()) < 40 << 20
    for name in ("usr/bin/bash", "usr/lib/x86_64-linux-gnu/libc.so.6", "usr/bin/python3.11"):
        assert members[name].data == Path("/" + name).read_bytes(), name
    assert members["lib64"].data == b"usr/lib64"


def test_known_failing_names_real_cases() -> None:
    """Every KNOWN_FAILING entry is a case of this module."""
    assert set(KNOWN_FAILING) <= {c.id for c in CASES}


@pytest.mark.parametrize("case", case_params())
def test_dynamic(kernel: BuildResult, image: Path, host_root: Path, case: Case) -> None:
    """The command prints in asterpy what it prints on the host's Linux (normalized as the case says)."""
    expected = run_on_host(host_root, case.command)
    if case.id.startswith(("glibc-", "musl-")):
        assert expected.endswith(" passed, 0 failed\n"), f"fails on the host: {expected[-2000:]}"
    elif case.id == "pie-random":
        assert expected == "moved\n", expected
    r = run_in_asterpy(kernel, image, case.command)
    # A kernel log line (e.g. "syscall N not implemented") shows in the output and fails the case;
    # only the report of a fatal CPU exception a test program causes on purpose is dropped.
    out = KERNEL_FAULT_LINE.sub("", r.output.replace("\r", ""))
    assert not r.timed_out, f"no exit within {BOOT_TIMEOUT:g} s\n{out[-3000:]}"
    assert normalize(case.normalize, out) == normalize(case.normalize, expected), \
        f"{case.command!r}:\nasterpy: {out[-3000:]!r}\nhost:    {expected[-3000:]!r}"
