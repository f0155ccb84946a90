"""Classes: fields, methods, inheritance, virtual dispatch, Optional, and reference counting seen through __del__."""
from typing import Optional

from asterpy.lang import i64, u32, kprint


class Shape:
    id: i64
    scale: i64

    def __init__(self, id: i64, scale: i64) -> None:
        self.id = id
        self.scale = scale

    def area(self) -> i64:
        return 0

    def describe(self) -> i64:
        return self.id * 1000 + self.area()

    def bump(self, by: i64 = 1) -> None:
        self.scale += by


class Square(Shape):
    side: i64

    def __init__(self, id: i64, side: i64) -> None:
        Shape.__init__(self, id, 1)
        self.side = side

    def area(self) -> i64:
        return self.side * self.side * self.scale


class Rect(Shape):
    w: i64
    h: i64

    def __init__(self, id: i64, w: i64, h: i64) -> None:
        Shape.__init__(self, id, 1)
        self.w = w
        self.h = h

    def area(self) -> i64:
        return self.w * self.h * self.scale


class Cube(Square):
    def area(self) -> i64:
        return 6 * Square.area(self)


def make(kind: i64, v: i64) -> Shape:
    if kind == 0:
        return Shape(v, 2)
    if kind == 1:
        return Square(v, v + 1)
    if kind == 2:
        return Rect(v, v, 3)
    return Cube(v, 2)


def dispatch(kind: i64, v: i64) -> i64:
    s = make(kind, v)
    s.bump()
    s.bump(by=3)
    return s.describe()


def kinds(kind: i64) -> i64:
    s = make(kind, 1)
    r: i64 = 0
    if isinstance(s, Square):
        r += 1
    if isinstance(s, Cube):
        r += 10
    if isinstance(s, Rect):
        r += 100
    if isinstance(s, Shape):
        r += 1000
    return r


def narrowed(kind: i64) -> i64:
    s = make(kind, 4)
    if isinstance(s, Rect):
        return s.w * 10 + s.h
    return -1


def find(kind: i64) -> Optional[Shape]:
    if kind < 0:
        return None
    return make(kind, 7)


def optional_area(kind: i64) -> i64:
    s = find(kind)
    if s is None:
        return -1
    return s.area()


def optional_else(kind: i64) -> i64:
    s = find(kind)
    if s is not None and s.area() > 10:
        return s.area()
    return 0


# ---- reference counting observed through __del__ ---------------------------------------------------------
class Node:
    id: i64
    next: Optional["Node"]

    def __init__(self, id: i64) -> None:
        self.id = id
        self.next = None
        kprint(f"new {id}")

    def __del__(self) -> None:
        kprint(f"drop {self.id}")


class Holder:
    id: i64
    node: Node

    def __init__(self, id: i64, node: Node) -> None:
        self.id = id
        self.node = node

    def __del__(self) -> None:
        kprint(f"drop holder {self.id}")


def scope_exit() -> None:
    a = Node(1)
    b = Node(2)
    kprint("body")


def rebind() -> None:
    a = Node(1)
    a = Node(2)
    kprint("rebound")
    a = Node(3)
    kprint("end")


def use(n: Node) -> i64:
    kprint(f"use {n.id}")
    return n.id


def temporaries() -> i64:
    r = use(Node(1)) + use(Node(2))
    kprint("after")
    return r


def returns_new(id: i64) -> Node:
    return Node(id)


def discard_result() -> None:
    returns_new(5)
    kprint("discarded")
    x = returns_new(6).id
    kprint(f"got {x}")


def chain(n: i64) -> None:
    head = Node(0)
    cur = head
    for i in range(1, n):
        nxt = Node(i)
        cur.next = nxt
        cur = nxt
    kprint("built")
    head = Node(100)
    kprint("replaced head")


def holder_chain() -> None:
    h = Holder(1, Node(10))
    h2 = Holder(2, h.node)
    h = Holder(3, Node(30))
    kprint("swapped")


def field_reassign() -> None:
    a = Node(1)
    a.next = Node(2)
    a.next = Node(3)
    kprint("set")
    a.next = None
    kprint("cleared")


def param_rebind(n: Node) -> i64:
    n = Node(50)
    kprint("rebound param")
    return n.id


def call_param_rebind() -> None:
    a = Node(1)
    r = param_rebind(a)
    kprint(f"r {r}")


def loop_drop(n: i64) -> None:
    for i in range(n):
        x = Node(i)
        kprint(f"iter {i}")
    kprint("done")


def conditional_drop(flag: bool) -> None:
    a = Node(1)
    if flag:
        a = Node(2)
        kprint("replaced")
    kprint("end")


def early_return(flag: bool) -> i64:
    a = Node(1)
    if flag:
        b = Node(2)
        return 2
    kprint("late")
    return 1


def optional_field(n: i64) -> i64:
    a = Node(1)
    total: i64 = 0
    for i in range(n):
        b = Node(10 + i)
        b.next = a.next
        a.next = b
    cur = a.next
    while cur is not None:
        total = total * 100 + cur.id
        cur = cur.next
    return total


keep: Optional[Node] = None


def identity(n: Node) -> Node:
    return n


def get_next(n: Node) -> Optional[Node]:
    return n.next


def returns_and_fields() -> i64:
    a = Node(1)
    a.next = Node(2)
    b = identity(a)
    c = get_next(b)
    kprint("got")
    a = Node(3)
    kprint("a replaced")
    b = Node(4)
    kprint("b replaced")
    if c is not None:
        return c.id
    return -1


def method_on_temporary() -> i64:
    r = make(1, 3).area() + make(2, 2).describe()
    kprint("computed")
    return r


def temp_in_constructor() -> None:
    h = Holder(1, Node(2))
    kprint("made")
    h2 = Holder(2, identity(Node(3)))
    kprint("made 2")


def pick(flag: bool) -> i64:
    a = Node(1)
    b = Node(2)
    c = a if flag else b
    a = Node(3)
    b = Node(4)
    kprint("picked")
    return c.id


def store_global(id: i64) -> None:
    global keep
    keep = Node(id)
    kprint("stored")


def clear_global() -> None:
    global keep
    keep = None
    kprint("cleared")


def identity_checks() -> i64:
    a = Node(1)
    b = a
    c = Node(2)
    r: i64 = 0
    if a is b:
        r += 1
    if a is not c:
        r += 10
    if a.next is None:
        r += 100
    return r


class Two:
    a: Node
    b: Node

    def __init__(self) -> None:
        self.b = Node(2)
        self.a = Node(1)

    def __del__(self) -> None:
        kprint("drop two")


class Three(Two):
    c: Node

    def __init__(self) -> None:
        self.c = Node(3)
        Two.__init__(self)


def field_release_order() -> None:
    t = Two()
    kprint("made two")
    t = Three()
    kprint("made three")
