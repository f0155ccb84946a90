"""The task layer's side of /proc: snapshots of processes and threads for asterpy.fs.procfs.

procfs (in fs/, below this layer) asks through the ProcProvider interface; TaskProcProvider
answers from the scheduler's tables and each Process/Task, and `register_proc_provider` installs
it at boot (the composition root calls it).
"""

from typing import Final

from asterpy.lang import List, SysError, i64, u8, u64
from asterpy.lang.errno import ENOENT, ESRCH
from asterpy.fs.context import FsContext
from asterpy.fs.fdtable import FdTable
from asterpy.fs.inode import Inode
from asterpy.fs.procfs.provider import ProcInfo, ProcProvider, set_proc_provider
from asterpy.fs.procfs.text import TextBuf
from asterpy.mm.vma import PROT_WRITE, VM_SHARED, VM_STACK, VmaList
from asterpy.task.process import Process, current_process
from asterpy.task.sched import current_task_or_none, find_process, the_tables
from asterpy.task.signal import SIG_DFL, SIG_IGN
from asterpy.task.task import DEAD, RUNNABLE, SLEEPING, STOPPED, Task
import asterpy.task.sched as sched

NS_PER_TICK: Final = u64(10000000)
STATE_R: Final = u8(0x52)
STATE_S: Final = u8(0x53)
STATE_T: Final = u8(0x54)
STATE_Z: Final = u8(0x5A)
STATE_X: Final = u8(0x58)


def task_state(t: Task) -> u8:
    """The letter ps shows for a thread."""
    if t.state == RUNNABLE:
        return STATE_R
    if t.state == SLEEPING:
        return STATE_S
    if t.state == STOPPED:
        return STATE_T
    return STATE_X


def main_task(p: Process) -> Task | None:
    """The thread whose tid is the pid, else any live thread of p, None when all have exited."""
    found: Task | None = None
    for t in the_tables().tasks:
        if t.proc is p and t.state != DEAD:
            if t.tid == p.pid:
                return t
            if found is None:
                found = t
    return found


def live_process(pid: u64) -> Process:
    """Process pid (zombies included), ESRCH when there is none."""
    p = find_process(pid)
    if p is None:
        raise SysError(ESRCH)
    return p


def fill_ids(p: Process, i: ProcInfo) -> None:
    """The process's ids."""
    i.tgid = p.pid
    i.pid = p.pid
    i.ppid = p.ppid
    i.pgid = p.pgid
    i.sid = p.sid
    i.ruid = p.ruid
    i.euid = p.uid
    i.suid = p.suid
    i.rgid = p.rgid
    i.egid = p.gid
    i.sgid = p.sgid
    i.fsuid = p.fsuid
    i.fsgid = p.fsgid


def fill_memory(p: Process, i: ProcInfo) -> None:
    """Sizes from the VM areas and the page tables; the program's layout."""
    vsize = u64(0)
    data = u64(0)
    stack = u64(0)
    exe = u64(0)
    for v in p.vmas.areas:
        size = v.end - v.start
        vsize += size
        if (v.flags & VM_STACK) != 0:
            stack += size
        elif v.start >= p.image_start and v.end <= p.image_end and v.inode is None:
            if (v.prot & PROT_WRITE) != 0:
                data += size
            else:
                exe += size
        elif (v.flags & VM_SHARED) == 0 and (v.prot & PROT_WRITE) != 0:
            data += size
    i.vsize = vsize
    i.data_bytes = data
    i.stack_bytes = stack
    i.exe_bytes = exe
    if not p.zombie:
        i.rss_pages = p.resident_pages()
    i.start_code = p.image_start
    i.end_code = p.image_end
    i.start_stack = p.sp
    i.start_brk = p.brk_start
    i.brk = p.brk
    i.arg_start = p.arg_start
    i.arg_end = p.arg_end
    i.env_start = p.env_start
    i.env_end = p.env_end


def fill_signals(p: Process, t: Task | None, i: ProcInfo) -> None:
    """Pending, blocked, ignored and caught signal sets (bit sig-1)."""
    i.sig_shared = p.sig_pending
    if t is not None:
        i.sig_pending = t.pending
        i.sig_blocked = t.sigmask
    for sig in range(u64(1), u64(65)):
        h = p.sigactions[sig * 4]
        if h == SIG_IGN:
            i.sig_ignored |= u64(1) << (sig - 1)
        elif h != SIG_DFL:
            i.sig_caught |= u64(1) << (sig - 1)


class TaskProcProvider(ProcProvider):
    """/proc's view of the scheduler's tables."""

    def caller_pid(self) -> u64:
        """The running process's id (0 from the idle loop)."""
        p = current_process()
        if p is None:
            return u64(0)
        return p.pid

    def caller_tid(self) -> u64:
        """The running thread's id."""
        t = current_task_or_none()
        if t is None:
            return self.caller_pid()
        return t.tid

    def caller_uid(self) -> u64:
        """The running process's effective uid (0 from the kernel itself)."""
        p = current_process()
        if p is None:
            return u64(0)
        return p.uid

    def pids(self, out: List[u64]) -> None:
        """Every process not yet reaped, ascending."""
        for p in the_tables().procs:
            insert_sorted(out, p.pid)

    def tids(self, pid: u64, out: List[u64]) -> bool:
        """The live threads of pid (a zombie has none but exists)."""
        p = find_process(pid)
        if p is None:
            return False
        for t in the_tables().tasks:
            if t.proc is p and t.state != DEAD:
                insert_sorted(out, t.tid)
        return True

    def owner(self, pid: u64) -> ProcInfo:
        """Only the ids of pid."""
        i = ProcInfo()
        fill_ids(live_process(pid), i)
        return i

    def info(self, pid: u64, tid: u64) -> ProcInfo:
        """Everything /proc/PID/{stat,status,statm,limits} show."""
        p = live_process(pid)
        i = ProcInfo()
        fill_ids(p, i)
        t: Task | None = None
        if tid != 0:
            for cand in the_tables().tasks:
                if cand.tid == tid and cand.proc is p and cand.state != DEAD:
                    t = cand
            if t is None:
                raise SysError(ESRCH)
            i.pid = tid
        else:
            t = main_task(p)
        if p.zombie:
            i.state = STATE_Z
        elif t is not None:
            # As on Linux, /proc/PID shows its main thread's state (LTP waits for a process to
            # sleep while one of its other threads runs: TST_PROCESS_STATE_WAIT).
            i.state = task_state(t)
        else:
            i.state = STATE_Z
        if t is not None:
            i.comm = bytearray(0)
            for c in t.comm:
                if c == 0:
                    break
                i.comm.append(c)
            i.no_new_privs = t.no_new_privs
        for g in p.groups:
            i.groups.append(g)
        i.umask = u64(p.fs.umask)
        i.threads = p.threads
        i.nice = p.nice
        i.priority = i64(20) + p.nice
        i.start_ticks = p.start_ns // NS_PER_TICK
        for r in range(0, len(p.rlim_cur)):
            i.rlim_cur.append(p.rlim_cur[r])
            i.rlim_max.append(p.rlim_max[r])
        fill_memory(p, i)
        fill_signals(p, t, i)
        if p.zombie:
            i.exit_code = p.exit_status
        else:
            while i.fd_size < u64(len(p.files.fds)):
                i.fd_size = i.fd_size * 2
        return i

    def files(self, pid: u64) -> FdTable:
        """pid's open files (ENOENT for a zombie, whose files are closed)."""
        p = live_process(pid)
        if p.zombie:
            raise SysError(ENOENT)
        return p.files

    def fs_context(self, pid: u64) -> FsContext:
        """pid's root, cwd and umask."""
        p = live_process(pid)
        if p.zombie:
            raise SysError(ENOENT)
        return p.fs

    def vmas(self, pid: u64) -> VmaList:
        """pid's VM areas (none for a zombie)."""
        p = live_process(pid)
        if p.zombie:
            return VmaList()
        return p.vmas

    def exe(self, pid: u64) -> Inode:
        """The program pid runs (ENOENT before its first exec and after it died)."""
        p = live_process(pid)
        e = p.exe
        if e is None or p.zombie:
            raise SysError(ENOENT)
        return e

    def sched_counts(self, out: List[u64]) -> None:
        """Runnable tasks, all tasks, the last pid, pids handed out since boot (pids count up), pid_max."""
        runnable = u64(0)
        total = u64(0)
        for t in the_tables().tasks:
            if t.state == DEAD:
                continue
            total += 1
            if t.state == RUNNABLE:
                runnable += 1
        out.append(runnable)
        out.append(total)
        out.append(sched.last_pid)
        out.append(sched.last_pid)
        out.append(sched.pid_max)

    def set_comm(self, pid: u64, tid: u64, name: bytearray) -> None:
        """Write /proc/PID[/task/TID]/comm: the thread's name (ESRCH when gone)."""
        p = live_process(pid)
        t: Task | None = None
        if tid == 0:
            t = main_task(p)
        else:
            for cand in the_tables().tasks:
                if cand.tid == tid and cand.proc is p and cand.state != DEAD:
                    t = cand
        if t is None:
            raise SysError(ESRCH)
        for i in range(0, 16):
            t.comm[i] = u8(0)
        for i in range(0, len(name)):
            if i < 15:
                t.comm[i] = name[i]

    def read_memory(self, pid: u64, addr: u64, n: u64, out: TextBuf) -> None:
        """n bytes of pid's memory at addr, page by page (EFAULT for an unmapped page, ESRCH)."""
        p = live_process(pid)
        if p.zombie:
            return
        c = p.user_chunks(addr, n, False)
        while c.next():
            out.put_mem(c.kaddr, c.size)


def insert_sorted(out: List[u64], v: u64) -> None:
    """Insert v into the ascending list out."""
    i = len(out)
    while i > 0 and out[i - 1] > v:
        i -= 1
    out.insert(i, v)


def register_proc_provider() -> None:
    """Let /proc see the task layer's processes (the composition root calls this at boot)."""
    set_proc_provider(TaskProcProvider())
