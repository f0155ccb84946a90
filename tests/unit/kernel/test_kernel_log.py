"""The kernel log prefix: timestamp from the monotonic clock, level names, filtering (under CPython)."""
from __future__ import annotations

from typing import Iterator

import pytest

from asterpy.kernel import log
from asterpy.lang import console, kdebug, kerror, kinfo, kwarn, u64
from asterpy.lang.console import captured_console


@pytest.fixture()
def kernel_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Install the kernel's log prefix with a clock stopped at 12.345678901 s."""
    monkeypatch.setattr(log, "monotonic_ns", lambda: u64(12_345_678_901))
    old = console.set_log_begin(lambda level: log.kpy_log_begin(u64(level)))
    log.set_log_threshold(u64(6))
    yield
    console.set_log_begin(old)
    log.set_log_threshold(u64(6))


def test_prefix_has_seconds_micros_and_level(kernel_log: None) -> None:
    """`[   12.345678] info: ...` like dmesg, one line per call."""
    with captured_console() as lines:
        kinfo(f"memory: {255} MiB usable")
        kwarn("low")
        kerror("bad")
    assert lines == ["[   12.345678] info: memory: 255 MiB usable", "[   12.345678] warn: low", "[   12.345678] error: bad"]


def test_debug_lines_are_filtered_until_enabled(kernel_log: None) -> None:
    """The threshold hides debug lines by default; raising it shows them."""
    with captured_console() as lines:
        kdebug("hidden")
        log.set_log_threshold(u64(7))
        kdebug("shown")
    assert lines == ["[   12.345678] debug: shown"]

