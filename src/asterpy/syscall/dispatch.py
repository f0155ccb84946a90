"""Syscall dispatch: a SYS_* id and six arguments to its entry in the syscall table; errors come back as -errno.

The arch entry (arch/x86_64/syscall.py) maps the user's number to the kernel's dense id with
the generated lookup (numbers.py) and calls `syscall_dispatch`, which indexes the generated table
(table.py): the entry, its argument count and whether it may restart. An entry raises
SysError(errno); the dispatcher turns it into the negative errno user space expects. Unknown or
unimplemented syscalls answer -ENOSYS and are logged once per number.
"""

from asterpy.lang import Array, struct, SysError, i64, kinfo, kprint, u8, u32, u64
from asterpy.lang.errno import ENOSYS
import asterpy.kernel.log as klog
from asterpy.syscall.numbers import SYS_COUNT, SYS_NONE
from asterpy.syscall.table import SYSCALL_ENTRY, SYSCALL_HANDLED, SYSCALL_NARGS, SYSCALL_RESTARTS
from asterpy.task.process import current_process
from asterpy.task.sched import current_task_or_none


@struct
class SeenSet:
    """Syscall numbers below 1024 already reported as unimplemented (a bitmap)."""

    bits: Array[u64, 16]


enosys_seen: SeenSet = SeenSet()


def current_pid() -> u64:
    """The running process's pid (0 if none: the log line of a kernel-internal call)."""
    p = current_process()
    if p is None:
        return u64(0)
    return p.pid


def unimplemented(nr: u64) -> u64:
    """Log an unknown or unimplemented syscall number once, then raise ENOSYS."""
    seen = True
    if nr < 1024:
        seen = ((enosys_seen.bits[nr >> 6] >> (nr & 63)) & 1) != 0
        enosys_seen.bits[nr >> 6] |= u64(1) << (nr & 63)
    if not seen:
        kinfo(f"[pid {current_pid()}] syscall {nr} not implemented: ENOSYS")
    raise SysError(ENOSYS)


def note_syscall(sys_id: u32) -> None:
    """Before the entry runs: record whether this call may be restarted after a signal."""
    t = current_task_or_none()
    if t is not None:
        t.restartable = SYSCALL_RESTARTS[sys_id]


def trace_entry(sys_id: u32, nr: u64, a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> None:
    """The strace line of a call: its number and the arguments its entry reads."""
    n = SYSCALL_NARGS[sys_id]
    if not SYSCALL_HANDLED[sys_id]:
        n = u8(6)  # no entry says how many it would read
    pid = current_pid()
    if n == 0:
        kprint(f"[pid {pid}] -> {nr}()")
    elif n == 1:
        kprint(f"[pid {pid}] -> {nr}({a0:#x})")
    elif n == 2:
        kprint(f"[pid {pid}] -> {nr}({a0:#x}, {a1:#x})")
    elif n == 3:
        kprint(f"[pid {pid}] -> {nr}({a0:#x}, {a1:#x}, {a2:#x})")
    elif n == 4:
        kprint(f"[pid {pid}] -> {nr}({a0:#x}, {a1:#x}, {a2:#x}, {a3:#x})")
    elif n == 5:
        kprint(f"[pid {pid}] -> {nr}({a0:#x}, {a1:#x}, {a2:#x}, {a3:#x}, {a4:#x})")
    else:
        kprint(f"[pid {pid}] -> {nr}({a0:#x}, {a1:#x}, {a2:#x}, {a3:#x}, {a4:#x}, {a5:#x})")


def syscall_dispatch(sys_id: u32, nr: u64, a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> i64:
    """The result of syscall nr (kernel id sys_id, SYS_NONE if unknown): a value or -errno."""
    if sys_id == SYS_NONE or sys_id >= SYS_COUNT:
        try:
            unimplemented(nr)
        except SysError as e:
            return -i64(e.errno)
    if klog.trace_syscalls:
        trace_entry(sys_id, nr, a0, a1, a2, a3, a4, a5)
    note_syscall(sys_id)
    r = i64(0)
    try:
        if not SYSCALL_HANDLED[sys_id]:
            unimplemented(nr)
        r = i64(SYSCALL_ENTRY[sys_id](a0, a1, a2, a3, a4, a5))
    except SysError as e:
        r = -i64(e.errno)
    if klog.trace_syscalls:
        kprint(f"[pid {current_pid()}] <- {nr} = {r}")
    return r
