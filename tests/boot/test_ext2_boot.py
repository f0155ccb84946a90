"""ext2 in the kernel before there is a disk driver: an mke2fs image in the initramfs becomes RAM
disk ram0 (asterpy.ramdisk=), busybox mounts it, reads what the host wrote, writes, renames,
links and removes, unmounts, and mounts it again read-only."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from bootbuild import SharedKernels
from images import QemuConfig, run_qemu
from images.cmdline import shell_command_cmdline

BOOT_TIMEOUT = 240.0
SCRIPT = (
    "mkdir -p /m && mount -t ext2 /dev/ram0 /m && cat /m/hello && md5sum /m/sub/big"
    " && echo written > /m/new && mkdir /m/d && mv /m/new /m/d/x && ln /m/d/x /m/hl && rm /m/hello"
    " && ln -s d/x /m/sl && (rmdir /m/d || echo rmdir-refused)"
    " && dd if=/dev/zero of=/m/zero bs=1024 count=700 2>/dev/null && truncate -s 100 /m/zero"
    " && stat -c 'nlink=%h' /m/hl && sync && df /m | tail -1 && grep ' /m ext2 ' /proc/mounts"
    " && umount /m && mount -t ext2 -o ro /dev/ram0 /m && cat /m/d/x /m/sl && stat -c 'size=%s' /m/zero"
    " && ls /m | tr '\\n' ' ' && echo && (touch /m/ro 2>/dev/null || echo touch-refused) && umount /m && echo EXT2-DONE"
)


def newc(name: bytes, data: bytes) -> bytes:
    """A newc archive with one regular file and the trailer."""
    out = bytearray()
    for i, (n, mode, d) in enumerate([(name, 0o100644, data), (b"TRAILER!!!", 0, b"")]):
        fields = [i + 900000, mode, 0, 0, 1, 0, len(d), 0, 0, 0, 0, len(n) + 1, 0]
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + n + b"\0"
        out += b"\0" * (-len(out) % 4)
        out += d
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def boot_with_disk(shared_kernels: SharedKernels, default_initramfs: Path, tmp_path: Path, img: Path,
                   script: str, memory_mb: int = 256) -> str:
    """Boot the default image plus img as /disk.img (RAM disk ram0), run script under sh: the output."""
    kernel = shared_kernels.get("x86_64")
    from images.initramfs import build_initramfs
    base = build_initramfs("x86_64", out=default_initramfs.with_name("initramfs.cpio"), compress=False)
    initrd = tmp_path / "initrd.cpio"
    initrd.write_bytes(base.read_bytes() + newc(b"disk.img", img.read_bytes()))
    res = run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=BOOT_TIMEOUT, initrd=initrd,
                              memory_mb=memory_mb,
                              cmdline=shell_command_cmdline(script, "asterpy.ramdisk=/disk.img")))
    return res.output


def test_c_file_tests_on_ext2(shared_kernels: SharedKernels, default_initramfs: Path, tmp_path: Path) -> None:
    """The C file-system tests that run on the ramfs (t_dirs, t_fileio, t_mm with its shared file
    mapping; musl and glibc) pass with their working directory on an ext2 mount."""
    (tmp_path / "empty").mkdir()
    img = tmp_path / "disk.img"
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096", "-d", str(tmp_path / "empty"), str(img),
                    "16384k"], check=True, capture_output=True)
    script = ("mkdir -p /m && mount -t ext2 /dev/ram0 /m && cd /m && for t in t_dirs t_fileio t_mm; do"
              " for l in musl glibc; do echo \"$l/$t: $(/tests/$l/$t | tail -1)\"; done; done; cd / && umount /m"
              " && echo EXT2-DONE")
    out = boot_with_disk(shared_kernels, default_initramfs, tmp_path, img, script, memory_mb=512)
    assert "EXT2-DONE" in out, out
    for t in ("t_dirs", "t_fileio", "t_mm"):
        for libc in ("musl", "glibc"):
            line = [x for x in out.splitlines() if x.startswith(f"{libc}/{t}: ")]
            assert line and line[0].endswith(" passed, 0 failed"), out
    assert "ext2:" not in out, out


def test_ext2_on_ramdisk(shared_kernels: SharedKernels, default_initramfs: Path, tmp_path: Path) -> None:
    """Everything the script does succeeds, in order, with the host's data."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "hello").write_bytes(b"hello from mke2fs\n")
    big = bytes((i * 7 + 3) % 251 for i in range(300000))
    (src / "sub" / "big").write_bytes(big)
    img = tmp_path / "disk.img"
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024", "-d", str(src), str(img), "2048k"],
                   check=True, capture_output=True)
    out = boot_with_disk(shared_kernels, default_initramfs, tmp_path, img, SCRIPT)
    assert "EXT2-DONE" in out, out
    assert "hello from mke2fs" in out
    assert hashlib.md5(big).hexdigest() in out
    assert "rmdir-refused" in out and "touch-refused" in out
    assert "nlink=2" in out and "size=100" in out
    assert "written\nwritten" in out
    assert "/dev/ram0 /m ext2 rw" in out
    assert "d hl lost+found sl sub zero" in out
    assert "ext2:" not in out, out          # no corruption or write-back warnings

