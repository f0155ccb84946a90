"""Host-side generator of the syscall tables: one declarative list in, Kernel Python out.

Run `python src/asterpy/syscall/table_gen.py` after editing SYSCALLS or adding a syscall's
`syscall_<name>` entry to rewrite `numbers.py` and `table.py` (the dispatch table)
(`--check` only compares, `--docs FILE` also writes a Markdown table).  This script is normal
Python for the build host; the kernel imports only the generated `numbers.py` and `table.py`.

Each row of SYSCALLS is (name, x86_64 number, generic number[, only-arch]):
* the x86_64 number comes from x86_64's own table (None: x86_64 has no such call);
* the generic number is the asm-generic numbering that riscv64 and loongarch64 share (None: an
  old call the generic table left out, such as open or fork, which libc emulates with the *at
  variants);
* only-arch names the one generic arch that has the call (riscv64 keeps getrlimit/setrlimit,
  which loongarch64 dropped in favour of prlimit64, and has its own riscv_* calls).

The numbers are facts of the Linux ABI; tests/unit/syscall checks them against the host's
kernel headers and the newer ones that ziglang ships.  The order of rows is the order of the
kernel's internal syscall ids (SYS_*): x86_64 order, then the generic-only calls.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

ARCHES = ("x86_64", "riscv64", "loongarch64")
GENERIC_ARCHES = ("riscv64", "loongarch64")

# (name, x86_64, generic[, only-arch]); see the module docstring.
SYSCALLS: Sequence[Tuple[object, ...]] = (
    ('read', 0, 63),
    ('write', 1, 64),
    ('open', 2, None),
    ('close', 3, 57),
    ('stat', 4, None),
    ('fstat', 5, 80),
    ('lstat', 6, None),
    ('poll', 7, None),
    ('lseek', 8, 62),
    ('mmap', 9, 222),
    ('mprotect', 10, 226),
    ('munmap', 11, 215),
    ('brk', 12, 214),
    ('rt_sigaction', 13, 134),
    ('rt_sigprocmask', 14, 135),
    ('rt_sigreturn', 15, 139),
    ('ioctl', 16, 29),
    ('pread64', 17, 67),
    ('pwrite64', 18, 68),
    ('readv', 19, 65),
    ('writev', 20, 66),
    ('access', 21, None),
    ('pipe', 22, None),
    ('select', 23, None),
    ('sched_yield', 24, 124),
    ('mremap', 25, 216),
    ('msync', 26, 227),
    ('mincore', 27, 232),
    ('madvise', 28, 233),
    ('shmget', 29, 194),
    ('shmat', 30, 196),
    ('shmctl', 31, 195),
    ('dup', 32, 23),
    ('dup2', 33, None),
    ('pause', 34, None),
    ('nanosleep', 35, 101),
    ('getitimer', 36, 102),
    ('alarm', 37, None),
    ('setitimer', 38, 103),
    ('getpid', 39, 172),
    ('sendfile', 40, 71),
    ('socket', 41, 198),
    ('connect', 42, 203),
    ('accept', 43, 202),
    ('sendto', 44, 206),
    ('recvfrom', 45, 207),
    ('sendmsg', 46, 211),
    ('recvmsg', 47, 212),
    ('shutdown', 48, 210),
    ('bind', 49, 200),
    ('listen', 50, 201),
    ('getsockname', 51, 204),
    ('getpeername', 52, 205),
    ('socketpair', 53, 199),
    ('setsockopt', 54, 208),
    ('getsockopt', 55, 209),
    ('clone', 56, 220),
    ('fork', 57, None),
    ('vfork', 58, None),
    ('execve', 59, 221),
    ('exit', 60, 93),
    ('wait4', 61, 260),
    ('kill', 62, 129),
    ('uname', 63, 160),
    ('semget', 64, 190),
    ('semop', 65, 193),
    ('semctl', 66, 191),
    ('shmdt', 67, 197),
    ('msgget', 68, 186),
    ('msgsnd', 69, 189),
    ('msgrcv', 70, 188),
    ('msgctl', 71, 187),
    ('fcntl', 72, 25),
    ('flock', 73, 32),
    ('fsync', 74, 82),
    ('fdatasync', 75, 83),
    ('truncate', 76, 45),
    ('ftruncate', 77, 46),
    ('getdents', 78, None),
    ('getcwd', 79, 17),
    ('chdir', 80, 49),
    ('fchdir', 81, 50),
    ('rename', 82, None),
    ('mkdir', 83, None),
    ('rmdir', 84, None),
    ('creat', 85, None),
    ('link', 86, None),
    ('unlink', 87, None),
    ('symlink', 88, None),
    ('readlink', 89, None),
    ('chmod', 90, None),
    ('fchmod', 91, 52),
    ('chown', 92, None),
    ('fchown', 93, 55),
    ('lchown', 94, None),
    ('umask', 95, 166),
    ('gettimeofday', 96, 169),
    ('getrlimit', 97, 163, 'riscv64'),
    ('getrusage', 98, 165),
    ('sysinfo', 99, 179),
    ('times', 100, 153),
    ('ptrace', 101, 117),
    ('getuid', 102, 174),
    ('syslog', 103, 116),
    ('getgid', 104, 176),
    ('setuid', 105, 146),
    ('setgid', 106, 144),
    ('geteuid', 107, 175),
    ('getegid', 108, 177),
    ('setpgid', 109, 154),
    ('getppid', 110, 173),
    ('getpgrp', 111, None),
    ('setsid', 112, 157),
    ('setreuid', 113, 145),
    ('setregid', 114, 143),
    ('getgroups', 115, 158),
    ('setgroups', 116, 159),
    ('setresuid', 117, 147),
    ('getresuid', 118, 148),
    ('setresgid', 119, 149),
    ('getresgid', 120, 150),
    ('getpgid', 121, 155),
    ('setfsuid', 122, 151),
    ('setfsgid', 123, 152),
    ('getsid', 124, 156),
    ('capget', 125, 90),
    ('capset', 126, 91),
    ('rt_sigpending', 127, 136),
    ('rt_sigtimedwait', 128, 137),
    ('rt_sigqueueinfo', 129, 138),
    ('rt_sigsuspend', 130, 133),
    ('sigaltstack', 131, 132),
    ('utime', 132, None),
    ('mknod', 133, None),
    ('uselib', 134, None),
    ('personality', 135, 92),
    ('ustat', 136, None),
    ('statfs', 137, 43),
    ('fstatfs', 138, 44),
    ('sysfs', 139, None),
    ('getpriority', 140, 141),
    ('setpriority', 141, 140),
    ('sched_setparam', 142, 118),
    ('sched_getparam', 143, 121),
    ('sched_setscheduler', 144, 119),
    ('sched_getscheduler', 145, 120),
    ('sched_get_priority_max', 146, 125),
    ('sched_get_priority_min', 147, 126),
    ('sched_rr_get_interval', 148, 127),
    ('mlock', 149, 228),
    ('munlock', 150, 229),
    ('mlockall', 151, 230),
    ('munlockall', 152, 231),
    ('vhangup', 153, 58),
    ('modify_ldt', 154, None),
    ('pivot_root', 155, 41),
    ('_sysctl', 156, None),
    ('prctl', 157, 167),
    ('arch_prctl', 158, None),
    ('adjtimex', 159, 171),
    ('setrlimit', 160, 164, 'riscv64'),
    ('chroot', 161, 51),
    ('sync', 162, 81),
    ('acct', 163, 89),
    ('settimeofday', 164, 170),
    ('mount', 165, 40),
    ('umount2', 166, 39),
    ('swapon', 167, 224),
    ('swapoff', 168, 225),
    ('reboot', 169, 142),
    ('sethostname', 170, 161),
    ('setdomainname', 171, 162),
    ('iopl', 172, None),
    ('ioperm', 173, None),
    ('create_module', 174, None),
    ('init_module', 175, 105),
    ('delete_module', 176, 106),
    ('get_kernel_syms', 177, None),
    ('query_module', 178, None),
    ('quotactl', 179, 60),
    ('nfsservctl', 180, 42),
    ('getpmsg', 181, None),
    ('putpmsg', 182, None),
    ('afs_syscall', 183, None),
    ('tuxcall', 184, None),
    ('security', 185, None),
    ('gettid', 186, 178),
    ('readahead', 187, 213),
    ('setxattr', 188, 5),
    ('lsetxattr', 189, 6),
    ('fsetxattr', 190, 7),
    ('getxattr', 191, 8),
    ('lgetxattr', 192, 9),
    ('fgetxattr', 193, 10),
    ('listxattr', 194, 11),
    ('llistxattr', 195, 12),
    ('flistxattr', 196, 13),
    ('removexattr', 197, 14),
    ('lremovexattr', 198, 15),
    ('fremovexattr', 199, 16),
    ('tkill', 200, 130),
    ('time', 201, None),
    ('futex', 202, 98),
    ('sched_setaffinity', 203, 122),
    ('sched_getaffinity', 204, 123),
    ('set_thread_area', 205, None),
    ('io_setup', 206, 0),
    ('io_destroy', 207, 1),
    ('io_getevents', 208, 4),
    ('io_submit', 209, 2),
    ('io_cancel', 210, 3),
    ('get_thread_area', 211, None),
    ('lookup_dcookie', 212, 18),
    ('epoll_create', 213, None),
    ('epoll_ctl_old', 214, None),
    ('epoll_wait_old', 215, None),
    ('remap_file_pages', 216, 234),
    ('getdents64', 217, 61),
    ('set_tid_address', 218, 96),
    ('restart_syscall', 219, 128),
    ('semtimedop', 220, 192),
    ('fadvise64', 221, 223),
    ('timer_create', 222, 107),
    ('timer_settime', 223, 110),
    ('timer_gettime', 224, 108),
    ('timer_getoverrun', 225, 109),
    ('timer_delete', 226, 111),
    ('clock_settime', 227, 112),
    ('clock_gettime', 228, 113),
    ('clock_getres', 229, 114),
    ('clock_nanosleep', 230, 115),
    ('exit_group', 231, 94),
    ('epoll_wait', 232, None),
    ('epoll_ctl', 233, 21),
    ('tgkill', 234, 131),
    ('utimes', 235, None),
    ('vserver', 236, None),
    ('mbind', 237, 235),
    ('set_mempolicy', 238, 237),
    ('get_mempolicy', 239, 236),
    ('mq_open', 240, 180),
    ('mq_unlink', 241, 181),
    ('mq_timedsend', 242, 182),
    ('mq_timedreceive', 243, 183),
    ('mq_notify', 244, 184),
    ('mq_getsetattr', 245, 185),
    ('kexec_load', 246, 104),
    ('waitid', 247, 95),
    ('add_key', 248, 217),
    ('request_key', 249, 218),
    ('keyctl', 250, 219),
    ('ioprio_set', 251, 30),
    ('ioprio_get', 252, 31),
    ('inotify_init', 253, None),
    ('inotify_add_watch', 254, 27),
    ('inotify_rm_watch', 255, 28),
    ('migrate_pages', 256, 238),
    ('openat', 257, 56),
    ('mkdirat', 258, 34),
    ('mknodat', 259, 33),
    ('fchownat', 260, 54),
    ('futimesat', 261, None),
    ('newfstatat', 262, 79),
    ('unlinkat', 263, 35),
    ('renameat', 264, None),
    ('linkat', 265, 37),
    ('symlinkat', 266, 36),
    ('readlinkat', 267, 78),
    ('fchmodat', 268, 53),
    ('faccessat', 269, 48),
    ('pselect6', 270, 72),
    ('ppoll', 271, 73),
    ('unshare', 272, 97),
    ('set_robust_list', 273, 99),
    ('get_robust_list', 274, 100),
    ('splice', 275, 76),
    ('tee', 276, 77),
    ('sync_file_range', 277, 84),
    ('vmsplice', 278, 75),
    ('move_pages', 279, 239),
    ('utimensat', 280, 88),
    ('epoll_pwait', 281, 22),
    ('signalfd', 282, None),
    ('timerfd_create', 283, 85),
    ('eventfd', 284, None),
    ('fallocate', 285, 47),
    ('timerfd_settime', 286, 86),
    ('timerfd_gettime', 287, 87),
    ('accept4', 288, 242),
    ('signalfd4', 289, 74),
    ('eventfd2', 290, 19),
    ('epoll_create1', 291, 20),
    ('dup3', 292, 24),
    ('pipe2', 293, 59),
    ('inotify_init1', 294, 26),
    ('preadv', 295, 69),
    ('pwritev', 296, 70),
    ('rt_tgsigqueueinfo', 297, 240),
    ('perf_event_open', 298, 241),
    ('recvmmsg', 299, 243),
    ('fanotify_init', 300, 262),
    ('fanotify_mark', 301, 263),
    ('prlimit64', 302, 261),
    ('name_to_handle_at', 303, 264),
    ('open_by_handle_at', 304, 265),
    ('clock_adjtime', 305, 266),
    ('syncfs', 306, 267),
    ('sendmmsg', 307, 269),
    ('setns', 308, 268),
    ('getcpu', 309, 168),
    ('process_vm_readv', 310, 270),
    ('process_vm_writev', 311, 271),
    ('kcmp', 312, 272),
    ('finit_module', 313, 273),
    ('sched_setattr', 314, 274),
    ('sched_getattr', 315, 275),
    ('renameat2', 316, 276),
    ('seccomp', 317, 277),
    ('getrandom', 318, 278),
    ('memfd_create', 319, 279),
    ('kexec_file_load', 320, 294),
    ('bpf', 321, 280),
    ('execveat', 322, 281),
    ('userfaultfd', 323, 282),
    ('membarrier', 324, 283),
    ('mlock2', 325, 284),
    ('copy_file_range', 326, 285),
    ('preadv2', 327, 286),
    ('pwritev2', 328, 287),
    ('pkey_mprotect', 329, 288),
    ('pkey_alloc', 330, 289),
    ('pkey_free', 331, 290),
    ('statx', 332, 291),
    ('io_pgetevents', 333, 292),
    ('rseq', 334, 293),
    ('uretprobe', 335, None),
    ('uprobe', 336, None),
    ('pidfd_send_signal', 424, 424),
    ('io_uring_setup', 425, 425),
    ('io_uring_enter', 426, 426),
    ('io_uring_register', 427, 427),
    ('open_tree', 428, 428),
    ('move_mount', 429, 429),
    ('fsopen', 430, 430),
    ('fsconfig', 431, 431),
    ('fsmount', 432, 432),
    ('fspick', 433, 433),
    ('pidfd_open', 434, 434),
    ('clone3', 435, 435),
    ('close_range', 436, 436),
    ('openat2', 437, 437),
    ('pidfd_getfd', 438, 438),
    ('faccessat2', 439, 439),
    ('process_madvise', 440, 440),
    ('epoll_pwait2', 441, 441),
    ('mount_setattr', 442, 442),
    ('quotactl_fd', 443, 443),
    ('landlock_create_ruleset', 444, 444),
    ('landlock_add_rule', 445, 445),
    ('landlock_restrict_self', 446, 446),
    ('memfd_secret', 447, 447),
    ('process_mrelease', 448, 448),
    ('futex_waitv', 449, 449),
    ('set_mempolicy_home_node', 450, 450),
    ('cachestat', 451, 451),
    ('fchmodat2', 452, 452),
    ('map_shadow_stack', 453, 453),
    ('futex_wake', 454, 454),
    ('futex_wait', 455, 455),
    ('futex_requeue', 456, 456),
    ('statmount', 457, 457),
    ('listmount', 458, 458),
    ('lsm_get_self_attr', 459, 459),
    ('lsm_set_self_attr', 460, 460),
    ('lsm_list_modules', 461, 461),
    ('mseal', 462, 462),
    ('setxattrat', 463, 463),
    ('getxattrat', 464, 464),
    ('listxattrat', 465, 465),
    ('removexattrat', 466, 466),
    ('open_tree_attr', 467, 467),
    ('file_getattr', 468, 468),
    ('file_setattr', 469, 469),
    ('listns', 470, 470),
    ('rseq_slice_yield', 471, 471),
    ('riscv_hwprobe', None, 258, 'riscv64'),
    ('riscv_flush_icache', None, 259, 'riscv64'),
)


# The modules that hold syscall table entries: `def syscall_<name>(a0, ..., a5) -> u64`, one per
# syscall, named after its row in SYSCALLS. The generated table.py lists them by id.
FAMILY_MODULES = ("files", "fs_mount", "proc_calls", "clock", "cred", "sched_calls", "fs_event", "fs_socket", "mm", "system", "ipc", "fs_xattr")

# The calls that answer EINTR after a signal handler even with SA_RESTART (Linux: sleeps, waits for
# signals, and the poll family; everything else that was interrupted is restarted). rt_sigreturn
# hands back the interrupted code's own rax, which may well be -EINTR: it is never a result of its
# own to act on. execve replaces the frame altogether.
NEVER_RESTARTED = ("rt_sigreturn", "execve", "nanosleep", "clock_nanosleep", "pause", "rt_sigsuspend",
                   "rt_sigtimedwait", "poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait", "semop",
                   "semtimedop")

ENTRY_PREFIX = "syscall_"
ENTRY_PARAMS = ("a0", "a1", "a2", "a3", "a4", "a5")


class Entry(NamedTuple):
    """One syscall's handler as the table lists it."""

    module: str
    function: str
    nargs: int


def find_entries(root: Optional[Path] = None) -> Dict[str, Entry]:
    """{syscall name: Entry} from the `syscall_<name>` functions of FAMILY_MODULES.

    The argument count is how many of a0..a5 the entry reads (the highest one it reads, plus one).
    """
    import ast
    root = Path(__file__).parent if root is None else root
    names = {row[0] for row in SYSCALLS}
    found: Dict[str, Entry] = {}
    for mod in FAMILY_MODULES:
        path = root / f"{mod}.py"
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith(ENTRY_PREFIX)):
                continue
            name = node.name[len(ENTRY_PREFIX):]
            if name not in names:
                raise ValueError(f"{path.name}: {node.name} names no syscall of SYSCALLS")
            if name in found:
                raise ValueError(f"{name} has two entries: {found[name].module}.py and {path.name}")
            params = tuple(a.arg for a in node.args.args)
            if params != ENTRY_PARAMS:
                raise ValueError(f"{path.name}: {node.name} must take (a0, a1, a2, a3, a4, a5)")
            read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in ENTRY_PARAMS}
            nargs = max((ENTRY_PARAMS.index(a) + 1 for a in read), default=0)
            found[name] = Entry(mod, node.name, nargs)
    return found


def render_table(calls: Optional[List[Syscall]] = None, entries: Optional[Dict[str, Entry]] = None) -> str:
    """The text of table.py: per syscall id its entry, argument count, whether it has a handler and may restart."""
    calls = table() if calls is None else calls
    entries = find_entries() if entries is None else entries
    unknown = set(NEVER_RESTARTED) - {s.name for s in calls}
    if unknown:
        raise ValueError(f"NEVER_RESTARTED names no syscall: {sorted(unknown)}")
    n = len(calls)
    fn_t = "Callable[[" + ", ".join("u64" for _ in ENTRY_PARAMS) + "], u64]"
    lines = [
        '"""The syscall table, indexed by the kernel\'s dense syscall id (SYS_*, numbers.py). GENERATED by',
        "table_gen.py from its SYSCALLS, NEVER_RESTARTED and the `syscall_<name>` entries of its",
        "FAMILY_MODULES: do not edit; run `python src/asterpy/syscall/table_gen.py`.",
        "",
        "Per id: the entry (x86_64's argument order; an id without a handler has `no_handler`), how many",
        "arguments it reads (for the strace log), whether it has a handler, and whether it may be restarted",
        "after a signal handler with SA_RESTART.",
        '"""',
        "",
        "from typing import Callable, Final",
        "",
        "from asterpy.lang import Array, SysError, u8, u64",
        "from asterpy.lang.errno import ENOSYS",
    ]
    for mod in FAMILY_MODULES:
        lines.append(f"import asterpy.syscall.{mod} as {mod}")
    lines += [
        "", "",
        "def no_handler(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:",
        '    """The entry of an id without a handler (syscall_dispatch logs those and answers ENOSYS itself)."""',
        "    raise SysError(ENOSYS)",
        "", "",
        f"SYSCALL_ENTRY: Final[Array[{fn_t}, {n}]] = (",
    ]
    for s in calls:
        e = entries.get(s.name)
        ref = f"{e.module}.{e.function}" if e else "no_handler"
        lines.append(f"    {ref},  # {s.sys_id} {s.name}")
    lines.append(")")

    def rows(name: str, ty: str, vals: List[str]) -> None:
        lines.append(f"{name}: Final[Array[{ty}, {n}]] = (")
        for i in range(0, len(vals), 16):
            lines.append("    " + ", ".join(vals[i:i + 16]) + ",")
        lines.append(")")

    rows("SYSCALL_NARGS", "u8", [str(entries[s.name].nargs if s.name in entries else 0) for s in calls])
    rows("SYSCALL_HANDLED", "bool", [str(s.name in entries) for s in calls])
    rows("SYSCALL_RESTARTS", "bool", [str(s.name not in NEVER_RESTARTED) for s in calls])
    lines.append("")
    return "\n".join(lines)


class Syscall(NamedTuple):
    """One row of SYSCALLS, normalised: sys_id is its index."""

    sys_id: int
    name: str
    x86_64: Optional[int]
    generic: Optional[int]
    only: str

    def number(self, arch: str) -> Optional[int]:
        """This call's number on arch, or None if arch does not have it."""
        if arch == "x86_64":
            return self.x86_64
        if arch not in GENERIC_ARCHES:
            raise ValueError(f"unknown arch {arch!r}")
        if self.only and self.only != arch:
            return None
        return self.generic


def table() -> List[Syscall]:
    """SYSCALLS as Syscall records, checked for duplicate names and numbers."""
    out: List[Syscall] = []
    names = set()
    for i, row in enumerate(SYSCALLS):
        name, x86, gen = row[0], row[1], row[2]
        only = row[3] if len(row) > 3 else ""
        if name in names:
            raise ValueError(f"duplicate syscall {name}")
        if only and only not in GENERIC_ARCHES:
            raise ValueError(f"{name}: unknown arch {only}")
        names.add(name)
        out.append(Syscall(i, name, x86, gen, only))
    for arch in ARCHES:
        seen: Dict[int, str] = {}
        for s in out:
            n = s.number(arch)
            if n is not None:
                if n in seen:
                    raise ValueError(f"{arch}: {s.name} and {seen[n]} share number {n}")
                seen[n] = s.name
    return out


def _const(name: str) -> str:
    """The Kernel Python constant name of a syscall name."""
    return name.upper()


# A lookup table's "no entry" value (2 bytes little-endian per entry).
NO_ENTRY = 0xFFFF


def _table_entries(pairs: List[Tuple[int, int]]) -> List[int]:
    """Each key's value at its index (the largest key + 1 entries), NO_ENTRY for gaps."""
    vals = [NO_ENTRY] * (max(k for k, _ in pairs) + 1)
    for k, v in pairs:
        if not 0 <= v < NO_ENTRY:
            raise ValueError(f"table value {v} does not fit 16 bits")
        vals[k] = v
    return vals


def _table(lines: List[str], name: str, comment: str, pairs: List[Tuple[int, int]]) -> None:
    """Emit a module-level table constant NAME (bytes: u16 little-endian per entry) and NAME_SIZE."""
    vals = _table_entries(pairs)
    lines += ["", f"# {comment}", f"{name}_SIZE: Final = u64({len(vals)})", f"{name}: Final = ("]
    # One literal written as lines of 16 entries (adjacent literals are one constant).
    for i in range(0, len(vals), 16):
        raw = b"".join(v.to_bytes(2, "little") for v in vals[i:i + 16])
        lines.append('    b"' + "".join(f"\\x{b:02x}" for b in raw) + '"')
    lines.append(")")


def _lookup(lines: List[str], header: str, doc: str, table: str, var: str, result: str, missing: str) -> None:
    """Emit a function that reads table[var] (one u16 per entry): result(value), or missing."""
    lines += ["", "", header, f'    """{doc}"""',
              f"    if u64({var}) >= {table}_SIZE:",
              f"        return {missing}",
              f"    v = u32({table}[u64({var}) * 2]) | (u32({table}[u64({var}) * 2 + 1]) << 8)",
              f"    if v == {NO_ENTRY:#x}:",
              f"        return {missing}",
              f"    return {result}"]


def render_numbers(calls: Optional[List[Syscall]] = None) -> str:
    """The text of numbers.py for the given table (default: SYSCALLS)."""
    calls = table() if calls is None else calls
    lines = [
        '"""Syscall ids and per-arch numbers (GENERATED by table_gen.py from its SYSCALLS list: do',
        'not edit; run `python src/asterpy/syscall/table_gen.py`).',
        "",
        "SYS_<NAME> is the kernel's own dense id of a syscall (an index into per-id tables);",
        "<ARCH>_NR_<NAME> is the number user space passes on that arch.  The lookups read tables of",
        "16-bit entries indexed by number or id (bytes constants: one load, no comparisons).",
        '"""',
        "",
        "from typing import Final",
        "",
        "from asterpy.lang import i64, u32, u64",
        "",
        f"SYS_COUNT: Final = u32({len(calls)})",
        "# The id returned for a number that no syscall has (the caller answers ENOSYS).",
        "SYS_NONE: Final = u32(0xFFFFFFFF)",
        "",
    ]
    for s in calls:
        lines.append(f"SYS_{_const(s.name)}: Final = u32({s.sys_id})")
    lines.append("")
    for s in calls:
        if s.x86_64 is not None:
            lines.append(f"X86_64_NR_{_const(s.name)}: Final = u64({s.x86_64})")
    lines.append("")
    for s in calls:
        if s.generic is not None:
            lines.append(f"GENERIC_NR_{_const(s.name)}: Final = u64({s.generic})")
    x86 = [s for s in calls if s.x86_64 is not None]
    gen = [s for s in calls if s.generic is not None]
    _table(lines, "X86_64_ID_OF_NR", "x86_64 syscall number -> SYS_* id (0xffff: none).",
           [(s.x86_64, s.sys_id) for s in x86])
    _table(lines, "X86_64_NR_OF_ID", "SYS_* id -> x86_64 syscall number (0xffff: none).",
           [(s.sys_id, s.x86_64) for s in x86])
    _table(lines, "GENERIC_ID_OF_NR", "asm-generic syscall number -> SYS_* id (0xffff: none).",
           [(s.generic, s.sys_id) for s in gen])
    _table(lines, "GENERIC_NR_OF_ID", "SYS_* id -> asm-generic syscall number (0xffff: none).",
           [(s.sys_id, s.generic) for s in gen])
    _lookup(lines, "def x86_64_sys_id(nr: u64) -> u32:", "The SYS_* id of syscall number nr on x86_64, or SYS_NONE.",
            "X86_64_ID_OF_NR", "nr", "v", "SYS_NONE")
    _lookup(lines, "def x86_64_number(sys_id: u32) -> i64:",
            "The x86_64 number of syscall sys_id, or -1 if x86_64 does not have it.",
            "X86_64_NR_OF_ID", "sys_id", "i64(v)", "i64(-1)")
    # riscv64 and loongarch64 share one table; each arch then drops the other's own calls.
    _lookup(lines, "def generic_sys_id(nr: u64) -> u32:",
            "The SYS_* id of asm-generic syscall number nr (any generic arch), or SYS_NONE.",
            "GENERIC_ID_OF_NR", "nr", "v", "SYS_NONE")
    _lookup(lines, "def generic_number(sys_id: u32) -> i64:",
            "The asm-generic number of syscall sys_id (any generic arch), or -1 if none.",
            "GENERIC_NR_OF_ID", "sys_id", "i64(v)", "i64(-1)")
    for arch in GENERIC_ARCHES:
        others = [s for s in gen if s.only and s.only != arch]
        lines += ["", "", f"def {arch}_only_elsewhere(sys_id: u32) -> bool:",
                  f'    """True if sys_id has a generic number that {arch} does not use."""']
        for s in others:
            lines += [f"    if sys_id == SYS_{_const(s.name)}:", "        return True"]
        lines.append("    return False")
        lines += ["", "", f"def {arch}_sys_id(nr: u64) -> u32:",
                  f'    """The SYS_* id of syscall number nr on {arch}, or SYS_NONE."""',
                  "    sys_id = generic_sys_id(nr)",
                  f"    if {arch}_only_elsewhere(sys_id):",
                  "        return SYS_NONE",
                  "    return sys_id",
                  "", "", f"def {arch}_number(sys_id: u32) -> i64:",
                  f'    """The {arch} number of syscall sys_id, or -1 if {arch} lacks it."""',
                  f"    if {arch}_only_elsewhere(sys_id):",
                  "        return i64(-1)",
                  "    return generic_number(sys_id)"]
    lines.append("")
    return "\n".join(lines)


def render_docs(calls: Optional[List[Syscall]] = None) -> str:
    """A Markdown table of every syscall and its number per arch (for docs/syscalls.md)."""
    calls = table() if calls is None else calls

    def cell(n: Optional[int]) -> str:
        return "—" if n is None else str(n)

    lines = ["# Syscall numbers", "",
             "Generated by `src/asterpy/syscall/table_gen.py --docs`; do not edit.", "",
             "| id | name | x86_64 | riscv64 | loongarch64 |", "|---|---|---|---|---|"]
    for s in calls:
        lines.append(f"| {s.sys_id} | {s.name} | " +
                     " | ".join(cell(s.number(a)) for a in ARCHES) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: write (or --check) numbers.py, optionally the docs table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", type=Path, default=Path(__file__).with_name("numbers.py"))
    ap.add_argument("--check", action="store_true", help="fail if the output is out of date")
    ap.add_argument("--table", type=Path, default=Path(__file__).with_name("table.py"),
                    help="where the syscall table goes (table.py beside this script)")
    ap.add_argument("--docs", type=Path, help="also write the Markdown table here")
    args = ap.parse_args(argv)
    text = render_numbers()
    table_text = render_table()
    if args.check:
        for path, want in ((args.output, text), (args.table, table_text)):
            if not path.exists() or path.read_text() != want:
                print(f"{path} is out of date: run {Path(__file__).name}", file=sys.stderr)
                return 1
        return 0
    args.output.write_text(text)
    args.table.write_text(table_text)
    if args.docs is not None:
        args.docs.write_text(render_docs())
    return 0


if __name__ == "__main__":
    sys.exit(main())
