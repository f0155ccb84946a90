"""Kernel console output: kprint()/kwrite() and the levelled kernel log (kerror/kwarn/kinfo/kdebug)
to a replaceable sink (stdout under CPython, serial natively)."""

import contextlib
import sys
from typing import Callable, Final, Iterator, List

__all__ = ["kprint", "kwrite", "kerror", "kwarn", "kinfo", "kdebug", "LOG_ERR", "LOG_WARN", "LOG_INFO", "LOG_DEBUG",
           "set_console_sink", "set_log_begin", "captured_console"]

# Log levels, numbered like syslog's (a lower number is more severe).
LOG_ERR: Final = 3
LOG_WARN: Final = 4
LOG_INFO: Final = 6
LOG_DEBUG: Final = 7
_LEVEL_NAMES = {LOG_ERR: "error", LOG_WARN: "warn", LOG_INFO: "info", LOG_DEBUG: "debug"}

Sink = Callable[[str], None]


def _stdout_sink(text: str) -> None:
    """Write to the current sys.stdout (looked up per call, so pytest capture works)."""
    sys.stdout.write(text)


_sink: Sink = _stdout_sink


def kprint(s: str) -> None:
    """Write s and a newline to the console."""
    _sink(s + "\n")


def kwrite(s: str) -> None:
    """Write s to the console without ending the line."""
    _sink(s)


def default_log_begin(level: int) -> bool:
    """Start a log line: the prefix with a zero timestamp (the kernel installs one with its clock)."""
    _sink(f"[{0:5d}.{0:06d}] {_LEVEL_NAMES.get(level, str(level))}: ")
    return True


LogBegin = Callable[[int], bool]
_log_begin: LogBegin = default_log_begin


def set_log_begin(fn: LogBegin) -> LogBegin:
    """Install the function that writes a log line's prefix and says whether the level is shown."""
    global _log_begin
    old, _log_begin = _log_begin, fn
    return old


def _log(level: int, s: str) -> None:
    if _log_begin(level):
        _sink(s + "\n")


def kerror(s: str) -> None:
    """Log s at error level: `[seconds.micros] error: s`."""
    _log(LOG_ERR, s)


def kwarn(s: str) -> None:
    """Log s at warning level."""
    _log(LOG_WARN, s)


def kinfo(s: str) -> None:
    """Log s at info level."""
    _log(LOG_INFO, s)


def kdebug(s: str) -> None:
    """Log s at debug level."""
    _log(LOG_DEBUG, s)


def set_console_sink(fn: Sink) -> Sink:
    """Send console text (each kprint: its string plus "\\n") to fn; returns the previous sink."""
    global _sink
    old, _sink = _sink, fn
    return old


@contextlib.contextmanager
def captured_console() -> Iterator[List[str]]:
    """Collect the lines printed inside the `with` block into the yielded list."""
    lines: List[str] = []
    pending: List[str] = []  # text written since the last newline (kwrite, log prefixes)

    def collect(text: str) -> None:
        *done, rest = "".join(pending + [text]).split("\n")
        lines.extend(done)
        pending[:] = [rest] if rest else []

    old = set_console_sink(collect)
    try:
        yield lines
    finally:
        set_console_sink(old)
        if pending:
            lines.append("".join(pending))
