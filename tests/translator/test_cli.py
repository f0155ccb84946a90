"""The `asterpy` command line: compile, check, build and run, and errors as diagnostics (never tracebacks)."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from translator.build import BuildError, build_kernel
from translator.cli import main
from translator.link import read_machine

REPO = Path(__file__).resolve().parents[2]

GOOD = '''\
"""A small Kernel Python module."""
from asterpy.lang import u32, u64


def scale(x: u32, k: u32) -> u64:
    """x times k, widened."""
    return u64(x) * u64(k)
'''

# A literal that does not fit its declared type: a checker error at line 6, column 15.
BAD_TYPE = '''\
"""Refused: a literal out of range."""
from asterpy.lang import u8


def f() -> u8:
    x: u8 = 300
    return x
'''

BAD_SYNTAX = '''\
"""Refused: not Python."""
def f(:
    pass
'''

# Intrinsics are allowed only under arch/.
BAD_INTRINSIC = '''\
"""Refused: port I/O outside arch/."""
from asterpy.lang.intrinsics import outb
'''


def _write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a source file into tmp_path."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _invoke(*args: str) -> Result:
    """Run the CLI in process."""
    return CliRunner().invoke(main, list(args))


def _assert_diagnostic(result: Result, path: Path) -> None:
    """Exit status 1 and a positioned diagnostic with a caret, not a Python traceback."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert f"{path}:" in result.output and "error:" in result.output
    assert "^" in result.output


def test_help_lists_commands() -> None:
    """Every command is reachable from the group."""
    result = _invoke("--help")
    assert result.exit_code == 0
    for command in ("compile", "check", "build", "run", "image"):
        assert command in result.output


@pytest.mark.parametrize("emit,suffix", [("ll", ".ll"), ("asm", ".s"), ("obj", ".o")])
def test_compile_host_default_output(tmp_path: Path, emit: str, suffix: str) -> None:
    """compile writes next to the source with the emit kind's suffix."""
    src = _write(tmp_path, "sample.py", GOOD)
    result = _invoke("compile", str(src), "--emit", emit)
    assert result.exit_code == 0, result.output
    out = src.with_suffix(suffix)
    assert out.is_file() and out.stat().st_size > 0
    assert str(out) in result.output
    if emit == "ll":
        assert "sample.scale" in out.read_text()


@pytest.mark.parametrize("arch,machine", [("x86_64", 62), ("riscv64", 243), ("loongarch64", 258)])
def test_compile_kernel_arches_obj(tmp_path: Path, arch: str, machine: int) -> None:
    """compile --arch A --emit obj -o OUT makes an object for that machine."""
    src = _write(tmp_path, "sample.py", GOOD)
    out = tmp_path / f"sample-{arch}.o"
    result = _invoke("compile", str(src), "--arch", arch, "--emit", "obj", "-O", "1", "-o", str(out),
                     "--timings")
    assert result.exit_code == 0, result.output
    assert read_machine(out) == machine
    assert "check" in result.output  # the per-stage times


def test_compile_bad_opt_level(tmp_path: Path) -> None:
    """-O takes 0..3."""
    src = _write(tmp_path, "sample.py", GOOD)
    result = _invoke("compile", str(src), "-O", "7")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_check_ok(tmp_path: Path) -> None:
    """check accepts several files and counts the modules."""
    a = _write(tmp_path, "a.py", GOOD)
    b = _write(tmp_path, "b.py", GOOD.replace("scale", "twice"))
    result = _invoke("check", str(a), str(b))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 2 file(s)")


def test_check_the_kernel() -> None:
    """The x86_64 kernel entry and everything it imports type-check."""
    result = _invoke("check", str(REPO / "arch" / "x86_64" / "entry.py"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", ["check", "compile"])
def test_type_error_is_a_diagnostic(tmp_path: Path, command: str) -> None:
    """A checker error prints file:line:col, the line and a caret, and exits 1."""
    src = _write(tmp_path, "bad.py", BAD_TYPE)
    result = _invoke(command, str(src))
    _assert_diagnostic(result, src)
    assert f"{src}:6:" in result.output
    assert "x: u8 = 300" in result.output


def test_syntax_error_is_a_diagnostic(tmp_path: Path) -> None:
    """A syntax error is reported like any other diagnostic."""
    src = _write(tmp_path, "syn.py", BAD_SYNTAX)
    result = _invoke("check", str(src))
    _assert_diagnostic(result, src)
    assert "syntax error" in result.output


def test_intrinsics_outside_arch_refused(tmp_path: Path) -> None:
    """Importing intrinsics outside arch/ is refused with a diagnostic."""
    src = _write(tmp_path, "unsafe.py", BAD_INTRINSIC)
    result = _invoke("compile", str(src), "--arch", "x86_64", "--emit", "ll")
    _assert_diagnostic(result, src)
    assert "arch/" in result.output


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    """A file that does not exist is click's usage error (exit 2), not a traceback."""
    result = _invoke("check", str(tmp_path / "nope.py"))
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_build_error_names_the_stage(tmp_path: Path) -> None:
    """A kernel that does not translate fails in stage 'translate' with the diagnostic."""
    bad = _write(tmp_path, "entry.py", BAD_TYPE)
    with pytest.raises(BuildError) as info:
        build_kernel("x86_64", out=tmp_path / "out", entry=bad)
    assert info.value.stage == "translate"
    assert "build failed in stage 'translate'" in str(info.value)
    assert f"{bad}:6:" in str(info.value)
    assert not (tmp_path / "out" / "build.json").exists()


def test_build_unsupported_arch(monkeypatch: pytest.MonkeyPatch) -> None:
    """An arch missing from BUILD_ARCHES is a clean error (all three build today, so one is taken out)."""
    import translator.build
    monkeypatch.setattr(translator.build, "BUILD_ARCHES", ("x86_64",))
    result = _invoke("build", "--arch", "loongarch64")
    assert result.exit_code == 1
    assert "not supported yet" in result.output
    assert "Traceback" not in result.output


def test_run_unsupported_arch(monkeypatch: pytest.MonkeyPatch) -> None:
    """asterpy run says it cannot boot an arch missing from RUN_ARCHES (all three boot today)."""
    import translator.cli
    monkeypatch.setattr(translator.cli, "RUN_ARCHES", ("x86_64",))
    result = _invoke("run", "--arch", "loongarch64")
    assert result.exit_code == 1
    assert "not supported yet" in result.output


@pytest.mark.slow
def test_build_is_incremental(tmp_path: Path) -> None:
    """A second build with unchanged inputs is skipped; other options or a changed input rebuild."""
    from translator.build import MANIFEST, _manifest_matches
    out = tmp_path / "out"
    first = build_kernel("x86_64", out=out, pvh=False)
    assert not first.up_to_date and first.kernel.is_file()
    second = build_kernel("x86_64", out=out, pvh=False)
    assert second.up_to_date and second.total < 1.0
    manifest = json.loads((out / MANIFEST).read_text())
    options = manifest["options"]
    assert _manifest_matches(out, options, [first.kernel])
    assert not _manifest_matches(out, {**options, "opt": 1}, [first.kernel])
    assert str(REPO / "src" / "asterpy" / "kernel" / "main.py") in manifest["files"]
    # A kernel module whose recorded hash no longer matches (as after an edit) forces a rebuild.
    manifest["files"][str(REPO / "arch" / "x86_64" / "serial.py")] = "0" * 64
    (out / MANIFEST).write_text(json.dumps(manifest))
    assert not _manifest_matches(out, options, [first.kernel])


@pytest.mark.boot
def test_run_captured_boots_to_banner() -> None:
    """asterpy run (stdin not a terminal) builds, boots, prints the serial output and exits 0."""
    result = _invoke("run", "--cmdline", "cli-test asterpy.exit=1", "--timeout", "20")
    assert result.exit_code == 0, result.output
    assert "booted via multiboot1" in result.output
    assert "cmdline: cli-test asterpy.exit=1" in result.output


@pytest.mark.boot
def test_run_timeout_exit_status() -> None:
    """Without asterpy.exit=1 the kernel halts and run stops QEMU at --timeout with status 124."""
    result = _invoke("run", "--no-build", "--pvh", "--timeout", "3")
    if "does not exist" in result.output:
        pytest.skip("no kernel built yet")
    assert result.exit_code == 124, result.output
    assert "booted via pvh" in result.output
