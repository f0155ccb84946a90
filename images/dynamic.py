"""The dynamic image: Debian's own dynamically linked programs from the host, with their libraries.

The build host is Debian 12 (bookworm): its /bin/bash, coreutils, python3.11 and their shared
libraries are real Debian binaries. This recipe copies a chosen set of them, every library they
need (the loader's answer, `ldd`, followed to the end) and the host's directory symlinks
(/bin -> usr/bin, /lib64 -> usr/lib64 on a merged-/usr system), into a gzipped newc initramfs
(images/out/<arch>/dynamic.cpio.gz), beside the default image's /etc. Python gets the part of
its standard library that the modules in PYTHON_MODULES import (their source and cached
bytecode), found by running the host's python3.11 on them.

Also in it: tests/user/t_*.c linked dynamically, against glibc (gcc) as /tests/glibc-dyn/t_*
and against musl (zig cc, run by Debian's musl loader /lib/ld-musl-x86_64.so.1 when the host
has it or `apt-get download musl` can fetch it) as /tests/musl-dyn/t_*.

`python -m images.dynamic` builds it and prints its path; tests/boot/test_dynamic.py boots it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from images.initramfs import (  # noqa: E402
    DIRS, REPO_ROOT, S_IFDIR, S_IFLNK, S_IFREG, Member, Reporter, _load_user_build, fingerprint, rootfs_members,
    write_image,
)
from translator.filelock import exclusive  # noqa: E402

IMAGE_NAME = "dynamic.cpio.gz"
# Debian programs of the image (those missing on the host are left out).
PROGRAMS = (
    "/bin/bash", "/bin/dash", "/bin/sh", "/bin/ls", "/bin/cat", "/bin/echo", "/usr/bin/wc", "/usr/bin/sort",
    "/bin/uname", "/usr/bin/id", "/usr/bin/env", "/usr/bin/stat", "/bin/mkdir", "/bin/rm", "/bin/cp", "/bin/mv",
    "/bin/ln", "/usr/bin/head", "/usr/bin/tail", "/usr/bin/tr", "/bin/date", "/bin/true", "/bin/false",
    "/bin/sleep", "/bin/touch", "/bin/chmod", "/usr/bin/basename", "/usr/bin/dirname", "/usr/bin/seq",
    "/usr/bin/printf", "/bin/pwd", "/bin/readlink", "/usr/bin/sha256sum", "/usr/bin/uniq", "/usr/bin/cut",
    "/bin/grep", "/bin/sed", "/usr/bin/find", "/bin/tar", "/usr/bin/ps", "/usr/bin/python3.11",
    "/usr/bin/python3", "/bin/busybox",
)
PYTHON = "/usr/bin/python3.11"
# What the image's python can import (with everything these import in turn).
PYTHON_MODULES = ("os", "sys", "json", "subprocess", "threading", "hashlib", "tempfile", "select", "signal",
                  "socket", "encodings.utf_8", "encodings.latin_1", "encodings.ascii", "encodings.aliases")
MUSL_LOADER = "/lib/ld-musl-x86_64.so.1"
# Where the musl package is unpacked when the host does not have it installed.
MUSL_CACHE = Path.home() / ".cache" / "asterpy" / "musl"

_LDD_ARROW = re.compile(r"=>\s+(/\S+)")
_LDD_PLAIN = re.compile(r"^\s*(/\S+)\s+\(")


def needed_libraries(program: str) -> list[str]:
    """The absolute paths of every shared object program loads (its interpreter included), by ldd."""
    proc = subprocess.run(["ldd", program], capture_output=True, text=True)
    if proc.returncode != 0:
        return []           # a static program ("not a dynamic executable")
    out: list[str] = []
    for line in proc.stdout.splitlines():
        m = _LDD_ARROW.search(line) or _LDD_PLAIN.search(line)
        if m:
            out.append(m.group(1))
    return out


class Tree:
    """Members by name, filled from host paths with their symlinks kept (directories too)."""

    def __init__(self) -> None:
        self.members: dict[str, Member] = {d: Member(d, S_IFDIR | mode) for d, mode in DIRS.items()
                                           if d not in ("bin", "sbin")}

    def add_dir(self, name: str, mode: int = 0o755) -> None:
        """An empty directory (kept if something is there already)."""
        self.members.setdefault(name, Member(name, S_IFDIR | mode))

    def add_host(self, path: str, depth: int = 0) -> None:
        """The host file at path under the same name: each symlink on the way (a directory's too)
        becomes a symlink member and its target is added as well."""
        if depth > 16:
            raise ValueError(f"too many symlinks resolving {path}")
        parts = Path(path).parts[1:]
        prefix = "/"
        for i, part in enumerate(parts):
            cur = os.path.join(prefix, part)
            name = cur.lstrip("/")
            if os.path.islink(cur):
                target = os.readlink(cur)
                self.members[name] = Member(name, S_IFLNK | 0o777, target.encode())
                resolved = os.path.normpath(os.path.join(prefix, target))
                rest = os.path.join(resolved, *parts[i + 1:]) if i + 1 < len(parts) else resolved
                self.add_host(rest, depth + 1)
                return
            if i + 1 < len(parts):
                if name not in self.members:
                    self.add_dir(name)
            elif os.path.isdir(cur):
                self.add_dir(name)
            else:
                perm = os.stat(cur).st_mode & 0o7777
                self.members[name] = Member(name, S_IFREG | perm, Path(cur).read_bytes())
            prefix = cur

    def add_file(self, name: str, data: bytes, mode: int = 0o755) -> None:
        """A regular file made here (not from the host); a parent directory that is a symlink on
        the host (lib -> usr/lib) is followed, so the file lands under the directory it names."""
        parent = "/" + os.path.dirname(name)
        if os.path.isdir(parent):
            name = os.path.join(os.path.realpath(parent), os.path.basename(name)).lstrip("/")
            self.add_host(parent)
        self.members[name] = Member(name, S_IFREG | mode, data)

    def sorted_members(self) -> list[Member]:
        """Every member, parents before children (each parent directory made if missing)."""
        for name in list(self.members):
            parent = os.path.dirname(name)
            while parent and parent not in self.members:
                self.members[parent] = Member(parent, S_IFDIR | 0o755)
                parent = os.path.dirname(parent)
        return [self.members[n] for n in sorted(self.members, key=lambda n: n.split("/"))]


def python_files(python: str = PYTHON, modules: Iterable[str] = PYTHON_MODULES) -> list[str]:
    """The standard-library files python needs to start (-I) and import modules: each module's
    source and its cached bytecode, the lib-dynload extensions, and os.py (the prefix landmark)."""
    script = (
        "import sys, importlib, importlib.util, os\n"
        f"for m in {list(modules)!r}: importlib.import_module(m)\n"
        "out = set()\n"
        "for m in list(sys.modules.values()):\n"
        "    f = getattr(m, '__file__', None)\n"
        "    if not f: continue\n"
        "    out.add(f)\n"
        "    if f.endswith('.py'):\n"
        "        c = importlib.util.cache_from_source(f)\n"
        "        if os.path.exists(c): out.add(c)\n"
        "print('\\n'.join(sorted(out)))\n"
    )
    proc = subprocess.run([python, "-I", "-c", script], capture_output=True, text=True, check=True, env={})
    files = [f for f in proc.stdout.splitlines() if f.startswith("/usr/lib/python3")]
    lib = Path(files[0]).parts[:4] if files else ("/", "usr", "lib", "python3.11")
    landmark = os.path.join(*lib, "os.py")
    if landmark not in files:
        files.append(landmark)
    return files


def musl_loader() -> Optional[Path]:
    """Debian's musl loader (libc.so itself): the host's, else unpacked from `apt-get download musl`
    under ~/.cache/asterpy/musl; None if neither works."""
    if os.path.exists(MUSL_LOADER):
        return Path(os.path.realpath(MUSL_LOADER))
    cached = MUSL_CACHE / "lib/x86_64-linux-musl/libc.so"
    if cached.is_file():
        return cached
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        return None
    MUSL_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="asterpy-musl-") as tmp:
        proc = subprocess.run(["apt-get", "download", "musl"], cwd=tmp, capture_output=True)
        debs = list(Path(tmp).glob("musl_*.deb"))
        if proc.returncode != 0 or not debs:
            return None
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(MUSL_CACHE)], check=True)
    return cached if cached.is_file() else None


def build_dynamic_tests(libc: str, out_dir: Path, report: Reporter) -> dict[str, Path]:
    """tests/user/t_*.c linked dynamically against libc ("glibc": gcc; "musl": zig cc), cached in
    out_dir by source hash; {program: binary}. Programs that fail to build are reported and skipped."""
    ub = _load_user_build()
    out_dir.mkdir(parents=True, exist_ok=True)
    built: dict[str, Path] = {}
    for prog in ub.programs():
        src = ub.HERE / f"{prog}.c"
        flags = ["-O2", "-g0", "-Wall", "-std=gnu11", f"-I{ub.HERE}"]
        if libc == "glibc":
            if shutil.which("gcc") is None:
                return {}
            cmd = ["gcc"] + flags
        else:
            cmd = ub.zig_command("cc") + ["-target", "x86_64-linux-musl", "-dynamic"] + flags
        import hashlib
        key = hashlib.sha256((" ".join(cmd) + "\0").encode() + src.read_bytes()
                             + ub.HEADER.read_bytes()).hexdigest()[:16]
        out = out_dir / f"{prog}-{key}"
        if not out.is_file():
            proc = subprocess.run(cmd + ["-o", str(out), str(src), "-lpthread"], capture_output=True, text=True,
                                  env=ub.zig_env() if libc == "musl" else None)
            if proc.returncode != 0:
                report(f"  dynamic: {libc} {prog} did not build: {proc.stderr.strip().splitlines()[-1:]}")
                continue
        built[prog] = out
    return built


GLIBC_INTERP = b"/lib64/ld-linux-x86-64.so.2\0"
# Interpreter paths patched into copies of /bin/true for exec's error cases (no longer than
# GLIBC_INTERP; NUL padded): one that does not exist (ENOENT), one without an x bit (EACCES), one
# that is not an ELF (ELIBBAD) and one too short for an ELF header (EIO).
BAD_INTERPS = {"missing": b"/lib64/ld-missing.so.2", "notexec": b"/etc/hostname",
               "notelf": b"/tests/badinterp/sh", "short": b"/tests/badinterp/s"}
# The "interpreters" of notelf and short: executable scripts, one longer than an ELF header
# (ELIBBAD), one shorter (EIO: Linux cannot read the header).
NOT_ELF_INTERP = b"#!/bin/sh\n" + b"# not an ELF interpreter\n" * 4
SHORT_INTERP = b"#!/bin/sh\n"


def with_interp(data: bytes, interp: bytes) -> bytes:
    """data (a glibc program) with its PT_INTERP path replaced by interp, NUL padded."""
    at = data.index(GLIBC_INTERP)
    if len(interp) >= len(GLIBC_INTERP):
        raise ValueError("the new interpreter path is too long")
    return data[:at] + interp.ljust(len(GLIBC_INTERP), b"\0") + data[at + len(GLIBC_INTERP):]


def dynamic_members(report: Optional[Reporter] = None) -> list[Member]:
    """Every member of the dynamic image."""
    say: Reporter = report or (lambda _msg: None)
    tree = Tree()
    for m in rootfs_members():
        tree.members[m.name] = m
    programs = [p for p in PROGRAMS if os.path.lexists(p)]
    libs: set[str] = set()
    for prog in programs:
        tree.add_host(prog)
        libs.update(needed_libraries(prog))
    true_data = Path(os.path.realpath("/bin/true")).read_bytes()
    tree.add_file("tests/badinterp/sh", NOT_ELF_INTERP)
    tree.add_file("tests/badinterp/s", SHORT_INTERP)
    for name, interp in BAD_INTERPS.items():
        tree.add_file(f"tests/badinterp/{name}", with_interp(true_data, interp))
    glibc_tests = build_dynamic_tests("glibc", REPO_ROOT / ".cache" / "user-dyn" / "glibc", say)
    for prog, path in glibc_tests.items():
        tree.add_file(f"tests/glibc-dyn/{prog}", path.read_bytes())
        libs.update(needed_libraries(str(path)))
    for lib in sorted(libs):
        tree.add_host(lib)
    if os.path.exists(PYTHON):
        for f in python_files():
            tree.add_host(f)
        tree.add_dir(os.path.join(os.path.dirname(python_files()[0]).lstrip("/"), "lib-dynload"))
    loader = musl_loader()
    if loader is not None:
        musl_tests = build_dynamic_tests("musl", REPO_ROOT / ".cache" / "user-dyn" / "musl", say)
        tree.add_file(MUSL_LOADER.lstrip("/"), loader.read_bytes())
        for prog, path in musl_tests.items():
            tree.add_file(f"tests/musl-dyn/{prog}", path.read_bytes())
    else:
        say("  dynamic: no musl loader (host package musl, or apt-get download musl): no musl tests")
    return tree.sorted_members()


def dynamic_image_path(arch: str = "x86_64") -> Path:
    """Where the dynamic image is written (images/out/<arch>/dynamic.cpio.gz)."""
    from translator.build import out_dir
    return Path(out_dir(arch)) / IMAGE_NAME


def build_dynamic_image(out: Optional[Path] = None, compress: bool = True, force: bool = False,
                        report: Optional[Reporter] = None) -> Path:
    """Build (or keep, when its inputs are unchanged) the dynamic image; its path (x86_64 only)."""
    say: Reporter = report or (lambda _msg: None)
    out = Path(out) if out is not None else dynamic_image_path()
    out.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(out.parent / f".{out.name}.lock"):
        members = dynamic_members(say)
        digest = fingerprint(members)
        stamp = out.with_name(out.name + ".json")
        if not force and out.is_file() and stamp.is_file():
            try:
                if json.loads(stamp.read_text()).get("fingerprint") == digest:
                    return out
            except ValueError:
                pass
        write_image(members, out, compress)
        size = sum(len(m.data) for m in members)
        stamp.write_text(json.dumps({"fingerprint": digest, "members": len(members), "bytes": size}, indent=1))
        say(f"  dynamic      {len(members)} members, {size >> 20} MiB, {out.stat().st_size >> 20} MiB archive -> {out}")
    return out


if __name__ == "__main__":
    print(build_dynamic_image(force="--force" in sys.argv, report=print))
