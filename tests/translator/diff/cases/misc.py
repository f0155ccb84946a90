"""Assorted expressions: tuples, built-ins, literal adoption, augmented stores into memory, struct globals."""
from typing import Optional, Tuple

from asterpy.lang import Array, Ptr, i8, i16, i32, i64, u8, u16, u32, u64, kprint, struct


@struct
class Pair:
    a: i32
    b: i32


@struct
class Box:
    p: Pair
    vals: Array[u8, 4]
    n: u16


gpair: Pair = Pair()
gbox: Box = Box()


def divmod_pair(a: i64, b: i64) -> Tuple[i64, i64]:
    return a // b, a % b


def use_tuple(a: i64, b: i64) -> i64:
    q, r = divmod_pair(a, b)
    t = divmod_pair(b, a)
    x, y = a, b
    x, y = y, x
    return q * 1000 + r * 100 + t[0] * 10 + t[1] + x * 7 - y


def builtins_minmax(a: i8, b: i8) -> i32:
    return i32(min(a, b)) * 1000 + i32(max(a, b)) * 10 + i32(abs(a)) + i32(min(a, 5)) + i32(max(-3, b))


def builtins_unsigned(a: u64, b: u64) -> u64:
    return min(a, b) ^ max(a, b) ^ abs(a)


def literal_adoption(x: u32, y: i8) -> i64:
    r: i64 = 0
    if x == 0xFFFFFFFF:
        r += 1
    if x > 7:
        r += 10
    if y < -5:
        r += 100
    if -1 == y:
        r += 1000
    z = 3 - x
    w = y * -2
    return r * 100000 + i64(z % 1000) + i64(w)


def aug_fields(v: i32) -> i64:
    b = Box()
    b.p.a += v
    b.p.b -= v * 2
    b.vals[1] += u8(v)
    b.vals[1] <<= 1
    b.n |= u16(0x8001)
    b.n >>= 3
    return i64(b.p.a) * 100000 + i64(b.p.b) + i64(b.vals[1]) * 7 + i64(b.n)


def aug_ptr(addr: u64, v: u32) -> u32:
    p = Ptr[u32](addr)
    p[0] += v
    p[1] ^= p[0]
    p[2] *= u32(3)
    q = Ptr[Pair](addr + 16)
    pr = q[0]
    pr.a += 1  # a load gives a fresh copy: memory is unchanged, as in CPython
    return p[0] + p[1] + p[2]


def struct_globals(v: i32) -> i64:
    global gpair
    gpair.a += v
    gbox.p.b = gpair.a * 2
    gbox.vals[3] = u8(v)
    gpair = Pair(gpair.b, gpair.a)
    return i64(gpair.a) * 1000 + i64(gpair.b) + i64(gbox.p.b) + i64(gbox.vals[3])


def make_pair(a: i32, b: i32) -> Pair:
    return Pair(a, b)


def sum_pair(p: Pair) -> i32:
    return p.a + p.b


def call_results(a: i32) -> i32:
    return make_pair(a, 2).a * 10 + sum_pair(make_pair(a, a)) + sum_pair(Pair(1, a))


def reassign_struct_param(p: Pair) -> i32:
    p = Pair(p.b, p.a)
    return p.a * 10 + p.b


def call_reassign(a: i32, b: i32) -> i64:
    x = Pair(a, b)
    r = reassign_struct_param(x)
    return i64(r) * 1000 + i64(x.a)


def while_not(n: i64) -> i64:
    i: i64 = 0
    while not (i >= n or i * i > 50):
        i += 1
    return i


def ifexp_literals(c: bool, v: u16) -> u16:
    x = v if c else 7
    y = 9 if c else v
    return x * 3 + y


def conversions_in_exprs(a: i64) -> u64:
    return u64(u8(a) + 1) * 1000 + u64(i8(a) // 3) + u64(i16(a) >> 20)


def narrow_shift(a: u8, n: u8) -> u8:
    return (a << n) | (a >> (8 - (n & 7)))


class Pair2:
    v: i64

    def __init__(self, v: i64) -> None:
        self.v = v


def optional_param(x: Optional[Pair2], fallback: i64) -> i64:
    if x is None:
        return fallback
    return x.v


def optional_calls(v: i64) -> i64:
    return optional_param(None, v) * 1000 + optional_param(Pair2(v + 1), 0)
