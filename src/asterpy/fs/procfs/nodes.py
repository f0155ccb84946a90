"""procfs's tree: directories and files made on lookup from what they stand for (a kind, a pid, a tid).

Nothing is stored: /proc/1234 exists while process 1234 does. A ProcDir answers lookup and
getdents from `children_of` (fixed names, or the live pids, tids and fds); a ProcNode is a file
whose text `content.fill` writes when it is opened; a ProcLink is a link whose target is worked
out when it is looked up (and for the magic links exe, cwd, root and fd/N, the object it reaches).
"""

from typing import Final

from asterpy.lang import List, SysError, u8, u32, u64
from asterpy.lang.errno import EACCES, ENOENT, EPERM
from asterpy.fs.epoll import EpollFile
from asterpy.fs.eventfd import EventFile
from asterpy.fs.file import File
from asterpy.fs.inode import DirInode, FifoInode, Inode, SymlinkInode, name_is, root_dir
from asterpy.fs.mount import dir_names_up, dir_path, join_names, mounted_on
from asterpy.fs.pipe import NamedFifo
from asterpy.fs.socketpair import StreamEnd
from asterpy.fs.mode import DT_DIR, DT_LNK, DT_REG, S_IFREG
from asterpy.fs.procfs.provider import ProcInfo, the_provider
from asterpy.fs.superblock import PROC_SUPER_MAGIC, ST_NODEV, ST_NOEXEC, ST_NOSUID, ST_RELATIME, SuperBlock

# Directory kinds.
D_ROOT: Final = u32(1)
D_PID: Final = u32(2)          # /proc/PID
D_TASKS: Final = u32(3)        # /proc/PID/task
D_TID: Final = u32(4)          # /proc/PID/task/TID
D_FD: Final = u32(5)           # /proc/PID/fd
D_SYS: Final = u32(6)
D_SYS_KERNEL: Final = u32(7)
D_SYS_RANDOM: Final = u32(8)
D_SYS_VM: Final = u32(9)
D_SYS_FS: Final = u32(10)
D_FDINFO: Final = u32(11)      # /proc/PID/fdinfo
# Per-process files (in /proc/PID and /proc/PID/task/TID).
F_STAT: Final = u32(20)
F_STATUS: Final = u32(21)
F_STATM: Final = u32(22)
F_CMDLINE: Final = u32(23)
F_ENVIRON: Final = u32(24)
F_COMM: Final = u32(25)
F_MAPS: Final = u32(26)
F_LIMITS: Final = u32(27)
F_MOUNTS: Final = u32(28)
F_MOUNTINFO: Final = u32(29)
F_FDINFO: Final = u32(30)      # /proc/PID/fdinfo/N
# Links.
L_EXE: Final = u32(40)
L_CWD: Final = u32(41)
L_ROOT: Final = u32(42)
L_FD: Final = u32(43)          # /proc/PID/fd/N
L_SELF: Final = u32(44)
L_THREAD_SELF: Final = u32(45)
L_MOUNTS: Final = u32(46)      # /proc/mounts -> self/mounts
# System files.
G_MEMINFO: Final = u32(60)
G_CPUINFO: Final = u32(61)
G_STAT: Final = u32(62)
G_UPTIME: Final = u32(63)
G_LOADAVG: Final = u32(64)
G_VERSION: Final = u32(65)
G_FILESYSTEMS: Final = u32(66)
G_CMDLINE: Final = u32(67)
G_HOSTNAME: Final = u32(68)
G_OSTYPE: Final = u32(69)
G_OSRELEASE: Final = u32(70)
G_PID_MAX: Final = u32(71)
G_TAINTED: Final = u32(72)
G_BOOT_ID: Final = u32(73)
G_UUID: Final = u32(74)
G_OVERCOMMIT: Final = u32(75)
G_PIPE_MAX: Final = u32(76)
G_KVERSION: Final = u32(77)    # sys/kernel/version
G_PARTITIONS: Final = u32(78)
G_DOMAINNAME: Final = u32(79)  # sys/kernel/domainname

ROOT_INO: Final = u64(1)
# Inode numbers: a pid's entries are pid * PID_INO_STRIDE + kind, a thread's add TID_INO_FLAG,
# fd links add FD_INO_BASE + the fd, fdinfo files FDINFO_INO_BASE + the fd; system entries are their kind.
PID_INO_STRIDE: Final = u64(1) << 20
TID_INO_FLAG: Final = u64(1) << 19
FD_INO_BASE: Final = u64(1) << 10
FDINFO_INO_BASE: Final = u64(1) << 13
PROC_DEV_MINOR: Final = u32(20)

proc_sb: SuperBlock | None = None


def proc_super() -> SuperBlock:
    """The superblock every procfs inode points at (PROC_SUPER_MAGIC, device 0:20)."""
    global proc_sb
    s = proc_sb
    if s is None:
        s = SuperBlock(b"proc", PROC_SUPER_MAGIC, PROC_DEV_MINOR, ST_RELATIME)
        proc_sb = s
    return s


def is_dir_kind(k: u32) -> bool:
    """Whether kind k is a directory."""
    return k >= D_ROOT and k <= D_FDINFO


def is_link_kind(k: u32) -> bool:
    """Whether kind k is a symbolic link."""
    return k >= L_EXE and k <= L_MOUNTS


def dtype_of_kind(k: u32) -> u32:
    """The getdents d_type of kind k."""
    if is_dir_kind(k):
        return DT_DIR
    if is_link_kind(k):
        return DT_LNK
    return DT_REG


def decimal_name(v: u64) -> bytearray:
    """v's decimal digits as a name."""
    n = u64(1)
    t = v
    while t >= 10:
        t = t // 10
        n += 1
    out = bytearray(int(n))
    i = n
    t = v
    while i > 0:
        i -= 1
        out[i] = u8(0x30 + t % 10)
        t = t // 10
    return out


def parse_decimal(name: bytearray) -> u64:
    """The number a name of decimal digits spells (no sign, no leading zero, below 2^32), else 0."""
    n = len(name)
    if n == 0 or n > 10 or (name[0] == 0x30 and n > 1):
        return u64(0)
    v = u64(0)
    for c in name:
        if c < 0x30 or c > 0x39:
            return u64(0)
        v = v * 10 + u64(c - 0x30)
    if v >= u64(1) << 32:
        return u64(0)
    return v


def bytes_name(s: bytes) -> bytearray:
    """A name with the bytes of s."""
    out = bytearray(len(s))
    for i in range(0, len(s)):
        out[i] = s[i]
    return out


class Children:
    """A directory's listing: names with their kinds and numbers (pid, tid or fd)."""

    names: List[bytearray]
    kinds: List[u32]
    nums: List[u64]

    def __init__(self) -> None:
        """Empty."""
        self.names = []
        self.kinds = []
        self.nums = []

    def add(self, name: bytes, kind: u32) -> None:
        """A fixed entry."""
        self.names.append(bytes_name(name))
        self.kinds.append(kind)
        self.nums.append(u64(0))

    def add_num(self, num: u64, kind: u32) -> None:
        """An entry named by a number."""
        self.names.append(decimal_name(num))
        self.kinds.append(kind)
        self.nums.append(num)


def add_process_files(c: Children, whole_process: bool) -> None:
    """The entries of /proc/PID (whole_process) or /proc/PID/task/TID."""
    c.add(b"cmdline", F_CMDLINE)
    c.add(b"comm", F_COMM)
    c.add(b"cwd", L_CWD)
    c.add(b"environ", F_ENVIRON)
    c.add(b"exe", L_EXE)
    c.add(b"fd", D_FD)
    c.add(b"fdinfo", D_FDINFO)
    c.add(b"limits", F_LIMITS)
    c.add(b"maps", F_MAPS)
    c.add(b"mountinfo", F_MOUNTINFO)
    c.add(b"mounts", F_MOUNTS)
    c.add(b"root", L_ROOT)
    c.add(b"stat", F_STAT)
    c.add(b"statm", F_STATM)
    c.add(b"status", F_STATUS)
    if whole_process:
        c.add(b"task", D_TASKS)


def children_of(d: "ProcDir") -> Children:
    """The current entries of directory d (ENOENT once its process is gone)."""
    c = Children()
    pp = the_provider()
    k = d.dkind
    if k == D_ROOT:
        c.add(b"cmdline", G_CMDLINE)
        c.add(b"cpuinfo", G_CPUINFO)
        c.add(b"filesystems", G_FILESYSTEMS)
        c.add(b"loadavg", G_LOADAVG)
        c.add(b"meminfo", G_MEMINFO)
        c.add(b"mounts", L_MOUNTS)
        c.add(b"partitions", G_PARTITIONS)
        c.add(b"self", L_SELF)
        c.add(b"stat", G_STAT)
        c.add(b"sys", D_SYS)
        c.add(b"thread-self", L_THREAD_SELF)
        c.add(b"uptime", G_UPTIME)
        c.add(b"version", G_VERSION)
        pids: List[u64] = []
        pp.pids(pids)
        for pid in pids:
            c.add_num(pid, D_PID)
    elif k == D_PID:
        add_process_files(c, True)
    elif k == D_TID:
        add_process_files(c, False)
    elif k == D_TASKS:
        tids: List[u64] = []
        if not pp.tids(d.pid, tids):
            raise SysError(ENOENT)
        for tid in tids:
            c.add_num(tid, D_TID)
    elif k == D_FD or k == D_FDINFO:
        files = pp.files(d.pid)
        for fd in range(u64(0), u64(len(files.fds))):
            if files.fds[fd] is not None:
                c.add_num(fd, L_FD if k == D_FD else F_FDINFO)
    elif k == D_SYS:
        c.add(b"fs", D_SYS_FS)
        c.add(b"kernel", D_SYS_KERNEL)
        c.add(b"vm", D_SYS_VM)
    elif k == D_SYS_KERNEL:
        c.add(b"domainname", G_DOMAINNAME)
        c.add(b"hostname", G_HOSTNAME)
        c.add(b"osrelease", G_OSRELEASE)
        c.add(b"ostype", G_OSTYPE)
        c.add(b"pid_max", G_PID_MAX)
        c.add(b"random", D_SYS_RANDOM)
        c.add(b"tainted", G_TAINTED)
        c.add(b"version", G_KVERSION)
    elif k == D_SYS_RANDOM:
        c.add(b"boot_id", G_BOOT_ID)
        c.add(b"uuid", G_UUID)
    elif k == D_SYS_VM:
        c.add(b"overcommit_memory", G_OVERCOMMIT)
    elif k == D_SYS_FS:
        c.add(b"pipe-max-size", G_PIPE_MAX)
    return c


def node_ino(kind: u32, pid: u64, tid: u64, num: u64) -> u64:
    """The inode number of an entry (stable while its process lives)."""
    if kind == D_ROOT:
        return ROOT_INO
    base = pid * PID_INO_STRIDE
    if tid != 0:
        base += TID_INO_FLAG + (tid % u64(2048)) * u64(256)
    if kind == L_FD:
        return base + FD_INO_BASE + num
    if kind == F_FDINFO:
        return base + FDINFO_INO_BASE + num
    return base + u64(kind)


def ids_allow(who: ProcInfo) -> bool:
    """Whether the caller may look inside process `who` (its exe, cwd, root, fds): root or the same user."""
    me = the_provider().caller_uid()
    return me == 0 or (me == who.euid and me == who.ruid)


class ProcDir(DirInode):
    """A procfs directory of kind dkind, for process pid (and thread tid), called name in its parent."""

    dkind: u32
    pid: u64
    tid: u64
    name: bytearray
    up: "ProcDir | None"    # the parent, held strongly: nothing else keeps a made-up directory alive

    def __init__(self, dkind: u32, pid: u64, tid: u64, parent: "ProcDir | None", name: bytearray, perm: u32) -> None:
        """A directory of kind dkind below parent (None: the root)."""
        DirInode.__init__(self, perm, parent)
        self.dkind = dkind
        self.pid = pid
        self.tid = tid
        self.name = name
        self.up = parent
        self.sb = proc_super()
        self.ino = node_ino(dkind, pid, tid, u64(0))

    def parent_dir(self) -> DirInode:
        """The directory this one was found in (itself for the root)."""
        u = self.up
        if u is None:
            return self
        return u

    def lookup(self, name: bytearray) -> Inode | None:
        """The entry called name, made now (None if there is none)."""
        if name_is(name, b".") or name_is(name, b".."):
            return DirInode.lookup(self, name)
        try:
            if self.dkind == D_ROOT:
                pid = parse_decimal(name)
                if pid != 0:
                    tids: List[u64] = []
                    if not the_provider().tids(pid, tids):
                        return None
                    return make_node(self, D_PID, pid, u64(0), u64(0), name)
            elif self.dkind == D_TASKS:
                tid = parse_decimal(name)
                tids2: List[u64] = []
                if tid == 0 or not the_provider().tids(self.pid, tids2) or tid not in tids2:
                    return None
                return make_node(self, D_TID, self.pid, tid, u64(0), name)
            elif self.dkind == D_FD or self.dkind == D_FDINFO:
                fd = parse_decimal(name)
                if fd == 0 and not name_is(name, b"0"):
                    return None
                files = the_provider().files(self.pid)
                if fd >= u64(len(files.fds)) or files.fds[fd] is None:
                    return None
                kind = L_FD if self.dkind == D_FD else F_FDINFO
                return make_node(self, kind, self.pid, self.tid, fd, name)
            c = children_of(self)
            for i in range(0, len(c.names)):
                if c.kinds[i] != L_FD and c.kinds[i] != F_FDINFO and c.kinds[i] != D_PID and c.kinds[i] != D_TID:
                    if name_is_name(c.names[i], name):
                        return make_node(self, c.kinds[i], self.pid, self.tid, u64(0), name)
        except SysError as e:
            if e.errno == EACCES:
                raise
            # The process went away while we looked.
            return None
        return None

    def add(self, name: bytearray, inode: Inode) -> None:
        """Nothing can be created in /proc (Linux answers ENOENT)."""
        raise SysError(ENOENT)

    def remove(self, name: bytearray) -> Inode | None:
        """Nothing can be removed from /proc."""
        raise SysError(EPERM)

    def detach(self, name: bytearray) -> "Dentry | None":
        """Nothing can be renamed in /proc."""
        raise SysError(EPERM)

    def is_empty(self) -> bool:
        """A procfs directory is never empty (and never removed)."""
        return False

    def child_name(self, child: Inode) -> bytearray | None:
        """The name of a subdirectory made by this one."""
        if isinstance(child, ProcDir):
            if child.parent_dir() is self:
                return child.name
        return None


def name_is_name(a: bytearray, b: bytearray) -> bool:
    """Whether two names are equal."""
    if len(a) != len(b):
        return False
    for i in range(0, len(a)):
        if a[i] != b[i]:
            return False
    return True


class ProcNode(Inode):
    """A procfs file of kind fkind for process pid (thread tid; 0 for the whole process or none)."""

    fkind: u32
    pid: u64
    tid: u64
    num: u64            # the fd of an fdinfo file

    def __init__(self, fkind: u32, pid: u64, tid: u64, num: u64, perm: u32) -> None:
        """A text file of kind fkind."""
        Inode.__init__(self, S_IFREG | perm)
        self.fkind = fkind
        self.pid = pid
        self.tid = tid
        self.num = num
        self.sb = proc_super()
        self.ino = node_ino(fkind, pid, tid, num)


class ProcLink(SymlinkInode):
    """A procfs link: its target text, and for magic links the inode it leads to."""

    jump: Inode | None

    def __init__(self, target: bytearray, jump: Inode | None) -> None:
        """A link showing target that leads to jump (None: resolve target as a path)."""
        SymlinkInode.__init__(self, target)
        self.jump = jump
        self.sb = proc_super()

    def jump_target(self) -> Inode | None:
        """The object a magic link leads to."""
        return self.jump


def make_node(parent: ProcDir, kind: u32, pid: u64, tid: u64, num: u64, name: bytearray) -> Inode:
    """The inode of entry `name` of kind in parent (ESRCH/ENOENT when its process is gone, EACCES)."""
    pp = the_provider()
    uid = u32(0)
    gid = u32(0)
    who: ProcInfo | None = None
    if pid != 0:
        w = pp.owner(pid)
        uid = u32(w.euid)
        gid = u32(w.egid)
        who = w
    ino: Inode | None = None
    if is_dir_kind(kind):
        perm = u32(0o555)
        if kind == D_FD or kind == D_FDINFO:
            perm = u32(0o500)
        ino = ProcDir(kind, pid, tid, parent, name, perm)
    elif is_link_kind(kind):
        ino = make_link(kind, pid, tid, num, who)
    else:
        perm = u32(0o444)
        if kind == F_ENVIRON:
            perm = u32(0o400)
        elif kind == F_COMM:
            perm = u32(0o644)
        ino = ProcNode(kind, pid, tid, num, perm)
    ino.uid = uid
    ino.gid = gid
    ino.ino = node_ino(kind, pid, tid, num)
    return ino


def make_link(kind: u32, pid: u64, tid: u64, num: u64, who: ProcInfo | None) -> ProcLink:
    """A link of kind (self, thread-self, mounts, exe, cwd, root, fd/N) with its target now."""
    pp = the_provider()
    if kind == L_SELF:
        me = pp.caller_pid()
        if me == 0:
            raise SysError(ENOENT)
        return ProcLink(decimal_name(me), None)
    if kind == L_THREAD_SELF:
        me = pp.caller_pid()
        if me == 0:
            raise SysError(ENOENT)
        t = decimal_name(me)
        for c in b"/task/":
            t.append(c)
        for c in decimal_name(pp.caller_tid()):
            t.append(c)
        return ProcLink(t, None)
    if kind == L_MOUNTS:
        return ProcLink(bytes_name(b"self/mounts"), None)
    if who is None or not ids_allow(who):
        raise SysError(EACCES)
    return magic_link(kind, pid, num)


from asterpy.fs.inode import Dentry  # noqa: E402  (for the annotation above)


def new_proc_root() -> ProcDir:
    """The root directory of a new procfs instance (every instance shows the same processes)."""
    return ProcDir(D_ROOT, u64(0), u64(0), None, bytearray(0), u32(0o555))


def mount_proc(mountpoint: DirInode) -> None:
    """Mount a procfs over directory mountpoint (at boot, on /proc: nosuid, nodev, noexec as init
    systems mount it)."""
    mount_at(mountpoint, new_proc_root(), bytes_name(b"proc"), ST_NOSUID | ST_NODEV | ST_NOEXEC)


from asterpy.fs.mount import mount_at  # noqa: E402


# ---------------------------------------------------------------- the magic links
# exe, cwd, root and fd/N, with the names Linux shows for them. A file does not remember the path
# it was opened by (the ramfs has no dentries), so a regular file's name is found by searching the
# tree for its inode (only done when /proc is read); a file no directory lists any more shows as
# "(deleted)". Pipes, sockets and anonymous files get Linux's "pipe:[ino]", "socket:[ino]" and
# "anon_inode:[...]" names.

def find_in_tree(target: Inode, top: DirInode) -> bytearray | None:
    """The absolute path of a name for target somewhere below top (a breadth-first search over the
    directories, mounted file systems included through their roots), None if none names it."""
    if target is top:
        return dir_path(top, root_dir())
    todo: List[DirInode] = [top]
    i = 0
    while i < len(todo):
        d = todo[i]
        i += 1
        for e in d.slots:
            if e is None:
                continue
            if e.inode is target:
                names: List[bytearray] = []
                if not dir_names_up(d, root_dir(), names):
                    return None
                return join_names(names, e.name)
            sub = e.inode
            if isinstance(sub, DirInode):
                todo.append(mounted_on(sub))
    return None


def inode_path(ino: Inode) -> bytearray:
    """The path a link to ino shows: its absolute name, or "(deleted)" when no directory lists it."""
    if isinstance(ino, DirInode):
        try:
            return dir_path(ino, root_dir())
        except SysError:
            return bytes_name(b"(deleted)")
    p = find_in_tree(ino, root_dir())
    if p is None:
        return bytes_name(b"(deleted)")
    return p


def bracketed(prefix: bytes, num: u64) -> bytearray:
    """prefix + "[" + num + "]", as in pipe:[1234]."""
    out = bytes_name(prefix)
    out.append(0x5B)
    for c in decimal_name(num):
        out.append(c)
    out.append(0x5D)
    return out


def file_link_name(f: File) -> bytearray:
    """What /proc/PID/fd/N shows for the open file f."""
    if isinstance(f, StreamEnd):
        return bracketed(b"socket:", f.inode.ino)
    if isinstance(f, EventFile):
        return bytes_name(b"anon_inode:[eventfd]")
    if isinstance(f, EpollFile):
        return bytes_name(b"anon_inode:[eventpoll]")
    ino = f.inode
    if isinstance(ino, FifoInode) and not isinstance(ino, NamedFifo):
        return bracketed(b"pipe:", ino.ino)
    return inode_path(ino)


def magic_link(kind: u32, pid: u64, num: u64) -> ProcLink:
    """The exe, cwd, root or fd/N link of process pid (ENOENT when there is nothing to point at)."""
    pp = the_provider()
    if kind == L_EXE:
        exe = pp.exe(pid)
        return ProcLink(inode_path(exe), exe)
    if kind == L_CWD:
        cwd = pp.fs_context(pid).cwd
        return ProcLink(inode_path(cwd), cwd)
    if kind == L_ROOT:
        r = pp.fs_context(pid).root
        return ProcLink(inode_path(r), r)
    if kind == L_FD:
        files = pp.files(pid)
        if num >= u64(len(files.fds)):
            raise SysError(ENOENT)
        f = files.fds[num]
        if f is None:
            raise SysError(ENOENT)
        return ProcLink(file_link_name(f), f.inode)
    raise SysError(ENOENT)


