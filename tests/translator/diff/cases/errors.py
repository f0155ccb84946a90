"""SysError raising, propagation, except/finally, bare re-raise, `with lock:`, and objects on the error path."""
from typing import Optional

from asterpy.lang import i64, u32, kprint, SpinLock, SysError
from asterpy.lang.errno import EINVAL, ENOENT, EPERM


def leaf(x: i64) -> i64:
    if x < 0:
        raise SysError(ENOENT)
    if x == 13:
        raise SysError(EPERM)
    return x * 2


def middle(x: i64) -> i64:
    kprint(f"middle {x}")
    r = leaf(x)
    kprint(f"middle got {r}")
    return r + 1


def outer(x: i64) -> i64:
    return middle(x) + middle(x + 1)


def catch_errno(x: i64) -> i64:
    try:
        r = outer(x)
        kprint("no error")
        return r
    except SysError as e:
        kprint(f"caught {e.errno}")
        return -e.errno


def catch_unnamed(x: i64) -> i64:
    r: i64 = 0
    try:
        r = leaf(x)
    except SysError:
        r = -1
    return r


def finally_normal(x: i64) -> i64:
    r: i64 = 0
    try:
        r = leaf(x)
        kprint("try done")
    finally:
        kprint("finally")
    kprint("after")
    return r


def finally_return(x: i64) -> i64:
    try:
        if x > 5:
            return 100
        kprint("no early return")
    finally:
        kprint("finally runs")
    return x


def finally_in_loop(n: i64) -> i64:
    acc: i64 = 0
    for i in range(n):
        try:
            if i == 3:
                break
            if i % 2 == 0:
                continue
            acc += leaf(i)
        finally:
            kprint(f"finally {i}")
    return acc


def try_except_finally(x: i64) -> i64:
    r: i64 = 0
    try:
        kprint("try")
        r = leaf(x)
    except SysError as e:
        kprint(f"except {e.errno}")
        r = -1
    finally:
        kprint("finally")
    return r


def reraise(x: i64) -> i64:
    try:
        return leaf(x)
    except SysError as e:
        kprint(f"logging {e.errno}")
        raise


def reraise_named(x: i64) -> i64:
    try:
        return leaf(x)
    except SysError as e:
        if e.errno == EPERM:
            raise e
        return 0


def catch_reraise(x: i64) -> i64:
    try:
        return reraise(x) + reraise_named(x)
    except SysError as e:
        return -e.errno * 10


def raise_in_handler(x: i64) -> i64:
    try:
        leaf(x)
    except SysError:
        raise SysError(EINVAL)
    return 0


def nested_try(x: i64) -> i64:
    r: i64 = 0
    try:
        try:
            r = leaf(x)
        finally:
            kprint("inner finally")
        r += leaf(x - 20)
    except SysError as e:
        kprint(f"outer caught {e.errno}")
        r = -2
    return r


def raise_unsigned(code: u32) -> None:
    if code != 0:
        raise SysError(i64(code))


# ---- objects on the error path ----------------------------------------------------------------------------
class Res:
    id: i64

    def __init__(self, id: i64) -> None:
        self.id = id
        kprint(f"open {id}")

    def __del__(self) -> None:
        kprint(f"drop {self.id}")

    def check(self, x: i64) -> i64:
        return leaf(x) + self.id


def holds(x: i64) -> i64:
    a = Res(1)
    b = Res(2)
    r = b.check(x)
    kprint("holds done")
    return r


def holds_outer(x: i64) -> i64:
    c = Res(3)
    r = holds(x)
    return r + c.id


def temp_on_error(x: i64) -> i64:
    return Res(4).check(x) + Res(5).check(x)


def caught_with_objects(x: i64) -> i64:
    a = Res(10)
    try:
        r = holds_outer(x)
    except SysError as e:
        r = -e.errno
    return r


def failing_init_arg(x: i64) -> i64:
    r = Res(leaf(x))
    return r.id


# ---- locks ------------------------------------------------------------------------------------------------
class Guarded:
    lock: SpinLock
    value: i64

    def __init__(self) -> None:
        self.lock = SpinLock()
        self.value = 0

    def update(self, x: i64) -> i64:
        with self.lock:
            self.value += leaf(x)
            return self.value


def lock_released_on_error(x: i64) -> i64:
    g = Guarded()
    r: i64 = 0
    try:
        r = g.update(x)
    except SysError as e:
        r = -e.errno
    if g.lock.locked():
        return -1000
    g.lock.acquire()  # would spin forever natively (and raise Deadlock under CPython) if still held
    g.lock.release()
    return r


glock: SpinLock = SpinLock()


def global_lock(x: i64) -> bool:
    try:
        with glock:
            leaf(x)
    except SysError:
        pass
    return glock.locked()


def handler_prints(x: i64) -> i64:
    try:
        r = holds(x)
    except SysError as e:
        kprint(f"handler {e.errno}")
        r = -e.errno
    kprint("after handler")
    return r


# ---- overrides whose may-raise status differs from the base method's --------------------------------------
class Dev:
    def read(self, x: i64) -> i64:
        return x

    def close(self) -> None:
        kprint("dev close")


class FailingDev(Dev):
    def read(self, x: i64) -> i64:
        return leaf(x)

    def close(self) -> None:
        kprint("failing close")
        raise SysError(EINVAL)


def open_dev(kind: i64) -> Dev:
    if kind == 0:
        return Dev()
    return FailingDev()


def read_through_base(kind: i64, x: i64) -> i64:
    d = open_dev(kind)
    try:
        r = d.read(x)
        d.close()
        return r
    except SysError as e:
        return -e.errno


def read_uncaught(kind: i64, x: i64) -> i64:
    d = open_dev(kind)
    return d.read(x) + 1


def base_direct(x: i64) -> i64:
    d = Dev()
    return d.read(x)
