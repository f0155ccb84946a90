"""Kernel log built-ins: kwrite without a newline, levelled kinfo/kwarn/kerror/kdebug with prefixes."""
from asterpy.lang import kdebug, kerror, kinfo, kprint, kwarn, kwrite, u32


def noisy(x: u32) -> u32:
    """Prints from inside an f-string field: CPython evaluates it before the log line starts."""
    kprint(f"noisy {x}")
    return x + 1


def log_all(x: u32) -> None:
    """Every level, fields evaluated before the prefix, and a line assembled from kwrite pieces."""
    kinfo(f"info {x:#x} {noisy(x)}")
    kwarn("plain warning")
    kerror(f"error {x}")
    kdebug(f"debug {x:08b}")
    kwrite("part ")
    kwrite(f"{x} ")
    kprint("end")
