"""images/fuzz.py's judgement of a fuzz boot: final line, panics, hangs, leaks."""
from __future__ import annotations

from images.fuzz import LEAK_HEAP_BYTES, fuzz_cmdline, parse

FINAL = ("sysfuzz: done: seed 3 calls 100070 batches 709 signalled 339 watchdog 0 hangs 0 "
         "heap +16976 bytes free +1876 kB in 21 s\n")


def test_clean_run_has_no_problem() -> None:
    """A final line with small figures and status 0 is a clean run, its figures parsed."""
    run = parse("sysfuzz: seed 3 ...\n" + FINAL, False, 0, 30.0)
    assert run.problems() == []
    assert run.final["calls"] == "100070" and run.final["heap"] == "+16976"
    assert "100070 calls" in run.summary()


def test_panic_hang_and_missing_line_are_problems() -> None:
    """A panic line, a HANG line, a timeout and a missing final line are each reported."""
    run = parse("x\nKernel panic - not syncing: out of kernel heap memory\n", True, None, 99.0)
    problems = run.problems()
    assert any(p.startswith("panic: Kernel panic") for p in problems)
    assert any(p.startswith("hang: no end") for p in problems)
    assert "the fuzzer printed no final line" in problems
    hung = parse("sysfuzz: HANG: batch 4 (seed 1): pid 9 still alive\n" + FINAL.replace("hangs 0", "hangs 1"),
                 False, 2, 10.0)
    assert sum(p.startswith("hang") for p in hung.problems()) == 2


def test_heap_growth_beyond_the_slack_is_a_leak() -> None:
    """Heap growth past LEAK_HEAP_BYTES is a leak; unknown figures ('?') are not judged."""
    grown = FINAL.replace("+16976", f"+{LEAK_HEAP_BYTES + 1}")
    assert any(p.startswith("leak:") for p in parse(grown, False, 0, 1.0).problems())
    unknown = FINAL.replace("heap +16976 bytes free +1876 kB", "heap ? free ?")
    assert parse(unknown, False, 0, 1.0).problems() == []


def test_cmdline_runs_the_fuzzer_as_init() -> None:
    """The command line powers off at the end and passes the run's options to the fuzzer."""
    line = fuzz_cmdline(1000, 7, 50)
    assert "asterpy.exit=1" in line and "init=/tests/fuzz/sysfuzz" in line
    assert line.endswith("-- --calls 1000 --seed 7 --per-batch 50")
