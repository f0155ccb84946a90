"""LTP in CI: the cases of conformance/ltp-ci-cases.txt (for each syscall the LTP cases cover, the
fastest case that passes in asterpy) must keep passing inside asterpy.

The cases are built by conformance/ltp_build.py, the same build `asterpy conformance ltp` uses
(static glibc, cached under ~/.cache/asterpy/ltp; a fresh machine builds them, a few minutes), and
run by conformance/ltp.py's runner in one boot per batch under TCG. A case that passed when the list
was written and now does not fails here with its first error line and the end of its log.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conformance.ltp import (CASE_TIMEOUT, CI_LIST, KernelRun, classify, first_error, parse_boot,
                             run_kernel, runner_script, take_linux_column)
from conformance.ltp_build import Case, build_cases, parse_runtest, read_case_names

pytestmark = pytest.mark.boot


def test_classify_exit_statuses() -> None:
    """LTP's exit bits and the runner's timeout give the statuses the doc counts."""
    assert classify(0, 1, "", 90) == "pass"
    assert classify(32, 1, "", 90) == "unsupported"
    assert classify(1, 1, "", 90) == "fail"
    assert classify(3, 1, "", 90) == "broken"
    assert classify(137, 1, "", 90) == "broken"
    assert classify(143, 90, "", 90) == "timeout"
    assert classify(2, 5, "tst_test.c:1: TBROK: Test timed out", 90) == "timeout"


def test_parse_boot_and_lost_case() -> None:
    """A boot's framed output gives one result per case; a case the kernel died in is lost, and the
    run resumes after it."""
    cases = [Case("a01", ("a01",)), Case("b01", ("b01",)), Case("c01", ("c01",))]
    out = ("@@LTP-NOTE no sysfs\n@@LTP-BEGIN 0 a01\nx.c:1: TPASS: ok\n\n@@LTP-END 0 a01 0 1\n"
           "@@LTP-BEGIN 1 b01\nb.c:9: TFAIL: wrong\n")
    run = KernelRun("asterpy")
    assert parse_boot(out, run, cases, 0, True, 90) == 2
    assert run.results["a01"].status == "pass"
    assert run.results["b01"].status == "lost"
    assert run.notes == ["no sysfs"]
    assert first_error("a\nb.c:9: TFAIL: wrong\nc.c:1: TBROK: x\n") == "b.c:9: TFAIL: wrong"


def test_runner_script_is_filled_in() -> None:
    """The runner gets its timeout and LTP_TIMEOUT_MUL; no placeholder stays, and nothing stands in for /proc."""
    text = runner_script(77, 3)
    assert "@" + "CASE_TIMEOUT@" not in text and "case_timeout=77" in text and "LTP_TIMEOUT_MUL=3" in text
    assert "@" not in text.replace("@@LTP", "") and "meminfo" not in text


def test_linux_column_from_another_run() -> None:
    """--linux-from takes the Linux half of a run of the same cases and build, and records which run;
    another case list is refused."""
    data = {"cases": ["a01"], "build_key": "k", "kernels": {"asterpy": {"counts": {}}}}
    other = {"cases": ["a01"], "build_key": "k", "commit": "abc", "date": "d", "linux": "6.1",
             "image_extras": ["x"], "kernels": {"linux": {"counts": {"pass": 1}}}}
    take_linux_column(data, other)
    assert data["kernels"]["linux"] == {"counts": {"pass": 1}} and data["linux_run"] == {"commit": "abc", "date": "d"}
    with pytest.raises(SystemExit):
        take_linux_column(data, {**other, "cases": ["b01"]})


def test_parse_runtest() -> None:
    """runtest lines: name, program, arguments; comments and blank lines skipped."""
    cases = parse_runtest("# c\n\nfork06 fork_procs -n 1000\nopen01 open01\n")
    assert cases["fork06"].program == "fork_procs" and cases["fork06"].argv == ("fork_procs", "-n", "1000")
    assert list(cases) == ["fork06", "open01"]


@pytest.mark.slow
def test_ci_cases_pass_in_asterpy(tmp_path: Path) -> None:
    """Every case of conformance/ltp-ci-cases.txt passes inside asterpy (TCG)."""
    from benchmarks.bench import asterpy_kernel
    names = read_case_names(CI_LIST)
    assert names, f"{CI_LIST} lists no case"
    started = time.monotonic()
    built = build_cases(names)
    assert not built.missing, f"cases that did not build: {built.missing}"
    build_s = time.monotonic() - started
    elf = asterpy_kernel(True, lambda _m: None)
    run = run_kernel("asterpy", elf, built.cases, built, None, 200, CASE_TIMEOUT, tmp_path, lambda _m: None)
    (tmp_path / "results.json").write_text(json.dumps({n: r.status for n, r in run.results.items()}, indent=1))
    bad = {n: r for n, r in run.results.items() if r.status != "pass"}
    report = "\n".join(f"{n}: {r.status} (exit {r.exit_status}): {r.first_error}\n    "
                       + "\n    ".join(r.log.splitlines()[-8:]) for n, r in sorted(bad.items()))
    print(f"LTP CI subset: {len(names)} cases, build {build_s:.0f} s, run {run.seconds:.0f} s in {run.boots} boots")
    assert not bad, f"{len(bad)} of {len(names)} LTP cases no longer pass in asterpy:\n{report}"
    assert set(run.results) == set(names)
