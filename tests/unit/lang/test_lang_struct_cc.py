"""Cross-check @struct layouts against clang (python -m ziglang cc) for x86_64, riscv64, loongarch64."""

import importlib.util
import random
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from asterpy.lang import Array, Ptr, alignof, i8, i16, i32, i64, offsetof, sizeof, struct, u8, u16, u32, u64

pytestmark = pytest.mark.skipif(importlib.util.find_spec("ziglang") is None, reason="ziglang not installed")

C_INT = {u8: "uint8_t", u16: "uint16_t", u32: "uint32_t", u64: "uint64_t",
         i8: "int8_t", i16: "int16_t", i32: "int32_t", i64: "int64_t", bool: "_Bool"}
TARGETS = ["x86_64-linux-musl", "riscv64-linux-musl", "loongarch64-linux-musl"]


def c_decl(t: Any, name: str) -> str:
    """The C declaration of a field called name of type t."""
    dims = ""
    while isinstance(t, type) and issubclass(t, Array):
        dims += f"[{t.LEN}]"
        t = t.ELEM
    if t in C_INT:
        base = C_INT[t]
    elif isinstance(t, type) and issubclass(t, Ptr):
        base = "void *"
    else:
        base = f"struct {t.__name__}"
    return f"{base} {name}{dims};"


def c_struct(cls: Any) -> str:
    """C definition and static assertions for a @struct class."""
    lay = cls.__kpy_layout__
    attr = " __attribute__((packed))" if lay.packed else ""
    n = cls.__name__
    out = [f"struct{attr} {n} {{"] + [f"    {c_decl(f.type, f.name)}" for f in lay.fields] + ["};"]
    out.append(f'_Static_assert(sizeof(struct {n}) == {sizeof(cls)}, "{n} size");')
    out.append(f'_Static_assert(_Alignof(struct {n}) == {alignof(cls)}, "{n} align");')
    for f in lay.fields:
        out.append(f'_Static_assert(offsetof(struct {n}, {f.name}) == {offsetof(cls, f.name)}, "{n}.{f.name}");')
    return "\n".join(out)


def random_structs(seed: int, count: int) -> List[Any]:
    """count random @struct classes mixing every field kind, later ones nesting earlier ones."""
    rng = random.Random(seed)
    made: List[Any] = []
    for k in range(count):
        def field_type() -> Any:
            roll = rng.random()
            if roll < 0.5:
                return rng.choice(list(C_INT))
            if roll < 0.6:
                return Ptr[rng.choice([u8, u64, *made])] if made else Ptr[u32]
            if roll < 0.8 and made:
                return rng.choice(made)
            elem = rng.choice([*C_INT, Ptr[u16], *made[-3:]])
            if rng.random() < 0.2:
                elem = Array[elem, rng.randint(1, 3)]
            return Array[elem, rng.randint(1, 5)]

        ann: Dict[str, Any] = {f"f{j}": field_type() for j in range(rng.randint(1, 7))}
        cls = type(f"R{k}", (), {"__annotations__": ann, "__module__": __name__})
        made.append(struct(packed=rng.random() < 0.3)(cls))
    return made


@struct
class Dirent64:  # linux_dirent64 with a flexible name: a zero-length trailing array
    d_ino: u64
    d_off: i64
    d_reclen: u16
    d_type: u8
    d_name: Array[u8, 0]


@struct
class Iovec:
    iov_base: Ptr[u8]
    iov_len: u64


@struct(packed=True)
class EthHdr:
    dst: Array[u8, 6]
    src: Array[u8, 6]
    proto: u16


@struct
class Frame:
    eth: EthHdr
    vec: Array[Iovec, 2]
    flags: bool
    csum: u32


def test_layouts_match_clang(tmp_path: Path) -> None:
    classes: List[Any] = [Dirent64, Iovec, EthHdr, Frame] + random_structs(seed=20240601, count=80)
    src = "#include <stddef.h>\n#include <stdint.h>\n\n" + "\n\n".join(c_struct(c) for c in classes) + "\n"
    c_file = tmp_path / "layouts.c"
    c_file.write_text(src)
    for target in TARGETS:
        r = subprocess.run([sys.executable, "-m", "ziglang", "cc", "-c", "-target", target,
                            "-Wno-zero-length-array", "-o", str(tmp_path / f"{target}.o"), str(c_file)],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{target}:\n{r.stderr[-4000:]}"
    assert sizeof(Dirent64) == 24 and offsetof(Dirent64, "d_name") == 19
