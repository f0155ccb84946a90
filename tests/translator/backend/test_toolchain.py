"""Toolchain: zig cc and ld.lld from the ziglang wheel, and readable failures."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from translator.toolchain import DEFAULT_ZIG_CACHE, ToolError, ld_lld, run_tool, zig_cc, zig_env


def test_zig_cc_is_clang_22() -> None:
    assert "clang version 22" in zig_cc(["--version"]).stdout


def test_ld_lld_is_lld_22() -> None:
    assert "LLD 22" in ld_lld(["--version"]).stdout


def test_failure_names_tool_command_and_stderr(tmp_path: Path) -> None:
    src = tmp_path / "broken.c"
    src.write_text("int f(void) { return undeclared_thing; }\n")
    with pytest.raises(ToolError) as info:
        zig_cc(["-c", str(src), "-o", str(tmp_path / "broken.o"), "-target", "x86_64-freestanding-none"])
    msg = str(info.value)
    assert msg.startswith("zig cc failed")
    assert "broken.c" in msg and "undeclared_thing" in msg
    assert info.value.returncode != 0 and "undeclared_thing" in info.value.stderr


def test_missing_program_is_a_tool_error() -> None:
    with pytest.raises(ToolError, match="no-such-tool"):
        run_tool("no-such-tool", ["/nonexistent/no-such-tool"])


def test_tool_error_pickles() -> None:
    err = ToolError("ld.lld", ["ld.lld", "x.o"], 1, "", "undefined symbol: f")
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.cmd == ["ld.lld", "x.o"]


def test_zig_env_defaults_to_repo_cache() -> None:
    env = zig_env({})
    assert env["ZIG_GLOBAL_CACHE_DIR"] == str(DEFAULT_ZIG_CACHE)
    assert env["ZIG_LOCAL_CACHE_DIR"] == str(DEFAULT_ZIG_CACHE)
    assert DEFAULT_ZIG_CACHE.parts[-2:] == (".cache", "zig")


def test_zig_env_respects_preset(tmp_path: Path) -> None:
    env = zig_env({"ZIG_GLOBAL_CACHE_DIR": str(tmp_path / "g")})
    assert env["ZIG_GLOBAL_CACHE_DIR"] == env["ZIG_LOCAL_CACHE_DIR"] == str(tmp_path / "g")
