"""Ending threads and processes, and waiting for children: exit, exit_group, wait4, waitid.

A process ends when its last thread does. Its memory and files are released at once; what is
left (a zombie: the Process record with its wait status) stays in the process table until the
parent reaps it with wait4/waitid, or goes away by itself when the parent ignores SIGCHLD.
Orphans are adopted by init (pid 1). When init itself ends, the idle loop reports its status.
An exiting task does not switch away here: its syscall or signal path returns first, releasing
what its frames hold, and the scheduler's return-to-user path leaves it (sched.leave_dead_task).
"""

from typing import Final

from asterpy.lang import SysError, i32, i64, u32, u64
from asterpy.lang.errno import EAGAIN, EBADF, ECHILD, EINTR, EINVAL
from asterpy.task.pidfd import PidFile
from asterpy.task.process import Process
from asterpy.task.sched import (
    find_process, remove_process, schedule, task_die, the_tables,
)
from asterpy.kernel.siginfo import CLD_DUMPED, CLD_EXITED, CLD_KILLED, SIGCHLD, SIGKILL, sig_bit
from asterpy.task.task import DEAD, Task
from asterpy.kernel.wait import sleep_on, wake_up

from kernel_arch import arch_load_root


WNOHANG: Final = u64(1)
WUNTRACED: Final = u64(2)       # = WSTOPPED for waitid
WEXITED: Final = u64(4)
WCONTINUED: Final = u64(8)
WNOWAIT: Final = u64(0x01000000)
WNOTHREAD: Final = u64(0x20000000)
WALL: Final = u64(0x40000000)
WCLONE: Final = u64(0x80000000)
WAIT4_OPTIONS: Final = WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE
WAITID_OPTIONS: Final = WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE
P_ALL: Final = u64(0)
P_PID: Final = u64(1)
P_PGID: Final = u64(2)
P_PIDFD: Final = u64(3)
SA_NOCLDSTOP: Final = u64(1)
SA_NOCLDWAIT: Final = u64(2)
SIG_IGN: Final = u64(1)

# Set when init (pid 1) has ended, with its wait status: the idle loop reports it.
init_ended: bool = False
init_status: u64 = 0


def schedule_away() -> None:
    """Give up the CPU (a stopped task waits here for SIGCONT)."""
    schedule()


def notify_parent(p: Process, code: u64, status: u64) -> None:
    """Tell p's parent that p exited, was killed, stopped or continued (SIGCHLD, wake its wait)."""
    parent = find_process(p.ppid)
    if parent is None:
        return
    parent.last_child_code = code
    parent.last_child_pid = p.pid
    parent.last_child_status = status
    flags = parent.sigactions[SIGCHLD * 4 + 1]
    quiet = (code != CLD_EXITED and code != CLD_KILLED and code != CLD_DUMPED and (flags & SA_NOCLDSTOP) != 0)
    if not quiet:
        signals.send_to_process(parent, SIGCHLD, code, p.pid)
    wake_up(parent.child_chan)


def exit_current(t: Task, status: u64) -> None:
    """End thread t (exit): release its robust futexes, clear its tid word and wake a joiner; the
    process ends with its last thread.
    t stops being scheduled; it leaves the CPU when its syscall or fault path has unwound."""
    if t.state == DEAD:
        return
    p = t.proc
    if t.robust_list != 0:
        futex.robust_list_exit(p, t.robust_list, t.tid)
        t.robust_list = u64(0)
    if t.clear_child_tid != 0:
        try:
            p.put_u32(t.clear_child_tid, u32(0))
            futex.futex_wake_addr(p, t.clear_child_tid, u64(1), False)
        except SysError:
            pass
        t.clear_child_tid = u64(0)
    if p.threads > 0:
        p.threads -= 1
    if t.tid == p.pid:
        # sched_getscheduler/getparam still answer for the zombie with what its leader had.
        p.leader_policy = t.policy
        p.leader_rt_priority = t.rt_priority
    if p.threads == 0:
        if not p.group_exiting:
            p.exit_status = status
        process_exit(p)
    task_die(t)


def exit_group_now(t: Task, status: u64) -> None:
    """End every thread of t's process with wait status `status` (exit_group, a fatal signal)."""
    p = t.proc
    if not p.group_exiting:
        p.group_exiting = True
        p.exit_status = status
        for other in the_tables().tasks:
            if other.proc is p and other is not t:
                other.pending |= sig_bit(SIGKILL)
                signals.wake_for_signal(p, SIGKILL)
    exit_current(t, status)


def process_exit(p: Process) -> None:
    """The last thread of p ended: release its memory and files, make it a zombie, tell the parent."""
    global init_ended, init_status
    p.files.close_all()
    p.set_exe(None)     # its program may be written again (and /proc/PID/exe of a zombie is gone)
    posix_timer.posix_timers_release(p)
    sysv_sem.sem_exit(p.pid)
    # Leave the process's page tables before freeing them.
    arch_load_root(p.kroot)
    p.free_user_memory()
    if not p.vfork_done:
        p.vfork_done = True
        wake_up(p.vfork_chan)
    for q in the_tables().procs:
        if q.ppid == p.pid and q is not p:
            q.ppid = u64(1)
            if q.zombie:
                init = find_process(u64(1))
                if init is not None:
                    wake_up(init.child_chan)
    p.zombie = True
    if p.sid == p.pid:
        # A session leader ending hangs up its controlling terminal (SIGHUP to the foreground).
        tty.tty_session_ended(p.sid)
    st = p.exit_status
    if p.pid == 1:
        init_ended = True
        init_status = st
        return
    code = CLD_EXITED
    info = (st >> 8) & 0xFF
    if (st & 0x7F) != 0:
        code = CLD_KILLED
        if (st & 0x80) != 0:
            code = CLD_DUMPED
        info = st & 0x7F
    notify_parent(p, code, info)
    parent = find_process(p.ppid)
    if parent is not None:
        # A parent that ignores SIGCHLD (or asked SA_NOCLDWAIT) gets no zombies.
        if parent.sigactions[SIGCHLD * 4] == SIG_IGN or (parent.sigactions[SIGCHLD * 4 + 1] & SA_NOCLDWAIT) != 0:
            remove_process(p)


def child_matches(q: Process, me: Process, idtype: u64, ident: u64) -> bool:
    """Whether child q is selected by waitid-style (idtype, id)."""
    if q.ppid != me.pid or q is me:
        return False
    if idtype == P_PID:
        return q.pid == ident
    if idtype == P_PGID:
        return q.pgid == ident
    return True


# What do_wait found (a second and third result).
wait_status: u64 = 0
wait_code: u64 = 0


def do_wait(me: Process, idtype: u64, ident: u64, options: u64) -> u64:
    """Wait for a child selected by (idtype, ident) to change state as options ask; its pid
    (wait_status and wait_code say how), 0 with WNOHANG when none has. ECHILD, EINTR."""
    global wait_status, wait_code
    while True:
        have = False
        for q in the_tables().procs:
            if not child_matches(q, me, idtype, ident):
                continue
            have = True
            if q.zombie and (options & WEXITED) != 0:
                st = q.exit_status
                wait_status = st
                wait_code = CLD_EXITED
                if (st & 0x7F) != 0:
                    wait_code = CLD_KILLED
                    if (st & 0x80) != 0:
                        wait_code = CLD_DUMPED
                pid = q.pid
                if (options & WNOWAIT) == 0:
                    remove_process(q)
                return pid
            if q.stopped and q.stop_report and (options & WUNTRACED) != 0:
                if (options & WNOWAIT) == 0:
                    q.stop_report = False
                wait_status = u64(0x7F) | (q.stop_sig << 8)
                wait_code = u64(5)       # CLD_STOPPED
                return q.pid
            if q.continued_report and (options & WCONTINUED) != 0:
                if (options & WNOWAIT) == 0:
                    q.continued_report = False
                wait_status = u64(0xFFFF)
                wait_code = u64(6)       # CLD_CONTINUED
                return q.pid
        if not have:
            raise SysError(ECHILD)
        if (options & WNOHANG) != 0:
            return u64(0)
        if not sleep_on(me.child_chan):
            raise SysError(EINTR)


def pid_arg(x: u64) -> i64:
    """A pid_t argument: a C int, so only the low 32 bits count (sign-extended)."""
    return i64(i32(u32(x & 0xFFFFFFFF)))


def sys_wait4(me: Process, pid: u64, status_addr: u64, options: u64, rusage: u64) -> u64:
    """wait4(2): pid > 0 that child, 0 the caller's group, -1 any, < -1 the group -pid."""
    if (options & ~WAIT4_OPTIONS) != 0:
        raise SysError(EINVAL)
    spid = pid_arg(pid)
    idtype = P_ALL
    ident = u64(0)
    if spid > 0:
        idtype = P_PID
        ident = pid
    elif spid == 0:
        idtype = P_PGID
        ident = me.pgid
    elif spid < -1:
        idtype = P_PGID
        ident = u64(-spid)
    got = do_wait(me, idtype, ident, options | WEXITED)
    if got != 0:
        if status_addr != 0:
            me.put_u32(status_addr, u32(wait_status))
        if rusage != 0:
            me.zero_user(rusage, u64(144))
    return got


def sys_waitid(me: Process, idtype: u64, ident: u64, infop: u64, options: u64, rusage: u64) -> u64:
    """waitid(2): P_ALL, P_PID, P_PGID (0: the caller's group), P_PIDFD (the process a pidfd names:
    EBADF if the descriptor is not one; EAGAIN instead of waiting when it is O_NONBLOCK); fills the
    siginfo at infop."""
    if (options & ~WAITID_OPTIONS) != 0 or (options & (WEXITED | WUNTRACED | WCONTINUED)) == 0:
        raise SysError(EINVAL)
    pidfd_nonblock = False
    if idtype == P_PIDFD:
        f = me.files.get(ident & 0xFFFFFFFF)
        if isinstance(f, PidFile):
            ident = f.pid
            pidfd_nonblock = f.nonblocking()
        else:
            raise SysError(EBADF)
        idtype = P_PID
        if pidfd_nonblock:
            options |= WNOHANG
    if idtype != P_ALL and idtype != P_PID and idtype != P_PGID:
        raise SysError(EINVAL)
    if idtype == P_PGID and ident == 0:
        ident = me.pgid
    if idtype == P_PID and pid_arg(ident) <= 0:
        raise SysError(EINVAL)
    got = do_wait(me, idtype, ident, options)
    if got == 0 and pidfd_nonblock:
        raise SysError(EAGAIN)
    if infop != 0:
        me.zero_user(infop, u64(128))
        if got != 0:
            me.put_u32(infop, u32(SIGCHLD))
            me.put_u32(infop + 8, u32(wait_code))
            me.put_u32(infop + 16, u32(got))
            me.put_u32(infop + 20, u32(0))
            st = wait_status
            if wait_code == CLD_EXITED:
                st = (wait_status >> 8) & 0xFF
            elif wait_code == u64(5):
                st = (wait_status >> 8) & 0xFF
            elif wait_code == u64(6):
                st = u64(18)
            else:
                st = wait_status & 0x7F
            me.put_u32(infop + 24, u32(st))
    if rusage != 0:
        me.zero_user(rusage, u64(144))
    return u64(0)


# Imports of higher layers come last: those modules import this one back (an import cycle), and
# under CPython the names above must exist by the time they do.
import asterpy.task.signal as signals  # noqa: E402
import asterpy.task.futex as futex  # noqa: E402
import asterpy.task.sysv_sem as sysv_sem  # noqa: E402
import asterpy.task.posix_timer as posix_timer  # noqa: E402
import asterpy.drivers.tty as tty  # noqa: E402
