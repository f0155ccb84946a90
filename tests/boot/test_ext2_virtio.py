"""ext2 on a virtio disk end to end: an image made by mke2fs from a host directory, mounted from
/dev/vda in the guest, read, changed with busybox and the C file tests, unmounted, mounted again;
after power-off `e2fsck -fn` finds the image clean and `debugfs` reads what the guest wrote.
"""
from __future__ import annotations

import hashlib
import os
import random
import subprocess
from pathlib import Path

import pytest

from bootbuild import SharedKernels
from images import QemuConfig, run_qemu
from images.cmdline import quote_cmdline_word

pytestmark = pytest.mark.boot

BOOT_TIMEOUT = float(os.environ.get("ASTERPY_USER_TEST_TIMEOUT", "30")) * 4


def debugfs_cat(img: Path, path: str) -> bytes:
    """The bytes of path inside the ext2 image img, read by e2fsprogs' debugfs."""
    r = subprocess.run(["debugfs", "-R", f"cat {path}", str(img)], capture_output=True, check=True)
    return r.stdout


@pytest.mark.parametrize("block_size", [1024, 4096])
def test_ext2_on_virtio_blk(tmp_path: Path, shared_kernels: SharedKernels, default_initramfs: Path,
                            block_size: int) -> None:
    kernel = shared_kernels.get("x86_64")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "greeting").write_text("hello from the host\n")
    data = random.Random(block_size).randbytes(300_000)      # indirect blocks at 1 KiB
    (src / "blob").write_bytes(data)
    img = tmp_path / "disk.img"
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", str(block_size), "-d", str(src), str(img), "16M"],
                   check=True)
    script = "; ".join([
        "mkdir /m", "mount -t ext2 /dev/vda /m", "echo MOUNT $?",
        "cat /m/sub/greeting",
        "echo BLOB $(md5sum < /m/blob)",
        "echo written-by-the-guest > /m/new", "mkdir /m/d2", "cp /m/blob /m/d2/copy", "rm /m/blob",
        "ln /m/new /m/d2/link", "ln -s ../new /m/d2/sym", "mv /m/sub /m/d2/sub",
        "mkdir /m/work && cd /m/work && /tests/musl/t_fileio | tail -1 && /tests/glibc/t_dirs | tail -1 && cd /",
        "rm -r /m/work",
        "sync", "umount /m", "echo UMOUNT $?",
        "mount -t ext2 -o ro /dev/vda /m", "cat /m/d2/sym", "echo COPY $(md5sum < /m/d2/copy)",
        "touch /m/ro 2>/dev/null; echo RO $?", "umount /m",
    ])
    r = run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=BOOT_TIMEOUT, initrd=default_initramfs,
                            cmdline="init=/bin/sh asterpy.exit=1 -- -c " + quote_cmdline_word(script),
                            disks=(img,)))
    out = r.output
    assert not r.timed_out, out
    assert "MOUNT 0" in out and "UMOUNT 0" in out, out
    assert "hello from the host" in out, out
    digest = hashlib.md5(data).hexdigest()
    assert f"BLOB {digest}" in out and f"COPY {digest}" in out, out
    assert out.count("written-by-the-guest") >= 1, out
    assert "RO 1" in out, out
    summaries = [line for line in out.splitlines() if line.endswith(" failed")]
    assert len(summaries) == 2 and all(line.endswith(", 0 failed") for line in summaries), out
    assert r.exit_status == 0, out
    # The host's tools judge the image the guest left.
    fsck = subprocess.run(["e2fsck", "-fn", str(img)], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert debugfs_cat(img, "/d2/link") == b"written-by-the-guest\n"
    assert debugfs_cat(img, "/d2/copy") == data
    assert debugfs_cat(img, "/d2/sub/greeting") == b"hello from the host\n"
