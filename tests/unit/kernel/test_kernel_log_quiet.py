"""The `quiet` word of the kernel command line: info lines off, warnings kept (under CPython)."""
from __future__ import annotations

from typing import Iterator

import pytest

from asterpy.kernel import cmdline, log
from asterpy.kernel.bootinfo import ARCH_X86_64, PROTO_MULTIBOOT1, bootinfo_reset, set_cmdline
from asterpy.lang import Ptr, console, kinfo, kwarn, memory, u8, u64
from asterpy.lang.console import captured_console


def put_at(text: bytes) -> int:
    """text copied into simulated memory; its address."""
    addr = memory.sim.alloc(max(len(text), 1), 8)
    p = Ptr[u8](addr)
    for i, c in enumerate(text):
        p[i] = u8(c)
    return addr


def put(text: bytes) -> tuple[Ptr[u8], u64]:
    """text copied into simulated memory: a pointer to it and its length."""
    return Ptr[u8](put_at(text)), u64(len(text))


@pytest.mark.parametrize("line,quiet", [
    (b"quiet", True), (b"asterpy.exit=1 quiet", True), (b"init=/bin/sh quiet asterpy.exit=1", True),
    (b"  quiet  ", True), (b"", False), (b"asterpy.exit=1", False), (b"quieter", False), (b"xquiet", False),
    (b"qu", False), (b"init=/bin/sh -- quiet", False), (b'-- -c "echo quiet"', False), (b"quiet debug", False),
    (b"debug quiet", True), (b"loglevel=4", True), (b"loglevel=7", False),
])
def test_quiet_word(line: bytes, quiet: bool) -> None:
    """Only the whole word counts, only before `--` (after it the words are init's); the last log word wins."""
    cmdline.parse_line(*put(line))
    assert cmdline.quiet == quiet


@pytest.fixture()
def quiet_boot(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A boot whose command line says quiet, with the kernel's log prefix installed."""
    monkeypatch.setattr(log, "monotonic_ns", lambda: u64(0))
    monkeypatch.setattr(log, "_cmdline_seen", False)
    monkeypatch.setattr(log, "_quiet", False)
    bootinfo_reset(ARCH_X86_64, PROTO_MULTIBOOT1, u64(0))
    set_cmdline(u64(put_at(b"asterpy.exit=1 quiet")), u64(20))
    old = console.set_log_begin(lambda level: log.kpy_log_begin(u64(level)))
    yield
    console.set_log_begin(old)
    log.set_log_threshold(u64(6))
    bootinfo_reset(ARCH_X86_64, PROTO_MULTIBOOT1, u64(0))


def test_quiet_hides_info_keeps_warnings(quiet_boot: None) -> None:
    """With `quiet`, kinfo lines vanish and kwarn lines are still printed."""
    with captured_console() as lines:
        kinfo("hidden")
        kwarn("shown")
    assert lines == ["[    0.000000] warn: shown"]
    assert log.log_is_quiet()
