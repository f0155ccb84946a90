"""execve: replace the running process's program with an ELF file or a `#!` script.

The arguments and environment are copied into the kernel first (the old memory goes away), the
file's headers are read into kernel memory and its segments mapped from its cached pages (private
file mappings, as mmap makes them) into a fresh address space; only when
all of that worked is the old address space freed, so a failing execve returns its errno to
the unchanged program. Then signal handlers go back to their defaults (ignored stays ignored),
close-on-exec files are closed, and the task's user frame is reset to the new entry point.
"""

from typing import Final

from asterpy.lang import List, Ptr, SysError, memcpy, u8, u64
from asterpy.kernel.entropy import random_u64
from asterpy.lang.errno import E2BIG, EIO, ELIBBAD, ELOOP, ENAMETOOLONG, ENOEXEC, ENOMEM
from asterpy.exec.elf import EHDR_SIZE, elf_head_need, elf_interp_addr
from asterpy.mm.heap import kfree, kmalloc
from asterpy.mm.vdso import map_vdso
from asterpy.task.creds import CAP_FULL
from asterpy.task.process import ARG_MAX, MAX_ARGS, PAGE_MASK, Process
from asterpy.task.sched import current_task, the_tables
from asterpy.task.posix_timer import posix_timers_release
from asterpy.kernel.siginfo import SIGKILL, sig_bit
from asterpy.task.task import Task
from asterpy.kernel.wait import wake_up
from asterpy.fs.exec_file import exec_open, read_inode_at

from kernel_arch import (
    ARCH_ELF_MACHINE, arch_load_root, cpu_hwcap, frame_reset_user, set_fs_base, set_user_gs_base, user_frame_of,
)


PATH_MAX: Final = u64(4096)
# How many `#!` interpreters may be chained (Linux allows 4 levels too).
MAX_INTERP_DEPTH: Final = u64(4)
SHEBANG_MAX: Final = u64(256)
SIG_IGN: Final = u64(1)
# personality(2)'s flag that keeps exec from randomising the address space.
ADDR_NO_RANDOMIZE: Final = u64(0x0040000)


class ArgBuf:
    """Strings copied from user space into one kernel buffer: argv or envp for exec."""

    base: u64
    used: u64
    cap: u64
    addrs: List[u64]
    lens: List[u64]

    def __init__(self, cap: u64) -> None:
        self.base = kmalloc(cap)
        if self.base == 0:
            raise SysError(ENOMEM)
        self.used = u64(0)
        self.cap = cap
        self.addrs = []
        self.lens = []

    def reset(self) -> None:
        """Forget the strings (the buffer is kept)."""
        self.used = u64(0)
        self.addrs.clear()
        self.lens.clear()

    def free(self) -> None:
        """Give the buffer back."""
        if self.base != 0:
            kfree(self.base)
            self.base = u64(0)

    def add_kernel(self, src: u64, n: u64) -> None:
        """Append a string from kernel memory (E2BIG when full)."""
        if n + 1 > self.cap - self.used or u64(len(self.addrs)) >= MAX_ARGS:
            raise SysError(E2BIG)
        dst = self.base + self.used
        memcpy(dst, src, n)
        Ptr[u8](dst + n).store(u8(0))
        self.addrs.append(dst)
        self.lens.append(n)
        self.used += n + 1

    def add_user(self, p: Process, va: u64) -> None:
        """Append the NUL-terminated user string at va (EFAULT, E2BIG)."""
        dst = self.base + self.used
        n = copy_user_string(p, va, dst, self.cap - self.used)
        self.addrs.append(dst)
        self.lens.append(n)
        self.used += n + 1
        if u64(len(self.addrs)) > MAX_ARGS:
            raise SysError(E2BIG)


def copy_user_string(p: Process, va: u64, dst: u64, cap: u64) -> u64:
    """Copy the NUL-terminated string at user va (NUL included) to dst; its length. E2BIG if it
    does not fit in cap bytes, EFAULT if it runs into unmapped memory."""
    n = p.strncpy_from_user(dst, va, cap)
    if n >= cap:
        raise SysError(E2BIG)
    return n


def copy_string_vector(p: Process, vec: u64, out: ArgBuf) -> None:
    """Copy argv or envp (a NULL-terminated pointer array at user vec; 0 means empty)."""
    if vec == 0:
        return
    i = u64(0)
    while True:
        s = p.get_u64(vec + 8 * i)
        if s == 0:
            return
        out.add_user(p, s)
        i += 1
        if i > MAX_ARGS:
            raise SysError(E2BIG)


def is_space(b: u8) -> bool:
    """Space or tab (what separates a #! line's words)."""
    return b == 0x20 or b == 0x09


def parse_shebang(head: u64, n: u64, interp: ArgBuf) -> bool:
    """If the n bytes at head start with `#!`, add the interpreter and its optional argument to
    interp; False if it is not a script. ENOEXEC for an empty interpreter."""
    h = Ptr[u8](head)
    if n < 2 or h[0] != 0x23 or h[1] != 0x21:
        return False
    end = u64(2)
    while end < n and h[end] != 0x0A:
        end += 1
    i = u64(2)
    while i < end and is_space(h[i]):
        i += 1
    start = i
    while i < end and not is_space(h[i]):
        i += 1
    if i == start:
        raise SysError(ENOEXEC)
    interp.add_kernel(head + start, i - start)
    while i < end and is_space(h[i]):
        i += 1
    # The rest of the line (trailing blanks dropped) is one argument, as on Linux.
    stop = end
    while stop > i and (is_space(h[stop - 1]) or h[stop - 1] == 0x0D):
        stop -= 1
    if stop > i:
        interp.add_kernel(head + i, stop - i)
    return True


def do_execve(path: u64, argv: u64, envp: u64) -> u64:
    """execve(2) for the running task: 0 (the frame now enters the new program) or an errno."""
    t = current_task()
    p = t.proc
    args = ArgBuf(ARG_MAX)
    envs = ArgBuf(ARG_MAX)
    name = ArgBuf(PATH_MAX + 1)
    try:
        try:
            name.add_user(p, path)
        except SysError as e:
            if e.errno == E2BIG:
                raise SysError(ENAMETOOLONG)
            raise SysError(e.errno)
        copy_string_vector(p, argv, args)
        copy_string_vector(p, envp, envs)
        exec_into(t, name, args, envs)
    finally:
        args.free()
        envs.free()
        name.free()
    return u64(0)


def set_comm(t: Task, path: u64, n: u64) -> None:
    """Name t after the last component of the path it execs (Linux's comm, 15 bytes at most)."""
    start = u64(0)
    for i in range(u64(0), n):
        if Ptr[u8](path)[i] == 0x2F:
            start = i + 1
    for i in range(u64(0), u64(16)):
        t.comm[i] = u8(0)
    k = u64(0)
    while start + k < n and k < 15:
        t.comm[k] = Ptr[u8](path)[start + k]
        k += 1


def exec_capabilities(p: Process) -> None:
    """The capability sets a new program starts with (no file capabilities, no ambient set): a real
    or effective uid 0 gets every capability permitted, effective when the effective uid is 0;
    anyone else none. The inheritable set is kept."""
    if p.uid == 0 or p.ruid == 0:
        p.cap_prm = CAP_FULL
    else:
        p.cap_prm = u64(0)
    p.cap_eff = p.cap_prm if p.uid == 0 else u64(0)


def exec_into(t: Task, name: ArgBuf, args: ArgBuf, envs: ArgBuf) -> None:
    """Load the program `name` (following #! scripts) and switch t's process over to it."""
    p = t.proc
    if len(args.addrs) == 0:
        # Linux gives such a program argc 1 with an empty argv[0].
        args.add_kernel(name.base, u64(0))
    path_addr = name.addrs[0]
    path_len = name.lens[0]
    depth = u64(0)
    head = kmalloc(SHEBANG_MAX)
    if head == 0:
        raise SysError(ENOMEM)
    chain = ArgBuf(ARG_MAX)
    interp = ArgBuf(SHEBANG_MAX + 2)
    rebuilt = ArgBuf(ARG_MAX)
    try:
        while True:
            ino = exec_open(p, path_addr, path_len)
            got = read_inode_at(ino, head, u64(0), SHEBANG_MAX)
            interp.reset()
            if not parse_shebang(head, got, interp):
                load_program(t, ino, args, envs, path_addr, path_len)
                p.set_exe(ino)
                set_comm(t, name.addrs[0], name.lens[0])
                return
            depth += 1
            if depth > MAX_INTERP_DEPTH:
                raise SysError(ELOOP)
            # New argv: interpreter [arg] script-path argv[1:].
            rebuilt.reset()
            for k in range(u64(0), u64(len(interp.addrs))):
                rebuilt.add_kernel(interp.addrs[k], interp.lens[k])
            rebuilt.add_kernel(path_addr, path_len)
            for k in range(u64(1), u64(len(args.addrs))):
                rebuilt.add_kernel(args.addrs[k], args.lens[k])
            args.reset()
            for k in range(u64(0), u64(len(rebuilt.addrs))):
                args.add_kernel(rebuilt.addrs[k], rebuilt.lens[k])
            chain.add_kernel(interp.addrs[0], interp.lens[0])
            path_addr = chain.addrs[len(chain.addrs) - 1]
            path_len = chain.lens[len(chain.lens) - 1]
    finally:
        kfree(head)
        chain.free()
        interp.free()
        rebuilt.free()


class FileBuf:
    """The start of a program file (its ELF headers and PT_INTERP path) read into contiguous
    kernel memory (frames), for the ELF loader; the segments are mapped from the page cache."""

    pa: u64
    pages: u64
    base: u64
    size: u64       # the file's size
    avail: u64      # the bytes read, at base

    def __init__(self) -> None:
        """Nothing read yet."""
        self.pa = u64(0)
        self.pages = u64(0)
        self.base = u64(0)
        self.size = u64(0)
        self.avail = u64(0)

    def read_prefix(self, p: Process, ino: "Inode", n: u64) -> None:
        """Read the first n bytes of ino (at most its size) into fresh frames (ENOMEM)."""
        self.free(p)
        if n > self.size:
            n = self.size
        self.pages = (n + PAGE_MASK) >> 12
        self.pa = p.frames.alloc_contiguous(self.pages, u64(1))
        self.base = p.dm + self.pa
        self.avail = read_inode_at(ino, self.base, u64(0), n)

    def read(self, p: Process, ino: "Inode") -> None:
        """Read what elf_parse_head needs of ino: its first page, more if its program headers or
        interpreter path lie further (ENOEXEC if it is empty, ENOMEM)."""
        self.size = ino.size
        if self.size == 0:
            raise SysError(ENOEXEC)
        self.read_prefix(p, ino, PAGE_MASK + 1)
        # Each round reads at least the program header table or the paths it names: two at most.
        # Headers said to lie past the end are not read: elf_parse_head refuses them (ENOEXEC).
        need = elf_head_need(self.base, self.avail)
        while need > self.avail and need <= self.size:
            self.read_prefix(p, ino, need)
            need = elf_head_need(self.base, self.avail)

    def free(self, p: Process) -> None:
        """Give the frames back (once)."""
        if self.pages != 0:
            p.frames.free_contiguous(self.pa, self.pages)
            self.pages = u64(0)


def exec_random(p: Process) -> u64:
    """The random bits that move a PIE program's load address (0 under ADDR_NO_RANDOMIZE)."""
    if (p.persona & ADDR_NO_RANDOMIZE) != 0:
        return u64(0)
    return random_u64()


def load_interp_file(p: Process, image: Process, path: u64, n: u64) -> u64:
    """Open the program interpreter named by the n-byte kernel string path and map it into image;
    its entry point. ENOENT (and the other lookup errors) as for the program itself; as on
    Linux, EIO when it is shorter than an ELF header, ELIBBAD when it is not an ELF interpreter
    for this machine."""
    ino = exec_open(p, path, n)
    # Linux reads the interpreter's ELF header first: a shorter file is an I/O error.
    if ino.size < EHDR_SIZE:
        raise SysError(EIO)
    buf = FileBuf()
    try:
        buf.read(p, ino)
        return image.load_interp_file(buf.base, buf.avail, buf.size, ino, ARCH_ELF_MACHINE)
    except SysError as e:
        if e.errno == ENOEXEC:
            raise SysError(ELIBBAD)
        raise SysError(e.errno)
    finally:
        buf.free(p)


def load_program(t: Task, ino: "Inode", args: ArgBuf, envs: ArgBuf, fn_addr: u64, fn_len: u64) -> None:
    """Read the ELF file ino (and its PT_INTERP), build the new address space, and commit to it.
    (fn_addr, fn_len) is the file name execve was given (AT_EXECFN)."""
    p = t.proc
    buf = FileBuf()
    image = Process(p.frames, p.dm, p.kroot)
    # The auxiliary vector reports the ids (AT_UID..., AT_SECURE).
    image.uid = p.uid
    image.ruid = p.ruid
    image.gid = p.gid
    image.rgid = p.rgid
    try:
        buf.read(p, ino)
        img = image.load_elf_file(buf.base, buf.avail, buf.size, ino, ARCH_ELF_MACHINE, exec_random(p))
        if img.has_interp:
            image.entry = load_interp_file(p, image, elf_interp_addr(img), img.interp_len)
        image.vdso_base = map_vdso(image)
        image.setup_stack_env(img, args.addrs, args.lens, envs.addrs, envs.lens, False, fn_addr, fn_len,
                              random_u64(), random_u64(), cpu_hwcap())
    except SysError as e:
        image.free_user_memory()
        buf.free(p)
        raise SysError(e.errno)
    buf.free(p)
    # The point of no return: the old program is gone from here on.
    for other in the_tables().tasks:
        if other.proc is p and other is not t:
            other.pending |= sig_bit(SIGKILL)
    arch_load_root(image.space.root)
    p.free_user_memory()
    p.take_memory_of(image)
    for sig in range(u64(1), u64(65)):
        if p.sigactions[sig * 4] != SIG_IGN:
            p.sigactions[sig * 4] = u64(0)
        p.sigactions[sig * 4 + 1] = u64(0)
        p.sigactions[sig * 4 + 2] = u64(0)
        p.sigactions[sig * 4 + 3] = u64(0)
    t.altstack_sp = u64(0)
    t.altstack_size = u64(0)
    t.altstack_flags = u64(2)
    t.fs_base = u64(0)
    t.gs_base = u64(0)
    set_fs_base(u64(0))
    set_user_gs_base(u64(0))
    t.clear_child_tid = u64(0)
    p.files.close_on_exec()
    posix_timers_release(p)
    exec_capabilities(p)
    if not p.vfork_done:
        p.vfork_done = True
        wake_up(p.vfork_chan)
    frame_reset_user(user_frame_of(t.kstack_top), p.entry, p.sp)


from asterpy.fs.inode import Inode  # noqa: E402  (for the annotation above)

