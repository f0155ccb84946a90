"""x86_64 page-table format (4-level PML4: present/writable/user/PS/global/NX bits), CR3 and the TLB."""

from typing import Final

from asterpy.lang import Ptr, u8, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.mm.pageflags import EXEC, GLOBAL, NOCACHE, READ, USER, WRITE

# Four levels of 512 eight-byte entries: PML4 (level 3), PDPT (2), PD (1), PT (0).
LEVELS: Final = u64(4)
# The root (PML4) entries of the user half: 0..255 map the lower canonical half; 256..511 are the
# kernel's, copied into every process's root (asterpy.task.process).
USER_ROOT_ENTRIES: Final = u64(256)
INDEX_BITS: Final = u64(9)
INDEX_MASK: Final = u64(511)
PAGE_SHIFT: Final = u64(12)
# The level whose entries may map a large page directly (PD entries with PS: 2 MiB).
HUGE_LEVEL: Final = u64(1)

PTE_PRESENT: Final = u64(1 << 0)
PTE_WRITABLE: Final = u64(1 << 1)
PTE_USER: Final = u64(1 << 2)
PTE_PWT: Final = u64(1 << 3)
PTE_PCD: Final = u64(1 << 4)
PTE_ACCESSED: Final = u64(1 << 5)
PTE_DIRTY: Final = u64(1 << 6)
PTE_HUGE: Final = u64(1 << 7)       # PS in a PDPT or PD entry
PTE_GLOBAL: Final = u64(1 << 8)
PTE_NX: Final = u64(1 << 63)
# Physical address bits of a 4 KiB entry (bits 12..51) and of a 2 MiB entry (21..51; bit 12 is PAT).
ADDR_MASK: Final = u64(0x000FFFFFFFFFF000)
HUGE_ADDR_MASK: Final = u64(0x000FFFFFFFE00000)

# Where the linker put the kernel image: virtual = physical + KERNEL_VMA (kernel.ld).
KERNEL_VMA: Final = u64(0xFFFFFFFF80000000)

X86_RET: Final = u8(0xC3)

MSR_EFER: Final = u64(0xC0000080)
EFER_NXE: Final = u64(1 << 11)

# Whether EFER.NXE is on. With NXE off, bit 63 is reserved and setting it makes every access
# through the entry fault, so NX is dropped (and every page is executable: W^X is then only
# what the tables ask for). CPython tests keep the default, True.
_nx_enabled: bool = True


def pte_table(phys: u64) -> u64:
    """Entry pointing at a lower-level table: present, writable, user; leaves restrict access."""
    return (phys & ADDR_MASK) | PTE_PRESENT | PTE_WRITABLE | PTE_USER


def pte_leaf(phys: u64, writable: bool, executable: bool, user: bool, glob: bool, nocache: bool,
             huge: bool) -> u64:
    """Leaf entry mapping phys (a 4 KiB page, or a 2 MiB page when huge) with those permissions."""
    e = phys & (HUGE_ADDR_MASK if huge else ADDR_MASK)
    # Accessed and dirty preset: the CPU need not write them back into kernel tables.
    e = e | PTE_PRESENT | PTE_ACCESSED | PTE_DIRTY
    if huge:
        e = e | PTE_HUGE
    if writable:
        e = e | PTE_WRITABLE
    if user:
        e = e | PTE_USER
    if glob:
        e = e | PTE_GLOBAL
    if nocache:
        # PCD + PWT selects PAT entry 3, uncacheable, with the power-on PAT.
        e = e | PTE_PCD | PTE_PWT
    if not executable and _nx_enabled:
        e = e | PTE_NX
    return e


def pte_make(pa: u64, flags: u64, huge: bool) -> u64:
    """Leaf entry mapping pa with the arch-neutral flags (asterpy.mm.pageflags), a 2 MiB page when huge."""
    return pte_leaf(pa, (flags & WRITE) != 0, (flags & EXEC) != 0, (flags & USER) != 0,
                    (flags & GLOBAL) != 0, (flags & NOCACHE) != 0, huge)


def pte_flags(e: u64) -> u64:
    """The arch-neutral flags of a present leaf entry."""
    f = READ
    if pte_writable(e):
        f |= WRITE
    if pte_executable(e):
        f |= EXEC
    if pte_user(e):
        f |= USER
    if pte_global(e):
        f |= GLOBAL
    if pte_nocache(e):
        f |= NOCACHE
    return f


def pte_present(e: u64) -> bool:
    """Whether the entry is present."""
    return (e & PTE_PRESENT) != 0


def pte_is_huge(e: u64, level: u64) -> bool:
    """Whether the entry at `level` maps a large page rather than pointing at a table."""
    return level > 0 and (e & PTE_HUGE) != 0


def pte_phys(e: u64, level: u64) -> u64:
    """Physical address in the entry (table or page base)."""
    if pte_is_huge(e, level):
        return e & HUGE_ADDR_MASK
    return e & ADDR_MASK


def pte_writable(e: u64) -> bool:
    """Whether the leaf allows writes."""
    return (e & PTE_WRITABLE) != 0


def pte_executable(e: u64) -> bool:
    """Whether the leaf allows instruction fetches."""
    return (e & PTE_NX) == 0


def pte_user(e: u64) -> bool:
    """Whether the leaf is reachable from user mode."""
    return (e & PTE_USER) != 0


def pte_global(e: u64) -> bool:
    """Whether the leaf is global (kept in the TLB across CR3 loads)."""
    return (e & PTE_GLOBAL) != 0


def pte_nocache(e: u64) -> bool:
    """Whether the leaf is uncached."""
    return (e & PTE_PCD) != 0


def rdmsr(msr: u64) -> u64:
    """Read a model-specific register."""
    return asm_u64("rdmsr; shlq $$32, %rdx; orq %rdx, %rax", "={rax},{rcx},~{rdx}", msr)


def wrmsr(msr: u64, value: u64) -> None:
    """Write a model-specific register."""
    asm("wrmsr", "{rcx},{rax},{rdx},~{memory}", msr, value & 0xFFFFFFFF, value >> 32)


def paging_cpu_init() -> bool:
    """Read EFER.NXE (the boot shim set it if the CPU has NX); return whether NX can be used."""
    global _nx_enabled
    _nx_enabled = (rdmsr(MSR_EFER) & EFER_NXE) != 0
    return _nx_enabled


def tlb_flush_page(va: u64) -> None:
    """Drop the TLB entry (4 KiB or 2 MiB) covering va on this CPU."""
    asm("invlpg ($0)", "r,~{memory}", va)


def tlb_flush_all() -> None:
    """Drop every TLB entry on this CPU, global ones too (toggle CR4.PGE), or reload CR3 if PGE is off."""
    asm("movq %cr4, %rax; testq $$0x80, %rax; jz 1f; xorq $$0x80, %rax; movq %rax, %cr4; "
        "orq $$0x80, %rax; movq %rax, %cr4; jmp 2f; 1: movq %cr3, %rax; movq %rax, %cr3; 2:",
        "~{rax},~{memory}")


def read_root() -> u64:
    """Physical address of the current top-level table (CR3 without flag bits)."""
    return asm_u64("movq %cr3, $0", "=r,~{memory}") & ADDR_MASK


def load_root(phys: u64) -> None:
    """Switch to the tables at phys (CR3): flushes every non-global TLB entry."""
    asm("movq $0, %cr3", "r,~{memory}", phys)


def text_start() -> u64:
    """Virtual start of .text (linker symbol)."""
    return asm_u64("movabsq $$__text_start, $0", "=r")


def text_end() -> u64:
    """Virtual end of .text, page aligned."""
    return asm_u64("movabsq $$__text_end, $0", "=r")


def rodata_start() -> u64:
    """Virtual start of .rodata."""
    return asm_u64("movabsq $$__rodata_start, $0", "=r")


def rodata_end() -> u64:
    """Virtual end of .rodata, page aligned."""
    return asm_u64("movabsq $$__rodata_end, $0", "=r")


def data_start() -> u64:
    """Virtual start of .data (.bss follows it)."""
    return asm_u64("movabsq $$__data_start, $0", "=r")


def bss_end() -> u64:
    """Virtual end of .bss, page aligned: the end of the kernel image."""
    return asm_u64("movabsq $$__bss_end, $0", "=r")


def probe_write(va: u64) -> None:
    """Write the byte at va back unchanged: faults if the page is not writable (W^X checks)."""
    asm("movb ($0), %al; movb %al, ($0)", "r,~{rax},~{memory}", va)


def probe_exec(va: u64) -> None:
    """Store a `ret` at va (a writable page) and call it: faults if the page is not executable (NX checks)."""
    Ptr[u8](va).store(X86_RET)
    asm("call *$0", "r,~{memory},~{rax},~{rcx},~{rdx},~{rsi},~{rdi},~{r8},~{r9},~{r10},~{r11}", va)
