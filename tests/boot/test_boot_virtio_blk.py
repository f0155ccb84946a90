"""virtio-blk end to end: raw images made on the host, `asterpy run --disk`'s QEMU set-up, /dev/vda in the guest.

One boot (pc machine, two disks, MSI-X completions) reads known ranges of vda and compares their md5 with the host's,
reads at and across the end, writes at unaligned offsets and a multi-request run, and runs the C
test t_blockdev (musl and glibc) on vdb, a scratch disk; after power-off the host reads the images
back: every byte written by the guest is there, every other byte unchanged.
"""
from __future__ import annotations

import hashlib
import os
import random
import re
from pathlib import Path

import pytest

from bootbuild import SharedKernels
from images import QemuConfig, run_qemu
from images.cmdline import quote_cmdline_word
from images.qemu import disk_args, qemu_command

pytestmark = pytest.mark.boot

BOOT_TIMEOUT = float(os.environ.get("ASTERPY_USER_TEST_TIMEOUT", "30")) * 3
VDA_SECTORS = 8192          # 4 MiB
VDB_SECTORS = 2048          # 1 MiB
MARKER = b"ASTERPY-SCRATCH\n"
TEXT = b"written-by-the-guest"
TEXT_OFF = 123457           # unaligned, crosses no sector boundary check needed
RUN_OFF = 512 * 1000 + 3    # 70000 bytes from here: several sectors, both ends partial


def md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


def test_disk_args_attach_virtio_blk_pci(tmp_path: Path) -> None:
    img = tmp_path / "a,b.img"
    img.write_bytes(bytes(512))
    args = disk_args("x86_64", [img])
    assert args == ["-drive", f"file={tmp_path}/a,,b.img,format=raw,if=none,id=disk0,cache=writeback",
                    "-device", "virtio-blk-pci,drive=disk0"]
    cmd = qemu_command(QemuConfig(kernel=img, accel="tcg", disks=(img,)))
    assert cmd[cmd.index("-M") + 1] == "pc"        # microvm has no PCI bus
    assert disk_args("riscv64", [img])[:2] == ["-global", "virtio-mmio.force-legacy=false"]
    assert disk_args("riscv64", [img])[-1] == "virtio-blk-device,drive=disk0"
    with pytest.raises(ValueError):
        disk_args("loongarch64", [img])
    with pytest.raises(ValueError):
        disk_args("x86_64", [tmp_path / "missing.img"])


def test_guest_reads_and_writes_virtio_disks(tmp_path: Path, shared_kernels: SharedKernels,
                                             default_initramfs: Path) -> None:
    kernel = shared_kernels.get("x86_64")
    rng = random.Random(13)
    vda_data = rng.randbytes(VDA_SECTORS * 512)
    vdb_data = MARKER + rng.randbytes(VDB_SECTORS * 512 - len(MARKER))
    vda, vdb = tmp_path / "vda.img", tmp_path / "vdb.img"
    vda.write_bytes(vda_data)
    vdb.write_bytes(vdb_data)
    reads = [(0, 1), (7, 13), (4000, 257), (VDA_SECTORS - 3, 3)]
    script = "; ".join(
        [f"echo R{s}_{c} $(dd if=/dev/vda bs=512 skip={s} count={c} 2>/dev/null | md5sum)" for s, c in reads]
        + ["echo ALL $(md5sum < /dev/vda)",
           # Two readers at once: their requests interleave on the one queue.
           "md5sum < /dev/vda > /tmp/p1 & md5sum < /dev/vda > /tmp/p2; wait; echo PAR $(cat /tmp/p1 /tmp/p2)",
           f"echo TAIL $(dd if=/dev/vda bs=1 skip={VDA_SECTORS * 512 - 5} count=100 2>/dev/null | wc -c)",
           f"echo END $(dd if=/dev/vda bs=512 skip={VDA_SECTORS} count=4 2>/dev/null | wc -c)",
           "ls -l /dev/vda /dev/vdb",
           f"printf {TEXT.decode()} | dd of=/dev/vda bs=1 seek={TEXT_OFF} conv=notrunc 2>/dev/null",
           f"yes asterpy | head -c 70000 > /tmp/run && dd if=/tmp/run of=/dev/vda bs=4096 seek={RUN_OFF} "
           "oflag=seek_bytes conv=notrunc 2>/dev/null; echo DD $?",
           "echo SPACE $(printf x | dd of=/dev/vdb bs=512 seek=%d 2>&1 | grep -c 'No space')" % VDB_SECTORS,
           "KT_BLOCKDEV=/dev/vdb /tests/musl/t_blockdev | tail -1",
           "KT_BLOCKDEV=/dev/vdb /tests/glibc/t_blockdev | tail -1",
           "sync"])
    r = run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=BOOT_TIMEOUT, initrd=default_initramfs,
                            # Not quiet: the boot log says how each disk completes requests.
                            cmdline="init=/bin/sh asterpy.exit=1 -- -c " + quote_cmdline_word(script),
                            disks=(vda, vdb)))
    out = r.output
    assert not r.timed_out, out
    # MSI-X wakes the waiting shell (a lost interrupt would cost each request 30 s: a timeout).
    assert re.search(r"virtio-blk: vda: 8192 sectors \(4 MiB\) pci 00:0\w\.0 flush, msi-x$", out, re.M), out
    assert re.search(r"virtio-blk: vdb: 2048 sectors \(1 MiB\) .* msi-x$", out, re.M), out
    for s, c in reads:
        assert f"R{s}_{c} {md5(vda_data[s * 512:(s + c) * 512])}" in out, out
    assert f"ALL {md5(vda_data)}" in out, out
    assert f"PAR {md5(vda_data)} - {md5(vda_data)} -" in out, out
    assert "TAIL 5" in out and "END 0" in out, out
    assert re.search(r"^brw-rw----\s+1 root\s+root\s+254,\s+0 .* /dev/vda$", out, re.M), out
    assert re.search(r"^brw-rw----\s+1 root\s+root\s+254,\s+16 .* /dev/vdb$", out, re.M), out
    assert "DD 0" in out and "SPACE 1" in out, out
    summaries = re.findall(r"^(\d+) passed, (\d+) failed$", out, re.M)
    assert len(summaries) == 2 and all(int(p) > 30 and f == "0" for p, f in summaries), out
    assert r.exit_status == 0, out

    # After power-off the host sees exactly what the guest wrote.
    expect = bytearray(vda_data)
    expect[TEXT_OFF:TEXT_OFF + len(TEXT)] = TEXT
    run = (b"asterpy\n" * 9000)[:70000]
    expect[RUN_OFF:RUN_OFF + len(run)] = run
    got = vda.read_bytes()
    assert len(got) == len(expect)
    assert got == bytes(expect), [i for i in range(len(got)) if got[i] != expect[i]][:10]
    # vdb: t_blockdev kept its marker and wrote only where it says (ranges it checks itself).
    assert vdb.read_bytes()[:16] == MARKER


def test_riscv64_finds_virtio_mmio_disks_in_command_line_order(tmp_path: Path,
                                                                 shared_kernels: SharedKernels) -> None:
    """riscv64 virt: virtio-mmio version 2 transports; the first --disk is vda, sizes from the config space."""
    kernel = shared_kernels.get("riscv64")
    a, b = tmp_path / "a.img", tmp_path / "b.img"
    a.write_bytes(bytes(3 << 20))
    b.write_bytes(bytes(1 << 20))
    r = run_qemu(QemuConfig(arch="riscv64", kernel=kernel.kernel, accel="tcg", timeout=BOOT_TIMEOUT,
                            cmdline="asterpy.exit=1", disks=(a, b)))
    out = r.output
    assert re.search(r"virtio-blk: vda: 6144 sectors \(3 MiB\) virtio-mmio 0x10008000 flush, polled$", out, re.M), out
    assert re.search(r"virtio-blk: vdb: 2048 sectors \(1 MiB\) virtio-mmio 0x10007000 flush, polled$", out, re.M), out
    assert "cannot use it" not in out, out
