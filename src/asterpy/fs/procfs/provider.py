"""What procfs needs to know about processes, and the slot the task layer fills at boot.

fs/ never imports the task layer (docs/architecture.md): procfs asks a ProcProvider, which the
task layer implements (asterpy.task.procinfo.TaskProcProvider) and the composition root
registers with `set_proc_provider`. The provider answers with plain snapshots (ProcInfo) and with
the fs objects a process holds (its fd table, fs context, VM areas); procfs formats them.
Until one is registered (unit tests of fs alone) /proc has no processes.
"""

from typing import Final

from asterpy.lang import List, SysError, i64, u8, u64
from asterpy.lang.errno import ESRCH
from asterpy.fs.context import FsContext
from asterpy.fs.fdtable import FdTable
from asterpy.fs.inode import Inode
from asterpy.fs.procfs.text import TextBuf
from asterpy.mm.vma import VmaList


class ProcInfo:
    """A snapshot of one process (or one of its threads) for /proc/PID/{stat,status,statm,limits}.
    Times are in clock ticks (100 per second) unless named _ns; sizes in bytes unless named _pages."""

    pid: u64             # the thread's id (tid) for a task directory, else the process id
    tgid: u64            # the process id
    ppid: u64
    pgid: u64
    sid: u64
    tty_nr: u64          # the controlling terminal's device number (0: none)
    tpgid: i64           # its foreground process group (-1: none)
    state: u8            # R S D T Z X as ps shows it
    comm: bytearray      # the name (at most 15 bytes)
    ruid: u64
    euid: u64
    suid: u64
    rgid: u64
    egid: u64
    sgid: u64
    fsuid: u64
    fsgid: u64
    groups: List[u64]
    umask: u64
    threads: u64
    nice: i64
    priority: i64
    start_ticks: u64     # when it started, in ticks after boot
    utime: u64
    stime: u64
    cutime: u64
    cstime: u64
    vsize: u64           # every VM area's size
    rss_pages: u64       # pages present now
    data_bytes: u64      # private writable areas other than the stack
    stack_bytes: u64
    exe_bytes: u64       # the program image
    sig_pending: u64     # the thread's and the process's pending signals
    sig_shared: u64
    sig_blocked: u64
    sig_ignored: u64
    sig_caught: u64
    rlim_cur: List[u64]
    rlim_max: List[u64]
    start_code: u64
    end_code: u64
    start_stack: u64
    start_brk: u64
    brk: u64
    arg_start: u64
    arg_end: u64
    env_start: u64
    env_end: u64
    exit_signal: u64
    exit_code: u64
    no_new_privs: bool
    fd_size: u64         # slots of the fd table (status's FDSize: 64 at least, as on Linux)

    def __init__(self) -> None:
        """All zero (the provider fills it in)."""
        self.pid = u64(0)
        self.tgid = u64(0)
        self.ppid = u64(0)
        self.pgid = u64(0)
        self.sid = u64(0)
        self.tty_nr = u64(0)
        self.tpgid = i64(-1)
        self.state = u8(0x52)
        self.comm = bytearray(0)
        self.ruid = u64(0)
        self.euid = u64(0)
        self.suid = u64(0)
        self.rgid = u64(0)
        self.egid = u64(0)
        self.sgid = u64(0)
        self.fsuid = u64(0)
        self.fsgid = u64(0)
        self.groups = []
        self.umask = u64(0o022)
        self.threads = u64(1)
        self.nice = i64(0)
        self.priority = i64(20)
        self.start_ticks = u64(0)
        self.utime = u64(0)
        self.stime = u64(0)
        self.cutime = u64(0)
        self.cstime = u64(0)
        self.vsize = u64(0)
        self.rss_pages = u64(0)
        self.data_bytes = u64(0)
        self.stack_bytes = u64(0)
        self.exe_bytes = u64(0)
        self.sig_pending = u64(0)
        self.sig_shared = u64(0)
        self.sig_blocked = u64(0)
        self.sig_ignored = u64(0)
        self.sig_caught = u64(0)
        self.rlim_cur = []
        self.rlim_max = []
        self.start_code = u64(0)
        self.end_code = u64(0)
        self.start_stack = u64(0)
        self.start_brk = u64(0)
        self.brk = u64(0)
        self.arg_start = u64(0)
        self.arg_end = u64(0)
        self.env_start = u64(0)
        self.env_end = u64(0)
        self.exit_signal = u64(17)
        self.exit_code = u64(0)
        self.no_new_privs = False
        self.fd_size = u64(64)


# /proc/sys/kernel/pid_max without a task layer (Linux's default).
PID_MAX_DEFAULT: Final = u64(32768)


class ProcProvider:
    """The task layer's answers for /proc. This base class knows no processes (ESRCH, empty lists);
    the task layer's subclass overrides every method."""

    def caller_pid(self) -> u64:
        """The process id of the caller (/proc/self); 0 when no process runs."""
        return u64(0)

    def caller_tid(self) -> u64:
        """The thread id of the caller (/proc/thread-self)."""
        return u64(0)

    def pids(self, out: List[u64]) -> None:
        """Append the id of every process not yet reaped, ascending."""
        return

    def tids(self, pid: u64, out: List[u64]) -> bool:
        """Append the thread ids of process pid, ascending; False when there is no such process."""
        return False

    def info(self, pid: u64, tid: u64) -> ProcInfo:
        """A snapshot of process pid (tid 0), or of its thread tid (ESRCH when gone)."""
        raise SysError(ESRCH)

    def owner(self, pid: u64) -> ProcInfo:
        """The ids of process pid (its /proc directory's owner and permission checks; ESRCH)."""
        raise SysError(ESRCH)

    def files(self, pid: u64) -> FdTable:
        """The open-file table of process pid (ESRCH)."""
        raise SysError(ESRCH)

    def fs_context(self, pid: u64) -> FsContext:
        """The root, cwd and umask of process pid (ESRCH)."""
        raise SysError(ESRCH)

    def vmas(self, pid: u64) -> VmaList:
        """The VM areas of process pid (ESRCH)."""
        raise SysError(ESRCH)

    def exe(self, pid: u64) -> Inode:
        """The program file process pid runs (ESRCH; ENOENT for a process without one)."""
        raise SysError(ESRCH)

    def sched_counts(self, out: List[u64]) -> None:
        """Append, in this order: runnable tasks, all tasks, the last pid handed out, the
        processes created since boot (/proc/loadavg and /proc/stat), and pid_max."""
        out.append(u64(0))
        out.append(u64(0))
        out.append(u64(0))
        out.append(u64(0))
        out.append(PID_MAX_DEFAULT)

    def set_comm(self, pid: u64, tid: u64, name: bytearray) -> None:
        """Rename thread tid of pid (tid 0: its main thread) to name, at most 15 bytes (ESRCH)."""
        raise SysError(ESRCH)

    def caller_uid(self) -> u64:
        """The caller's effective uid."""
        return u64(0)

    def read_memory(self, pid: u64, addr: u64, n: u64, out: TextBuf) -> None:
        """Append n bytes of process pid's memory at addr to out (EFAULT, ESRCH)."""
        raise SysError(ESRCH)


provider: ProcProvider | None = None


def set_proc_provider(pp: ProcProvider) -> None:
    """Install the task layer's provider (the composition root does, at boot)."""
    global provider
    provider = pp


def the_provider() -> ProcProvider:
    """The registered provider, or one that knows no processes."""
    global provider
    pp = provider
    if pp is None:
        pp = ProcProvider()
        provider = pp
    return pp
