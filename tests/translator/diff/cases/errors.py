"""SysError raising, propagation, except/finally, bare re-raise, `with lock:`, and objects on the error path."""
from typing import Optional, Tuple

from asterpy.lang import Array, i8, i64, u32, u64, kprint, SpinLock, SysError
from asterpy.lang.errno import EINVAL, EIO, ENOENT, ENOMEM, EPERM


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


# ---- loops, with and finally around objects -------------------------------------------------------------
def fail_above2(x: i64) -> i64:
    if x > 2:
        raise SysError(ENOENT)
    return x


def loop_with_objects(n: i64) -> i64:
    acc: i64 = 0
    for i in range(n):
        o = Res(i)
        try:
            acc += fail_above2(i)
        except SysError:
            kprint("caught")
            break
    kprint("after loop")
    return acc


lk: SpinLock = SpinLock()


def with_return(x: i64) -> i64:
    with lk:
        if x > 0:
            return x
    return -1


def with_break(n: i64) -> i64:
    i: i64 = 0
    while True:
        with lk:
            i += 1
            if i >= n:
                break
            continue
    return i


def locked() -> bool:
    return lk.locked()


def finally_with_object(x: i64) -> i64:
    try:
        o = Res(7)
        return fail_above2(x)
    finally:
        kprint("finally")


class Dtor:
    id: i64

    def __init__(self, id: i64) -> None:
        self.id = id
        fail_above2(id)

    def __del__(self) -> None:
        kprint(f"dtor {self.id}")


def init_raises(x: i64) -> i64:
    try:
        d = Dtor(x)
        return d.id
    except SysError:
        kprint("init failed")
        return -1


# ---- finally that leaves by itself, nested handlers, None receivers --------------------------------------
def finally_swallow(x: i64) -> i64:
    try:
        return leaf(x)
    finally:
        kprint("fin")
        return 5


def finally_raises(x: i64) -> i64:
    try:
        return leaf(x)
    finally:
        if x == 13:
            raise SysError(EIO)


def break_in_finally(n: i64) -> i64:
    acc: i64 = 0
    for i in range(n):
        try:
            acc += leaf(i - 2)
        finally:
            if i == 0:
                break  # discards the error in flight
    return acc


def continue_in_finally(n: i64) -> i64:
    acc: i64 = 0
    for i in range(n):
        try:
            acc += leaf(i - 2)
        finally:
            if i < 2:
                continue  # discards the error in flight
    return acc


def nested_handlers(x: i64) -> i64:
    try:
        leaf(x)
        return 0
    except SysError as e:
        try:
            leaf(x + 100)
            kprint("inner ok")
        except SysError as f:
            kprint(f"inner {f.errno}")
        kprint(f"outer {e.errno}")
        try:
            leaf(-1)
        except SysError:
            pass
        raise


def call_nested(x: i64) -> i64:
    try:
        return nested_handlers(x)
    except SysError as e:
        return -e.errno


def reraise_errno(x: i64) -> i64:
    try:
        return leaf(x)
    except SysError as e:
        raise SysError(e.errno + 100)


lk2: SpinLock = SpinLock()


def with_in_try(x: i64) -> i64:
    try:
        with lk2:
            try:
                return leaf(x)
            finally:
                kprint(f"inner fin {lk2.locked()}")
    except SysError as e:
        kprint(f"caught {e.errno} locked={lk2.locked()}")
        return -1
    finally:
        kprint(f"outer fin {lk2.locked()}")


def except_then_finally_order(x: i64) -> i64:
    r: i64 = 0
    for i in range(3):
        try:
            try:
                r += leaf(x - i)
            except SysError as e:
                kprint(f"e {e.errno} at {i}")
                if i == 1:
                    continue
                r -= 1
            finally:
                kprint(f"f {i}")
        finally:
            kprint(f"ff {i}")
    return r


class LNode:
    id: i64
    nxt: Optional["LNode"]

    def __init__(self, id: i64) -> None:
        self.id = id
        self.nxt = None

    def length(self) -> i64:
        if self.nxt is None:
            return 1
        return 1 + self.nxt.length()


def none_receiver(flag: bool) -> i64:
    a: Optional[LNode] = None
    if flag:
        a = LNode(3)
    return a.id


def none_method(flag: bool) -> i64:
    a: Optional[LNode] = None
    if flag:
        a = LNode(3)
    return a.length()


def recursive_len(n: i64) -> i64:
    head = LNode(0)
    for i in range(n):
        x = LNode(i + 1)
        x.nxt = head
        head = x
    return head.length()


# ---- object results of functions that may raise --------------------------------------------------------

class RNode:
    id: i64

    def __init__(self, id: i64) -> None:
        self.id = id

    def __del__(self) -> None:
        kprint(f"drop {self.id}")


def ret_obj_finally_raises(x: i64) -> RNode:
    try:
        return RNode(1)
    finally:
        if x > 0:
            raise SysError(EIO)


def caller_finally_raises(x: i64) -> i64:
    try:
        n = ret_obj_finally_raises(x)
        kprint("got")
        return n.id
    except SysError as e:
        kprint(f"err {e.errno}")
        return -1


def ret_obj_twice(x: i64) -> RNode:
    try:
        return RNode(1)
    finally:
        if x > 0:
            return RNode(2)


def caller_finally_returns(x: i64) -> i64:
    n = ret_obj_twice(x)
    kprint("got")
    return n.id


def make_or_fail(x: i64) -> RNode:
    if x < 0:
        raise SysError(EIO)
    return RNode(x)


def use_factory(x: i64) -> i64:
    n = make_or_fail(x)
    kprint("made")
    m = make_or_fail(x + 1)
    n = m
    kprint("rebound")
    return n.id


# ---- results of every kind through the out pointer of raising functions -----------------------------------
def raising_pair(x: i64) -> Tuple[i64, bool]:
    if x == 13:
        raise SysError(EPERM)
    return x * 3, x > 0


def use_raising_pair(x: i64) -> i64:
    try:
        a, b = raising_pair(x)
        t = raising_pair(x + 1)
        return a + t[0] + (1000 if b else 0) + (10000 if t[1] else 0)
    except SysError as e:
        return -e.errno


def raising_i8(x: i64) -> i8:
    if x == 13:
        raise SysError(EPERM)
    return i8(x)


def raising_bool(x: i64) -> bool:
    if x == 13:
        raise SysError(EPERM)
    return x < 0


def raising_u64(x: i64) -> u64:
    if x == 13:
        raise SysError(EPERM)
    return u64(x)


class Checked:
    # No __del__: while a handler runs CPython's traceback keeps the failing frames' objects alive,
    # so drop lines would differ for that known reason; heap balance still catches a leak or a
    # double release.
    id: i64

    def __init__(self, x: i64) -> None:
        self.id = leaf(x)
        kprint(f"made {self.id}")

    def check(self, x: i64) -> i64:
        return leaf(x) + self.id


def raising_init_in_finally(x: i64) -> i64:
    total = i64(0)
    try:
        for k in range(i64(0), i64(3)):
            c = Checked(x + k)
            total += c.id
    finally:
        kprint(f"finally {total}")
    return total


def raising_init_in_finally_caught(x: i64) -> i64:
    try:
        return raising_init_in_finally(x)
    except SysError as e:
        return -i64(e.errno)


def temp_through_finally(x: i64) -> i64:
    try:
        try:
            return Checked(x + 1).check(x)
        finally:
            kprint("inner finally")
    except SysError as e:
        return -i64(e.errno)


class Big:
    """About 4 KiB per instance: a few thousand fill the test JIT's 8 MiB heap."""

    data: Array[u64, 500]
    nxt: Optional["Big"]

    def __init__(self, nxt: Optional["Big"]) -> None:
        self.nxt = nxt


def chain_big(n: i64) -> Optional[Big]:
    """n Big instances chained together (EINVAL for n < 0, which makes it a function that may
    raise: SysError(ENOMEM) from a full heap then goes to the caller too)."""
    if n < 0:
        raise SysError(EINVAL)
    head: Optional[Big] = None
    made: i64 = 0
    while made < n:
        head = Big(head)
        made += 1
    return head


def allocate_until(n: i64) -> i64:
    """How many of n chained Big instances could be made: n, or minus the count when a full
    heap raised SysError(ENOMEM) (natively; CPython's memory is not that small)."""
    head: Optional[Big] = None
    made: i64 = 0
    try:
        while made < n:
            head = Big(head)
            made += 1
    except SysError as e:
        if e.errno != ENOMEM:
            raise
        return -made
    return made


def chain_length(n: i64) -> i64:
    """The length of chain_big(n) (ENOMEM propagates through the call)."""
    head = chain_big(n)
    k: i64 = 0
    while head is not None:
        k += 1
        head = head.nxt
    return k
