"""@struct methods, atomics and spin locks held in fields and globals, for the differential tests."""
from asterpy.lang import Array, AtomicBool, AtomicI32, AtomicU32, AtomicU64, SpinLock, i32, i64, u8, u32, u64, struct


@struct
class Vec:
    x: i32
    y: i32

    def dot(self, o: "Vec") -> i64:
        return i64(self.x) * i64(o.x) + i64(self.y) * i64(o.y)

    def move(self, dx: i32, dy: i32 = 1) -> None:
        self.x += dx
        self.y += dy

    def scaled(self, k: i32) -> "Vec":
        return Vec(self.x * k, self.y * k)


@struct
class Seg:
    a: Vec
    b: Vec
    tags: Array[u8, 3]


class Body:
    pos: Vec
    hits: AtomicU32
    big: AtomicU64
    signed: AtomicI32
    on: AtomicBool
    lock: SpinLock

    def __init__(self, x: i32) -> None:
        self.pos = Vec(x, -x)
        self.hits = AtomicU32(0)
        self.big = AtomicU64(0)
        self.signed = AtomicI32(-5)
        self.on = AtomicBool(False)
        self.lock = SpinLock()


gcount: AtomicU64 = AtomicU64(10)


def vec_methods(x: i32, y: i32) -> i64:
    v = Vec(x, y)
    w = v.scaled(3)
    v.move(1)
    v.move(dy=5, dx=2)
    s = Seg(v, w)
    s.a.move(10, 10)
    s.b.move(-1)
    return v.dot(w) * 7 + s.a.dot(s.b) + i64(s.tags[0])


def field_struct_method(x: i32) -> i64:
    b = Body(x)
    b.pos.move(4, 4)
    return b.pos.dot(b.pos.scaled(2))


def atomics(n: u32) -> u64:
    b = Body(1)
    for i in range(n):
        b.hits.fetch_add(u32(3))
        b.big.fetch_add(u64(0xFFFF_FFFF))
        b.signed.fetch_sub(i32(2))
    old = b.hits.swap(u32(7))
    ok = b.hits.compare_exchange(u32(7), u32(9))
    bad = b.hits.compare_exchange(u32(1), u32(2))
    b.on.store(True)
    flag = b.on.load()
    b.hits.fetch_and(u32(0xFE))
    b.hits.fetch_or(u32(0x100))
    r = u64(old) * 1000 + u64(b.hits.load()) + b.big.load() + u64(b.signed.load())
    if ok and not bad and flag:
        r += 1
    return r


def global_atomic(k: u64) -> u64:
    gcount.fetch_add(k)
    return gcount.load()


def lock_methods() -> i32:
    b = Body(0)
    r: i32 = 0
    if not b.lock.locked():
        r += 1
    b.lock.acquire()
    if b.lock.locked():
        r += 10
    b.lock.release()
    with b.lock:
        if b.lock.locked():
            r += 100
    if not b.lock.locked():
        r += 1000
    return r
