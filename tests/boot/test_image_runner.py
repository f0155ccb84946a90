"""QEMU command lines, accelerator choice, exit-status mapping and grub.cfg, without booting."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from images import (
    QemuConfig,
    choose_accel,
    exit_status,
    grub_config,
    kvm_usable,
    qemu_command,
)

pytestmark = pytest.mark.boot


def _opt(args: list[str], flag: str) -> str:
    """The value after the first occurrence of flag."""
    return args[args.index(flag) + 1]


def test_x86_kernel_command() -> None:
    """-kernel boot: microvm, serial on stdio, exit device, cmdline, initrd, no reboot."""
    cfg = QemuConfig(kernel=Path("/k.elf"), accel="tcg", cmdline="a=b c", initrd=Path("/i.cpio"),
                     memory_mb=512)
    args = qemu_command(cfg)
    assert args[0] == "qemu-system-x86_64"
    assert _opt(args, "-M") == "microvm"
    assert _opt(args, "-accel") == "tcg"
    assert _opt(args, "-kernel") == "/k.elf"
    assert _opt(args, "-append") == "a=b c"
    assert _opt(args, "-initrd") == "/i.cpio"
    assert _opt(args, "-m") == "512"
    assert _opt(args, "-serial") == "stdio"
    assert _opt(args, "-device") == "isa-debug-exit,iobase=0xf4,iosize=0x04"
    assert "-no-reboot" in args and "-nodefaults" in args
    assert "-cpu" not in args                       # QEMU's default model under TCG
    assert "-s" not in args


def test_x86_interactive_gdb_and_kvm() -> None:
    """Interactive mode muxes serial and monitor on stdio with signal=off (Ctrl-C goes to the guest);
    gdb adds -s -S; KVM uses -cpu host."""
    args = qemu_command(QemuConfig(kernel=Path("/k"), accel="kvm", gdb=True), interactive=True)
    assert _opt(args, "-chardev") == "stdio,id=con0,mux=on,signal=off"
    assert _opt(args, "-serial") == "chardev:con0"
    assert _opt(args, "-mon") == "chardev=con0,mode=readline"
    assert "-s" in args and "-S" in args
    assert _opt(args, "-cpu") == "host"


def test_x86_cdrom_command() -> None:
    """An ISO boots on pc with SeaBIOS from the CD-ROM."""
    args = qemu_command(QemuConfig(cdrom=Path("/x.iso"), accel="tcg"))
    assert _opt(args, "-M") == "pc"
    assert "-kernel" not in args and "-bios" not in args
    assert _opt(args, "-drive") == "file=/x.iso,media=cdrom,readonly=on"
    assert _opt(args, "-boot") == "d"


def test_config_errors() -> None:
    """Exactly one of kernel/cdrom; known arches only; initrd paths QEMU would split."""
    with pytest.raises(ValueError):
        qemu_command(QemuConfig(accel="tcg"))
    with pytest.raises(ValueError):
        qemu_command(QemuConfig(kernel=Path("/k"), cdrom=Path("/c"), accel="tcg"))
    with pytest.raises(ValueError):
        qemu_command(QemuConfig(kernel=Path("/k"), arch="mips", accel="tcg"))
    with pytest.raises(ValueError):
        qemu_command(QemuConfig(kernel=Path("/k"), initrd=Path("/a,b"), accel="tcg"))


def test_other_arch_boards() -> None:
    """riscv64: virt + OpenSBI; loongarch64: virt, no firmware; neither gets isa-debug-exit."""
    rv = qemu_command(QemuConfig(kernel=Path("/k"), arch="riscv64", accel="tcg"))
    assert rv[0] == "qemu-system-riscv64"
    assert _opt(rv, "-M") == "virt" and _opt(rv, "-bios") == "default"
    assert "-device" not in rv
    la = qemu_command(QemuConfig(kernel=Path("/k"), arch="loongarch64", accel="tcg"))
    assert la[0] == "qemu-system-loongarch64"
    assert _opt(la, "-M") == "virt" and "-bios" not in la
    assert "-device" not in la


def test_exit_status_mapping() -> None:
    """isa-debug-exit: (status << 1) | 1; even codes carry no status; other arches pass through."""
    assert exit_status(33) == 0x10
    assert exit_status(35) == 0x11
    assert exit_status(1) == 0
    assert exit_status(0) is None
    assert exit_status(-15) is None
    assert exit_status(None) is None
    assert exit_status(3, arch="riscv64") == 3


def test_accel_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    """ASTERPY_ACCEL overrides; otherwise KVM only when usable; never KVM for a foreign arch."""
    monkeypatch.setenv("ASTERPY_ACCEL", "kvm")
    assert choose_accel() == "kvm"
    monkeypatch.setenv("ASTERPY_ACCEL", "tcg")
    assert choose_accel() == "tcg"
    monkeypatch.setenv("ASTERPY_ACCEL", "bogus")
    with pytest.raises(ValueError):
        choose_accel()
    monkeypatch.delenv("ASTERPY_ACCEL")
    assert choose_accel() == ("kvm" if kvm_usable() and os.uname().machine == "x86_64" else "tcg")
    assert choose_accel("riscv64") == "tcg"


def test_kvm_usable_detects_pvm() -> None:
    """kvm_usable() is False with the nested PVM module loaded or without /dev/kvm."""
    if os.path.isdir("/sys/module/kvm_pvm") or not os.path.exists("/dev/kvm"):
        assert kvm_usable() is False


def test_grub_config() -> None:
    """grub.cfg: no menu delay, serial console, multiboot2, quoted words, modules, boot."""
    cfg = grub_config("kernel.elf", "console=ttyS0 x=$y", ["module2 /boot/m0 'initrd'"])
    lines = [line.strip() for line in cfg.splitlines()]
    assert "set timeout=0" in lines
    assert "serial --unit=0 --speed=115200" in lines
    assert "terminal_output serial console" in lines
    assert "multiboot2 /boot/kernel.elf 'console=ttyS0' 'x=$y'" in lines
    assert "module2 /boot/m0 'initrd'" in lines
    assert lines.index("boot") > lines.index("module2 /boot/m0 'initrd'")
