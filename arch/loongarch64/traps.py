"""loongarch64 traps: the exception entry (EENTRY), the trap frame, the dispatcher (timer ticks, fatal reports)."""

from typing import Final

from asterpy.lang import Array, AtomicU64, Ptr, SysError, kprint, struct, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.lang.linkage import export
from asterpy.mm.kstack import is_guard_page

from arch.loongarch64.backtrace import print_backtrace
from arch.loongarch64.console import begin_fatal_report, fatal_halt

# ESTAT: Ecode in bits 21..16 (0 = interrupt), pending interrupt lines in bits 12..0 (11 = timer).
ESTAT_ECODE_SHIFT: Final = u64(16)
ESTAT_ECODE_MASK: Final = u64(0x3F)
ESTAT_IS_TIMER: Final = u64(1) << 11
ECFG_LIE_TIMER: Final = u64(1) << 11
CRMD_IE: Final = u64(1) << 2
# TCFG: enable, periodic, initial value (a multiple of 4) in the rest.
TCFG_EN: Final = u64(1)
TCFG_PERIODIC: Final = u64(2)


@struct
class TrapFrame:
    """The interrupted state: r[i] is register ri (r[0] unused, r[3] the interrupted sp)."""

    r: Array[u64, 32]
    era: u64
    prmd: u64
    estat: u64
    badv: u64


ticks: AtomicU64 = AtomicU64(0)
_vector_installed: bool = False


def trap_vector_asm() -> u64:
    """Emit the exception entry into .text (one inline-asm statement) and return its address.

    The translator does not implement @naked yet, so the entry is emitted from inside this
    function by switching sections; LLVM may emit the statement more than once, so the entry has
    a numeric local label (which may be defined again), not a global symbol. EENTRY wants 4 KiB
    alignment. The frame is TrapFrame (288 bytes) plus a fake (saved fp, return address) pair
    linking the frame-pointer chain through the interrupted code (ERA) for backtraces.
    """
    return asm_u64(
        ".pushsection .text.asterpy_la_trap, \"ax\", @progbits\n"
        ".balign 4096\n"
        "7:\n"
        "addi.d $$sp, $$sp, -304\n"
        "st.d $$r1, $$sp, 8\n"
        "st.d $$r2, $$sp, 16\n"
        "st.d $$r4, $$sp, 32\n"
        "st.d $$r5, $$sp, 40\n"
        "st.d $$r6, $$sp, 48\n"
        "st.d $$r7, $$sp, 56\n"
        "st.d $$r8, $$sp, 64\n"
        "st.d $$r9, $$sp, 72\n"
        "st.d $$r10, $$sp, 80\n"
        "st.d $$r11, $$sp, 88\n"
        "st.d $$r12, $$sp, 96\n"
        "st.d $$r13, $$sp, 104\n"
        "st.d $$r14, $$sp, 112\n"
        "st.d $$r15, $$sp, 120\n"
        "st.d $$r16, $$sp, 128\n"
        "st.d $$r17, $$sp, 136\n"
        "st.d $$r18, $$sp, 144\n"
        "st.d $$r19, $$sp, 152\n"
        "st.d $$r20, $$sp, 160\n"
        "st.d $$r21, $$sp, 168\n"
        "st.d $$r22, $$sp, 176\n"
        "st.d $$r23, $$sp, 184\n"
        "st.d $$r24, $$sp, 192\n"
        "st.d $$r25, $$sp, 200\n"
        "st.d $$r26, $$sp, 208\n"
        "st.d $$r27, $$sp, 216\n"
        "st.d $$r28, $$sp, 224\n"
        "st.d $$r29, $$sp, 232\n"
        "st.d $$r30, $$sp, 240\n"
        "st.d $$r31, $$sp, 248\n"
        "addi.d $$t0, $$sp, 304\n"
        "st.d $$t0, $$sp, 24\n"
        "csrrd $$t0, 0x6\n"
        "st.d $$t0, $$sp, 256\n"
        "csrrd $$t0, 0x1\n"
        "st.d $$t0, $$sp, 264\n"
        "csrrd $$t0, 0x5\n"
        "st.d $$t0, $$sp, 272\n"
        "csrrd $$t0, 0x7\n"
        "st.d $$t0, $$sp, 280\n"
        "st.d $$fp, $$sp, 288\n"
        "ld.d $$t0, $$sp, 256\n"
        "st.d $$t0, $$sp, 296\n"
        "addi.d $$fp, $$sp, 304\n"
        "move $$a0, $$sp\n"
        "bl asterpy_la_trap_handler\n"
        "ld.d $$t0, $$sp, 256\n"
        "csrwr $$t0, 0x6\n"
        "ld.d $$t0, $$sp, 264\n"
        "csrwr $$t0, 0x1\n"
        "ld.d $$r1, $$sp, 8\n"
        "ld.d $$r2, $$sp, 16\n"
        "ld.d $$r4, $$sp, 32\n"
        "ld.d $$r5, $$sp, 40\n"
        "ld.d $$r6, $$sp, 48\n"
        "ld.d $$r7, $$sp, 56\n"
        "ld.d $$r8, $$sp, 64\n"
        "ld.d $$r9, $$sp, 72\n"
        "ld.d $$r10, $$sp, 80\n"
        "ld.d $$r11, $$sp, 88\n"
        "ld.d $$r12, $$sp, 96\n"
        "ld.d $$r13, $$sp, 104\n"
        "ld.d $$r14, $$sp, 112\n"
        "ld.d $$r15, $$sp, 120\n"
        "ld.d $$r16, $$sp, 128\n"
        "ld.d $$r17, $$sp, 136\n"
        "ld.d $$r18, $$sp, 144\n"
        "ld.d $$r19, $$sp, 152\n"
        "ld.d $$r20, $$sp, 160\n"
        "ld.d $$r21, $$sp, 168\n"
        "ld.d $$r22, $$sp, 176\n"
        "ld.d $$r23, $$sp, 184\n"
        "ld.d $$r24, $$sp, 192\n"
        "ld.d $$r25, $$sp, 200\n"
        "ld.d $$r26, $$sp, 208\n"
        "ld.d $$r27, $$sp, 216\n"
        "ld.d $$r28, $$sp, 224\n"
        "ld.d $$r29, $$sp, 232\n"
        "ld.d $$r30, $$sp, 240\n"
        "ld.d $$r31, $$sp, 248\n"
        "addi.d $$sp, $$sp, 304\n"
        "ertn\n"
        ".popsection\n"
        "la.pcrel $0, 7b\n",
        "=r,~{memory}")


def traps_init() -> None:
    """Point EENTRY at the kernel's entry: from here an exception prints a report."""
    global _vector_installed
    asm("move $$t0, $0\n csrwr $$t0, 0xc", "r,~{$r12},~{memory}", trap_vector_asm())
    _vector_installed = True


def vector_installed() -> bool:
    """Whether traps_init ran (interrupts may be enabled only then)."""
    return _vector_installed


def read_counter() -> u64:
    """The stable counter (rdtime.d)."""
    return asm_u64("rdtime.d $0, $$zero", "=r")


def counter_hz() -> u64:
    """The stable counter's rate: CPUCFG word 4 (base clock) times CPUCFG word 5's mul / div."""
    base = asm_u64("cpucfg $0, $1", "=r,r", u64(4)) & 0xFFFFFFFF
    cfg5 = asm_u64("cpucfg $0, $1", "=r,r", u64(5))
    mul = cfg5 & 0xFFFF
    div = (cfg5 >> 16) & 0xFFFF
    if mul == 0 or div == 0:
        return base
    return base * mul // div


def timer_start(period: u64) -> None:
    """Run the constant timer periodically every `period` counts, its interrupt line enabled."""
    value = (period & ~u64(3)) | TCFG_EN | TCFG_PERIODIC
    asm("move $$t0, $0\n csrwr $$t0, 0x41", "r,~{$r12},~{memory}", value)
    asm("move $$t0, $0\n csrxchg $$t0, $$t0, 0x4", "r,~{$r12},~{memory}", ECFG_LIE_TIMER)


def interrupts_enable() -> None:
    """CRMD.IE on."""
    asm("move $$t0, $0\n csrxchg $$t0, $$t0, 0x0", "r,~{$r12},~{memory}", CRMD_IE)


def timer_ack() -> None:
    """Clear the timer interrupt (TICLR bit 0)."""
    asm("ori $$t0, $$zero, 1\n csrwr $$t0, 0x44", "~{$r12},~{memory}")


def tick_count() -> u64:
    """Timer interrupts so far."""
    return ticks.load()


def ecode_name(ecode: u64) -> str:
    """Name of an exception code (the LoongArch reference manual's table)."""
    if ecode == 1:
        return "PIL load page invalid"
    if ecode == 2:
        return "PIS store page invalid"
    if ecode == 3:
        return "PIF fetch page invalid"
    if ecode == 4:
        return "PME page modified"
    if ecode == 5:
        return "PNR page not readable"
    if ecode == 6:
        return "PNX page not executable"
    if ecode == 7:
        return "PPI page privilege"
    if ecode == 8:
        return "ADE address error"
    if ecode == 9:
        return "ALE misaligned access"
    if ecode == 11:
        return "SYS syscall"
    if ecode == 12:
        return "BRK breakpoint"
    if ecode == 13:
        return "INE instruction not defined"
    if ecode == 14:
        return "IPE instruction privilege"
    if ecode == 15:
        return "FPD FPU disabled"
    return "unknown exception"


def report_stack_overflow(addr: u64) -> None:
    """Say so first when the faulting address is in the guard page below a kernel stack."""
    hit = False
    try:
        hit = is_guard_page(addr)
    except SysError:
        # A page-table walk cannot fail; the translator just cannot tell.
        hit = False
    if hit:
        kprint(f"panic: kernel stack overflow: {addr:#018x} is in the guard page below a kernel stack")


def fatal_trap(fp: Ptr[TrapFrame]) -> None:
    """Print the report of an exception the kernel cannot handle, with a backtrace, and halt."""
    f = fp.load()
    if not begin_fatal_report():
        kprint("trap while printing a fatal error report")
        fatal_halt()
    ecode = (f.estat >> ESTAT_ECODE_SHIFT) & ESTAT_ECODE_MASK
    report_stack_overflow(f.badv)
    kprint(f"panic: CPU exception {ecode_name(ecode)} (ecode {ecode:#x}, estat {f.estat:#x})")
    kprint(f"  era {f.era:#018x}  badv {f.badv:#018x}  prmd {f.prmd:#x}")
    kprint(f"  ra {f.r[1]:#018x}  sp {f.r[3]:#018x}  fp {f.r[22]:#018x}  a0 {f.r[4]:#018x}")
    print_backtrace(f.era, f.r[22], True)
    fatal_halt()


@export("asterpy_la_trap_handler")
def la_trap(frame: u64) -> None:
    """Called by the entry with the TrapFrame's address: count timer ticks, report the rest."""
    fp = Ptr[TrapFrame](frame)
    estat = fp.load().estat
    if (estat >> ESTAT_ECODE_SHIFT) & ESTAT_ECODE_MASK == 0:
        if (estat & ESTAT_IS_TIMER) != 0:
            ticks.fetch_add(1)
            timer_ack()
            return
        kprint(f"unexpected interrupt (estat {estat:#x}) ignored")
        return
    fatal_trap(fp)


def deliberate_fault() -> None:
    """A breakpoint instruction (command line `asterpy.fault=trap`): must end in the trap report."""
    kprint("traps: executing break 0")
    asm("break 0", "~{memory}")
