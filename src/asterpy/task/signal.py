"""Signals: sending, the default actions, and delivery to user handlers on the way to user mode.

A signal sent to a process is pending in `Process.sig_pending` (any thread may take it); one
sent to a thread (tgkill, a CPU fault) in `Task.pending`. Delivery happens when a task returns
to user mode (`deliver_signals`, called by the scheduler's return path): the lowest unblocked
pending signal is taken; its action is the handler the process installed with rt_sigaction, or
the default: ignore, stop, continue, terminate or terminate with a core (reported as such in
the wait status; no core file is written). A handler runs on a frame the arch builds on the user
stack (kernel_arch.arch_signal_frame_push), and rt_sigreturn undoes it.
"""

from typing import Final

from asterpy.lang import SysError, kprint, u64
from asterpy.lang.errno import EINTR
from asterpy.mm.fault import FAULT_OOM_KILLED, user_mode_fault
from asterpy.task.process import Process
from asterpy.task.sched import (
    continue_process, current_task_or_none, make_runnable, sched_wake, the_tables,
)
from asterpy.kernel.wait import new_wait_channel

SI_TIMER: Final = u64(0xFFFFFFFE)      # a POSIX timer's signal (-2 as a 32-bit int)
from asterpy.kernel.siginfo import (
    CLD_CONTINUED, CLD_STOPPED, SI_KERNEL, SI_USER, SIGCHLD, SIGCONT, SIGKILL, SIGSEGV, SIGSTOP,
    SIGURG, SIGWINCH, SigInfo, sig_bit,
)
from asterpy.task.task import DEAD, STOPPED, Task

from kernel_arch import F_RAX, F_RIP, F_RSP, F_VECTOR, arch_signal_frame_pop, arch_signal_frame_push, frame_get, frame_set


SIG_DFL: Final = u64(0)
SIG_IGN: Final = u64(1)
# Pages below the stack pointer a signal frame (siginfo, ucontext, FPU state) can reach.
SIGFRAME_PAGES: Final = u64(3)
SA_NOCLDSTOP: Final = u64(0x00000001)
SA_NOCLDWAIT: Final = u64(0x00000002)
SA_SIGINFO: Final = u64(0x00000004)
SA_RESTORER: Final = u64(0x04000000)
SA_ONSTACK: Final = u64(0x08000000)
SA_RESTART: Final = u64(0x10000000)
SA_NODEFER: Final = u64(0x40000000)
SA_RESETHAND: Final = u64(0x80000000)
SS_ONSTACK: Final = u64(1)
SS_DISABLE: Final = u64(2)
# The kernel-internal "restart this call" answers: never seen by user space.
ERESTARTSYS: Final = u64(512)

# Default actions.
ACT_TERM: Final = u64(0)
ACT_CORE: Final = u64(1)
ACT_IGNORE: Final = u64(2)
ACT_STOP: Final = u64(3)
ACT_CONT: Final = u64(4)
# Signals whose default action dumps core (bit sig-1): QUIT ILL TRAP ABRT BUS FPE SEGV XCPU XFSZ SYS.
CORE_SIGNALS: Final = u64((1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 10)
                          | (1 << 23) | (1 << 24) | (1 << 30))
STOP_SIGNALS: Final = u64((1 << 18) | (1 << 19) | (1 << 20) | (1 << 21))   # STOP TSTP TTIN TTOU
UNBLOCKABLE: Final = u64((1 << 8) | (1 << 18))                              # KILL STOP
INIT_PID: Final = u64(1)


def default_action(sig: u64) -> u64:
    """What SIG_DFL does with sig."""
    if sig == SIGCHLD or sig == SIGURG or sig == SIGWINCH:
        return ACT_IGNORE
    if sig == SIGCONT:
        return ACT_CONT
    if (sig_bit(sig) & STOP_SIGNALS) != 0:
        return ACT_STOP
    if sig <= 32 and (sig_bit(sig) & CORE_SIGNALS) != 0:
        return ACT_CORE
    return ACT_TERM


def handler_of(p: Process, sig: u64) -> u64:
    """The handler p installed for sig (SIG_DFL, SIG_IGN or an address)."""
    return p.sigactions[sig * 4]


def is_ignored(p: Process, sig: u64) -> bool:
    """Whether sending sig to p would have no effect at all (discarded at once, as on Linux)."""
    h = handler_of(p, sig)
    if h == SIG_IGN:
        return sig != SIGKILL and sig != SIGSTOP
    return h == SIG_DFL and default_action(sig) == ACT_IGNORE


def init_drops(p: Process, sig: u64, blocked: bool) -> bool:
    """Whether sig, sent to p, is dropped because p is init (pid 1), which gets only the signals
    it handles (Linux's SIGNAL_UNKILLABLE): any process could otherwise end it, and the machine
    with it. SIGKILL and SIGSTOP always go; another signal without a handler goes unless blocked
    (it stays pending, for sigtimedwait; delivery drops it later if it is still unhandled). CPU
    faults do not come through here: a fault in init still kills it."""
    if p.pid != INIT_PID:
        return False
    if sig == SIGKILL or sig == SIGSTOP:
        return True
    return not blocked and handler_of(p, sig) == SIG_DFL


def blocked_by_every_thread(p: Process, sig: u64) -> bool:
    """Whether every thread of p blocks sig (then a signal sent to p waits, pending)."""
    for t in the_tables().tasks:
        if t.proc is p and (t.sigmask & sig_bit(sig)) == 0:
            return False
    return True


def wake_for_signal(p: Process, sig: u64) -> None:
    """Interrupt the sleep of a thread of p that does not block sig (every thread for SIGKILL)."""
    for t in the_tables().tasks:
        if t.proc is p:
            if sig == SIGKILL:
                make_runnable(t)
                if t.state == STOPPED:
                    t.state = u64(0)
            elif (t.sigmask & sig_bit(sig)) == 0:
                make_runnable(t)
                return


# The channel signalfd readers sleep on (0 until the first is made): every signal sent wakes it.
_signalfd_chan: u64 = 0


def signalfd_channel() -> u64:
    """The wait channel of signalfd readers."""
    global _signalfd_chan
    if _signalfd_chan == 0:
        _signalfd_chan = new_wait_channel()
    return _signalfd_chan


def note_sent() -> None:
    """A signal became pending: signalfd readers and pollers look again (blocked signals wake
    no thread otherwise)."""
    if _signalfd_chan != 0:
        sched_wake(_signalfd_chan)


def send_to_process(p: Process, sig: u64, code: u64 = SI_KERNEL, from_pid: u64 = 0,
                    uid: u64 = 0, value: u64 = 0) -> None:
    """Make sig pending for process p (the effects of SIGCONT and stop signals happen now);
    code, from_pid, uid and value become the handler's si_code, si_pid, si_uid and si_value
    (a POSIX timer's si_timerid, si_overrun and si_value)."""
    if p.zombie or sig == 0:
        return
    if sig == SIGCONT:
        # Continuing throws away pending stops and resumes a stopped process even if SIGCONT
        # itself is blocked or ignored; the parent hears of it (CLD_CONTINUED).
        p.sig_pending &= ~STOP_SIGNALS
        for t in the_tables().tasks:
            if t.proc is p:
                t.pending &= ~STOP_SIGNALS
        if p.stopped:
            p.stopped = False
            p.continued_report = True
            continue_process(p)
            texit.notify_parent(p, CLD_CONTINUED, SIGCONT)
    elif (sig_bit(sig) & STOP_SIGNALS) != 0:
        p.sig_pending &= ~sig_bit(SIGCONT)
    if is_ignored(p, sig) or init_drops(p, sig, blocked_by_every_thread(p, sig)):
        return
    if (p.sig_pending & sig_bit(sig)) == 0:
        p.sig_code[sig] = code
        p.sig_from[sig] = from_pid
        p.sig_uid[sig] = uid
        p.sig_value[sig] = value
    p.sig_pending |= sig_bit(sig)
    wake_for_signal(p, sig)
    note_sent()


def send_to_task(t: Task, sig: u64, code: u64 = SI_KERNEL, from_pid: u64 = 0,
                 uid: u64 = 0, value: u64 = 0) -> None:
    """Make sig pending for thread t alone (tgkill, faults, SIGEV_THREAD_ID timers)."""
    if sig == 0 or t.proc.zombie:
        return
    if sig == SIGCONT or (sig_bit(sig) & STOP_SIGNALS) != 0 or sig == SIGKILL:
        send_to_process(t.proc, sig, code, from_pid, uid, value)
        return
    if is_ignored(t.proc, sig) or init_drops(t.proc, sig, (t.sigmask & sig_bit(sig)) != 0):
        return
    if (t.pending & sig_bit(sig)) == 0:
        t.sig_code[sig] = code
        t.sig_from[sig] = from_pid
        t.sig_uid[sig] = uid
        t.sig_value[sig] = value
    t.pending |= sig_bit(sig)
    if (t.sigmask & sig_bit(sig)) == 0:
        make_runnable(t)
    note_sent()


def signal_pgrp(pgrp: u64, sig: u64) -> None:
    """Send sig to every process of process group pgrp (the TTY's ^C, ^Z, ^\\)."""
    for p in the_tables().procs:
        if p.pgid == pgrp and not p.zombie:
            send_to_process(p, sig)


def signal_blocked_by_current(sig: u64) -> bool:
    """Whether the running thread blocks sig (False in the idle loop)."""
    t = current_task_or_none()
    if t is None:
        return False
    return (t.sigmask & sig_bit(sig)) != 0


def process_group_session(pgrp: u64) -> u64:
    """The session of process group pgrp, 0 if no process is in it (zombies count until reaped,
    as on Linux: a shell's tcsetpgrp may come after its fast child already exited)."""
    for p in the_tables().procs:
        if p.pgid == pgrp:
            return p.sid
    return u64(0)


def raise_signal_self(sig: u64) -> None:
    """Send sig to the running thread (SIGPIPE from a write to a pipe without readers)."""
    t = current_task_or_none()
    if t is not None:
        send_to_task(t, sig, SI_USER, u64(0))


def force_fault_signal(t: Task, sig: u64, code: u64, addr: u64) -> None:
    """A CPU fault in user mode: sig for t now, even if blocked or ignored (then it kills)."""
    p = t.proc
    if handler_of(p, sig) == SIG_IGN or (t.sigmask & sig_bit(sig)) != 0:
        p.sigactions[sig * 4] = SIG_DFL
        t.sigmask &= ~sig_bit(sig)
    t.fault_addr = addr
    t.fault_code = code
    t.pending |= sig_bit(sig)
    t.forced |= sig_bit(sig)


def next_signal(t: Task) -> u64:
    """Take the lowest-numbered deliverable signal off t's (then its process's) pending set; 0 if none."""
    mine = t.pending & ~t.sigmask
    shared = t.proc.sig_pending & ~t.sigmask
    if (mine | shared) == 0:
        return u64(0)       # the common case, on every return to user mode
    # Synchronous fault signals first (they are in the thread's own set).
    for sig in range(u64(1), u64(65)):
        if (mine & sig_bit(sig)) != 0:
            take_signal(t, sig)
            return sig
    for sig in range(u64(1), u64(65)):
        if (shared & sig_bit(sig)) != 0:
            take_signal(t, sig)
            return sig
    return u64(0)


def take_signal(t: Task, sig: u64) -> None:
    """Remove pending sig from t (its own set first, then its process's); its info goes to
    taken_code / taken_from."""
    global taken_code, taken_from, taken_uid, taken_value
    if (t.pending & sig_bit(sig)) != 0:
        t.pending &= ~sig_bit(sig)
        taken_code = t.sig_code[sig]
        taken_from = t.sig_from[sig]
        taken_uid = t.sig_uid[sig]
        taken_value = t.sig_value[sig]
    else:
        t.proc.sig_pending &= ~sig_bit(sig)
        taken_code = t.proc.sig_code[sig]
        taken_from = t.proc.sig_from[sig]
        taken_uid = t.proc.sig_uid[sig]
        taken_value = t.proc.sig_value[sig]
    if taken_code == SI_TIMER:
        ptimers.timer_signal_taken(t.proc, taken_from, taken_uid)


# The si_code, sender pid and uid, and si_value of the signal next_signal/take_signal just took
# (second results).
taken_code: u64 = 0
taken_from: u64 = 0
taken_uid: u64 = 0
taken_value: u64 = 0


def interrupted(result: u64) -> bool:
    """Whether a syscall result says a signal interrupted it (EINTR, or the internal ERESTARTSYS)."""
    return result == u64(0) - EINTR or result == u64(0) - ERESTARTSYS


def restart_syscall(frame: u64) -> None:
    """Make the interrupted syscall run again on return: its number back in rax, rip on the
    syscall instruction (2 bytes) again."""
    frame_set(frame, F_RAX, frame_get(frame, F_VECTOR))
    frame_set(frame, F_RIP, frame_get(frame, F_RIP) - 2)


def deliver_signals(t: Task, frame: u64) -> None:
    """On the way to user mode: act on t's pending signals (run one handler at most)."""
    p = t.proc
    while t.state != DEAD:
        sig = next_signal(t)
        if sig == 0:
            break
        forced = (t.forced & sig_bit(sig)) != 0
        t.forced &= ~sig_bit(sig)
        h = handler_of(p, sig)
        if h == SIG_IGN:
            continue
        if h == SIG_DFL:
            act = default_action(sig)
            if act == ACT_IGNORE or act == ACT_CONT:
                continue
            if p.pid == INIT_PID and sig != SIGKILL and sig != SIGSTOP and not forced:
                # Init's default actions do not happen (see init_drops): a signal that waited
                # blocked and is still unhandled is dropped. The kernel's own SIGKILL (exit_group,
                # exec) and a CPU fault still act.
                continue
            if act == ACT_STOP:
                stop_process(t, sig)
                continue
            status = sig
            if act == ACT_CORE:
                status |= 0x80
            texit.exit_group_now(t, status)
            return
        if run_handler(t, frame, sig, h):
            if t.restore_sigmask:
                t.restore_sigmask = False
            return
    if t.state == DEAD:
        return
    if t.in_syscall and t.restartable and interrupted(frame_get(frame, F_RAX)):
        # No handler ran (the signal was ignored, or stopped and continued us): the call goes
        # on as if nothing happened, as on Linux.
        restart_syscall(frame)
    elif t.in_syscall and frame_get(frame, F_RAX) == u64(0) - ERESTARTSYS:
        frame_set(frame, F_RAX, u64(0) - EINTR)
    if t.restore_sigmask:
        t.restore_sigmask = False
        t.sigmask = t.saved_sigmask


def run_handler(t: Task, frame: u64, sig: u64, handler: u64) -> bool:
    """Set up the user frame to run handler for sig; False if the task was killed instead."""
    p = t.proc
    k = sig * 4
    flags = p.sigactions[k + 1]
    restorer = p.sigactions[k + 2]
    mask = p.sigactions[k + 3]
    info = SigInfo()
    info.signo = sig
    info.code = taken_code
    info.pid = taken_from
    info.uid = taken_uid
    info.status = taken_value
    if t.fault_addr != 0 or t.fault_code != 0:
        if sig == SIGSEGV or sig == u64(7) or sig == u64(4) or sig == u64(8) or sig == u64(5):
            info.code = t.fault_code
            info.addr = t.fault_addr
            t.fault_addr = u64(0)
            t.fault_code = u64(0)
    if sig == SIGCHLD:
        info.code = p.last_child_code
        info.pid = p.last_child_pid
        info.status = p.last_child_status
    # An interrupted syscall restarts if the handler asked for it (SA_RESTART).
    if t.in_syscall and interrupted(frame_get(frame, F_RAX)):
        if t.restartable and (flags & SA_RESTART) != 0:
            restart_syscall(frame)
        else:
            frame_set(frame, F_RAX, u64(0) - EINTR)
    old_mask = t.sigmask
    if t.restore_sigmask:
        old_mask = t.saved_sigmask
    top = frame_get(frame, F_RSP)
    alt_on = t.altstack_size != 0 and (t.altstack_flags & SS_DISABLE) == 0
    on_alt = alt_on and top > t.altstack_sp and top <= t.altstack_sp + t.altstack_size
    if (flags & SA_ONSTACK) != 0 and alt_on and not on_alt:
        top = t.altstack_sp + t.altstack_size
    alt_flags = t.altstack_flags
    if on_alt:
        alt_flags = SS_ONSTACK
    pushed = False
    try:
        arch_signal_frame_push(p, frame, info, handler, restorer, top, old_mask, t.altstack_sp,
                               t.altstack_size, alt_flags)
        pushed = True
    except SysError:
        pass
    if not pushed and fault_in_stack(p, top):
        # The stack was good but had no frame for its page (out of memory: the kernel's own copy
        # may not wait for the OOM killer); the pages are there now.
        try:
            arch_signal_frame_push(p, frame, info, handler, restorer, top, old_mask, t.altstack_sp,
                                   t.altstack_size, alt_flags)
            pushed = True
        except SysError:
            pass
    if not pushed:
        # No room for the frame (a bad stack): the process dies of SIGSEGV, as on Linux.
        kprint(f"[pid {p.pid}] cannot deliver signal {sig}: bad user stack {top:#x}")
        texit.exit_group_now(t, SIGSEGV)
        return False
    t.sigmask |= mask
    if (flags & SA_NODEFER) == 0:
        t.sigmask |= sig_bit(sig)
    t.sigmask &= ~UNBLOCKABLE
    if (flags & SA_RESETHAND) != 0:
        p.sigactions[k] = SIG_DFL
    return True


def fault_in_stack(p: Process, top: u64) -> bool:
    """Bring in the pages a signal frame below top needs, as the program's own faults would
    (waiting for the OOM killer if memory is short); False if p was the OOM killer's pick."""
    for k in range(u64(0), SIGFRAME_PAGES):
        if top < (k << 12) + 1:
            break
        if user_mode_fault(p, top - 1 - (k << 12), True, False) == FAULT_OOM_KILLED:
            return False
    return True


def sigreturn(t: Task, frame: u64) -> u64:
    """rt_sigreturn: restore the interrupted registers and mask; the restored rax."""
    try:
        mask = arch_signal_frame_pop(t.proc, frame)
    except SysError:
        kprint(f"[pid {t.proc.pid}] rt_sigreturn with a bad frame: SIGSEGV")
        texit.exit_group_now(t, SIGSEGV)
        return u64(0)
    t.sigmask = mask & ~UNBLOCKABLE
    return frame_get(frame, F_RAX)


def stop_process(t: Task, sig: u64) -> None:
    """The default action of a stop signal: stop the process and tell its parent."""
    p = t.proc
    if not p.stopped:
        p.stopped = True
        p.stop_sig = sig
        p.stop_report = True
        texit.notify_parent(p, CLD_STOPPED, sig)
    for other in the_tables().tasks:
        if other.proc is p and other is not t:
            other.state = STOPPED
    t.state = STOPPED
    texit.schedule_away()


# Imports of higher layers come last: those modules import this one back (an import cycle), and
# under CPython the names above must exist by the time they do.
import asterpy.task.exit as texit  # noqa: E402
import asterpy.task.posix_timer as ptimers  # noqa: E402
