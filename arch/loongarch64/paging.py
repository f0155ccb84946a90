"""loongarch64 page tables: entries in TLBELO format for boot.S's refill handler, PGDH, DMW1 and invtlb."""

from typing import Final

from asterpy.lang import Ptr, u32, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.mm.pageflags import EXEC, GLOBAL, NOCACHE, READ, USER, WRITE

# Three levels of 512 entries (1 GiB, 2 MiB, 4 KiB), walked in software by asterpy_tlb_refill
# (boot.S): 39-bit halves, the higher one through PGDH, the lower one through PGDL.
LEVELS: Final = u64(3)
# The lower half has a root of its own (PGDL), so every entry of a process's root is a user one and
# none is copied from the kernel's (PGDH).
USER_ROOT_ENTRIES: Final = u64(512)

# A leaf is the TLBELO value itself (LoongArch reference manual, TLBELO0/1): the refill handler
# copies level-0 entries into TLBRELO0/1 unchanged.
PTE_V: Final = u64(1 << 0)          # valid
PTE_D: Final = u64(1 << 1)          # dirty: writes allowed (else a PME exception)
PTE_PLV3: Final = u64(3 << 2)       # privilege level 3: user mode may access it
PTE_MAT_CC: Final = u64(1 << 4)     # coherent cached (MAT 0: strongly-ordered uncached)
PTE_MAT_MASK: Final = u64(3 << 4)
PTE_G: Final = u64(1 << 6)          # global: matches every ASID
PTE_HUGE: Final = u64(1 << 7)       # software: a large page in a level-2/1 table (reserved in TLBELO)
PTE_NR: Final = u64(1 << 61)        # not readable
PTE_NX: Final = u64(1 << 62)        # not executable
ADDR_MASK: Final = u64(0x0000FFFFFFFFF000)   # PALEN 48

# DMW1, the boot shim's cached window (0x9000... = physical): off once the kernel's tables are in.
CSR_DMW1: Final = u32(0x181)
# `jirl $zero, $ra, 0` (return), stored and called by probe_exec.
LA_RET: Final = u32(0x4C000020)


def pte_table(phys: u64) -> u64:
    """Entry pointing at a lower-level table: its physical address, V (no large-page bit)."""
    return (phys & ADDR_MASK) | PTE_V


def pte_make(pa: u64, flags: u64, huge: bool) -> u64:
    """Leaf entry (a TLBELO value) mapping pa with the arch-neutral flags; a large page when huge."""
    e = (pa & ADDR_MASK) | PTE_V
    e |= (u64(0) if (flags & NOCACHE) != 0 else PTE_MAT_CC)
    if (flags & WRITE) != 0:
        e |= PTE_D
    if (flags & EXEC) == 0:
        e |= PTE_NX
    if (flags & USER) != 0:
        e |= PTE_PLV3
    if (flags & GLOBAL) != 0:
        e |= PTE_G
    if huge:
        e |= PTE_HUGE
    return e


def pte_flags(e: u64) -> u64:
    """The arch-neutral flags of a present leaf entry."""
    f = READ
    if (e & PTE_D) != 0:
        f |= WRITE
    if (e & PTE_NX) == 0:
        f |= EXEC
    if (e & PTE_PLV3) == PTE_PLV3:
        f |= USER
    if (e & PTE_G) != 0:
        f |= GLOBAL
    if (e & PTE_MAT_MASK) == 0:
        f |= NOCACHE
    return f


def pte_present(e: u64) -> bool:
    """Whether the entry is valid."""
    return (e & PTE_V) != 0


def pte_is_huge(e: u64, level: u64) -> bool:
    """Whether the entry at `level` maps a large page rather than pointing at a table."""
    return level > 0 and (e & PTE_HUGE) != 0


def pte_phys(e: u64, level: u64) -> u64:
    """Physical address in the entry (table or page base)."""
    return e & ADDR_MASK


def tlb_flush_page(va: u64) -> None:
    """Drop the TLB entries translating va, global or of ASID 0 (invtlb 6)."""
    asm("invtlb 6, $$zero, $0", "r,~{memory}", va)


def tlb_flush_all() -> None:
    """Drop every TLB entry (invtlb 0)."""
    asm("invtlb 0, $$zero, $$zero", "~{memory}")


def load_root(phys: u64) -> None:
    """Walk the tables at phys for the higher half (PGDH), flush the TLB, and close the DMW1 window."""
    asm("move $$t0, $0\n csrwr $$t0, 0x1a\n invtlb 0, $$zero, $$zero", "r,~{$r12},~{memory}", phys)
    # From here the kernel reaches RAM only through its tables (W^X holds); DMW0 stays for MMIO.
    asm("csrwr $$zero, 0x181", "~{memory}")


def read_root() -> u64:
    """Physical address of the higher half's root table (PGDH)."""
    return asm_u64("csrrd $0, 0x1a", "=r,~{memory}")


def text_start() -> u64:
    """Virtual start of .text (linker symbol)."""
    return asm_u64("la.pcrel $0, __text_start", "=r")


def text_end() -> u64:
    """Virtual end of .text, page aligned."""
    return asm_u64("la.pcrel $0, __text_end", "=r")


def rodata_start() -> u64:
    """Virtual start of .rodata."""
    return asm_u64("la.pcrel $0, __rodata_start", "=r")


def rodata_end() -> u64:
    """Virtual end of .rodata, page aligned."""
    return asm_u64("la.pcrel $0, __rodata_end", "=r")


def data_start() -> u64:
    """Virtual start of .data (.bss follows it)."""
    return asm_u64("la.pcrel $0, __data_start", "=r")


def bss_end() -> u64:
    """Virtual end of .bss, page aligned: the end of the kernel image."""
    return asm_u64("la.pcrel $0, __bss_end", "=r")


def probe_write(va: u64) -> None:
    """Write the byte at va back unchanged: a PME exception if the page is not writable."""
    asm("ld.bu $$t0, $0, 0\n st.b $$t0, $0, 0", "r,~{$r12},~{memory}", va)


def probe_exec(va: u64) -> None:
    """Store a return at va (a writable page) and call it: a PNX exception if not executable."""
    Ptr[u32](va).store(LA_RET)
    asm("ibar 0\n jirl $$ra, $0, 0", "r,~{$r1},~{$r4},~{$r5},~{$r6},~{$r7},~{$r8},~{$r9},~{$r10},~{$r11},"
        "~{$r12},~{$r13},~{$r14},~{$r15},~{$r16},~{$r17},~{$r18},~{$r19},~{$r20},~{memory}", va)
