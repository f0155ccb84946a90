"""Refusals around integers: floats, true division, '**', literals that do not fit, and width mixing."""
from __future__ import annotations

import pytest

from .conftest import Refused, full


def test_float_literal(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            x = 1.5
    """, 2, 8, "floating-point numbers are not part of Kernel Python")
    assert "integers" in d.hint


def test_float_constant(refused: Refused) -> None:
    refused("""
        RATIO: Final = 0.5
    """, 1, 15, "floating-point numbers")


def test_float_call(refused: Refused) -> None:
    refused("""
        def f(a: u64) -> None:
            x = float(a)
    """, 2, 8, "float() is not part of Kernel Python")


def test_true_division(refused: Refused) -> None:
    d = refused("""
        def f(a: u64) -> u64:
            return a / u64(2)
    """, 2, 11, "'/' is float division")
    assert "//" in d.hint


def test_true_division_in_constant(refused: Refused) -> None:
    refused("""
        HALF: Final = 10 / 2
    """, 1, 14, "'/' is float division")


def test_power_on_fixed_width(refused: Refused) -> None:
    d = refused("""
        def f(a: u64) -> u64:
            return a ** u64(2)
    """, 2, 11, "'**' is not supported on fixed-width integers")
    assert "<<" in d.hint


def test_power_on_fixed_width_constant(refused: Refused) -> None:
    refused("""
        X: Final = u64(2) ** 3
    """, 1, 11, "'**' is not supported on fixed-width integers")


def test_power_of_literals_too_big(refused: Refused) -> None:
    refused("""
        def f(b: u64) -> u64:
            return 2 ** 70 + b
    """, 2, 11, "64 bits", stage=full)


def test_literal_does_not_fit_local(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            x: u8 = 300
    """, 2, 12, "300 does not fit in u8")
    assert "u8(300)" in d.hint


def test_negative_literal_in_unsigned(refused: Refused) -> None:
    refused("""
        def f() -> None:
            x: u8 = -1
    """, 2, 12, "-1 does not fit in u8")


def test_literal_does_not_fit_global(refused: Refused) -> None:
    refused("""
        x: u8 = 300
    """, 1, 8, "300 does not fit in u8")


def test_literal_does_not_fit_constant(refused: Refused) -> None:
    refused("""
        X: Final[u8] = 300
    """, 1, 15, "300 does not fit in u8")


def test_literal_does_not_fit_argument(refused: Refused) -> None:
    refused("""
        def g(a: u8) -> None:
            pass

        def f() -> None:
            g(300)
    """, 5, 6, "300 does not fit in u8")


def test_literal_does_not_fit_return(refused: Refused) -> None:
    refused("""
        def f() -> i8:
            return 200
    """, 2, 11, "200 does not fit in i8")


def test_literal_does_not_fit_field(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u16

        def f() -> None:
            s = S()
            s.x = 70000
    """, 7, 10, "70000 does not fit in u16")


def test_big_integer_literal(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            x = 100000000000000000000000
    """, 2, 8, "does not fit in 64 bits")
    assert "u64" in d.hint


def test_big_integer_constant_expression(refused: Refused) -> None:
    refused("""
        X: Final = 1 << 100
    """, 1, 11, "does not fit in 64 bits")


def test_literal_local_does_not_fit_i64(refused: Refused) -> None:
    refused("""
        def f() -> bool:
            x = 0xFFFFFFFFFFFFFFFF
            return x > 0
    """, 2, 8, "does not fit in")


def test_width_mixing_binop(refused: Refused) -> None:
    d = refused("""
        def f(a: u32, b: u64) -> u64:
            return a + b
    """, 2, 11, "cannot mix u32 and u64 in '+'")
    assert "u64(x)" in d.hint


def test_width_mixing_comparison(refused: Refused) -> None:
    refused("""
        def f(a: u32, b: u64) -> bool:
            return a < b
    """, 2, 11, "cannot mix u32 and u64 in '<'")


def test_width_mixing_assignment(refused: Refused) -> None:
    d = refused("""
        def f(a: u32, b: u64) -> None:
            a = b
    """, 2, 8, "expected u32 for this value, got u64")
    assert "u32(...)" in d.hint


def test_width_mixing_augmented_assignment(refused: Refused) -> None:
    refused("""
        def f(a: u32, b: u64) -> None:
            a += b
    """, 2, 4, "cannot mix u32 and u64")


def test_width_mixing_argument(refused: Refused) -> None:
    refused("""
        def g(a: u64) -> None:
            pass

        def f(a: u32) -> None:
            g(a)
    """, 5, 6, "expected u64 for this value, got u32")


def test_width_mixing_return(refused: Refused) -> None:
    refused("""
        def f(a: u32) -> u64:
            return a
    """, 2, 11, "expected u64 for this value, got u32")


def test_width_mixing_constants(refused: Refused) -> None:
    refused("""
        X: Final = u32(1) + u64(2)
    """, 1, 11, "cannot mix u32 and u64")


def test_bool_arithmetic(refused: Refused) -> None:
    refused("""
        def f(a: bool) -> u64:
            return a + u64(1)
    """, 2, 11, "'+' is not defined for bool and u64")


def test_integer_condition(refused: Refused) -> None:
    d = refused("""
        def f(a: u64) -> None:
            if a:
                pass
    """, 2, 7, "a condition must be a bool")
    assert "!= 0" in d.hint


def test_ptr_index_of_narrow_type(refused: Refused) -> None:
    """The runtime library accepts only usize, isize or a literal as a Ptr offset; so does the checker."""
    refused("""
        from asterpy.lang import Ptr, u16, u32

        def load_at(addr: u64, i: u32) -> u16:
            return Ptr[u16](addr)[i]
    """, 4, 26, "must be usize or isize")


def test_literal_comparison_beyond_i64(refused: Refused) -> None:
    """Two literals compare as i64 natively but exactly under CPython: one that does not fit i64 is refused (issue 25)."""
    d = refused("""
        def f() -> bool:
            return 0 > 9223372036854775808
    """, 2, 15, "9223372036854775808 does not fit in int (i64), the type of a comparison between literals")
    assert "u64(9223372036854775808)" in d.hint


def test_literal_comparison_with_untyped_constant(refused: Refused) -> None:
    refused("""
        BIG: Final = 0xFFFF_FFFF_FFFF_FFFF
        def f() -> bool:
            return BIG == 1
    """, 3, 11, "BIG does not fit in int (i64)")


@pytest.mark.parametrize("op", ["<<", ">>"])
def test_negative_literal_shift_count(refused: Refused, op: str) -> None:
    """CPython raises ValueError; an unsigned native count would wrap to a large one: refused (issue 25)."""
    d = refused(f"""
        def f(a: u8) -> u8:
            return a {op} -1
    """, 2, 16, "negative shift count -1")
    assert "0 or more" in d.hint


def test_negative_literal_shift_count_augmented(refused: Refused) -> None:
    refused("""
        def f(a: i32) -> i32:
            a >>= -3
            return a
    """, 2, 10, "negative shift count -3")
