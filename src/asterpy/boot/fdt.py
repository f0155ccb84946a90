"""Flattened device tree (DTB) reader in Kernel Python: header, node and property walks, memory,
/chosen bootargs, the console UART.

The blob is read in place through raw pointers (physical memory through the direct map, or the
simulation under CPython).  Every offset is checked against the blob's own bounds
(`totalsize`, itself bounded by the caller's `max_size`) before it is read, and every loop
advances by at least one 4-byte token, so a corrupt blob raises SysError(EINVAL) instead of
looping or reading outside it.

There are no strings in the subset yet, so names are matched against tags: the name's bytes
packed little-endian into two u64 words (w0 = bytes 0..7, w1 = bytes 8..15) plus its length,
at most 16 bytes.  Spec: Devicetree Specification v0.4, chapter 5 (flattened format).
"""

from typing import Final

from asterpy.lang import Array, Ptr, SysError, struct, u8, u32, u64
from asterpy.lang.errno import EINVAL

FDT_MAGIC: Final = u32(0xD00DFEED)
FDT_BEGIN_NODE: Final = u32(1)
FDT_END_NODE: Final = u32(2)
FDT_PROP: Final = u32(3)
FDT_NOP: Final = u32(4)
FDT_END: Final = u32(9)

# Version 16 is the oldest layout with offsets we understand; 17 added size_dt_struct.
FDT_MIN_VERSION: Final = u32(16)
FDT_LAST_COMPAT_VERSION: Final = u32(17)
HEADER_SIZE: Final = u64(40)

# "No such node / property" in FdtNode.off and FdtProp.off.
NONE: Final = u64(0xFFFFFFFFFFFFFFFF)

# Depth of the per-level #address-cells stack; deeper nodes use the deepest entry's rule.
MAX_DEPTH: Final = u32(32)
# Defaults when a node does not say (spec 2.3.5).
DEFAULT_ADDRESS_CELLS: Final = u32(2)
DEFAULT_SIZE_CELLS: Final = u32(1)
MAX_TAG_LEN: Final = u64(16)

# Name tags: little-endian packed bytes (w0, w1) and the length (tests/unit/boot checks them).
TAG_ADDRESS_CELLS_0: Final = u64(0x7373657264646123)   # "#address-cells"
TAG_ADDRESS_CELLS_1: Final = u64(0x0000736C6C65632D)
TAG_ADDRESS_CELLS_N: Final = u64(14)
TAG_SIZE_CELLS_0: Final = u64(0x65632D657A697323)      # "#size-cells"
TAG_SIZE_CELLS_1: Final = u64(0x0000000000736C6C)
TAG_SIZE_CELLS_N: Final = u64(11)
TAG_REG_0: Final = u64(0x0000000000676572)             # "reg"
TAG_REG_N: Final = u64(3)
TAG_DEVICE_TYPE_0: Final = u64(0x745F656369766564)     # "device_type"
TAG_DEVICE_TYPE_1: Final = u64(0x0000000000657079)
TAG_DEVICE_TYPE_N: Final = u64(11)
TAG_MEMORY_0: Final = u64(0x000079726F6D656D)          # "memory"
TAG_MEMORY_N: Final = u64(6)
TAG_BOOTARGS_0: Final = u64(0x73677261746F6F62)        # "bootargs"
TAG_BOOTARGS_N: Final = u64(8)
TAG_STDOUT_PATH_0: Final = u64(0x702D74756F647473)     # "stdout-path"
TAG_STDOUT_PATH_1: Final = u64(0x0000000000687461)
TAG_STDOUT_PATH_N: Final = u64(11)
TAG_COMPATIBLE_0: Final = u64(0x62697461706D6F63)      # "compatible"
TAG_COMPATIBLE_1: Final = u64(0x000000000000656C)
TAG_COMPATIBLE_N: Final = u64(10)
TAG_NS16550A_0: Final = u64(0x613035353631736E)        # "ns16550a"
TAG_NS16550A_N: Final = u64(8)
TAG_NS16550_0: Final = u64(0x003035353631736E)         # "ns16550"
TAG_NS16550_N: Final = u64(7)
TAG_CHOSEN_0: Final = u64(0x00006E65736F6863)          # "chosen"
TAG_CHOSEN_N: Final = u64(6)
TAG_ALIASES_0: Final = u64(0x0073657361696C61)         # "aliases"
TAG_ALIASES_N: Final = u64(7)

CHAR_SLASH: Final = u8(0x2F)
CHAR_AT: Final = u8(0x40)
CHAR_COLON: Final = u8(0x3A)


@struct
class FdtHeader:
    """The DTB header as stored: ten big-endian u32 words (read with bswap32)."""

    magic: u32
    totalsize: u32
    off_dt_struct: u32
    off_dt_strings: u32
    off_mem_rsvmap: u32
    version: u32
    last_comp_version: u32
    boot_cpuid_phys: u32
    size_dt_strings: u32
    size_dt_struct: u32


@struct
class Fdt:
    """A checked blob: its address and the bounds of its blocks (offsets from base)."""

    base: u64
    size: u64
    struct_start: u64
    struct_end: u64
    strings_start: u64
    strings_end: u64
    rsvmap: u64
    version: u32
    boot_cpuid: u32
    addr_cells: u32     # the root's #address-cells / #size-cells: what /memory's reg uses
    size_cells: u32


@struct
class FdtNode:
    """A node: off = its FDT_BEGIN_NODE token (NONE past the last node), depth 0 = root."""

    off: u64
    name: u64           # address of its name (unit address included, no leading '/')
    name_len: u64
    props: u64          # offset of the first token after the name
    depth: u32


@struct
class FdtProp:
    """A property: off = its FDT_PROP token (NONE when there are no more)."""

    off: u64
    name: u64           # address of its NUL-terminated name in the strings block
    name_limit: u64     # bytes from name to the end of the strings block
    value: u64          # address of the value
    length: u64


@struct
class MemRange:
    """A physical range [base, base + length), or (0, 0) for "none"."""

    base: u64
    length: u64


@struct
class RegCells:
    """#address-cells / #size-cells that apply to a node's reg (its parent's)."""

    addr_cells: u32
    size_cells: u32


@struct
class MemoryScan:
    """Result of a /memory walk: how many ranges, and their total size."""

    count: u64
    total: u64


@struct
class CellStack:
    """Per-depth #address-cells and #size-cells while walking the tree."""

    addr: Array[u8, 32]
    size: Array[u8, 32]


def bswap32(x: u32) -> u32:
    """Byte-swap a u32 (the blob is big-endian, all our CPUs little-endian)."""
    return ((x & 0xFF) << 24) | ((x & 0xFF00) << 8) | ((x >> 8) & 0xFF00) | (x >> 24)


def be32_at(addr: u64) -> u32:
    """The big-endian u32 at addr (4-byte aligned)."""
    return bswap32(Ptr[u32](addr).load())


def align4(x: u64) -> u64:
    """x rounded up to a multiple of 4."""
    return (x + 3) & ~u64(3)


def fdt_open(base: u64, max_size: u64) -> Fdt:
    """Check the header of the blob at base (at most max_size bytes readable); EINVAL if bad."""
    # All reads are aligned u32 loads: the spec wants the blob 8-byte aligned.
    if (base & 3) != 0 or max_size < HEADER_SIZE:
        raise SysError(EINVAL)
    hdr = Ptr[FdtHeader](base).load()
    if bswap32(hdr.magic) != FDT_MAGIC:
        raise SysError(EINVAL)
    size = u64(bswap32(hdr.totalsize))
    version = bswap32(hdr.version)
    if size < HEADER_SIZE or size > max_size:
        raise SysError(EINVAL)
    if version < FDT_MIN_VERSION or bswap32(hdr.last_comp_version) > FDT_LAST_COMPAT_VERSION:
        raise SysError(EINVAL)
    f = Fdt()
    f.base = base
    f.size = size
    f.version = version
    f.boot_cpuid = bswap32(hdr.boot_cpuid_phys)
    f.struct_start = u64(bswap32(hdr.off_dt_struct))
    f.strings_start = u64(bswap32(hdr.off_dt_strings))
    f.rsvmap = u64(bswap32(hdr.off_mem_rsvmap))
    f.strings_end = f.strings_start + u64(bswap32(hdr.size_dt_strings))
    if version >= 17:
        f.struct_end = f.struct_start + u64(bswap32(hdr.size_dt_struct))
    else:
        f.struct_end = size
    # u32 + u32 cannot wrap a u64, so these compares are exact.
    if f.struct_start < HEADER_SIZE or (f.struct_start & 3) != 0 or f.struct_end > size:
        raise SysError(EINVAL)
    if f.struct_end < f.struct_start + 8 or f.strings_end > size or f.strings_start > size:
        raise SysError(EINVAL)
    if f.rsvmap < HEADER_SIZE or (f.rsvmap & 7) != 0 or f.rsvmap + 16 > size:
        raise SysError(EINVAL)
    f.addr_cells = DEFAULT_ADDRESS_CELLS
    f.size_cells = DEFAULT_SIZE_CELLS
    root = fdt_root(f)
    p = fdt_find_prop(f, root, TAG_ADDRESS_CELLS_0, TAG_ADDRESS_CELLS_1, TAG_ADDRESS_CELLS_N)
    if p.off != NONE:
        f.addr_cells = prop_u32(p)
    p = fdt_find_prop(f, root, TAG_SIZE_CELLS_0, TAG_SIZE_CELLS_1, TAG_SIZE_CELLS_N)
    if p.off != NONE:
        f.size_cells = prop_u32(p)
    return f


def token_at(f: Fdt, off: u64) -> u32:
    """The structure-block token at offset off; EINVAL if it lies outside the block."""
    if off < f.struct_start or off > f.struct_end - 4 or (off & 3) != 0:
        raise SysError(EINVAL)
    return be32_at(f.base + off)


def bounded_strlen(addr: u64, limit: u64) -> u64:
    """Length of the NUL-terminated string at addr; EINVAL if no NUL within limit bytes."""
    p = Ptr[u8](addr)
    n = u64(0)
    while n < limit:
        if p[n] == 0:
            return n
        n += 1
    raise SysError(EINVAL)


def node_at(f: Fdt, off: u64, depth: u32) -> FdtNode:
    """The node whose FDT_BEGIN_NODE token is at off."""
    n = FdtNode()
    n.off = off
    n.depth = depth
    n.name = f.base + off + 4
    n.name_len = bounded_strlen(n.name, f.struct_end - (off + 4))
    n.props = align4(off + 4 + n.name_len + 1)
    return n


def none_node() -> FdtNode:
    """The "no node" value (off == NONE)."""
    n = FdtNode()
    n.off = NONE
    return n


def none_prop() -> FdtProp:
    """The "no property" value (off == NONE)."""
    p = FdtProp()
    p.off = NONE
    return p


def fdt_root(f: Fdt) -> FdtNode:
    """The root node (the first FDT_BEGIN_NODE, after any NOPs)."""
    off = f.struct_start
    tok = token_at(f, off)
    while tok == FDT_NOP:
        off += 4
        tok = token_at(f, off)
    if tok != FDT_BEGIN_NODE:
        raise SysError(EINVAL)
    return node_at(f, off, u32(0))


def skip_prop(f: Fdt, off: u64) -> u64:
    """The offset after the FDT_PROP token at off (its header and padded value)."""
    if off + 12 > f.struct_end:
        raise SysError(EINVAL)
    length = u64(be32_at(f.base + off + 4))
    nxt = align4(off + 12 + length)
    if nxt > f.struct_end:
        raise SysError(EINVAL)
    return nxt


def fdt_next_node(f: Fdt, node: FdtNode) -> FdtNode:
    """The node after `node` in depth-first (document) order, or off == NONE after the last."""
    if node.off == NONE:
        return none_node()
    off = node.props
    depth = node.depth + 1      # the level of the next child of `node`
    while True:
        # Each branch moves off forward by at least 4 (or returns), and token_at bounds it.
        tok = token_at(f, off)
        if tok == FDT_PROP:
            off = skip_prop(f, off)
        elif tok == FDT_NOP:
            off += 4
        elif tok == FDT_BEGIN_NODE:
            return node_at(f, off, depth)
        elif tok == FDT_END_NODE:
            depth -= 1
            off += 4
            if depth == 0:
                # The root is closed: the structure block must end here.
                tok = token_at(f, off)
                while tok == FDT_NOP:
                    off += 4
                    tok = token_at(f, off)
                if tok != FDT_END:
                    raise SysError(EINVAL)
                return none_node()
        else:
            # FDT_END inside the root, or an unknown token.
            raise SysError(EINVAL)


def prop_at(f: Fdt, off: u64) -> FdtProp:
    """The property whose FDT_PROP token is at off."""
    skip_prop(f, off)               # bounds-checks the value before anyone reads it
    p = FdtProp()
    p.off = off
    p.length = u64(be32_at(f.base + off + 4))
    nameoff = u64(be32_at(f.base + off + 8))
    if f.strings_start + nameoff >= f.strings_end:
        raise SysError(EINVAL)
    p.name = f.base + f.strings_start + nameoff
    p.name_limit = f.strings_end - (f.strings_start + nameoff)
    p.value = f.base + off + 12
    return p


def scan_prop(f: Fdt, off: u64) -> FdtProp:
    """The first property at or after off (skipping NOPs) before the node's children or end."""
    while True:
        tok = token_at(f, off)
        if tok == FDT_NOP:
            off += 4
        elif tok == FDT_PROP:
            return prop_at(f, off)
        elif tok == FDT_BEGIN_NODE or tok == FDT_END_NODE:
            return none_prop()
        else:
            raise SysError(EINVAL)


def fdt_first_prop(f: Fdt, node: FdtNode) -> FdtProp:
    """The node's first property, or off == NONE."""
    if node.off == NONE:
        return none_prop()
    return scan_prop(f, node.props)


def fdt_next_prop(f: Fdt, prop: FdtProp) -> FdtProp:
    """The property after `prop` in the same node, or off == NONE."""
    if prop.off == NONE:
        return none_prop()
    return scan_prop(f, skip_prop(f, prop.off))


def tag_byte(w0: u64, w1: u64, i: u64) -> u8:
    """Byte i (0..15) of the name tag (w0, w1)."""
    if i < 8:
        return u8(w0 >> (i * 8))
    return u8(w1 >> ((i - 8) * 8))


def bytes_match_tag(addr: u64, avail: u64, w0: u64, w1: u64, n: u64) -> bool:
    """True if the n bytes at addr (avail readable) equal the tag's bytes."""
    if n > MAX_TAG_LEN or n > avail:
        return False
    p = Ptr[u8](addr)
    i = u64(0)
    while i < n:
        if p[i] != tag_byte(w0, w1, i):
            return False
        i += 1
    return True


def prop_name_is(p: FdtProp, w0: u64, w1: u64, n: u64) -> bool:
    """True if the property's name is exactly the tag."""
    if p.off == NONE or n >= p.name_limit:
        return False
    if not bytes_match_tag(p.name, p.name_limit, w0, w1, n):
        return False
    return Ptr[u8](p.name + n).load() == 0


def node_name_is(node: FdtNode, w0: u64, w1: u64, n: u64) -> bool:
    """True if the node's name, without its unit address ("@..."), is exactly the tag."""
    if node.off == NONE or n > node.name_len:
        return False
    if not bytes_match_tag(node.name, node.name_len, w0, w1, n):
        return False
    if n == node.name_len:
        return True
    return Ptr[u8](node.name + n).load() == CHAR_AT


def fdt_find_prop(f: Fdt, node: FdtNode, w0: u64, w1: u64, n: u64) -> FdtProp:
    """The node's property named by the tag, or off == NONE."""
    p = fdt_first_prop(f, node)
    while p.off != NONE:
        if prop_name_is(p, w0, w1, n):
            return p
        p = fdt_next_prop(f, p)
    return p


def prop_u32(p: FdtProp) -> u32:
    """A one-cell property's value (EINVAL if shorter than 4 bytes)."""
    if p.length < 4:
        raise SysError(EINVAL)
    return be32_at(p.value)


def read_cells(addr: u64, cells: u32) -> u64:
    """A 1- or 2-cell big-endian number at addr."""
    if cells == 1:
        return u64(be32_at(addr))
    if cells == 2:
        return (u64(be32_at(addr)) << 32) | u64(be32_at(addr + 4))
    raise SysError(EINVAL)


def prop_has_string(p: FdtProp, w0: u64, w1: u64, n: u64) -> bool:
    """True if the string-list property (e.g. compatible) contains the tag as one entry."""
    if p.off == NONE:
        return False
    v = Ptr[u8](p.value)
    start = u64(0)
    i = u64(0)
    # Entries are NUL-terminated; bytes after the last NUL (a malformed value) are not an entry.
    while i < p.length:
        if v[i] == 0:
            if i - start == n and bytes_match_tag(p.value + start, n, w0, w1, n):
                return True
            start = i + 1
        i += 1
    return False


def fdt_child(f: Fdt, parent: FdtNode, w0: u64, w1: u64, n: u64) -> FdtNode:
    """The first child of parent whose name (without unit address) is the tag, or NONE."""
    node = fdt_next_node(f, parent)
    while node.off != NONE and node.depth > parent.depth:
        if node.depth == parent.depth + 1 and node_name_is(node, w0, w1, n):
            return node
        node = fdt_next_node(f, node)
    return none_node()


def fdt_reg_cells(f: Fdt, target: FdtNode) -> RegCells:
    """The #address-cells/#size-cells that apply to target's reg (its parent's values)."""
    cells = CellStack()
    r = RegCells()
    r.addr_cells = DEFAULT_ADDRESS_CELLS
    r.size_cells = DEFAULT_SIZE_CELLS
    if target.off == NONE or target.depth == 0:
        return r
    node = fdt_root(f)
    while node.off != NONE:
        d = node.depth
        if d >= MAX_DEPTH:
            raise SysError(EINVAL)
        if node.off == target.off:
            r.addr_cells = u32(cells.addr[d - 1])
            r.size_cells = u32(cells.size[d - 1])
            return r
        # What this node says its children use (defaults if it says nothing).
        cells.addr[d] = u8(DEFAULT_ADDRESS_CELLS)
        cells.size[d] = u8(DEFAULT_SIZE_CELLS)
        p = fdt_find_prop(f, node, TAG_ADDRESS_CELLS_0, TAG_ADDRESS_CELLS_1, TAG_ADDRESS_CELLS_N)
        if p.off != NONE:
            cells.addr[d] = u8(prop_u32(p))
        p = fdt_find_prop(f, node, TAG_SIZE_CELLS_0, TAG_SIZE_CELLS_1, TAG_SIZE_CELLS_N)
        if p.off != NONE:
            cells.size[d] = u8(prop_u32(p))
        node = fdt_next_node(f, node)
    return r


def fdt_reg(f: Fdt, node: FdtNode, index: u64) -> MemRange:
    """Entry `index` of the node's reg property as (address, size); (0, 0) if absent."""
    r = MemRange()
    p = fdt_find_prop(f, node, TAG_REG_0, u64(0), TAG_REG_N)
    if p.off == NONE:
        return r
    cells = fdt_reg_cells(f, node)
    if cells.addr_cells < 1 or cells.addr_cells > 2 or cells.size_cells > 2:
        raise SysError(EINVAL)
    entry = u64(cells.addr_cells + cells.size_cells) * 4
    if (index + 1) * entry > p.length or index >= p.length:
        return r
    at = p.value + index * entry
    r.base = read_cells(at, cells.addr_cells)
    if cells.size_cells != 0:
        r.length = read_cells(at + u64(cells.addr_cells) * 4, cells.size_cells)
    return r


def is_memory_node(f: Fdt, node: FdtNode) -> bool:
    """True for a top-level node named memory[@...] or with device_type = "memory"."""
    if node.depth != 1:
        return False
    if node_name_is(node, TAG_MEMORY_0, u64(0), TAG_MEMORY_N):
        return True
    p = fdt_find_prop(f, node, TAG_DEVICE_TYPE_0, TAG_DEVICE_TYPE_1, TAG_DEVICE_TYPE_N)
    return prop_has_string(p, TAG_MEMORY_0, u64(0), TAG_MEMORY_N)


def fdt_memory_scan(f: Fdt, out: Ptr[MemRange], max_out: u64) -> MemoryScan:
    """Every non-empty reg range of the /memory nodes; the first max_out are stored at out."""
    scan = MemoryScan()
    # /memory's reg is in the root's cells, and only 1- or 2-cell numbers fit a u64.
    if f.addr_cells < 1 or f.addr_cells > 2 or f.size_cells < 1 or f.size_cells > 2:
        raise SysError(EINVAL)
    entry = u64(f.addr_cells + f.size_cells) * 4
    node = fdt_root(f)
    while node.off != NONE:
        if is_memory_node(f, node):
            p = fdt_find_prop(f, node, TAG_REG_0, u64(0), TAG_REG_N)
            at = u64(0)
            while p.off != NONE and at + entry <= p.length:
                r = MemRange()
                r.base = read_cells(p.value + at, f.addr_cells)
                r.length = read_cells(p.value + at + u64(f.addr_cells) * 4, f.size_cells)
                if r.length != 0:
                    if scan.count < max_out:
                        out[scan.count] = r
                    scan.count += 1
                    scan.total += r.length
                at += entry
        node = fdt_next_node(f, node)
    return scan


def fdt_memory_total(f: Fdt) -> u64:
    """Total bytes of RAM the /memory nodes describe."""
    return fdt_memory_scan(f, Ptr[MemRange](u64(0)), u64(0)).total


def fdt_reserved(f: Fdt, index: u64) -> MemRange:
    """Entry `index` of the memory reservation block, or (0, 0) past its (0, 0) terminator."""
    r = MemRange()
    i = u64(0)
    at = f.rsvmap
    while at + 16 <= f.size:
        base = read_cells(f.base + at, u32(2))
        length = read_cells(f.base + at + 8, u32(2))
        if base == 0 and length == 0:
            return r
        if i == index:
            r.base = base
            r.length = length
            return r
        i += 1
        at += 16
    raise SysError(EINVAL)


def fdt_chosen(f: Fdt) -> FdtNode:
    """The /chosen node, or off == NONE."""
    return fdt_child(f, fdt_root(f), TAG_CHOSEN_0, u64(0), TAG_CHOSEN_N)


def fdt_bootargs(f: Fdt) -> MemRange:
    """/chosen bootargs: address and length in bytes (no NUL); (0, 0) if absent."""
    r = MemRange()
    p = fdt_find_prop(f, fdt_chosen(f), TAG_BOOTARGS_0, u64(0), TAG_BOOTARGS_N)
    if p.off == NONE or p.length == 0:
        return r
    r.base = p.value
    r.length = bounded_strlen(p.value, p.length)
    return r


def component_matches(node: FdtNode, addr: u64, n: u64) -> bool:
    """True if the path component (n bytes at addr) names node: in full, or without '@...'."""
    if n > node.name_len:
        return False
    a = Ptr[u8](addr)
    b = Ptr[u8](node.name)
    has_at = False
    i = u64(0)
    while i < n:
        if a[i] != b[i]:
            return False
        if a[i] == CHAR_AT:
            has_at = True
        i += 1
    if n == node.name_len:
        return True
    # "serial" names "serial@10000000" when the component gives no unit address.
    return not has_at and b[n] == CHAR_AT


def fdt_find_path(f: Fdt, path: u64, length: u64) -> FdtNode:
    """The node at an absolute path ("/soc/serial@10000000", n bytes at path), or NONE."""
    s = Ptr[u8](path)
    if length == 0 or s[0] != CHAR_SLASH:
        return none_node()
    node = fdt_root(f)
    i = u64(1)
    while i < length:
        j = i
        while j < length and s[j] != CHAR_SLASH:
            j += 1
        if j > i:
            child = fdt_next_node(f, node)
            found = none_node()
            while child.off != NONE and child.depth > node.depth:
                if child.depth == node.depth + 1 and component_matches(child, path + i, j - i):
                    found = child.copy()
                    break
                child = fdt_next_node(f, child)
            if found.off == NONE:
                return found
            node = found.copy()
        i = j + 1
    return node


def fdt_alias(f: Fdt, name: u64, n: u64) -> MemRange:
    """The /aliases property named by the n bytes at name: its path string; (0, 0) if none."""
    r = MemRange()
    aliases = fdt_child(f, fdt_root(f), TAG_ALIASES_0, u64(0), TAG_ALIASES_N)
    p = fdt_first_prop(f, aliases)
    while p.off != NONE:
        if n < p.name_limit and Ptr[u8](p.name + n).load() == 0:
            a = Ptr[u8](p.name)
            b = Ptr[u8](name)
            i = u64(0)
            while i < n and a[i] == b[i]:
                i += 1
            if i == n and p.length != 0:
                r.base = p.value
                r.length = bounded_strlen(p.value, p.length)
                return r
        p = fdt_next_prop(f, p)
    return r


def fdt_stdout_node(f: Fdt) -> FdtNode:
    """The node /chosen stdout-path names (a path or an alias, ":options" ignored), or NONE."""
    p = fdt_find_prop(f, fdt_chosen(f), TAG_STDOUT_PATH_0, TAG_STDOUT_PATH_1, TAG_STDOUT_PATH_N)
    if p.off == NONE or p.length == 0:
        return none_node()
    n = bounded_strlen(p.value, p.length)
    s = Ptr[u8](p.value)
    k = u64(0)
    while k < n and s[k] != CHAR_COLON:
        k += 1
    if k == 0:
        return none_node()
    if s[0] == CHAR_SLASH:
        return fdt_find_path(f, p.value, k)
    target = fdt_alias(f, p.value, k)
    if target.length == 0:
        return none_node()
    return fdt_find_path(f, target.base, target.length)


def fdt_find_compatible(f: Fdt, w0: u64, w1: u64, n: u64) -> FdtNode:
    """The first node (document order) whose compatible list has the tag, or NONE."""
    node = fdt_root(f)
    while node.off != NONE:
        p = fdt_find_prop(f, node, TAG_COMPATIBLE_0, TAG_COMPATIBLE_1, TAG_COMPATIBLE_N)
        if prop_has_string(p, w0, w1, n):
            return node
        node = fdt_next_node(f, node)
    return node


def fdt_console_uart(f: Fdt) -> u64:
    """Physical base of the console UART: stdout-path's reg, else the first ns16550a; 0 if none."""
    # The reg address is taken as physical: true when every parent bus maps 1:1 (`ranges;`),
    # as on QEMU's virt boards; translating through `ranges` is left for the device layer.
    node = fdt_stdout_node(f)
    if node.off != NONE:
        r = fdt_reg(f, node, u64(0))
        if r.base != 0:
            return r.base
    node = fdt_find_compatible(f, TAG_NS16550A_0, u64(0), TAG_NS16550A_N)
    if node.off == NONE:
        node = fdt_find_compatible(f, TAG_NS16550_0, u64(0), TAG_NS16550_N)
    if node.off == NONE:
        return u64(0)
    return fdt_reg(f, node, u64(0)).base
