"""Function values: a Callable local, a constant table of functions, and calls through them."""
from typing import Callable, Final

from asterpy.lang import Array, SysError, u8, u64
from asterpy.lang.errno import EINVAL


def add(a: u64, b: u64) -> u64:
    """a + b."""
    return a + b


def mul(a: u64, b: u64) -> u64:
    """a * b."""
    return a * b


def refuse(a: u64, b: u64) -> u64:
    """Always EINVAL (a function of the table that raises)."""
    raise SysError(EINVAL)


OPS: Final[Array[Callable[[u64, u64], u64], 3]] = (add, mul, refuse)
ARITY: Final[Array[u8, 3]] = (2, 2, 0)


def via_table(i: u64, a: u64, b: u64) -> u64:
    """Run operation i of OPS (IndexError/panic past the end; SysError from refuse)."""
    return OPS[i](a, b)


def via_local(a: u64, b: u64) -> u64:
    """A Callable in a local, chosen at run time."""
    f: Callable[[u64, u64], u64] = add
    if a > b:
        f = mul
    return f(a, b) + u64(ARITY[2])


def caught(i: u64) -> u64:
    """A call through the table inside try/except."""
    try:
        return OPS[i](u64(3), 4)
    except SysError as e:
        return u64(1000) + u64(e.errno)
