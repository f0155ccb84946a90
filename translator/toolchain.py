"""External tools (zig cc, ld.lld from the ziglang wheel): locate, run, and report failures."""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Mapping

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ZIG_CACHE = REPO_ROOT / ".cache" / "zig"


class ToolError(RuntimeError):
    """An external tool failed; the message names the tool, the command and its stderr."""

    def __init__(self, tool: str, cmd: list[str], returncode: int, stdout: str, stderr: str) -> None:
        self.tool, self.cmd, self.returncode = tool, cmd, returncode
        self.stdout, self.stderr = stdout, stderr
        detail = (stderr.strip() or stdout.strip() or "(no output)")
        super().__init__(f"{tool} failed (exit status {returncode})\n"
                         f"  command: {shlex.join(cmd)}\n{detail}")

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        # picklable, so run_isolated can carry it from a child process
        return (ToolError, (self.tool, self.cmd, self.returncode, self.stdout, self.stderr))


def zig_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for zig: caches under the repo's .cache/zig unless already set."""
    env = dict(os.environ if base is None else base)
    # zig's default cache lives in $HOME, which CI's clean clones may not have writable:
    # keep it inside the checkout (ignored by git) so the ~30 s first build happens once.
    env.setdefault("ZIG_GLOBAL_CACHE_DIR", str(DEFAULT_ZIG_CACHE))
    env.setdefault("ZIG_LOCAL_CACHE_DIR", env["ZIG_GLOBAL_CACHE_DIR"])
    Path(env["ZIG_GLOBAL_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
    return env


def run_tool(tool: str, cmd: list[str], cwd: Path | None = None,
             env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `cmd`, capture its output, and raise ToolError naming `tool` if it fails."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=dict(env) if env is not None else None,
                              capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ToolError(tool, cmd, -1, "", str(exc)) from exc
    if proc.returncode != 0:
        raise ToolError(tool, cmd, proc.returncode, proc.stdout, proc.stderr)
    return proc


def zig_command(subcommand: str) -> list[str]:
    """The argv prefix that runs `zig <subcommand>` from the ziglang wheel of this Python."""
    return [sys.executable, "-m", "ziglang", subcommand]


def zig_cc(args: Iterable[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `zig cc ARGS` (clang of LLVM 22 with zig's targets); raise ToolError on failure."""
    return run_tool("zig cc", zig_command("cc") + list(args), cwd=cwd, env=zig_env())


def ld_lld(args: Iterable[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `ld.lld ARGS` (LLD 22 from the ziglang wheel); raise ToolError on failure."""
    return run_tool("ld.lld", zig_command("ld.lld") + list(args), cwd=cwd, env=zig_env())
