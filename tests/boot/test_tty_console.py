"""The console TTY end to end: busybox's shell typed at on the serial console under TCG.

Checks what the unit tests (tests/unit/drivers/) cannot: the line discipline driving a real
program in cooked mode (cat: erase, kill, ^D), the shell's own raw-mode line editing on top of
it, stty, and job control (^Z, fg, ^C with the foreground group switched by TIOCSPGRP).
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Optional

import pytest

from bootbuild import SharedKernels
from translator.build import BuildResult
from images import QemuConfig, QemuSession

pytestmark = pytest.mark.boot

BOOT_TIMEOUT = float(os.environ.get("ASTERPY_USER_TEST_TIMEOUT", "60"))
PROMPT = "asterpy:/"


@pytest.fixture(scope="module")
def kernel(shared_kernels: SharedKernels) -> BuildResult:
    """The x86_64 kernel, built once per test session (conftest.py)."""
    return shared_kernels.get("x86_64")


def line_after(s: QemuSession, start: int, line: str, timeout: float = 20.0) -> Optional[float]:
    """Wait until a console line after output offset start is exactly `line`."""
    pattern = re.compile(rf"(?m)^{re.escape(line)}$")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pattern.search(s.output[start:]):
            return time.monotonic()
        time.sleep(0.1)
    return None


def shell(kernel: BuildResult, initrd: Path) -> QemuSession:
    """A session booted to the interactive login shell (init=/bin/sh -- -l)."""
    cfg = QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=BOOT_TIMEOUT * 4, initrd=initrd,
                     cmdline="quiet init=/bin/sh -- -l")
    return QemuSession(cfg)


def typed(s: QemuSession, text: str, expect: str, timeout: float = 20.0) -> None:
    """Type text and wait for the console line `expect` to appear after it."""
    start = len(s.output)
    s.send(text)
    assert line_after(s, start, expect, timeout) is not None, s.output[-3000:]


def run(s: QemuSession, text: str, pause: float = 2.0) -> int:
    """Type text at the shell and give it time to start; the output offset before it."""
    start = len(s.output)
    s.send(text)
    time.sleep(pause)
    return start


def test_cooked_mode_stty_and_job_control(kernel: BuildResult, default_initramfs: Path) -> None:
    with shell(kernel, default_initramfs) as s:
        s.wait_for(PROMPT, 60.0)
        assert PROMPT in s.output, s.output[-3000:]
        # cat reads in canonical mode: DEL erases, ^U kills the line, ^W a word, ^D ends the input.
        run(s, "cat\n")
        typed(s, "abc\x7fd\n", "abd")
        typed(s, "xyz\x15uvw\n", "uvw")
        typed(s, "one two\x17three\n", "one three")
        run(s, "\x04")
        typed(s, "echo cat-ended\n", "cat-ended")
        # stty sees the kernel's termios and window size; -echo hides what is typed.
        typed(s, "stty size\n", "24 80")
        run(s, "stty -echo; read v; stty echo; echo got:$v\n")
        start = len(s.output)
        s.send("hidden\n")
        assert line_after(s, start, "got:hidden") is not None, s.output[-3000:]
        assert "hidden" not in s.output[start:].replace("got:hidden", ""), s.output[-3000:]
        # ^Z stops the foreground job, fg resumes it in the foreground, ^C ends it.
        run(s, "sleep 100\n")
        s.send("\x1a")
        assert s.wait_for(re.compile(r"Stopped\s+sleep 100"), 20.0) is not None, s.output[-3000:]
        run(s, "fg\n")
        s.send("\x03")
        typed(s, "echo status $?\n", "status 130")


def test_background_read_stops_then_fg_restarts_it(kernel: BuildResult, default_initramfs: Path) -> None:
    with shell(kernel, default_initramfs) as s:
        s.wait_for(PROMPT, 60.0)
        start = run(s, "cat > /tmp/o &\n")
        s.send("\n")
        assert s.wait_for(re.compile(r"Stopped \(tty input\)\s+cat"), 20.0) is not None, s.output[-3000:]
        run(s, "fg\n")
        run(s, "typed-to-cat\n\x04", 1.0)
        typed(s, "cat /tmp/o\n", "typed-to-cat")
        assert "error" not in s.output[start:], s.output[-3000:]
