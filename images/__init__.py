"""Boot images and running them: boot media (GRUB ISO, the default initramfs, their recipes) and the
QEMU runners for x86_64, riscv64 and loongarch64. Not part of the translator (translator/ is the
compiler); `asterpy build|run|image` use this package. images/out/ is build output."""
from images.cmdline import quote_cmdline_word, shell_command_cmdline, split_cmdline
from images.grub import grub_config, make_grub_iso
from images.initramfs import build_initramfs, initramfs_path
from images.qemu import (
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
