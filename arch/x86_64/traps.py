"""x86_64 trap dispatcher: x86_trap(frame) from trap.S; exceptions end in a panic report with a backtrace.

Part of the composition root (docs/architecture.md, L5): this is where hardware calls up into the
kernel (the timer tick to the scheduler, console input to the tty, a user fault to asterpy.mm.fault
and signals). Nothing imports it but the boot entry.
"""

from typing import Final

from asterpy.lang import Ptr, SysError, kinfo, kprint, panic, struct, u32, u64, volatile_load
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.lang.linkage import export

from arch.x86_64.apic import lapic_eoi, timer_interrupt
from arch.x86_64.backtrace import print_backtrace
from arch.x86_64.console import begin_fatal_report, fatal_halt
from arch.x86_64.gdt import gdt_init
from arch.x86_64.idt import idt_init
from asterpy.kernel.cmdline import FAULT_DF, FAULT_GP, FAULT_PANIC, FAULT_PF, FAULT_UD, cmdline_fault
from asterpy.kernel.siginfo import SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP
from asterpy.mm.kstack import is_guard_page

VEC_BREAKPOINT: Final = u64(3)
VEC_OVERFLOW: Final = u64(4)
VEC_DOUBLE_FAULT: Final = u64(8)
VEC_PAGE_FAULT: Final = u64(14)
VEC_EXCEPTIONS_END: Final = u64(32)
VEC_IRQ_BASE: Final = u64(32)      # 32..47: the legacy IRQ range (the LAPIC timer is 32)
VEC_IRQ_END: Final = u64(48)
VEC_TIMER: Final = u64(32)         # arch/x86_64/apic.py programs the LAPIC timer on it
VEC_DISK: Final = u64(48)          # virtio disks' MSI-X (kernel_arch.ARCH_DISK_VECTOR)
VEC_SPURIOUS_FIRST: Final = u64(0xF0)   # 0xF0..0xFE: the 8259 PICs' vectors, 0xFF: the LAPIC's spurious

# Page-fault error code bits.
PF_PRESENT: Final = u64(1 << 0)
PF_WRITE: Final = u64(1 << 1)
PF_USER: Final = u64(1 << 2)
PF_RESERVED: Final = u64(1 << 3)
PF_FETCH: Final = u64(1 << 4)

# A lower-half address above the boot identity map (1 GiB): unmapped, so reading it is a #PF.
UNMAPPED_ADDR: Final = u64(0x80000000000)

@struct
class TrapFrame:
    """What trap.S leaves on the stack, lowest address first: the general registers it pushed,
    the vector and error code of the stub, and the CPU's interrupt frame."""

    r15: u64
    r14: u64
    r13: u64
    r12: u64
    r11: u64
    r10: u64
    r9: u64
    r8: u64
    rbp: u64
    rdi: u64
    rsi: u64
    rdx: u64
    rcx: u64
    rbx: u64
    rax: u64
    vector: u64
    error_code: u64
    rip: u64
    cs: u64
    rflags: u64
    rsp: u64
    ss: u64


# Interrupts seen by vector range (for tests and /proc later).
spurious_count: u64 = 0
unexpected_count: u64 = 0


def traps_init() -> None:
    """Load the kernel's GDT and TSS, then the IDT: from here on exceptions are reported."""
    gdt_init()
    idt_init()


def exception_name(vector: u64) -> str:
    """The mnemonic and name of a CPU exception vector."""
    if vector == 0:
        return "#DE divide error"
    if vector == 1:
        return "#DB debug"
    if vector == 2:
        return "NMI non-maskable interrupt"
    if vector == 3:
        return "#BP breakpoint"
    if vector == 4:
        return "#OF overflow"
    if vector == 5:
        return "#BR bound range exceeded"
    if vector == 6:
        return "#UD invalid opcode"
    if vector == 7:
        return "#NM device not available"
    if vector == 8:
        return "#DF double fault"
    if vector == 9:
        return "coprocessor segment overrun"
    if vector == 10:
        return "#TS invalid TSS"
    if vector == 11:
        return "#NP segment not present"
    if vector == 12:
        return "#SS stack-segment fault"
    if vector == 13:
        return "#GP general protection"
    if vector == 14:
        return "#PF page fault"
    if vector == 16:
        return "#MF x87 floating-point error"
    if vector == 17:
        return "#AC alignment check"
    if vector == 18:
        return "#MC machine check"
    if vector == 19:
        return "#XM SIMD floating-point exception"
    if vector == 20:
        return "#VE virtualization exception"
    if vector == 21:
        return "#CP control protection"
    if vector == 28:
        return "#HV hypervisor injection"
    if vector == 29:
        return "#VC VMM communication"
    if vector == 30:
        return "#SX security exception"
    return "reserved exception"


def read_cr2() -> u64:
    """The faulting linear address of the last page fault."""
    return asm_u64("movq %cr2, $0", "=r")


def read_cr3() -> u64:
    """The current page-table root."""
    return asm_u64("movq %cr3, $0", "=r")


def report_stack_overflow(f: TrapFrame) -> None:
    """Say so first when a kernel page fault (or the double fault it became: the CPU could not
    push the page fault's frame on the full stack) hit the guard page below a kernel stack."""
    v = f.vector
    if v != VEC_PAGE_FAULT and v != VEC_DOUBLE_FAULT:
        return
    addr = read_cr2()
    hit = False
    try:
        hit = is_guard_page(addr)
    except SysError:
        # A page-table walk cannot fail; the translator just cannot tell.
        hit = False
    if hit:
        kprint(f"panic: kernel stack overflow: {addr:#018x} is in the guard page below a kernel stack "
               f"(RSP {f.rsp:#018x})")


def report_exception(f: TrapFrame) -> None:
    """Print the exception, the interrupted state, every register and a backtrace."""
    v = f.vector
    report_stack_overflow(f)
    kprint(f"panic: CPU exception {exception_name(v)} (vector {v}, error code {f.error_code:#x})")
    if v == VEC_PAGE_FAULT:
        err = f.error_code
        kprint(f"  CR2 {read_cr2():#018x}  CR3 {read_cr3():#018x}  "
               f"present={(err & PF_PRESENT) != 0} write={(err & PF_WRITE) != 0} "
               f"user={(err & PF_USER) != 0} reserved={(err & PF_RESERVED) != 0} "
               f"fetch={(err & PF_FETCH) != 0}")
    kprint(f"  RIP {f.rip:#018x}  CS {f.cs:#06x}  RFLAGS {f.rflags:#018x}")
    kprint(f"  RSP {f.rsp:#018x}  SS {f.ss:#06x}")
    kprint(f"  RAX {f.rax:#018x}  RBX {f.rbx:#018x}  RCX {f.rcx:#018x}")
    kprint(f"  RDX {f.rdx:#018x}  RSI {f.rsi:#018x}  RDI {f.rdi:#018x}")
    kprint(f"  RBP {f.rbp:#018x}  R8  {f.r8:#018x}  R9  {f.r9:#018x}")
    kprint(f"  R10 {f.r10:#018x}  R11 {f.r11:#018x}  R12 {f.r12:#018x}")
    kprint(f"  R13 {f.r13:#018x}  R14 {f.r14:#018x}  R15 {f.r15:#018x}")
    # The saved rip is the faulting instruction itself for a fault, but the next instruction
    # for a trap (int3, into): symbolize the latter one byte back, inside the instruction.
    print_backtrace(f.rip, f.rbp, v != VEC_BREAKPOINT and v != VEC_OVERFLOW)


def irq(vector: u64) -> None:
    """A device interrupt, vectors 32..47: the timer's work for vector 32, then the local APIC's EOI."""
    if vector == VEC_TIMER:
        timer_interrupt()
        lapic_eoi()
        # Console input is polled at every tick (the UART's own interrupt is not wired yet),
        # then the scheduler ends timed sleeps and asks the running task to yield.
        tty.tty_poll_input()
        sched.sched_tick()
        return
    lapic_eoi()


@export("x86_trap")
def x86_trap(frame: u64) -> None:
    """Called by trap.S with interrupts off and the TrapFrame at `frame`."""
    global spurious_count
    global unexpected_count
    f = Ptr[TrapFrame](frame).load()
    v = f.vector
    if v < VEC_EXCEPTIONS_END:
        if (f.cs & 3) == 3:
            # From user mode: a signal for the task, acted on as it returns to user mode.
            user_exception(v, f.error_code, f.rip)
            sched.sched_return_to_user(frame, False)
            return
        if begin_fatal_report():
            report_exception(f)
        else:
            kprint(f"CPU exception {exception_name(v)} at {f.rip:#018x} while printing a fatal error report")
        fatal_halt()
    if v >= VEC_SPURIOUS_FIRST:
        # The local APIC's spurious vector, or a spurious IRQ 7/15 of the masked 8259 PICs
        # (apic.py moves them to 0xF0..0xFF): no EOI, nothing to do.
        spurious_count += 1
        return
    if v == VEC_DISK:
        # A disk request completed: wake whoever waits on it (the waiter reaps the used ring).
        lapic_eoi()
        virtio_blk.virtio_blk_interrupt()
        if (f.cs & 3) == 3:
            sched.sched_return_to_user(frame, False)
        return
    if v < VEC_IRQ_END:
        irq(v)
        if (f.cs & 3) == 3:
            sched.sched_return_to_user(frame, False)
        return
    unexpected_count += 1
    kprint(f"x86_trap: unexpected interrupt vector {v} ignored")


# ------------------------------------------------------------------ deliberate failures (tests)

def deliberate_panic() -> None:
    """Panic on purpose (kernel command line `asterpy.fault=panic`): tests the panic report and backtrace."""
    panic("deliberate panic (asterpy.fault=panic on the command line)")


def deliberate_invalid_opcode() -> None:
    """Execute ud2 (`asterpy.fault=ud`): an #UD in kernel code."""
    asm("ud2", "~{memory}")


def deliberate_page_fault() -> u64:
    """Read an unmapped lower-half address (`asterpy.fault=pf`): a #PF with CR2 = that address."""
    return volatile_load(Ptr[u64](UNMAPPED_ADDR))


def deliberate_general_protection() -> u64:
    """Read a non-canonical address (`asterpy.fault=gp`): a #GP."""
    # A 32-bit read: an instruction of its own, which LLVM cannot merge with deliberate_page_fault's
    # 64-bit read (the merged copy would lose the line the backtrace names).
    return u64(volatile_load(Ptr[u32](u64(0x8000000000000000))))


def deliberate_double_fault() -> None:
    """Point rsp at unmapped memory and execute ud2 (`asterpy.fault=df`): delivering the #UD faults, so
    does delivering that #PF, and the CPU raises #DF, which runs on its own IST stack."""
    asm("movq $0, %rsp; ud2", "r,~{memory}", UNMAPPED_ADDR)


def run_deliberate_failures() -> None:
    """Trigger the failure that an `asterpy.fault=panic|ud|pf|gp|df` command-line word asks for."""
    f = cmdline_fault()
    if f == FAULT_PANIC:
        deliberate_panic()
    elif f == FAULT_UD:
        deliberate_invalid_opcode()
    elif f == FAULT_PF:
        deliberate_page_fault()
    elif f == FAULT_GP:
        deliberate_general_protection()
    elif f == FAULT_DF:
        deliberate_double_fault()


def signal_of_exception(vector: u64) -> u64:
    """The signal Linux sends for a CPU exception raised by user code."""
    if vector == 0 or vector == 16 or vector == 19:
        return SIGFPE
    if vector == 1 or vector == 3:
        return SIGTRAP
    if vector == 6:
        return SIGILL
    if vector == 17:
        return SIGBUS
    return SIGSEGV


def user_exception(vector: u64, error_code: u64, rip: u64) -> None:
    """A CPU exception raised by user code: the signal Linux sends for it goes to the running
    task (delivered, or fatal, on the way back to user mode)."""
    t = sched.current_task_or_none()
    if t is None:
        return
    sig = signal_of_exception(vector)
    addr = rip
    code = u64(0x80)                      # SI_KERNEL
    if vector == 14:
        addr = read_cr2()
        # Demand paging and copy-on-write first (error code: bit 1 write, bit 4 instruction fetch).
        res = mmfault.user_mode_fault(t.proc, addr, (error_code & 2) != 0, (error_code & 16) != 0)
        if res == mmfault.FAULT_OK:
            return
        sig = res >> 8
        code = res & 0xFF                 # SEGV_MAPERR / SEGV_ACCERR / BUS_ADRERR / SI_KERNEL (OOM kill)
        kinfo(f"[pid {t.proc.pid}] signal {sig} (page fault) at {addr:#x} rip {rip:#x}")
    elif sig == SIGSEGV:
        kprint(f"[pid {t.proc.pid}] SIGSEGV (exception {vector}, error code {error_code:#x}) rip {rip:#x}")
        addr = u64(0)
    else:
        kprint(f"[pid {t.proc.pid}] signal {sig} (exception {vector}) rip {rip:#x}")
        if sig == SIGILL:
            code = u64(2)                 # ILL_ILLOPN
        elif sig == SIGFPE:
            code = u64(1)                 # FPE_INTDIV
        elif sig == SIGTRAP:
            code = u64(1)                 # TRAP_BRKPT
    signals.force_fault_signal(t, sig, code, addr)


# Imports of higher layers come last: those modules import this one back (an import cycle), and
# under CPython the names above must exist by the time they do.
import asterpy.task.sched as sched  # noqa: E402
import asterpy.drivers.tty as tty  # noqa: E402
import asterpy.drivers.virtio_blk as virtio_blk  # noqa: E402
import asterpy.task.signal as signals  # noqa: E402
import asterpy.mm.fault as mmfault  # noqa: E402
