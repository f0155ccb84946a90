"""riscv64 Sv39 page-table format (V/R/W/X/U/G/A/D, PPN at bit 10), satp and sfence.vma."""

from typing import Final

from asterpy.lang import Ptr, u16, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.mm.pageflags import EXEC, GLOBAL, READ, USER, WRITE

# Three levels of 512 entries: 1 GiB (level 2), 2 MiB (1), 4 KiB (0); 39-bit virtual addresses.
LEVELS: Final = u64(3)
# The root entries of the user half: 0..255 map addresses below 2^38 (Sv39 sign-extends bit 38);
# 256..511 are the kernel's, copied into every process's root.
USER_ROOT_ENTRIES: Final = u64(256)

PTE_V: Final = u64(1 << 0)
PTE_R: Final = u64(1 << 1)
PTE_W: Final = u64(1 << 2)
PTE_X: Final = u64(1 << 3)
PTE_U: Final = u64(1 << 4)
PTE_G: Final = u64(1 << 5)
PTE_A: Final = u64(1 << 6)
PTE_D: Final = u64(1 << 7)
PTE_RWX: Final = u64(0xE)
PPN_SHIFT: Final = u64(10)
PPN_MASK: Final = u64(0xFFFFFFFFFFF)         # 44 bits
SATP_SV39: Final = u64(8) << 60

# `ret` (c.jr ra), stored and called by probe_exec.
RV_C_RET: Final = u16(0x8082)


def pte_table(phys: u64) -> u64:
    """Entry pointing at a lower-level table: V only (R = W = X = 0 marks a pointer; A, D, U must be 0)."""
    return ((phys >> 12) << PPN_SHIFT) | PTE_V


def pte_make(pa: u64, flags: u64, huge: bool) -> u64:
    """Leaf entry mapping pa with the arch-neutral flags (NOCACHE has no bit: QEMU's PMAs decide)."""
    # A and D preset: hardware may raise a page fault instead of setting them.
    e = ((pa >> 12) << PPN_SHIFT) | PTE_V | PTE_A | PTE_D
    if (flags & READ) != 0:
        e |= PTE_R
    if (flags & WRITE) != 0:
        e |= PTE_W
    if (flags & EXEC) != 0:
        e |= PTE_X
    if (flags & USER) != 0:
        e |= PTE_U
    if (flags & GLOBAL) != 0:
        e |= PTE_G
    return e


def pte_flags(e: u64) -> u64:
    """The arch-neutral flags of a present leaf entry."""
    f = READ
    if (e & PTE_W) != 0:
        f |= WRITE
    if (e & PTE_X) != 0:
        f |= EXEC
    if (e & PTE_U) != 0:
        f |= USER
    if (e & PTE_G) != 0:
        f |= GLOBAL
    return f


def pte_present(e: u64) -> bool:
    """Whether the entry is valid."""
    return (e & PTE_V) != 0


def pte_is_huge(e: u64, level: u64) -> bool:
    """Whether the entry at `level` is a leaf above level 0 (a 2 MiB or 1 GiB page)."""
    return level > 0 and (e & PTE_RWX) != 0


def pte_phys(e: u64, level: u64) -> u64:
    """Physical address in the entry (table or page base)."""
    return ((e >> PPN_SHIFT) & PPN_MASK) << 12


def tlb_flush_page(va: u64) -> None:
    """Drop this hart's translations of va (sfence.vma va, all address spaces)."""
    asm("sfence.vma $0, zero", "r,~{memory}", va)


def tlb_flush_all() -> None:
    """Drop every translation on this hart (sfence.vma)."""
    asm("sfence.vma", "~{memory}")


def load_root(phys: u64) -> None:
    """Switch to the Sv39 tables whose root is at phys (satp, ASID 0), fenced on both sides."""
    asm("sfence.vma\n csrw satp, $0\n sfence.vma", "r,~{memory}", SATP_SV39 | (phys >> 12))


def read_root() -> u64:
    """Physical address of the current root table (satp's PPN)."""
    return (asm_u64("csrr $0, satp", "=r,~{memory}") & PPN_MASK) << 12


def text_start() -> u64:
    """Virtual start of .text (linker symbol)."""
    return asm_u64("lla $0, __text_start", "=r")


def text_end() -> u64:
    """Virtual end of .text, page aligned."""
    return asm_u64("lla $0, __text_end", "=r")


def rodata_start() -> u64:
    """Virtual start of .rodata."""
    return asm_u64("lla $0, __rodata_start", "=r")


def rodata_end() -> u64:
    """Virtual end of .rodata, page aligned."""
    return asm_u64("lla $0, __rodata_end", "=r")


def data_start() -> u64:
    """Virtual start of .data (.bss follows it)."""
    return asm_u64("lla $0, __data_start", "=r")


def bss_end() -> u64:
    """Virtual end of .bss, page aligned: the end of the kernel image."""
    return asm_u64("lla $0, __bss_end", "=r")


def probe_write(va: u64) -> None:
    """Write the byte at va back unchanged: a store page fault if the page is not writable."""
    asm("lbu t0, 0($0)\n sb t0, 0($0)", "r,~{x5},~{memory}", va)


def probe_exec(va: u64) -> None:
    """Store a `ret` at va (a writable page) and call it: an instruction page fault if not executable."""
    Ptr[u16](va).store(RV_C_RET)
    asm("fence.i\n jalr ra, 0($0)", "r,~{x1},~{x5},~{x6},~{x7},~{x10},~{x11},~{x12},~{x13},~{x14},~{x15},"
        "~{x16},~{x17},~{x28},~{x29},~{x30},~{x31},~{memory}", va)
