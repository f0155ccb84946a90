"""x86_64 signal frames: what a handler finds on its stack (struct rt_sigframe) and rt_sigreturn.

The layout is Linux's x86_64 ABI (the handler and the C library read it): at the handler's
rsp, the return address (the C library's sa_restorer, which calls rt_sigreturn), then a
ucontext (uc_flags, uc_link, uc_stack, the 256-byte sigcontext with every register, the
blocked mask), then a 128-byte siginfo; the 512-byte fxsave image of the FPU/SSE state sits
above, 64-byte aligned, and sigcontext.fpstate points at it.
"""

from typing import Final

from asterpy.lang import Ptr, SysError, u64
from asterpy.lang.errno import EFAULT
from asterpy.mm.heap import kfree, kmalloc
from asterpy.kernel.caller import Caller
from asterpy.kernel.siginfo import SigInfo

from arch.x86_64.context import (
    F_CS, F_ERROR, F_R8, F_R9, F_R10, F_R11, F_R12, F_R13, F_R14, F_R15, F_RAX, F_RBP, F_RBX, F_RCX,
    F_RDI, F_RDX, F_RFLAGS, F_RIP, F_RSI, F_RSP, F_SS, F_VECTOR, USER_CS, USER_RFLAGS_MASK, USER_SS,
    fpu_restore, fpu_save, frame_get, frame_set,
)

RED_ZONE: Final = u64(128)
FPSTATE_BYTES: Final = u64(512)
UCONTEXT_OFF: Final = u64(8)
MCONTEXT_OFF: Final = UCONTEXT_OFF + 40
SIGMASK_OFF: Final = UCONTEXT_OFF + 296
SIGINFO_OFF: Final = UCONTEXT_OFF + 304
FRAME_BYTES: Final = SIGINFO_OFF + 128
# MXCSR bits a user may set (the default MXCSR_MASK): others would make fxrstor fault.
MXCSR_MASK: Final = u64(0xFFBF)

# The sigcontext's register order, as frame words (r8 first ... rip), then eflags.
SC_REGS: Final = u64(17)


def sc_frame_word(i: u64) -> u64:
    """The user-frame word of sigcontext register slot i (0 = r8 ... 16 = rip)."""
    if i == 0:
        return F_R8
    if i == 1:
        return F_R9
    if i == 2:
        return F_R10
    if i == 3:
        return F_R11
    if i == 4:
        return F_R12
    if i == 5:
        return F_R13
    if i == 6:
        return F_R14
    if i == 7:
        return F_R15
    if i == 8:
        return F_RDI
    if i == 9:
        return F_RSI
    if i == 10:
        return F_RBP
    if i == 11:
        return F_RBX
    if i == 12:
        return F_RDX
    if i == 13:
        return F_RAX
    if i == 14:
        return F_RCX
    if i == 15:
        return F_RSP
    return F_RIP


def arch_signal_frame_push(p: Caller, frame: u64, info: SigInfo, handler: u64, restorer: u64,
                           stack_top: u64, old_mask: u64, alt_sp: u64, alt_size: u64, alt_flags: u64) -> None:
    """Build a signal frame on the user stack and point the user frame at the handler.

    stack_top is where the frame goes below (the user rsp, or the top of the alternate signal
    stack). EFAULT if the stack is not writable user memory: the caller then kills the task.
    """
    sp = stack_top
    if stack_top == frame_get(frame, F_RSP):
        sp -= RED_ZONE
    fpstate = (sp - FPSTATE_BYTES) & ~u64(63)
    base = ((fpstate - FRAME_BYTES) & ~u64(15)) - 8
    p.check_user(base, fpstate + FPSTATE_BYTES - base, True)
    # The FPU/SSE state of the interrupted code is live in the registers now.
    buf = kmalloc(FPSTATE_BYTES)
    if buf == 0:
        raise SysError(EFAULT)
    fpu_save(buf)
    try:
        p.copy_out(fpstate, buf, FPSTATE_BYTES)
    finally:
        kfree(buf)
    p.put_u64(base, restorer)
    uc = base + UCONTEXT_OFF
    p.put_u64(uc, u64(0))                  # uc_flags
    p.put_u64(uc + 8, u64(0))              # uc_link
    p.put_u64(uc + 16, alt_sp)             # uc_stack
    p.put_u64(uc + 24, alt_flags)
    p.put_u64(uc + 32, alt_size)
    mc = base + MCONTEXT_OFF
    for i in range(u64(0), SC_REGS):
        p.put_u64(mc + 8 * i, frame_get(frame, sc_frame_word(i)))
    p.put_u64(mc + 8 * 17, frame_get(frame, F_RFLAGS))
    p.put_u64(mc + 8 * 18, USER_CS | (USER_SS << 48))    # cs, gs, fs, ss
    p.put_u64(mc + 8 * 19, frame_get(frame, F_ERROR))
    p.put_u64(mc + 8 * 20, frame_get(frame, F_VECTOR))
    p.put_u64(mc + 8 * 21, old_mask)       # oldmask
    p.put_u64(mc + 8 * 22, info.addr)      # cr2
    p.put_u64(mc + 8 * 23, fpstate)
    for i in range(u64(24), u64(32)):
        p.put_u64(mc + 8 * i, u64(0))
    p.put_u64(base + SIGMASK_OFF, old_mask)
    si = base + SIGINFO_OFF
    for i in range(u64(0), u64(16)):
        p.put_u64(si + 8 * i, u64(0))
    p.put_u64(si, info.signo | (u64(0) << 32))           # si_signo, si_errno
    p.put_u64(si + 8, info.code & 0xFFFFFFFF)            # si_code
    if info.addr != 0:
        p.put_u64(si + 16, info.addr)                    # si_addr
    else:
        p.put_u64(si + 16, (info.pid & 0xFFFFFFFF) | (info.uid << 32))
        # SIGCHLD's si_status, or the si_value of a queued signal or a POSIX timer's.
        p.put_u64(si + 24, info.status)
    # Enter the handler: handler(sig, &info, &uc) with the return address at rsp.
    frame_set(frame, F_RDI, info.signo)
    frame_set(frame, F_RSI, si)
    frame_set(frame, F_RDX, uc)
    frame_set(frame, F_RAX, u64(0))
    frame_set(frame, F_RSP, base)
    frame_set(frame, F_RIP, handler)
    # DF and TF clear in the handler, as the ABI wants.
    frame_set(frame, F_RFLAGS, frame_get(frame, F_RFLAGS) & ~u64(0x500))
    frame_set(frame, F_CS, USER_CS)
    frame_set(frame, F_SS, USER_SS)
    frame_set(frame, F_ERROR, u64(1))


def arch_signal_frame_pop(p: Caller, frame: u64) -> u64:
    """rt_sigreturn: restore the registers saved by arch_signal_frame_push (the frame is at rsp - 8
    now: the handler's ret popped the return address); the blocked mask saved with them.
    EFAULT if the frame cannot be read (the caller kills the task with SIGSEGV)."""
    base = frame_get(frame, F_RSP) - 8
    mc = base + MCONTEXT_OFF
    p.check_user(base, FRAME_BYTES, False)
    for i in range(u64(0), SC_REGS):
        frame_set(frame, sc_frame_word(i), p.get_u64(mc + 8 * i))
    old = frame_get(frame, F_RFLAGS)
    fl = p.get_u64(mc + 8 * 17)
    frame_set(frame, F_RFLAGS, (old & ~USER_RFLAGS_MASK) | (fl & USER_RFLAGS_MASK))
    frame_set(frame, F_CS, USER_CS)
    frame_set(frame, F_SS, USER_SS)
    frame_set(frame, F_ERROR, u64(1))
    fpstate = p.get_u64(mc + 8 * 23)
    if fpstate != 0:
        buf = kmalloc(FPSTATE_BYTES)
        if buf == 0:
            raise SysError(EFAULT)
        try:
            p.copy_in(buf, fpstate, FPSTATE_BYTES)
            # MXCSR (offset 24) with reserved bits set would make fxrstor raise #GP.
            mx = Ptr[u64](buf + 24)
            mx.store(mx.load() & (MXCSR_MASK | (u64(0xFFFFFFFF) << 32)))
            fpu_restore(buf)
        finally:
            kfree(buf)
    return p.get_u64(base + SIGMASK_OFF)

