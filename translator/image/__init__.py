"""Image stage: boot media (GRUB ISO, the default initramfs) and the QEMU runners for x86_64, riscv64
and loongarch64."""
from translator.image.cmdline import quote_cmdline_word, shell_command_cmdline, split_cmdline
from translator.image.grub import grub_config, make_grub_iso
from translator.image.initramfs import build_initramfs, initramfs_path
from translator.image.qemu import (
    BOARDS,
    DEBUG_EXIT_PORT,
    KERNEL_EXIT_FAIL,
    KERNEL_EXIT_PASS,
    Board,
    QemuConfig,
    QemuResult,
    QemuSession,
    choose_accel,
    exit_status,
    kvm_usable,
    qemu_command,
    run_interactive,
    run_qemu,
    run_streaming,
)

__all__ = [
    "BOARDS", "DEBUG_EXIT_PORT", "KERNEL_EXIT_FAIL", "KERNEL_EXIT_PASS", "Board", "QemuConfig",
    "QemuResult", "QemuSession", "choose_accel", "exit_status", "grub_config", "kvm_usable",
    "make_grub_iso", "qemu_command", "run_interactive", "run_qemu",
    "build_initramfs", "initramfs_path", "quote_cmdline_word", "run_streaming", "shell_command_cmdline",
    "split_cmdline",
]
