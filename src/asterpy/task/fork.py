"""Creating tasks: fork, vfork, clone and clone3, and the first user task (init).

A new process gets a copy of its parent's memory, page by page (copy-on-write is future work),
its own or the shared file table and fs context (CLONE_FILES, CLONE_FS), and a copy of the
signal actions. A new thread (CLONE_THREAD) shares the whole process. Its kernel stack starts
with a copy of the parent's user frame, so it returns from the same syscall with 0.

A CLONE_VM child that is not a thread (vfork, posix_spawn) shares its parent's address space
until it execs or exits: the space counts its users (AddressSpace.users, Linux's mm_users) and
is torn down when the last one lets go, so the child may outlive its parent.
"""

from typing import Final

from asterpy.lang import SysError, u32, u64
from asterpy.lang.errno import EAGAIN, EINVAL, ENOMEM
from asterpy.mm.kstack import GUARD_PAGES, kstack_alloc
from asterpy.task.process import Process
from asterpy.task.sched import (
    add_process, add_task, alloc_pid, current_task, tasks_of_user, release_task_memory, schedule, the_tables,
)
from asterpy.task.task import KSTACK_PAGES, Task
from asterpy.kernel.wait import sleep_on

from kernel_arch import F_RAX, F_RSP, frame_set, prepare_user_context, user_frame_of

CSIGNAL: Final = u64(0xFF)
CLONE_VM: Final = u64(0x00000100)
CLONE_FS: Final = u64(0x00000200)
CLONE_FILES: Final = u64(0x00000400)
CLONE_SIGHAND: Final = u64(0x00000800)
CLONE_PIDFD: Final = u64(0x00001000)
CLONE_PTRACE: Final = u64(0x00002000)
CLONE_VFORK: Final = u64(0x00004000)
CLONE_PARENT: Final = u64(0x00008000)
CLONE_THREAD: Final = u64(0x00010000)
CLONE_NEWNS: Final = u64(0x00020000)
CLONE_SYSVSEM: Final = u64(0x00040000)
CLONE_SETTLS: Final = u64(0x00080000)
CLONE_PARENT_SETTID: Final = u64(0x00100000)
CLONE_CHILD_CLEARTID: Final = u64(0x00200000)
CLONE_DETACHED: Final = u64(0x00400000)
CLONE_UNTRACED: Final = u64(0x00800000)
CLONE_CHILD_SETTID: Final = u64(0x01000000)
CLONE_IO: Final = u64(0x80000000)
# Flags this kernel implements (namespaces, cgroups and pidfds are not).
SUPPORTED: Final = (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_PTRACE | CLONE_VFORK
                    | CLONE_PARENT | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID
                    | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_IO)
# The most tasks alive at once is Linux's default threads-max: memory / (8 * THREAD_SIZE) with
# x86_64 Linux's 16 KiB THREAD_SIZE (4 frames), at least MIN_TASKS: 2048 in a 256 MiB machine.
MIN_TASKS: Final = u64(20)
THREAD_FRAMES: Final = u64(4)
RLIMIT_NPROC: Final = u64(6)
PAGE: Final = u64(4096)


def max_tasks(frame_count: u64) -> u64:
    """Linux's default threads-max for frame_count frames of memory."""
    n = frame_count // (8 * THREAD_FRAMES)
    return n if n > MIN_TASKS else MIN_TASKS


def alloc_kstack(t: Task) -> None:
    """Give t a kernel stack, with a guard page below it (ENOMEM)."""
    p = t.proc
    pa = kstack_alloc(p.frames, KSTACK_PAGES)
    t.kstack_phys = pa
    t.kstack_top = p.dm + pa + (KSTACK_PAGES + GUARD_PAGES) * PAGE


def new_process_like(parent: Process, flags: u64) -> Process:
    """A child process of parent: memory copied, files and fs shared or copied as flags say."""
    cp = Process(parent.frames, parent.dm, parent.kroot)
    cp.pid = alloc_pid()
    cp.ppid = parent.pid
    if (flags & CLONE_PARENT) != 0:
        cp.ppid = parent.ppid
    cp.pgid = parent.pgid
    cp.sid = parent.sid
    cp.copy_credentials(parent)
    cp.nice = parent.nice
    cp.ioprio = parent.ioprio
    cp.persona = parent.persona
    for r in range(u64(0), u64(len(parent.rlim_cur))):
        cp.rlim_cur[r] = parent.rlim_cur[r]
        cp.rlim_max[r] = parent.rlim_max[r]
    if (flags & CLONE_VM) != 0:
        cp.share_memory_of(parent)
    else:
        try:
            cp.copy_memory_from(parent)
        except SysError:
            cp.free_user_memory()
            raise SysError(ENOMEM)
    cp.copy_sigactions(parent)
    if (flags & CLONE_FILES) != 0:
        cp.files = parent.files
    else:
        cp.files = parent.files.clone()
    if (flags & CLONE_FS) != 0:
        cp.fs = parent.fs
    else:
        cp.fs = parent.fs.clone()
    return cp


def check_clone_flags(flags: u64) -> None:
    """EINVAL for combinations Linux refuses or flags this kernel does not implement."""
    if (flags & ~SUPPORTED) != 0:
        raise SysError(EINVAL)
    if (flags & CLONE_THREAD) != 0 and (flags & CLONE_SIGHAND) == 0:
        raise SysError(EINVAL)
    if (flags & CLONE_SIGHAND) != 0 and (flags & CLONE_VM) == 0:
        raise SysError(EINVAL)


def do_clone(flags: u64, stack: u64, parent_tid: u64, child_tid: u64, tls: u64) -> u64:
    """clone(2) for the running task; the child's tid (the child itself sees 0)."""
    check_clone_flags(flags)
    parent = current_task()
    pp = parent.proc
    if u64(len(the_tables().tasks)) >= max_tasks(pp.frames.frame_count):
        raise SysError(EAGAIN)
    # RLIMIT_NPROC counts the tasks of the caller's real user; root is exempt, as on Linux
    # (which exempts CAP_SYS_ADMIN and CAP_SYS_RESOURCE holders and the init user).
    if pp.ruid != 0 and pp.uid != 0 and tasks_of_user(pp.ruid) >= pp.rlim_cur[RLIMIT_NPROC]:
        raise SysError(EAGAIN)
    # Out of memory for new processes: keep what is left for the ones already running (their
    # stack growth and copy-on-write faults), rather than start one more that the OOM killer
    # would then have to end.
    if pp.frames.available_frames() < pp.frames.reserve:
        raise SysError(ENOMEM)
    thread = (flags & CLONE_THREAD) != 0
    cp = pp
    if not thread:
        cp = new_process_like(pp, flags)
    tid = cp.pid
    if thread:
        tid = alloc_pid()
    ct = Task(tid, cp)
    for i in range(u64(0), u64(16)):
        ct.comm[i] = parent.comm[i]      # the child's name is its parent's until it execs
    try:
        alloc_kstack(ct)
    except SysError:
        release_task_memory(ct)
        if not thread:
            cp.files.close_all()
            cp.free_user_memory()
        raise SysError(ENOMEM)
    frame = prepare_user_context(ct.ctx, ct.kstack_top, user_frame_of(parent.kstack_top))
    frame_set(frame, F_RAX, u64(0))
    if stack != 0:
        frame_set(frame, F_RSP, stack)
    ct.fs_base = parent.fs_base
    ct.gs_base = parent.gs_base
    if (flags & CLONE_SETTLS) != 0:
        ct.fs_base = tls
    ct.sigmask = parent.sigmask
    ct.altstack_sp = parent.altstack_sp
    ct.altstack_size = parent.altstack_size
    ct.altstack_flags = parent.altstack_flags
    for i in range(0, 16):
        ct.comm[i] = parent.comm[i]
    if (flags & CLONE_PARENT_SETTID) != 0:
        pp.put_u32(parent_tid, u32(tid))
    if (flags & CLONE_CHILD_SETTID) != 0:
        cp.put_u32(child_tid, u32(tid))
    if (flags & CLONE_CHILD_CLEARTID) != 0:
        ct.clear_child_tid = child_tid
    cp.threads += 1
    if not thread:
        add_process(cp)
    add_task(ct)
    if (flags & CLONE_VFORK) != 0 and not thread:
        # The parent waits until the child has exec'd or exited (signals do not end the wait).
        while not cp.vfork_done:
            if not sleep_on(cp.vfork_chan):
                # A signal is pending: sleep_on returns at once; let the child run instead.
                schedule()
    return tid


