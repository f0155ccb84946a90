"""The default initramfs: busybox, a minimal /etc and the user test programs, as a gzipped newc cpio.

Layout (images/out/<arch>/initramfs.cpio.gz, next to the kernel):

    /bin/busybox            Debian's busybox-static (x86_64 only: the host's /bin/busybox)
    /bin/sh, /bin/ls, ...   a symlink to /bin/busybox for every applet of `busybox --list-full`
    /etc/...                the files under images/rootfs/ (passwd, group, hostname, profile, shells)
    /dev /proc /root /tmp   empty directories (devfs fills /dev; /tmp is mode 1777)
    /tests/<libc>/t_*       tests/user/t_*.c built for the arch (musl; glibc too on x86_64)
    /tests/fuzz/sysfuzz     tests/fuzz/sysfuzz.c, the syscall fuzzer (x86_64, musl)

The archive is reproducible (sorted members, inode numbers in that order, owner root, mtime 0,
gzip without a timestamp) and cached: it is written again only when the fingerprint of its
inputs (every member's name, mode and bytes) differs from the one recorded beside it.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable, Optional

from translator.filelock import exclusive

REPO_ROOT = Path(__file__).resolve().parents[1]
ROOTFS_DIR = REPO_ROOT / "images" / "rootfs"
USER_BUILD = REPO_ROOT / "tests" / "user" / "build.py"
BUSYBOX = Path("/bin/busybox")
IMAGE_NAME = "initramfs.cpio.gz"
STAMP_NAME = "initramfs.json"
# Bump when the layout or the archive format changes (it is part of the fingerprint).
FORMAT_VERSION = 1
# User test programs per arch: (directory under /tests, tests/user/build.py target name).
USER_TARGETS: dict[str, tuple[tuple[str, str], ...]] = {
    "x86_64": (("musl", "x86_64-musl"), ("glibc", "x86_64-glibc")),
    "riscv64": (("musl", "riscv64-musl"),),
    "loongarch64": (("musl", "loongarch64-musl"),),
}
# Tools beside the tests, per arch: (directory under /tests, build target, program).
EXTRA_PROGRAMS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "x86_64": (("fuzz", "x86_64-musl", "sysfuzz"),),
}
# ELF e_machine of each arch: busybox goes in only when the host's binary is for the arch.
ELF_MACHINE = {"x86_64": 62, "riscv64": 243, "loongarch64": 258}
# Empty directories of every image, with their modes.
DIRS = {"bin": 0o755, "sbin": 0o755, "usr": 0o755, "usr/bin": 0o755, "usr/sbin": 0o755, "etc": 0o755,
        "dev": 0o755, "proc": 0o555, "sys": 0o555, "root": 0o700, "tmp": 0o1777, "tests": 0o755}

S_IFDIR, S_IFREG, S_IFLNK = 0o040000, 0o100000, 0o120000

Reporter = Callable[[str], None]


@dataclass(frozen=True)
class Member:
    """One archive member: a directory, a regular file (data) or a symlink (data is the target)."""

    name: str          # path without the leading '/'
    mode: int          # file type and permission bits
    data: bytes = b""
    strip: bool = False  # an ELF whose symbols and debug sections are dropped when written


def strip_elf(data: bytes) -> bytes:
    """data without symbols and debug sections (binutils strip), or unchanged if strip cannot."""
    if shutil.which("strip") is None:
        return data
    with tempfile.TemporaryDirectory(prefix="asterpy-strip-") as tmp:
        src, dst = Path(tmp) / "in", Path(tmp) / "out"
        src.write_bytes(data)
        proc = subprocess.run(["strip", "--strip-all", "-o", str(dst), str(src)], capture_output=True)
        return dst.read_bytes() if proc.returncode == 0 and dst.is_file() else data


def newc_header(name: str, mode: int, size: int, ino: int, nlink: int = 1) -> bytes:
    """The 110-byte newc header and the NUL-terminated name, padded to 4 bytes."""
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name_b), 0]
    out = b"070701" + b"".join(b"%08X" % f for f in fields) + name_b
    return out + b"\0" * (-len(out) % 4)


def newc_archive(members: Iterable[Member]) -> bytes:
    """A newc cpio archive of the members, in the given order, then the trailer (padded to 512)."""
    parts: list[bytes] = []
    for ino, m in enumerate(members, start=1):
        nlink = 2 if m.mode & 0o170000 == S_IFDIR else 1
        parts.append(newc_header(m.name, m.mode, len(m.data), ino, nlink))
        parts.append(m.data + b"\0" * (-len(m.data) % 4))
    parts.append(newc_header("TRAILER!!!", 0, 0, 0))
    out = b"".join(parts)
    return out + b"\0" * (-len(out) % 512)


def parse_newc(data: bytes) -> list[Member]:
    """The members of an uncompressed newc archive (for tests and `asterpy` diagnostics)."""
    out: list[Member] = []
    pos = 0
    while pos + 110 <= len(data):
        if data[pos:pos + 6] != b"070701":
            raise ValueError(f"bad newc magic at offset {pos}")
        f = [int(data[pos + 6 + 8 * i: pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = f[1], f[6], f[11]
        name = data[pos + 110: pos + 110 + namesize - 1].decode()
        pos += 110 + namesize
        pos += -pos % 4
        if name == "TRAILER!!!":
            break
        out.append(Member(name, mode, data[pos:pos + size]))
        pos += size
        pos += -pos % 4
    return out


def _load_user_build() -> ModuleType:
    """tests/user/build.py as a module (it builds and caches the C test programs)."""
    name = "asterpy_user_build"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, USER_BUILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def busybox_applets(busybox: Path = BUSYBOX) -> list[str]:
    """The applet paths busybox installs itself as (`busybox --list-full`: bin/ls, usr/bin/awk...)."""
    out = subprocess.run([str(busybox), "--list-full"], capture_output=True, text=True, check=True).stdout
    return sorted({line.strip().lstrip("/") for line in out.splitlines() if line.strip()})


def _elf_machine(path: Path) -> int:
    """The e_machine of an ELF file (0 if it is not one)."""
    with path.open("rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        return 0
    return int.from_bytes(head[18:20], "little")


def image_has_busybox(arch: str, busybox: Path = BUSYBOX) -> bool:
    """Whether the default image for arch gets busybox (the host's is an ELF for that arch)."""
    return busybox.is_file() and _elf_machine(busybox) == ELF_MACHINE[arch]


def busybox_members(arch: str, busybox: Path = BUSYBOX) -> list[Member]:
    """/bin/busybox and its applet symlinks, when the host has a busybox for arch (else none)."""
    if not image_has_busybox(arch, busybox):
        return []
    members = [Member("bin/busybox", S_IFREG | 0o755, busybox.read_bytes())]
    for applet in busybox_applets(busybox):
        if applet != "bin/busybox":
            members.append(Member(applet, S_IFLNK | 0o777, b"/bin/busybox"))
    return members


def rootfs_members(root: Path = ROOTFS_DIR) -> list[Member]:
    """The files under images/rootfs/ (their permission bits kept, owner and time not)."""
    members: list[Member] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            members.append(Member(rel, S_IFLNK | 0o777, os.readlink(path).encode()))
        elif path.is_dir():
            members.append(Member(rel, S_IFDIR | 0o755))
        else:
            perm = 0o755 if os.access(path, os.X_OK) else 0o644
            members.append(Member(rel, S_IFREG | perm, path.read_bytes()))
    return members


def user_test_members(arch: str, report: Optional[Reporter] = None) -> list[Member]:
    """tests/user/t_*.c built for arch (cached under .cache/user) as /tests/<libc>/t_*."""
    ub = _load_user_build()
    targets = USER_TARGETS.get(arch, ())
    usable = [(d, t) for d, t in targets if ub.TARGETS[t].compiler != "gcc" or shutil.which("gcc")]
    results = ub.build_all([t for _, t in usable])
    members: list[Member] = []
    for directory, target in usable:
        members.append(Member(f"tests/{directory}", S_IFDIR | 0o755))
        for prog in ub.programs():
            res = results[(target, prog)]
            if isinstance(res, Exception):
                if report:
                    report(f"  initramfs: skipped {target}/{prog}: {str(res).splitlines()[0]}")
                continue
            members.append(Member(f"tests/{directory}/{prog}", S_IFREG | 0o755, Path(res).read_bytes(),
                                  strip=True))
    for directory, target, prog in EXTRA_PROGRAMS.get(arch, ()):
        try:
            binary = ub.build_one(ub.TARGETS[target], prog)
        except ub.BuildError as exc:
            if report:
                report(f"  initramfs: skipped {target}/{prog}: {str(exc).splitlines()[0]}")
            continue
        members.append(Member(f"tests/{directory}", S_IFDIR | 0o755))
        members.append(Member(f"tests/{directory}/{prog}", S_IFREG | 0o755, binary.read_bytes(), strip=True))
    return members


def default_members(arch: str, report: Optional[Reporter] = None) -> list[Member]:
    """Every member of the default image for arch, sorted by name, parents before children."""
    by_name: dict[str, Member] = {d: Member(d, S_IFDIR | mode) for d, mode in DIRS.items()}
    for m in rootfs_members() + busybox_members(arch) + user_test_members(arch, report):
        by_name[m.name] = m
    # Every parent directory of a member is a member too (busybox lists sbin/, usr/bin/...).
    for name in list(by_name):
        parent = os.path.dirname(name)
        while parent and parent not in by_name:
            by_name[parent] = Member(parent, S_IFDIR | 0o755)
            parent = os.path.dirname(parent)
    return [by_name[n] for n in sorted(by_name, key=lambda n: n.split("/"))]


def fingerprint(members: Iterable[Member]) -> str:
    """SHA-256 over the format version and every member's name, mode and bytes."""
    h = hashlib.sha256(f"asterpy-initramfs-{FORMAT_VERSION}\n".encode())
    for m in members:
        h.update(f"{m.name}\0{m.mode:o}\0{len(m.data)}\0{int(m.strip)}\0".encode())
        h.update(m.data)
    return h.hexdigest()


def write_image(members: list[Member], out: Path, compress: bool = True) -> Path:
    """Write the archive (gzip level 6 without a timestamp, or plain) atomically to out."""
    data = newc_archive(Member(m.name, m.mode, strip_elf(m.data)) if m.strip else m for m in members)
    if compress:
        data = gzip.compress(data, compresslevel=6, mtime=0)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, out)
    return out


def initramfs_path(arch: str = "x86_64", out_dir: Optional[Path] = None) -> Path:
    """Where the default image for arch is written (images/out/<arch>/initramfs.cpio.gz)."""
    if out_dir is None:
        from translator.build import out_dir as build_out_dir
        out_dir = build_out_dir(arch)
    return Path(out_dir) / IMAGE_NAME


def build_initramfs(arch: str = "x86_64", out: Optional[Path] = None, compress: bool = True,
                    force: bool = False, report: Optional[Reporter] = None) -> Path:
    """Build (or keep, when its inputs are unchanged) the default initramfs for arch; its path.

    Builds of one image take turns (parallel test workers), so the second finds it current."""
    out = Path(out) if out is not None else initramfs_path(arch)
    with exclusive(out.parent / f".{out.name}.lock"):
        return _build_initramfs(arch, out, compress, force, report)


def _build_initramfs(arch: str, out: Path, compress: bool, force: bool,
                     report: Optional[Reporter]) -> Path:
    """build_initramfs's work, with the image's lock held."""
    say: Reporter = report or (lambda _msg: None)
    if not compress and out.name == IMAGE_NAME:
        out = out.with_name("initramfs.cpio")
    stamp = out.with_name(out.name + ".json") if out.name != IMAGE_NAME else out.with_name(STAMP_NAME)
    members = default_members(arch, say)
    digest = fingerprint(members)
    if not force and out.is_file() and stamp.is_file():
        try:
            if json.loads(stamp.read_text()).get("fingerprint") == digest:
                say(f"  initramfs    up to date   {out}")
                return out
        except ValueError:
            pass
    write_image(members, out, compress)
    stamp.write_text(json.dumps({"fingerprint": digest, "members": len(members)}, indent=1))
    say(f"  initramfs    {len(members)} members, {out.stat().st_size >> 10} KiB -> {out}")
    return out
