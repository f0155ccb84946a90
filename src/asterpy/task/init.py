"""The first process: which program runs as init, with which arguments and environment, as Linux does.

The search order is Linux's (Documentation/admin-guide/init.rst): the initramfs's `/init` (or the
`rdinit=` program), else the `init=` program, else `/sbin/init`, `/etc/init`, `/bin/init` and
`/bin/sh`. The first one that starts runs as pid 1 with its standard streams on /dev/console.
An `init=` program that cannot start, or no program at all, is a kernel panic with Linux's words
("Requested init ... failed", "No working init found"). There is no block device support yet, so
the initramfs is always the root file system (`root=` is reported and otherwise ignored).

init's arguments are its path, then the unknown words of the command line after the last
`init=`/`rdinit=`, then every word after `--`; its environment is HOME=/ and TERM=linux, then the
unknown `name=value` words (a later one replaces an earlier one of the same name). Words with a
dot in their name are module parameters and are not passed on. kernel/cmdline.py classifies the
words; docs/cmdline.md lists them.

When init ends, the kernel reports `init exited with status N` or `init killed by signal S`.
With `asterpy.exit=1` it then powers QEMU off with the exit status as its status (64 + S for a
signal: QEMU passes on only 7 bits, so codes above 127 wrap); without it, as Linux, that is a
panic ("Attempted to kill init!") and `panic=N` decides between halting and rebooting.
Without any initramfs nothing runs (the kernel's own boot tests): Linux would try to mount
`root=` there.
"""

from typing import Final

from asterpy.lang import List, Ptr, SysError, kinfo, kprint, kwarn, kwrite, u64, u8
from asterpy.mm.heap import kmalloc
from asterpy.lang.errno import ENOENT
from asterpy.fs.inflate import INFLATE_WORK_SIZE, gunzip, gzip_size_hint
from asterpy.kernel.bootinfo import boot_info
from asterpy.kernel.cmdline import (
    KIND_ARG, KIND_DASHES, KIND_ENV, KIND_INIT, KIND_RDINIT, cmdline_exit_requested, cmdline_settings,
    cmdline_strace, name_end, name_start, skip_spaces, word_end, word_kind,
)
import asterpy.kernel.cmdline as cmdline
from asterpy.kernel.log import LOG_ERROR, LOG_INFO, LOG_WARN, kpy_log_begin, log_bytes, log_newline
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.paging import AddressSpace
from asterpy.kernel.time import set_realtime_base
from asterpy.kernel.log import set_syscall_trace
from asterpy.task.process import ARG_MAX, Process
from asterpy.task.task import Task

from kernel_arch import (
    arch_exit, arch_load_root, arch_panic_end, arch_rtc_seconds, arch_user_mode_init, idle_wait,
    prepare_user_context,
)


PAGE_MASK: Final = u64(4095)
QUOTE: Final = u8(0x22)
BACKSLASH: Final = u8(0x5C)
EQUALS: Final = u8(0x3D)
# Linux's limits (CONFIG_INIT_ENV_ARG_LIMIT): argv[0] and HOME, TERM count.
MAX_INIT_ARGS: Final = u64(32)
MAX_INIT_ENVS: Final = u64(32)
# Room in the word buffer for the default environment and the default /init.
DEFAULTS_ROOM: Final = u64(64)


def copy_unquoted(p: Ptr[u8], s: u64, e: u64, out: u64) -> u64:
    """Copy the word [s, e) of the line to out without its double quotes (`\\"` and `\\\\` inside
    quotes are a quote and a backslash); its length."""
    o = Ptr[u8](out)
    k = u64(0)
    quoted = False
    i = s
    while i < e:
        c = p[i]
        if c == QUOTE:
            quoted = not quoted
            i += 1
            continue
        if quoted and c == BACKSLASH and i + 1 < e and (p[i + 1] == QUOTE or p[i + 1] == BACKSLASH):
            i += 1
            c = p[i]
        o[k] = c
        k += 1
        i += 1
    return k


def copy_text(text: bytes, out: u64) -> u64:
    """Copy a literal to out; its length."""
    o = Ptr[u8](out)
    for i in range(u64(0), u64(len(text))):
        o[i] = text[i]
    return u64(len(text))


def same_env_name(a: u64, a_len: u64, b: u64, b_len: u64) -> bool:
    """Whether two `name=value` strings have the same name."""
    pa = Ptr[u8](a)
    pb = Ptr[u8](b)
    i = u64(0)
    while i < a_len and i < b_len:
        if pa[i] != pb[i]:
            return False
        if pa[i] == EQUALS:
            return True
        i += 1
    return False


class InitWords:
    """init's arguments (without argv[0]) and environment from the command line, unquoted in one buffer."""

    buf: u64
    used: u64
    arg_addrs: List[u64]
    arg_lens: List[u64]
    env_addrs: List[u64]
    env_lens: List[u64]
    # The last init= and rdinit= values (length 0 when absent); rdinit defaults to /init.
    init_addr: u64
    init_len: u64
    rdinit_addr: u64
    rdinit_len: u64
    rdinit_given: bool
    # The first word over Linux's limits (an environment word if too_many_env), 0 if none.
    too_many_env: bool
    too_many_addr: u64
    too_many_len: u64

    def __init__(self, cap: u64) -> None:
        self.buf = kmalloc(cap + DEFAULTS_ROOM)
        self.used = u64(0)
        self.arg_addrs = []
        self.arg_lens = []
        self.env_addrs = []
        self.env_lens = []
        self.init_addr = u64(0)
        self.init_len = u64(0)
        self.rdinit_addr = u64(0)
        self.rdinit_len = u64(0)
        self.rdinit_given = False
        self.too_many_env = False
        self.too_many_addr = u64(0)
        self.too_many_len = u64(0)

    def take(self, n: u64) -> u64:
        """The address of the n bytes just copied to the buffer's end, which now belong to a word."""
        a = self.buf + self.used
        self.used += n + 1
        Ptr[u8](a)[n] = u8(0)
        return a

    def over_limit(self, addr: u64, n: u64, env: bool) -> None:
        """Remember the first word over Linux's limits (the boot panics, as Linux's does)."""
        if self.too_many_addr == 0:
            self.too_many_env = env
            self.too_many_addr = addr
            self.too_many_len = n

    def add_arg(self, addr: u64, n: u64) -> None:
        """Append an argument."""
        if u64(len(self.arg_addrs)) + 1 >= MAX_INIT_ARGS:
            self.over_limit(addr, n, False)
            return
        self.arg_addrs.append(addr)
        self.arg_lens.append(n)

    def add_env(self, addr: u64, n: u64) -> None:
        """Set a `name=value`: replace the entry of the same name, else append."""
        for k in range(u64(0), u64(len(self.env_addrs))):
            if same_env_name(self.env_addrs[k], self.env_lens[k], addr, n):
                self.env_addrs[k] = addr
                self.env_lens[k] = n
                return
        if u64(len(self.env_addrs)) >= MAX_INIT_ENVS:
            self.over_limit(addr, n, True)
            return
        self.env_addrs.append(addr)
        self.env_lens.append(n)


def collect_init_words(p: Ptr[u8], n: u64) -> InitWords:
    """init's arguments, environment, init= and rdinit= from the n-byte command line at p (Linux's rules)."""
    w = InitWords(n)
    if w.buf == 0:
        return w
    w.add_env(w.take(copy_text(b"HOME=/", w.buf + w.used)), u64(6))
    w.add_env(w.take(copy_text(b"TERM=linux", w.buf + w.used)), u64(10))
    w.rdinit_len = copy_text(b"/init", w.buf + w.used)
    w.rdinit_addr = w.take(w.rdinit_len)
    after_dashes = False
    i = skip_spaces(p, n, u64(0))
    while i < n:
        e = word_end(p, n, i)
        kind = KIND_ARG if after_dashes else word_kind(p, i, e)
        if kind == KIND_DASHES:
            after_dashes = True
        elif kind == KIND_ARG:
            ln = copy_unquoted(p, i, e, w.buf + w.used)
            w.add_arg(w.take(ln), ln)
        elif kind == KIND_ENV:
            ln = copy_unquoted(p, i, e, w.buf + w.used)
            w.add_env(w.take(ln), ln)
        elif kind == KIND_INIT or kind == KIND_RDINIT:
            # The value after `name=`, unquoted; the arguments before it are dropped (as Linux:
            # a boot loader's leading words must not reach init).
            ne = name_end(p, name_start(p, i, e), e)
            ln = copy_unquoted(p, ne + 1, e, w.buf + w.used)
            a = w.take(ln)
            if kind == KIND_INIT:
                w.init_addr = a
                w.init_len = ln
            else:
                w.rdinit_addr = a
                w.rdinit_len = ln
                w.rdinit_given = True
            w.arg_addrs.clear()
            w.arg_lens.clear()
        i = skip_spaces(p, n, e)
    return w


# The size of what unpack_initrd returns (a second result).
found_size: u64 = 0


def unpack_initrd(fa: FrameAllocator, base: u64, size: u64) -> u64:
    """The initrd as a cpio archive in kernel memory (size in found_size): itself, or gunzipped
    into fresh frames."""
    global found_size
    dm = boot_info.direct_map
    p = Ptr[u8](base)
    if size < 2 or p[0] != 0x1F or p[1] != 0x8B:
        found_size = size
        return base
    hint = gzip_size_hint(base, size)
    cap = (hint + PAGE_MASK) & ~PAGE_MASK
    if cap == 0:
        cap = u64(4096)
    dst = fa.alloc_contiguous(cap >> 12, u64(1))
    work = fa.alloc_contiguous((INFLATE_WORK_SIZE + PAGE_MASK) >> 12, u64(1))
    r = gunzip(base, size, dm + dst, cap, dm + work)
    fa.free_contiguous(work, (INFLATE_WORK_SIZE + PAGE_MASK) >> 12)
    kinfo(f"initrd: gunzip {size} -> {r.produced} bytes")
    found_size = r.produced
    return dm + dst


def kernel_panic(msg: str) -> None:
    """A panic with Linux's wording and no backtrace (a boot configuration error, not a kernel bug)."""
    kprint(f"Kernel panic - not syncing: {msg}")
    arch_panic_end()


def panic_line_begin(text: str) -> None:
    """Start a `Kernel panic - not syncing: ` line with text (the caller ends it with panic_line_end)."""
    kwrite("Kernel panic - not syncing: ")
    kwrite(text)


def panic_line_end(text: str) -> None:
    """End a panic line with text."""
    kwrite(text)
    log_newline()


def log_run(addr: u64, n: u64) -> None:
    """Linux's info line before it starts a candidate: `Run PATH as init process`."""
    if kpy_log_begin(LOG_INFO):
        kwrite("Run ")
        log_bytes(addr, n)
        kwrite(" as init process")
        log_newline()


def try_exec(t: Task, path: u64, path_len: u64, w: InitWords) -> u64:
    """Exec PATH with init's arguments and environment into t: 0, or the errno why it cannot run."""
    name = texec.ArgBuf(texec.PATH_MAX + 1)
    args = texec.ArgBuf(ARG_MAX)
    envs = texec.ArgBuf(ARG_MAX)
    err = u64(0)
    try:
        name.add_kernel(path, path_len)
        args.add_kernel(path, path_len)
        for k in range(u64(0), u64(len(w.arg_addrs))):
            args.add_kernel(w.arg_addrs[k], w.arg_lens[k])
        for k in range(u64(0), u64(len(w.env_addrs))):
            envs.add_kernel(w.env_addrs[k], w.env_lens[k])
        texec.exec_into(t, name, args, envs)
    except SysError as e:
        err = u64(e.errno)
    finally:
        name.free()
        args.free()
        envs.free()
    return err


def log_failure(before: str, addr: u64, n: u64, after: str, err: u64) -> None:
    """An error line `before PATH after (error -E)` in Linux's words."""
    if kpy_log_begin(LOG_ERROR):
        kwrite(before)
        log_bytes(addr, n)
        kwrite(after)
        kwrite(" (error -")
        kwrite_dec(err)
        kwrite(")")
        log_newline()


def run_first_of_defaults(t: Task, w: InitWords) -> bool:
    """Try /sbin/init, /etc/init, /bin/init and /bin/sh in turn (Linux's order); whether one started."""
    for k in range(u64(0), u64(4)):
        path = w.buf + w.used
        n = u64(0)
        if k == 0:
            n = copy_text(b"/sbin/init", path)
        elif k == 1:
            n = copy_text(b"/etc/init", path)
        elif k == 2:
            n = copy_text(b"/bin/init", path)
        else:
            n = copy_text(b"/bin/sh", path)
        Ptr[u8](path)[n] = u8(0)
        log_run(path, n)
        err = try_exec(t, path, n, w)
        if err == 0:
            return True
        if err != ENOENT:
            log_failure("Starting init: ", path, n, " exists but couldn't execute it", err)
    return False


def choose_and_exec(t: Task, w: InitWords) -> bool:
    """Exec the first init that starts, in Linux's order; False (after Linux's panic) when none does."""
    err = try_exec(t, w.rdinit_addr, w.rdinit_len, w)
    if err == 0:
        log_run(w.rdinit_addr, w.rdinit_len)
        return True
    if err != ENOENT:
        log_run(w.rdinit_addr, w.rdinit_len)
        log_failure("Failed to execute ", w.rdinit_addr, w.rdinit_len, "", err)
    elif w.rdinit_given:
        # Linux would mount root= here; the initramfs is the only root there is.
        if kpy_log_begin(LOG_WARN):
            kwrite("init: rdinit=")
            log_bytes(w.rdinit_addr, w.rdinit_len)
            kwrite(" is not in the initramfs (no block device support yet to mount a root)")
            log_newline()
    if w.init_len != 0:
        log_run(w.init_addr, w.init_len)
        err = try_exec(t, w.init_addr, w.init_len, w)
        if err == 0:
            return True
        panic_line_begin("Requested init ")
        log_bytes(w.init_addr, w.init_len)
        kwrite(" failed (error -")
        kwrite_dec(err)
        panic_line_end(").")
        arch_panic_end()
        return False
    if run_first_of_defaults(t, w):
        return True
    kernel_panic("No working init found.  Try passing init= option to kernel. "
                 "See Linux Documentation/admin-guide/init.rst for guidance.")
    return False


def kwrite_dec(v: u64) -> None:
    """Write v in decimal."""
    kwrite(f"{v}")


def start_init(fa: FrameAllocator, kspace: AddressSpace, w: InitWords) -> u64:
    """Unpack the initramfs into the root file system, start init as pid 1 and run the scheduler
    until init ends; its wait status (raises SysError(ENOENT) when no init starts)."""
    dm = boot_info.direct_map
    m_start = boot_info.modules[0].start
    m_end = boot_info.modules[0].end
    archive = unpack_initrd(fa, dm + m_start, m_end - m_start)
    # The wall clock first: the unpacked files and /dev get their times from it.
    set_realtime_base(u64(arch_rtc_seconds()))
    vfs.init_root_from_initramfs(archive, found_size)
    set_syscall_trace(cmdline_strace())
    sched.sched_init()
    arch_user_mode_init()
    p = Process(fa, dm, kspace.root)
    p.pid = u64(1)
    p.ppid = u64(0)
    p.pgid = u64(1)
    p.sid = u64(1)
    # Standard streams on /dev/console, as Linux opens them for init.
    vfs.open_console_fds(p.files)
    t = Task(u64(1), p)
    fork.alloc_kstack(t)
    prepare_user_context(t.ctx, t.kstack_top, u64(0))
    if not choose_and_exec(t, w):
        raise SysError(ENOENT)
    p.threads = u64(1)
    sched.add_process(p)
    sched.add_task(t)
    kinfo(f"init: entry {p.entry:#x}, stack {p.sp:#x}, brk {p.brk:#x}")
    # The boot context becomes the idle loop until init ends.
    while not texit.init_ended:
        sched.schedule()
        if texit.init_ended:
            break
        # Back from a task that exited (it leaves for this loop): run the next one at once.
        if not sched.any_runnable():
            idle_wait()
    arch_load_root(kspace.root)
    return texit.init_status


def run_init_if_requested(fa: FrameAllocator | None, kspace: AddressSpace | None) -> None:
    """Run init from the initramfs (Linux's search order), report how it ended, power off or panic."""
    cmdline_settings()
    named = cmdline.init_end > cmdline.init_start or cmdline.rdinit_end > cmdline.rdinit_start
    if boot_info.module_count == 0:
        if named:
            kwarn("init: no initramfs given, and no block device support yet: nothing to run init from")
            kernel_panic("No working init found.  Try passing init= option to kernel. "
                         "See Linux Documentation/admin-guide/init.rst for guidance.")
        else:
            kinfo("no initramfs, and no block device support yet: no init to run")
        return
    if fa is None or kspace is None:
        kwarn("init: no frame allocator or kernel page tables: cannot run init")
        return
    n = u64(0)
    if boot_info.cmdline != 0:
        n = boot_info.cmdline_len
    w = collect_init_words(Ptr[u8](boot_info.direct_map + boot_info.cmdline), n)
    if w.buf == 0:
        kwarn("init: no memory for the command line's words")
        return
    if w.too_many_addr != 0:
        panic_line_begin("Too many boot env vars at `" if w.too_many_env else "Too many boot init vars at `")
        log_bytes(w.too_many_addr, w.too_many_len)
        panic_line_end("'")
        arch_panic_end()
        return
    try:
        status = start_init(fa, kspace, w)
    except SysError:
        return
    code = u64(0)
    if (status & 0x7F) != 0:
        kinfo(f"init killed by signal {status & 0x7F}")
        # QEMU's exit status keeps 7 bits of the value (it exits with (v << 1) | 1): a shell's
        # 128 + S would wrap, so a signal death is reported as 64 + S.
        code = 64 + (status & 0x3F)
    else:
        code = (status >> 8) & 0xFF
        kinfo(f"init exited with status {code}")
    if cmdline_exit_requested():
        arch_exit(u8(code))
    # As Linux: pid 1 must not end.
    kprint(f"Kernel panic - not syncing: Attempted to kill init! exitcode={status:#010x}")
    arch_panic_end()


# Imports of higher layers come last: those modules import this one back (an import cycle), and
# under CPython the names above must exist by the time they do.
import asterpy.task.sched as sched  # noqa: E402
import asterpy.task.exit as texit  # noqa: E402
import asterpy.task.exec as texec  # noqa: E402
import asterpy.task.fork as fork  # noqa: E402
import asterpy.fs.initramfs as vfs  # noqa: E402
