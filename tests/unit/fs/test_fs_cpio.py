"""cpio newc reader: archives made by GNU cpio, a reference reader, round trips, fuzzing."""

import os
import stat
import subprocess
from pathlib import Path
from typing import List, NamedTuple, Tuple

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from asterpy.fs import cpio
from asterpy.fs.cpio import CpioEntry, CpioReader, cpio_count, cpio_entry_at, parse_hex
from asterpy.lang import SysError, memory, u64
from asterpy.lang.errno import EINVAL

# Archives end exactly at the end of a mapped page here, so a read past them faults.
REGION_END = 0x2000_0000_0000
PAGE = memory.PAGE_SIZE


def place_at_end(data: bytes) -> int:
    """Copy data into simulated memory so that its last byte is the last mapped byte."""
    base = REGION_END - len(data)
    memory.sim.map(base, max(len(data), 1))
    memory.sim.write(base, data)
    return base


def place_at_start(data: bytes) -> int:
    """Copy data to the start of a page whose preceding page is unmapped (catches under-reads)."""
    base = REGION_END + 16 * PAGE
    memory.sim.map(base, max(len(data), 1))
    memory.sim.write(base, data)
    return base


class Ref(NamedTuple):
    """One entry as the reference reader sees it (plain Python over bytes)."""

    magic: bytes
    fields: Tuple[int, ...]     # the 13 header fields in order
    name: bytes
    data: bytes


def ref_read(blob: bytes) -> List[Ref]:
    """An independent newc/crc reader written directly from cpio(5), for comparison."""
    out: List[Ref] = []
    off = 0
    while True:
        hdr = blob[off:off + 110]
        assert hdr[:6] in (b"070701", b"070702")
        fields = tuple(int(hdr[6 + 8 * i:14 + 8 * i], 16) for i in range(13))
        namesize, filesize = fields[11], fields[6]
        name = blob[off + 110:off + 110 + namesize - 1]
        data_off = (off + 110 + namesize + 3) & ~3
        data = blob[data_off:data_off + filesize]
        if name == b"TRAILER!!!":
            return out
        out.append(Ref(hdr[:6], fields, name, data))
        off = (data_off + filesize + 3) & ~3


def read_all(base: int, size: int) -> List[Tuple[CpioEntry, bytes, bytes]]:
    """Every entry before the trailer with its name and data bytes, through the kernel reader."""
    r = CpioReader(u64(base), u64(size))
    out = []
    while True:
        e = r.next_entry()
        assert base <= e.name and e.name + e.name_len < base + size
        assert base <= e.data and e.data + e.size <= base + size
        if e.trailer:
            assert r.done
            return out
        out.append((e, memory.sim.read(e.name, e.name_len), memory.sim.read(e.data, e.size)))


def write_newc(entries: List[Tuple[bytes, int, bytes]], crc: bool = False) -> bytes:
    """A newc (or crc) archive of (name, mode, data) entries, ending with the trailer."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate(entries + [(b"TRAILER!!!", 0, b"")]):
        check = sum(data) & 0xFFFFFFFF if crc and (mode & 0o170000) == 0o100000 else 0
        fields = [ino + 1, mode, 1000, 100, 1, 1700000000, len(data), 8, 1, 0, 0,
                  len(name) + 1, check]
        out += (b"070702" if crc else b"070701") + b"".join(b"%08X" % f for f in fields)
        out += name + b"\0"
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with every kind of entry an initramfs holds."""
    root = tmp_path_factory.mktemp("tree")
    (root / "bin").mkdir()
    (root / "bin" / "prog").write_bytes(bytes(range(256)) * 5 + b"xyz")   # size % 4 == 3
    (root / "bin" / "prog").chmod(0o755)
    (root / "empty").write_bytes(b"")
    (root / "one").write_bytes(b"1")
    (root / "dir" / "sub").mkdir(parents=True)
    (root / "dir" / "sub" / "f").write_text("hello\n")
    (root / "link").symlink_to("bin/prog")
    (root / "dangling").symlink_to("/no/such/target/at/all")
    long_dir = root / ("d" * 100) / ("e" * 100)
    long_dir.mkdir(parents=True)
    (long_dir / ("f" * 200)).write_bytes(b"long name")
    os.mkfifo(root / "fifo")
    os.link(root / "one", root / "hardlink")
    return root


def make_archive(root: Path, fmt: str) -> bytes:
    """Run the real `cpio -o -H fmt` over every path under root."""
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    res = subprocess.run(["cpio", "-o", "-H", fmt], cwd=root,
                         input=("\n".join(names) + "\n").encode(), capture_output=True, check=True)
    return res.stdout


@pytest.mark.parametrize("fmt,magic", [("newc", b"070701"), ("crc", b"070702")])
def test_real_cpio_archive(tree: Path, fmt: str, magic: bytes) -> None:
    blob = make_archive(tree, fmt)
    assert len(blob) % 512 == 0          # cpio pads the archive after the trailer
    base = place_at_end(blob)
    got = read_all(base, len(blob))
    ref = ref_read(blob)
    assert len(got) == len(ref) == len(list(tree.rglob("*")))
    assert int(cpio_count(u64(base), u64(len(blob)))) == len(ref)
    for (e, name, data), r in zip(got, ref):
        assert r.magic == magic
        assert (name, data) == (r.name, r.data)
        assert [e.ino, e.mode, e.uid, e.gid, e.nlink, e.mtime, e.size, e.dev_major,
                e.dev_minor, e.rdev_major, e.rdev_minor, e.name_len + 1, e.check] == list(r.fields)
        # And against the file system itself.
        path = tree / name.decode()
        st_ = os.lstat(path)
        assert e.mode == st_.st_mode and e.uid == st_.st_uid and e.gid == st_.st_gid
        assert e.mtime == int(st_.st_mtime) and e.nlink == st_.st_nlink
        assert e.ino == st_.st_ino & 0xFFFFFFFF
        kind = e.mode & cpio.S_IFMT
        if stat.S_ISREG(st_.st_mode):
            assert kind == cpio.S_IFREG
            # GNU cpio stores hard-linked file data once, with the last link.
            assert data in (path.read_bytes(), b"")
        elif stat.S_ISDIR(st_.st_mode):
            assert kind == cpio.S_IFDIR and e.size == 0
        elif stat.S_ISLNK(st_.st_mode):
            assert kind == cpio.S_IFLNK and data == os.readlink(path).encode()
        else:
            assert kind == cpio.S_IFIFO and stat.S_ISFIFO(st_.st_mode)


def test_names_and_sizes_of_edge_entries(tree: Path) -> None:
    blob = make_archive(tree, "newc")
    base = place_at_start(blob)
    by_name = {name: (e, data) for e, name, data in read_all(base, len(blob))}
    assert by_name[b"empty"][0].size == 0 and by_name[b"empty"][1] == b""
    assert by_name[b"one"][1] in (b"1", b"")
    longest = max(by_name, key=len)
    assert len(longest) == 100 + 1 + 100 + 1 + 200
    assert by_name[longest][1] == b"long name"


def test_hand_made_archive_round_trip() -> None:
    entries = [(b"a", 0o100644, b"abc"), (b"bb", 0o40755, b""), (b"ccc", 0o120777, b"a")]
    blob = write_newc(entries)
    base = place_at_end(blob)
    got = read_all(base, len(blob))
    assert [(n, int(e.mode), d) for e, n, d in got] == entries


def test_trailer_may_end_the_buffer_exactly() -> None:
    blob = write_newc([(b"x", 0o100644, b"12345")])
    trimmed = blob[:len(blob) - (-(110 + 11) % 4)]    # drop the trailer's padding
    base = place_at_end(trimmed)
    assert len(read_all(base, len(trimmed))) == 1


def test_reading_past_the_end_is_einval() -> None:
    blob = write_newc([])
    base = place_at_end(blob)
    r = CpioReader(u64(base), u64(len(blob)))
    assert r.next_entry().trailer
    with pytest.raises(SysError) as ei:
        r.next_entry()
    assert ei.value.errno == EINVAL


def corrupt(blob: bytes, at: int, value: bytes) -> bytes:
    """blob with value written at offset at."""
    return blob[:at] + value + blob[at + len(value):]


GOOD = write_newc([(b"file", 0o100644, b"data!")], crc=True)


@pytest.mark.parametrize("blob", [
    b"",
    GOOD[:109],                                         # short header
    corrupt(GOOD, 0, b"070707"),                        # old binary/odc magic
    corrupt(GOOD, 0, b"0707O2"),                        # a letter in the magic
    corrupt(GOOD, 6 + 8 * 1, b"0000g1A4"),              # a non-hex digit in mode
    corrupt(GOOD, 6 + 8 * 11, b"00000000"),             # namesize 0
    corrupt(GOOD, 6 + 8 * 11, b"00000004"),             # name without its NUL
    corrupt(GOOD, 6 + 8 * 11, b"FFFFFFFF"),             # name past the end
    corrupt(GOOD, 6 + 8 * 6, b"FFFFFFFF"),              # data past the end
    corrupt(GOOD, 6 + 8 * 12, b"00000000"),             # crc mismatch
    GOOD[:120],                                         # data cut off
    GOOD[:len(GOOD) - 124],                             # trailer missing
], ids=lambda b: str(len(b)))
def test_malformed_is_einval(blob: bytes) -> None:
    base = place_at_end(blob) if blob else REGION_END
    with pytest.raises(SysError) as ei:
        cpio_count(u64(base), u64(len(blob)))
    assert ei.value.errno == EINVAL


def test_misaligned_offset_is_einval() -> None:
    base = place_at_end(GOOD)
    with pytest.raises(SysError):
        cpio_entry_at(u64(base), u64(len(GOOD)), u64(2))


def test_parse_hex() -> None:
    base = place_at_end(b"00aBcDeF12345678")
    assert parse_hex(u64(base), u64(8)) == 0x00ABCDEF
    assert parse_hex(u64(base + 8), u64(8)) == 0x12345678
    for bad in b"g/:@G` \x00\xff":
        memory.sim.write(base, bytes([bad]))
        with pytest.raises(SysError):
            parse_hex(u64(base), u64(8))


names = st.binary(min_size=1, max_size=300).filter(lambda b: b"\0" not in b)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(names, st.integers(0, 0xFFFFFFFF), st.binary(max_size=64)),
                max_size=6), st.booleans())
def test_round_trip_property(entries: List[Tuple[bytes, int, bytes]], crc: bool) -> None:
    """Any archive the reference writer makes reads back entry for entry."""
    entries = [e for e in entries if e[0] != b"TRAILER!!!"]
    memory.reset_sim()
    blob = write_newc(entries, crc)
    base = place_at_end(blob)
    got = read_all(base, len(blob))
    assert [(n, int(e.mode), d) for e, n, d in got] == entries
    assert [int(e.check) for e, _, _ in got] == [
        sum(d) & 0xFFFFFFFF if crc and (m & 0o170000) == 0o100000 else 0 for _, m, d in entries]


SEED = write_newc([(b"init", 0o100755, b"#!/bin/sh\necho hi\n"), (b"dev", 0o40755, b""),
                   (b"dev/console", 0o20600, b""), (b"lnk", 0o120777, b"init")], crc=True)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutations_only_raise_einval(data: st.DataObject) -> None:
    """Truncations, bit flips and byte overwrites: entries or EINVAL, never a stray read."""
    blob = bytearray(SEED if data.draw(st.booleans()) else GOOD)
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(0, len(blob) - 1))
        kind = data.draw(st.sampled_from(["flip", "set", "hexdigit"]))
        if kind == "flip":
            blob[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "set":
            blob[at] = data.draw(st.integers(0, 255))
        else:
            blob[at] = data.draw(st.sampled_from(b"0123456789abcdefF"))
    blob = bytes(blob[:data.draw(st.integers(0, len(blob)))])
    for place in (place_at_end, place_at_start):
        memory.reset_sim()
        if not blob:
            continue
        base = place(blob)
        try:
            got = read_all(base, len(blob))
        except SysError as e:
            assert e.errno == EINVAL
        else:
            assert len(got) <= len(blob) // 112


def test_concatenated_archives(tree: Path) -> None:
    """An initramfs may be several archives with zero words between them."""
    first = make_archive(tree, "newc")
    second = write_newc([(b"extra", 0o100600, b"late")])
    blob = first + b"\0" * 8 + second + b"\0" * 4
    base = place_at_end(blob)
    r = CpioReader(u64(base), u64(len(blob)))
    with pytest.raises(SysError):
        r.next_archive()            # still inside the first archive
    names = []
    while True:
        e = r.next_entry()
        if not e.trailer:
            names.append(memory.sim.read(e.name, e.name_len))
        elif not r.next_archive():
            break
    assert names == [r_.name for r_ in ref_read(first)] + [b"extra"]


def test_garbage_after_trailer_is_einval() -> None:
    blob = write_newc([]) + b"\0\0\0\0junk"
    base = place_at_end(blob)
    r = CpioReader(u64(base), u64(len(blob)))
    assert r.next_entry().trailer
    assert r.next_archive()
    with pytest.raises(SysError):
        r.next_entry()
