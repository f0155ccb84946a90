"""Differential tests of @struct values and of raw memory through Ptr (simulated memory vs a real buffer)."""
from __future__ import annotations

import struct as pystruct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import i32, i64, u8, u16, u64
from translator.check import types as T

from .harness import Case, SimBuffer, fresh_sim

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
I32S = st.integers(-(2**31), 2**31 - 1)


@pytest.fixture(scope="module")
def case() -> Case:
    """structs.py imported and JIT-compiled once."""
    return Case("structs.py")


@SETTINGS
@given(x=st.integers(-1000, 1000), y=st.integers(-1000, 1000))
def test_struct_values(case: Case, x: int, y: int) -> None:
    """Constructors (positional, keyword, partial), field updates, nesting, pass and return by value."""
    for name in ("fields_roundtrip", "keyword_ctor", "nested", "pass_by_value", "return_by_value"):
        case.check(name, i32(x), i32(y))
    case.check("struct_eq", i32(x), i32(y))
    case.check("struct_eq", i32(x), i32(x))


@SETTINGS
@given(v=I32S)
def test_copy_semantics(case: Case, v: int) -> None:
    """.copy() makes an independent value; constructors and field stores copy; mutating a copy leaves the original."""
    case.check("copy_semantics", i32(v))
    case.check("copy_nested", i32(v))
    case.check("struct_array", i32(v))


@SETTINGS
@given(a=st.integers(0, 0xFFFF), b=st.integers(0, 0xFFFF))
def test_array_fields(case: Case, a: int, b: int) -> None:
    """Array fields: element stores (wrapping u16 sums), loads, len()."""
    case.check("array_fields", u16(a), u16(b))


def test_array_bounds(case: Case) -> None:
    """In-range indices agree; -1 and N fail in both worlds (Arrays have no negative indexing)."""
    for i in range(4):
        case.check("array_index", i64(i))
    for i in (-1, -4, 4, 1000):
        out = case.check("array_index", i64(i))
        assert out.kind == "fault" and "IndexError" in out.detail


def test_layout_matches_runtime_library(case: Case) -> None:
    """The translator's sizes, alignments and offsets equal the runtime library's (which are checked against clang)."""
    checked = 0
    for mod in case.jit.tr.program.modules.values():
        for name, sym in mod.symbols.items():
            st_ = getattr(sym, "type", None)
            if not isinstance(st_, T.StructType):
                continue
            layout = getattr(case.py, name).__kpy_layout__
            assert (st_.size, st_.align) == (layout.size, layout.align), name
            assert [(f.name, f.offset) for f in st_.fields] == [(f.name, f.offset) for f in layout.fields], name
            checked += 1
    assert checked >= 5
    case.check("layout_sizes")
    case.check("layout_offsets")


# ---- raw memory: the same bytes on both sides, then compare results and the bytes afterwards ----------------
def run_on_memory(case: Case, name: str, data: bytes, *args: int) -> None:
    """Call `name(addr, *args)` in both worlds on identical memory; results and final memory must agree."""
    fresh_sim()
    buf = SimBuffer(data)
    want = case.run_py(name, u64(buf.sim_addr), *args)
    got = case.run_native(name, u64(buf.native_addr), *args)
    assert got.same_as(want), f"{name}: CPython {want}, native {got}"
    assert buf.native_bytes() == buf.sim_bytes(), f"{name}: memory differs"


@SETTINGS
@given(data=st.binary(min_size=64, max_size=64), n=st.integers(0, 16), seed=st.integers(0, 255))
def test_ptr_index_load_store(case: Case, data: bytes, n: int, seed: int) -> None:
    """p[i] loads and stores with element stride, wrapping u32 sums and u8 stores."""
    run_on_memory(case, "ptr_sum_u32", data, i64(n))
    run_on_memory(case, "ptr_store_pattern", data, i64(n * 4), u8(seed))


@SETTINGS
@given(data=st.binary(min_size=64, max_size=64), v=I32S)
def test_ptr_arithmetic_and_structs(case: Case, data: bytes, v: int) -> None:
    """p + n, p - n, negative indices, .addr, struct loads (fresh copies) and stores, casts, null, comparisons."""
    run_on_memory(case, "ptr_arith", data)
    run_on_memory(case, "ptr_negative_index", data)
    run_on_memory(case, "ptr_struct", data, i32(v))
    run_on_memory(case, "ptr_cast", data)
    run_on_memory(case, "ptr_null", data)


@SETTINGS
@given(magic=st.integers(0, 2**32 - 1), kind=st.integers(0, 255), ok=st.booleans(), length=st.integers(0, 0xFFFF),
       items=st.lists(st.integers(0, 0xFFFF), min_size=4, max_size=4), tail=st.integers(-(2**63), 2**63 - 1),
       packed=st.binary(min_size=15, max_size=15), v=st.integers(0, 2**64 - 1))
def test_ptr_layout_structs(case: Case, magic: int, kind: int, ok: bool, length: int, items: list, tail: int,
                            packed: bytes, v: int) -> None:
    """A padded struct with an Array and a bool, and a packed struct, read and written through Ptr."""
    header = pystruct.pack("<IB?H4Hq", magic, kind, ok, length, *items, tail)  # Header's C layout, no padding
    assert len(header) == 24
    run_on_memory(case, "ptr_header", header + bytes(8))
    run_on_memory(case, "ptr_packed", packed + bytes(1), u64(v))


@SETTINGS
@given(a=st.integers(0, 0xFFFF))
def test_array_iteration_and_equality(case: Case, a: int) -> None:
    """for v in array (stores during the loop are seen, as in CPython); == on structs and Arrays is by value."""
    case.check("iterate", u16(a))
    case.check("arr_eq", u16(a))


@SETTINGS
@given(v=st.integers(0, 2**64 - 1))
def test_packed_fields_in_place(case: Case, v: int) -> None:
    """Fields of packed structs (also nested in a normal struct) read, written and compared in place."""
    case.check("packed_fields", u64(v))


def test_packed_field_accesses_are_unaligned_in_ir(case: Case) -> None:
    """Loads and stores of packed fields carry `align 1`: LLVM may not assume natural alignment there."""
    text = case.jit.tr.ir_text
    start = text.index('@"' + case.modname + '.packed_fields"')
    body = text[start:text.index("\n}\n", start)]
    wide = [line for line in body.splitlines() if any(f"{op} i{w}" in line for op in ("load", "store") for w in (16, 32, 64))]
    unaligned = [line for line in wide if "align 1" in line]
    # 4 constructor stores, k.b +=, k.d ^= k.c, m.p.d =, m.p.b = k.b, k == m.p (6 loads), the final sum (4)
    assert len(unaligned) >= 18, "\n".join(wide)
