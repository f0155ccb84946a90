"""riscv64 entry from the boot shim: kmain(hartid, fdt) reads the FDT, sets up console and traps, runs the kernel."""

from typing import Final

from asterpy.lang import Ptr, SysError, kprint, panic, u8, u64
from asterpy.lang.intrinsics import asm_u64
from asterpy.lang.linkage import export

import arch.riscv64.memfuncs as memfuncs  # noqa: F401 - memset/memcpy/memmove for LLVM
from arch.riscv64.console import DIRECT_MAP, EXIT_PASS, console_init, halt_forever, qemu_exit
from arch.riscv64.traps import deliberate_fault, traps_init
from asterpy.boot.fdt import (
    NONE, TAG_REG_0, TAG_REG_N, Fdt, bytes_match_tag, fdt_bootargs, fdt_child, fdt_console_uart,
    fdt_find_prop, fdt_first_prop, fdt_next_node, fdt_next_prop, fdt_open, fdt_reserved, fdt_root,
    is_memory_node, prop_u32, read_cells,
)
from asterpy.kernel.bootinfo import (
    ARCH_RISCV64, MEM_USABLE, PROTO_UNKNOWN, add_region, add_reserved, bootinfo_reset, set_cmdline,
    set_kernel_range,
)
from asterpy.kernel.cmdline import FAULT_PANIC, FAULT_TRAP, cmdline_fault
from asterpy.kernel.main import kernel_main
from kernel_arch import ARCH_KERNEL_VMA, riscv_set_boot_hart, riscv_set_timebase

PAGE_MASK: Final = u64(0xFFF)
# The most the FDT reader may look at (QEMU's trees are a few KiB).
FDT_MAX_SIZE: Final = u64(0x200000)
# "cpus" and "timebase-frequen" (+ "cy") as name tags (see asterpy.boot.fdt).
TAG_CPUS_0: Final = u64(0x73757063)
TAG_CPUS_N: Final = u64(4)
TAG_TIMEBASE_0: Final = u64(0x65736162656D6974)
TAG_TIMEBASE_1: Final = u64(0x6E6575716572662D)


def kernel_virt_start() -> u64:
    """Virtual address of the first byte of the kernel image (linker script symbol)."""
    return asm_u64("lla $0, __kernel_start", "=r")


def kernel_virt_end() -> u64:
    """Virtual address just past the kernel image, .bss included (linker script symbol)."""
    return asm_u64("lla $0, __kernel_end", "=r")


def timebase_hz(f: Fdt) -> u64:
    """/cpus timebase-frequency (the time CSR's rate), 0 if absent."""
    cpus = fdt_child(f, fdt_root(f), TAG_CPUS_0, u64(0), TAG_CPUS_N)
    if cpus.off == NONE:
        return u64(0)
    p = fdt_first_prop(f, cpus)
    while p.off != NONE:
        # The name is 18 bytes, longer than a tag: match 16, then "cy" and the NUL.
        if (p.name_limit > 18 and bytes_match_tag(p.name, p.name_limit, TAG_TIMEBASE_0, TAG_TIMEBASE_1, u64(16))
                and Ptr[u8](p.name + 16).load() == 0x63 and Ptr[u8](p.name + 17).load() == 0x79
                and Ptr[u8](p.name + 18).load() == 0 and p.length >= 4):
            return u64(prop_u32(p))
        p = fdt_next_prop(f, p)
    return u64(0)


def add_fdt_memory(f: Fdt) -> None:
    """Every /memory reg range as a usable region (root cells)."""
    entry = u64(f.addr_cells + f.size_cells) * 4
    node = fdt_root(f)
    while node.off != NONE:
        if is_memory_node(f, node):
            p = fdt_find_prop(f, node, TAG_REG_0, u64(0), TAG_REG_N)
            at = u64(0)
            while p.off != NONE and at + entry <= p.length:
                base = read_cells(p.value + at, f.addr_cells)
                length = read_cells(p.value + at + u64(f.addr_cells) * 4, f.size_cells)
                add_region(base, length, MEM_USABLE)
                at += entry
        node = fdt_next_node(f, node)


def read_fdt(fdt_phys: u64, kernel_start: u64) -> bool:
    """Fill boot_info from the FDT (memory, reservations, bootargs), open the console; False if unreadable."""
    try:
        f = fdt_open(DIRECT_MAP + fdt_phys, FDT_MAX_SIZE)
        console_init(fdt_console_uart(f))
        if f.addr_cells < 1 or f.addr_cells > 2 or f.size_cells < 1 or f.size_cells > 2:
            return False
        add_fdt_memory(f)
        add_reserved(fdt_phys & ~PAGE_MASK, (fdt_phys + f.size + PAGE_MASK) & ~PAGE_MASK)
        i = u64(0)
        while True:
            r = fdt_reserved(f, i)
            if r.length == 0:
                break
            add_reserved(r.base, r.base + r.length)
            i += 1
        # The SBI firmware lives in RAM below the kernel (OpenSBI: 0x80000000, PMP-protected).
        add_reserved(kernel_start & ~u64(0x3FFFFFFF), kernel_start)
        args = fdt_bootargs(f)
        if args.length != 0:
            set_cmdline(args.base - DIRECT_MAP, args.length)
        riscv_set_timebase(timebase_hz(f))
        return True
    except SysError:
        return False


@export("kmain")
def kmain(hartid: u64, fdt_phys: u64) -> None:
    """Called by boot.S in S-mode on the higher half: hartid and the FDT's physical address."""
    bootinfo_reset(ARCH_RISCV64, PROTO_UNKNOWN, DIRECT_MAP)
    riscv_set_boot_hart(hartid)
    start = kernel_virt_start() - ARCH_KERNEL_VMA
    set_kernel_range(start, (kernel_virt_end() - ARCH_KERNEL_VMA + PAGE_MASK) & ~PAGE_MASK)
    if not read_fdt(fdt_phys, start):
        console_init(u64(0))
        kprint(f"asterpy: unreadable FDT at {fdt_phys:#x} (hart {hartid}): halting")
        halt_forever()
    traps_init()
    # `asterpy.fault=panic|trap` on the command line: fail on purpose (boot tests).
    if cmdline_fault() == FAULT_PANIC:
        panic("deliberate panic (asterpy.fault=panic on the command line)")
    if cmdline_fault() == FAULT_TRAP:
        deliberate_fault()
    if kernel_main():
        qemu_exit(EXIT_PASS)
