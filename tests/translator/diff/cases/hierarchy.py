"""A three-level class hierarchy with explicit base calls, __del__ chains, struct fields and Optional results."""
from typing import Optional
from asterpy.lang import i64, i32, kprint, struct


@struct
class V:
    x: i32
    y: i32


class Base:
    id: i64
    v: V

    def __init__(self, id: i64) -> None:
        self.id = id
        self.v = V(1, 2)

    def name(self) -> i64:
        return 1

    def twice(self) -> i64:
        return self.name() * 2

    def __del__(self) -> None:
        kprint(f"base drop {self.id}")


class Mid(Base):
    def name(self) -> i64:
        return 10 + Base.name(self)


class Leaf(Mid):
    extra: i64

    def __init__(self, id: i64) -> None:
        Mid.__init__(self, id)
        self.extra = 5

    def __del__(self) -> None:
        kprint(f"leaf drop {self.id}")
        Base.__del__(self)


class Plain:
    n: i64

    def get(self) -> i64:
        return self.n


def pick(k: i64) -> Optional[Base]:
    if k == 0:
        return None
    if k == 1:
        return Base(1)
    if k == 2:
        return Mid(2)
    return Leaf(3)


def via_optional(k: i64) -> i64:
    b = pick(k)
    if b is None:
        return -1
    r = b.twice()
    if isinstance(b, Leaf):
        r += b.extra * 100
    return r


def isinstance_none(k: i64) -> bool:
    b = pick(k)
    return isinstance(b, Mid)


def struct_field_copy() -> i64:
    b = Base(7)
    v = b.v.copy()
    v.x = 100
    b.v.y = 50
    w = V(3, 4)
    b.v = w.copy()
    w.x = 9
    return i64(v.x) * 10000 + i64(b.v.x) * 100 + i64(b.v.y) + i64(w.x)


def no_init() -> i64:
    p = Plain()
    p.n = 41
    return p.get() + 1
