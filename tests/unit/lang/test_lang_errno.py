"""errno constants (checked against the host's errno module), errno_name, SysError and panic."""

import errno as host_errno

import pytest

import asterpy.lang.errno as kerrno
from asterpy.lang import (EAGAIN, EDEADLK, EDEADLOCK, EHWPOISON, ENOENT, ENOTSUP, EOPNOTSUPP, EPERM,
                          ERESTARTSYS, EWOULDBLOCK, KernelPanic, SysError, errno_name, panic)

CONSTANTS = {n: getattr(kerrno, n) for n in kerrno.__all__ if n.startswith("E")}


def test_values_agree_with_the_host() -> None:
    host = {n: getattr(host_errno, n) for n in dir(host_errno) if n.startswith("E")}
    common = set(host) & set(CONSTANTS)
    assert len(common) > 120
    for name in sorted(common):
        assert CONSTANTS[name] == host[name], name
    missing = set(host) - set(CONSTANTS)
    assert not missing, f"names the host knows but asterpy.lang.errno lacks: {sorted(missing)}"


def test_numbering() -> None:
    assert (EPERM, ENOENT, EHWPOISON) == (1, 2, 133)
    assert EWOULDBLOCK == EAGAIN == 11 and EDEADLOCK == EDEADLK == 35 and ENOTSUP == EOPNOTSUPP == 95
    uapi = {v for n, v in CONSTANTS.items() if v < 512}
    assert uapi == set(range(1, 134)) - {41, 58}  # 41 and 58 are unused in asm-generic
    assert all(type(v) is int for v in CONSTANTS.values())


def test_errno_name() -> None:
    for name, value in CONSTANTS.items():
        assert getattr(kerrno, errno_name(value)) == value
    assert errno_name(ENOENT) == "ENOENT" and errno_name(EWOULDBLOCK) == "EAGAIN"
    assert errno_name(ENOTSUP) == "EOPNOTSUPP" and errno_name(EDEADLOCK) == "EDEADLK"
    assert errno_name(ERESTARTSYS) == "ERESTARTSYS" and errno_name(516) == "ERESTART_RESTARTBLOCK"
    assert errno_name(41) == "41" and errno_name(0) == "0" and errno_name(999) == "999"


def test_sys_error() -> None:
    with pytest.raises(SysError) as e:
        raise SysError(ENOENT)
    assert e.value.errno == ENOENT and str(e.value) == "SysError(ENOENT)" and repr(e.value) == "SysError(ENOENT)"
    assert str(SysError(999)) == "SysError(999)" and isinstance(SysError(1), Exception)


def test_panic() -> None:
    with pytest.raises(KernelPanic, match="out of frames"):
        panic("out of frames")
    assert issubclass(KernelPanic, Exception) and not issubclass(KernelPanic, SysError)
