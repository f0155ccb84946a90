"""loongarch64 entry from the boot shim: kmain(a0, a1) finds memory and the command line, sets up console and traps."""

from typing import Final

from asterpy.lang import Ptr, SysError, kprint, mmio_read8, mmio_write16, panic, u8, u16, u64
from asterpy.lang.intrinsics import asm_u64
from asterpy.lang.linkage import export

import arch.loongarch64.memfuncs as memfuncs  # noqa: F401 - memset/memcpy/memmove for LLVM
from arch.loongarch64.console import DIRECT_MAP, EXIT_PASS, UNCACHED, console_init, qemu_exit
from arch.loongarch64.traps import deliberate_fault, traps_init
from asterpy.boot.fdt import fdt_console_uart, fdt_memory_total, fdt_open
from asterpy.kernel.bootinfo import (
    ARCH_LOONGARCH64, MEM_USABLE, PROTO_UNKNOWN, add_region, add_reserved, bootinfo_reset, set_cmdline,
    set_kernel_range,
)
from asterpy.kernel.cmdline import FAULT_PANIC, FAULT_TRAP, cmdline_fault
from asterpy.kernel.main import kernel_main
from kernel_arch import ARCH_KERNEL_VMA

PAGE_MASK: Final = u64(0xFFF)
# QEMU 7.2 puts its FDT, a 1 MiB blob, at physical 1 MiB (no register points at it).
FDT_PHYS: Final = u64(0x100000)
FDT_MAX_SIZE: Final = u64(0x100000)
# QEMU virt's RAM layout (hw/loongarch/virt.c): the first 256 MiB at physical 0, the rest from
# 0x9000_0000. QEMU 7.2's FDT has no /memory node, so the kernel asks fw_cfg for the total.
LOW_RAM_SIZE: Final = u64(256 << 20)
HIGH_RAM_BASE: Final = u64(0x90000000)
# fw_cfg (MMIO, QEMU virt): data register at +0 (read byte by byte), selector at +8 (16-bit
# big-endian). Keys: 0 signature "QEMU", 3 RAM size (u64 LE), 0x14 cmdline size, 0x15 cmdline.
FW_CFG_BASE: Final = u64(0x1E020000)
FW_CFG_SIGNATURE: Final = u16(0x00)
FW_CFG_RAM_SIZE: Final = u16(0x03)
FW_CFG_CMDLINE_SIZE: Final = u16(0x14)
FW_CFG_CMDLINE_DATA: Final = u16(0x15)
FW_CFG_FILE_DIR: Final = u16(0x19)
FW_CFG_DIR_ENTRY: Final = u64(64)          # u32 size, u16 select (both big-endian), u16, name[56]
# QEMU 7.2's loongarch virt passes -append neither in the FDT nor in fw_cfg's cmdline items, so
# `asterpy run` also gives it as the fw_cfg file "opt/asterpy/cmdline" (-fw_cfg name=...,string=...).
CMDLINE_FILE_0: Final = u64(0x657473612F74706F)   # "opt/aste"
CMDLINE_FILE_1: Final = u64(0x6C646D632F797072)   # "rpy/cmdl"
CMDLINE_FILE_2: Final = u64(0x656E69)             # "ine" and NULs
# Where the command line is copied: below 1 MiB, which the frame allocator never hands out.
CMDLINE_PHYS: Final = u64(0x80000)
CMDLINE_MAX: Final = u64(4096)


def kernel_virt_start() -> u64:
    """Virtual address of the first byte of the kernel image (linker script symbol)."""
    return asm_u64("la.pcrel $0, __kernel_start", "=r")


def kernel_virt_end() -> u64:
    """Virtual address just past the kernel image, .bss included (linker script symbol)."""
    return asm_u64("la.pcrel $0, __kernel_end", "=r")


def fw_cfg_select(key: u16) -> None:
    """Select a fw_cfg item (the selector register is big-endian)."""
    mmio_write16(UNCACHED | (FW_CFG_BASE + 8), ((key & 0xFF) << 8) | (key >> 8))


def fw_cfg_read_le(n: u64) -> u64:
    """The next n (at most 8) bytes of the selected item as a little-endian number."""
    v = u64(0)
    for i in range(u64(0), n):
        v |= u64(mmio_read8(UNCACHED | FW_CFG_BASE)) << (8 * i)
    return v


def fw_cfg_present() -> bool:
    """Whether fw_cfg answers with its "QEMU" signature."""
    fw_cfg_select(FW_CFG_SIGNATURE)
    return fw_cfg_read_le(u64(4)) == 0x554D4551


def add_memory() -> None:
    """The RAM ranges: the low 256 MiB always; above 0x9000_0000 what fw_cfg's RAM size leaves."""
    add_region(u64(0), LOW_RAM_SIZE, MEM_USABLE)
    if not fw_cfg_present():
        return
    fw_cfg_select(FW_CFG_RAM_SIZE)
    total = fw_cfg_read_le(u64(8))
    if total > LOW_RAM_SIZE:
        add_region(HIGH_RAM_BASE, total - LOW_RAM_SIZE, MEM_USABLE)


def bswap(v: u64, n: u64) -> u64:
    """The low n bytes of v in the opposite byte order."""
    r = u64(0)
    for i in range(u64(0), n):
        r = (r << 8) | ((v >> (8 * i)) & 0xFF)
    return r


def find_cmdline_file() -> u64:
    """(size << 16) | selector of the fw_cfg file opt/asterpy/cmdline, 0 if there is none."""
    fw_cfg_select(FW_CFG_FILE_DIR)
    count = bswap(fw_cfg_read_le(u64(4)), u64(4))
    for _ in range(u64(0), count):
        size = bswap(fw_cfg_read_le(u64(4)), u64(4))
        select = bswap(fw_cfg_read_le(u64(2)), u64(2))
        fw_cfg_read_le(u64(2))
        n0 = fw_cfg_read_le(u64(8))
        n1 = fw_cfg_read_le(u64(8))
        n2 = fw_cfg_read_le(u64(8))
        for _i in range(u64(0), u64(4)):
            fw_cfg_read_le(u64(8))
        if n0 == CMDLINE_FILE_0 and n1 == CMDLINE_FILE_1 and n2 == CMDLINE_FILE_2:
            return (size << 16) | select
    return u64(0)


def read_cmdline() -> None:
    """Copy the kernel command line from fw_cfg (its cmdline item, else opt/asterpy/cmdline) to CMDLINE_PHYS."""
    if not fw_cfg_present():
        return
    fw_cfg_select(FW_CFG_CMDLINE_SIZE)
    size = fw_cfg_read_le(u64(4))
    if size != 0:
        fw_cfg_select(FW_CFG_CMDLINE_DATA)
    else:
        found = find_cmdline_file()
        if found == 0:
            return
        size = found >> 16
        fw_cfg_select(u16(found & 0xFFFF))
    if size > CMDLINE_MAX:
        size = CMDLINE_MAX
    p = Ptr[u8](DIRECT_MAP + CMDLINE_PHYS)
    n = u64(0)
    while n < size:
        c = mmio_read8(UNCACHED | FW_CFG_BASE)
        if c == 0:
            break
        p[n] = c
        n += 1
    set_cmdline(CMDLINE_PHYS, n)


@export("kmain")
def kmain(a0: u64, a1: u64) -> None:
    """Called by boot.S in PLV0 with the DMW windows on: a0/a1 as QEMU left them (0, 0 on QEMU 7.2)."""
    bootinfo_reset(ARCH_LOONGARCH64, PROTO_UNKNOWN, DIRECT_MAP)
    start = kernel_virt_start() - ARCH_KERNEL_VMA
    set_kernel_range(start, (kernel_virt_end() - ARCH_KERNEL_VMA + PAGE_MASK) & ~PAGE_MASK)
    uart = u64(0)
    try:
        f = fdt_open(DIRECT_MAP + FDT_PHYS, FDT_MAX_SIZE)
        uart = fdt_console_uart(f)
        if fdt_memory_total(f) != 0:
            kprint("asterpy: this FDT has /memory nodes, which this kernel does not read on loongarch64 yet")
    except SysError:
        uart = u64(0)
    console_init(uart)
    traps_init()
    add_memory()
    add_reserved(FDT_PHYS, FDT_PHYS + FDT_MAX_SIZE)
    read_cmdline()
    # `asterpy.fault=panic|trap` on the command line: fail on purpose (boot tests).
    if cmdline_fault() == FAULT_PANIC:
        panic("deliberate panic (asterpy.fault=panic on the command line)")
    if cmdline_fault() == FAULT_TRAP:
        deliberate_fault()
    if kernel_main():
        qemu_exit(EXIT_PASS)
