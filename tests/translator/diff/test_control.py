"""Differential tests of control flow, calls, recursion, default arguments, constants and globals."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import i8, i32, i64, u8, u32, u64

from .harness import Case

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
BOOLS = (False, True)


@pytest.fixture(scope="module")
def case() -> Case:
    """control.py imported and JIT-compiled once."""
    return Case("control.py")


@pytest.mark.parametrize("name", ["and_chain", "or_chain", "mixed_logic"])
def test_short_circuit(case: Case, name: str) -> None:
    """and/or/not evaluate left to right and stop early: the kprint side effects show which operands ran."""
    for a, b, c in itertools.product(BOOLS, repeat=3):
        case.check(name, a, b, c)


def test_conditions(case: Case) -> None:
    """Short-circuit conditions of if/elif, and bool & | ^ ==."""
    for a, b in itertools.product(BOOLS, repeat=2):
        case.check("if_short_circuit", a, b)
        case.check("bool_ops", a, b)


@SETTINGS
@given(x=st.integers(-(2**31), 2**31 - 1), a=st.integers(-5, 5), b=st.integers(-5, 5), c=st.integers(-5, 5))
def test_if_elif_and_compare(case: Case, x: int, a: int, b: int, c: int) -> None:
    """if/elif/else ladders, chained comparisons and conditional expressions."""
    case.check("classify", i32(x))
    for v in (-101, -100, -1, 0, 1, 100, 101):
        case.check("classify", i32(v))
    case.check("chained_compare", i64(a), i64(b), i64(c))
    case.check("ternary", i64(a), i64(b))


@SETTINGS
@given(start=st.integers(-20, 20), stop=st.integers(-20, 20))
def test_range_loops(case: Case, start: int, stop: int) -> None:
    """for over range with start/stop, negative and non-unit steps, empty ranges, the loop variable after the loop."""
    case.check("range_sum", i64(start), i64(stop))
    case.check("range_stop", i32(stop))
    case.check("range_down", i64(start), i64(stop))
    case.check("range_step3", i64(start), i64(stop))
    case.check("range_down_step2", i64(start), i64(stop))
    case.check("loop_var_after", i64(stop))
    case.check("range_unsigned", u8(start & 0xFF), u8(stop & 0xFF))


@SETTINGS
@given(n=st.integers(0, 80), m=st.integers(0, 12))
def test_break_continue_nested(case: Case, n: int, m: int) -> None:
    """break and continue in for and while loops, nested loops breaking only the inner one."""
    case.check("break_continue", i64(n))
    case.check("while_break_continue", i64(n))
    case.check("nested_loops", i64(m), i64(n % 13))
    case.check("nested_while", i64(n))


@SETTINGS
@given(n=st.integers(1, 10**6))
def test_while_loop(case: Case, n: int) -> None:
    """A data-dependent while loop with u64 arithmetic."""
    case.check("collatz_steps", u64(n))


def test_recursion(case: Case) -> None:
    """fib, ackermann (small) and mutual recursion."""
    for n in range(0, 21):
        case.check("fib", i64(n))
    for m in range(0, 3):
        for n in range(0, 4):
            case.check("ackermann", i64(m), i64(n))
    case.check("ackermann", i64(3), i64(3))
    for n in (0, 1, 2, 7, 100, 501):
        case.check("is_even", u32(n))
        case.check("is_odd", u32(n))


@SETTINGS
@given(a=st.integers(-1000, 1000))
def test_default_and_keyword_arguments(case: Case, a: int) -> None:
    """Defaults are filled in, keywords bind by name in any order."""
    case.check("call_defaults", i64(a))


def test_constants(case: Case) -> None:
    """Final constants (plain int, typed u32/u64, bool and str) fold to the same values."""
    for x in (0, 10, 11, 0xFFFF, 0x12345, 2**32 - 1):
        case.check("use_constants", u32(x))
    case.check("big_const")
    case.check("greet", i64(3))


def test_globals_mutated_via_global(case: Case) -> None:
    """Globals changed through `global` keep their state across calls, the same in both worlds."""
    for n in (1, 5, -3, 100, 0, -1000):
        case.check("bump", i64(n))
        case.check("read_counter")
    for v in (3, 0, 2**32 - 1):
        case.check("set_total", u32(v))
        case.check("get_total")
    for _ in range(3):
        case.check("toggle")


def test_range_near_type_limits(case: Case) -> None:
    """range() whose last step would wrap around the loop variable's type stops like CPython's (no wrap)."""
    unsigned = [0, 1, 2, 3, 4, 5, 100, 249, 250, 251, 252, 253, 254, 255]
    signed = [-128, -127, -126, -125, -124, -123, -1, 0, 1, 123, 124, 125, 126, 127]
    case.check_many_in_child("range_u8_step", [(u8(a), u8(b)) for a in unsigned for b in unsigned])
    case.check_many_in_child("range_u8_unit", [(u8(a), u8(b)) for a in unsigned for b in unsigned])
    case.check_many_in_child("range_i8_down", [(i8(a), i8(b)) for a in signed for b in signed])
    # negative and large steps over narrow types: the step is a constant, not a value of the loop type
    case.check_many_in_child("range_u8_down", [(u8(a), u8(b)) for a in unsigned for b in unsigned])
    case.check_many_in_child("range_u8_down_big_step", [(u8(a), u8(b)) for a in unsigned for b in unsigned])
    case.check_many_in_child("range_i8_big_step", [(i8(a), i8(b)) for a in signed for b in signed])


def test_range_near_i64_limits(case: Case) -> None:
    """Huge steps next to i64's max and min."""
    for start in (0, 2**63 - 1, 2**63 - 2, -(2**63), 2**62):
        case.check_in_child("range_i64_near_max", i64(start), True)
    for start in (-(2**63) + 1, -(2**63) + 999, -(2**63) + 1001, -(2**63) + 5000):
        case.check_in_child("range_i64_near_max", i64(start), False)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_rebinding_loop_variable(case: Case, n: int) -> None:
    """Rebinding the loop variable in the body does not change the iteration."""
    case.check_in_child("rebind_loop_var", i64(n))
