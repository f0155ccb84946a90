"""Owned temporaries inside and/or, conditional expressions, while conditions and chained comparisons."""

from asterpy.lang import i64, kprint


class N:
    id: i64

    def __init__(self, id: i64) -> None:
        self.id = id

    def __del__(self) -> None:
        kprint(f"drop {self.id}")

    def pos(self) -> bool:
        return self.id > 0


def mk(id: i64) -> N:
    return N(id)


def check(n: N) -> bool:
    return n.id > 0


def temps_in_boolops(a: i64, b: i64) -> bool:
    r = mk(a).pos() and check(mk(b)) or mk(a + b).id > 3
    kprint("stmt done")
    return r


def temps_in_ifexp(a: i64) -> i64:
    r = mk(a).id if a > 0 else mk(-a).id * 2
    kprint("stmt done")
    return r


def temps_in_while(n: i64) -> i64:
    i: i64 = 0
    while mk(i).id < n and check(mk(1)):
        i += 1
    return i


def temps_in_compare(a: i64) -> bool:
    return mk(a).id < mk(a + 1).id < mk(a + 2).id
