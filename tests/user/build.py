"""Build (and optionally run) the user-space test programs tests/user/t_*.c for each target."""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CACHE_DIR = REPO_ROOT / ".cache" / "user"
HEADER = HERE / "kt.h"
# Programs that are not tests of their own (the syscall fuzzer): built the same way, by name.
EXTRA_DIRS = (REPO_ROOT / "tests" / "fuzz",)
COMMON_FLAGS = ["-static", "-O2", "-g0", "-Wall", "-std=gnu11"]

sys.path.insert(0, str(REPO_ROOT))
from translator.toolchain import zig_command, zig_env  # noqa: E402


def user_cc_flags(arch: str) -> tuple[str, ...]:
    """`-target`/`-mcpu`/`-mabi` for user programs: the translator's user-mode settings.

    Baseline CPUs on purpose: zig's default loongarch64 CPU emits LSX vector instructions
    (musl's strchrnul, for one) that QEMU 7.2 (Debian 12) does not implement, and matching
    the translator's flags lets both share zig's cached musl builds.
    """
    from translator.targets import get_target
    return tuple(get_target(arch, kernel=False).zig_cc_flags)


@dataclass(frozen=True)
class Target:
    """One way of building the programs: an architecture plus a C library and compiler."""

    name: str        # cache sub-directory and pytest id, e.g. "x86_64-musl"
    arch: str        # x86_64, riscv64 or loongarch64
    libc: str        # musl or glibc
    compiler: str    # "zig" (zig cc with -target) or "gcc" (the host's gcc)
    qemu: str | None  # qemu-user binary that runs it on an x86_64 host, or None if native

    def command(self, src: Path, out: Path) -> list[str]:
        """The compiler command line that builds `src` into `out`."""
        if self.compiler == "gcc":
            cc = ["gcc"]
        else:
            cc = zig_command("cc") + list(user_cc_flags(self.arch))
        return cc + COMMON_FLAGS + [f"-I{HERE}", "-o", str(out), str(src)]


TARGETS: dict[str, Target] = {t.name: t for t in [
    Target("x86_64-musl", "x86_64", "musl", "zig", None),
    Target("x86_64-glibc", "x86_64", "glibc", "gcc", None),
    Target("riscv64-musl", "riscv64", "musl", "zig", "qemu-riscv64-static"),
    Target("loongarch64-musl", "loongarch64", "musl", "zig", "qemu-loongarch64-static"),
]}
HOST_TARGETS = ["x86_64-musl", "x86_64-glibc"]


def programs() -> list[str]:
    """Names (without .c) of every test program, sorted."""
    return sorted(p.stem for p in HERE.glob("t_*.c"))


def source(prog: str) -> Path:
    """The C file of a program: tests/user/<prog>.c, else the first of EXTRA_DIRS that has it."""
    for d in (HERE,) + EXTRA_DIRS:
        if (d / f"{prog}.c").exists():
            return d / f"{prog}.c"
    return HERE / f"{prog}.c"


def _compiler_id(target: Target) -> str:
    """Something that changes when the compiler changes (so the cache is invalidated)."""
    if target.compiler == "gcc":
        exe = shutil.which("gcc")
        return f"gcc:{exe}:{os.stat(exe).st_mtime_ns if exe else 0}"
    import ziglang  # the wheel's version identifies its clang and musl
    return f"zig:{getattr(ziglang, '__file__', '')}:{_zig_version()}"


_ZIG_VERSION: str | None = None


def _zig_version() -> str:
    """`zig version` of the installed wheel (cached for the process)."""
    global _ZIG_VERSION
    if _ZIG_VERSION is None:
        out = subprocess.run(zig_command("version"), capture_output=True, text=True, check=False)
        _ZIG_VERSION = out.stdout.strip()
    return _ZIG_VERSION


def _fingerprint(target: Target, prog: str) -> str:
    """Hash of the source, the shared header, the command line and the compiler id."""
    h = hashlib.sha256()
    h.update(source(prog).read_bytes())
    h.update(HEADER.read_bytes())
    h.update(" ".join(target.command(Path("SRC"), Path("OUT"))).encode())
    h.update(_compiler_id(target).encode())
    return h.hexdigest()


class BuildError(RuntimeError):
    """A test program failed to compile; the message carries the compiler's output."""


def build_one(target: Target, prog: str, cache: Path = CACHE_DIR) -> Path:
    """Build one program for one target unless the cached binary is up to date; return it."""
    outdir = cache / target.name
    outdir.mkdir(parents=True, exist_ok=True)
    out = outdir / prog
    stamp = outdir / f"{prog}.sha256"
    fp = _fingerprint(target, prog)
    if out.exists() and stamp.exists() and stamp.read_text() == fp:
        return out
    tmp = outdir / f".{prog}.{os.getpid()}.tmp"
    cmd = target.command(source(prog), tmp)
    env = zig_env() if target.compiler == "zig" else None
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BuildError(f"{target.name}/{prog}: build failed\n  {' '.join(cmd)}\n"
                         f"{proc.stderr}{proc.stdout}")
    os.replace(tmp, out)  # atomic, so parallel pytest workers never see a half-written binary
    stamp.write_text(fp)
    return out


def build_all(target_names: list[str], progs: list[str] | None = None,
              jobs: int | None = None) -> dict[tuple[str, str], Path | BuildError]:
    """Build every (target, program) pair in parallel; failures are returned, not raised."""
    progs = progs or programs()
    pairs = [(TARGETS[t], p) for t in target_names for p in progs]
    results: dict[tuple[str, str], Path | BuildError] = {}

    def work(pair: tuple[Target, str]) -> None:
        target, prog = pair
        try:
            results[(target.name, prog)] = build_one(target, prog)
        except BuildError as exc:
            results[(target.name, prog)] = exc

    with ThreadPoolExecutor(max_workers=jobs or max(2, os.cpu_count() or 2)) as pool:
        list(pool.map(work, pairs))
    return results


SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$")
CASE_RE = re.compile(r"^(PASS|FAIL) (\S+): (.*)$")


@dataclass
class RunResult:
    """What one run of a test program printed and how it ended."""

    returncode: int
    stdout: str
    stderr: str
    passed: list[str]
    failed: list[str]
    summary: tuple[int, int] | None


def runner_for(target: Target) -> list[str] | None:
    """The argv prefix that runs a program of `target` here, or None if it cannot run."""
    if target.qemu is None:
        return []
    extra = os.environ.get("ASTERPY_QEMU_USER_DIR")
    exe = shutil.which(target.qemu, path=extra) if extra else None
    exe = exe or shutil.which(target.qemu)
    return [exe] if exe else None


def run_program(binary: Path, target: Target, tmpdir: Path | None = None,
                timeout: float = 30.0) -> RunResult:
    """Run one built program (natively or under qemu-user) and parse its output."""
    prefix = runner_for(target)
    if prefix is None:
        raise FileNotFoundError(f"no way to run {target.name} binaries here ({target.qemu})")
    env = dict(os.environ)
    if tmpdir is not None:
        env["KT_TMPDIR"] = str(tmpdir)
    proc = subprocess.run(prefix + [str(binary)], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    passed, failed = [], []
    for line in proc.stdout.splitlines():
        m = CASE_RE.match(line)
        if m:
            (passed if m.group(1) == "PASS" else failed).append(m.group(3))
    lines = proc.stdout.strip().splitlines()
    m = SUMMARY_RE.match(lines[-1]) if lines else None
    summary = (int(m.group(1)), int(m.group(2))) if m else None
    return RunResult(proc.returncode, proc.stdout, proc.stderr, passed, failed, summary)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the selected targets, optionally run what can run here."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--target", action="append", choices=sorted(TARGETS),
                    help="build only this target (repeatable; default: all)")
    ap.add_argument("--run", action="store_true", help="run the built programs where possible")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case line")
    ap.add_argument("progs", nargs="*", help="program names (default: every t_*.c)")
    args = ap.parse_args(argv)
    names = args.target or list(TARGETS)
    results = build_all(names, args.progs or None)
    status = 0
    for (tname, prog), res in sorted(results.items()):
        if isinstance(res, BuildError):
            print(f"BUILD FAIL {tname}/{prog}\n{res}")
            status = 1
            continue
        if not args.run:
            print(f"built {res}")
            continue
        target = TARGETS[tname]
        if runner_for(target) is None:
            print(f"built {tname}/{prog} (cannot run here: no {target.qemu})")
            continue
        r = run_program(res, target)
        if args.verbose:
            print(r.stdout, end="")
        print(f"{tname}/{prog}: exit {r.returncode}, summary {r.summary}")
        for f in r.failed:
            print(f"    FAIL {f}")
        if r.returncode != 0 or not r.summary or r.summary[1] != 0:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
