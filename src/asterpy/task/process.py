"""A user process: its address space, ELF loading, the initial stack, brk and mmap areas.

Threads of a process share this object (asterpy.task.task.Task is the thread). User memory is
reached only through the user-memory API it inherits (asterpy.kernel.caller.Caller, implemented by
asterpy.mm.usermem.UserMemory): a bad pointer is EFAULT, not a kernel page fault, and the copies
work whether or not the tables are loaded. What the addresses mean is the list of VM areas
(`vmas`, asterpy.mm.vma); pages are made on first touch by asterpy.mm.fault, for the program's
faults and the kernel's copies alike. ELF segments and the top of the stack are still backed when
exec builds them; fork shares frames copy-on-write, walking the page tables with the arch's
geometry (asterpy.mm.paging: TOP_LEVEL, USER_ROOT_ENTRIES, pte_is_table).
"""

from typing import Final

from asterpy.lang import List, Ptr, SysError, i64, memset, u8, u16, u32, u64
from asterpy.lang.errno import E2BIG, EINVAL, ENOMEM, ENOEXEC
from asterpy.kernel.time import monotonic_ns
from asterpy.mm.frames import FrameAllocator
# The page-table geometry (levels, root entries of the user half, what a leaf is) comes from the
# arch through asterpy.mm.paging; the walks below are arch-neutral.
from asterpy.mm.paging import (
    ENTRIES, EXEC, READ, TOP_LEVEL, USER, USER_ROOT_ENTRIES, WRITE, entry_flags, level_shift, new_address_space,
    pte_is_table,
)

# The page-table entry format (arch/<arch>/kernel_pte.py, resolved by the build like kernel_arch).
from kernel_pte import pte_phys, pte_present
from asterpy.exec.elf import (
    ET_DYN, PF_W, PF_X, ElfImage, ElfMapPlan, elf_load_bias, elf_load_segment, elf_load_span, elf_map_plan,
    elf_parse_head,
)
from asterpy.mm.filepages import FilePages

# The user address-space layout (PAGE, USER_TOP, the stack and mmap ranges) is asterpy.mm.uspace's.
from asterpy.mm.uspace import (  # noqa: F401 - re-exported
    MMAP_BASE, MMAP_END, MMAP_LOW, PAGE, PAGE_MASK, STACK_LIMIT, STACK_TOP, USER_TOP,
)
from asterpy.task.sigstate import SignalState

# How much of the stack's RLIMIT_STACK reservation is backed at exec.
STACK_EAGER: Final = u64(256 << 10)
# Where an ET_DYN executable (PIE, static-pie) is loaded: Linux's ELF_ET_DYN_BASE for x86_64,
# 2/3 of the 47-bit user range rounded to a page, moved up by a random number of pages below
# 2**ET_DYN_RND_BITS (Linux's default mmap_rnd_bits on x86_64: 28 bits, up to 1 TiB).
ET_DYN_BASE: Final = u64(0x0000555555554000)
ET_DYN_RND_BITS: Final = u64(28)
# The smallest signal stack a program needs (AT_MINSIGSTKSZ): our x86_64 signal frame (siginfo,
# ucontext, the 512-byte FXSAVE area, the red zone) fits in the classic MINSIGSTKSZ of 2048.
SIGFRAME_MIN: Final = u64(2048)
# brk may grow this far past its start.
BRK_MAX: Final = u64(1) << 30

# Auxiliary vector types (the ELF ABI's AT_*).
AT_NULL: Final = u64(0)
AT_PHDR: Final = u64(3)
AT_PHENT: Final = u64(4)
AT_PHNUM: Final = u64(5)
AT_PAGESZ: Final = u64(6)
AT_BASE: Final = u64(7)
AT_FLAGS: Final = u64(8)
AT_ENTRY: Final = u64(9)
AT_UID: Final = u64(11)
AT_EUID: Final = u64(12)
AT_GID: Final = u64(13)
AT_EGID: Final = u64(14)
AT_PLATFORM: Final = u64(15)
AT_HWCAP: Final = u64(16)
AT_CLKTCK: Final = u64(17)
AT_SECURE: Final = u64(23)
AT_RANDOM: Final = u64(25)
AT_HWCAP2: Final = u64(26)
AT_EXECFN: Final = u64(31)
AT_SYSINFO_EHDR: Final = u64(33)
AT_MINSIGSTKSZ: Final = u64(51)
AUXV_PAIRS: Final = u64(21)      # including AT_NULL (AT_SYSINFO_EHDR only with a vDSO)

CLK_TCK: Final = u64(100)
# Most argument (and environment) strings exec takes; their total size is limited by ARG_MAX.
MAX_ARGS: Final = u64(8192)
ARG_MAX: Final = u64(128 << 10)


RLIM_INFINITY: Final = u64(0xFFFFFFFFFFFFFFFF)
RLIMIT_COUNT: Final = u64(16)


def default_rlimits(cur: List[u64], mx: List[u64]) -> None:
    """Linux's limits for init: unlimited except the stack (8 MiB soft), core files (0 soft),
    open files (1024 / 4096), locked memory (8 MiB), pending signals and message queues."""
    for r in range(u64(0), RLIMIT_COUNT):
        soft = RLIM_INFINITY
        hard = RLIM_INFINITY
        if r == 3:             # RLIMIT_STACK
            soft = STACK_LIMIT
        elif r == 4:           # RLIMIT_CORE
            soft = u64(0)
        elif r == 7:           # RLIMIT_NOFILE
            soft = u64(1024)
            hard = u64(4096)
        elif r == 8:           # RLIMIT_MEMLOCK
            soft = u64(8) << 20
            hard = u64(8) << 20
        elif r == 11 or r == 6:    # RLIMIT_SIGPENDING, RLIMIT_NPROC
            soft = u64(3824)
            hard = u64(3824)
        elif r == 12:          # RLIMIT_MSGQUEUE
            soft = u64(819200)
            hard = u64(819200)
        elif r == 13 or r == 14:   # RLIMIT_NICE, RLIMIT_RTPRIO
            soft = u64(0)
            hard = u64(0)
        cur.append(soft)
        mx.append(hard)


def page_down(x: u64) -> u64:
    """x rounded down to a page."""
    return x & ~PAGE_MASK


def page_up(x: u64) -> u64:
    """x rounded up to a page."""
    return (x + PAGE_MASK) & ~PAGE_MASK


class Process(SignalState):
    """A user process, composed along its base classes: pid, pgid, sid, uid, ruid and gid are declared
    in asterpy.kernel.caller.Caller; frames, space, dm, vmas and rlim_cur in asterpy.mm.uspace.UserSpace;
    the user-memory methods in asterpy.mm.usermem.UserMemory; fs in asterpy.fs.context.FsCaller; the
    other ids and groups in asterpy.task.creds.Credentials; pending signals, stop state and signal
    actions in asterpy.task.sigstate.SignalState. Here: the address-space layout, exec's image and
    stack, brk, fork's copy, wait and timer state, the fd table."""

    ppid: u64            # the parent's pid (1 after the parent died: init adopts orphans)
    nice: i64            # setpriority's nice value (stored, not acted on)
    leader_policy: u64       # the main thread's scheduling policy and priority once it ended
    leader_rt_priority: u64  # (sched_getscheduler/sched_getparam of a zombie)
    ioprio: u64          # ioprio_set's class and level (stored: no block I/O scheduler uses it)
    persona: u64         # personality(2)'s value (ADDR_NO_RANDOMIZE is acted on by exec)
    rlim_max: List[u64]  # resource limits (hard; rlim_cur the soft ones) by RLIMIT_* number; see default_rlimits
    threads: u64         # live tasks (threads) of the process
    zombie: bool         # exited, not yet reaped by its parent
    exit_status: u64     # the wait status once exited: code << 8, or the signal (| 0x80: core)
    child_chan: u64      # wait channel: a child changed state (wait4 sleeps here)
    vfork_chan: u64      # wait channel: this vfork child exec'd or exited
    vfork_done: bool
    last_child_code: u64     # SIGCHLD siginfo: what happened to which child
    last_child_pid: u64
    last_child_status: u64
    kroot: u64           # the kernel's page-table root (loaded while this process's tables die)
    itimer_deadline: List[u64]   # ITIMER_REAL/VIRTUAL/PROF: monotonic expiry (0: disarmed)
    itimer_interval: List[u64]   # and reload period in ns
    entry: u64
    sp: u64              # initial stack pointer
    brk_start: u64
    brk: u64             # current break (page-backed up to page_up(brk))
    arg_start: u64       # where exec put the argument and environment strings (/proc/PID/cmdline, environ)
    arg_end: u64
    env_start: u64
    env_end: u64
    image_start: u64     # the program's lowest and highest-ending ELF segment (/proc/PID/maps names them)
    image_end: u64
    interp_base: u64     # where exec loaded the program's interpreter (AT_BASE; 0: none)
    exe: "Inode | None"  # the program file (/proc/PID/exe)
    vdso_base: u64       # where exec mapped the vDSO (AT_SYSINFO_EHDR), 0 for none
    start_ns: u64        # monotonic time of its creation (/proc/PID/stat's starttime)
    files: "FdTable"     # open file descriptors (asterpy.fs.fdtable)

    def __init__(self, frames: FrameAllocator, dm: u64, kernel_root: u64) -> None:
        """An empty address space sharing the kernel half of kernel_root's top-level table."""
        self.pid = u64(1)
        self.ppid = u64(0)
        self.pgid = u64(1)
        self.sid = u64(1)
        self.init_credentials()
        self.nice = i64(0)
        self.leader_policy = u64(0)
        self.leader_rt_priority = u64(0)
        self.ioprio = u64(0)     # IOPRIO_CLASS_NONE, level 0: "from the nice value", Linux's default
        self.persona = u64(0)
        self.rlim_cur = []
        self.rlim_max = []
        default_rlimits(self.rlim_cur, self.rlim_max)
        self.threads = u64(0)
        self.zombie = False
        self.exit_status = u64(0)
        self.files = FdTable()
        self.fs = FsContext()
        self.child_chan = new_wait_channel()
        self.vfork_chan = new_wait_channel()
        self.vfork_done = False
        self.init_signal_state()
        self.last_child_code = u64(0)
        self.last_child_pid = u64(0)
        self.last_child_status = u64(0)
        self.kroot = kernel_root
        self.itimer_deadline = [u64(0), u64(0), u64(0)]
        self.itimer_interval = [u64(0), u64(0), u64(0)]
        self.frames = frames
        self.dm = dm
        self.space = new_address_space(frames, dm, True)
        src = Ptr[u64](dm + kernel_root)
        dst = Ptr[u64](dm + self.space.root)
        # The root's kernel entries (after the user ones; the arch's geometry, asterpy.mm.paging) are
        # the kernel's, so kernel code, data and the direct map stay reachable while these tables are loaded.
        for i in range(USER_ROOT_ENTRIES, ENTRIES):
            dst[i] = src[i]
        self.entry = u64(0)
        self.sp = u64(0)
        self.brk_start = u64(0)
        self.brk = u64(0)
        self.vmas = VmaList()
        self.arg_start = u64(0)
        self.arg_end = u64(0)
        self.env_start = u64(0)
        self.env_end = u64(0)
        self.image_start = u64(0)
        self.image_end = u64(0)
        self.interp_base = u64(0)
        self.exe = None
        self.vdso_base = u64(0)
        self.start_ns = monotonic_ns()

    # ---------------------------------------------------------------- pages

    def map_zeroed(self, va: u64, flags: u64) -> None:
        """Back the page at va with a zeroed frame (ENOMEM); a page already mapped is kept, flags widened.
        The page becomes (part of) a private VM area with the union of the permissions."""
        self.vmas.add_union(va, va + PAGE, prot_of_flags(flags))
        self.back_zeroed(va, flags)

    def back_zeroed(self, va: u64, flags: u64) -> None:
        """map_zeroed's page-table half: a zeroed frame at va, or the present page's flags widened."""
        old = self.space.flags_of(va)
        if old != 0:
            if (old | flags) != old:
                pa = self.space.unmap(va)
                self.space.map(va, pa, old | flags)
            return
        pa = self.frames.alloc()
        memset(self.dm + pa, 0, PAGE)
        try:
            self.space.map(va, pa, flags | READ | USER)
        except SysError as e:
            self.frames.free(pa)
            raise SysError(e.errno)

    def map_range_zeroed(self, start: u64, end: u64, flags: u64) -> None:
        """Back every page of [start, end) (page aligned) with zeroed frames (a private VM area)."""
        if start >= end:
            return
        self.vmas.add_union(start, end, prot_of_flags(flags))
        va = start
        while va < end:
            self.back_zeroed(va, flags)
            va += PAGE

    def unmap_range(self, start: u64, end: u64) -> None:
        """Remove [start, end) (page aligned) from the areas, unmap its pages and drop their frames."""
        self.vmas.remove_range(start, end)
        mmfault.zap_range(self, start, end)

    # ---------------------------------------------------------------- exec

    def load_elf(self, base: u64, size: u64, machine: u16) -> ElfImage:
        """load_elf_at without randomisation (an ET_DYN image goes to ET_DYN_BASE itself)."""
        return self.load_elf_at(base, size, machine, u64(0))

    def load_elf_at(self, base: u64, size: u64, machine: u16, rnd: u64) -> ElfImage:
        """load_elf_file for a program file wholly in memory at (base, size), its bytes copied."""
        return self.load_elf_file(base, size, size, None, machine, rnd)

    def load_elf_file(self, base: u64, avail: u64, size: u64, file: FilePages | None, machine: u16,
                      rnd: u64) -> ElfImage:
        """Map the PT_LOAD segments of a program file of size bytes whose first avail bytes
        (its headers, elf_head_need) are at base; set entry and the break. With file, the
        segments map its pages on demand (map_segments); without, all of it is at base and copied.

        An ET_DYN program goes to ET_DYN_BASE plus the low ET_DYN_RND_BITS bits of rnd in pages
        (0: no randomisation); an ET_EXEC one where it was linked. The returned image's entry and
        phdr_vaddr are run-time addresses (AT_ENTRY, AT_PHDR)."""
        img = elf_parse_head(base, avail, size, machine)
        hint = ET_DYN_BASE + ((rnd & ((u64(1) << ET_DYN_RND_BITS) - 1)) << 12)
        bias = elf_load_bias(img, hint, MMAP_BASE)
        if img.type != ET_DYN:
            bias = u64(0)
        self.image_start = u64(0xFFFFFFFFFFFFFFFF)
        self.image_end = u64(0)
        self.map_segments(img, base, file, bias, MMAP_BASE, True)
        self.brk = self.brk_start
        self.entry = img.entry + bias
        img.entry = self.entry
        if img.phdr_vaddr != 0:
            img.phdr_vaddr += bias
        else:
            # No PT_PHDR and no load segment covering the headers: point at the first segment's
            # image of them if it starts at file offset 0 (the usual layout).
            first = elf_load_segment(img, u32(0))
            if first.offset == 0:
                img.phdr_vaddr = first.vaddr + bias + img.phoff
        return img

    def load_interp(self, base: u64, size: u64, machine: u16) -> u64:
        """load_interp_file for an interpreter wholly in memory at (base, size), its bytes copied."""
        return self.load_interp_file(base, size, size, None, machine)

    def load_interp_file(self, base: u64, avail: u64, size: u64, file: FilePages | None, machine: u16) -> u64:
        """Map the program interpreter (ld.so; its headers at base, as for load_elf_file) at the
        top of the mmap range, where Linux puts it too; its run-time entry point. interp_base
        becomes its bias (AT_BASE). ENOEXEC if it is not a loadable ELF for machine, ENOMEM if
        it does not fit."""
        img = elf_parse_head(base, avail, size, machine)
        bias = u64(0)
        if img.type == ET_DYN:
            span = elf_load_span(img)
            want = span + img.max_align
            if want < span:
                raise SysError(ENOMEM)
            at = self.vmas.find_free(want, MMAP_LOW, MMAP_END, True)
            if at == NO_ADDR:
                raise SysError(ENOMEM)
            bias = elf_load_bias(img, at, MMAP_END)
        else:
            bias = elf_load_bias(img, u64(0), MMAP_END)
        self.map_segments(img, base, file, bias, MMAP_END, False)
        self.interp_base = bias
        return img.entry + bias

    def map_segments(self, img: ElfImage, base: u64, file: FilePages | None, bias: u64, limit: u64,
                     main: bool) -> None:
        """Map every PT_LOAD of img at vaddr + bias, below limit: from file's pages (map_file_segment),
        or without file with the bytes copied from the file at kernel address base. The main
        program's segments also set image_start/image_end (/proc/PID/maps) and the start of the
        break after the highest one."""
        for n in range(u32(0), img.load_count):
            seg = elf_load_segment(img, n)
            start = seg.vaddr + bias
            if start + seg.memsz < start or start + seg.memsz > limit:
                raise SysError(ENOEXEC)
            if main:
                if page_down(start) < self.image_start:
                    self.image_start = page_down(start)
                if page_up(start + seg.memsz) > self.image_end:
                    self.image_end = page_up(start + seg.memsz)
            flags = READ
            if (seg.flags & PF_W) != 0:
                flags |= WRITE
            if (seg.flags & PF_X) != 0:
                flags |= EXEC
            if file is not None:
                self.map_file_segment(elf_map_plan(seg, bias), prot_of_flags(flags), file)
            else:
                # Map writable first so the file bytes can be copied; segments sharing a page get
                # the union of their permissions (as on Linux, where the later mmap wins a page).
                self.map_range_zeroed(page_down(start), page_up(start + seg.memsz), flags)
                self.load_user(start, base + seg.offset, seg.filesz)
            end = page_up(start + seg.memsz)
            if main and end > self.brk_start:
                self.brk_start = end

    def map_file_segment(self, plan: ElfMapPlan, prot: u64, file: FilePages) -> None:
        """Map one PT_LOAD by its plan: a private mapping of file's pages (shared with the page
        cache until written), the .bss part of its last file page zeroed in a private copy of
        that page, anonymous zero pages after. A page shared with the previous segment is taken
        over by this one, as Linux's later MAP_FIXED mmap does."""
        self.unmap_range(plan.start, plan.end)
        if plan.file_end > plan.start:
            self.vmas.insert(Vma(plan.start, plan.file_end, prot, u64(0), file, plan.pgoff))
        if plan.end > plan.file_end:
            self.vmas.insert(Vma(plan.file_end, plan.end, prot, u64(0), None, u64(0)))
        if plan.zero_from < plan.file_end:
            page = page_down(plan.zero_from)
            v = self.vmas.find(page)
            if v is None or mmfault.populate(self, v, page, True) != mmfault.FAULT_OK:
                raise SysError(ENOEXEC)
            self.load_zero(plan.zero_from, PAGE - (plan.zero_from - page))

    def push_bytes(self, sp: u64, data: bytes, nul: bool) -> u64:
        """Push data (plus a NUL if asked) below sp; return the new sp, the data's address."""
        n = u64(len(data))
        if nul:
            n += 1
        sp -= n
        self.put_bytes(sp, data)
        if nul:
            self.put_byte(sp + u64(len(data)), u8(0))
        return sp

    def push_mem(self, sp: u64, addr: u64, n: u64) -> u64:
        """Push the n bytes at kernel address addr and a NUL below sp; the new sp (their address)."""
        sp -= n + 1
        for i in range(u64(0), n):
            self.put_byte(sp + i, Ptr[u8](addr + i).load())
        self.put_byte(sp + n, u8(0))
        return sp

    def setup_stack(self, img: ElfImage, arg_addrs: List[u64], arg_lens: List[u64], rnd0: u64, rnd1: u64,
                    hwcap: u64) -> None:
        """setup_stack_env with the environment Linux gives init (TERM=linux, HOME=/); argv[0] is
        the file name (AT_EXECFN)."""
        env_addrs: List[u64] = []
        env_lens: List[u64] = []
        if len(arg_addrs) == 0 or len(arg_lens) != len(arg_addrs):
            raise SysError(E2BIG)
        self.setup_stack_env(img, arg_addrs, arg_lens, env_addrs, env_lens, True, arg_addrs[0], arg_lens[0],
                             rnd0, rnd1, hwcap)

    def setup_stack_env(self, img: ElfImage, arg_addrs: List[u64], arg_lens: List[u64], env_addrs: List[u64],
                        env_lens: List[u64], default_env: bool, fn_addr: u64, fn_len: u64, rnd0: u64, rnd1: u64,
                        hwcap: u64) -> None:
        """Map the stack and lay out argc, argv, envp and auxv on it as Linux does on x86_64.

        The arguments are strings in kernel memory (addresses and lengths; argv[0] first), and
        (fn_addr, fn_len) the file name execve was given. From the top: the file name
        (AT_EXECFN), the AT_RANDOM bytes, "x86_64" (AT_PLATFORM), the environment and argument
        strings; then, 16-byte aligned at the final sp: argc, the argv pointers and NULL, the
        envp pointers and NULL, the auxv pairs (aux_vector) ending in AT_NULL.
        """
        if (u64(len(arg_addrs)) > MAX_ARGS or len(arg_lens) != len(arg_addrs) or len(arg_addrs) == 0
                or u64(len(env_addrs)) > MAX_ARGS or len(env_lens) != len(env_addrs)):
            raise SysError(E2BIG)
        if self.vmas.is_free(STACK_TOP - STACK_LIMIT, STACK_TOP):
            self.vmas.insert(Vma(STACK_TOP - STACK_LIMIT, STACK_TOP, PROT_READ | PROT_WRITE, VM_STACK, None, u64(0)))
        self.map_range_zeroed(STACK_TOP - STACK_EAGER, STACK_TOP, WRITE)
        sp = STACK_TOP
        sp = self.push_mem(sp, fn_addr, fn_len)
        execfn_at = sp
        sp = (sp - 16) & ~u64(7)
        random_at = sp
        self.put_u64(sp, rnd0)
        self.put_u64(sp + 8, rnd1)
        sp = self.push_bytes(sp, b"x86_64", True)
        platform_at = sp
        self.env_end = sp
        envp: List[u64] = []
        if default_env:
            # The environment Linux gives init when the command line sets none.
            sp = self.push_bytes(sp, b"TERM=linux", True)
            envp.append(sp)
            sp = self.push_bytes(sp, b"HOME=/", True)
            envp.append(sp)
        else:
            j = len(env_addrs) - 1
            while j >= 0:
                sp = self.push_mem(sp, env_addrs[j], env_lens[j])
                envp.append(sp)
                j -= 1
        self.env_start = sp
        self.arg_end = sp
        argv: List[u64] = []
        i = len(arg_addrs) - 1
        while i >= 0:
            sp = self.push_mem(sp, arg_addrs[i], arg_lens[i])
            argv.append(sp)
            i -= 1
        self.arg_start = sp
        argc = u64(len(arg_addrs))
        envc = u64(len(envp))
        aux = self.aux_vector(img, platform_at, random_at, execfn_at, hwcap)
        # argv and envp were collected last-first.
        words = 1 + argc + 1 + envc + 1 + u64(len(aux))
        sp = (sp - words * 8) & ~u64(15)
        p = sp
        self.put_u64(p, argc)
        p += 8
        for k in range(u64(0), argc):
            self.put_u64(p, argv[argc - 1 - k])
            p += 8
        self.put_u64(p, u64(0))
        p += 8
        for k in range(u64(0), envc):
            self.put_u64(p, envp[envc - 1 - k])
            p += 8
        self.put_u64(p, u64(0))
        p += 8
        for k in range(u64(0), u64(len(aux))):
            self.put_u64(p, aux[k])
            p += 8
        self.sp = sp

    def aux_vector(self, img: ElfImage, platform_at: u64, random_at: u64, execfn_at: u64, hwcap: u64) -> List[u64]:
        """The auxiliary vector for the program img (run-time addresses), as key, value words ending
        in AT_NULL, in Linux's order; the user addresses of the strings and random bytes given."""
        aux: List[u64] = []
        if self.vdso_base != 0:
            aux_put(aux, AT_SYSINFO_EHDR, self.vdso_base)
        aux_put(aux, AT_MINSIGSTKSZ, SIGFRAME_MIN)
        aux_put(aux, AT_HWCAP, hwcap)
        aux_put(aux, AT_PAGESZ, PAGE)
        aux_put(aux, AT_CLKTCK, CLK_TCK)
        aux_put(aux, AT_PHDR, img.phdr_vaddr)
        aux_put(aux, AT_PHENT, u64(56))
        aux_put(aux, AT_PHNUM, u64(img.phnum))
        aux_put(aux, AT_BASE, self.interp_base)
        aux_put(aux, AT_FLAGS, u64(0))
        aux_put(aux, AT_ENTRY, img.entry)
        aux_put(aux, AT_UID, self.ruid)
        aux_put(aux, AT_EUID, self.uid)
        aux_put(aux, AT_GID, self.rgid)
        aux_put(aux, AT_EGID, self.gid)
        # Secure mode (ld.so ignores LD_* variables) when the ids differ, as after a set-id exec.
        secure = u64(0)
        if self.ruid != self.uid or self.rgid != self.gid:
            secure = u64(1)
        aux_put(aux, AT_SECURE, secure)
        aux_put(aux, AT_RANDOM, random_at)
        aux_put(aux, AT_HWCAP2, u64(0))
        aux_put(aux, AT_EXECFN, execfn_at)
        aux_put(aux, AT_PLATFORM, platform_at)
        aux_put(aux, AT_NULL, u64(0))
        return aux

    # ---------------------------------------------------------------- brk and mmap

    def set_brk(self, want: u64) -> u64:
        """brk(want): move the break within [brk_start, brk_start + BRK_MAX); the break after it.
        The heap is one VM area; its pages come on first touch."""
        if want < self.brk_start or want > self.brk_start + BRK_MAX:
            return self.brk
        old_end = page_up(self.brk)
        new_end = page_up(want)
        if new_end > old_end:
            # Growing into another mapping (a MAP_FIXED one) is refused, as on Linux: adopting its
            # pages would let a later shrink unmap them.
            if self.vmas.overlaps(old_end, new_end):
                return self.brk
            # RLIMIT_AS (index 9) counts the heap too.
            limit = self.rlim_cur[9]
            grow = new_end - old_end
            if grow > limit or self.vmas.total_size() > limit - grow:
                return self.brk
            self.vmas.insert(Vma(old_end, new_end, PROT_READ | PROT_WRITE, VM_BRK, None, u64(0)))
        elif new_end < old_end:
            self.unmap_range(new_end, old_end)
        self.brk = want
        return want

    def mmap_anon(self, length: u64, flags: u64) -> u64:
        """A fresh zeroed private mapping of length bytes, backed now (kernel users and tests); its
        address (ENOMEM, EINVAL)."""
        if length == 0:
            raise SysError(EINVAL)
        size = page_up(length)
        if size < length:
            raise SysError(ENOMEM)
        addr = self.vmas.find_free(size, MMAP_LOW, MMAP_END, True)
        if addr == NO_ADDR:
            raise SysError(ENOMEM)
        try:
            self.map_range_zeroed(addr, addr + size, flags)
        except SysError:
            self.unmap_range(addr, addr + size)
            raise SysError(ENOMEM)
        return addr

    # ---------------------------------------------------------------- fork and exec

    def copy_memory_from(self, src: "Process") -> None:
        """Make this (empty) address space a copy-on-write copy of src's user half (fork).

        Both map the same frames (one more owner each); private writable pages lose WRITE in
        both, so the first write copies (asterpy.mm.fault). Shared areas stay shared. ENOMEM if
        a page table cannot be made (the caller frees the copy).
        """
        self.vmas = src.vmas.clone()
        root = Ptr[u64](self.dm + src.space.root)
        for i in range(u64(0), USER_ROOT_ENTRIES):
            if pte_present(root[i]):
                self.copy_table(src, pte_phys(root[i], TOP_LEVEL), TOP_LEVEL - 1, i << level_shift(TOP_LEVEL))
        self.brk_start = src.brk_start
        self.brk = src.brk
        self.entry = src.entry
        self.sp = src.sp
        self.copy_image_fields(src)

    def copy_table(self, src: "Process", pa: u64, level: u64, va_base: u64) -> None:
        """Share the pages under src's table at pa (entries at `level`, 0 = the 4 KiB leaves)."""
        t = Ptr[u64](self.dm + pa)
        for i in range(u64(0), ENTRIES):
            e = t[i]
            if not pte_present(e):
                continue
            va = va_base | (i << level_shift(level))
            if level == 0:
                frame = pte_phys(e, level)
                fl = entry_flags(e)
                v = src.vmas.find(va)
                if v is not None and v.inode is not None and mmfault.is_file_page(src, v, va, frame):
                    # A file's own pages ([vvar]/[vdso], program text, mmap'ed files) are not
                    # copied (as Linux skips file pages it can refault): the child maps them on
                    # first use, and a fork that execs or exits at once makes no page table for
                    # them. A page written since (a private copy) is.
                    continue
                if (fl & WRITE) != 0 and (v is None or not v.shared()):
                    fl = fl & ~WRITE
                    mmfault.set_pte(src.space, va, frame, fl)
                self.space.map(va, frame, fl)
                self.frames.share(frame)
            elif pte_is_table(e, level):
                self.copy_table(src, pte_phys(e, level), level - 1, va)

    def take_memory_of(self, other: "Process") -> None:
        """Adopt other's address space and layout (exec: the new image was built in other)."""
        self.space = other.space
        self.vmas = other.vmas
        self.brk_start = other.brk_start
        self.brk = other.brk
        self.entry = other.entry
        self.sp = other.sp
        self.copy_image_fields(other)

    def set_exe(self, ino: "Inode | None") -> None:
        """Make ino the program this process runs (None: none, at exit); a regular file is kept
        from being written while any process runs it (ETXTBSY, asterpy.fs.inode.check_not_running)."""
        old = self.exe
        if isinstance(old, RegInode) and old.exec_users > 0:
            old.exec_users -= 1
        self.exe = ino
        if isinstance(ino, RegInode):
            ino.exec_users += 1

    def copy_image_fields(self, other: "Process") -> None:
        """Where other's program, arguments and environment are (/proc shows them)."""
        self.arg_start = other.arg_start
        self.arg_end = other.arg_end
        self.env_start = other.env_start
        self.env_end = other.env_end
        self.image_start = other.image_start
        self.image_end = other.image_end
        self.set_exe(other.exe)
        self.vdso_base = other.vdso_base

    def share_memory_of(self, other: "Process") -> None:
        """Use other's address space itself (CLONE_VM): this process's own empty one is freed,
        and other's counts one more user (it lives until the last of them lets go)."""
        self.free_user_memory()
        self.take_memory_of(other)
        self.space.users += 1

    def free_user_memory(self) -> None:
        """Let go of the address space (the process ended or exec'd). The last of the processes
        sharing it (CLONE_VM) frees every user page and page-table page of the lower half; the
        others only drop their hold, whichever order they end in (a vfork child may outlive its
        parent). The caller has loaded other page tables if the CPU was running on these."""
        sp = self.space
        if sp.users == 0:
            return          # already freed (an error path let go first)
        sp.users -= 1
        if sp.users > 0:
            self.vmas = VmaList()
            return
        self.vmas.clear()
        self.vmas = VmaList()
        root = Ptr[u64](self.dm + self.space.root)
        for i in range(u64(0), USER_ROOT_ENTRIES):
            if pte_present(root[i]):
                self.release_table(pte_phys(root[i], TOP_LEVEL), TOP_LEVEL - 1)
                root[i] = u64(0)
        self.frames.free(self.space.root)

    def release_table(self, pa: u64, level: u64) -> None:
        """Free the table at pa (its entries at `level`, 0 = the 4 KiB leaves) and drop the
        4 KiB frames it maps (shared ones live on with their other owners; processes map no
        large pages)."""
        t = Ptr[u64](self.dm + pa)
        for i in range(u64(0), ENTRIES):
            e = t[i]
            if pte_present(e):
                if level == 0:
                    self.frames.free(pte_phys(e, level))
                elif pte_is_table(e, level):
                    self.release_table(pte_phys(e, level), level - 1)
        self.frames.free(pa)

    def resident_pages(self) -> u64:
        """How many user pages are mapped now (getrusage's ru_maxrss)."""
        root = Ptr[u64](self.dm + self.space.root)
        n = u64(0)
        for i in range(u64(0), USER_ROOT_ENTRIES):
            if pte_present(root[i]):
                n += self.count_table(pte_phys(root[i], TOP_LEVEL), TOP_LEVEL - 1)
        return n

    def count_table(self, pa: u64, level: u64) -> u64:
        """The present 4 KiB pages under the table at pa."""
        t = Ptr[u64](self.dm + pa)
        n = u64(0)
        for i in range(u64(0), ENTRIES):
            e = t[i]
            if pte_present(e):
                if level == 0:
                    n += 1
                elif pte_is_table(e, level):
                    n += self.count_table(pte_phys(e, level), level - 1)
        return n


def aux_put(aux: List[u64], key: u64, value: u64) -> None:
    """Append one auxv pair."""
    aux.append(key)
    aux.append(value)


def prot_of_flags(flags: u64) -> u64:
    """The PROT_* bits of page-table flags (every user mapping is readable)."""
    prot = PROT_READ
    if (flags & WRITE) != 0:
        prot |= PROT_WRITE
    if (flags & EXEC) != 0:
        prot |= PROT_EXEC
    return prot


# The running process (None when no user program runs).
current: Process | None = None


def current_process() -> Process | None:
    """The running process, None if none (read through this function: under CPython a
    `from ... import current` would copy the binding)."""
    return current


def set_current(p: Process | None) -> None:
    """Make p the running process."""
    global current
    current = p
    if p is not None:
        # Fault injection (asterpy.failslab) spares init, which drives the run and reports it.
        p.frames.fail_paused = p.pid == 1


# Imported last: the file system's modules import Process from here (an import cycle, which
# CPython resolves only once Process is defined).
from asterpy.fs.context import FsContext  # noqa: E402
from asterpy.fs.fdtable import FdTable  # noqa: E402
from asterpy.fs.inode import Inode, RegInode  # noqa: E402


# Imports of higher layers come last: those modules import this one back (an import cycle), and
# under CPython the names above must exist by the time they do.
from asterpy.kernel.wait import new_wait_channel  # noqa: E402
from asterpy.mm.vma import NO_ADDR, PROT_EXEC, PROT_READ, PROT_WRITE, VM_BRK, VM_STACK, Vma, VmaList  # noqa: E402
import asterpy.mm.fault as mmfault  # noqa: E402
