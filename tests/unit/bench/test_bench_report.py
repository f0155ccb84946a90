"""The benchmark script's pure helpers: parsing harness output and rendering Markdown."""
from types import ModuleType

HARNESS_OUTPUT = """\
# SELFTEST build: kpy_* are aliases of c_*; ratios only show the noise floor
# correctness: ok (7165 checks)
# routine kpy_ns c_ns ratio
memcpy 4144.9 4049.5 1.024
crc32_table 155910.8 153877.6 1.013
# size memcpy: 64 KiB, 8-aligned
# size crc32_table: 64 KiB
"""


def test_parse_harness(translator_bench: ModuleType) -> None:
    """Result lines become rows; '#' lines become notes."""
    rows, notes = translator_bench.parse_harness(HARNESS_OUTPUT)
    assert rows == [{"routine": "memcpy", "kpy_ns": 4144.9, "c_ns": 4049.5, "ratio": 1.024},
                    {"routine": "crc32_table", "kpy_ns": 155910.8, "c_ns": 153877.6, "ratio": 1.013}]
    assert "correctness: ok (7165 checks)" in notes


def test_markdown_tables(translator_bench: ModuleType) -> None:
    """Both tables render, with lines/s per stage and the work size per routine."""
    rows, notes = translator_bench.parse_harness(HARNESS_OUTPUT)
    results = {
        "git": "abc1234", "dirty": False, "date": "2025-01-01T00:00:00+00:00",
        "host": {"cpu": "Test CPU", "cores": 2, "llvmlite": "0.50.0", "zig": "0.17.1"},
        "translation": {"lines": 20000, "functions": 500, "seed": 1, "repeats": 3,
                        "stages": {"parse": 0.5, "check": 1.0}, "stages_total_s": 2.0, "end_to_end_s": 2.5},
        "routines": {"selftest": False, "repeats": 5, "min_ms": 50.0, "rows": rows, "notes": notes},
    }
    md = translator_bench.markdown(results)
    assert "| parse | 0.500 | 40,000 |" in md
    assert "| **all stages** | 2.000 | 10,000 |" in md
    assert "| memcpy | 64 KiB, 8-aligned | 4,144.9 | 4,049.5 | 1.02 |" in md


def test_markdown_reports_what_was_not_measured(translator_bench: ModuleType) -> None:
    """A missing translator shows up as a sentence, not a crash."""
    results = {"git": "abc1234", "dirty": True, "date": "d", "host": {"cpu": "c", "cores": 2},
               "translation": {"error": "translator.driver cannot be imported"},
               "routines": {"error": "no driver"}}
    md = translator_bench.markdown(results)
    assert "Translation: not measured (translator.driver cannot be imported)." in md
    assert "(work tree had changes)" in md
