"""riscv64's page-table entry format and TLB flushes for asterpy.mm.paging (imported as `kernel_pte`, like kernel_arch).

A module of its own, apart from kernel_arch, so that importing asterpy.mm.paging does not import the
whole arch interface (and, under CPython, the task modules that import asterpy.mm.paging back).
kernel_arch re-exports the same names.
"""

from arch.riscv64.paging import (  # noqa: F401 - re-exported
    LEVELS as ARCH_PT_LEVELS, USER_ROOT_ENTRIES as ARCH_USER_ROOT_ENTRIES, pte_flags, pte_is_huge, pte_make, pte_phys, pte_present, pte_table,
    tlb_flush_all as arch_tlb_flush_all, tlb_flush_page as arch_tlb_flush_page,
)
