"""Fixed-width integers: wrap-around, width mixing, shifts, floor division, Python integration."""

import operator
import time
from typing import Any, Callable, List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asterpy.lang.ints import (FixedInt, alignof, i8, i16, i32, i64, isize, sizeof, u8, u16, u32, u64,
                               usize)

CLASSES: List[Any] = [u8, u16, u32, u64, i8, i16, i32, i64]
WIDTH = {u8: (8, False), u16: (16, False), u32: (32, False), u64: (64, False),
         i8: (8, True), i16: (16, True), i32: (32, True), i64: (64, True)}
FAST = settings(max_examples=200, deadline=None)

ARITH: List[Tuple[str, Callable[[Any, Any], Any]]] = [
    ("+", operator.add), ("-", operator.sub), ("*", operator.mul),
    ("&", operator.and_), ("|", operator.or_), ("^", operator.xor),
]
COMPARE: List[Callable[[Any, Any], Any]] = [operator.eq, operator.ne, operator.lt, operator.le,
                                            operator.gt, operator.ge]


def ref_wrap(cls: Any, v: int) -> int:
    """Reference truncation, written independently of the implementation: v mod 2**BITS, sign-adjusted."""
    bits, signed = WIDTH[cls]
    r = v % 2 ** bits
    if signed and r >= 2 ** (bits - 1):
        r -= 2 ** bits
    return r


def in_range(cls: Any) -> st.SearchStrategy[int]:
    """Plain ints in the value range of cls."""
    bits, signed = WIDTH[cls]
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else st.integers(0, 2 ** bits - 1)


pairs = st.sampled_from(CLASSES).flatmap(lambda c: st.tuples(st.just(c), in_range(c), in_range(c)))
anyint = st.integers(-(2 ** 70), 2 ** 70)


def check(cls: Any, got: Any, expect: int) -> None:
    """got is exactly a cls holding the wrapped expect."""
    assert type(got) is cls
    assert int(got) == ref_wrap(cls, expect)


@FAST
@given(st.sampled_from(CLASSES), anyint)
def test_constructor_wraps_like_a_c_cast(cls: Any, v: int) -> None:
    check(cls, cls(v), v)
    for other in CLASSES:  # from another width: truncation of its value
        check(cls, cls(other(v)), ref_wrap(other, v))


def test_constructor_edges() -> None:
    assert u8(300) == 44 and i8(200) == -56 and i8(128) == -128 and u64(-1) == 2 ** 64 - 1
    assert u32(True) == 1 and type(u32(True)) is u32 and u32() == 0
    with pytest.raises(TypeError, match="float"):
        u32(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        u32("5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="abstract"):
        FixedInt(1)


@FAST
@given(pairs)
def test_same_class_arithmetic_wraps(p: Tuple[Any, int, int]) -> None:
    cls, a, b = p
    x, y = cls(a), cls(b)
    for _, op in ARITH:
        check(cls, op(x, y), op(a, b))


@FAST
@given(pairs, anyint)
def test_plain_int_adopts_the_fixed_type(p: Tuple[Any, int, int], k: int) -> None:
    cls, a, _ = p
    x = cls(a)
    kk = ref_wrap(cls, k)  # the plain int is converted to cls first, like a literal typed by context
    for _, op in ARITH:
        check(cls, op(x, k), op(a, k))  # same as op(a, kk) mod 2**BITS for these operators
        check(cls, op(k, x), op(k, a))  # reflected operators
    if kk:
        check(cls, x // k, a // kk)
        check(cls, x % k, a % kk)
    else:
        with pytest.raises(ZeroDivisionError):
            x // k
    if a:
        check(cls, k // x, kk // a)
        check(cls, k % x, kk % a)
    for op in COMPARE:
        assert op(x, k) == op(a, kk) and op(k, x) == op(kk, a)


def test_adoption_converts_out_of_range_literals_first() -> None:
    assert u8(200) // 300 == 4  # 300 adopts u8: u8(300) == 44
    assert u8(44) == 300 and i8(-1) == 255 and not (i8(-1) < 200)
    assert u32(7) % (2 ** 32 + 5) == 2 and 1000 // u8(3) == 77
    with pytest.raises(ZeroDivisionError):
        u8(1) // 256


@FAST
@given(pairs)
def test_floor_division_and_modulo(p: Tuple[Any, int, int]) -> None:
    cls, a, b = p
    x, y = cls(a), cls(b)
    if b == 0:
        with pytest.raises(ZeroDivisionError):
            x // y
        with pytest.raises(ZeroDivisionError):
            x % y
        return
    q, r = x // y, x % y
    check(cls, q, a // b)  # Python floor semantics, then wrap
    check(cls, r, a % b)
    assert q * y + r == x  # the division identity holds in wrapped arithmetic
    assert divmod(x, y) == (q, r) and type(divmod(x, y)[0]) is cls


def test_signed_division_overflow_wraps() -> None:
    for cls in (i8, i16, i32, i64):
        lo = cls(cls.MIN)
        assert lo // -1 == lo and type(lo // -1) is cls
        assert lo % -1 == 0
    assert i8(-7) // 2 == -4 and i8(-7) % 2 == 1  # floor, not C truncation
    assert i8(7) // -2 == -4 and i8(7) % -2 == -1


@FAST
@given(pairs, st.integers(0, 140))
def test_shifts(p: Tuple[Any, int, int], n: int) -> None:
    cls, a, _ = p
    bits = WIDTH[cls][0]
    x = cls(a)
    left = ref_wrap(cls, a * 2 ** n) if n < bits else 0
    right = a // 2 ** n  # floor: arithmetic shift for negative values, 0/-1 once n >= BITS
    for count in (n, cls(n)) if n <= cls.MAX else (n,):
        check(cls, x << count, left)
        check(cls, x >> count, right)
    if n < bits:
        check(cls, a << cls(n), left)
        check(cls, 1 << cls(n), 2 ** n)  # reflected: the plain int adopts the type
        check(cls, a >> cls(n), right)


def test_shift_errors_and_edges() -> None:
    with pytest.raises(ValueError, match="negative shift count"):
        u32(1) << -1
    with pytest.raises(ValueError, match="negative shift count"):
        i32(1) >> i32(-3)
    with pytest.raises(TypeError, match="cannot mix u64 and u32"):
        u64(1) << u32(3)
    assert i8(-128) >> 7 == -1 and i8(-128) >> 100 == -1 and u8(0x80) >> 100 == 0
    assert u64(1) << 10 ** 18 == 0  # huge counts do not build huge ints
    assert u8(0xFF) << 4 == 0xF0


@FAST
@given(pairs)
def test_comparisons(p: Tuple[Any, int, int]) -> None:
    cls, a, b = p
    for op in COMPARE:
        got = op(cls(a), cls(b))
        assert type(got) is bool and got == op(a, b)
        assert op(cls(a), b) == op(a, b) and op(a, cls(b)) == op(a, b)


@FAST
@given(pairs)
def test_unary(p: Tuple[Any, int, int]) -> None:
    cls, a, _ = p
    x = cls(a)
    check(cls, -x, -a)
    check(cls, ~x, ~a)
    check(cls, abs(x), abs(a))
    assert +x is x


def test_unary_edges() -> None:
    assert -u32(1) == 0xFFFFFFFF and ~u8(0) == 255 and ~i8(0) == -1 and abs(i8(-128)) == -128


@FAST
@given(st.sampled_from(CLASSES), st.sampled_from(CLASSES), st.integers(0, 127), st.integers(0, 127))
def test_mixing_widths_is_refused(c1: Any, c2: Any, a: int, b: int) -> None:
    if c1 is c2:
        return
    x, y = c1(a), c2(b)
    for sym, op in ARITH + [("//", operator.floordiv), ("%", operator.mod), ("<<", operator.lshift),
                            (">>", operator.rshift)]:
        for l, r in ((x, y), (y, x)):
            with pytest.raises(TypeError, match="cannot mix .* convert one explicitly"):
                op(l, r)
    for op in COMPARE:
        with pytest.raises(TypeError, match="cannot mix"):
            op(x, y)


def test_mixing_message_suggests_the_wider_type() -> None:
    with pytest.raises(TypeError, match=r"cannot mix u32 and u64: convert one explicitly, e\.g\. u64\(x\)"):
        u32(1) + u64(1)
    with pytest.raises(TypeError, match=r"cannot mix i64 and u8.*i64\(x\)"):
        i64(1) + u8(1)


def test_bool_counts_as_plain_int() -> None:
    assert u32(1) + True == 2 and type(u32(1) + True) is u32
    assert type(u8(3) & False) is u8 and u8(1) == True  # noqa: E712


def test_floats_and_pow_are_refused() -> None:
    x = u32(6)
    for bad in (lambda: x / 2, lambda: 2 / x, lambda: x / x, lambda: x ** 2, lambda: 2 ** x,
                lambda: pow(x, 2, 5), lambda: float(x), lambda: x + 1.5, lambda: x < 1.5):
        with pytest.raises(TypeError):
            bad()


def test_python_integration() -> None:
    x = u32(5)
    assert repr(x) == "u32(5)" and str(x) == "5" and f"{x}" == "5" and f"{x:#x}" == "0x5"
    assert repr(i16(-3)) == "i16(-3)" and "%d %x" % (x, u8(255)) == "5 ff"
    assert int(x) == 5 and type(int(x)) is int and hash(x) == hash(5)
    assert list(range(u8(3))) == [0, 1, 2] and [10, 11, 12][u16(2)] == 12 and b"abc"[u8(1)] == 98
    assert {5: "five"}[x] == "five" and x in {5, 6} and x == 5 and x != None  # noqa: E711
    assert sum([u32(1), u32(2)]) == 3 and type(sum([u32(1), u32(2)])) is u32
    assert sorted([u8(3), u8(1)]) == [1, 3] and bool(u8(0)) is False
    import copy
    import pickle
    assert type(copy.copy(x)) is u32 and pickle.loads(pickle.dumps(i8(-3))) == -3


def test_in_place_operators() -> None:
    x = u8(250)
    x += 10
    assert x == 4 and type(x) is u8
    x -= 5
    assert x == 255
    x <<= 4
    x |= 1
    x *= 3
    assert x == ref_wrap(u8, (0xF0 | 1) * 3) and type(x) is u8
    y = i8(-128)
    y //= -1
    assert y == -128
    with pytest.raises(TypeError):
        x += u16(1)


def test_class_attributes_and_layout() -> None:
    for cls, (bits, signed) in WIDTH.items():
        assert issubclass(cls, FixedInt) and issubclass(cls, int)
        assert cls.BITS == bits and cls.SIGNED is signed
        assert sizeof(cls) == alignof(cls) == bits // 8
        assert cls.MAX == (2 ** (bits - 1) - 1 if signed else 2 ** bits - 1)
        assert cls.MIN == (-(2 ** (bits - 1)) if signed else 0)
        assert cls.__slots__ == ()
    assert usize is u64 and isize is i64 and sizeof(bool) == 1
    with pytest.raises(TypeError, match="no fixed layout"):
        sizeof(int)


def test_thousands_of_ops_are_fast() -> None:
    start = time.perf_counter()
    acc = u64(0x12345)
    for i in range(5000):
        acc = (acc * 6364136223846793005 + 1442695040888963407) ^ (acc >> 13)
        acc = acc + u64(i) - (acc & 0xFF)
    assert type(acc) is u64
    assert time.perf_counter() - start < 1.0  # ~20k ops
