"""The scheduler: the task and process tables, round-robin switching, sleeping and waking.

One CPU. The kernel is not preemptible: interrupts are off whenever it runs (the syscall entry
masks them, interrupt gates clear them), so a task gives up the CPU only by sleeping, exiting,
or on its way back to user mode when the timer has asked for a switch (`need_resched`). The
boot context is the idle loop: it runs when no task is runnable, halting until an interrupt.

Tasks that sleep wait on a channel number (asterpy.kernel.wait); `sched_wake` makes every task
on that channel runnable, and every task on POLL_CHANNEL as well.
"""

from typing import Final

from asterpy.lang import List, SysError, kwarn, panic, u64
from asterpy.lang.errno import EAGAIN, ESRCH
from asterpy.kernel.time import monotonic_ns, vvar_tick
from asterpy.mm.kstack import kstack_free
from asterpy.fs.timerfd import timerfd_tick
from asterpy.task.process import Process, set_current
from asterpy.task.task import DEAD, KSTACK_PAGES, RUNNABLE, SLEEPING, STOPPED, Task

from kernel_arch import Context, context_free, idle_wait, switch_task


POLL_CHANNEL: Final = u64(1)
# Answers of sched_sleep_until.
WOKEN: Final = u64(0)
TIMED_OUT: Final = u64(1)
INTERRUPTED: Final = u64(2)


class Tables:
    """Every live task, and every process not yet reaped (zombies included)."""

    tasks: List[Task]
    procs: List[Process]

    def __init__(self) -> None:
        self.tasks = []
        self.procs = []


tables: Tables | None = None
# The running task; None while the idle loop (the boot context) runs.
current: Task | None = None
# The boot context's saved state while a task runs.
idle_ctx: Context | None = None
# A task that exited: its kernel stack is freed once the CPU has left it.
dead: Task | None = None
# Where a dead task's registers go when it leaves for good (never loaded again).
scrap_ctx: Context | None = None
# Where the last round-robin pick stopped (an index into tables.tasks).
rr_index: u64 = 0
last_pid: u64 = 0
# Linux's default /proc/sys/kernel/pid_max: pids run from 1 to pid_max - 1, then wrap.
PID_MAX_DEFAULT: Final = u64(32768)
# After the first wrap pids restart here, as on Linux, past the daemons of early boot.
PID_WRAP_TO: Final = u64(300)
pid_max: u64 = PID_MAX_DEFAULT


def sched_init() -> None:
    """Create the tables and the idle context (the caller, the boot context, becomes idle)."""
    global tables, idle_ctx, scrap_ctx
    if tables is None:
        tables = Tables()
    if idle_ctx is None:
        idle_ctx = Context()
    if scrap_ctx is None:
        scrap_ctx = Context()


def the_tables() -> Tables:
    """The task and process tables (sched_init must have run)."""
    t = tables
    if t is None:
        t = Tables()
        set_tables(t)
    return t


def set_tables(t: Tables) -> None:
    """Install t as the tables (sched_init, and tests that start afresh)."""
    global tables
    tables = t


def alloc_pid() -> u64:
    """A pid not used by any live task or unreaped process (pids count up, wrapping at pid_max);
    EAGAIN when every pid is taken, as Linux's fork."""
    global last_pid
    t = the_tables()
    tries = u64(0)
    while tries < pid_max:
        tries += 1
        last_pid += 1
        if last_pid >= pid_max:
            last_pid = PID_WRAP_TO if pid_max > PID_WRAP_TO * 2 else u64(2)
        if not pid_in_use(t, last_pid):
            return last_pid
    raise SysError(EAGAIN)


def tasks_of_user(ruid: u64) -> u64:
    """How many live tasks (threads) have real uid ruid (what RLIMIT_NPROC counts)."""
    n = u64(0)
    for task in the_tables().tasks:
        if task.proc.ruid == ruid and not task.proc.zombie:
            n += 1
    return n


def pid_in_use(t: Tables, pid: u64) -> bool:
    """Whether pid names a task, a process, or a process group or session still in use."""
    for task in t.tasks:
        if task.tid == pid:
            return True
    for p in t.procs:
        if p.pid == pid or p.pgid == pid or p.sid == pid:
            return True
    return False


def current_task() -> Task:
    """The running task (ESRCH from the idle loop, which has none)."""
    t = current
    if t is None:
        raise SysError(ESRCH)
    return t


def current_task_or_none() -> Task | None:
    """The running task, None in the idle loop."""
    return current


def set_current_task(t: Task | None) -> None:
    """Make t the running task without switching (boot, and tests)."""
    global current
    current = t
    if t is None:
        set_current(None)
    else:
        set_current(t.proc)


def add_task(t: Task) -> None:
    """Put a new task on the run queue."""
    the_tables().tasks.append(t)


def add_process(p: Process) -> None:
    """Record a new process (kept until its parent reaps it)."""
    the_tables().procs.append(p)


def remove_task(t: Task) -> None:
    """Take t off the task table."""
    ts = the_tables().tasks
    for i in range(u64(0), u64(len(ts))):
        if ts[i] is t:
            del ts[i]
            return


def remove_process(p: Process) -> None:
    """Forget a reaped process."""
    ps = the_tables().procs
    for i in range(u64(0), u64(len(ps))):
        if ps[i] is p:
            del ps[i]
            return


def find_process(pid: u64) -> Process | None:
    """The process pid (zombies included), None if there is none."""
    for p in the_tables().procs:
        if p.pid == pid:
            return p
    return None


def find_task(tid: u64) -> Task | None:
    """The live task tid, None if there is none."""
    for t in the_tables().tasks:
        if t.tid == tid:
            return t
    return None


def pick_next() -> Task | None:
    """The next runnable task after the last pick, round robin; None if none is runnable."""
    global rr_index
    ts = the_tables().tasks
    n = u64(len(ts))
    if n == 0:
        return None
    for k in range(u64(1), n + 1):
        i = (rr_index + k) % n
        if ts[i].state == RUNNABLE:
            rr_index = i
            return ts[i]
    return None


def schedule() -> None:
    """Give the CPU to the next runnable task (or the idle loop); returns when this context runs again."""
    global current
    prev = current
    if prev is not None and prev.state == DEAD:
        # An exited task leaves only through leave_dead_task, once its frames have unwound.
        return
    nxt = pick_next()
    if prev is not None:
        prev.need_resched = False
    if nxt is prev:
        return
    idle = idle_ctx
    if idle is None:
        kwarn("schedule: called before sched_init")
        return
    current = nxt
    if nxt is None:
        set_current(None)
    else:
        set_current(nxt.proc)
    if prev is None:
        if nxt is not None:
            switch_task(idle, nxt.ctx, nxt.kstack_top, nxt.proc.space.root, nxt.fs_base, nxt.gs_base)
    elif nxt is None:
        switch_task(prev.ctx, idle, u64(0), u64(0), u64(0), u64(0))
    else:
        switch_task(prev.ctx, nxt.ctx, nxt.kstack_top, nxt.proc.space.root, nxt.fs_base, nxt.gs_base)
    # Running again (as prev): the task we left for may have died in the meantime.
    reap_dead_stack()


def reap_dead_stack() -> None:
    """Free the kernel stack and context of a task that exited (the CPU has left its stack)."""
    global dead
    d = dead
    if d is None or d is current:
        return
    dead = None
    release_task_memory(d)


def release_task_memory(t: Task) -> None:
    """Give back a finished task's kernel stack frames and context."""
    if t.kstack_phys != 0:
        kstack_free(t.proc.frames, t.kstack_phys, KSTACK_PAGES)
        t.kstack_phys = u64(0)
    context_free(t.ctx)


def task_die(t: Task) -> None:
    """The running task t has exited: take it off the run queue for good. It does not switch
    away here: its syscall or fault path unwinds first (releasing the references its frames
    hold), and the return-to-user path then leaves it for the idle loop (leave_dead_task)."""
    t.state = DEAD
    remove_task(t)


def leave_dead_task() -> None:
    """Leave the running task, which has exited, for the idle loop; never returns. The idle loop
    frees its kernel stack and drops the scheduler's last references to it.

    Called from the outermost return-to-user path only (sched_return_to_user, with nothing but
    the arch entry's frame below): the stack is abandoned here, so any object a frame on it still
    referenced would never be released (this was the fork/exit heap leak). This frame itself
    references only the immortal idle and scrap contexts."""
    global current, dead
    reap_dead_stack()
    dead = current
    current = None
    set_current(None)
    idle = idle_ctx
    scrap = scrap_ctx
    if idle is None or scrap is None:
        panic("leave_dead_task: called before sched_init")
    # The dead task's registers are saved into the scrap context: nothing resumes them. The page
    # tables stay loaded: the exit loaded the kernel's before freeing any it ran on.
    switch_task(scrap, idle, u64(0), u64(0), u64(0), u64(0))
    panic("leave_dead_task: a dead task was resumed")


def make_runnable(t: Task) -> None:
    """Wake t whatever it waits for (a signal arrived for it)."""
    if t.state == SLEEPING:
        t.state = RUNNABLE
        t.chan = u64(0)
        t.deadline_ns = u64(0)


def signal_pending_for(t: Task) -> bool:
    """Whether t has a signal it does not block waiting."""
    return ((t.pending | t.proc.sig_pending) & ~t.sigmask) != 0


def sched_signal_pending() -> bool:
    """Whether the running task has an unblocked signal pending."""
    t = current
    if t is None:
        return False
    return signal_pending_for(t)


def sched_sleep(chan: u64) -> bool:
    """Block the running task on chan until sched_wake(chan); False if a signal is pending."""
    return sched_sleep_until(chan, u64(0)) == WOKEN


def sched_sleep_until(chan: u64, deadline_ns: u64) -> u64:
    """Block on chan until woken (WOKEN), deadline_ns passes (TIMED_OUT; 0 = no deadline) or a
    signal is pending (INTERRUPTED)."""
    t = current
    if t is None:
        # The idle loop cannot sleep: wait for interrupts until the deadline.
        while deadline_ns != 0 and monotonic_ns() < deadline_ns:
            idle_wait()
        return TIMED_OUT
    if signal_pending_for(t) or t.state == DEAD:
        return INTERRUPTED
    if deadline_ns != 0 and monotonic_ns() >= deadline_ns:
        return TIMED_OUT
    t.state = SLEEPING
    t.chan = chan
    t.deadline_ns = deadline_ns
    t.timed_out = False
    schedule()
    t.chan = u64(0)
    t.deadline_ns = u64(0)
    if signal_pending_for(t):
        return INTERRUPTED
    if t.timed_out:
        return TIMED_OUT
    return WOKEN


def sched_wake(chan: u64) -> None:
    """Make every task sleeping on chan (and every poller) runnable."""
    for t in the_tables().tasks:
        if t.state == SLEEPING and (t.chan == chan or t.chan == POLL_CHANNEL) and t.chan != 0:
            t.state = RUNNABLE


def sched_tick() -> None:
    """The timer's work (from its interrupt): end timed sleeps, ask the running task to yield."""
    now = monotonic_ns()
    vvar_tick()          # the coarse clocks the vDSO reads
    timerfd_tick()       # readers and pollers of timerfds that are due
    for t in the_tables().tasks:
        if t.state == SLEEPING and t.deadline_ns != 0 and now >= t.deadline_ns:
            t.state = RUNNABLE
            t.timed_out = True
    for p in the_tables().procs:
        d = p.itimer_deadline[0]
        if d != 0 and now >= d and not p.zombie:
            # ITIMER_REAL expired: SIGALRM, and reload a periodic timer.
            p.itimer_deadline[0] = u64(0)
            if p.itimer_interval[0] != 0:
                p.itimer_deadline[0] = now + p.itimer_interval[0]
            signals.send_to_process(p, u64(14), u64(0x80), u64(0))
    ptimers.posix_timer_tick()
    c = current
    if c is not None:
        c.need_resched = True


def sched_yield() -> None:
    """Let every other runnable task run before this one continues."""
    schedule()


def continue_process(p: Process) -> None:
    """Resume every stopped thread of p (SIGCONT)."""
    for t in the_tables().tasks:
        if t.proc is p and t.state == STOPPED:
            t.state = RUNNABLE


def sched_return_to_user(frame: u64, from_syscall: bool) -> None:
    """Work on the way back to user mode (from a syscall or an interrupt): switch if the timer
    asked, then deliver pending signals (which may rewrite the user frame, stop or end the task).
    A task that has exited leaves here for good. (No object local in this frame: see
    leave_dead_task.)"""
    if return_work(frame, from_syscall):
        leave_dead_task()


def return_work(frame: u64, from_syscall: bool) -> bool:
    """sched_return_to_user's work for the running task; True if it has exited."""
    t = current
    if t is None:
        return False
    if t.state == DEAD:
        return True
    t.in_syscall = from_syscall
    if t.need_resched:
        schedule()
    signals.deliver_signals(t, frame)
    return t.state == DEAD


def any_runnable() -> bool:
    """Whether some task waits for the CPU (the idle loop halts only when none does)."""
    for t in the_tables().tasks:
        if t.state == RUNNABLE:
            return True
    return False


# Imports of higher layers come last: those modules import this one back (an import cycle), and
# under CPython the names above must exist by the time they do.
import asterpy.task.signal as signals  # noqa: E402
import asterpy.task.posix_timer as ptimers  # noqa: E402
