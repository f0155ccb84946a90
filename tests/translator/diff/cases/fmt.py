"""f-strings passed to kprint: integer format specs, signs, bools and str pieces, for the differential tests."""
from typing import Final

from asterpy.lang import i8, i16, i32, i64, u8, u16, u32, u64, kprint

NAME: Final = "dev"


def fmt_i64(x: i64) -> None:
    kprint(f"{x}|{x:#x}|{x:08x}|{x:b}|{x:X}|{x:#X}|{x:o}|{x:#o}|{x:#b}|{x:d}|{x:5}|{x:05}|{x:#010x}|{x:3x}|{x:020b}")


def fmt_u64(x: u64) -> None:
    kprint(f"{x}|{x:#x}|{x:08x}|{x:b}|{x:X}|{x:#018x}|{x:o}|{x:25}|{x:025d}")


def fmt_small(a: u8, b: i8, c: u16, d: i16, e: u32, f: i32) -> None:
    kprint(f"a={a} {a:#04x} b={b} {b:x} {b:#06b} c={c:#x} d={d:06d} e={e:08X} f={f} {f:#x}")


def fmt_bool(t: bool, u: bool) -> None:
    kprint(f"{t} and {u}: {t and u}, or {t or u}; not {not t}")


def fmt_bool_spec(t: bool) -> None:
    kprint(f"[{t:d}] [{t:5}] [{t:#x}] [{t:03}]")


def fmt_mixed(x: i32, s: bool) -> None:
    label = "pos" if x >= 0 else "neg"
    kprint(f"{NAME}: {label} {x} ({x + 1}) {{braces}} {s}")
    kprint("plain text, no fields")
    kprint(f"")


def noisy(x: i64) -> i64:
    kprint(f"computing {x}")
    return x * 2


def field_calls_print(x: i64, c: bool) -> None:
    kprint(f"a {noisy(x)} b {noisy(x + 1):#x} {'yes' if c else 'no'} {c}")
