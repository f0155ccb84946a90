"""Static linking with ld.lld from the ziglang wheel."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional, Union

from translator.toolchain import ld_lld

PathLike = Union[str, Path]


def link(objects: Iterable[PathLike], out_path: PathLike, linker_script: Optional[PathLike] = None,
         entry: Optional[str] = None, extra_args: Iterable[str] = (), gc_sections: bool = False,
         map_file: Optional[PathLike] = None) -> Path:
    """Link `objects` into a static ELF at `out_path` (no dynamic linker, symbols kept)."""
    objs = [str(o) for o in objects]
    if not objs:
        raise ValueError("link: no input objects")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    # -static/--no-dynamic-linker: a kernel has no PT_INTERP and no shared libraries;
    # -nostdlib: never search the host's library directories. Symbols are kept (no -s) for
    # backtraces, addr2line and gdb.
    args = ["-static", "--no-dynamic-linker", "-nostdlib", "-o", str(out)]
    if linker_script is not None:
        args += ["-T", str(linker_script)]
    if entry is not None:
        args += ["--entry", entry]
    if gc_sections:
        args.append("--gc-sections")
    if map_file is not None:
        args += ["-Map", str(map_file)]
    ld_lld(args + list(extra_args) + objs)
    return out
