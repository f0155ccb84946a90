"""x86_64 kernel contexts: a stack switch and per-context FPU/SSE state (fxsave64/fxrstor64).

The kernel itself is compiled without SSE, so only a context switch has to carry FPU state: every
user program uses SSE, and each context (kernel thread now, user thread later) keeps its own
512-byte fxsave area. `asterpy.selftest=fpu` on the command line runs a self-test with two kernel threads that
each keep a different value in xmm0 across switches.
"""

from typing import Final, Optional

from asterpy.kernel.cmdline import cmdline_fpu_selftest
from asterpy.lang import Ptr, kinfo, kwarn, memcpy, memset, u64
from asterpy.lang.intrinsics import asm, asm_u64, naked
from asterpy.lang.linkage import export
from asterpy.mm.heap import kfree, kmalloc

from arch.x86_64.paging import load_root, read_root, wrmsr

FXSAVE_BYTES: Final = u64(512)
THREAD_STACK_BYTES: Final = u64(16384)
# Callee-saved registers switch_stack pushes: rbp, rbx, r12-r15.
SAVED_REGS: Final = u64(6)


class Context:
    """A kernel execution context: its saved stack pointer and its FPU/SSE state."""

    sp_slot: u64  # an 8-byte heap cell holding rsp while the context is not running
    fpu: u64      # 16-byte aligned fxsave area

    def __init__(self) -> None:
        self.sp_slot = kmalloc(u64(8))
        self.fpu = kmalloc(FXSAVE_BYTES)
        if self.sp_slot == 0 or self.fpu == 0:
            kwarn("context: out of heap memory")
        fpu_save(self.fpu)  # start from the current (clean) state


def context_free(ctx: Context) -> None:
    """Give back a context's heap cells (the task it belonged to is gone)."""
    if ctx.sp_slot != 0:
        kfree(ctx.sp_slot)
        ctx.sp_slot = u64(0)
    if ctx.fpu != 0:
        kfree(ctx.fpu)
        ctx.fpu = u64(0)


def fpu_save(area: u64) -> None:
    """fxsave64: store x87/MMX/SSE registers and MXCSR into area (16-byte aligned, 512 bytes)."""
    asm("fxsave64 ($0)", "r,~{memory}", area)


def fpu_restore(area: u64) -> None:
    """fxrstor64: load the FPU/SSE state saved in area."""
    asm("fxrstor64 ($0)", "r,~{memory}", area)


@export("x86_switch_stack")
@naked
def switch_stack(save_sp: u64, new_sp: u64) -> None:
    """Push the callee-saved registers, store rsp at [rdi], take rsi as rsp, pop them and return there."""
    asm("pushq %rbp; pushq %rbx; pushq %r12; pushq %r13; pushq %r14; pushq %r15; "
        "movq %rsp, (%rdi); movq %rsi, %rsp; "
        "popq %r15; popq %r14; popq %r13; popq %r12; popq %rbx; popq %rbp; retq", "")


def switch_to(cur: Context, nxt: Context) -> None:
    """Leave cur for nxt; returns when some context switches back to cur, with cur's FPU state."""
    fpu_save(cur.fpu)
    switch_stack(cur.sp_slot, Ptr[u64](nxt.sp_slot).load())
    fpu_restore(cur.fpu)


def new_thread(ctx: Context, entry: u64) -> bool:
    """Give ctx a fresh stack whose first switch_stack return lands at entry; False without memory."""
    stack = kmalloc(THREAD_STACK_BYTES)
    if stack == 0:
        return False
    top = (stack + THREAD_STACK_BYTES) & ~u64(15)
    # [6 zeroed callee-saved registers][entry][dummy]: after `ret` rsp is 8 mod 16, as at a call.
    sp = top - 8 * (SAVED_REGS + 2)
    frame = Ptr[u64](sp)
    for i in range(u64(0), SAVED_REGS):
        frame[i] = u64(0)
    frame[SAVED_REGS] = entry
    frame[SAVED_REGS + 1] = u64(0)
    Ptr[u64](ctx.sp_slot).store(sp)
    return True


# ---- the self-test: two kernel threads and the boot context, each with its own xmm0 ----------------

_boot: Optional[Context] = None
_a: Optional[Context] = None
_b: Optional[Context] = None
_failures: u64 = u64(0)


def xmm0_set(v: u64) -> None:
    """xmm0 = v (movq %rax, %xmm0, spelled in bytes: the kernel's own code is assembled without SSE)."""
    asm("movq $0, %rax; .byte 0x66, 0x48, 0x0f, 0x6e, 0xc0", "r,~{rax},~{memory}", v)


def xmm0_get() -> u64:
    """The low 64 bits of xmm0 (movq %xmm0, %rax)."""
    return asm_u64(".byte 0x66, 0x48, 0x0f, 0x7e, 0xc0; movq %rax, $0", "=r,~{rax}")


def expect_xmm0(who: u64, want: u64) -> None:
    """Count a failure if xmm0 does not hold this context's value."""
    global _failures
    got = xmm0_get()
    if got != want:
        _failures += 1
        kwarn(f"fpu: context {who} found xmm0 = {got:#x}, expected {want:#x}")


@export("x86_fpu_test_thread_a")
def thread_a() -> None:
    """First test thread: its own xmm0 survives two round trips through the other contexts."""
    a = _a
    b = _b
    if a is None or b is None:
        return
    fpu_restore(a.fpu)
    xmm0_set(u64(0xAAAA))
    switch_to(a, b)
    expect_xmm0(u64(1), u64(0xAAAA))
    switch_to(a, b)
    expect_xmm0(u64(1), u64(0xAAAA))
    boot = _boot
    if boot is not None:
        switch_to(a, boot)
    while True:
        pass


@export("x86_fpu_test_thread_b")
def thread_b() -> None:
    """Second test thread."""
    a = _a
    b = _b
    boot = _boot
    if a is None or b is None or boot is None:
        return
    fpu_restore(b.fpu)
    xmm0_set(u64(0xBBBB))
    switch_to(b, boot)
    expect_xmm0(u64(2), u64(0xBBBB))
    switch_to(b, a)
    expect_xmm0(u64(2), u64(0xBBBB))
    switch_to(b, a)
    while True:
        pass


def fpu_context_selftest() -> None:
    """Boot context, thread A and thread B each keep a different xmm0 across six switches."""
    global _boot, _a, _b
    boot = Context()
    a = Context()
    b = Context()
    _boot = boot
    _a = a
    _b = b
    if not new_thread(a, asm_u64("leaq x86_fpu_test_thread_a(%rip), $0", "=r")) or \
            not new_thread(b, asm_u64("leaq x86_fpu_test_thread_b(%rip), $0", "=r")):
        kwarn("fpu: no memory for the test threads")
        return
    xmm0_set(u64(0x1234))
    switch_to(boot, a)        # A runs, then B, which comes back here
    expect_xmm0(u64(0), u64(0x1234))
    switch_to(boot, b)        # B checks, A checks twice, A comes back here
    expect_xmm0(u64(0), u64(0x1234))
    if _failures == 0:
        kinfo("fpu: per-context FPU/SSE state kept across 6 switches between 3 contexts")
    else:
        kwarn(f"fpu: {_failures} context(s) lost their FPU state")


def run_fpu_selftest_if_requested() -> None:
    """Run the self-test when the command line has the word `asterpy.selftest=fpu`."""
    if cmdline_fpu_selftest():
        fpu_context_selftest()


# ---- user tasks: the frame at the top of every task's kernel stack, switching between tasks ----

# A user task's registers while it is in the kernel: the SyscallFrame / TrapFrame (the two share
# one layout, 22 words) at the very top of its kernel stack. Word indices:
USER_FRAME_WORDS: Final = u64(22)
USER_FRAME_BYTES: Final = USER_FRAME_WORDS * 8
F_R15: Final = u64(0)
F_R14: Final = u64(1)
F_R13: Final = u64(2)
F_R12: Final = u64(3)
F_R11: Final = u64(4)
F_R10: Final = u64(5)
F_R9: Final = u64(6)
F_R8: Final = u64(7)
F_RBP: Final = u64(8)
F_RDI: Final = u64(9)
F_RSI: Final = u64(10)
F_RDX: Final = u64(11)
F_RCX: Final = u64(12)
F_RBX: Final = u64(13)
F_RAX: Final = u64(14)
F_VECTOR: Final = u64(15)
F_ERROR: Final = u64(16)   # in a SyscallFrame: nonzero = leave through iretq, restoring all
F_RIP: Final = u64(17)
F_CS: Final = u64(18)
F_RFLAGS: Final = u64(19)
F_RSP: Final = u64(20)
F_SS: Final = u64(21)
USER_CS: Final = u64(0x33)
USER_SS: Final = u64(0x2B)
USER_RFLAGS: Final = u64(0x202)     # IF set, reserved bit 1
# The user-changeable rflags bits (CF PF AF ZF SF TF DF OF AC): sigreturn keeps the rest.
USER_RFLAGS_MASK: Final = u64(0x40DD5)
MSR_FS_BASE: Final = u64(0xC0000100)
MSR_KERNEL_GS_BASE: Final = u64(0xC0000102)


def set_user_gs_base(v: u64) -> None:
    """Set the user's GS base from inside the kernel (arch_prctl ARCH_SET_GS)."""
    wrmsr(MSR_KERNEL_GS_BASE, v)


def frame_get(frame: u64, word: u64) -> u64:
    """Word `word` (an F_* index) of the user frame at frame."""
    return Ptr[u64](frame + 8 * word).load()


def frame_set(frame: u64, word: u64, value: u64) -> None:
    """Set word `word` of the user frame at frame."""
    Ptr[u64](frame + 8 * word).store(value)


def user_frame_of(kstack_top: u64) -> u64:
    """Where a task's user frame sits: the top of its kernel stack."""
    return kstack_top - USER_FRAME_BYTES


def syscall_exit_addr() -> u64:
    """The common return path to user mode (arch/x86_64/syscall.py's asterpy_syscall_exit)."""
    return asm_u64("movabsq $$asterpy_syscall_exit, $0", "=r")


def frame_reset_user(frame: u64, entry: u64, sp: u64) -> None:
    """Make the frame enter user mode fresh at entry with stack sp: every register zero (exec)."""
    memset(frame, 0, USER_FRAME_BYTES)
    frame_set(frame, F_RIP, entry)
    frame_set(frame, F_RSP, sp)
    frame_set(frame, F_CS, USER_CS)
    frame_set(frame, F_SS, USER_SS)
    frame_set(frame, F_RFLAGS, USER_RFLAGS)
    frame_set(frame, F_ERROR, u64(1))


def prepare_user_context(ctx: Context, kstack_top: u64, parent_frame: u64) -> u64:
    """Lay out a new task's kernel stack so that its first switch leaves for user mode.

    The user frame is a copy of parent_frame (fork: the child resumes where the parent made
    the call) or, when parent_frame is 0, an empty one for frame_reset_user. Below it, the
    registers switch_stack pops and a return address of asterpy_syscall_exit. Returns the
    frame's address.
    """
    frame = user_frame_of(kstack_top)
    if parent_frame != 0:
        memcpy(frame, parent_frame, USER_FRAME_BYTES)
        # The child always leaves through iretq, restoring every register as the parent had
        # them (rcx and r11 included), like Linux's fork return.
        frame_set(frame, F_ERROR, u64(1))
    else:
        frame_reset_user(frame, u64(0), u64(0))
    sp = frame - 8 * (SAVED_REGS + 1)
    regs = Ptr[u64](sp)
    for i in range(u64(0), SAVED_REGS):
        regs[i] = u64(0)
    regs[SAVED_REGS] = syscall_exit_addr()
    Ptr[u64](ctx.sp_slot).store(sp)
    return frame


def percpu_kstack_set(top: u64) -> None:
    """Point the syscall entry's stack (per-CPU slot 0) and the TSS's RSP0 at top."""
    Ptr[u64](asm_u64("movabsq $$asterpy_percpu, $0", "=r")).store(top)
    tss = asm_u64("movabsq $$asterpy_tss, $0", "=r")
    # Tss.rsp[0] is at offset 4 (after reserved0: u32): the structure is packed.
    Ptr[u64](tss + 4).store(top)


def switch_task(cur: Context, nxt: Context, kstack_top: u64, root: u64, fs_base: u64, gs_base: u64) -> None:
    """Leave cur for nxt, whose kernel stack ends at kstack_top (0: keep the current one), page
    tables are root and TLS base fs_base; returns when a switch comes back to cur.

    The FPU state is handed over before the stack switch (the kernel's own code never touches
    SSE): cur's saved, nxt's loaded, so a new task's first return to user mode has its state.
    """
    fpu_save(cur.fpu)
    fpu_restore(nxt.fpu)
    if kstack_top != 0:
        percpu_kstack_set(kstack_top)
    if root != 0 and root != read_root():
        load_root(root)
    wrmsr(MSR_FS_BASE, fs_base)
    # In the kernel the user's GS base waits in KERNEL_GS_BASE (swapgs brings it back).
    wrmsr(MSR_KERNEL_GS_BASE, gs_base)
    switch_stack(cur.sp_slot, Ptr[u64](nxt.sp_slot).load())


def idle_wait() -> None:
    """Wait for the next interrupt with interrupts enabled, then disable them again."""
    asm("sti; hlt; cli", "~{memory}")
