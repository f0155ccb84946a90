"""More container shapes: str/bool/u8 elements, Optional and nested objects, errors raised inside loops."""
from typing import Dict, List, Optional

from asterpy.lang import i64, i32, kprint, u8, u64
from asterpy.lang.struct import struct
from asterpy.lang.errno import EINVAL
from asterpy.lang.errors import SysError
from asterpy.lang.weak import Weak


@struct
class Rec:
    a: u8
    b: i32
    c: u8


class Item:
    id: i64

    def __init__(self, id: i64) -> None:
        self.id = id

    def __del__(self) -> None:
        kprint(f"drop {self.id}")


class Bag:
    items: List[Item]
    names: Dict[i64, str]
    maybe: Optional[List[i64]]

    def __init__(self) -> None:
        self.items = []
        self.names = {}
        self.maybe = None


def label(i: i64) -> str:
    if i % 3 == 0:
        return "zero"
    if i % 3 == 1:
        return "one"
    return "two"


def strings(n: i64) -> i64:
    xs: List[str] = []
    for i in range(n):
        xs.append(label(i))
    c = i64(0)
    for s in xs:
        if s == "one":
            c += 1
    d: Dict[i64, str] = {}
    for i in range(n):
        d[i] = label(i * 2)
    if n > 0 and d[0] == "zero":
        c += 100
    kprint(f"{c} {len(xs)} {'two' in xs} {len(d)}")
    return c


def flags(n: i64) -> i64:
    bs: List[bool] = [True, False]
    for i in range(n):
        bs.append(i % 3 == 0)
    bs[0] = False
    c = i64(0)
    for b in bs:
        if b:
            c += 1
    return c * 10 + i64(True in bs) + i64(False in bs) * 2


def small(n: i64) -> u64:
    xs: List[u8] = []
    for i in range(n):
        xs.append(u8(i * 37))
    xs.insert(u64(1), u8(200))
    xs.insert(u64(999), u8(201))
    p = xs.pop(u64(0))
    s = u64(p)
    for x in xs:
        s = s * u64(5) + u64(x)
    return s + u64(u8(74) in xs)


def optionals(n: i64) -> i64:
    xs: List[Optional[Item]] = [None, Item(1)]
    for i in range(n):
        if i % 2 == 0:
            xs.append(Item(10 + i))
        else:
            xs.append(None)
    xs[1] = None
    kprint("cleared slot 1")
    c = i64(0)
    for x in xs:
        if x is not None:
            c += x.id
    return c


def nested_objects(n: i64) -> i64:
    groups: Dict[i64, List[Item]] = {}
    for i in range(n):
        g = i % 3
        if g not in groups:
            groups[g] = []
        groups[g].append(Item(i))
    kprint(f"groups {len(groups)}")
    if 1 in groups:
        del groups[1]
        kprint("deleted group 1")
    return i64(len(groups))


def field_containers(n: i64) -> i64:
    bag = Bag()
    for i in range(n):
        bag.items.append(Item(i))
        bag.names[i] = label(i)
    first = bag.items.pop(0) if n > 0 else Item(-1)
    kprint(f"first {first.id}")
    bag.items.clear()
    kprint("items cleared")
    bag.maybe = [i64(1), i64(2)]
    m = bag.maybe
    t = i64(0)
    if m is not None:
        t = m[1] + len(m)
    return t + len(bag.names)


def none_list(i: i64) -> i64:
    bag = Bag()
    if i > 0:
        bag.maybe = [i]
    m = bag.maybe
    return m[0]


def weak_values(n: i64) -> i64:
    keep: List[Item] = []
    ws: Dict[i64, Weak[Item]] = {}
    for i in range(n):
        it = Item(i)
        ws[i] = Weak(it)
        if i % 2 == 0:
            keep.append(it)
    alive = i64(0)
    for i in range(n):
        x = ws[i].get()
        if x is not None:
            alive += 1
    return alive


def check(v: i64) -> i64:
    if v == 3:
        raise SysError(EINVAL)
    return v


def raise_in_loop(n: i64) -> i64:
    s = i64(0)
    for it in [Item(1), Item(2), Item(3), Item(4)]:
        s += check(it.id * n)
    kprint("loop done")
    return s


def catch_in_loop(n: i64) -> i64:
    s = i64(0)
    try:
        for it in [Item(1), Item(2), Item(3)]:
            s += check(it.id * n)
    except SysError:
        s = -1
    return s


def raise_in_display(n: i64) -> i64:
    xs = [Item(5), Item(check(n)), Item(6)]
    return len(xs)


def bkey(i: i64) -> bytes:
    if i % 5 == 0:
        return b""
    if i % 5 == 1:
        return b"a"
    if i % 5 == 2:
        return b"ab"
    if i % 5 == 3:
        return b"ba"
    return bytes(i % 3)


def bytes_keys(n: i64) -> i64:
    d: Dict[bytes, i64] = {b"ab": 100}
    for i in range(n):
        k = bkey(i * 7 + n)
        d[k] = d.get(k, 0) + i
        if i % 4 == 3:
            kprint(f"pop {d.pop(bkey(i), -1)}")
    d[b"ab"] += 5
    r = d[b"ab"] * 10 + i64(b"\x00" in d) + i64(bytes(2) in d) * 2
    del d[b"ab"]
    kprint(f"len {len(d)} {b'ab' in d}")
    for i in range(6):
        r = r * 3 + d.get(bkey(i), -1)
    return r


def bytes_eq(a: i64, b: i64) -> i64:
    x = bkey(a)
    y = bkey(b)
    z = bytearray(len(y))
    for i in range(len(y)):
        z[i] = y[i]
    return i64(x == y) + i64(x != y) * 2 + i64(z == y) * 4 + i64(x == b"ab") * 8


def noisy(i: i64) -> i64:
    kprint(f"index {i}")
    return i


def pop_order(n: i64, i: i64) -> i64:
    xs: List[i64] = []
    for k in range(n):
        xs.append(k * 10)
    return xs.pop(noisy(i)) + len(xs)


def weak_explicit(keep: bool) -> i64:
    a: Optional[Item] = Item(7)
    w = Weak[Item](a)
    if not keep:
        a = None
    x = w.get()
    if x is None:
        return -1
    return x.id


def rec_sum(r: Rec) -> i64:
    return i64(r.a) * 1000000 + i64(r.b) * 1000 + i64(r.c)


def struct_ops(w0: u64, w1: u64, n: i64) -> i64:
    """Random operations on List[Rec] (a padded 12-byte struct) and Dict[u8, Rec]."""
    xs: List[Rec] = [Rec(u8(1), i32(2), u8(3))]
    d: Dict[u8, Rec] = {}
    for i in range(n):
        sh = u64(8 * (i % 8))
        w = w0 if i < 8 else w1
        op = i64((w >> sh) & u64(0xFF))
        kind = op % 6
        arg = op // 6
        m = len(xs)
        if kind == 0:
            xs.append(Rec(u8(arg), i32(arg * 3 - 50), u8(i)))
        elif kind == 1 and m > 0:
            r = xs.pop(arg % m - m // 2)
            d[u8(arg % 5)] = r.copy()
        elif kind == 2:
            xs.insert(arg - 20, Rec(u8(i), i32(-arg), u8(arg)))
        elif kind == 3 and m > 0:
            xs[arg % m].b += i32(arg)
            xs[arg % m].c = u8(7)
        elif kind == 4 and m > 0:
            xs[-1] = xs[arg % m].copy()
        else:
            k = u8(arg % 5)
            if k in d:
                d[k].a += u8(1)
                kprint(f"rec {rec_sum(d[k])}")
            got = d.pop(k, Rec(u8(0), i32(0), u8(0)))
            xs.append(got.copy())
    s = i64(len(d))
    for j in range(len(xs)):
        s = s * 7 + rec_sum(xs[j])
    return s
