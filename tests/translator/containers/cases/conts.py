"""Containers in Kernel Python: List, Dict, bytes/bytearray, str ==, Weak; drop order seen through __del__."""
from typing import Dict, List, Optional

from asterpy.lang import Array, i64, kprint, u8, u64
from asterpy.lang.struct import struct
from asterpy.lang.weak import Weak


class Node:
    v: i64

    def __init__(self, v: i64) -> None:
        self.v = v

    def __del__(self) -> None:
        kprint(f"del {self.v}")


@struct
class Point:
    x: i64
    y: u8


@struct
class Buf:
    a: Array[u64, 4]


class Tree:
    name: i64
    kids: List["Tree"]
    parent: Optional[Weak["Tree"]]

    def __init__(self, name: i64) -> None:
        self.name = name
        self.kids = []
        self.parent = None

    def add(self, name: i64) -> "Tree":
        t = Tree(name)
        t.parent = Weak(self)
        self.kids.append(t)
        return t

    def __del__(self) -> None:
        kprint(f"drop tree {self.name}")


def op_at(w0: u64, w1: u64, w2: u64, w3: u64, i: i64) -> i64:
    """Byte i of the 32 operation bytes packed in four words."""
    w = w0
    if i >= 24:
        w = w3
    elif i >= 16:
        w = w2
    elif i >= 8:
        w = w1
    return i64((w >> u64(8 * (i % 8))) & u64(0xFF))


def show(xs: List[Node]) -> i64:
    s = i64(0)
    for x in xs:
        s = s * 31 + x.v
    kprint(f"list len={len(xs)} sum={s}")
    return s


# ---- List[Node] under a random operation sequence ------------------------------------------------------
def list_ops(w0: u64, w1: u64, w2: u64, w3: u64, n: i64) -> i64:
    xs: List[Node] = [Node(1000), Node(1001)]
    for i in range(n):
        op = op_at(w0, w1, w2, w3, i)
        kind = op % 8
        arg = op // 8
        m = len(xs)
        if kind == 0:
            xs.append(Node(arg))
        elif kind == 1 and m > 0:
            p = xs.pop()
            kprint(f"pop {p.v}")
        elif kind == 2 and m > 0:
            idx = arg % (2 * m) - m
            q = xs.pop(idx)
            kprint(f"pop at {idx}: {q.v}")
        elif kind == 3:
            xs.insert(arg - 16, Node(100 + arg))
        elif kind == 4 and m > 0:
            xs[arg % m] = Node(200 + arg)
        elif kind == 5 and m > 0:
            del xs[arg - 16 if arg - 16 < m and arg - 16 >= -m else arg % m]
        elif kind == 6 and arg < 4:
            xs.clear()
            kprint("cleared")
        elif m > 0:
            y = xs[-1 - arg % m]
            kprint(f"read {y.v} at {arg % m}")
    return show(xs)


def int_list_ops(w0: u64, w1: u64, w2: u64, w3: u64, n: i64) -> i64:
    xs = [i64(5), i64(-7)]
    for i in range(n):
        op = op_at(w0, w1, w2, w3, i)
        kind = op % 8
        arg = op // 8 - 10
        m = len(xs)
        if kind == 0 or kind == 7:
            xs.append(arg)
        elif kind == 1 and m > 0:
            kprint(f"pop {xs.pop()}")
        elif kind == 2 and m > 0:
            xs.insert(arg, arg * 3)
        elif kind == 3 and m > 0:
            xs[arg % m] += arg
        elif kind == 4:
            kprint(f"in {arg in xs} {(arg + 1) not in xs}")
        elif kind == 5 and m > 0:
            del xs[arg % m]
        elif kind == 6 and m > 0:
            xs[-1] = xs[0] - arg
    s = i64(0)
    for x in xs:
        s = s * 7 + x
    return s * 1000 + len(xs)


# ---- Dict under random operations ----------------------------------------------------------------------
def dict_ops(w0: u64, w1: u64, w2: u64, w3: u64, n: i64) -> i64:
    d: Dict[i64, Node] = {1: Node(501), 2: Node(502)}
    for i in range(n):
        op = op_at(w0, w1, w2, w3, i)
        kind = op % 8
        k = (op // 8) % 12
        if kind == 0 or kind == 7:
            d[k] = Node(300 + k)
        elif kind == 1:
            if k in d:
                del d[k]
                kprint(f"deleted {k}")
        elif kind == 2:
            p = d.pop(k, Node(99))
            kprint(f"popped {p.v}")
        elif kind == 3:
            g = d.get(k, Node(98))
            kprint(f"got {g.v}")
        elif kind == 4:
            kprint(f"has {k in d} len {len(d)}")
        elif kind == 5 and k < 2:
            d.clear()
            kprint("cleared")
        elif kind == 6 and k in d:
            d[k].v += 1000
    kprint(f"final len {len(d)}")
    return i64(len(d))


def int_dict_churn(n: i64, mod: i64, step: i64) -> i64:
    """Many inserts and deletes: resizes with dead entries and dummies in the index."""
    d: Dict[u64, i64] = {}
    total = i64(0)
    for i in range(n):
        k = u64((i * step) % mod)
        if k in d:
            total += d.pop(k, -1)
        else:
            d[k] = i
        if i % 5 == 0:
            d[k + u64(1000)] = d.get(k + u64(1000), 0) + 1
    for i in range(mod):
        total = total * 3 + d.get(u64(i), -1)
    return total + len(d) * 1000000


def key_name(i: i64) -> str:
    if i == 0:
        return "alpha"
    if i == 1:
        return "beta"
    if i == 2:
        return "gamma"
    if i == 3:
        return ""
    if i == 4:
        return "alphabet"
    return "delta"


def str_dict(w0: u64, w1: u64, n: i64) -> i64:
    d: Dict[str, i64] = {"alpha": 1, "beta": 2}
    for i in range(n):
        op = op_at(w0, w1, u64(0), u64(0), i)
        k = key_name(op % 6)
        if op // 6 % 3 == 0:
            d[k] = i
        elif op // 6 % 3 == 1:
            d.pop(k, 0)
        else:
            kprint(f"{k}: {d.get(k, -1)} {k in d}")
    return i64(len(d))


def bool_dict(a: bool, b: bool) -> i64:
    d: Dict[bool, u8] = {True: u8(1)}
    d[a] = u8(7)
    d[b] = d.get(b, u8(3)) + u8(1)
    return i64(d[True]) * 100 + i64(d.get(False, u8(0))) * 10 + len(d)


# ---- bytes, bytearray, str ---------------------------------------------------------------------------
def bytes_ops(n: i64, v: u8) -> i64:
    b = bytearray(n)
    for i in range(n):
        b[i] = u8(i) * v
    b.append(v)
    b.append(u8(255))
    s = i64(0)
    for x in b:
        s = s * 3 + i64(x)
    lit = b"\x00\x01kernel\xff"
    for x in lit:
        s = s * 5 + i64(x)
    z = bytes(3)
    return s + i64(lit[-1]) + i64(b[-2]) + len(z) * 7 + i64(v in lit) + i64(u8(7) in b) * 2


def str_eq(a: i64, b: i64) -> bool:
    return key_name(a) == key_name(b)


def str_ne(a: i64) -> bool:
    return key_name(a) != "alpha"


# ---- struct elements -----------------------------------------------------------------------------------
def struct_list(n: i64) -> i64:
    ps: List[Point] = []
    for i in range(n):
        ps.append(Point(i, u8(i)))
    ps[0].x = 77
    if n > 2:
        ps.insert(1, Point(-5, u8(9)))
        q = ps.pop(2)
        ps[1] = q.copy()
    last = ps.pop()
    s: i64 = last.x
    for i in range(len(ps)):
        s = s * 11 + ps[i].x + i64(ps[i].y)
    return s


def struct_dict(n: i64) -> i64:
    d: Dict[i64, Point] = {}
    for i in range(n):
        d[i % 4] = Point(i, u8(i))
    d[1].x += 100
    p = d.get(7, Point(-1, u8(1)))
    q = d.pop(2, Point(-2, u8(2)))
    return d[1].x * 1000 + p.x * 100 + q.x + len(d)


# ---- iteration -----------------------------------------------------------------------------------------
def grow_while_iterating(n: i64) -> i64:
    xs = [i64(1), i64(2), i64(3)]
    for x in xs:
        if x < n:
            xs.append(x * 2 + 1)
    return len(xs)


def make_nodes(n: i64) -> List[Node]:
    out: List[Node] = []
    for i in range(n):
        out.append(Node(i))
    return out


def iterate_temporary(n: i64) -> i64:
    s = i64(0)
    for x in make_nodes(n):
        kprint(f"visit {x.v}")
        s += x.v
    kprint("after loop")
    return s


def rebind_while_iterating(n: i64) -> i64:
    xs = make_nodes(n)
    s = i64(0)
    for x in xs:
        xs = make_nodes(1)
        kprint(f"visit {x.v}")
        s += x.v
    kprint("after loop")
    return s


def return_from_loop(n: i64) -> i64:
    for x in make_nodes(4):
        if x.v == n:
            kprint(f"found {x.v}")
            return x.v
    kprint("not found")
    return -1


def break_loop(n: i64) -> i64:
    keep = Node(-1)
    for x in make_nodes(5):
        if x.v == n:
            break
        keep = x
    kprint("after loop")
    return keep.v


def nested(n: i64) -> i64:
    rows: List[List[i64]] = []
    for i in range(n):
        row: List[i64] = []
        for j in range(i + 1):
            row.append(i * j)
        rows.append(row)
    s = i64(0)
    for r in rows:
        for v in r:
            s += v
        s += len(r)
    return s + rows[-1][-1]


def array_iter(k: u64) -> u64:
    b = Buf()
    for i in range(4):
        b.a[i] = u64(i) * k
    s = u64(0)
    for v in b.a:
        s = s * u64(3) + v
    return s


# ---- Weak ------------------------------------------------------------------------------------------------
def weak_basic(keep: bool) -> i64:
    a = Node(1)
    w = Weak(a)
    w2 = Weak(a)
    r = i64(0)
    g = w.get()
    if g is not None:
        r += g.v
    g = None
    if not keep:
        a = Node(2)
    g2 = w2.get()
    if g2 is None:
        kprint("gone")
        r += 10
    else:
        r += 100
    return r


def weak_outlives(n: i64) -> i64:
    ws: List[Weak[Node]] = []
    for i in range(n):
        x = Node(i)
        ws.append(Weak(x))
    alive = i64(0)
    for w in ws:
        if w.get() is not None:
            alive += 1
    return alive


def tree(n: i64) -> i64:
    root = Tree(0)
    for i in range(n):
        c = root.add(i + 1)
        c.add(10 * (i + 1))
    s = i64(0)
    for k in root.kids:
        p = k.parent
        if p is not None:
            q = p.get()
            if q is not None:
                s += q.name + k.name
    kprint(f"sum {s}")
    return s


# ---- displays and refcounts ----------------------------------------------------------------------------
def displays(a: i64) -> i64:
    xs = [Node(a), Node(a + 1), Node(a + 2)]
    d = {a: Node(10), a: Node(11), a + 1: Node(12)}
    kprint(f"{len(xs)} {len(d)}")
    first = xs[0]
    xs[0] = Node(50)
    kprint("replaced")
    d[a] = first
    kprint("stored")
    return d[a].v + len(d)


def first_of(a: i64) -> i64:
    return make_nodes(a)[a - 1].v


# ---- failures (IndexError / KeyError / ValueError under CPython) --------------------------------------
def bad_index(i: i64) -> i64:
    xs = [i64(1), i64(2), i64(3)]
    return xs[i]


def bad_pop(n: i64) -> i64:
    xs: List[i64] = []
    for i in range(n):
        xs.append(i)
    return xs.pop()


def bad_key(k: i64) -> i64:
    d = {1: i64(10), 2: i64(20)}
    return d[k]


def bad_del(k: i64) -> i64:
    d = {1: i64(10)}
    del d[k]
    return len(d)


def bad_bytes(n: i64) -> i64:
    return len(bytearray(n))


def bad_store(i: i64) -> i64:
    b = bytearray(2)
    b[i] = u8(1)
    return len(b)
