"""@struct values and raw memory through Ptr, for the differential tests."""
from asterpy.lang import Array, Ptr, i8, i16, i32, i64, u8, u16, u32, u64, struct, sizeof, offsetof


@struct
class Point:
    x: i32
    y: i32


@struct
class Rect:
    origin: Point
    size: Point
    flags: u8


@struct
class Header:
    magic: u32
    kind: u8
    ok: bool
    length: u16
    items: Array[u16, 4]
    tail: i64


@struct(packed=True)
class Packed:
    a: u8
    b: u32
    c: u16
    d: u64


@struct
class Mixed:
    a: u8
    p: Packed
    b: u16
    pts: Array[Point, 2]


def make_point(x: i32, y: i32) -> Point:
    return Point(x, y)


def point_sum(p: Point) -> i32:
    return p.x + p.y


def fields_roundtrip(x: i32, y: i32) -> i32:
    p = Point(x, y)
    p.x = p.x * 2
    p.y -= 1
    return point_sum(p) + make_point(y, x).x


def keyword_ctor(a: i32, b: i32) -> i64:
    p = Point(y=a, x=b)
    q = Point(a)
    return i64(p.x) * 1000000 + i64(p.y) * 1000 + i64(q.y)


def nested(w: i32, h: i32) -> i32:
    r = Rect(Point(1, 2), Point(w, h), 7)
    r.size.x += 10
    r.origin = make_point(h, w)
    return r.origin.x * 3 + r.origin.y * 5 + r.size.x * 7 + r.size.y * 11 + i32(r.flags)


def area(r: Rect) -> i64:
    return i64(r.size.x) * i64(r.size.y)


def pass_by_value(w: i32, h: i32) -> i64:
    r = Rect(Point(0, 0), Point(w, h), 0)
    a = area(r)
    r.size.x = 1
    return a * 10 + area(r)


def grow(r: Rect, by: i32) -> Rect:
    out = r.copy()
    out.size.x += by
    out.size.y += by
    return out


def return_by_value(w: i32, h: i32) -> i64:
    r = Rect(Point(1, 1), Point(w, h), 3)
    g = grow(r, 5)
    return area(g) * 1000 + area(r)


def copy_semantics(v: i32) -> i64:
    a = Point(v, v + 1)
    b = a.copy()
    b.x = 99
    a.y = 5
    r = Rect(a, b, 1)
    r.origin.x = -1  # the constructor stored copies: a is unchanged
    return i64(a.x) * 1000000 + i64(a.y) * 10000 + i64(b.x) * 100 + i64(r.origin.x)


def copy_nested(v: i32) -> i64:
    r = Rect(Point(v, 2), Point(3, 4), 5)
    s = r.copy()
    s.origin.x = 100
    s.size = Point(7, 8)
    inner = r.size.copy()
    inner.y = 50
    return i64(r.origin.x) * 1000 + i64(r.size.y) * 10 + i64(s.origin.x + s.size.y + inner.y)


def array_fields(a: u16, b: u16) -> u32:
    h = Header()
    h.items[0] = a
    h.items[1] = b
    h.items[3] = a + b
    total: u32 = 0
    for i in range(4):
        total = total * 7 + u32(h.items[i])
    return total + u32(len(h.items))


def array_index(i: i64) -> u16:
    h = Header()
    for k in range(4):
        h.items[k] = u16(k * 10 + 1)
    return h.items[i]


def struct_array(v: i32) -> i32:
    m = Mixed()
    m.pts[0] = Point(v, 1)
    m.pts[1].y = v * 2
    p = m.pts[0].copy()
    p.x += 1
    return m.pts[0].x + m.pts[1].y + p.x


def struct_eq(a: i32, b: i32) -> bool:
    return Point(a, b) == Point(b, a)


def layout_sizes() -> i64:
    return i64(sizeof(Point)) * 1000000 + i64(sizeof(Rect)) * 10000 + i64(sizeof(Header)) * 100 + i64(sizeof(Packed))


def layout_offsets() -> i64:
    return (i64(offsetof(Header, "length")) * 1000000 + i64(offsetof(Header, "tail")) * 10000
            + i64(offsetof(Packed, "d")) * 100 + i64(offsetof(Mixed, "pts")))


# ---- raw memory --------------------------------------------------------------------------------------------
def ptr_sum_u32(addr: u64, n: i64) -> u32:
    p = Ptr[u32](addr)
    s: u32 = 0
    for i in range(n):
        s += p[i]
    return s


def ptr_store_pattern(addr: u64, n: i64, seed: u8) -> None:
    p = Ptr[u8](addr)
    for i in range(n):
        p[i] = seed + u8(i) * 3


def ptr_arith(addr: u64) -> i64:
    p = Ptr[u16](addr)
    q = p + 3
    q.store(q.load() + 1)
    r = q - 2
    r[1] = u16(0xBEEF)
    s = p + u64(5)
    s.store(u16(7))
    return i64((q.addr - p.addr) * 100 + (s.addr - r.addr))


def ptr_negative_index(addr: u64) -> i32:
    p = Ptr[i32](addr) + 4
    p[-1] = i32(-5)
    p[-4] = p[-1] * 3
    return p[-4] + p[-3]


def ptr_struct(addr: u64, v: i32) -> i64:
    p = Ptr[Point](addr)
    pt = p.load()
    pt.x += v
    p[1] = pt
    q = p[1]
    q.y = 1234  # a load is a fresh value: memory keeps its y
    p.store(Point(v, -v))
    return i64(p[1].y) * 10 + i64(q.y)


def ptr_header(addr: u64) -> u32:
    p = Ptr[Header](addr)
    h = p.load()
    h.items[2] = h.items[0] + h.items[1]
    h.ok = not h.ok
    h.magic ^= u32(0xFFFF)
    p.store(h)
    return h.magic + u32(h.length) + u32(h.kind)


def ptr_packed(addr: u64, v: u64) -> u64:
    p = Ptr[Packed](addr)
    k = p.load()
    k.d += v
    k.b = u32(k.d)
    p.store(k)
    return k.d + u64(k.b) + u64(k.c) + u64(k.a)


def ptr_cast(addr: u64) -> u64:
    p = Ptr[u8](addr)
    w = p.cast(u64)
    x = w.load()
    w[1] = x
    b = p.cast(i8)
    b[0] = i8(-1)
    return x + u64(b[3])


def ptr_null(addr: u64) -> i32:
    n = Ptr[u32].null()
    p = Ptr[u32](addr)
    r: i32 = 0
    if n.is_null():
        r += 1
    if not p.is_null():
        r += 10
    if p + 1 > p:
        r += 100
    if p == Ptr[u32](addr):
        r += 1000
    return r


# ---- iterating and comparing Arrays ------------------------------------------------------------------------

@struct
class Five:
    items: Array[u16, 5]


def iterate(a: u16) -> u32:
    h = Five()
    for i in range(5):
        h.items[i] = a + u16(i)
    t: u32 = 0
    for v in h.items:
        t = t * 3 + u32(v)
        h.items[4] = u16(1)
    return t


def arr_eq(a: u16) -> bool:
    h = Five()
    g = Five()
    h.items[2] = a
    g.items[2] = u16(7)
    return h == g and h.items == g.items


# ---- packed fields accessed in place ------------------------------------------------------------------------
def packed_fields(v: u64) -> u64:
    k = Packed(1, 2, 3, v)
    k.b += u32(5)
    k.d ^= u64(k.c)
    m = Mixed()
    m.p.d = v
    m.p.b = k.b
    same = k == m.p
    r = k.d + u64(k.b) + u64(k.c) + m.p.d
    if same:
        r += 1
    return r
