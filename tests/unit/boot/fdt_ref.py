"""Test helpers for the FDT reader: a tiny DTB builder, a pure-Python reference parser, a dts
reader for dtc's output, and placing blobs in simulated memory."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

from asterpy.lang import memory

MAGIC = 0xD00DFEED
BEGIN_NODE, END_NODE, PROP, NOP, END = 1, 2, 3, 4, 9
PAGE = 4096
# Far from the simulation's bump arena, so the pages around a placed blob stay unmapped.
PLACE_BASE = 0x2000_0000_0000

# The command line the riscv64 DTB fixture carries in /chosen bootargs.
RISCV_BOOTARGS = "console=ttyS0 root=/dev/vda init=/bin/sh"

PropValue = Union[bytes, str, int, Sequence[int]]


@dataclass
class Node:
    """A device-tree node: name (with unit address), properties in order, children in order."""

    name: str
    props: list[tuple[str, bytes]] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)

    def prop(self, name: str, value: PropValue) -> "Node":
        """Add a property: bytes as is, str NUL-terminated, int one cell, list of ints cells."""
        if isinstance(value, str):
            data = value.encode() + b"\0"
        elif isinstance(value, int):
            data = struct.pack(">I", value)
        elif isinstance(value, (bytes, bytearray)):
            data = bytes(value)
        else:
            data = b"".join(struct.pack(">I", v) for v in value)
        self.props.append((name, data))
        return self

    def child(self, node: "Node") -> "Node":
        """Add a child node and return self."""
        self.children.append(node)
        return self


def cells(*values: int, width: int = 2) -> list[int]:
    """Split each value into `width` big-endian 32-bit cells."""
    out: list[int] = []
    for v in values:
        out += [(v >> (32 * (width - 1 - i))) & 0xFFFFFFFF for i in range(width)]
    return out


def build_dtb(root: Node, reserved: Sequence[tuple[int, int]] = (), version: int = 17,
              nop_every: int = 0, boot_cpuid: int = 0, pad: int = 0) -> bytes:
    """Encode a tree as a DTB (header, reservation map, structure, strings); pad adds free space."""
    strings = bytearray()
    offsets: dict[str, int] = {}
    body = bytearray()
    count = 0

    def token(t: int) -> None:
        """Append token t (after a NOP every nop_every tokens)."""
        nonlocal count
        count += 1
        if nop_every and count % nop_every == 0:
            body.extend(struct.pack(">I", NOP))
        body.extend(struct.pack(">I", t))

    def emit(node: Node) -> None:
        """Append node, its properties and its children."""
        token(BEGIN_NODE)
        body.extend(node.name.encode() + b"\0")
        while len(body) % 4:
            body.append(0)
        for name, data in node.props:
            if name not in offsets:
                offsets[name] = len(strings)
                strings.extend(name.encode() + b"\0")
            token(PROP)
            body.extend(struct.pack(">II", len(data), offsets[name]))
            body.extend(data)
            while len(body) % 4:
                body.append(0)
        for c in node.children:
            emit(c)
        token(END_NODE)

    emit(root)
    token(END)
    rsv = b"".join(struct.pack(">QQ", b, s) for b, s in reserved) + struct.pack(">QQ", 0, 0)
    off_rsv = 40
    off_struct = off_rsv + len(rsv)
    off_strings = off_struct + len(body)
    total = off_strings + len(strings) + pad
    total = (total + 7) & ~7
    header = struct.pack(">10I", MAGIC, total, off_struct, off_strings, off_rsv, version, 16,
                         boot_cpuid, len(strings), len(body))
    blob = header + rsv + bytes(body) + bytes(strings)
    return blob + bytes(total - len(blob))


def compact(blob: bytes) -> bytes:
    """The same DTB with totalsize cut to the end of its last block (QEMU pads to 1 MiB)."""
    words = struct.unpack_from(">10I", blob)
    end = max(words[2] + words[9], words[3] + words[8], 40)
    end = (end + 7) & ~7
    out = bytearray(blob[:end])
    struct.pack_into(">I", out, 4, end)
    return bytes(out)


@dataclass
class RefNode:
    """A node as the reference parser sees it."""

    path: str
    depth: int
    name: str
    props: list[tuple[str, bytes]]


def ref_parse(blob: bytes) -> list[RefNode]:
    """Decode a well-formed DTB independently of asterpy.boot.fdt; nodes in document order."""
    magic, total, off_struct, off_strings = struct.unpack_from(">4I", blob)
    assert magic == MAGIC
    pos = off_struct
    nodes: list[RefNode] = []
    stack: list[RefNode] = []
    while True:
        (tok,) = struct.unpack_from(">I", blob, pos)
        pos += 4
        if tok == BEGIN_NODE:
            end = blob.index(b"\0", pos)
            name = blob[pos:end].decode()
            pos = (end + 4) & ~3
            path = "/" if not stack else stack[-1].path.rstrip("/") + "/" + name
            node = RefNode(path, len(stack), name, [])
            nodes.append(node)
            stack.append(node)
        elif tok == END_NODE:
            stack.pop()
        elif tok == PROP:
            length, nameoff = struct.unpack_from(">II", blob, pos)
            pos += 8
            s = off_strings + nameoff
            pname = blob[s:blob.index(b"\0", s)].decode()
            stack[-1].props.append((pname, blob[pos:pos + length]))
            pos = (pos + length + 3) & ~3
        elif tok == NOP:
            continue
        elif tok == END:
            return nodes
        else:
            raise AssertionError(f"bad token {tok}")


def dts_structure(dts: str) -> list[tuple[str, list[str]]]:
    """(path, property names) per node from `dtc -O dts` text, in document order."""
    out: list[tuple[str, list[str]]] = []
    stack: list[int] = []
    for raw in dts.splitlines():
        line = raw.strip()
        if not line or line.startswith("/dts-v1/") or line.startswith("/memreserve/"):
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            if ":" in name and not name.startswith("/"):
                name = name.split(":", 1)[1].strip()   # drop a label
            if name == "/":
                path = "/"
            else:
                parent = out[stack[-1]][0]
                path = (parent.rstrip("/") + "/" + name)
            out.append((path, []))
            stack.append(len(out) - 1)
        elif line == "};":
            stack.pop()
        else:
            pname = line.split("=", 1)[0].rstrip(";").strip()
            out[stack[-1]][1].append(pname)
    return out


def place(blob: bytes, at_end: bool = False, base: int = PLACE_BASE) -> int:
    """Write blob into simulated memory with unmapped pages around it; its address.

    at_end=False starts it on a page boundary (a read below it faults); at_end=True ends it on
    one, 8-byte aligned (a read past it faults).  The simulation maps whole pages.
    """
    sim = memory.sim
    size = max(len(blob), 1)
    pages = (size + 7 + PAGE - 1) // PAGE
    sim.map(base, pages * PAGE)
    addr = base
    if at_end:
        addr = base + pages * PAGE - ((len(blob) + 7) & ~7)
    sim.write(addr, blob)
    return addr


def read_bytes(addr: int, n: int) -> bytes:
    """n bytes of simulated memory at addr."""
    return memory.sim.read(int(addr), int(n))


def ref_prop(nodes: list[RefNode], path: str, name: str) -> Optional[bytes]:
    """The value of property `name` of the node at `path`, or None."""
    for n in nodes:
        if n.path == path:
            for pname, data in n.props:
                if pname == name:
                    return data
    return None
