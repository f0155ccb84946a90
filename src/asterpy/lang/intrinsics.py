"""Unsafe intrinsics (inline asm, naked functions, port I/O, barriers): only for code under arch/."""

import functools
from typing import Any, Callable, List, Tuple, TypeVar

from . import memory
from ._unavailable import IntrinsicUnavailable
from .ints import u8, u16, u32, u64

__all__ = [
    "IntrinsicUnavailable", "asm", "asm_u64", "naked", "register_port",
    "outb", "inb", "outw", "inw", "outl", "inl",
    "compiler_barrier", "memory_barrier", "cpu_relax", "halt",
]

F = TypeVar("F", bound=Callable[..., Any])

_NO_ASM = ("has no CPython meaning: test its caller through a simulated device "
           "(memory.register_mmio / intrinsics.register_port) or on QEMU")


def asm(template: str, constraints: str, *operands: Any) -> None:
    """Inline assembly (LLVM constraint syntax); under CPython: IntrinsicUnavailable."""
    raise IntrinsicUnavailable(f"inline assembly {template!r} {_NO_ASM}")


def asm_u64(template: str, constraints: str, *operands: Any) -> u64:
    """Inline assembly producing a u64 result; under CPython: IntrinsicUnavailable."""
    raise IntrinsicUnavailable(f"inline assembly {template!r} {_NO_ASM}")


def naked(fn: F) -> F:
    """Mark a function naked (no prologue/epilogue; body is asm); calling it under CPython raises."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        raise IntrinsicUnavailable(f"naked function {fn.__qualname__}() is inline assembly, which {_NO_ASM}")

    call.__kpy_naked__ = True  # type: ignore[attr-defined]
    return call  # type: ignore[return-value]


def register_port(base: int, count: int, device: Any) -> None:
    """Route I/O ports [base, base+count) to device.read(offset, width)/.write(offset, width, value)."""
    ports: List[Tuple[int, int, Any]] = memory.sim.ports
    base, count = int(base), int(count)
    if count <= 0 or base < 0 or base + count > 0x10000 or any(base < e and b < base + count for b, e, _ in ports):
        raise ValueError(f"port range {base:#x}+{count} is empty, outside 0..0xffff or overlaps another")
    ports.append((base, base + count, device))


def _port(port: int, width: int) -> Tuple[int, Any]:
    """(offset, device) for an access of width bytes at port."""
    if not isinstance(port, int):
        raise TypeError(f"port must be an int, not {type(port).__name__}")
    p = int(port)
    for base, end, dev in memory.sim.ports:
        if base <= p and p + width <= end:
            return p - base, dev
    raise IntrinsicUnavailable(
        f"I/O port {p:#x} has no simulated device: register one with "
        "asterpy.lang.intrinsics.register_port(base, count, device), where device has "
        "read(offset, width) -> int and write(offset, width, value)")


def outb(port: int, v: int) -> None:
    """Write a byte to an I/O port."""
    val = int(u8._kpy_convert(v))
    off, dev = _port(port, 1)
    dev.write(off, 1, val)


def inb(port: int) -> u8:
    """Read a byte from an I/O port."""
    off, dev = _port(port, 1)
    return u8(dev.read(off, 1))


def outw(port: int, v: int) -> None:
    """Write 16 bits to an I/O port."""
    val = int(u16._kpy_convert(v))
    off, dev = _port(port, 2)
    dev.write(off, 2, val)


def inw(port: int) -> u16:
    """Read 16 bits from an I/O port."""
    off, dev = _port(port, 2)
    return u16(dev.read(off, 2))


def outl(port: int, v: int) -> None:
    """Write 32 bits to an I/O port."""
    val = int(u32._kpy_convert(v))
    off, dev = _port(port, 4)
    dev.write(off, 4, val)


def inl(port: int) -> u32:
    """Read 32 bits from an I/O port."""
    off, dev = _port(port, 4)
    return u32(dev.read(off, 4))


def compiler_barrier() -> None:
    """Forbid the compiler to move memory accesses across this point (no-op under CPython)."""


def memory_barrier() -> None:
    """Full hardware memory fence (no-op under CPython)."""


def cpu_relax() -> None:
    """Spin-loop hint such as x86 `pause` (no-op under CPython)."""


def halt() -> None:
    """Stop the CPU until the next interrupt; under CPython: IntrinsicUnavailable."""
    raise IntrinsicUnavailable(f"halt() is a CPU instruction: it {_NO_ASM}")
