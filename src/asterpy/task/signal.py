"""Signals: sending, default actions and delivery to user handlers.

(Being built: these are the entry points other subsystems call.)
"""

from asterpy.lang import u64


def signal_pgrp(pgrp: u64, sig: u64) -> None:
    """Send sig to every process of process group pgrp (the TTY's ^C, ^Z, ^\\)."""
    return


def signal_process(pid: u64, sig: u64) -> None:
    """Send sig to the process pid (ignored if there is none)."""
    return


def raise_signal_self(sig: u64) -> None:
    """Send sig to the running thread (SIGPIPE from a write to a pipe without readers)."""
    return
