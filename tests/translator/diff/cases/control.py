"""Control flow, calls and module state, for the differential tests."""
from typing import Final

from asterpy.lang import i8, i32, i64, u8, u32, u64, kprint

LIMIT: Final = 10
MASK: Final[u32] = 0xFF00
BIG: Final[u64] = 0xFFFF_FFFF_FFFF_FFFF
GREETING: Final = "hello"
ENABLED: Final = True

counter: i64 = 0
total: u32 = 7
flag: bool = False


def trace(tag: i64, v: bool) -> bool:
    """A condition with a visible side effect, to observe short-circuit evaluation."""
    kprint(f"eval {tag}")
    return v


def and_chain(a: bool, b: bool, c: bool) -> bool:
    return trace(1, a) and trace(2, b) and trace(3, c)


def or_chain(a: bool, b: bool, c: bool) -> bool:
    return trace(1, a) or trace(2, b) or trace(3, c)


def mixed_logic(a: bool, b: bool, c: bool) -> bool:
    return (trace(1, a) or trace(2, b)) and not trace(3, c)


def if_short_circuit(a: bool, b: bool) -> i64:
    if trace(1, a) and trace(2, b):
        return 1
    elif trace(3, a) or trace(4, b):
        return 2
    return 3


def bool_ops(a: bool, b: bool) -> bool:
    x = a & b
    y = a | b
    z = a ^ b
    return (x or y) and not z or a == b


def classify(x: i32) -> i32:
    if x < -100:
        return -2
    elif x < 0:
        return -1
    elif x == 0:
        return 0
    elif x <= 100:
        return 1
    else:
        return 2


def chained_compare(a: i64, b: i64, c: i64) -> bool:
    return a < b <= c


def ternary(a: i64, b: i64) -> i64:
    return a if a > b else b


def collatz_steps(n: u64) -> u32:
    steps: u32 = 0
    while n != 1 and steps < 1000:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def range_sum(start: i64, stop: i64) -> i64:
    s: i64 = 0
    for i in range(start, stop):
        s += i
    return s


def range_stop(n: i32) -> i32:
    s: i32 = 0
    for i in range(n):
        s = s * 3 + i
    return s


def range_down(start: i64, stop: i64) -> i64:
    acc: i64 = 0
    for i in range(start, stop, -1):
        acc = acc * 7 + i
    return acc


def range_step3(start: i64, stop: i64) -> i64:
    acc: i64 = 0
    for i in range(start, stop, 3):
        acc = acc * 5 + i
    return acc


def range_down_step2(start: i64, stop: i64) -> i64:
    acc: i64 = 0
    for i in range(start, stop, -2):
        acc = acc * 5 + i
    return acc


def range_unsigned(start: u8, stop: u8) -> u32:
    acc: u32 = 0
    for i in range(start, stop):
        acc = acc * 3 + u32(i)
    return acc


def loop_var_after(n: i64) -> i64:
    i: i64 = -5
    for i in range(n):
        pass
    return i


def break_continue(n: i64) -> i64:
    acc: i64 = 0
    for i in range(n):
        if i % 3 == 0:
            continue
        if i > 50:
            break
        acc += i
    return acc


def while_break_continue(n: i64) -> i64:
    i: i64 = 0
    acc: i64 = 0
    while True:
        i += 1
        if i > n:
            break
        if i % 2 == 1:
            continue
        acc += i * i
    return acc


def nested_loops(n: i64, m: i64) -> i64:
    acc: i64 = 0
    for i in range(n):
        for j in range(m):
            if j > i:
                break
            if (i + j) % 4 == 1:
                continue
            acc = acc * 3 + i * 10 + j
            acc = acc % 1000003
    return acc


def nested_while(n: i64) -> i64:
    i: i64 = 0
    found: i64 = -1
    while i < n:
        j: i64 = 0
        while j < i:
            if i * j == 42:
                found = i * 100 + j
                break
            j += 1
        if found >= 0:
            break
        i += 1
    return found


def fib(n: i64) -> i64:
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def ackermann(m: i64, n: i64) -> i64:
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


def is_even(n: u32) -> bool:
    if n == 0:
        return True
    return is_odd(n - 1)


def is_odd(n: u32) -> bool:
    if n == 0:
        return False
    return is_even(n - 1)


def with_defaults(a: i64, b: i64 = 10, c: i64 = -3, d: u8 = 200) -> i64:
    return a * 1000 + b * 100 + c * 10 + i64(d)


def call_defaults(a: i64) -> i64:
    r = with_defaults(a)
    r = r * 3 + with_defaults(a, 1)
    r = r * 3 + with_defaults(a, c=5)
    r = r * 3 + with_defaults(a, d=7, b=2)
    r = r * 3 + with_defaults(c=1, a=a)
    r = r * 3 + with_defaults(a, 4, 5, 6)
    return r


def use_constants(x: u32) -> u32:
    if ENABLED and x > LIMIT:
        return (x & MASK) | u32(LIMIT)
    return x


def big_const() -> u64:
    return BIG


def bump(n: i64) -> i64:
    global counter
    counter += n
    return counter


def set_total(v: u32) -> None:
    global total
    total = v


def get_total() -> u32:
    return total


def toggle() -> bool:
    global flag
    flag = not flag
    return flag


def read_counter() -> i64:
    return counter


def greet(n: i64) -> None:
    for i in range(n):
        kprint(GREETING)


def range_u8_step(start: u8, stop: u8) -> u64:
    acc: u64 = 0
    for i in range(start, stop, 3):
        acc = acc * 1000 + u64(i)
    return acc


def range_i8_down(start: i8, stop: i8) -> i64:
    acc: i64 = 0
    for i in range(start, stop, -3):
        acc = acc * 1000 + i64(i)
    return acc


def range_u8_unit(start: u8, stop: u8) -> u32:
    n: u32 = 0
    for i in range(start, stop):
        n += 1
    return n


def range_i64_near_max(start: i64, step_big: bool) -> i64:
    n: i64 = 0
    if step_big:
        for i in range(start, 9223372036854775807, 4611686018427387904):
            n += 1
    else:
        for i in range(start, -9223372036854775808, -1000):
            n += 1
            if n > 100000:
                break
    return n


def rebind_loop_var(n: i64) -> i64:
    acc: i64 = 0
    for i in range(n):
        acc += i
        i += 100
        acc += i
    return acc


def range_u8_down(start: u8, stop: u8) -> u64:
    acc: u64 = 0
    for i in range(start, stop, -1):
        acc = acc * 7 + u64(i)
    return acc


def range_u8_down_big_step(start: u8, stop: u8) -> u64:
    acc: u64 = 0
    for i in range(start, stop, -200):
        acc = acc * 1000 + u64(i)
    return acc


def range_i8_big_step(start: i8, stop: i8) -> i64:
    acc: i64 = 0
    for i in range(start, stop, 200):
        acc = acc * 1000 + i64(i)
    return acc
