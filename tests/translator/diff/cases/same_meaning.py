"""Issue 25's reproducers: bare literals in typed contexts, literal shift counts, int(), loop variables, bool results.

Each once meant one thing under CPython (a plain, unbounded int) and another natively (a wrapping fixed-width
value); the CPython side now runs the checked tree with the inferred conversions written out
(translator/cpython_view.py), and literal shift counts keep their unconverted meaning natively.
"""
from typing import Final

from asterpy.lang import export, i8, u8, u16, u32, u64

K: Final[u8] = 200


# 01: a literal shift count that does not fit the left operand's type is not wrapped to it.
def shl_257(x: u8) -> u8:
    return x << 257


def shr_65537(x: u16) -> u16:
    return x >> 65537


def shl_assign_300(x: u8) -> u8:
    x <<= 300
    return x


# 02: nor does it turn negative for a signed left operand.
def shr_255(x: i8) -> i8:
    return x >> 255


def shl_128(x: i8) -> i8:
    return x << 128


# 03: min/max with a literal, a conditional expression with a literal branch.
def min_literal(x: u8) -> u8:
    return min(x, 200) + 100


def max_literal(x: u8) -> bool:
    return max(x, 200) * 2 // 4 == 36


def cond_literal(x: u8) -> u8:
    return (x if x == 0 else 200) + 100


# 04: a literal default value.
def with_default(a: u8 = 128) -> bool:
    a = a * 2
    return a != 0


def uses_default() -> bool:
    return with_default()


# 06: a Final[u8] constant.
def final_constant(x: u8) -> u8:
    return K * 2 // 4 + x


# 07: an annotated local.
def annotated_local(x: u8) -> u8:
    y: u8 = 200
    y = y * 2 // 4
    return y + x


# 08: a literal argument and a literal return value.
def halve_double(a: u8) -> u8:
    return a * 2 // 4


def literal_argument() -> u8:
    return halve_double(200)


def two_hundred() -> u8:
    return 200


def literal_return() -> u8:
    return two_hundred() * 2 // 4


# 09: the loop variable of range() over a typed bound.
def loop_plus(n: u8) -> u8:
    r = u8(0)
    for i in range(n):
        r = i + 100
    return r


def loop_div(n: u8) -> u32:
    r = u32(0)
    for i in range(n):
        r = u32((i + 100) // 3)
    return r


# 10: int(x) is a conversion to i64.
def int_negative(x: u64) -> bool:
    return int(x) < 0


def int_back(x: u64) -> int:
    return int(x)


# 11: a bool result is a clean 0/1 byte (zeroext), also when exported.
def bool_result(a: u8, b: u8) -> bool:
    return u8(1) & (~a << (b & 7)) == a // 149


@export("same_meaning_bool_exported")
def bool_exported(a: u8, b: u8) -> bool:
    return u8(1) & (~a << (b & 7)) == a // 149


# Other binding contexts of the same class: a literal stored into a field or a list element.
class Counter:
    n: u8

    def __init__(self) -> None:
        self.n = 250


def field_literal(x: u8) -> u8:
    c = Counter()
    c.n = c.n + x
    return c.n


def element_literal(x: u8) -> u8:
    xs: list[u8] = [200]
    xs.append(100)
    return (xs[0] + xs[1]) // 2 + x
