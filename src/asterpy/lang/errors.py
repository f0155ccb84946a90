"""Kernel errors: SysError(errno) for failing syscalls, panic() for unrecoverable states."""

from typing import NoReturn

from .errno import errno_name

__all__ = ["SysError", "KernelPanic", "panic"]


class SysError(Exception):
    """A failed kernel operation carrying a Linux errno; syscall entry returns -errno."""

    def __init__(self, errno: int) -> None:
        """Fail with errno (e.g. SysError(ENOENT))."""
        super().__init__(errno)
        self.errno = errno

    def __str__(self) -> str:
        """Like SysError(ENOENT)."""
        return f"SysError({errno_name(self.errno)})"

    __repr__ = __str__


class KernelPanic(Exception):
    """Raised by panic() under CPython; natively panic prints a backtrace and halts."""


def panic(msg: str) -> NoReturn:
    """Stop the kernel with msg (under CPython: raise KernelPanic(msg))."""
    raise KernelPanic(msg)
