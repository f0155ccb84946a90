"""Boot the x86_64 shim + stub kmain under QEMU/TCG through multiboot1, PVH and GRUB multiboot2."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

import pytest

from images import KERNEL_EXIT_PASS, QemuConfig, QemuResult, run_qemu

pytestmark = pytest.mark.boot

MB1_MAGIC = 0x2BADB002
MB2_MAGIC = 0x36D76289
PVH_MAGIC = 0x336EC578
QBOOT = "/usr/share/qemu/qboot.rom"

STUB_LINE = re.compile(
    r"asterpy stub kmain: magic=0x(?P<magic>[0-9a-f]+) info=0x(?P<info>[0-9a-f]+) "
    r"info0=0x(?P<info0>[0-9a-f]+) rip=0x(?P<rip>[0-9a-f]+) rsp=0x(?P<rsp>[0-9a-f]+) "
    r"cr0=0x(?P<cr0>[0-9a-f]+) cr4=0x(?P<cr4>[0-9a-f]+) efer=0x(?P<efer>[0-9a-f]+) "
    r"stack=(?P<stack>\w+) direct=(?P<direct>\w+)")


def _stub_report(result: QemuResult) -> dict[str, int | str]:
    """Parse the stub's line from the serial output, failing with QEMU's output if it is absent."""
    m = STUB_LINE.search(result.output)
    assert m, (f"no stub line (rc={result.returncode}, timed_out={result.timed_out})\n"
               f"serial:\n{result.output[-2000:]}\nstderr:\n{result.stderr[-2000:]}")
    return {k: (v if k in ("stack", "direct") else int(v, 16)) for k, v in m.groupdict().items()}


def _check_cpu_state(report: dict[str, int | str]) -> None:
    """What the shim promises kmain: long mode, higher half, paging, SSE enabled, aligned stack."""
    cr0, cr4, efer = int(report["cr0"]), int(report["cr4"]), int(report["efer"])
    assert int(report["rip"]) >= 0xFFFFFFFF80000000, "kmain does not run in the higher half"
    assert int(report["rsp"]) >= 0xFFFFFFFF80000000, "the stack is not the higher-half boot stack"
    assert cr0 & (1 << 31) and cr0 & 1, "paging / protection off"
    assert cr0 & (1 << 1), "CR0.MP clear"
    assert not cr0 & (1 << 2), "CR0.EM set: SSE would fault"
    assert not cr0 & (1 << 3), "CR0.TS set"
    assert cr0 & (1 << 16), "CR0.WP clear"
    assert cr4 & (1 << 5), "CR4.PAE clear"
    assert cr4 & (1 << 9) and cr4 & (1 << 10), "CR4.OSFXSR/OSXMMEXCPT clear"
    assert efer & (1 << 8) and efer & (1 << 10), "EFER.LME/LMA clear"
    assert efer & (1 << 11), "EFER.NXE clear (QEMU's default CPU has NX)"
    assert report["stack"] == "ok", "rsp was not 16-byte aligned at the call"
    assert report["direct"] == "ok", "identity, higher-half and direct maps disagree"


def _boot(kernel: Optional[Path] = None, cdrom: Optional[Path] = None, timeout: float = 10.0,
          **kw: Any) -> QemuResult:
    """Boot under TCG and return the captured result."""
    cfg = QemuConfig(kernel=kernel, cdrom=cdrom, accel="tcg", timeout=timeout, **kw)
    return run_qemu(cfg)


@pytest.mark.parametrize("machine,bios", [("microvm", None), ("pc", QBOOT), ("pc", None)],
                         ids=["microvm", "pc-qboot", "pc-seabios"])
def test_multiboot1_kernel_boot(qemu_x86: str, stub_kernel: Path, machine: str,
                                bios: Optional[str]) -> None:
    """-kernel with all headers: QEMU 7.2 takes multiboot1 (it tries it before the PVH note)."""
    result = _boot(stub_kernel, machine=machine, bios=bios)
    report = _stub_report(result)
    assert report["magic"] == MB1_MAGIC
    assert int(report["info0"]) & 0x41 == 0x41, "multiboot1 info lacks mem_* / mmap_* flags"
    _check_cpu_state(report)
    assert not result.timed_out
    assert result.exit_status == KERNEL_EXIT_PASS
    assert result.elapsed < 5.0


@pytest.mark.parametrize("machine,bios", [("microvm", None), ("pc", None)],
                         ids=["microvm", "pc-seabios"])
def test_pvh_kernel_boot(qemu_x86: str, stub_kernel_pvh: Path, machine: str,
                         bios: Optional[str]) -> None:
    """-kernel without the multiboot1 header: QEMU enters through the PVH note."""
    result = _boot(stub_kernel_pvh, machine=machine, bios=bios)
    report = _stub_report(result)
    assert report["magic"] == PVH_MAGIC
    assert report["info0"] == PVH_MAGIC, "hvm_start_info.magic wrong or not reachable"
    _check_cpu_state(report)
    assert result.exit_status == KERNEL_EXIT_PASS
    assert result.elapsed < 5.0


def test_grub_iso_multiboot2_boot(qemu_x86: str, stub_iso: Path) -> None:
    """GRUB 2.06 from a BIOS ISO loads the ELF with multiboot2 and jumps to the shim."""
    result = _boot(cdrom=stub_iso, timeout=30.0)
    report = _stub_report(result)
    assert report["magic"] == MB2_MAGIC
    assert int(report["info0"]) > 8, "multiboot2 total_size implausible"
    _check_cpu_state(report)
    assert result.exit_status == KERNEL_EXIT_PASS
    assert result.elapsed < 20.0


def test_cmdline_and_initrd_accepted(qemu_x86: str, stub_kernel: Path, tmp_path: Path) -> None:
    """QEMU takes -append and an -initrd module with the multiboot1 image and still boots it."""
    initrd = tmp_path / "initrd.bin"
    initrd.write_bytes(b"\x00" * 8192)
    result = _boot(stub_kernel, cmdline="console=ttyS0 init=/bin/sh", initrd=initrd)
    report = _stub_report(result)
    assert report["magic"] == MB1_MAGIC
    assert int(report["info0"]) & (1 << 2 | 1 << 3) == (1 << 2 | 1 << 3), "no cmdline/mods flags"


def test_until_stops_early_and_timeout_is_reported(qemu_x86: str, stub_kernel: Path) -> None:
    """Without the exit device the stub returns and the shim halts: `until` and timeouts work."""
    cfg = QemuConfig(kernel=stub_kernel, accel="tcg", debug_exit=False, timeout=5.0)
    hit = run_qemu(cfg, until="direct=ok")
    assert hit.matched and hit.match_time is not None and hit.match_time < 5.0
    assert not hit.timed_out and hit.exit_status is None

    cfg.timeout = 1.0
    hung = run_qemu(cfg)
    assert hung.timed_out and hung.exit_status is None
    assert 1.0 <= hung.elapsed < 4.0
    assert "asterpy stub kmain" in hung.output


def test_triple_fault_ends_qemu(qemu_x86: str, boot_build_dir: Path) -> None:
    """A kmain that faults (no IDT yet) triple-faults; -no-reboot makes QEMU exit with no status."""
    from bootbuild import BOOT_S, assemble, link

    src = boot_build_dir / "kmain_ud2.S"
    src.write_text(".text\n.globl kmain\nkmain:\n    ud2\n")
    kernel = link([assemble(BOOT_S, boot_build_dir / "ud2-boot.o"),
                   assemble(src, boot_build_dir / "ud2-kmain.o")], boot_build_dir / "ud2.elf")
    result = _boot(kernel)
    assert not result.timed_out and result.returncode == 0
    assert result.exit_status is None and result.output == ""
