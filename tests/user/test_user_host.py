"""Run every user-space test program on the host's Linux, built with musl (zig cc) and glibc (gcc)."""
from __future__ import annotations

import importlib.util
import platform
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def _load_helper() -> ModuleType:
    """Import tests/user/build.py under a private name (a plain `import build` could find
    PyPA's `build` package instead)."""
    spec = importlib.util.spec_from_file_location("asterpy_user_build", HERE / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining classes
    spec.loader.exec_module(module)
    return module


build = _load_helper()

PROGRAMS = build.programs()


def _target_missing(name: str) -> str | None:
    """Why programs for `name` cannot be built and run here, or None if they can."""
    target = build.TARGETS[name]
    if platform.machine().lower() not in (target.arch, "amd64" if target.arch == "x86_64" else target.arch):
        return f"{target.arch} binaries cannot run on this {platform.machine()} host"
    if target.compiler == "gcc":
        if shutil.which("gcc") is None:
            return "gcc not installed"
        if not any(Path(d, "libc.a").exists() for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib")):
            return "static glibc (libc6-dev's libc.a) not installed"
    elif importlib.util.find_spec("ziglang") is None:
        return "ziglang not installed"
    return None


@pytest.fixture(scope="session")
def host_binaries() -> dict[tuple[str, str], Path | build.BuildError]:
    """Build all programs for the host targets once per session (cached under .cache/user)."""
    names = [t for t in build.HOST_TARGETS if _target_missing(t) is None]
    return build.build_all(names) if names else {}


def _describe(res: build.RunResult) -> str:
    """A compact account of a run for assertion messages."""
    tail = "\n".join(res.stdout.strip().splitlines()[-5:])
    return f"exit status {res.returncode}\n--- last lines ---\n{tail}\n--- stderr ---\n{res.stderr[-2000:]}"


def test_programs_found() -> None:
    """The suite has the programs the syscall matrix expects."""
    expected = {"t_fileio", "t_dirs", "t_pipe", "t_proc", "t_signal", "t_mm", "t_time",
                "t_misc", "t_thread", "t_badargs"}
    assert expected <= set(PROGRAMS)


@pytest.mark.parametrize("target", build.HOST_TARGETS)
@pytest.mark.parametrize("prog", PROGRAMS)
def test_on_host(prog: str, target: str, host_binaries: dict, tmp_path: Path) -> None:
    """One program, one libc: exit 0, no FAIL line, and a final `N passed, 0 failed` with N > 0."""
    why = _target_missing(target)
    if why:
        pytest.skip(why)
    binary = host_binaries[(target, prog)]
    if isinstance(binary, build.BuildError):
        pytest.fail(str(binary), pytrace=False)
    res = build.run_program(binary, build.TARGETS[target], tmpdir=tmp_path, timeout=30)
    assert not res.failed, f"{prog} ({target}) failed cases:\n  " + "\n  ".join(res.failed)
    assert res.summary is not None, f"{prog} ({target}) printed no summary line\n{_describe(res)}"
    npass, nfail = res.summary
    assert nfail == 0 and npass > 0, _describe(res)
    assert npass == len(res.passed), f"summary says {npass} passed, saw {len(res.passed)} PASS lines"
    assert res.returncode == 0, _describe(res)
    assert list(tmp_path.iterdir()) == [], "the program left files behind in its scratch directory"


@pytest.mark.slow
@pytest.mark.parametrize("target", ["riscv64-musl", "loongarch64-musl"])
def test_cross_builds(target: str) -> None:
    """Every program compiles statically for riscv64 and loongarch64 (run inside asterpy later)."""
    if importlib.util.find_spec("ziglang") is None:
        pytest.skip("ziglang not installed")
    results = build.build_all([target])
    failures = [str(r) for r in results.values() if isinstance(r, build.BuildError)]
    assert not failures, "\n".join(failures)
