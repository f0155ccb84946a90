"""cpio and inflate translated for the host and JIT-run: same results as CPython, and no read
outside the input (it ends at a PROT_NONE guard page, so a stray read kills the child)."""

import ctypes
import gzip
import sys
import zlib
from pathlib import Path
from typing import Any, Tuple

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from asterpy.lang import memory

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests" / "translator"))
from jit import Jit  # noqa: E402
from native_guard import cpython, guarded, load_worlds  # noqa: E402
from native_guard import native as guarded_native  # noqa: E402

WRAPPER = '''"""Scalar digests of the fs parsers, callable from the host JIT harness."""

from asterpy.fs.cpio import cpio_entry_at
from asterpy.fs.inflate import gunzip, inflate
from asterpy.lang import u64


def cpio_digest(base: u64, size: u64) -> u64:
    """A hash of every entry's fields (offsets relative to base) up to the trailer."""
    off = u64(0)
    h = u64(0)
    while True:
        e = cpio_entry_at(base, size, off)
        h = h * 31 + u64(e.mode) + e.size * 7 + e.name_len * 13 + (e.data - base) * 17
        h = h * 31 + u64(e.mtime) + u64(e.ino) + u64(e.check) + u64(e.rdev_minor)
        if e.trailer:
            return h
        off = e.next


def inflate_digest(src: u64, n: u64, dst: u64, cap: u64, work: u64) -> u64:
    """Bytes produced and consumed by inflate."""
    r = inflate(src, n, dst, cap, work)
    return r.produced * 1000003 + r.consumed


def gunzip_digest(src: u64, n: u64, dst: u64, cap: u64, work: u64) -> u64:
    """Bytes produced and consumed by gunzip."""
    r = gunzip(src, n, dst, cap, work)
    return r.produced * 1000003 + r.consumed
'''

@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Jit, Any]:
    """The wrapper translated and JIT-loaded, and the same file imported under CPython."""
    return load_worlds(tmp_path_factory.mktemp("fsnative"), "fs_wrap", WRAPPER)


def native(jit: Jit, name: str, *args: int) -> Tuple[str, int]:
    """Run a wrapper function natively in a forked child (see native_guard.native)."""
    return guarded_native(jit, "fs_wrap", name, *args)


def sim_place(data: bytes, at: int) -> int:
    """Put data in simulated memory so that it ends at the end of a mapped page."""
    base = at - len(data)
    memory.sim.map(base, max(len(data), 1))
    memory.sim.write(base, data)
    return base


def newc(names: list) -> bytes:
    """A newc archive of empty regular files and the trailer."""
    out = bytearray()
    for i, name in enumerate(names + [b"TRAILER!!!"]):
        fields = [i, 0o100644, 0, 0, 1, 1700000000 + i, 0, 0, 0, 0, i, len(name) + 1, 0]
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + name + b"\0"
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


CPIO_SEED = newc([b"init", b"bin", b"bin/sh", b"a" * 77])


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow,
                                                  HealthCheck.function_scoped_fixture],
          deadline=None)
@given(st.data())
def test_cpio_native_matches_cpython(worlds: Tuple[Jit, Any], data: st.DataObject) -> None:
    jit, py = worlds
    blob = bytearray(CPIO_SEED)
    for _ in range(data.draw(st.integers(0, 3))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.sampled_from(b"0719Fa!\0"))
    blob = bytes(blob[:data.draw(st.integers(1, len(blob)))])
    memory.reset_sim()
    want = cpython(py.cpio_digest, sim_place(blob, 0x2000_0000_0000), len(blob))
    got = native(jit, "cpio_digest", guarded(blob), len(blob))
    assert got == want


def test_inflate_native_matches_cpython(worlds: Tuple[Jit, Any]) -> None:
    jit, py = worlds
    payload = b"".join(b"line %d of the initramfs\n" % (i * i % 97) for i in range(300))
    for raw, fn in ((zlib.compress(payload, 9)[2:-4], "inflate_digest"),
                    (gzip.compress(payload, mtime=0), "gunzip_digest")):
        memory.reset_sim()
        src = sim_place(raw, 0x2000_0000_0000)
        dst = sim_place(bytes(len(payload)), 0x2100_0000_0000)
        work = sim_place(bytes(4096), 0x2200_0000_0000)
        want = cpython(getattr(py, fn), src, len(raw), dst, len(payload), work)
        assert want[0] == "ok" and memory.sim.read(dst, len(payload)) == payload
        ndst, nwork = guarded(b"", len(payload)), guarded(b"", 4096)
        assert native(jit, fn, guarded(raw), len(raw), ndst, len(payload), nwork) == want
        # The native output buffer holds the same bytes (read in this process after a re-run).
        f = jit.func("fs_wrap", fn)
        f(guarded(raw), len(raw), ndst, len(payload), nwork)
        assert ctypes.string_at(ndst, len(payload)) == payload


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow,
                                                  HealthCheck.function_scoped_fixture],
          deadline=None)
@given(st.binary(min_size=1, max_size=200), st.integers(0, 3))
def test_inflate_native_fuzz(worlds: Tuple[Jit, Any], blob: bytes, flips: int) -> None:
    """Corrupt DEFLATE input: both worlds give the same result and the native one never faults."""
    jit, py = worlds
    raw = bytearray(zlib.compress(blob)[2:-4])
    for i in range(flips):
        raw[(i * 7919) % len(raw)] ^= 1 << (i % 8)
    raw_b = bytes(raw)
    memory.reset_sim()
    src = sim_place(raw_b, 0x2000_0000_0000)
    dst = sim_place(bytes(256), 0x2100_0000_0000)
    work = sim_place(bytes(4096), 0x2200_0000_0000)
    want = cpython(py.inflate_digest, src, len(raw_b), dst, 256, work)
    got = native(jit, "inflate_digest", guarded(raw_b), len(raw_b), guarded(b"", 256), 256,
                 guarded(b"", 4096))
    assert got == want
