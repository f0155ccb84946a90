"""The ext2 fuzzer: real images made by mke2fs, one piece of metadata mutated, then mounted, walked,
read and written through the kernel's syscalls. Every failure must be an errno (SysError turned
into -E by the dispatcher); a Python exception or a case that runs too long is a bug.

Run a few hundred cases with the unit tests (tests/unit/fs/test_ext2_fuzz.py), or many with
EXT2_FUZZ_CASES=10000 .venv/bin/python -m pytest -p no:xdist tests/unit/fs/test_ext2_fuzz.py -q
"""

import random
import signal
import struct
from pathlib import Path
from typing import Dict, List, Tuple

from ext2_sim import ImageDisk, make_image, register
from fs_sim import Sys, uwrite

BASE_FILES: Dict[str, bytes] = {
    "a": b"hello", "big": bytes(range(256)) * 1100, "d/e/f": b"deep" * 300, "d/g": b"g" * 3000,
    "link": b"->a", "slow": b"->" + b"s" * 90, "d/h/i": b"", "many/" + "n" * 40: b"1",
}
for _i in range(8):
    BASE_FILES[f"many/f{_i}"] = bytes([_i]) * (_i * 37)

CASE_SECONDS = 20


class Hang(Exception):
    """A case ran past its time bound."""


def base_images(tmp: Path) -> List[bytes]:
    """The unmutated images: 1 KiB, 2 KiB and 4 KiB blocks."""
    out = []
    for bs in (1024, 2048, 4096):
        out.append(make_image(tmp, bs, BASE_FILES, size_k=2048).read_bytes())
    return out


def regions(img: bytes) -> List[Tuple[str, int, int]]:
    """(kind, offset, length) of the metadata worth mutating: superblock, group descriptors,
    bitmaps, inode table (first blocks), and the blocks the first inodes point at."""
    sb = 1024
    bs = 1024 << struct.unpack_from("<I", img, sb + 24)[0]
    first = struct.unpack_from("<I", img, sb + 20)[0]
    bpg = struct.unpack_from("<I", img, sb + 32)[0]
    blocks = struct.unpack_from("<I", img, sb + 4)[0]
    isz = struct.unpack_from("<H", img, sb + 88)[0]
    ngroups = (blocks - first + bpg - 1) // bpg
    gdt = (first + 1) * bs
    out = [("super", sb, 120), ("gdt", gdt, 32 * ngroups)]
    bbm, ibm, itab = struct.unpack_from("<III", img, gdt)
    out += [("block bitmap", bbm * bs, bs), ("inode bitmap", ibm * bs, bs), ("inodes", itab * bs, isz * 40)]
    # Data and indirect blocks of the first inodes (directories, files, symlinks).
    for ino in range(2, 40):
        off = itab * bs + (ino - 1) * isz
        for k in range(15):
            b = struct.unpack_from("<I", img, off + 40 + 4 * k)[0]
            if 0 < b < blocks and b * bs + bs <= len(img):
                out.append((f"block of inode {ino}", b * bs, bs))
    return out


def mutate(img: bytes, rng: random.Random) -> bytes:
    """img with one region changed: random bytes, a zeroed or saturated field, or a plausible u32."""
    b = bytearray(img)
    kind, off, n = rng.choice(regions(img))
    for _ in range(rng.choice([1, 1, 2, 4, 16])):
        pos = off + rng.randrange(max(n, 1))
        if pos + 4 > len(b):
            continue
        how = rng.randrange(6)
        if how == 0:
            b[pos] = rng.randrange(256)
        elif how == 1:
            b[pos:pos + 4] = b"\0\0\0\0"
        elif how == 2:
            b[pos:pos + 4] = b"\xff\xff\xff\xff"
        elif how == 3:
            struct.pack_into("<I", b, pos & ~3, rng.randrange(4096))
        elif how == 4:
            b[pos] ^= 1 << rng.randrange(8)
        else:
            struct.pack_into("<H", b, pos & ~1, rng.randrange(1 << 16))
    return bytes(b)


def _alarm(signum: int, frame: object) -> None:
    raise Hang()


def walk(s: Sys, path: bytes, depth: int, budget: List[int]) -> None:
    """List path, read every file and link below it (bounded)."""
    if depth > 6 or budget[0] <= 0:
        return
    budget[0] -= 1
    s.reset_scratch()
    fd = s.open(path, 0o200000)
    if fd < 0:
        return
    buf = s.alloc(4096)
    names: List[bytes] = []
    for _ in range(64):
        r = s.call("getdents64", fd, buf, 4096)
        if r <= 0:
            break
        data = s.read(buf, r)
        off = 0
        while off < r:
            reclen = int.from_bytes(data[off + 16:off + 18], "little")
            names.append(data[off + 19:off + reclen].split(b"\0")[0])
            off += reclen
    s.call("close", fd)
    for name in names[:80]:
        if name in (b".", b".."):
            continue
        p = path + b"/" + name
        s.reset_scratch()
        st = s.alloc(144)
        if s.s("lstat", p, st) != 0:
            continue
        mode = int.from_bytes(s.read(st + 24, 4), "little") & 0o170000
        if mode == 0o040000:
            walk(s, p, depth + 1, budget)
        elif mode == 0o120000:
            s.s("readlink", p, s.alloc(4096), 4096)
        elif mode == 0o100000:
            rfd = s.open(p)
            if rfd >= 0:
                rb = s.alloc(65536)
                for _ in range(2):
                    if s.call("read", rfd, rb, 65536) <= 0:
                        break
                s.call("close", rfd)


def exercise(s: Sys, rng: random.Random) -> None:
    """Mount /dev/vdt on /mnt, walk it, change it, unmount (every result may be an errno)."""
    s.reset_scratch()
    s.s("mkdir", b"/mnt", 0o755)
    if s.s("mount", b"/dev/vdt", b"/mnt", b"ext2", 0, 0) != 0:
        return
    walk(s, b"/mnt", 0, [12])
    s.reset_scratch()
    data = s.alloc(3000)
    uwrite(s.p, data, bytes(rng.randrange(256) for _ in range(3000)))
    for target in (b"/mnt/new", b"/mnt/big", b"/mnt/d/e/f", b"/mnt/many/f3"):
        fd = s.open(target, 0o102, 0o644)
        if fd >= 0:
            s.call("pwrite64", fd, data, 3000, rng.randrange(300000))
            s.call("ftruncate", fd, rng.randrange(100000))
            s.call("close", fd)
    s.s("mkdir", b"/mnt/d/newdir", 0o755)
    s.s("rename", b"/mnt/a", b"/mnt/d/h/a2")
    s.s("rename", b"/mnt/many", b"/mnt/d/many")
    s.s("link", b"/mnt/big", b"/mnt/d/biglink")
    s.s("symlink", b"x" * 100, b"/mnt/d/sym")
    s.s("unlink", b"/mnt/d/g")
    s.s("unlink", b"/mnt/big")
    s.s("rmdir", b"/mnt/d/h")
    s.s("rmdir", b"/mnt/d/e")
    for i in range(0, 8, 3):
        s.s("unlink", b"/mnt/d/many/f%d" % i)
    walk(s, b"/mnt", 0, [3])
    s.call("sync")
    s.s("umount2", b"/mnt", 0)


def run_cases(s: Sys, bases: List[bytes], tmp: Path, seed: int, count: int) -> int:
    """count cases from seed; the number run (an exception or Hang escapes)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        for k in range(count):
            rng = random.Random(seed * 1_000_003 + k)
            img = mutate(rng.choice(bases), rng)
            path = tmp / "case.img"
            path.write_bytes(img)
            register(ImageDisk(path))
            signal.alarm(CASE_SECONDS)
            try:
                exercise(s, rng)
            except BaseException as e:
                raise AssertionError(f"ext2 fuzz case seed={seed} k={k}: {type(e).__name__}: {e}") from e
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, old)
    return count
