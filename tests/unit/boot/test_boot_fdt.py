"""asterpy.boot.fdt under CPython: real QEMU DTBs (riscv64, loongarch64), synthetic trees, errors."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from asterpy.boot import fdt
from asterpy.lang import Ptr, SysError, memory, sizeof, u64
from asterpy.lang.errno import EINVAL

from fdt_ref import (RISCV_BOOTARGS, Node, build_dtb, cells, compact, dts_structure, place,
                     read_bytes, ref_parse, ref_prop)

Walk = list[tuple[int, str, list[tuple[str, bytes]]]]


def open_blob(blob: bytes, at_end: bool = False, max_size: Optional[int] = None) -> fdt.Fdt:
    """Place blob in simulated memory and open it."""
    addr = place(blob, at_end=at_end)
    return fdt.fdt_open(u64(addr), u64(len(blob) if max_size is None else max_size))


def c_string(addr: int, limit: int) -> bytes:
    """The NUL-terminated string at addr (at most limit bytes)."""
    data = read_bytes(addr, limit)
    return data[:data.index(b"\0")] if b"\0" in data else data


def walk(f: fdt.Fdt) -> Walk:
    """(depth, name, [(property name, value)]) for every node, through the fdt API only."""
    out: Walk = []
    node = fdt.fdt_root(f)
    while node.off != fdt.NONE:
        props = []
        p = fdt.fdt_first_prop(f, node)
        while p.off != fdt.NONE:
            props.append((c_string(p.name, int(p.name_limit)).decode(),
                          read_bytes(p.value, int(p.length))))
            p = fdt.fdt_next_prop(f, p)
        out.append((int(node.depth), read_bytes(node.name, int(node.name_len)).decode(), props))
        node = fdt.fdt_next_node(f, node)
    return out


def paths(w: Walk) -> list[tuple[str, list[str]]]:
    """(path, property names) per node of a walk."""
    stack: list[str] = []
    out = []
    for depth, name, props in w:
        del stack[depth:]
        path = "/" if depth == 0 else stack[-1].rstrip("/") + "/" + name
        stack.append(path)
        out.append((path, [p for p, _ in props]))
    return out


def memory_ranges(f: fdt.Fdt, max_out: int = 16) -> tuple[list[tuple[int, int]], int, int]:
    """(stored ranges, count, total) from fdt_memory_scan."""
    out = memory.sim.alloc(sizeof(fdt.MemRange) * max(max_out, 1), align=8)
    scan = fdt.fdt_memory_scan(f, Ptr[fdt.MemRange](out), u64(max_out))
    stored = min(int(scan.count), max_out)
    arr = Ptr[fdt.MemRange](out)
    return ([(int(arr[i].base), int(arr[i].length)) for i in range(stored)],
            int(scan.count), int(scan.total))


def ref_memory(blob: bytes) -> list[tuple[int, int]]:
    """Non-empty /memory reg ranges by the reference parser (root cells)."""
    nodes = ref_parse(blob)
    ac = struct.unpack(">I", ref_prop(nodes, "/", "#address-cells") or b"\0\0\0\2")[0]
    sc = struct.unpack(">I", ref_prop(nodes, "/", "#size-cells") or b"\0\0\0\1")[0]
    out = []
    for n in nodes:
        if n.depth != 1:
            continue
        dt = dict(n.props).get("device_type", b"")
        if n.name.split("@")[0] != "memory" and b"memory" not in dt.split(b"\0"):
            continue
        reg = dict(n.props).get("reg", b"")
        step = 4 * (ac + sc)
        for at in range(0, len(reg) - step + 1, step):
            words = struct.unpack_from(f">{ac + sc}I", reg, at)
            base = int.from_bytes(b"".join(struct.pack(">I", w) for w in words[:ac]), "big")
            size = int.from_bytes(b"".join(struct.pack(">I", w) for w in words[ac:]), "big")
            if size:
                out.append((base, size))
    return out


# ------------------------------------------------------------------ constants and header


TAGS = {
    "ADDRESS_CELLS": "#address-cells", "SIZE_CELLS": "#size-cells", "REG": "reg",
    "DEVICE_TYPE": "device_type", "MEMORY": "memory", "BOOTARGS": "bootargs",
    "STDOUT_PATH": "stdout-path", "COMPATIBLE": "compatible", "NS16550A": "ns16550a",
    "NS16550": "ns16550", "CHOSEN": "chosen", "ALIASES": "aliases",
}


@pytest.mark.parametrize("key", sorted(TAGS))
def test_tags_encode_their_names(key: str) -> None:
    """Each TAG_*_0/_1/_N triple packs its name's bytes little-endian."""
    text = TAGS[key].encode()
    w0 = getattr(fdt, f"TAG_{key}_0")
    w1 = getattr(fdt, f"TAG_{key}_1", 0)
    n = getattr(fdt, f"TAG_{key}_N")
    assert n == len(text) <= 16
    assert (int(w0) | int(w1) << 64).to_bytes(16, "little")[:n] == text
    assert (int(w0) | int(w1) << 64) >> (8 * n) == 0


def test_bswap32() -> None:
    """Big-endian words come out right."""
    assert fdt.bswap32(fdt.u32(0x11223344)) == 0x44332211
    assert fdt.bswap32(fdt.u32(0xEDFE0DD0)) == fdt.FDT_MAGIC


def test_header_riscv(riscv_dtb: bytes) -> None:
    """The QEMU riscv64 header: version 17, real totalsize, root cells 2/2."""
    f = open_blob(riscv_dtb)
    total = struct.unpack_from(">I", riscv_dtb, 4)[0]
    assert f.size == total and f.version == 17 and f.boot_cpuid == 0
    assert (f.addr_cells, f.size_cells) == (2, 2)


# ------------------------------------------------------------------ real DTBs


@pytest.mark.parametrize("which", ["riscv_dtb", "riscv_dtb_1g", "loongarch_dtb"])
def test_walk_matches_reference_parser(which: str, request: pytest.FixtureRequest) -> None:
    """Every node (depth, name) and property (name, value) in order, as the reference sees them."""
    blob: bytes = request.getfixturevalue(which)
    got = walk(open_blob(blob))
    want = [(n.depth, n.name, n.props) for n in ref_parse(blob)]
    assert got == want
    assert len(got) > 10


@pytest.mark.parametrize("which", ["riscv_dtb", "loongarch_dtb"])
def test_walk_matches_dtc(which: str, request: pytest.FixtureRequest, dtc: str,
                          tmp_path: Path) -> None:
    """Node paths and property names agree with `dtc -I dtb -O dts`."""
    blob: bytes = request.getfixturevalue(which)
    src = tmp_path / "in.dtb"
    src.write_bytes(blob)
    dts = subprocess.run([dtc, "-I", "dtb", "-O", "dts", "-q", str(src)], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    assert paths(walk(open_blob(blob))) == dts_structure(dts)


def test_riscv_memory_bootargs_console(riscv_dtb: bytes) -> None:
    """256 MiB at 2 GiB, the -append text, the UART at 0x10000000 (stdout-path)."""
    f = open_blob(riscv_dtb)
    ranges, count, total = memory_ranges(f)
    assert ranges == [(0x80000000, 256 << 20)] == ref_memory(riscv_dtb)
    assert (count, total) == (1, 256 << 20)
    assert fdt.fdt_memory_total(f) == 256 << 20
    args = fdt.fdt_bootargs(f)
    assert read_bytes(args.base, int(args.length)).decode() == RISCV_BOOTARGS
    node = fdt.fdt_stdout_node(f)
    assert read_bytes(node.name, int(node.name_len)) == b"serial@10000000"
    assert fdt.fdt_console_uart(f) == 0x10000000
    initrd = ref_prop(ref_parse(riscv_dtb), "/chosen", "linux,initrd-start")
    assert initrd is not None  # the tree QEMU gave has the initrd too (read via fdt_find_prop)


def test_riscv_1g(riscv_dtb_1g: bytes) -> None:
    """1 GiB of RAM; no bootargs without -append."""
    f = open_blob(riscv_dtb_1g)
    assert memory_ranges(f)[0] == [(0x80000000, 1 << 30)]
    assert (fdt.fdt_bootargs(f).base, fdt.fdt_bootargs(f).length) == (0, 0)


def test_loongarch_qemu72(loongarch_dtb: bytes) -> None:
    """QEMU 7.2's loongarch64 tree: 1 MiB totalsize, no /memory node, UART at 0x1fe001e0."""
    f = open_blob(loongarch_dtb)
    assert f.size == 1 << 20
    ranges, count, total = memory_ranges(f)
    assert ranges == ref_memory(loongarch_dtb) == [] and count == total == 0
    assert fdt.fdt_console_uart(f) == 0x1FE001E0
    node = fdt.fdt_stdout_node(f)
    assert read_bytes(node.name, int(node.name_len)) == b"serial@1fe001e0"


def test_reg_uses_parent_cells(riscv_dtb: bytes) -> None:
    """fdt_reg on every node with reg agrees with the reference decode in the parent's cells."""
    f = open_blob(riscv_dtb)
    nodes = ref_parse(riscv_dtb)
    by_path = {n.path: n for n in nodes}
    node = fdt.fdt_root(f)
    checked = 0
    for ref in nodes:
        assert read_bytes(node.name, int(node.name_len)).decode() == ref.name
        reg = dict(ref.props).get("reg")
        parent = by_path.get(ref.path.rsplit("/", 1)[0] or "/")
        if reg is not None and ref.depth > 0 and parent is not None:
            pp = dict(parent.props)
            ac = struct.unpack(">I", pp.get("#address-cells", b"\0\0\0\2"))[0]
            sc = struct.unpack(">I", pp.get("#size-cells", b"\0\0\0\1"))[0]
            if 1 <= ac <= 2 and sc <= 2 and len(reg) >= 4 * (ac + sc):
                r = fdt.fdt_reg(f, node, u64(0))
                base = int.from_bytes(reg[:4 * ac], "big")
                size = int.from_bytes(reg[4 * ac:4 * (ac + sc)], "big")
                assert (int(r.base), int(r.length)) == (base, size), ref.path
                checked += 1
        node = fdt.fdt_next_node(f, node)
    assert checked >= 8


# ------------------------------------------------------------------ synthetic trees


def synthetic(stdout: Optional[str] = "/soc/serial@3000", nop_every: int = 0,
              version: int = 17) -> bytes:
    """A small tree with two memory nodes, a soc bus with 1/1 cells, aliases and chosen."""
    root = Node("").prop("#address-cells", 2).prop("#size-cells", 2).prop("model", "test")
    root.child(Node("memory@40000000").prop("device_type", "memory")
               .prop("reg", cells(0x40000000, 0x1000000, 0x60000000, 0, 0x70000000, 0x2000)))
    root.child(Node("ram@100000000").prop("device_type", "memory")
               .prop("reg", cells(0x100000000, 0x80000000)))
    root.child(Node("memory-controller@9000").prop("reg", cells(0x9000, 0x100)))
    soc = Node("soc").prop("#address-cells", 1).prop("#size-cells", 1).prop("ranges", b"")
    soc.child(Node("serial@2000").prop("compatible", "snps,dw-apb-uart\0ns16550a")
              .prop("reg", [0x2000, 0x100]))
    soc.child(Node("serial@3000").prop("compatible", "ns16550a").prop("reg", [0x3000, 0x100]))
    root.child(soc)
    root.child(Node("aliases").prop("serial0", "/soc/serial@3000")
               .prop("serial1", "/soc/serial@2000"))
    chosen = Node("chosen").prop("bootargs", "quiet init=/sbin/init")
    if stdout is not None:
        chosen.prop("stdout-path", stdout)
    root.child(chosen)
    return build_dtb(root, reserved=[(0x40000000, 0x10000), (0x41000000, 0x2000)],
                     nop_every=nop_every, version=version)


def test_synthetic_walk_and_memory() -> None:
    """Both memory nodes (by name and by device_type), zero-size ranges skipped, 1/1 soc cells."""
    blob = synthetic()
    f = open_blob(blob)
    assert walk(f) == [(n.depth, n.name, n.props) for n in ref_parse(blob)]
    ranges, count, total = memory_ranges(f)
    assert ranges == [(0x40000000, 0x1000000), (0x70000000, 0x2000), (0x100000000, 0x80000000)]
    assert ranges == ref_memory(blob)
    assert count == 3 and total == 0x1000000 + 0x2000 + 0x80000000
    # Only the first max_out are stored; the count and total still cover all.
    stored, count, total2 = memory_ranges(f, max_out=1)
    assert stored == ranges[:1] and count == 3 and total2 == total
    args = fdt.fdt_bootargs(f)
    assert read_bytes(args.base, int(args.length)) == b"quiet init=/sbin/init"
    assert [(int(r.base), int(r.length)) for r in
            (fdt.fdt_reserved(f, u64(0)), fdt.fdt_reserved(f, u64(1)), fdt.fdt_reserved(f, u64(2)))] \
        == [(0x40000000, 0x10000), (0x41000000, 0x2000), (0, 0)]


@pytest.mark.parametrize("stdout,uart", [
    ("/soc/serial@3000", 0x3000),
    ("/soc/serial@2000:115200n8", 0x2000),
    ("serial0", 0x3000),
    ("serial1:9600", 0x2000),
    ("/soc/nothing", 0x2000),     # unresolvable: first ns16550a in document order
    (None, 0x2000),
])
def test_console_resolution(stdout: Optional[str], uart: int) -> None:
    """stdout-path as a path, with options, as an alias; else the first ns16550a."""
    f = open_blob(synthetic(stdout=stdout))
    assert fdt.fdt_console_uart(f) == uart


def test_find_path_unit_address_optional() -> None:
    """A path component may leave out the unit address when the name is enough."""
    blob = synthetic()
    f = open_blob(blob)
    for path, want in [(b"/soc/serial@3000", b"serial@3000"), (b"/soc/serial", b"serial@2000"),
                       (b"/soc", b"soc"), (b"/", b""), (b"/chosen/", b"chosen")]:
        addr = memory.sim.alloc(len(path))
        memory.sim.write(addr, path)
        node = fdt.fdt_find_path(f, u64(addr), u64(len(path)))
        assert node.off != fdt.NONE, path
        assert read_bytes(node.name, int(node.name_len)) == want
    addr = memory.sim.alloc(8)
    memory.sim.write(addr, b"/soc/x")
    assert fdt.fdt_find_path(f, u64(addr), u64(6)).off == fdt.NONE


def test_nops_and_version16() -> None:
    """NOP tokens anywhere and a version-16 header (no size_dt_struct use) parse the same."""
    plain = synthetic()
    for blob in (synthetic(nop_every=1), synthetic(nop_every=3), synthetic(version=16)):
        memory.reset_sim()
        f = open_blob(blob)
        assert walk(f) == walk_of(plain)
        assert fdt.fdt_console_uart(f) == 0x3000
        assert memory_ranges(f)[2] == 0x1000000 + 0x2000 + 0x80000000


def walk_of(blob: bytes) -> Walk:
    """walk() of a blob placed at a second address (keeps the first placement intact)."""
    addr = place(blob, base=0x3000_0000_0000)
    return walk(fdt.fdt_open(u64(addr), u64(len(blob))))


def test_cells_out_of_range_refused() -> None:
    """A root with #address-cells 3 cannot describe memory in a u64: EINVAL, not a wrong answer."""
    root = Node("").prop("#address-cells", 3).prop("#size-cells", 2)
    root.child(Node("memory@0").prop("reg", [0, 0, 0, 0, 0x1000]))
    f = open_blob(build_dtb(root))
    with pytest.raises(SysError) as e:
        fdt.fdt_memory_total(f)
    assert e.value.errno == EINVAL


# ------------------------------------------------------------------ malformed blobs


def corrupt(blob: bytes, offset: int, fmt: str, value: int) -> bytes:
    """blob with one big-endian field replaced."""
    out = bytearray(blob)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def expect_einval(blob: bytes, max_size: Optional[int] = None) -> None:
    """Opening and walking blob raises SysError(EINVAL) (at both placements)."""
    for at_end in (False, True):
        memory.reset_sim()
        with pytest.raises(SysError) as e:
            full_walk(blob, at_end, max_size)
        assert e.value.errno == EINVAL


def full_walk(blob: bytes, at_end: bool, max_size: Optional[int] = None) -> None:
    """Exercise every entry point on blob; whatever it returns, it must not fault or hang."""
    f = open_blob(blob, at_end=at_end, max_size=max_size)
    node = fdt.fdt_root(f)
    count = 0
    while node.off != fdt.NONE:
        p = fdt.fdt_first_prop(f, node)
        while p.off != fdt.NONE:
            fdt.prop_name_is(p, fdt.TAG_REG_0, u64(0), fdt.TAG_REG_N)
            fdt.prop_has_string(p, fdt.TAG_NS16550A_0, u64(0), fdt.TAG_NS16550A_N)
            p = fdt.fdt_next_prop(f, p)
        # fdt_reg walks from the root each time: a few nodes keep the fuzzer fast.
        if count < 6:
            fdt.fdt_reg(f, node, u64(0))
        count += 1
        node = fdt.fdt_next_node(f, node)
    memory_ranges(f, max_out=4)
    fdt.fdt_bootargs(f)
    fdt.fdt_console_uart(f)
    for i in range(64):
        r = fdt.fdt_reserved(f, u64(i))
        if r.base == 0 and r.length == 0:
            break


@pytest.mark.parametrize("nop_every", [0, 1])
def test_full_walk_of_good_blobs(nop_every: int, riscv_dtb: bytes, loongarch_dtb: bytes) -> None:
    """The fuzzers' walk succeeds on unmutated trees (so their EINVALs come from the damage)."""
    for blob in (synthetic(nop_every=nop_every), compact(riscv_dtb), loongarch_dtb):
        for at_end in (False, True):
            memory.reset_sim()
            full_walk(blob, at_end)


def test_bad_headers() -> None:
    """Magic, sizes, offsets, versions and alignment are all checked."""
    blob = synthetic()
    n = len(blob)
    expect_einval(corrupt(blob, 0, ">I", 0xD00DFEEE))                 # magic
    expect_einval(blob, max_size=n - 8)                              # totalsize > what we may read
    expect_einval(corrupt(blob, 4, ">I", 39))                         # totalsize < header
    expect_einval(corrupt(blob, 8, ">I", n))                          # struct at the end
    expect_einval(corrupt(blob, 8, ">I", 42))                         # struct misaligned
    expect_einval(corrupt(blob, 36, ">I", n))                         # size_dt_struct too big
    expect_einval(corrupt(blob, 12, ">I", n + 4))                     # strings past the end
    expect_einval(corrupt(blob, 32, ">I", n))                         # size_dt_strings too big
    expect_einval(corrupt(blob, 16, ">I", 44))                        # rsvmap misaligned
    expect_einval(corrupt(blob, 20, ">I", 15))                        # version too old
    expect_einval(corrupt(blob, 24, ">I", 18))                        # incompatible
    memory.reset_sim()
    addr = place(b"\0\0" + blob)
    with pytest.raises(SysError):
        fdt.fdt_open(u64(addr + 2), u64(n))                           # blob not 4-aligned


def test_bad_structure() -> None:
    """Tokens, names, property lengths and name offsets are bounded."""
    blob = synthetic()
    off_struct, off_strings = struct.unpack_from(">I", blob, 8)[0], struct.unpack_from(">I", blob, 12)[0]
    size_struct = struct.unpack_from(">I", blob, 36)[0]
    end_tok = off_struct + size_struct - 4
    expect_einval(corrupt(blob, end_tok, ">I", 7))                    # unknown token for FDT_END
    expect_einval(corrupt(blob, off_struct, ">I", fdt.FDT_PROP))      # root is not a node
    expect_einval(corrupt(blob, 36, ">I", size_struct - 4))           # FDT_END cut off
    first_prop = off_struct + 8                                      # root name "" + padding
    assert struct.unpack_from(">I", blob, first_prop)[0] == fdt.FDT_PROP
    expect_einval(corrupt(blob, first_prop + 4, ">I", 0xFFFFFFF0))    # huge property length
    expect_einval(corrupt(blob, first_prop + 8, ">I", off_strings))   # name offset past strings
    # A node name with no NUL before the end of the structure block.
    bad = bytearray(build_dtb(Node("x" * 64)))
    struct.pack_into(">I", bad, 36, 4 + 60)                          # block ends inside the name
    expect_einval(bytes(bad))


# ------------------------------------------------------------------ fuzzing

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_BASE_BLOBS: dict[str, bytes] = {}


def base_blob(kind: str) -> bytes:
    """The unmutated blobs the fuzzer starts from (built once)."""
    if kind not in _BASE_BLOBS:
        _BASE_BLOBS["synthetic"] = synthetic()
        _BASE_BLOBS["nops"] = synthetic(nop_every=2)
        _BASE_BLOBS["tiny"] = build_dtb(Node("").child(Node("chosen").prop("bootargs", "a")))
    return _BASE_BLOBS[kind]


mutation = st.one_of(
    st.tuples(st.just("byte"), st.integers(0, 1 << 16), st.integers(0, 255)),
    st.tuples(st.just("word"), st.integers(0, 1 << 14), st.sampled_from(
        [0, 1, 2, 3, 4, 9, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 40, 0xFFFFFFFC])),
    st.tuples(st.just("cut"), st.integers(0, 1 << 16), st.just(0)),
)


def mutate(blob: bytes, muts: list[tuple[str, int, int]]) -> bytes:
    """Apply byte flips, aligned word overwrites and truncations."""
    out = bytearray(blob)
    for kind, pos, val in muts:
        if not out:
            break
        if kind == "byte":
            out[pos % len(out)] = val
        elif kind == "word" and len(out) >= 4:
            at = (pos * 4) % (len(out) - 3) & ~3
            struct.pack_into(">I", out, at, val)
        elif kind == "cut":
            del out[max(pos % len(out), 1):]
            if len(out) >= 8:
                # Keep totalsize honest half of the time, so the walk gets past the header.
                if pos & 1:
                    struct.pack_into(">I", out, 4, len(out))
    return bytes(out)


def check_corrupt(blob: bytes) -> None:
    """A corrupt blob gives a clean result or SysError(EINVAL) at both placements, never a fault."""
    for at_end in (False, True):
        memory.reset_sim()
        try:
            full_walk(blob, at_end)
        except SysError as e:
            assert e.errno == EINVAL
        # memory.MemoryFault (a read outside the blob) or anything else fails the test.


@pytest.mark.slow
@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["synthetic", "nops", "tiny"]),
       muts=st.lists(mutation, min_size=1, max_size=4))
def test_fuzz_synthetic(kind: str, muts: list[tuple[str, int, int]]) -> None:
    """Mutated synthetic DTBs never fault, hang or fail with anything but EINVAL."""
    check_corrupt(mutate(base_blob(kind), muts))


@pytest.mark.slow
@settings(max_examples=40, deadline=5000, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(muts=st.lists(mutation, min_size=1, max_size=3))
def test_fuzz_qemu_riscv64(riscv_dtb: bytes, muts: list[tuple[str, int, int]]) -> None:
    """Mutated copies of QEMU's riscv64 DTB (totalsize cut to its blocks) behave the same."""
    check_corrupt(mutate(compact(riscv_dtb), muts))
