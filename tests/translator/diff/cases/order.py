"""Evaluation order of arguments and keeping call arguments alive, for the differential tests."""
from typing import Optional
from asterpy.lang import i64, i32, kprint, struct


@struct
class P:
    x: i32
    y: i32


def t(v: i64) -> i64:
    kprint(f"eval {v}")
    return v


def t32(v: i32) -> i32:
    kprint(f"eval32 {v}")
    return v


def three(a: i64, b: i64 = 0, c: i64 = 0) -> i64:
    return a * 100 + b * 10 + c


def kw_order() -> i64:
    return three(t(1), c=t(3), b=t(2))


def ctor_order() -> i32:
    p = P(y=t32(1), x=t32(2))
    return p.x * 10 + p.y


counter: i64 = 0


def bump() -> i64:
    global counter
    counter += 10
    return 1


def aug_global_order() -> i64:
    global counter
    counter = 0
    counter += bump()
    return counter


class N:
    id: i64
    child: "Optional[N]"

    def __init__(self, id: i64) -> None:
        self.id = id
        self.child = None

    def __del__(self) -> None:
        kprint(f"drop {self.id}")

    def detach_parent_and_read(self, parent: "N") -> i64:
        parent.child = None
        kprint("detached")
        return self.id


g: "Optional[N]" = None


def replace_g() -> i64:
    global g
    g = N(99)
    return 5


def use2(n: N, k: i64) -> i64:
    kprint(f"use {n.id} {k}")
    return n.id + k


def global_arg_rebound() -> i64:
    global g
    g = N(1)
    return use2(g, replace_g())


def callee_rebinds(n: N) -> i64:
    global g
    g = None
    kprint("rebound")
    return n.id


def global_arg_rebound_in_callee() -> i64:
    global g
    g = N(2)
    return callee_rebinds(g)


def field_receiver_freed() -> i64:
    p = N(3)
    p.child = N(4)
    return p.child.detach_parent_and_read(p)


@struct
class Regs:
    a: i64
    b: i64


class Task:
    id: i64
    regs: Regs

    def __init__(self, id: i64) -> None:
        self.id = id
        self.regs = Regs(id * 10, id * 100)

    def __del__(self) -> None:
        kprint(f"drop task {self.id}")


current: "Optional[Task]" = None


def switch_and_read(r: Regs) -> i64:
    global current
    current = Task(7)  # the task owning r may die here
    scratch = Task(8)  # and its memory be reused
    kprint("switched")
    return r.a + r.b + scratch.id


def struct_arg_from_global_object() -> i64:
    global current
    current = Task(1)
    t = current
    t = None
    return switch_and_read(current.regs)


def make_task(id: i64) -> Task:
    return Task(id)


def struct_arg_from_temporary_object() -> i64:
    return switch_and_read(make_task(3).regs) + switch_and_read(Task(4).regs)
