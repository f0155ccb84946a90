"""Start the first user program when the command line asks for one (`init=PATH`).

`init=/init` (or any path) on the kernel command line loads that file from the initramfs (the
first boot module: a newc cpio archive, gzip-compressed or not), runs it as pid 1 in user mode
and reports how it ended: `init exited with status N` or `init killed by signal S`. Words
after `--` become its arguments (argv[0] is the path). With `exit=1` on the command line the
kernel then powers QEMU off with the exit status as its status (64 + S for a signal: QEMU
passes on only 7 bits, so codes above 127 wrap). Without
`init=`, nothing here runs: the boot is unchanged.
"""

from typing import Final

from asterpy.lang import List, Ptr, SysError, kinfo, kwarn, u64, u8
from asterpy.mm.heap import kmalloc
from asterpy.lang.errno import ENOENT
from asterpy.fs.inflate import INFLATE_WORK_SIZE, gunzip, gzip_size_hint
from asterpy.kernel.bootinfo import boot_info
from asterpy.kernel.log import log_bytes, log_newline
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.paging import AddressSpace
from asterpy.kernel.time import set_realtime_base
from asterpy.kernel.log import set_syscall_trace
from asterpy.task.process import ARG_MAX, Process
from asterpy.task.task import Task

from kernel_arch import (
    arch_exit, arch_load_root, arch_rtc_seconds, arch_user_mode_init, idle_wait, prepare_user_context,
)


# The task and file-system modules import the arch interface, which imports this module:

PAGE_MASK: Final = u64(4095)
SPACE: Final = u8(0x20)
QUOTE: Final = u8(0x22)
BACKSLASH: Final = u8(0x5C)
MAX_INIT_ARGS: Final = u64(16)

def word_is(p: Ptr[u8], n: u64, text: bytes) -> bool:
    """Whether the n bytes at p equal text."""
    if n != u64(len(text)):
        return False
    for i in range(u64(0), n):
        if p[i] != text[i]:
            return False
    return True


def word_starts(p: Ptr[u8], n: u64, text: bytes) -> bool:
    """Whether the n bytes at p start with text."""
    if n < u64(len(text)):
        return False
    return word_is(p, u64(len(text)), text)


def next_word(p: Ptr[u8], n: u64, i: u64, out: u64) -> u64:
    """Copy the command-line word starting at or after index i to out, unquoted; the index after it.

    A word ends at a space outside double quotes; inside quotes `\\"` is a quote and `\\\\` a
    backslash (how `asterpy run -c` passes a shell command). The word's length goes to
    word_len, and -1 (all ones) to it when no word is left.
    """
    global word_len
    while i < n and p[i] == SPACE:
        i += 1
    if i >= n or p[i] == 0:
        word_len = ~u64(0)
        return i
    o = Ptr[u8](out)
    k = u64(0)
    quoted = False
    while i < n and p[i] != 0 and (quoted or p[i] != SPACE):
        c = p[i]
        if c == QUOTE:
            quoted = not quoted
            i += 1
            continue
        if quoted and c == BACKSLASH and i + 1 < n and (p[i + 1] == QUOTE or p[i + 1] == BACKSLASH):
            i += 1
            c = p[i]
        o[k] = c
        k += 1
        i += 1
    word_len = k
    return i


# The length of the word next_word copied (a second result).
word_len: u64 = 0


def parse_cmdline(arg_addrs: List[u64], arg_lens: List[u64]) -> bool:
    """Find init=PATH (argv[0]) and the words after `--` (argv[1..]); True if init= is there.

    The words are copied, unquoted, into a heap buffer that stays allocated (init's arguments
    are copied again by exec; the buffer is as small as the command line).
    """
    if boot_info.cmdline == 0:
        return False
    p = Ptr[u8](boot_info.direct_map + boot_info.cmdline)
    n = boot_info.cmdline_len
    buf = kmalloc(n + 1)
    if buf == 0:
        return False
    found = False
    after_dashes = False
    used = u64(0)
    i = u64(0)
    while True:
        i = next_word(p, n, i, buf + used)
        ln = word_len
        if ln == ~u64(0):
            break
        w = Ptr[u8](buf + used)
        if after_dashes:
            if u64(len(arg_addrs)) < MAX_INIT_ARGS:
                if len(arg_addrs) == 0:
                    # Arguments before init=: keep argv[0]'s slot free.
                    arg_addrs.append(u64(0))
                    arg_lens.append(u64(0))
                arg_addrs.append(buf + used)
                arg_lens.append(ln)
        elif word_is(w, ln, b"--"):
            after_dashes = True
        elif word_starts(w, ln, b"init=") and ln > 5:
            found = True
            if len(arg_addrs) == 0:
                arg_addrs.append(buf + used + 5)
                arg_lens.append(ln - 5)
            else:
                arg_addrs[0] = buf + used + 5
                arg_lens[0] = ln - 5
        used += ln
    return found


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


def log_path(addr: u64, n: u64) -> None:
    """Print the init path and end the line."""
    log_bytes(addr, n)
    log_newline()


def start_init(fa: FrameAllocator, kspace: AddressSpace, arg_addrs: List[u64], arg_lens: List[u64]) -> u64:
    """Unpack the initramfs into the root file system, start init as pid 1 and run the
    scheduler until init ends; its wait status (raises SysError if it cannot start)."""
    if boot_info.module_count == 0:
        kwarn("init: no initramfs (boot module) given")
        raise SysError(ENOENT)
    dm = boot_info.direct_map
    m_start = boot_info.modules[0].start
    m_end = boot_info.modules[0].end
    archive = unpack_initrd(fa, dm + m_start, m_end - m_start)
    # The wall clock first: the unpacked files and /dev get their times from it.
    set_realtime_base(u64(arch_rtc_seconds()))
    vfs.init_root_from_initramfs(archive, found_size)
    set_syscall_trace(cmdline_has_word(b"strace=1"))
    sched.sched_init()
    arch_user_mode_init()
    p = Process(fa, dm, kspace.root)
    p.pid = u64(1)
    p.ppid = u64(0)
    p.pgid = u64(1)
    p.sid = u64(1)
    vfs.open_console_fds(p.files)
    t = Task(u64(1), p)
    fork.alloc_kstack(t)
    prepare_user_context(t.ctx, t.kstack_top, u64(0))
    name = texec.ArgBuf(texec.PATH_MAX + 1)
    args = texec.ArgBuf(ARG_MAX)
    envs = texec.ArgBuf(ARG_MAX)
    try:
        name.add_kernel(arg_addrs[0], arg_lens[0])
        for k in range(u64(0), u64(len(arg_addrs))):
            args.add_kernel(arg_addrs[k], arg_lens[k])
        add_env(envs, b"HOME=/")
        add_env(envs, b"TERM=linux")
        add_env(envs, b"PATH=/sbin:/usr/sbin:/bin:/usr/bin")
        texec.exec_into(t, name, args, envs)
    except SysError as e:
        kwarn("init: cannot run")
        log_path(arg_addrs[0], arg_lens[0])
        raise SysError(e.errno)
    finally:
        name.free()
        args.free()
        envs.free()
    p.threads = u64(1)
    sched.add_process(p)
    sched.add_task(t)
    kinfo(f"init: entry {p.entry:#x}, stack {p.sp:#x}, brk {p.brk:#x}")
    # The boot context becomes the idle loop until init ends.
    while not texit.init_ended:
        sched.schedule()
        if texit.init_ended:
            break
        idle_wait()
    arch_load_root(kspace.root)
    return texit.init_status


def add_env(envs: "texec.ArgBuf", text: bytes) -> None:
    """Append one environment string given as a literal."""
    buf = Ptr[u8](envs.base + envs.used)
    for i in range(u64(0), u64(len(text))):
        buf[i] = text[i]
    buf[u64(len(text))] = u8(0)
    envs.addrs.append(envs.base + envs.used)
    envs.lens.append(u64(len(text)))
    envs.used += u64(len(text)) + 1


def cmdline_has_exit() -> bool:
    """Whether the command line has the word exit=1."""
    return cmdline_has_word(b"exit=1")


def cmdline_has_word(word: bytes) -> bool:
    """Whether the command line has this word (before any `--`)."""
    if boot_info.cmdline == 0:
        return False
    p = Ptr[u8](boot_info.direct_map + boot_info.cmdline)
    n = boot_info.cmdline_len
    i = u64(0)
    while i < n:
        while i < n and p[i] == SPACE:
            i += 1
        start = i
        while i < n and p[i] != SPACE:
            i += 1
        if word_is(p + start, i - start, b"--"):
            return False
        if word_is(p + start, i - start, word):
            return True
    return False


def run_init_if_requested(fa: FrameAllocator | None, kspace: AddressSpace | None) -> None:
    """Run init= from the initramfs when the command line names one; report how it ended."""
    arg_addrs: List[u64] = []
    arg_lens: List[u64] = []
    if not parse_cmdline(arg_addrs, arg_lens):
        return
    if fa is None or kspace is None:
        kwarn("init: no frame allocator or kernel page tables: cannot run init")
        return
    kinfo("init: starting")
    try:
        status = start_init(fa, kspace, arg_addrs, arg_lens)
    except SysError as e:
        kwarn(f"init: cannot start (errno {e.errno})")
        if cmdline_has_exit():
            arch_exit(u8(127))
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
    if cmdline_has_exit():
        arch_exit(u8(code))


# Imports of higher layers come last: those modules import this one back (an import cycle), and
# under CPython the names above must exist by the time they do.
import asterpy.task.sched as sched  # noqa: E402
import asterpy.task.exit as texit  # noqa: E402
import asterpy.task.exec as texec  # noqa: E402
import asterpy.task.fork as fork  # noqa: E402
import asterpy.fs.initramfs as vfs  # noqa: E402
