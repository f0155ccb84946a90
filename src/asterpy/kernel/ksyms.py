"""The kernel's symbol table and frame printer: name each backtrace frame from the table the build embeds.

The table (`asterpy_ksyms`, section .asterpy.ksyms) is made by translator/build.py from the
linked kernel's symbols and DWARF (docs/boot-x86_64.md, "Traps, panics and backtraces"):

    header    magic "KSYMTAB1", base (= __text_start), counts, byte offsets of the parts
    lines     LineEntry sorted by address: the DWARF line table (line 0 = no line info)
    scopes    ScopeEntry sorted by start: functions (depth 0, from the ELF symbols) and code
              inlined into them (depth n, with the call site's file and line)
    files     FileEntry: source paths relative to the repository
    strings   the bytes of names and paths

A frame prints as `  #N 0xffffffff8010xxxx in asterpy.kernel.main.kernel_main at
src/asterpy/kernel/main.py:123`, plus one line per level of inlining at the same address.
"""

from typing import Final, Tuple

from asterpy.lang import Ptr, i64, kprint, struct, u8, u16, u32, u64

from asterpy.kernel.log import console_putc, log_bytes

KSYMS_MAGIC: Final = u64(0x314241544D59534B)   # "KSYMTAB1" little-endian
MAX_FRAMES: Final = u64(32)
MAX_INLINE_DEPTH: Final = u64(16)

# Fixed pieces of a frame line as packed little-endian ASCII (the kernel has no way to write a
# str literal without a newline): "  #", " in ", " at ", ":", "??".
TXT_FRAME: Final = u64(0x232020)
TXT_IN: Final = u64(0x206E6920)
TXT_AT: Final = u64(0x20746120)
TXT_COLON: Final = u64(0x3A)
TXT_UNKNOWN: Final = u64(0x3F3F)


@struct
class KsymsHeader:
    """The table's header; offsets are bytes from the table's start."""

    magic: u64
    base: u64
    n_lines: u32
    n_scopes: u32
    n_files: u32
    size: u32
    lines_off: u32
    scopes_off: u32
    files_off: u32
    strings_off: u32


@struct
class LineEntry:
    """From address base + off on, the code is at files[file]:line (line 0: unknown)."""

    off: u32
    file: u16
    line: u16


@struct
class ScopeEntry:
    """[base + lo, base + hi) belongs to the function `name` (depth 0) or is a call inlined `depth` deep."""

    lo: u32
    hi: u32
    name_off: u32
    name_len: u16
    depth: u16
    call_file: u16
    pad: u16
    call_line: u32


@struct
class FileEntry:
    """A source path in the string area."""

    name_off: u32
    name_len: u32


# ------------------------------------------------------------------ table lookups (pure)

def ksyms_header(table: u64) -> KsymsHeader:
    """The header of the table at address `table`."""
    return Ptr[KsymsHeader](table).load()


def ksyms_valid(table: u64) -> bool:
    """Whether a symbol table with the right magic is at `table`."""
    return table != 0 and Ptr[u64](table).load() == KSYMS_MAGIC


def line_index(table: u64, pc: u64) -> i64:
    """Index of the last line entry at or below pc (binary search), -1 if pc is below them all."""
    h = ksyms_header(table)
    if h.n_lines == 0 or pc < h.base:
        return i64(-1)
    rel = pc - h.base
    if rel > 0xFFFFFFFF:
        return i64(-1)
    lines = Ptr[LineEntry](table + u64(h.lines_off))
    lo = u64(0)
    hi = u64(h.n_lines)
    # Invariant: entries below lo start at or below rel, entries from hi on start above it.
    while lo < hi:
        mid = (lo + hi) // 2
        if u64(lines[mid].off) <= rel:
            lo = mid + 1
        else:
            hi = mid
    return i64(lo) - 1


def line_of(table: u64, pc: u64) -> Tuple[u64, u64]:
    """(file index, line) of the code at pc; line 0 when the table has no line for it."""
    i = line_index(table, pc)
    if i < 0:
        return u64(0), u64(0)
    h = ksyms_header(table)
    e = Ptr[LineEntry](table + u64(h.lines_off))[u64(i)]
    return u64(e.file), u64(e.line)


def scope_at(table: u64, pc: u64, depth: u64) -> i64:
    """Index of the scope of the given depth that contains pc, or -1."""
    h = ksyms_header(table)
    if pc < h.base or pc - h.base > 0xFFFFFFFF:
        return i64(-1)
    rel = u32(pc - h.base)
    scopes = Ptr[ScopeEntry](table + u64(h.scopes_off))
    for i in range(u64(0), u64(h.n_scopes)):
        s = scopes[i]
        if s.lo <= rel and rel < s.hi and u64(s.depth) == depth:
            return i64(i)
    return i64(-1)


def innermost_depth(table: u64, pc: u64) -> i64:
    """The deepest inlining level of any scope containing pc; -1 if no function contains it."""
    h = ksyms_header(table)
    if pc < h.base or pc - h.base > 0xFFFFFFFF:
        return i64(-1)
    rel = u32(pc - h.base)
    scopes = Ptr[ScopeEntry](table + u64(h.scopes_off))
    best = i64(-1)
    for i in range(u64(0), u64(h.n_scopes)):
        s = scopes[i]
        if s.lo <= rel and rel < s.hi and i64(s.depth) > best:
            best = i64(s.depth)
    return best


def scope_entry(table: u64, index: u64) -> ScopeEntry:
    """Scope number `index`."""
    h = ksyms_header(table)
    return Ptr[ScopeEntry](table + u64(h.scopes_off))[index]


def file_entry(table: u64, index: u64) -> FileEntry:
    """File number `index`."""
    h = ksyms_header(table)
    return Ptr[FileEntry](table + u64(h.files_off))[index]


def strings_base(table: u64) -> u64:
    """Address of the table's string area."""
    h = ksyms_header(table)
    return table + u64(h.strings_off)


# ------------------------------------------------------------------ output

def put_ascii(w: u64) -> None:
    """Write up to 8 ASCII bytes packed little-endian in w (stops at the first zero byte)."""
    while w != 0:
        console_putc(u8(w & 0xFF))
        w = w >> 8


def put_hex(v: u64) -> None:
    """Write v as 0x and 16 hex digits."""
    console_putc(u8(0x30))
    console_putc(u8(0x78))
    for i in range(0, 16):
        d = u8((v >> u64(60 - 4 * i)) & 0xF)
        console_putc(d + 0x30 if d < 10 else d + 0x57)


def put_dec(v: u64) -> None:
    """Write v in decimal."""
    div = u64(1)
    while v // div >= 10:
        div = div * 10
    while div != 0:
        console_putc(u8((v // div) % 10) + 0x30)
        div = div // 10


def put_file(table: u64, file: u64) -> None:
    """Write the path of file number `file`."""
    h = ksyms_header(table)
    if file >= u64(h.n_files):
        put_ascii(TXT_UNKNOWN)
        return
    fe = file_entry(table, file)
    log_bytes(strings_base(table) + u64(fe.name_off), u64(fe.name_len))


def put_frame_line(n: u64, pc: u64, table: u64, scope: i64, file: u64, line: u64) -> None:
    """One line: `  #n 0x... in name at file:line` (name and position left out when unknown)."""
    put_ascii(TXT_FRAME)
    put_dec(n)
    console_putc(u8(0x20))
    put_hex(pc)
    if scope >= 0:
        s = scope_entry(table, u64(scope))
        put_ascii(TXT_IN)
        log_bytes(strings_base(table) + u64(s.name_off), u64(s.name_len))
    if line != 0:
        put_ascii(TXT_AT)
        put_file(table, file)
        put_ascii(TXT_COLON)
        put_dec(line)
    console_putc(u8(0x0A))


def print_frame(table: u64, n: u64, pc: u64, lookup: u64) -> u64:
    """Print frame number n at pc, symbolized at `lookup` (pc - 1 for return addresses) from the
    table at `table`, one line per inlining level, innermost first; return the next frame number."""
    if not ksyms_valid(table):
        put_frame_line(n, pc, table, i64(-1), u64(0), u64(0))
        return n + 1
    file, line = line_of(table, lookup)
    depth = innermost_depth(table, lookup)
    if depth < 0:
        put_frame_line(n, pc, table, i64(-1), file, line)
        return n + 1
    d = u64(depth)
    if d > MAX_INLINE_DEPTH:
        d = MAX_INLINE_DEPTH
    while True:
        idx = scope_at(table, lookup, d)
        put_frame_line(n, pc, table, idx, file, line)
        n += 1
        if d == 0:
            break
        if idx >= 0:
            # The enclosing level is at this inlined call's site.
            s = scope_entry(table, u64(idx))
            file = u64(s.call_file)
            line = u64(s.call_line)
        else:
            line = u64(0)
        d -= 1
    return n


def print_fp_chain(table: u64, pc: u64, fp: u64, exact: bool, lo: u64, hi: u64) -> None:
    """Print `backtrace:` and the frames from pc up a frame-pointer chain whose fp points at the frame's
    top (the caller's sp), with the return address at fp - 8 and the caller's fp at fp - 16 — the
    riscv64 and loongarch64 layout. Only frames inside the stack [lo, hi) are read."""
    kprint("backtrace:")
    n = print_frame(table, u64(0), pc, pc if exact else pc - 1)
    count = u64(0)
    while count < MAX_FRAMES:
        # Only dereference a frame whose (saved fp, ra) pair lies in the kernel stack.
        if lo == 0 or fp < lo + 16 or fp > hi or (fp & 7) != 0:
            break
        ret = Ptr[u64](fp - 8).load()
        next_fp = Ptr[u64](fp - 16).load()
        if ret == 0:
            break
        n = print_frame(table, n, ret, ret - 1)
        if next_fp <= fp:
            break  # frames must go up the stack: anything else is a corrupt chain
        fp = next_fp
        count += 1
    if count == MAX_FRAMES:
        kprint("  ... (more frames not shown)")
