"""Smoke test of `asterpy bench --quick`: both kernels boot the bench program, the output and the JSON
have their structure.  No timing is asserted (speed is never a test here).

Fetches Debian's linux-image-amd64 with apt-get download the first time (cached under
~/.cache/asterpy/linux/), so it needs a Debian host with apt; ~15 s under TCG once cached.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bootbuild import SharedKernels
from benchmarks.bench import (BENCHMARKS, LINE_RE, BootRun, make_initramfs, parse_output, plot_history,
                              summarize, symbolize)

pytestmark = pytest.mark.boot

REPO = Path(__file__).resolve().parents[2]


def test_parse_output_ignores_kernel_lines() -> None:
    """Benchmark lines and FAIL lines are read; log lines, unknown names and partial lines are not."""
    text = ("[    0.1] info: init: starting\nbench start quick\nnull_syscall 312.5 ns\n"
            "[pid 1] syscall 2 not implemented: ENOSYS\nopen_close FAIL ENOSYS\npipe_bw 81.0 MB/s\n"
            "bogus 1.0 ns\nstat 12\nbench done\n")
    run = parse_output(text, BootRun("asterpy"))
    assert run.values == {"null_syscall": 312.5, "pipe_bw": 81.0}
    assert run.failures == {"open_close": "ENOSYS"}
    assert run.done
    assert LINE_RE.match("file_read 1234.5 MB/s")


def test_make_initramfs_is_newc(tmp_path: Path) -> None:
    """The bench initramfs is a newc archive with the directories, both programs and the trailer."""
    out = make_initramfs(tmp_path / "i.cpio", {"init": b"\x7fELF1", "bin/exec_target": b"\x7fELF2"})
    data = out.read_bytes()
    assert data.startswith(b"070701") and len(data) % 512 == 0
    for name in (b"bin\0", b"dev\0", b"tmp\0", b"init\0", b"bin/exec_target\0", b"TRAILER!!!\0"):
        assert name in data


def test_summary_ratios_and_history(tmp_path: Path) -> None:
    """Medians, ratios and n/a from two fake runs each; --history reads the JSON back."""
    a1, a2 = BootRun("asterpy", {"getpid": 300.0, "pipe_bw": 50.0}), BootRun("asterpy", {"getpid": 100.0})
    l1, l2 = BootRun("linux", {"getpid": 100.0, "pipe_bw": 100.0}), BootRun("linux", {"getpid": 100.0})
    a2.failures["pipe_bw"] = "ENOSYS"
    rows = {r["name"]: r for r in summarize({"asterpy": [a1, a2], "linux": [l1, l2]})}
    assert rows["getpid"]["ratio"] == 2.0 and rows["getpid"]["meets_target"] is False
    assert rows["pipe_bw"]["ratio"] == 0.5 and rows["pipe_bw"]["asterpy"]["fail"] == ["ENOSYS"]
    assert rows["stat"]["ratio"] is None
    (tmp_path / "abc1234.json").write_text(json.dumps({"kind": "asterpy-bench", "commit": "abc1234",
                                                       "rows": list(rows.values())}))
    lines: list[str] = []
    plot_history(tmp_path, tmp_path / "history.png", lines.append)
    assert any(line.startswith("| abc1234 |") and "| 2.00 |" in line for line in lines), lines


def test_symbolize() -> None:
    """Kernel addresses map to the function below them; user addresses to [user]."""
    syms = [(0xFFFFFFFF80100000, "a"), (0xFFFFFFFF80100100, "b")]
    assert symbolize(0x401000, syms) == "[user]"
    assert symbolize(0xFFFFFFFF80100010, syms) == "a"
    assert symbolize(0xFFFFFFFF80100100, syms) == "b"


def test_bench_quick(shared_kernels: SharedKernels, tmp_path: Path) -> None:
    """`asterpy bench --quick`: a table row per benchmark, boot-to-init for both kernels, the
    accelerator named, JSON and a PNG written; Linux runs every benchmark, asterpy reaches init."""
    if shutil.which("qemu-system-x86_64") is None:
        pytest.fail("qemu-system-x86_64 is part of ./dev setup")
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        pytest.skip("bench fetches Debian's kernel: needs apt-get and dpkg-deb")
    shared_kernels.get("x86_64")  # built once per session into images/out/x86_64
    r = subprocess.run([sys.executable, "-m", "translator.cli", "bench", "--quick", "--no-build",
                        "--results-dir", str(tmp_path)],
                       cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    out = r.stdout
    assert r.returncode == 0, out + r.stderr
    assert "| benchmark | unit | asterpy | Linux | ratio asterpy/Linux | better |" in out, out
    for name in BENCHMARKS:
        assert f"\n| {name} | " in out, (name, out)
    assert "boot-to-init" in out, out
    assert "accel: TCG" in out or "accel: KVM" in out, out

    jsons = list(tmp_path.glob("*-quick.json"))
    assert len(jsons) == 1, list(tmp_path.iterdir())
    data = json.loads(jsons[0].read_text())
    assert data["kind"] == "asterpy-bench" and data["quick"] is True and data["runs"] == 1
    assert data["accel"] in ("tcg", "kvm")
    assert [row["name"] for row in data["rows"]] == list(BENCHMARKS)
    linux_run = data["runs_raw"]["linux"][0]
    assert linux_run["done"], out
    assert sorted(linux_run["values"]) == sorted(BENCHMARKS), linux_run  # Linux runs all of them
    ast_run = data["runs_raw"]["asterpy"][0]
    assert ast_run["boot_to_init"] is not None, out  # asterpy started the bench program as init
    for row in data["rows"]:
        if row["asterpy"]["median"] is None:
            assert row["ratio"] is None
    # matplotlib is a dependency: the chart is there.
    assert jsons[0].with_suffix(".png").is_file()


def test_icount_results_are_kept_apart(tmp_path: Path) -> None:
    """--history plots the icount results when there are any (or the mode asked for); the icount
    table counts instructions."""
    from benchmarks.bench import markdown_table
    rows = summarize({"asterpy": [BootRun("asterpy", {"getpid": 50.0})],
                      "linux": [BootRun("linux", {"getpid": 100.0})]})
    wall = summarize({"asterpy": [BootRun("asterpy", {"getpid": 300.0})],
                      "linux": [BootRun("linux", {"getpid": 100.0})]})
    (tmp_path / "abc1234-icount.json").write_text(json.dumps({"kind": "asterpy-bench", "commit": "abc1234",
                                                              "rows": rows}))
    (tmp_path / "abc1234.json").write_text(json.dumps({"kind": "asterpy-bench", "commit": "abc1234",
                                                       "rows": wall}))
    for icount, want in ((None, "| 0.50 |"), (True, "| 0.50 |"), (False, "| 3.00 |")):
        lines: list[str] = []
        plot_history(tmp_path, tmp_path / "history.png", lines.append, icount)
        assert any(line.startswith("| abc1234 |") and want in line for line in lines), (icount, lines)
    assert "| getpid | insns | 50.0 | 100 |" in markdown_table(rows, icount=True)
    assert "| getpid | ns |" in markdown_table(rows)
