"""Issue 25: the eleven CPython/native divergences of literals, shift counts and bool results, at -O0 and -O2."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import i8, i64, u8, u16, u32, u64

from .harness import Case

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", params=[0, 2], ids=["O0", "O2"])
def case(request: pytest.FixtureRequest) -> Case:
    """same_meaning.py, JIT-compiled at -O0 and -O2."""
    c = Case("same_meaning.py", opt=request.param)
    c.keeps_objects = set()
    return c


# (function, arguments, the value both worlds must give): the value is pinned so that a change on
# both sides at once (e.g. the CPython view wrapping a shift count) is caught too.
PINNED = [
    ("shl_257", (u8(1),), u8(0)),
    ("shr_65537", (u16(128),), u16(0)),
    ("shl_assign_300", (u8(3),), u8(0)),
    ("shr_255", (i8(-3),), i8(-1)),
    ("shr_255", (i8(3),), i8(0)),
    ("shl_128", (i8(5),), i8(0)),
    ("min_literal", (u8(250),), u8(44)),
    ("max_literal", (u8(5),), True),
    ("cond_literal", (u8(1),), u8(44)),
    ("uses_default", (), False),
    ("with_default", (u8(1),), True),
    ("final_constant", (u8(0),), u8(36)),
    ("annotated_local", (u8(0),), u8(36)),
    ("literal_argument", (), u8(36)),
    ("literal_return", (), u8(36)),
    ("loop_plus", (u8(200),), u8(43)),
    ("loop_div", (u8(200),), u32(14)),
    ("int_negative", (u64(2**64 - 1),), True),
    ("int_back", (u64(2**64 - 1),), i64(-1)),
    ("bool_result", (u8(0), u8(0)), False),
    ("bool_exported", (u8(0), u8(0)), False),
    ("field_literal", (u8(10),), u8(4)),
    ("element_literal", (u8(0),), u8(22)),
]


@pytest.mark.parametrize("name,args,value", PINNED, ids=[f"{p[0]}{list(p[1])}" for p in PINNED])
def test_reproducer(case: Case, name: str, args: tuple, value: object) -> None:
    """Both worlds agree on the reproducer's call, and give the native (wrapping) result."""
    got = case.check(name, *args)
    assert got.kind == "value"
    if value is not None:
        assert got.value == value and type(got.value) is type(value), f"{name}{args} gave {got.value!r}"


ONE_U8 = ["shl_257", "shl_assign_300", "min_literal", "max_literal", "cond_literal", "with_default", "final_constant",
          "annotated_local", "loop_plus", "loop_div", "field_literal", "element_literal"]


@pytest.mark.parametrize("name", ONE_U8)
def test_every_u8(case: Case, name: str) -> None:
    """The one-u8-argument reproducers agree for all 256 inputs."""
    for x in range(256):
        case.check(name, u8(x), fork=False)


def test_shifts_of_every_value(case: Case) -> None:
    """Literal counts past the width, signed and unsigned, for every 8-bit value and some 16-bit ones."""
    for x in range(-128, 128):
        case.check("shr_255", i8(x))
        case.check("shl_128", i8(x))
    for x in (0, 1, 0x8000, 0xFFFF, 12345):
        case.check("shr_65537", u16(x))


@SETTINGS
@given(a=st.integers(0, 255), b=st.integers(0, 255))
def test_bool_results_are_clean_bytes(case: Case, a: int, b: int) -> None:
    """The bool results agree; the harness reads them as a whole byte, so a dirty one would fail (DirtyBool)."""
    case.check("bool_result", u8(a), u8(b), fork=False)
    case.check("bool_exported", u8(a), u8(b), fork=False)


@SETTINGS
@given(x=st.integers(0, 2**64 - 1))
def test_int_conversion(case: Case, x: int) -> None:
    """int(x) wraps to i64 in both worlds."""
    case.check("int_negative", u64(x), fork=False)
    case.check("int_back", u64(x), fork=False)
