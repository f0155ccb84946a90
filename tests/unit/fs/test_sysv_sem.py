"""System V semaphores (asterpy.task.sysv_sem, syscall/ipc.py) through the syscalls, without
blocking: semget's keys and checks, semctl's values and stat, semop's all-or-nothing rule, the
limits, SEM_UNDO applied at exit, removal."""

import struct
from typing import Iterator

import pytest

from asterpy.lang import u64
from asterpy.lang.errno import E2BIG, EAGAIN, EEXIST, EFBIG, EINVAL, ENOENT, ERANGE
from asterpy.task import sysv_sem

from fs_sim import Sys, fs_world, sysc  # noqa: F401

IPC_PRIVATE, IPC_CREAT, IPC_EXCL, IPC_NOWAIT, SEM_UNDO = 0, 0o1000, 0o2000, 0o4000, 0x1000
IPC_RMID, IPC_STAT, GETPID, GETVAL, GETALL, SETVAL, SETALL = 0, 2, 11, 12, 13, 16, 17


@pytest.fixture(autouse=True)
def fresh_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no sets."""
    monkeypatch.setattr(sysv_sem, "sem_table", None)
    yield


def ops(s: Sys, *triples: tuple) -> int:
    """An array of struct sembuf (num, op, flags) in user memory."""
    return s.put(b"".join(struct.pack("<Hhh", *t) for t in triples))


def test_get_ctl_op(sysc: Sys) -> None:
    """The basic life of a set."""
    sid = sysc.call("semget", IPC_PRIVATE, 3, IPC_CREAT | 0o600)
    assert sid >= 0
    buf = sysc.alloc(104)
    assert sysc.call("semctl", sid, 0, IPC_STAT, buf) == 0
    assert sysc.u64at(buf + 80) == 3 and sysc.i32s(buf + 20, 1)[0] & 0o777 == 0o600
    assert sysc.call("semctl", sid, 1, SETVAL, 5) == 0
    assert sysc.call("semctl", sid, 1, GETVAL) == 5
    assert sysc.call("semctl", sid, 1, GETPID) == int(sysc.p.pid)
    assert sysc.call("semctl", sid, 1, SETVAL, 32768) == -ERANGE
    assert sysc.call("semctl", sid, 3, GETVAL) == -EINVAL
    # All or nothing: the second op cannot proceed, so the first is not applied either.
    assert sysc.call("semop", sid, ops(sysc, (0, 1, 0), (2, -1, IPC_NOWAIT)), 2) == -EAGAIN
    assert sysc.call("semctl", sid, 0, GETVAL) == 0
    assert sysc.call("semop", sid, ops(sysc, (1, -2, 0), (0, 0, 0)), 2) == 0
    assert sysc.call("semctl", sid, 1, GETVAL) == 3
    assert sysc.call("semop", sid, ops(sysc, (3, 1, 0)), 1) == -EFBIG
    assert sysc.call("semop", sid, ops(sysc, (0, 1, 0)), 0) == -EINVAL
    assert sysc.call("semop", sid, ops(sysc, (0, 1, 0)), 501) == -E2BIG
    arr = sysc.put(struct.pack("<HHH", 7, 8, 9))
    assert sysc.call("semctl", sid, 0, SETALL, arr) == 0
    out = sysc.alloc(6)
    assert sysc.call("semctl", sid, 0, GETALL, out) == 0
    assert struct.unpack("<HHH", sysc.read(out, 6)) == (7, 8, 9)
    # SEM_UNDO: what the process added comes back off when it exits.
    assert sysc.call("semop", sid, ops(sysc, (0, 4, SEM_UNDO)), 1) == 0
    assert sysc.call("semctl", sid, 0, GETVAL) == 11
    sysv_sem.sem_exit(sysc.p.pid)
    assert sysc.call("semctl", sid, 0, GETVAL) == 7
    assert sysc.call("semctl", sid, 0, IPC_RMID) == 0
    assert sysc.call("semctl", sid, 0, GETVAL) == -EINVAL
    assert sysc.call("semget", IPC_PRIVATE, 0, IPC_CREAT) == -EINVAL


def test_keys(sysc: Sys) -> None:
    """A key names one set until it is removed; a removed set's id does not name the next one."""
    sid = sysc.call("semget", 1234, 2, IPC_CREAT | IPC_EXCL | 0o600)
    assert sysc.call("semget", 1234, 2, IPC_CREAT | IPC_EXCL | 0o600) == -EEXIST
    assert sysc.call("semget", 1234, 1, 0) == sid
    assert sysc.call("semget", 1234, 3, 0) == -EINVAL
    assert sysc.call("semget", 4321, 1, 0) == -ENOENT
    assert sysc.call("semctl", sid, 0, IPC_RMID) == 0
    again = sysc.call("semget", 1234, 2, IPC_CREAT | 0o600)
    assert again != sid and sysc.call("semctl", sid, 0, GETVAL) == -EINVAL
    assert sysc.call("semctl", again, 0, GETVAL) == 0
    assert u64(again) % sysv_sem.SEQ_MULTIPLIER == u64(sid) % sysv_sem.SEQ_MULTIPLIER
