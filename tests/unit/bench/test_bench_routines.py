"""The Kernel Python benchmark routines under CPython, against Python reference implementations."""
import struct as pystruct
import zlib
from types import ModuleType

from hypothesis import given, settings, strategies as st

from asterpy.lang import Ptr, i64, memory, u32, u64

U64_MAX = (1 << 64) - 1
FAST = settings(max_examples=40, deadline=None)


def fresh_sim() -> memory.SimMemory:
    """A fresh simulated memory for one hypothesis example."""
    return memory.reset_sim()


def put(sim: memory.SimMemory, data: bytes, align: int = 8) -> int:
    """Copy data into a fresh aligned region of simulated memory; return its address."""
    addr = sim.alloc(max(len(data), 1), align)
    sim.write(addr, data)
    return addr


def crc32_table_reference() -> list[int]:
    """The CRC-32/IEEE byte table, computed bit by bit in plain Python."""
    table = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    return table


@FAST
@given(data=st.binary(max_size=200), src_off=st.integers(0, 15), dst_off=st.integers(0, 15))
def test_memcpy_matches_bytes_copy(routines: ModuleType, data: bytes,
                                   src_off: int, dst_off: int) -> None:
    """kpy_memcpy copies exactly n bytes for every alignment pair, leaving the guard bytes alone."""
    sim = fresh_sim()
    src = put(sim, bytes(src_off) + data)
    guard = bytes([0xA5]) * (len(data) + 32)
    dst = put(sim, guard)
    routines.kpy_memcpy(u64(dst + dst_off), u64(src + src_off), u64(len(data)))
    expected = guard[:dst_off] + data + guard[dst_off + len(data):]
    assert sim.read(dst, len(guard)) == expected


@FAST
@given(n=st.integers(0, 150), off=st.integers(0, 15), c=st.integers(0, U64_MAX))
def test_memset_matches_bytes_fill(routines: ModuleType, n: int, off: int, c: int) -> None:
    """kpy_memset writes n copies of the low byte of c and nothing else."""
    sim = fresh_sim()
    guard = bytes([0x11]) * (n + 32)
    dst = put(sim, guard)
    routines.kpy_memset(u64(dst + off), u64(c), u64(n))
    assert sim.read(dst, len(guard)) == guard[:off] + bytes([c & 0xFF]) * n + guard[off + n:]


def test_crc32_check_value(routines: ModuleType, sim: memory.SimMemory) -> None:
    """CRC-32/IEEE of "123456789" is the catalogue check value 0xCBF43926, and of nothing is 0."""
    buf = put(sim, b"123456789")
    assert routines.kpy_crc32(u64(buf), u64(9)) == 0xCBF43926
    assert routines.kpy_crc32(u64(buf), u64(0)) == 0
    assert type(routines.kpy_crc32(u64(buf), u64(9))) is u32


def test_crc32_init_builds_the_reference_table(routines: ModuleType, sim: memory.SimMemory) -> None:
    """kpy_crc32_init fills 256 u32 entries equal to the textbook table."""
    table = sim.alloc(1024, 8)
    routines.kpy_crc32_init(u64(table))
    t = Ptr[u32](table)
    assert [int(t[i]) for i in range(256)] == crc32_table_reference()


@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=100), off=st.integers(0, 7))
def test_crc32_matches_zlib(routines: ModuleType, data: bytes, off: int) -> None:
    """Both CRC-32 versions (bitwise and table-driven) agree with zlib.crc32 at any alignment."""
    sim = fresh_sim()
    buf = put(sim, bytes(off) + data) + off
    table = sim.alloc(1024, 8)
    routines.kpy_crc32_init(u64(table))
    want = zlib.crc32(data)
    assert routines.kpy_crc32(u64(buf), u64(len(data))) == want
    assert routines.kpy_crc32_table(u64(table), u64(buf), u64(len(data))) == want


def first_zero_reference(words: list[int]) -> int:
    """Lowest zero bit index by brute force over every bit, or -1."""
    for i in range(64 * len(words)):
        if not (words[i // 64] >> (i % 64)) & 1:
            return i
    return -1


words_strategy = st.lists(st.one_of(st.just(U64_MAX), st.integers(0, U64_MAX),
                                    st.integers(0, 63).map(lambda b: U64_MAX ^ (1 << b))), max_size=12)


@settings(max_examples=60, deadline=None)
@given(words=words_strategy)
def test_bitmap_first_zero_matches_brute_force(routines: ModuleType, words: list[int]) -> None:
    """kpy_bitmap_first_zero returns the lowest zero bit (as i64), or -1 when every bit is set."""
    sim = fresh_sim()
    addr = put(sim, b"".join(w.to_bytes(8, "little") for w in words))
    got = routines.kpy_bitmap_first_zero(u64(addr), u64(len(words)))
    assert type(got) is i64
    assert got == first_zero_reference(words)


def test_lowest_set_bit_every_position(routines: ModuleType) -> None:
    """The halving search finds every single bit, and the lowest of several."""
    for b in range(64):
        assert routines.lowest_set_bit(u64(1 << b)) == b
        assert routines.lowest_set_bit(u64(U64_MAX << b)) == b


ops_strategy = st.lists(st.tuples(st.booleans(), st.integers(1, 40), st.integers(0, U64_MAX)), max_size=60)


@settings(max_examples=60, deadline=None)
@given(cap_log=st.integers(0, 5), ops=ops_strategy)
def test_hash_table_matches_dict(routines: ModuleType, cap_log: int,
                                 ops: list[tuple[bool, int, int]]) -> None:
    """Inserts and lookups behave like a dict of at most cap keys (an insert into a full table fails)."""
    sim = fresh_sim()
    cap = 1 << cap_log
    table = sim.alloc(16 * cap, 8)
    model: dict[int, int] = {}
    for is_insert, key, value in ops:
        if is_insert:
            slot = routines.kpy_hash_insert(u64(table), u64(cap), u64(key), u64(value))
            if key in model or len(model) < cap:
                assert slot < cap
                model[key] = value
            else:
                assert slot == cap
        else:
            assert routines.kpy_hash_lookup(u64(table), u64(cap), u64(key)) == model.get(key, 0)
    for key in range(1, 42):
        assert routines.kpy_hash_lookup(u64(table), u64(cap), u64(key)) == model.get(key, 0)


ITEM = pystruct.Struct("<IHBBQQ")  # the C layout of Item: 24 bytes, no hidden padding

item_strategy = st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**16 - 1), st.integers(0, 255),
                          st.integers(0, 255), st.integers(0, U64_MAX), st.integers(0, U64_MAX))


def test_item_layout(routines: ModuleType) -> None:
    """Item has the C layout the harness's C struct assumes."""
    from asterpy.lang import offsetof, sizeof
    assert sizeof(routines.Item) == ITEM.size == 24
    assert [offsetof(routines.Item, f) for f in ("id", "flags", "kind", "pad", "size", "next")] == [0, 4, 6, 7, 8, 16]


@settings(max_examples=40, deadline=None)
@given(items=st.lists(item_strategy, max_size=12))
def test_struct_loop_matches_reference(routines: ModuleType,
                                       items: list[tuple[int, int, int, int, int, int]]) -> None:
    """kpy_struct_loop sums size + kind over flagged Items and rewrites exactly those Items."""
    sim = fresh_sim()
    arr = put(sim, b"".join(ITEM.pack(*it) for it in items) + ITEM.pack(9, 1, 1, 0, 5, 5))  # + a guard Item
    total = 0
    expected = []
    for ident, flags, kind, pad, size, nxt in items:
        if flags & 1:
            total = (total + size + kind) & U64_MAX
            flags, nxt = flags | 2, total
        expected.append(ITEM.pack(ident, flags, kind, pad, size, nxt))
    expected.append(ITEM.pack(9, 1, 1, 0, 5, 5))
    assert routines.kpy_struct_loop(u64(arr), u64(len(items))) == total
    assert sim.read(arr, ITEM.size * (len(items) + 1)) == b"".join(expected)
