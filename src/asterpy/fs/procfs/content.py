"""The text of every /proc file, in the formats Linux's proc(5) gives them (what ps, top, free,
uptime, glibc and LTP parse): per process stat, status, statm, cmdline, environ, comm, maps,
limits, mounts, mountinfo; system meminfo, cpuinfo, stat, uptime, loadavg, version,
filesystems, cmdline and the sys/ values."""

from typing import Final

from asterpy.lang import List, Ptr, SysError, u8, u32, u64
from asterpy.lang.errno import EFAULT, ENOENT, ESRCH
from asterpy.kernel.entropy import random_u64
from asterpy.kernel.time import monotonic_ns
from asterpy.mm.heap import heap_free_bytes, heap_used
from asterpy.mm.vma import PROT_EXEC, PROT_READ, PROT_WRITE, VM_BRK, VM_STACK
from asterpy.mm.vdso import KIND_VDSO, KIND_VVAR, vdso_kind
from asterpy.fs.inode import RAMFS_DEV, Inode, fs_now_ns, root_dir
from asterpy.fs.mount import dir_path, mount_table
from asterpy.fs.procfs.nodes import inode_path
from asterpy.fs.procfs.nodes import (
    F_CMDLINE, F_COMM, F_ENVIRON, F_FDINFO, F_LIMITS, F_MAPS, F_MOUNTINFO, F_MOUNTS, F_STAT, F_STATM, F_STATUS,
    G_BOOT_ID, G_CMDLINE, G_CPUINFO, G_DOMAINNAME, G_FILESYSTEMS, G_HOSTNAME, G_KVERSION, G_LOADAVG, G_MEMINFO,
    G_OSRELEASE, G_OSTYPE, G_OVERCOMMIT, G_PARTITIONS, G_PID_MAX, G_PIPE_MAX, G_STAT, G_TAINTED, G_UPTIME, G_UUID,
    G_VERSION, ProcNode,
)
from asterpy.fs.procfs.provider import ProcInfo, the_provider
from asterpy.fs.procfs.text import TextBuf
from asterpy.drivers.block import all_block_devices
from asterpy.fs.superblock import ramfs_super
import asterpy.mm.filepages as filepages
from asterpy.kernel.cmdline import cmdline_text_addr, cmdline_text_len
from asterpy.kernel.uts import uts_names

O_CLOEXEC: Final = u64(0o2000000)
# Clock ticks per second of every *time field (USER_HZ, also AT_CLKTCK).
USER_HZ: Final = u64(100)
NS_PER_TICK: Final = u64(10000000)
PAGE_KB: Final = u64(4)
# What uname(2) says (asterpy.syscall.dispatch.sys_uname): the same strings here.
OSTYPE: Final = b"Linux"
OSRELEASE: Final = b"6.1.0-asterpy"
KVERSION: Final = b"#1 asterpy 0.1.0"

PIPE_MAX_SIZE: Final = u64(1048576)
TAB: Final = u8(0x09)
NL: Final = u8(0x0A)
SP: Final = u8(0x20)
# Load averages in fixed point with 11 fractional bits, decayed every 5 s (Linux's FSHIFT/EXP_n).
FSHIFT: Final = u64(11)
FIXED_1: Final = u64(1) << 11
EXP_1: Final = u64(1884)
EXP_5: Final = u64(2014)
EXP_15: Final = u64(2037)
LOAD_FREQ_NS: Final = u64(5000000000)

RLIMIT_NAMES: Final = 16


class LoadAvg:
    """The 1, 5 and 15 minute load averages (fixed point), brought up to date when read."""

    avg: List[u64]
    last_ns: u64

    def __init__(self) -> None:
        """All zero, last updated at boot."""
        self.avg = [u64(0), u64(0), u64(0)]
        self.last_ns = u64(0)


load: LoadAvg | None = None


class BootId:
    """The 128 random bits of this boot's /proc/sys/kernel/random/boot_id."""

    hi: u64
    lo: u64

    def __init__(self, hi: u64, lo: u64) -> None:
        """The id hi:lo."""
        self.hi = hi
        self.lo = lo


boot_id: BootId | None = None


def calc_load(old: u64, exp: u64, active: u64) -> u64:
    """One 5-second step of an exponentially decaying average (fixed point)."""
    return (old * exp + active * (FIXED_1 - exp) + (FIXED_1 >> 1)) >> FSHIFT


def update_load(runnable: u64) -> LoadAvg:
    """The load averages after folding in every 5-second period since the last update, each with
    the runnable count seen now (they are sampled when read, not by the timer)."""
    global load
    la = load
    if la is None:
        la = LoadAvg()
        load = la
    now = monotonic_ns()
    active = runnable * FIXED_1
    steps = u64(0)
    while la.last_ns + LOAD_FREQ_NS <= now and steps < 1000:
        la.avg[0] = calc_load(la.avg[0], EXP_1, active)
        la.avg[1] = calc_load(la.avg[1], EXP_5, active)
        la.avg[2] = calc_load(la.avg[2], EXP_15, active)
        la.last_ns += LOAD_FREQ_NS
        steps += 1
    if steps == 1000:
        la.last_ns = now
    return la


def put_load(t: TextBuf, v: u64) -> None:
    """A fixed-point load as N.NN."""
    hundredths = (v * 100 + (FIXED_1 >> 1)) >> FSHIFT
    t.frac2(hundredths)


def uptime_ticks() -> u64:
    """Clock ticks since boot."""
    return monotonic_ns() // NS_PER_TICK


def fill(node: ProcNode, t: TextBuf) -> None:
    """Write the text of node into t (ENOENT when its process is gone)."""
    k = node.fkind
    pp = the_provider()
    try:
        if k == F_STAT:
            fill_stat(pp.info(node.pid, node.tid), t)
        elif k == F_STATUS:
            fill_status(pp.info(node.pid, node.tid), t)
        elif k == F_STATM:
            fill_statm(pp.info(node.pid, node.tid), t)
        elif k == F_COMM:
            info = pp.info(node.pid, node.tid)
            t.put_name(info.comm)
            t.byte(NL)
        elif k == F_CMDLINE:
            info = pp.info(node.pid, u64(0))
            read_strings(node.pid, info.arg_start, info.arg_end, t)
        elif k == F_ENVIRON:
            info = pp.info(node.pid, u64(0))
            read_strings(node.pid, info.env_start, info.env_end, t)
        elif k == F_MAPS:
            fill_maps(node.pid, t)
        elif k == F_LIMITS:
            fill_limits(pp.info(node.pid, u64(0)), t)
        elif k == F_MOUNTS:
            fill_mounts(t)
        elif k == F_MOUNTINFO:
            fill_mountinfo(t)
        elif k == F_FDINFO:
            fill_fdinfo(node.pid, node.num, t)
        else:
            fill_system(k, t)
    except SysError as e:
        if e.errno == ESRCH:
            # The process died between lookup and open.
            raise SysError(ENOENT)
        raise SysError(e.errno)


def read_strings(pid: u64, start: u64, end: u64, t: TextBuf) -> None:
    """The bytes of [start, end) of pid's memory, as far as they are mapped (a program may have
    unmapped its initial stack: Linux then shows what it can, too)."""
    if end <= start:
        return
    try:
        the_provider().read_memory(pid, start, end - start, t)
    except SysError as e:
        if e.errno != EFAULT:
            raise SysError(e.errno)


# ---------------------------------------------------------------- per process

def state_name(state: u8) -> bytes:
    """The words status shows after the state letter."""
    if state == 0x52:
        return b"R (running)"
    if state == 0x53:
        return b"S (sleeping)"
    if state == 0x44:
        return b"D (disk sleep)"
    if state == 0x54:
        return b"T (stopped)"
    if state == 0x5A:
        return b"Z (zombie)"
    return b"X (dead)"


def fill_stat(i: ProcInfo, t: TextBuf) -> None:
    """/proc/PID/stat: the 52 space-separated fields of proc(5), comm in parentheses."""
    t.dec(i.pid)
    t.put(b" (")
    t.put_name(i.comm)
    t.put(b") ")
    t.byte(i.state)
    sp_dec(t, i.ppid)
    sp_dec(t, i.pgid)
    sp_dec(t, i.sid)
    sp_dec(t, i.tty_nr)
    t.byte(SP)
    t.sdec(i.tpgid)
    sp_dec(t, u64(0x400000))     # flags: PF_RANDOMIZE, what Linux shows for a user task
    for _ in range(0, 4):       # minflt cminflt majflt cmajflt
        sp_dec(t, u64(0))
    sp_dec(t, i.utime)
    sp_dec(t, i.stime)
    sp_dec(t, i.cutime)
    sp_dec(t, i.cstime)
    t.byte(SP)
    t.sdec(i.priority)
    t.byte(SP)
    t.sdec(i.nice)
    sp_dec(t, i.threads)
    sp_dec(t, u64(0))           # itrealvalue
    sp_dec(t, i.start_ticks)
    sp_dec(t, i.vsize)
    sp_dec(t, i.rss_pages)
    sp_dec(t, i.rlim_cur[5] if len(i.rlim_cur) > 5 else u64(0xFFFFFFFFFFFFFFFF))   # rsslim
    sp_dec(t, i.start_code)
    sp_dec(t, i.end_code)
    sp_dec(t, i.start_stack)
    sp_dec(t, u64(0))           # kstkesp
    sp_dec(t, u64(0))           # kstkeip
    sp_dec(t, (i.sig_pending | i.sig_shared) & u64(0xFFFFFFFF))
    sp_dec(t, i.sig_blocked & u64(0xFFFFFFFF))
    sp_dec(t, i.sig_ignored & u64(0xFFFFFFFF))
    sp_dec(t, i.sig_caught & u64(0xFFFFFFFF))
    sp_dec(t, u64(0))           # wchan
    sp_dec(t, u64(0))           # nswap
    sp_dec(t, u64(0))           # cnswap
    sp_dec(t, i.exit_signal)
    sp_dec(t, u64(0))           # processor
    sp_dec(t, u64(0))           # rt_priority
    sp_dec(t, u64(0))           # policy
    sp_dec(t, u64(0))           # delayacct_blkio_ticks
    sp_dec(t, u64(0))           # guest_time
    sp_dec(t, u64(0))           # cguest_time
    sp_dec(t, u64(0))           # start_data
    sp_dec(t, u64(0))           # end_data
    sp_dec(t, i.start_brk)
    sp_dec(t, i.arg_start)
    sp_dec(t, i.arg_end)
    sp_dec(t, i.env_start)
    sp_dec(t, i.env_end)
    sp_dec(t, i.exit_code)
    t.byte(NL)


def sp_dec(t: TextBuf, v: u64) -> None:
    """A space, then v in decimal."""
    t.byte(SP)
    t.dec(v)


def fill_statm(i: ProcInfo, t: TextBuf) -> None:
    """/proc/PID/statm: size resident shared text lib data dt, in pages."""
    t.dec(i.vsize >> 12)
    sp_dec(t, i.rss_pages)
    sp_dec(t, u64(0))
    sp_dec(t, i.exe_bytes >> 12)
    sp_dec(t, u64(0))
    sp_dec(t, (i.data_bytes + i.stack_bytes) >> 12)
    sp_dec(t, u64(0))
    t.byte(NL)


def key(t: TextBuf, k: bytes) -> None:
    """"Key:\\t"."""
    t.put(k)
    t.put(b":\t")


def key_dec(t: TextBuf, k: bytes, v: u64) -> None:
    """"Key:\\tN\\n"."""
    key(t, k)
    t.dec(v)
    t.byte(NL)


def key_hex16(t: TextBuf, k: bytes, v: u64) -> None:
    """"Key:\\t" and v as 16 hex digits."""
    key(t, k)
    t.hex_width(v, u64(16))
    t.byte(NL)


def four_ids(t: TextBuf, k: bytes, r: u64, e: u64, s: u64, f: u64) -> None:
    """"Uid:\\treal\\teffective\\tsaved\\tfs"."""
    key(t, k)
    t.dec(r)
    t.byte(TAB)
    t.dec(e)
    t.byte(TAB)
    t.dec(s)
    t.byte(TAB)
    t.dec(f)
    t.byte(NL)


def fill_status(i: ProcInfo, t: TextBuf) -> None:
    """/proc/PID/status: "Key:\\tvalue" lines in Linux's order."""
    key(t, b"Name")
    t.put_name(i.comm)
    t.byte(NL)
    key(t, b"Umask")
    t.byte(u8(0x30))
    t.byte(u8(0x30 + ((i.umask >> 6) & 7)))
    t.byte(u8(0x30 + ((i.umask >> 3) & 7)))
    t.byte(u8(0x30 + (i.umask & 7)))
    t.byte(NL)
    key(t, b"State")
    t.put(state_name(i.state))
    t.byte(NL)
    key_dec(t, b"Tgid", i.tgid)
    key_dec(t, b"Ngid", u64(0))
    key_dec(t, b"Pid", i.pid)
    key_dec(t, b"PPid", i.ppid)
    key_dec(t, b"TracerPid", u64(0))
    four_ids(t, b"Uid", i.ruid, i.euid, i.suid, i.fsuid)
    four_ids(t, b"Gid", i.rgid, i.egid, i.sgid, i.fsgid)
    key_dec(t, b"FDSize", i.fd_size)
    key(t, b"Groups")
    for g in i.groups:
        t.dec(g)
        t.byte(SP)
    t.byte(NL)
    key_dec(t, b"NStgid", i.tgid)
    key_dec(t, b"NSpid", i.pid)
    key_dec(t, b"NSpgid", i.pgid)
    key_dec(t, b"NSsid", i.sid)
    if i.state != 0x5A:
        vm_kb = i.vsize >> 10
        t.status_kb(b"VmPeak", vm_kb)
        t.status_kb(b"VmSize", vm_kb)
        t.status_kb(b"VmLck", u64(0))
        t.status_kb(b"VmPin", u64(0))
        t.status_kb(b"VmHWM", i.rss_pages * PAGE_KB)
        t.status_kb(b"VmRSS", i.rss_pages * PAGE_KB)
        t.status_kb(b"RssAnon", i.rss_pages * PAGE_KB)
        t.status_kb(b"RssFile", u64(0))
        t.status_kb(b"RssShmem", u64(0))
        t.status_kb(b"VmData", i.data_bytes >> 10)
        t.status_kb(b"VmStk", i.stack_bytes >> 10)
        t.status_kb(b"VmExe", i.exe_bytes >> 10)
        t.status_kb(b"VmLib", u64(0))
        t.status_kb(b"VmPTE", u64(0))
        t.status_kb(b"VmSwap", u64(0))
    key_dec(t, b"Threads", i.threads)
    key(t, b"SigQ")
    t.dec(u64(0))
    t.byte(u8(0x2F))
    t.dec(i.rlim_cur[11] if len(i.rlim_cur) > 11 else u64(0))
    t.byte(NL)
    key_hex16(t, b"SigPnd", i.sig_pending)
    key_hex16(t, b"ShdPnd", i.sig_shared)
    key_hex16(t, b"SigBlk", i.sig_blocked)
    key_hex16(t, b"SigIgn", i.sig_ignored)
    key_hex16(t, b"SigCgt", i.sig_caught)
    caps = u64(0)
    if i.euid == 0:
        caps = u64(0x000001FFFFFFFFFF)
    key_hex16(t, b"CapInh", u64(0))
    key_hex16(t, b"CapPrm", caps)
    key_hex16(t, b"CapEff", caps)
    key_hex16(t, b"CapBnd", u64(0x000001FFFFFFFFFF))
    key_hex16(t, b"CapAmb", u64(0))
    key_dec(t, b"NoNewPrivs", u64(1) if i.no_new_privs else u64(0))
    key_dec(t, b"Seccomp", u64(0))
    key(t, b"Cpus_allowed")
    t.put(b"1\n")
    key(t, b"Cpus_allowed_list")
    t.put(b"0\n")
    key(t, b"Mems_allowed")
    t.put(b"1\n")
    key(t, b"Mems_allowed_list")
    t.put(b"0\n")
    key_dec(t, b"voluntary_ctxt_switches", u64(0))
    key_dec(t, b"nonvoluntary_ctxt_switches", u64(0))


def limit_value(t: TextBuf, v: u64) -> None:
    """A limit left-aligned in 21 columns ("unlimited" for RLIM_INFINITY)."""
    start = t.length
    if v == u64(0xFFFFFFFFFFFFFFFF):
        t.put(b"unlimited")
    else:
        t.dec(v)
    while t.length - start < 21:
        t.byte(SP)


def limit_row(t: TextBuf, name: bytes, units: bytes, cur: u64, mx: u64) -> None:
    """One line of limits: name in 26 columns, soft and hard in 21 each, units in 10."""
    t.put(name)
    for _ in range(len(name), 26):
        t.byte(SP)
    limit_value(t, cur)
    limit_value(t, mx)
    t.put(units)
    for _ in range(len(units), 10):
        t.byte(SP)
    t.byte(NL)


def fill_limits(i: ProcInfo, t: TextBuf) -> None:
    """/proc/PID/limits: a header and one line per RLIMIT_* in number order."""
    limit_row_header(t)
    names: List[bytes] = [b"Max cpu time", b"Max file size", b"Max data size", b"Max stack size",
                          b"Max core file size", b"Max resident set", b"Max processes", b"Max open files",
                          b"Max locked memory", b"Max address space", b"Max file locks", b"Max pending signals",
                          b"Max msgqueue size", b"Max nice priority", b"Max realtime priority",
                          b"Max realtime timeout"]
    units: List[bytes] = [b"seconds", b"bytes", b"bytes", b"bytes", b"bytes", b"bytes", b"processes", b"files",
                          b"bytes", b"bytes", b"locks", b"signals", b"bytes", b"", b"", b"us"]
    for r in range(0, RLIMIT_NAMES):
        cur = u64(0xFFFFFFFFFFFFFFFF)
        mx = u64(0xFFFFFFFFFFFFFFFF)
        if r < len(i.rlim_cur):
            cur = i.rlim_cur[r]
            mx = i.rlim_max[r]
        limit_row(t, names[r], units[r], cur, mx)


def limit_row_header(t: TextBuf) -> None:
    """The header line of /proc/PID/limits."""
    t.put(b"Limit")
    for _ in range(5, 26):
        t.byte(SP)
    t.put(b"Soft Limit")
    for _ in range(10, 21):
        t.byte(SP)
    t.put(b"Hard Limit")
    for _ in range(10, 21):
        t.byte(SP)
    t.put(b"Units")
    for _ in range(5, 10):
        t.byte(SP)
    t.byte(NL)


def fill_maps(pid: u64, t: TextBuf) -> None:
    """/proc/PID/maps: one line per VM area, "start-end perms offset dev inode" then the name
    in column 74 ([heap], [stack], the program's path, a mapped file's path)."""
    pp = the_provider()
    info = pp.info(pid, u64(0))
    vl = pp.vmas(pid)
    exe_name = bytearray(0)
    exe_ino = u64(0)
    has_exe = False
    try:
        exe = pp.exe(pid)
        exe_name = inode_path(exe)
        exe_ino = exe.ino
        has_exe = True
    except SysError:
        has_exe = False
    for v in vl.areas:
        start = t.length
        t.hex_width(v.start, u64(8))
        t.byte(u8(0x2D))
        t.hex_width(v.end, u64(8))
        t.byte(SP)
        t.byte(u8(0x72) if (v.prot & PROT_READ) != 0 else u8(0x2D))
        t.byte(u8(0x77) if (v.prot & PROT_WRITE) != 0 else u8(0x2D))
        t.byte(u8(0x78) if (v.prot & PROT_EXEC) != 0 else u8(0x2D))
        t.byte(u8(0x73) if v.shared() else u8(0x70))
        t.byte(SP)
        # The file a mapping shows (the area holds the page-cache side of it, FilePages).
        ino: Inode | None = None
        pages = v.inode
        if isinstance(pages, Inode):
            ino = pages
        named = has_exe and ino is None and (v.flags & (VM_BRK | VM_STACK)) == 0 and \
            v.start >= info.start_code and v.start < info.end_code
        if ino is not None:
            t.hex_width(v.pgoff, u64(8))
            t.put(b" 00:")
            t.hex_width(RAMFS_DEV, u64(2))
            t.byte(SP)
            t.dec(ino.ino)
        elif named:
            t.hex_width(v.start - info.start_code, u64(8))
            t.put(b" 00:")
            t.hex_width(RAMFS_DEV, u64(2))
            t.byte(SP)
            t.dec(exe_ino)
        else:
            t.put(b"00000000 00:00 0")
        t.byte(SP)
        name = bytearray(0)
        has_name = True
        kind = vdso_kind(pages)
        if (v.flags & VM_BRK) != 0:
            name = bytes_of(b"[heap]")
        elif kind == KIND_VVAR:
            name = bytes_of(b"[vvar]")
        elif kind == KIND_VDSO:
            name = bytes_of(b"[vdso]")
        elif (v.flags & VM_STACK) != 0:
            name = bytes_of(b"[stack]")
        elif ino is not None:
            name = inode_path(ino)
            if v.shared() and name_is_deleted(name):
                name = bytes_of(b"/dev/zero (deleted)")
        elif named:
            name = exe_name
        else:
            has_name = False
        if has_name:
            while t.length - start < 73:
                t.byte(SP)
            t.put_name(name)
        t.byte(NL)


def bytes_of(s: bytes) -> bytearray:
    """s as a bytearray."""
    out = bytearray(len(s))
    for i in range(0, len(s)):
        out[i] = s[i]
    return out


def name_is_deleted(n: bytearray) -> bool:
    """Whether a path is the "(deleted)" of a file no directory lists."""
    d = b"(deleted)"
    if len(n) != len(d):
        return False
    for i in range(0, len(d)):
        if n[i] != d[i]:
            return False
    return True


def fill_fdinfo(pid: u64, fd: u64, t: TextBuf) -> None:
    """/proc/PID/fdinfo/N: the offset, the open flags in octal (O_CLOEXEC included), the mount id
    and the inode number (ENOENT for a closed fd)."""
    files = the_provider().files(pid)
    if fd >= u64(len(files.fds)):
        raise SysError(ENOENT)
    f = files.fds[fd]
    if f is None:
        raise SysError(ENOENT)
    flags = f.flags
    if files.cloexec[fd]:
        flags |= O_CLOEXEC
    t.put(b"pos:\t")
    t.dec(f.pos)
    t.put(b"\nflags:\t0")
    t.oct(flags)
    t.put(b"\nmnt_id:\t")
    t.dec(mount_id_of(f.inode))
    t.put(b"\nino:\t")
    t.dec(f.inode.ino)
    t.byte(NL)


def mount_id_of(ino: Inode) -> u64:
    """The mountinfo id of the file system ino is on (1: the root)."""
    n = u64(2)
    for m in mount_table().mounts:
        if m.root.sb is ino.sb:
            return n
        n += 1
    return u64(1)


# ---------------------------------------------------------------- mounts

def fill_mounts(t: TextBuf) -> None:
    """/proc/mounts: "source mountpoint type options 0 0" for the root and every mount."""
    t.put(b"rootfs / rootfs rw 0 0\n")
    for m in mount_table().mounts:
        t.put_name(m.source)
        t.byte(SP)
        t.put_name(dir_path(m.mountpoint, root_dir()))
        t.byte(SP)
        t.put(m.root.sb.fstype)
        t.byte(SP)
        put_mount_options(t, m.root.sb.flags | m.flags)
        t.put(b" 0 0\n")


def put_mount_options(t: TextBuf, flags: u64) -> None:
    """rw or ro, then nosuid, nodev, noexec, relatime as flags say."""
    if (flags & u64(1)) != 0:
        t.put(b"ro")
    else:
        t.put(b"rw")
    if (flags & u64(2)) != 0:
        t.put(b",nosuid")
    if (flags & u64(4)) != 0:
        t.put(b",nodev")
    if (flags & u64(8)) != 0:
        t.put(b",noexec")
    if (flags & u64(4096)) != 0:
        t.put(b",relatime")


def fill_mountinfo(t: TextBuf) -> None:
    """/proc/PID/mountinfo: "id parent major:minor root mountpoint options - type source superoptions"."""
    t.put(b"1 1 0:")
    t.dec(u64(ramfs_super().dev_minor))
    t.put(b" / / rw - rootfs rootfs rw\n")
    n = u64(2)
    for m in mount_table().mounts:
        t.dec(n)
        t.put(b" 1 0:")
        t.dec(u64(m.root.sb.dev_minor))
        t.put(b" / ")
        t.put_name(dir_path(m.mountpoint, root_dir()))
        t.byte(SP)
        put_mount_options(t, m.root.sb.flags | m.flags)
        t.put(b" - ")
        t.put(m.root.sb.fstype)
        t.byte(SP)
        t.put_name(m.source)
        t.put(b" rw\n")
        n += 1


# ---------------------------------------------------------------- system files

def memory_kb(total: List[u64]) -> None:
    """Append total and free memory in KiB: the frame allocator's, or the heap's before frames back files."""
    src = filepages.page_source
    if src is not None:
        total.append(src.frames.frame_count * PAGE_KB)
        total.append(src.frames.free_count() * PAGE_KB)
    else:
        used = heap_used()
        free = heap_free_bytes()
        total.append((used + free) >> 10)
        total.append(free >> 10)


def fill_meminfo(t: TextBuf) -> None:
    """/proc/meminfo: the frame allocator's totals; the kernel heap shows as Slab."""
    mem: List[u64] = []
    memory_kb(mem)
    slab = heap_used() >> 10
    t.kb_line(b"MemTotal", mem[0])
    t.kb_line(b"MemFree", mem[1])
    t.kb_line(b"MemAvailable", mem[1])
    t.kb_line(b"Buffers", u64(0))
    t.kb_line(b"Cached", u64(0))
    t.kb_line(b"SwapCached", u64(0))
    t.kb_line(b"Active", u64(0))
    t.kb_line(b"Inactive", u64(0))
    t.kb_line(b"Unevictable", u64(0))
    t.kb_line(b"Mlocked", u64(0))
    t.kb_line(b"SwapTotal", u64(0))
    t.kb_line(b"SwapFree", u64(0))
    t.kb_line(b"Dirty", u64(0))
    t.kb_line(b"Writeback", u64(0))
    t.kb_line(b"AnonPages", u64(0))
    t.kb_line(b"Mapped", u64(0))
    t.kb_line(b"Shmem", u64(0))
    t.kb_line(b"KReclaimable", u64(0))
    t.kb_line(b"Slab", slab)
    t.kb_line(b"SReclaimable", u64(0))
    t.kb_line(b"SUnreclaim", slab)
    t.kb_line(b"KernelStack", u64(0))
    t.kb_line(b"PageTables", u64(0))
    t.kb_line(b"CommitLimit", mem[0])
    t.kb_line(b"Committed_AS", mem[0] - mem[1])
    t.kb_line(b"VmallocTotal", u64(0))
    t.kb_line(b"VmallocUsed", u64(0))
    t.kb_line(b"Hugepagesize", u64(2048))


def fill_uptime(t: TextBuf) -> None:
    """/proc/uptime: seconds since boot and seconds idle (per CPU), both to hundredths."""
    up = monotonic_ns() // NS_PER_TICK
    t.frac2(up)
    t.byte(SP)
    t.frac2(up)
    t.byte(NL)


def fill_partitions(t: TextBuf) -> None:
    """/proc/partitions: every registered disk (no partition tables are read), sizes in 1 KiB blocks."""
    t.put(b"major minor  #blocks  name\n\n")
    for d in all_block_devices():
        t.dec_width(d.major, u64(4), SP)
        t.put(b"  ")
        t.dec_width(d.minor, u64(7), SP)
        t.byte(SP)
        t.dec_width(d.sector_count() >> 1, u64(10), SP)
        t.byte(SP)
        t.put(d.name)
        t.byte(NL)


def fill_loadavg(t: TextBuf) -> None:
    """/proc/loadavg: the 1, 5, 15 minute averages, runnable/all tasks, the last pid."""
    c: List[u64] = []
    the_provider().sched_counts(c)
    la = update_load(c[0])
    put_load(t, la.avg[0])
    t.byte(SP)
    put_load(t, la.avg[1])
    t.byte(SP)
    put_load(t, la.avg[2])
    t.byte(SP)
    t.dec(c[0])
    t.byte(u8(0x2F))
    t.dec(c[1])
    t.byte(SP)
    t.dec(c[2])
    t.byte(NL)


def fill_stat_sys(t: TextBuf) -> None:
    """/proc/stat: the cpu lines (no per-task CPU accounting yet: the time since boot counts as
    idle), interrupts, context switches, boot time, processes created, running and blocked."""
    c: List[u64] = []
    the_provider().sched_counts(c)
    up = uptime_ticks()
    for n in range(0, 2):
        if n == 0:
            t.put(b"cpu ")
        else:
            t.put(b"cpu0")
        for f in range(0, 10):
            t.byte(SP)
            t.dec(up if f == 3 else u64(0))
        t.byte(NL)
    t.put(b"intr 0\nctxt 0\nbtime ")
    t.dec((fs_now_ns() - monotonic_ns()) // u64(1000000000))
    t.put(b"\nprocesses ")
    t.dec(c[3])
    t.put(b"\nprocs_running ")
    t.dec(c[0])
    t.put(b"\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n")


def fill_cpuinfo(t: TextBuf) -> None:
    """/proc/cpuinfo: one block per CPU (one CPU)."""
    t.put(b"processor\t: 0\ncpu cores\t: 1\nsiblings\t: 1\ncore id\t\t: 0\nphysical id\t: 0\n\n")


def put_uuid(t: TextBuf, a: u64, b: u64) -> None:
    """A random (version 4) UUID from 128 bits a:b, as 8-4-4-4-12 hex digits."""
    a = (a & ~u64(0xF000)) | u64(0x4000)
    b = (b & ~(u64(0xC) << 60)) | (u64(0x8) << 60)
    t.hex_width(a >> 32, u64(8))
    t.byte(u8(0x2D))
    t.hex_width((a >> 16) & u64(0xFFFF), u64(4))
    t.byte(u8(0x2D))
    t.hex_width(a & u64(0xFFFF), u64(4))
    t.byte(u8(0x2D))
    t.hex_width(b >> 48, u64(4))
    t.byte(u8(0x2D))
    t.hex_width(b & u64(0xFFFFFFFFFFFF), u64(12))
    t.byte(NL)


def fill_cmdline(t: TextBuf) -> None:
    """/proc/cmdline: the kernel command line as the boot loader gave it (kept by cmdline_save)."""
    if cmdline_text_addr() != 0:
        p = Ptr[u8](cmdline_text_addr())
        for i in range(u64(0), cmdline_text_len()):
            t.byte(p[i])
    t.byte(NL)


def put_boot_id(t: TextBuf) -> None:
    """This boot's id (chosen at the first read, the same ever after)."""
    global boot_id
    b = boot_id
    if b is None:
        b = BootId(random_u64(), random_u64())
        boot_id = b
    put_uuid(t, b.hi, b.lo)


def fill_system(k: u32, t: TextBuf) -> None:
    """The text of system file kind k."""
    if k == G_MEMINFO:
        fill_meminfo(t)
    elif k == G_CPUINFO:
        fill_cpuinfo(t)
    elif k == G_STAT:
        fill_stat_sys(t)
    elif k == G_UPTIME:
        fill_uptime(t)
    elif k == G_LOADAVG:
        fill_loadavg(t)
    elif k == G_PARTITIONS:
        fill_partitions(t)
    elif k == G_VERSION:
        t.put(OSTYPE)
        t.put(b" version ")
        t.put(OSRELEASE)
        t.put(b" (asterpy) ")
        t.put(KVERSION)
        t.byte(NL)
    elif k == G_FILESYSTEMS:
        t.put(b"nodev\trootfs\nnodev\tramfs\nnodev\tproc\n")
        t.put(b"\text2\n")
    elif k == G_CMDLINE:
        fill_cmdline(t)
    elif k == G_HOSTNAME:
        t.put_name(uts_names().hostname)
        t.byte(NL)
    elif k == G_DOMAINNAME:
        t.put_name(uts_names().domainname)
        t.byte(NL)
    elif k == G_OSTYPE:
        t.put(OSTYPE)
        t.byte(NL)
    elif k == G_OSRELEASE:
        t.put(OSRELEASE)
        t.byte(NL)
    elif k == G_KVERSION:
        t.put(KVERSION)
        t.byte(NL)
    elif k == G_PID_MAX:
        counts: List[u64] = []
        the_provider().sched_counts(counts)
        t.dec(counts[4])
        t.byte(NL)
    elif k == G_TAINTED:
        t.put(b"0\n")
    elif k == G_OVERCOMMIT:
        t.put(b"0\n")
    elif k == G_PIPE_MAX:
        t.dec(PIPE_MAX_SIZE)
        t.byte(NL)
    elif k == G_BOOT_ID:
        put_boot_id(t)
    elif k == G_UUID:
        put_uuid(t, random_u64(), random_u64())
    else:
        raise SysError(ENOENT)


