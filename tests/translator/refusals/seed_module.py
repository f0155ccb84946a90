"""Seed of the translator fuzz test: a small valid Kernel Python module touching most of the subset."""
from typing import Dict, Final, List, Optional

from asterpy.lang import Array, Ptr, SpinLock, SysError, kprint, panic, struct, u8, u16, u32, u64, i32, i64
from asterpy.lang.errno import EINVAL, ENOENT

LIMIT: Final = 16
MASK: Final = u64(0xFF)
counter: u64 = u64(0)
lock: SpinLock = SpinLock()


@struct
class Point:
    x: i32
    y: i32
    tag: Array[u8, 4]


@struct(packed=True)
class Header:
    magic: u32
    size: u16
    origin: Point


class Node:
    value: u64
    next: Optional["Node"]

    def __init__(self, value: u64) -> None:
        self.value = value
        self.next = None

    def total(self) -> u64:
        return self.value


class Leaf(Node):
    def total(self) -> u64:
        return self.value + 1


def add(a: u32, b: u32) -> u32:
    """Add two u32 values, wrapping."""
    return a + b


def clamp(v: i64, lo: i64, hi: i64) -> i64:
    if v < lo:
        return lo
    elif v > hi:
        return hi
    return v


def find(xs: Ptr[u64], n: u64, want: u64) -> u64:
    for i in range(n):
        if xs[i] == want:
            return i
    raise SysError(ENOENT)


def safe_find(xs: Ptr[u64], n: u64, want: u64) -> i64:
    try:
        return i64(find(xs, n, want))
    except SysError as e:
        return -1


def bump(n: u64) -> u64:
    global counter
    with lock:
        counter = counter + n
    return counter


def make_point(x: i32, y: i32) -> Point:
    p = Point(x, y)
    p.tag[0] = 7
    return p


def shift_sum(p: Ptr[u64], n: u64) -> u64:
    total = u64(0)
    k = u64(0)
    while k < n:
        total = total + (p[k] << 1) // 3 % 7
        k = k + 1
    if total == 0:
        panic(f"empty {n:#x}")
    kprint(f"total={total} n={n:08x}")
    return total & MASK


def chain(n: u64) -> u64:
    head = Node(n)
    head.next = Leaf(n + 1)
    nxt = head.next
    if nxt is not None:
        return head.total() + nxt.total()
    return head.total()


def index_of(xs: List[u64], want: u64) -> i64:
    i = i64(0)
    for x in xs:
        if x == want:
            return i
        i += 1
    return -1


def histogram(data: bytes) -> Dict[u8, u64]:
    counts: Dict[u8, u64] = {}
    for b in data:
        counts[b] = counts.get(b, u64(0)) + 1
    return counts
