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

from asterpy.lang import List, Ptr, SysError, kinfo, kwarn, memcpy, u64, u8
from asterpy.lang.errno import ENOENT
from asterpy.exec.elf import EM_X86_64
from asterpy.fs.cpio import CpioReader
from asterpy.fs.inflate import INFLATE_WORK_SIZE, gunzip, gzip_size_hint
from asterpy.kernel.bootinfo import boot_info
from asterpy.kernel.log import log_bytes, log_newline
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.paging import AddressSpace
from asterpy.syscall.dispatch import random_u64, set_realtime_base
from asterpy.task.process import Process, set_current

# The arch half: user mode, syscalls, the RTC and the exit device. Only x86_64 has user mode
# today; these move behind the arch interface with the rest of kernel_main's arch calls.
from arch.x86_64.console import qemu_exit
from arch.x86_64.rtc import rtc_read_unix
from arch.x86_64.syscall import syscall_init
from arch.x86_64.usermode import cpu_hwcap, user_mode_init, user_run

PAGE_MASK: Final = u64(4095)
SPACE: Final = u8(0x20)
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


def parse_cmdline(arg_addrs: List[u64], arg_lens: List[u64]) -> bool:
    """Find init=PATH (argv[0]) and the words after `--` (argv[1..]); True if init= is there."""
    if boot_info.cmdline == 0:
        return False
    base = boot_info.direct_map + boot_info.cmdline
    p = Ptr[u8](base)
    n = boot_info.cmdline_len
    found = False
    after_dashes = False
    i = u64(0)
    while i < n:
        while i < n and p[i] == SPACE:
            i += 1
        start = i
        while i < n and p[i] != SPACE and p[i] != 0:
            i += 1
        ln = i - start
        if ln == 0:
            if i < n:
                i += 1
            continue
        if after_dashes:
            if u64(len(arg_addrs)) < MAX_INIT_ARGS:
                arg_addrs.append(base + start)
                arg_lens.append(ln)
        elif word_is(p + start, ln, b"--"):
            after_dashes = True
        elif word_starts(p + start, ln, b"init=") and ln > 5:
            found = True
            if len(arg_addrs) == 0:
                arg_addrs.append(base + start + 5)
                arg_lens.append(ln - 5)
            else:
                arg_addrs[0] = base + start + 5
                arg_lens[0] = ln - 5
    return found


def name_matches(name: u64, name_len: u64, path: u64, path_len: u64) -> bool:
    """Whether a cpio member name ("init", "./init", "/init") names the absolute path."""
    n = Ptr[u8](name)
    p = Ptr[u8](path)
    i = u64(0)
    while name_len - i >= 2 and n[i] == 0x2E and n[i + 1] == 0x2F:
        i += 2
    while name_len - i >= 1 and n[i] == 0x2F:
        i += 1
    j = u64(0)
    while path_len - j >= 1 and p[j] == 0x2F:
        j += 1
    if name_len - i != path_len - j:
        return False
    for k in range(u64(0), name_len - i):
        if n[i + k] != p[j + k]:
            return False
    return True


# The size of what find_in_cpio and unpack_initrd return (a second result).
found_size: u64 = 0


def find_in_cpio(base: u64, size: u64, path: u64, path_len: u64) -> u64:
    """Address of the data of regular file `path` in the archive (size in found_size), 0 if absent."""
    global found_size
    r = CpioReader(base, size)
    while True:
        e = r.next_entry()
        if e.trailer:
            if not r.next_archive():
                return u64(0)
            continue
        if (e.mode & 0o170000) == 0o100000 and name_matches(e.name, e.name_len, path, path_len):
            found_size = e.size
            return e.data
    return u64(0)


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
    """Load and run init; the wait-style status it ended with (raises SysError if it cannot start)."""
    if boot_info.module_count == 0:
        kwarn("init: no initramfs (boot module) given")
        raise SysError(ENOENT)
    dm = boot_info.direct_map
    m_start = boot_info.modules[0].start
    m_end = boot_info.modules[0].end
    archive = unpack_initrd(fa, dm + m_start, m_end - m_start)
    file = find_in_cpio(archive, found_size, arg_addrs[0], arg_lens[0])
    if file == 0:
        kwarn("init: not found in the initramfs:")
        log_path(arg_addrs[0], arg_lens[0])
        raise SysError(ENOENT)
    file_size = found_size
    # cpio aligns file data to 4 bytes only; the ELF reader wants 8 (it reads headers in place).
    copy_pages = (file_size + PAGE_MASK) >> 12
    if copy_pages == 0:
        copy_pages = u64(1)
    copy = fa.alloc_contiguous(copy_pages, u64(1))
    memcpy(dm + copy, file, file_size)
    p = Process(fa, dm, kspace.root)
    try:
        img = p.load_elf(dm + copy, file_size, EM_X86_64)
    finally:
        fa.free_contiguous(copy, copy_pages)
    p.setup_stack(img, arg_addrs, arg_lens, random_u64(), random_u64(), cpu_hwcap())
    syscall_init()
    user_mode_init()
    set_realtime_base(u64(rtc_read_unix()))
    set_current(p)
    kinfo(f"init: entry {p.entry:#x}, stack {p.sp:#x}, brk {p.brk:#x}")
    status = user_run(p.entry, p.sp, p.space.root, kspace.root)
    set_current(None)
    p.free_user_memory()
    return status


def cmdline_has_exit() -> bool:
    """Whether the command line has the word exit=1."""
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
        if word_is(p + start, i - start, b"exit=1"):
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
            qemu_exit(u8(127))
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
        qemu_exit(u8(code))

