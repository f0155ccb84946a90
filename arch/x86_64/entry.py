"""x86_64 entry from the boot shim: kmain(magic, info) sets up the console and boot info, runs the kernel."""

from typing import Final

from asterpy.lang import kprint, u64
from asterpy.lang.intrinsics import asm_u64
from asterpy.lang.linkage import export

import arch.x86_64.memfuncs as memfuncs  # noqa: F401 - memset/memcpy/memmove for LLVM
from arch.x86_64.console import EXIT_PASS, halt_forever, qemu_exit
from arch.x86_64.context import run_fpu_selftest_if_requested
from arch.x86_64.multiboot import DIRECT_MAP, parse_boot_info, protocol_of
from arch.x86_64.serial import serial_init
from arch.x86_64.traps import run_deliberate_failures, traps_init
from asterpy.kernel.bootinfo import ARCH_X86_64, bootinfo_reset, set_kernel_range
from asterpy.kernel.main import kernel_main

PAGE_MASK: Final = u64(0xFFF)


def kernel_phys_start() -> u64:
    """Physical address of the first byte of the kernel image (linker script symbol)."""
    # The symbol's *value* is the address: an absolute 64-bit immediate, not a memory load.
    return asm_u64("movabsq $$__kernel_phys_start, $0", "=r")


def kernel_phys_end() -> u64:
    """Physical address just past the kernel image, .bss included (linker script symbol)."""
    return asm_u64("movabsq $$__kernel_phys_end, $0", "=r")


@export("kmain")
def kmain(magic: u64, info: u64) -> None:
    """Called by boot.S in 64-bit mode: magic says which loader, info is its physical structure."""
    serial_init()
    # Our own GDT, TSS and IDT first: from here on a CPU exception prints a report, not a triple fault.
    traps_init()
    bootinfo_reset(ARCH_X86_64, protocol_of(magic), DIRECT_MAP)
    set_kernel_range(kernel_phys_start(), (kernel_phys_end() + PAGE_MASK) & ~PAGE_MASK)
    if not parse_boot_info(magic, info):
        kprint(f"asterpy: unknown boot loader or unreadable boot info (magic {magic:#x}, info {info:#x}): halting")
        halt_forever()
    # `asterpy.fault=panic|ud|pf|gp|df` on the command line: fail on purpose (boot tests).
    run_deliberate_failures()
    exit_requested = kernel_main()
    # `asterpy.selftest=fpu`: kernel threads switching contexts keep their own FPU/SSE state (boot test).
    run_fpu_selftest_if_requested()
    if exit_requested:
        qemu_exit(EXIT_PASS)
        # Without the exit device the outb does nothing: fall back to the shim's halt loop.
