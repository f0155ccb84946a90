"""Module constants (Final, folded expressions) and initialised globals of every kind, for the differential tests."""
from typing import Final
from asterpy.lang import i8, i64, u8, u32, u64

PAGE: Final = 1 << 12
TWO_PAGES: Final[u64] = PAGE * 2
NEG: Final[i8] = -128
MASK32: Final[u32] = 0xFFFF_FFFF
ON: Final = False

g_neg: i64 = -5
g_mask: u32 = 0xFFFF_FFFF
g_flag: bool = True
g_small: i8 = -1


def consts() -> u64:
    r = TWO_PAGES + u64(PAGE) + u64(NEG) + u64(MASK32)
    if not ON:
        r += 1
    return r


def globals_init() -> i64:
    r = g_neg * 1000 + i64(g_mask) + i64(g_small)
    if g_flag:
        r += 7
    if True:
        r += 100
    return r


def conv_bool(b: bool) -> i64:
    return i64(u8(b)) * 10 + i64(b) + i64(i8(b))


def defaults_obj(n: i64 = PAGE, m: u32 = MASK32) -> u64:
    return u64(n) + u64(m)


def call_defaults_obj() -> u64:
    return defaults_obj() + defaults_obj(1)
