"""Kernel-like benchmark routines in Kernel Python, exported under C names for the C harness."""
from typing import Final

from asterpy.lang import Ptr, i64, struct, u8, u16, u32, u64
from asterpy.lang.linkage import export

# Each routine has a twin in c_routines.c with the same algorithm, step for step: keep them in sync.

CRC_POLY: Final = u32(0xEDB88320)  # CRC-32/IEEE polynomial, bit-reversed
CRC_ALL_ONES: Final = u32(0xFFFFFFFF)  # initial value and final xor of CRC-32/IEEE
ALL_ONES: Final = u64(0xFFFFFFFFFFFFFFFF)
BYTE_SPLAT: Final = u64(0x0101010101010101)  # multiplying a byte by this repeats it 8 times
HASH_MUL: Final = u64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: multiplicative hashing


@struct
class Item:
    """An element of the struct-loop array: C layout, 24 bytes."""

    id: u32
    flags: u16
    kind: u8
    pad: u8
    size: u64
    next: u64


@export("kpy_memcpy")
def kpy_memcpy(dst: u64, src: u64, n: u64) -> None:
    """Copy n bytes (no overlap); when dst and src share their alignment the middle moves by 8-byte words."""
    d = Ptr[u8](dst)
    s = Ptr[u8](src)
    i = u64(0)
    if ((dst ^ src) & 7) == 0:
        while i < n and ((dst + i) & 7) != 0:
            d[i] = s[i]
            i += 1
        dw = Ptr[u64](dst + i)
        sw = Ptr[u64](src + i)
        words = (n - i) >> 3
        j = u64(0)
        while j < words:
            dw[j] = sw[j]
            j += 1
        i += words << 3
    while i < n:
        d[i] = s[i]
        i += 1


@export("kpy_memset")
def kpy_memset(dst: u64, c: u64, n: u64) -> None:
    """Fill n bytes with the low byte of c; the aligned middle is filled by 8-byte words."""
    d = Ptr[u8](dst)
    b = u8(c & 0xFF)
    i = u64(0)
    while i < n and ((dst + i) & 7) != 0:
        d[i] = b
        i += 1
    dw = Ptr[u64](dst + i)
    word = u64(b) * BYTE_SPLAT
    words = (n - i) >> 3
    j = u64(0)
    while j < words:
        dw[j] = word
        j += 1
    i += words << 3
    while i < n:
        d[i] = b
        i += 1


def crc32_byte_step(crc: u32) -> u32:
    """Eight shift-and-xor steps of the reflected CRC-32: what one table entry precomputes."""
    for _ in range(8):
        # mask is all ones when the low bit is set: a branch-free conditional xor
        mask = u32(0) - (crc & 1)
        crc = (crc >> 1) ^ (CRC_POLY & mask)
    return crc


@export("kpy_crc32")
def kpy_crc32(buf: u64, n: u64) -> u32:
    """CRC-32/IEEE of n bytes at buf, computed one bit at a time."""
    p = Ptr[u8](buf)
    crc = CRC_ALL_ONES
    for i in range(n):
        crc = crc32_byte_step(crc ^ u32(p[i]))
    return crc ^ CRC_ALL_ONES


@export("kpy_crc32_init")
def kpy_crc32_init(table: u64) -> None:
    """Fill the 256-entry u32 table at `table` for kpy_crc32_table."""
    t = Ptr[u32](table)
    b = u64(0)
    while b < 256:
        t[b] = crc32_byte_step(u32(b))
        b += 1


@export("kpy_crc32_table")
def kpy_crc32_table(table: u64, buf: u64, n: u64) -> u32:
    """CRC-32/IEEE of n bytes at buf, one byte at a time through the table filled by kpy_crc32_init."""
    t = Ptr[u32](table)
    p = Ptr[u8](buf)
    crc = CRC_ALL_ONES
    for i in range(n):
        crc = t[u64(crc ^ u32(p[i])) & 0xFF] ^ (crc >> 8)
    return crc ^ CRC_ALL_ONES


def lowest_set_bit(x: u64) -> u64:
    """Index of the lowest set bit of x (x != 0), found by halving the search window."""
    bit = u64(0)
    if (x & 0xFFFFFFFF) == 0:
        bit += 32
        x >>= 32
    if (x & 0xFFFF) == 0:
        bit += 16
        x >>= 16
    if (x & 0xFF) == 0:
        bit += 8
        x >>= 8
    if (x & 0xF) == 0:
        bit += 4
        x >>= 4
    if (x & 0x3) == 0:
        bit += 2
        x >>= 2
    if (x & 0x1) == 0:
        bit += 1
    return bit


@export("kpy_bitmap_first_zero")
def kpy_bitmap_first_zero(words: u64, nwords: u64) -> i64:
    """Index of the lowest zero bit in nwords u64 words (bit b of word w is 64*w+b), or -1 if none."""
    w = Ptr[u64](words)
    i = u64(0)
    while i < nwords:
        inv = w[i] ^ ALL_ONES
        if inv != 0:
            return i64(i * 64 + lowest_set_bit(inv))
        i += 1
    return i64(-1)


def hash_slot(key: u64, cap: u64) -> u64:
    """First probe slot of key in a table of cap slots (a power of two): multiplicative hash."""
    h = key * HASH_MUL
    # Fold the well-mixed high half into the low bits that the mask keeps.
    return (h ^ (h >> 32)) & (cap - 1)


@export("kpy_hash_insert")
def kpy_hash_insert(table: u64, cap: u64, key: u64, value: u64) -> u64:
    """Insert or update key (!= 0) in a linear-probing table of (key, value) u64 pairs; the slot used, or cap if full."""
    t = Ptr[u64](table)
    slot = hash_slot(key, cap)
    probes = u64(0)
    while probes < cap:
        k = t[2 * slot]
        if k == key or k == 0:
            t[2 * slot] = key
            t[2 * slot + 1] = value
            return slot
        slot = (slot + 1) & (cap - 1)
        probes += 1
    return cap


@export("kpy_hash_lookup")
def kpy_hash_lookup(table: u64, cap: u64, key: u64) -> u64:
    """The value stored for key (!= 0) in the table, or 0 if it is absent."""
    t = Ptr[u64](table)
    slot = hash_slot(key, cap)
    probes = u64(0)
    while probes < cap:
        k = t[2 * slot]
        if k == key:
            return t[2 * slot + 1]
        if k == 0:
            return u64(0)
        slot = (slot + 1) & (cap - 1)
        probes += 1
    return u64(0)


@export("kpy_struct_loop")
def kpy_struct_loop(arr: u64, n: u64) -> u64:
    """Over n Items: sum size + kind of those with flags bit 0, mark them with flags bit 1 and the running sum."""
    p = Ptr[Item](arr)
    total = u64(0)
    for i in range(n):
        item = p[i]  # a copy: modify it, then store it back
        if (item.flags & 1) != 0:
            total += item.size + u64(item.kind)
            item.flags = item.flags | 2
            item.next = total
            p[i] = item
    return total
