"""inflate/gunzip in Kernel Python against Python's zlib and gzip, plus fuzzing."""

import gzip
import os
import random
import zlib
from typing import Tuple

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from asterpy.fs.inflate import INFLATE_WORK_SIZE, cl_order, crc32, gunzip, gzip_size_hint, inflate
from asterpy.lang import SysError, memory, u32, u64
from asterpy.lang.errno import EINVAL, ENOSPC

SRC_END = 0x4000_0000_0000       # compressed input ends at the end of mapped memory


def setup(data: bytes, cap: int) -> Tuple[int, int, int]:
    """Place data ending at a page end, and an output buffer of cap bytes and a work area
    both ending at page ends too; returns (src, dst, work)."""
    src = SRC_END - len(data)
    memory.sim.map(src, max(len(data), 1))
    memory.sim.write(src, data)
    dst = SRC_END + 0x100_0000 - cap
    memory.sim.map(dst, max(cap, 1))
    work = SRC_END + 0x200_0000 - int(INFLATE_WORK_SIZE)
    memory.sim.map(work, int(INFLATE_WORK_SIZE))
    return src, dst, work


def run_inflate(raw: bytes, cap: int) -> Tuple[bytes, int]:
    """Inflate a raw DEFLATE stream; the output and the input bytes used."""
    src, dst, work = setup(raw, cap)
    r = inflate(u64(src), u64(len(raw)), u64(dst), u64(cap), u64(work))
    return memory.sim.read(dst, r.produced), int(r.consumed)


def raw_deflate(data: bytes, level: int = 6, strategy: int = zlib.Z_DEFAULT_STRATEGY) -> bytes:
    """A raw DEFLATE stream of data made by zlib."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    return c.compress(data) + c.flush()


def sample(kind: str, n: int, seed: int) -> bytes:
    """Test data: random, text-like, runs, or a mix (each exercises other block types)."""
    rnd = random.Random(seed)
    if kind == "random":
        return rnd.randbytes(n)
    if kind == "text":
        words = [b"the", b"kernel", b"initramfs", b"cpio", b"busybox", b"\n", b"  "]
        out = b""
        while len(out) < n:
            out += rnd.choice(words) + b" "
        return out[:n]
    if kind == "runs":
        return b"".join(bytes([rnd.randrange(4)]) * rnd.randrange(1, 300) for _ in range(n // 100))
    return sample("random", n // 2, seed) + sample("text", n // 2, seed)


def test_cl_order() -> None:
    assert [int(cl_order(u32(i))) for i in range(19)] == \
        [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]


@pytest.mark.parametrize("kind", ["random", "text", "runs", "mixed"])
@pytest.mark.parametrize("level", [0, 1, 9])
def test_inflate_matches_zlib(kind: str, level: int) -> None:
    data = sample(kind, 3000, level)
    raw = raw_deflate(data, level)
    out, used = run_inflate(raw, len(data))
    assert out == data and used == len(raw)


@pytest.mark.parametrize("strategy", [zlib.Z_FIXED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE,
                                      zlib.Z_FILTERED])
def test_inflate_strategies(strategy: int) -> None:
    data = sample("mixed", 2000, strategy)
    out, _ = run_inflate(raw_deflate(data, 6, strategy), len(data))
    assert out == data


def test_empty_and_long_runs() -> None:
    assert run_inflate(raw_deflate(b""), 0)[0] == b""
    data = b"a" * 5000 + b"b" * 3
    assert run_inflate(raw_deflate(data, 9), len(data))[0] == data


def test_output_too_small_is_enospc() -> None:
    data = sample("text", 500, 1)
    with pytest.raises(SysError) as ei:
        run_inflate(raw_deflate(data), len(data) - 1)
    assert ei.value.errno == ENOSPC


def test_gunzip_matches_gzip_with_header_fields() -> None:
    data = sample("mixed", 2500, 7)
    blob = gzip.compress(data, mtime=0)
    # Add FNAME and FCOMMENT (gzip.compress writes neither) and check they are skipped.
    flagged = blob[:3] + bytes([blob[3] | 8 | 16]) + blob[4:10] + b"initrd.cpio\0" + \
        b"a comment\0" + blob[10:]
    for g in (blob, flagged):
        memory.reset_sim()
        src, dst, work = setup(g + b"trailing junk", len(data))
        r = gunzip(u64(src), u64(len(g) + 13), u64(dst), u64(len(data)), u64(work))
        assert memory.sim.read(dst, r.produced) == data and r.consumed == len(g)
        assert gzip_size_hint(u64(src), u64(len(g))) == len(data)


def test_gunzip_detects_corruption() -> None:
    data = sample("text", 800, 3)
    blob = bytearray(gzip.compress(data, mtime=0))
    blob[-8] ^= 1                    # CRC-32
    src, dst, work = setup(bytes(blob), len(data))
    with pytest.raises(SysError) as ei:
        gunzip(u64(src), u64(len(blob)), u64(dst), u64(len(data)), u64(work))
    assert ei.value.errno == EINVAL


def test_crc32_matches_zlib() -> None:
    data = os.urandom(700)
    src, _, work = setup(data, 1)
    assert crc32(u64(src), u64(len(data)), u64(work)) == zlib.crc32(data)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=600), st.integers(0, 9),
       st.sampled_from([zlib.Z_DEFAULT_STRATEGY, zlib.Z_FIXED, zlib.Z_RLE]))
def test_property_round_trip(data: bytes, level: int, strategy: int) -> None:
    """Whatever zlib compresses, inflate gives back exactly."""
    memory.reset_sim()
    raw = raw_deflate(data, level, strategy)
    out, used = run_inflate(raw, len(data))
    assert out == data and used == len(raw)


FUZZ_SEED = raw_deflate(sample("mixed", 600, 5), 6)


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_fuzz_corrupt_streams(data: st.DataObject) -> None:
    """Bit flips and truncations: output or EINVAL/ENOSPC, never a read or write outside the
    buffers (each ends at the end of mapped memory); agrees with zlib when zlib succeeds."""
    blob = bytearray(FUZZ_SEED)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(blob) - 1))
        blob[at] ^= 1 << data.draw(st.integers(0, 7))
    blob = blob[:data.draw(st.integers(1, len(blob)))]
    memory.reset_sim()
    try:
        out, _ = run_inflate(bytes(blob), 900)
    except SysError as e:
        assert e.errno in (EINVAL, ENOSPC)
        return
    d = zlib.decompressobj(-15)
    try:
        ref = d.decompress(bytes(blob), 2000)
    except zlib.error:
        return                       # zlib is stricter (e.g. incomplete code sets)
    if d.eof:
        assert out == ref
