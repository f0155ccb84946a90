"""A task: one thread of a process, with its kernel stack, saved context and signal state."""

from typing import Final

from asterpy.lang import List, u64
# Kernel stack of a user task: KSTACK_PAGES (8) pages plus a guard page, defined with the stack
# allocator (the syscall paths are written in Kernel Python, whose frames are larger than
# hand-written C's; 32 KiB leaves room for deep file-system calls).
from asterpy.mm.kstack import KSTACK_PAGES  # noqa: F401 - re-exported
from asterpy.task.process import Process

from kernel_arch import Context

# Task states.
RUNNABLE: Final = u64(0)     # running or waiting for the CPU
SLEEPING: Final = u64(1)     # on a wait channel (interruptible by signals)
STOPPED: Final = u64(2)      # SIGSTOP/SIGTSTP: waits for SIGCONT
DEAD: Final = u64(3)         # exited; its kernel stack is freed once another task runs


class Task:
    """A thread: what the scheduler switches between."""

    tid: u64
    proc: Process
    state: u64
    chan: u64              # the wait channel while SLEEPING (0 = none: a timed sleep)
    deadline_ns: u64       # wake at this monotonic time (0 = no deadline)
    timed_out: bool        # the last sleep ended by its deadline
    ctx: Context
    kstack_phys: u64       # first frame of the kernel stack: its guard (mm/kstack.py; 0: none)
    kstack_top: u64        # its top, a kernel (direct-map) address
    fs_base: u64           # TLS pointer (arch_prctl ARCH_SET_FS / CLONE_SETTLS)
    gs_base: u64           # arch_prctl ARCH_SET_GS
    sigmask: u64           # blocked signals (bit sig-1)
    pending: u64           # signals sent to this thread alone (tgkill, faults)
    sig_code: List[u64]    # si_code and sender pid of each pending thread signal
    sig_uid: List[u64]     # and the sender's uid (a timer's overrun), si_value (sigqueue, timers)
    sig_value: List[u64]
    sig_from: List[u64]
    saved_sigmask: u64     # rt_sigsuspend / ppoll: the mask to restore after the handler
    restore_sigmask: bool
    clear_child_tid: u64   # CLONE_CHILD_CLEARTID / set_tid_address: zeroed and woken at exit
    altstack_sp: u64       # sigaltstack
    altstack_size: u64
    altstack_flags: u64
    fault_addr: u64        # si_addr of the last fault signal
    fault_code: u64        # si_code of the last fault signal
    forced: u64            # pending fault signals forced on the thread (they act even on init)
    need_resched: bool
    policy: u64            # sched_setscheduler's policy and priority (stored, not acted on)
    rt_priority: u64
    robust_list: u64       # set_robust_list's head (walked at exit: asterpy.task.futex.robust_list_exit)
    in_syscall: bool       # returning to user mode from a syscall (not an interrupt)
    restartable: bool      # that syscall may be restarted after an SA_RESTART handler
    comm: bytearray        # the thread's name (prctl PR_SET_NAME), NUL-padded, 16 bytes
    pdeath_signal: u64
    no_new_privs: bool
    futex_space: u64       # the futex pair waited on (asterpy.task.futex): address space root or 0 (shared)
    futex_addr: u64        # and word (0: not in futex_wait)
    futex_bitset: u64

    def __init__(self, tid: u64, proc: Process) -> None:
        self.tid = tid
        self.proc = proc
        self.state = RUNNABLE
        self.chan = u64(0)
        self.deadline_ns = u64(0)
        self.timed_out = False
        self.ctx = Context()
        self.kstack_phys = u64(0)
        self.kstack_top = u64(0)
        self.fs_base = u64(0)
        self.gs_base = u64(0)
        self.sigmask = u64(0)
        self.pending = u64(0)
        self.sig_code = []
        self.sig_from = []
        self.sig_uid = []
        self.sig_value = []
        for _ in range(u64(0), u64(65)):
            self.sig_code.append(u64(0))
            self.sig_from.append(u64(0))
            self.sig_uid.append(u64(0))
            self.sig_value.append(u64(0))
        self.saved_sigmask = u64(0)
        self.restore_sigmask = False
        self.clear_child_tid = u64(0)
        self.altstack_sp = u64(0)
        self.altstack_size = u64(0)
        self.altstack_flags = u64(2)   # SS_DISABLE
        self.fault_addr = u64(0)
        self.fault_code = u64(0)
        self.forced = u64(0)
        self.need_resched = False
        self.policy = u64(0)
        self.rt_priority = u64(0)
        self.robust_list = u64(0)
        self.in_syscall = False
        self.restartable = False
        self.comm = bytearray(16)
        self.pdeath_signal = u64(0)
        self.no_new_privs = False
        self.futex_space = u64(0)
        self.futex_addr = u64(0)
        self.futex_bitset = u64(0)
