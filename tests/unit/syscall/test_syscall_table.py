"""The generated syscall table (table.py): one entry per handled syscall, argument counts, restart
behaviour, and what syscall_dispatch does with it."""
from __future__ import annotations

from pathlib import Path

import pytest

from asterpy.lang import u64
from asterpy.syscall import numbers as N
from asterpy.syscall import table_gen
from asterpy.syscall.table import (
    SYSCALL_ENTRY, SYSCALL_HANDLED, SYSCALL_NARGS, SYSCALL_RESTARTS, no_handler,
)

CALLS = table_gen.table()
# What proc_calls.never_restarted answered before the table (Linux: sleeps, signal waits, the poll
# family; rt_sigreturn and execve never act on their own result).
NEVER_RESTARTED_BEFORE = {"rt_sigreturn", "execve", "nanosleep", "clock_nanosleep", "pause", "rt_sigsuspend",
                          "rt_sigtimedwait", "poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait",
                          # issue 11: SysV semaphores, never restarted after a handler (signal(7))
                          "semop", "semtimedop"}


def test_one_row_per_id() -> None:
    assert len(SYSCALL_ENTRY) == len(SYSCALL_NARGS) == len(SYSCALL_HANDLED) == len(SYSCALL_RESTARTS) == int(N.SYS_COUNT)


def test_entries_are_the_family_functions() -> None:
    """A handled id's entry is its family's syscall_<name>; the others have no_handler."""
    entries = table_gen.find_entries()
    for s in CALLS:
        e = entries.get(s.name)
        if e is None:
            assert SYSCALL_ENTRY[s.sys_id] is no_handler and not SYSCALL_HANDLED[s.sys_id], s.name
        else:
            assert SYSCALL_HANDLED[s.sys_id], s.name
            assert SYSCALL_ENTRY[s.sys_id].__name__ == f"syscall_{s.name}", s.name
            assert SYSCALL_ENTRY[s.sys_id].__module__ == f"asterpy.syscall.{e.module}", s.name


@pytest.mark.parametrize("name,nargs", [("getpid", 0), ("close", 1), ("fstat", 2), ("read", 3), ("openat", 4),
                                        ("preadv2", 6), ("futex", 6), ("stat", 2), ("fork", 0)])
def test_argument_counts(name: str, nargs: int) -> None:
    """The count is how many of a0..a5 the entry reads."""
    assert int(SYSCALL_NARGS[int(getattr(N, "SYS_" + name.upper()))]) == nargs


def test_restart_behaviour_is_unchanged() -> None:
    """Every id (handled or not) may restart except the calls Linux never restarts."""
    for s in CALLS:
        assert bool(SYSCALL_RESTARTS[s.sys_id]) == (s.name not in NEVER_RESTARTED_BEFORE), s.name


def test_entry_that_names_no_syscall_is_refused(tmp_path: Path) -> None:
    for mod in table_gen.FAMILY_MODULES:
        (tmp_path / f"{mod}.py").write_text("")
    (tmp_path / "files.py").write_text("def syscall_nosuch(a0, a1, a2, a3, a4, a5):\n    return 0\n")
    with pytest.raises(ValueError, match="names no syscall"):
        table_gen.find_entries(tmp_path)
    (tmp_path / "files.py").write_text("def syscall_read(a0, a1, a2):\n    return 0\n")
    with pytest.raises(ValueError, match="must take"):
        table_gen.find_entries(tmp_path)
    (tmp_path / "files.py").write_text("def syscall_read(a0, a1, a2, a3, a4, a5):\n    return a2\n")
    (tmp_path / "mm.py").write_text("def syscall_read(a0, a1, a2, a3, a4, a5):\n    return 0\n")
    with pytest.raises(ValueError, match="two entries"):
        table_gen.find_entries(tmp_path)
    (tmp_path / "mm.py").write_text("")
    assert table_gen.find_entries(tmp_path)["read"].nargs == 3


def test_no_handler_answers_enosys() -> None:
    from asterpy.lang import SysError
    from asterpy.lang.errno import ENOSYS
    z = u64(0)
    with pytest.raises(SysError) as e:
        no_handler(z, z, z, z, z, z)
    assert e.value.errno == ENOSYS
