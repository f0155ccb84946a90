"""riscv64 traps: the S-mode vector, the trap frame, the dispatcher (timer ticks, fatal reports)."""

from typing import Final

from asterpy.lang import Array, AtomicU64, Ptr, SysError, kprint, mmio_read32, struct, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.lang.linkage import export
from asterpy.mm.kstack import is_guard_page

from arch.riscv64.backtrace import print_backtrace
from arch.riscv64.console import begin_fatal_report, fatal_halt
from arch.riscv64.plic import plic_handle
from arch.riscv64.sbi import sbi_set_timer

# scause: the top bit says interrupt; the rest is the cause.
SCAUSE_INTERRUPT: Final = u64(1) << 63
IRQ_S_TIMER: Final = u64(5)
IRQ_S_EXTERNAL: Final = u64(9)
SIE_STIE: Final = u64(1) << 5
SSTATUS_SIE: Final = u64(1) << 1
# What the vector pushes: TrapFrame (288 bytes) plus a fake (saved fp, return address) pair that
# links the frame-pointer chain through the interrupted code (sepc) for backtraces.
TRAP_FRAME_BYTES: Final = 304


@struct
class TrapFrame:
    """The interrupted state: x[i] is register xi (x[0] unused, x[2] the interrupted sp)."""

    x: Array[u64, 32]
    sepc: u64
    sstatus: u64
    scause: u64
    stval: u64


# Timer interrupts taken, and the time-CSR period between them (0: timer not started).
ticks: AtomicU64 = AtomicU64(0)
_timer_period: u64 = u64(0)
_vector_installed: bool = False


def trap_vector_asm() -> u64:
    """Emit the trap vector into .text (one inline-asm statement) and return its address.

    The translator does not implement @naked yet, so the entry is emitted from inside this
    function by switching sections; the function itself only loads the address. LLVM may emit
    the statement more than once (this function inlined and also kept), so the vector has a
    numeric local label, which may be defined again, not a global symbol; every copy works.
    """
    return asm_u64(
        ".pushsection .text.asterpy_rv_trap, \"ax\", @progbits\n"
        ".balign 4\n"
        "7:\n"
        "addi sp, sp, -304\n"
        "sd x1, 8(sp)\n"
        "sd x3, 24(sp)\n"
        "sd x4, 32(sp)\n"
        "sd x5, 40(sp)\n"
        "sd x6, 48(sp)\n"
        "sd x7, 56(sp)\n"
        "sd x8, 64(sp)\n"
        "sd x9, 72(sp)\n"
        "sd x10, 80(sp)\n"
        "sd x11, 88(sp)\n"
        "sd x12, 96(sp)\n"
        "sd x13, 104(sp)\n"
        "sd x14, 112(sp)\n"
        "sd x15, 120(sp)\n"
        "sd x16, 128(sp)\n"
        "sd x17, 136(sp)\n"
        "sd x18, 144(sp)\n"
        "sd x19, 152(sp)\n"
        "sd x20, 160(sp)\n"
        "sd x21, 168(sp)\n"
        "sd x22, 176(sp)\n"
        "sd x23, 184(sp)\n"
        "sd x24, 192(sp)\n"
        "sd x25, 200(sp)\n"
        "sd x26, 208(sp)\n"
        "sd x27, 216(sp)\n"
        "sd x28, 224(sp)\n"
        "sd x29, 232(sp)\n"
        "sd x30, 240(sp)\n"
        "sd x31, 248(sp)\n"
        "addi t0, sp, 304\n"
        "sd t0, 16(sp)\n"
        "csrr t0, sepc\n"
        "sd t0, 256(sp)\n"
        "csrr t0, sstatus\n"
        "sd t0, 264(sp)\n"
        "csrr t0, scause\n"
        "sd t0, 272(sp)\n"
        "csrr t0, stval\n"
        "sd t0, 280(sp)\n"
        "sd s0, 288(sp)\n"
        "ld t0, 256(sp)\n"
        "sd t0, 296(sp)\n"
        "addi s0, sp, 304\n"
        "mv a0, sp\n"
        "call asterpy_rv_trap_handler\n"
        "ld t0, 256(sp)\n"
        "csrw sepc, t0\n"
        "ld t0, 264(sp)\n"
        "csrw sstatus, t0\n"
        "ld x1, 8(sp)\n"
        "ld x3, 24(sp)\n"
        "ld x4, 32(sp)\n"
        "ld x5, 40(sp)\n"
        "ld x6, 48(sp)\n"
        "ld x7, 56(sp)\n"
        "ld x8, 64(sp)\n"
        "ld x9, 72(sp)\n"
        "ld x10, 80(sp)\n"
        "ld x11, 88(sp)\n"
        "ld x12, 96(sp)\n"
        "ld x13, 104(sp)\n"
        "ld x14, 112(sp)\n"
        "ld x15, 120(sp)\n"
        "ld x16, 128(sp)\n"
        "ld x17, 136(sp)\n"
        "ld x18, 144(sp)\n"
        "ld x19, 152(sp)\n"
        "ld x20, 160(sp)\n"
        "ld x21, 168(sp)\n"
        "ld x22, 176(sp)\n"
        "ld x23, 184(sp)\n"
        "ld x24, 192(sp)\n"
        "ld x25, 200(sp)\n"
        "ld x26, 208(sp)\n"
        "ld x27, 216(sp)\n"
        "ld x28, 224(sp)\n"
        "ld x29, 232(sp)\n"
        "ld x30, 240(sp)\n"
        "ld x31, 248(sp)\n"
        "addi sp, sp, 304\n"
        "sret\n"
        ".popsection\n"
        "lla $0, 7b\n",
        "=r,~{memory}")


def traps_init() -> None:
    """Point stvec at the kernel's vector (direct mode): from here a trap prints a report."""
    global _vector_installed
    # The vector is 4-byte aligned: stvec's low two bits are the mode (0 = direct).
    asm("csrw stvec, $0", "r,~{memory}", trap_vector_asm())
    _vector_installed = True


def vector_installed() -> bool:
    """Whether traps_init ran (interrupts may be enabled only then)."""
    return _vector_installed


def read_time() -> u64:
    """The time CSR (rdtime): the platform timer, counting at the FDT's timebase-frequency."""
    return asm_u64("rdtime $0", "=r")


def timer_start(period: u64) -> None:
    """Take a supervisor timer interrupt every `period` time-CSR counts."""
    global _timer_period
    _timer_period = period
    sbi_set_timer(read_time() + period)
    asm("csrs sie, $0", "r,~{memory}", SIE_STIE)


def interrupts_enable() -> None:
    """sstatus.SIE on."""
    asm("csrs sstatus, $0", "r,~{memory}", SSTATUS_SIE)


def tick_count() -> u64:
    """Timer interrupts so far."""
    return ticks.load()


def cause_name(cause: u64) -> str:
    """Name of a synchronous exception cause (the privileged spec's table)."""
    if cause == 0:
        return "instruction address misaligned"
    if cause == 1:
        return "instruction access fault"
    if cause == 2:
        return "illegal instruction"
    if cause == 3:
        return "breakpoint"
    if cause == 4:
        return "load address misaligned"
    if cause == 5:
        return "load access fault"
    if cause == 6:
        return "store address misaligned"
    if cause == 7:
        return "store access fault"
    if cause == 8:
        return "environment call from U-mode"
    if cause == 9:
        return "environment call from S-mode"
    if cause == 12:
        return "instruction page fault"
    if cause == 13:
        return "load page fault"
    if cause == 15:
        return "store page fault"
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
    report_stack_overflow(f.stval)
    kprint(f"panic: CPU exception {cause_name(f.scause)} (scause {f.scause:#x})")
    kprint(f"  sepc {f.sepc:#018x}  stval {f.stval:#018x}  sstatus {f.sstatus:#018x}")
    kprint(f"  ra {f.x[1]:#018x}  sp {f.x[2]:#018x}  gp {f.x[3]:#018x}  tp {f.x[4]:#018x}")
    kprint(f"  s0 {f.x[8]:#018x}  a0 {f.x[10]:#018x}  a1 {f.x[11]:#018x}  a2 {f.x[12]:#018x}")
    print_backtrace(f.sepc, f.x[8], True)
    fatal_halt()


@export("asterpy_rv_trap_handler")
def rv_trap(frame: u64) -> None:
    """Called by the vector with the TrapFrame's address: count timer ticks, report the rest."""
    fp = Ptr[TrapFrame](frame)
    cause = fp.load().scause
    if (cause & SCAUSE_INTERRUPT) != 0:
        if (cause & ~SCAUSE_INTERRUPT) == IRQ_S_TIMER:
            ticks.fetch_add(1)
            # Setting the next deadline also clears the pending timer interrupt.
            sbi_set_timer(read_time() + _timer_period)
            return
        if (cause & ~SCAUSE_INTERRUPT) == IRQ_S_EXTERNAL:
            plic_handle()
            return
        kprint(f"unexpected interrupt {cause & ~SCAUSE_INTERRUPT} ignored")
        return
    fatal_trap(fp)


def deliberate_fault() -> None:
    """Load from an unmapped address (command line `asterpy.fault=trap`): must end in the trap report."""
    kprint("traps: loading from an unmapped address")
    # Volatile, so the unused value is still loaded; 0x1000 is below every mapping of the boot tables.
    mmio_read32(u64(0x1000))
