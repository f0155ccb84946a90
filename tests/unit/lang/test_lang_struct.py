"""@struct and Array[T, N]: layout, conversion on construction/assignment, by-value copies, bytes."""

import sys
import types
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asterpy.lang import (Array, Field, Layout, Ptr, alignof, i8, i16, i32, offsetof, sizeof, struct, u8,
                          u16, u32, u64)


@struct
class Mixed:
    a: u8
    b: u32
    c: u16
    d: u64


@struct
class Tail:
    big: u64
    small: u8


@struct(packed=True)
class Packed:
    a: u8
    b: u32
    c: u16


@struct
class Point:
    x: i32
    y: i32


@struct
class Shape:
    kind: u8
    origin: Point
    corners: Array[Point, 2]
    tags: Array[u8, 3]
    next: Ptr["Shape"]
    visible: bool


@struct
class Holder:
    flag: bool
    inner: Packed  # a packed struct is 1-aligned inside a normal one


def test_natural_alignment_and_padding() -> None:
    assert [offsetof(Mixed, f) for f in "abcd"] == [0, 4, 8, 16]
    assert sizeof(Mixed) == 24 and alignof(Mixed) == 8
    assert offsetof(Tail, "small") == 8 and sizeof(Tail) == 16  # tail padding to the alignment


def test_packed() -> None:
    assert [offsetof(Packed, f) for f in "abc"] == [0, 1, 5]
    assert sizeof(Packed) == 7 and alignof(Packed) == 1
    assert offsetof(Holder, "inner") == 1 and sizeof(Holder) == 8
    p = Packed(1, 0x11223344, 0x5566)
    assert p.to_bytes() == bytes([1, 0x44, 0x33, 0x22, 0x11, 0x66, 0x55])


def test_nested_arrays_bool_ptr_layout() -> None:
    lay = Shape.__kpy_layout__
    assert isinstance(lay, Layout) and lay.packed is False
    assert [(f.name, f.offset, f.size) for f in lay.fields] == [
        ("kind", 0, 1), ("origin", 4, 8), ("corners", 12, 16), ("tags", 28, 3), ("next", 32, 8),
        ("visible", 40, 1)]
    assert lay.fields[4].type is Ptr[Shape]  # the forward reference was resolved
    assert isinstance(lay.fields[0], Field) and lay.fields[0].type is u8
    assert sizeof(Shape) == 48 and alignof(Shape) == 8
    assert offsetof(Shape, "origin.y") == 8  # dotted paths reach nested fields
    with pytest.raises(AttributeError):
        offsetof(Shape, "nope")


def test_constructor() -> None:
    m = Mixed(1, 2, d=3)
    assert (m.a, m.b, m.c, m.d) == (1, 2, 0, 3) and type(m.c) is u16
    assert Mixed(a=300).a == 44  # plain ints wrap
    s = Shape()
    assert s.origin == Point(0, 0) and s.next.is_null() and s.visible is False and list(s.tags) == [0, 0, 0]
    with pytest.raises(TypeError, match="fields"):
        Point(1, 2, 3)
    with pytest.raises(TypeError, match="twice"):
        Point(1, x=2)
    with pytest.raises(TypeError, match="no field 'z'"):
        Point(z=1)
    with pytest.raises(TypeError, match="cannot mix i32 and u32"):
        Point(u32(1))


def test_assignment_converts_and_checks() -> None:
    p = Point()
    p.x = -1
    assert type(p.x) is i32 and p.x == -1
    p.y = 2 ** 32 + 5
    assert p.y == 5
    with pytest.raises(TypeError, match="cannot mix i32 and i16"):
        p.x = i16(1)
    with pytest.raises(AttributeError, match="no field 'z'"):
        p.z = 1  # type: ignore[attr-defined]
    s = Shape()
    with pytest.raises(TypeError, match="expected Point"):
        s.origin = Mixed()  # type: ignore[assignment]
    with pytest.raises(TypeError, match="cast"):
        s.next = Ptr[u8](0)  # type: ignore[assignment]
    with pytest.raises(TypeError):
        s.next = 0  # type: ignore[assignment]
    with pytest.raises(TypeError, match="bool"):
        s.visible = u8(1)  # type: ignore[assignment]
    s.visible = 1  # type: ignore[assignment]  # a plain int literal converts like C _Bool
    assert s.visible is True
    with pytest.raises(TypeError, match="expected Array"):
        s.tags = Array[u8, 4]()


def test_by_value_semantics() -> None:
    p = Point(1, 2)
    s = Shape(origin=p)
    p.x = 99
    assert s.origin.x == 1  # stored a copy
    s.origin.x = 7  # reading a nested field gives the embedded struct: writes go through
    assert s.origin.x == 7
    c = s.copy()
    c.origin.y = 5
    c.corners[0].x = 3
    c.tags[2] = 9
    assert s.origin.y == 2 and s.corners[0].x == 0 and s.tags[2] == 0
    assert c != s and c.copy() == c
    s.corners[1] = p
    p.y = 100
    assert s.corners[1] == Point(99, 2)


def test_equality_and_repr() -> None:
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert Point(1, 2) != (1, 2)
    assert repr(Point(1, -2)) == "Point(x=i32(1), y=i32(-2))"
    assert repr(Array[u8, 2]([1, 2])) == "Array[u8, 2]([u8(1), u8(2)])"
    with pytest.raises(TypeError):
        hash(Point())


def test_bytes_round_trip_known_values() -> None:
    m = Mixed(0xAB, 0x01020304, 0xBEEF, 2 ** 64 - 1)
    b = m.to_bytes()
    assert b == (bytes([0xAB, 0, 0, 0, 4, 3, 2, 1, 0xEF, 0xBE, 0, 0, 0, 0, 0, 0]) + b"\xff" * 8)
    assert Mixed.from_bytes(b) == m
    assert Mixed.from_bytes(b"xx" + b + b"yy", 2) == m  # offset, longer buffer
    with pytest.raises(ValueError, match="needs 24 bytes"):
        Mixed.from_bytes(b[:-1])
    assert Point.from_bytes(b"\xff\xff\xff\xff\x01\x00\x00\x00") == Point(-1, 1)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 255), st.integers(-2 ** 31, 2 ** 31 - 1), st.integers(-2 ** 31, 2 ** 31 - 1),
       st.lists(st.integers(0, 255), min_size=3, max_size=3), st.integers(0, 2 ** 64 - 1), st.booleans())
def test_bytes_round_trip_property(kind: int, x: int, y: int, tags: list, addr: int, vis: bool) -> None:
    s = Shape(kind, Point(x, y), Array[Point, 2]([Point(y, x)]), Array[u8, 3](tags), Ptr[Shape](addr), vis)
    b = s.to_bytes()
    assert len(b) == sizeof(Shape)
    assert b[offsetof(Shape, "origin.y"):][:4] == y.to_bytes(4, "little", signed=True)
    assert Shape.from_bytes(b) == s and Shape.from_bytes(b).to_bytes() == b


def test_array() -> None:
    A = Array[u16, 4]
    assert A is Array[u16, 4] and sizeof(A) == 8 and alignof(A) == 2 and A.ELEM is u16 and A.LEN == 4
    a = A([1, 2])
    assert len(a) == 4 and list(a) == [1, 2, 0, 0] and type(a[0]) is u16
    a[3] = 70000
    assert a[3] == 70000 % 65536 and a[u64(3)] == a[3]
    for bad in (4, -1, 100):
        with pytest.raises(IndexError):
            a[bad]
        with pytest.raises(IndexError):
            a[bad] = 1
    with pytest.raises(TypeError):
        a[0] = u8(1)
    with pytest.raises(ValueError):
        A([1, 2, 3, 4, 5])
    b = a.copy()
    b[0] = 9
    assert a[0] == 1 and a != b and a == a.copy()
    assert A.from_bytes(a.to_bytes()) == a and a.to_bytes()[:2] == b"\x01\x00"
    with pytest.raises(TypeError):
        Array(3)
    with pytest.raises(TypeError):
        Array[int, 3]
    with pytest.raises(TypeError):
        Array[u8, -1]
    assert sizeof(Array[u32, 0]) == 0 and alignof(Array[u32, 0]) == 4
    grid = Array[Array[u8, 2], 3]()
    grid[1][0] = 5
    assert grid.to_bytes() == b"\x00\x00\x05\x00\x00\x00"


def test_decorator_refusals() -> None:
    with pytest.raises(TypeError, match="default value"):
        @struct
        class Defaulted:
            x: u32 = 5  # type: ignore[assignment]
    with pytest.raises(TypeError, match="inherit"):
        @struct
        class Child(Point):  # type: ignore[misc]
            z: i32
    with pytest.raises(TypeError, match="no annotated fields"):
        @struct
        class Empty:
            pass
    with pytest.raises(TypeError, match="no fixed layout"):
        @struct
        class Floaty:
            f: float
    with pytest.raises(TypeError, match="generates it"):
        @struct
        class OwnInit:
            x: u8

            def __init__(self) -> None:
                pass
    with pytest.raises(TypeError, match="no fixed layout"):
        @struct
        class Recursive:
            me: "Recursive"
    with pytest.raises(TypeError, match=r"Early\.p: name 'Later' is not defined"):
        @struct
        class Early:
            p: Ptr["Later"]
    with pytest.raises(TypeError, match="reserved"):
        @struct
        class Reserved:
            copy: u32


def test_class_constants_and_methods_are_kept() -> None:
    @struct
    class Hdr:
        MAGIC: ClassVar[int] = 0xEF53
        magic: u16
        count: u16

        def valid(self) -> bool:
            """True if the magic matches."""
            return self.magic == self.MAGIC

    assert [f.name for f in Hdr.__kpy_layout__.fields] == ["magic", "count"]
    assert Hdr(0xEF53).valid() and not Hdr().valid()


def test_future_annotations_module() -> None:
    src = (
        "from __future__ import annotations\n"
        "from asterpy.lang import struct, Array, Ptr, u8, u32\n"
        "@struct\n"
        "class Node:\n"
        "    value: u32\n"
        "    next: Ptr[Node]\n"
        "    name: Array[u8, 4]\n"
    )
    mod = types.ModuleType("kpy_future_test")
    sys.modules[mod.__name__] = mod
    try:
        exec(compile(src, "<kpy_future_test>", "exec"), mod.__dict__)
        Node = mod.Node
        assert [f.type for f in Node.__kpy_layout__.fields] == [u32, Ptr[Node], Array[u8, 4]]
        assert sizeof(Node) == 24
    finally:
        del sys.modules[mod.__name__]


def test_signed_fields_and_bool_decoding() -> None:
    @struct
    class S:
        a: i8
        b: i16
        ok: bool

    s = S.from_bytes(b"\x80\x00\xfe\xff\x02\x00")
    assert (s.a, s.b, s.ok) == (-128, -2, True)  # any non-zero byte reads as True
    assert S(ok=True).to_bytes()[4] == 1
