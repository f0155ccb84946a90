"""procfs under CPython: the mount at /proc, path crossing, and the formats programs parse.

The process of the `sysc` fixture is put into the scheduler's tables with a main thread, and the
task layer's provider is registered, so /proc sees it as it would at boot.
"""

import re
from typing import Iterator, List

import pytest

from asterpy.lang import u64
from asterpy.lang.errno import EACCES, EBUSY, ENOENT, EPERM, EXDEV
from asterpy.fs import inode as fs_inode
from asterpy.fs.inode import DirInode, name_from
from asterpy.fs.initramfs import mount_boot_filesystems
from asterpy.fs.procfs import provider as proc_provider
from asterpy.task import sched
from asterpy.task.procinfo import register_proc_provider
from asterpy.task.process import Process
from asterpy.task import task as task_mod
from asterpy.task.task import Task

from fs_sim import Sys, sysc, fs_world  # noqa: F401

PROC_SUPER_MAGIC = 0x9FA0
O_RDONLY = 0
O_WRONLY = 1
O_DIRECTORY = 0o200000


class NoContext:
    """A task context that is never switched to (saving the FPU state is assembly)."""


@pytest.fixture
def proc(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sys]:  # noqa: F811
    """sysc with /proc mounted, the process (pid 1) in the tables with thread 1 named "init"."""
    monkeypatch.setattr(task_mod, "Context", NoContext)
    root = fs_inode.root_dir()
    d = DirInode(0o555, root)
    root.add(name_from(b"proc"), d)
    mount_boot_filesystems(root)
    sched.set_tables(sched.Tables())
    p = sysc.p
    t = Task(u64(1), p)
    for i, c in enumerate(b"init"):
        t.comm[i] = c
    p.threads = u64(1)
    sched.add_process(p)
    sched.add_task(t)
    sched.set_current_task(t)
    register_proc_provider()
    yield sysc
    sched.set_current_task(None)
    sched.set_tables(sched.Tables())
    proc_provider.provider = None


def read_file(s: Sys, path: bytes) -> bytes:
    """The whole text of a file (asserts success), read in small pieces."""
    fd = s.open(path, O_RDONLY)
    assert fd >= 0, (path, fd)
    out = b""
    while True:
        chunk = s.read_fd(fd, 7)
        if not chunk:
            break
        out += chunk
    assert s.call("close", fd) == 0
    return out


def readlink(s: Sys, path: bytes) -> bytes:
    """The target of a link (asserts success)."""
    buf = s.alloc(256)
    n = s.s("readlink", path, buf, 256)
    assert n >= 0, (path, n)
    return s.read(buf, n)


def test_proc_is_mounted_and_crossing_works(proc: Sys) -> None:
    """/proc is procfs (statfs magic), its root lists the pid and the system files; `..` leads back
    to the ramfs root; the mount point cannot be removed."""
    buf = proc.alloc(120)
    assert proc.s("statfs", b"/proc", buf) == 0
    assert proc.u64at(buf) == PROC_SUPER_MAGIC
    assert proc.s("statfs", b"/proc/self/status", buf) == 0
    assert proc.u64at(buf) == PROC_SUPER_MAGIC
    assert proc.s("statfs", b"/proc/..", buf) == 0
    assert proc.u64at(buf) == 0x858458F6
    names = proc.listdir(b"/proc")
    for want in (b".", b"..", b"1", b"self", b"thread-self", b"meminfo", b"uptime", b"sys", b"mounts"):
        assert want in names
    assert proc.stat(b"/proc/..")["ino"] == proc.stat(b"/")["ino"]
    assert proc.stat(b"/proc/1/..")["ino"] == proc.stat(b"/proc")["ino"]
    assert proc.stat(b"/proc")["dev"] != proc.stat(b"/")["dev"]
    assert proc.s("rmdir", b"/proc") == -EBUSY
    assert proc.s("chdir", b"/proc/self/fd") == 0
    buf = proc.alloc(64)
    n = proc.call("getcwd", buf, 64)
    assert proc.read(buf, n) == b"/proc/1/fd\0"
    assert proc.s("chdir", b"../../..") == 0
    n = proc.call("getcwd", buf, 64)
    assert proc.read(buf, n) == b"/\0"


def test_proc_refuses_changes(proc: Sys) -> None:
    """Nothing is created, removed or renamed in /proc; links across file systems are EXDEV."""
    assert proc.s("mkdir", b"/proc/x", 0o755) == -ENOENT
    assert proc.open(b"/proc/x", 0o100 | 1) == -ENOENT
    assert proc.s("unlink", b"/proc/uptime") == -EPERM
    assert proc.open(b"/proc/uptime", O_WRONLY) == -EACCES
    assert proc.open(b"/proc/nosuch", O_RDONLY) == -ENOENT
    assert proc.open(b"/proc/4242/status", O_RDONLY) == -ENOENT
    assert proc.open(b"/proc/01/status", O_RDONLY) == -ENOENT
    fd = proc.open(b"/f", 0o100 | 2)
    assert fd >= 0
    assert proc.s("link", b"/f", b"/proc/f") in (-EXDEV, -ENOENT)


def test_self_links(proc: Sys) -> None:
    """self, thread-self, exe-less process, cwd, root and fd links."""
    assert readlink(proc, b"/proc/self") == b"1"
    assert readlink(proc, b"/proc/thread-self") == b"1/task/1"
    assert readlink(proc, b"/proc/self/cwd") == b"/"
    assert readlink(proc, b"/proc/self/root") == b"/"
    assert readlink(proc, b"/proc/self/fd/0") == b"/dev/console"
    r, w = pipe(proc)
    assert readlink(proc, b"/proc/self/fd/%d" % r) == b"pipe:[%d]" % proc.fstat(r)["ino"]
    fd = proc.open(b"/tmpfile", 0o100 | 2)
    assert readlink(proc, b"/proc/self/fd/%d" % fd) == b"/tmpfile"
    fds = sorted(int(n) for n in proc.listdir(b"/proc/self/fd") if n not in (b".", b".."))
    assert fds == [0, 1, 2, r, w, fd, fd + 1]       # the last one is the listing's own
    # A magic link reaches the open file itself, even after its name is gone.
    assert proc.write(fd, b"hello") == 5
    assert proc.s("unlink", b"/tmpfile") == 0
    assert readlink(proc, b"/proc/self/fd/%d" % fd) == b"(deleted)"
    assert proc.stat(b"/proc/self/fd/%d" % fd)["size"] == 5
    assert proc.s("readlink", b"/proc/self/fd/99", proc.alloc(8), 8) == -ENOENT
    assert proc.s("readlink", b"/proc/self/exe", proc.alloc(8), 8) == -ENOENT


def pipe(s: Sys) -> List[int]:
    """pipe2: the two fds."""
    fds = s.alloc(8)
    assert s.call("pipe2", fds, 0) == 0
    return s.i32s(fds, 2)


def test_stat_fields(proc: Sys) -> None:
    """/proc/self/stat: 52 fields, pid (comm) state ppid pgrp session ..."""
    text = read_file(proc, b"/proc/self/stat").decode()
    assert text.endswith("\n")
    m = re.fullmatch(r"(\d+) \((.*)\) (\S) (.*)\n", text)
    assert m, text
    rest = m.group(4).split(" ")
    assert len(rest) + 3 == 52
    assert (m.group(1), m.group(2), m.group(3)) == ("1", "init", "R")
    assert rest[0] == "0"           # ppid
    assert rest[1] == "1" and rest[2] == "1"   # pgrp, session
    assert rest[16] == "1"          # num_threads (field 20)
    assert all(re.fullmatch(r"-?\d+", f) for f in rest)
    task = read_file(proc, b"/proc/1/task/1/stat")
    assert task.split(b" ")[:3] == [b"1", b"(init)", b"R"]


def test_status_keys(proc: Sys) -> None:
    """/proc/self/status: the keys ps, glibc and LTP read, tab-separated."""
    text = read_file(proc, b"/proc/self/status").decode()
    lines = dict(line.split(":\t", 1) for line in text.splitlines())
    assert lines["Name"] == "init"
    assert lines["State"] == "R (running)"
    assert lines["Pid"] == "1" and lines["Tgid"] == "1" and lines["PPid"] == "0"
    assert lines["Uid"] == "0\t0\t0\t0" and lines["Gid"] == "0\t0\t0\t0"
    assert lines["Threads"] == "1"
    assert lines["Umask"] == "0022"
    assert re.fullmatch(r" *\d+ kB", lines["VmRSS"])
    assert re.fullmatch(r"[0-9a-f]{16}", lines["SigBlk"])
    assert read_file(proc, b"/proc/self/comm") == b"init\n"
    statm = read_file(proc, b"/proc/self/statm").split()
    assert len(statm) == 7 and all(x.isdigit() for x in statm)


def test_maps_and_limits(proc: Sys) -> None:
    """maps has one well-formed line per VM area; limits has Linux's header and 16 rows."""
    text = read_file(proc, b"/proc/self/maps").decode()
    lines = text.splitlines()
    assert len(lines) == len(proc.p.vmas.areas) >= 1
    for line in lines:
        assert re.fullmatch(r"[0-9a-f]{8,}-[0-9a-f]{8,} [r-][w-][x-][ps] [0-9a-f]{8} [0-9a-f]{2}:[0-9a-f]{2} \d+ ( *\S.*)?", line), line
    lim = read_file(proc, b"/proc/self/limits").decode().splitlines()
    assert lim[0].split() == ["Limit", "Soft", "Limit", "Hard", "Limit", "Units"]
    assert len(lim) == 17
    assert lim[4].startswith("Max stack size            8388608              unlimited            bytes")
    assert lim[8].split()[3:5] == ["1024", "4096"]


def test_system_files(proc: Sys) -> None:
    """meminfo, uptime, loadavg, version, filesystems, mounts, sys values."""
    mem = read_file(proc, b"/proc/meminfo").decode()
    fields = {}
    for line in mem.splitlines():
        m = re.fullmatch(r"(\w+):\s+(\d+) kB", line)
        assert m, line
        fields[m.group(1)] = int(m.group(2))
    assert 0 < fields["MemFree"] <= fields["MemTotal"]
    assert mem.startswith("MemTotal:       ")
    assert re.fullmatch(r"\d+\.\d\d \d+\.\d\d\n", read_file(proc, b"/proc/uptime").decode())
    assert re.fullmatch(r"\d+\.\d\d \d+\.\d\d \d+\.\d\d 1/1 \d+\n", read_file(proc, b"/proc/loadavg").decode())
    assert read_file(proc, b"/proc/version").startswith(b"Linux version ")
    assert b"\tproc\n" in read_file(proc, b"/proc/filesystems")
    assert b"\n\text2\n" in read_file(proc, b"/proc/filesystems")
    mounts = read_file(proc, b"/proc/mounts")
    assert mounts == read_file(proc, b"/proc/self/mounts")
    assert b"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n" in mounts
    assert read_file(proc, b"/proc/sys/kernel/tainted") == b"0\n"
    assert read_file(proc, b"/proc/sys/kernel/ostype") == b"Linux\n"
    assert read_file(proc, b"/proc/sys/kernel/pid_max") == b"32768\n"
    assert read_file(proc, b"/proc/sys/vm/overcommit_memory") == b"0\n"
    assert read_file(proc, b"/proc/sys/fs/pipe-max-size") == b"1048576\n"
    b1 = read_file(proc, b"/proc/sys/kernel/random/boot_id")
    assert re.fullmatch(rb"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n", b1)
    assert read_file(proc, b"/proc/sys/kernel/random/boot_id") == b1
    stat = read_file(proc, b"/proc/stat").decode().splitlines()
    assert stat[0].startswith("cpu ") and len(stat[0].split()) == 11
    assert any(line.startswith("btime ") for line in stat)


def test_seek_and_snapshot(proc: Sys) -> None:
    """Reads walk a snapshot made at open: lseek back re-reads the same bytes."""
    fd = proc.open(b"/proc/self/status")
    first = proc.read_fd(fd, 4096)
    assert proc.call("lseek", fd, 0, 0) == 0
    assert proc.read_fd(fd, 4096) == first
    assert proc.call("lseek", fd, 0, 2) == len(first)
    assert proc.read_fd(fd, 10) == b""


def test_another_users_process(proc: Sys) -> None:
    """A process of another user: its environ, fd list and cwd link are EACCES, its status is
    readable; its own user (and root) may read them."""
    me = proc.p
    other = Process(me.frames, me.dm, me.kroot)
    other.pid = u64(2)
    other.ppid = u64(1)
    other.uid = other.ruid = other.fsuid = other.suid = u64(1000)
    other.gid = other.rgid = other.fsgid = other.sgid = u64(1000)
    t2 = Task(u64(2), other)
    for i, c in enumerate(b"other"):
        t2.comm[i] = c
    other.threads = u64(1)
    sched.add_process(other)
    sched.add_task(t2)
    assert proc.listdir(b"/proc").count(b"2") == 1
    assert read_file(proc, b"/proc/2/environ") == b""          # root may
    st = proc.stat(b"/proc/2/environ")
    assert (st["uid"], st["gid"], st["mode"] & 0o777) == (1000, 1000, 0o400)
    me.uid = me.ruid = me.fsuid = u64(2000)
    assert proc.open(b"/proc/2/environ") == -EACCES
    assert proc.open(b"/proc/2/fd", O_DIRECTORY) == -EACCES
    assert proc.s("readlink", b"/proc/2/cwd", proc.alloc(8), 8) == -EACCES
    status = read_file(proc, b"/proc/2/status")
    assert b"Name:\tother\n" in status and b"PPid:\t1\n" in status and b"Uid:\t1000\t1000\t1000\t1000\n" in status
    me.uid = me.ruid = me.fsuid = u64(1000)
    assert read_file(proc, b"/proc/2/environ") == b""
    assert readlink(proc, b"/proc/2/cwd") == b"/"
    me.uid = me.ruid = me.fsuid = u64(0)
    sched.remove_task(t2)
    sched.remove_process(other)
    assert proc.open(b"/proc/2/status") == -ENOENT
    other.free_user_memory()


def test_fdinfo_and_comm_write(proc: Sys) -> None:
    """fdinfo shows the offset, flags (O_CLOEXEC included) and inode; writing comm renames the thread."""
    fd = proc.open(b"/f", 0o100 | 0o2000000 | 2)
    assert proc.write(fd, b"12345") == 5
    info = read_file(proc, b"/proc/self/fdinfo/%d" % fd).decode()
    lines = dict(line.split(":\t") for line in info.splitlines())
    assert lines["pos"] == "5"
    assert int(lines["flags"], 8) & 0o2000003 == 0o2000002 and lines["flags"].startswith("0")
    assert lines["ino"] == str(proc.fstat(fd)["ino"])
    assert lines["mnt_id"] == "1"
    assert str(fd).encode() in proc.listdir(b"/proc/self/fdinfo")
    assert proc.open(b"/proc/self/fdinfo/77") == -ENOENT
    c = proc.open(b"/proc/self/comm", O_WRONLY)
    assert c >= 0
    assert proc.write(c, b"renamed-thread-with-a-long-name\n") == 32
    assert read_file(proc, b"/proc/self/comm") == b"renamed-thread-\n"
    assert read_file(proc, b"/proc/1/task/1/stat").startswith(b"1 (renamed-thread-) R ")


def test_dev_links_into_proc(proc: Sys) -> None:
    """/dev/fd, /dev/stdin, /dev/stdout and /dev/stderr lead to the process's own descriptors."""
    assert readlink(proc, b"/dev/fd") == b"/proc/self/fd"
    assert readlink(proc, b"/dev/stdout") == b"/proc/self/fd/1"
    fd = proc.open(b"/g", 0o100 | 2)
    assert proc.stat(b"/dev/fd/%d" % fd)["ino"] == proc.fstat(fd)["ino"]
    out = proc.open(b"/dev/stdout", O_WRONLY)
    assert out >= 0
    assert proc.write(out, b"via /dev/stdout\n") == 16
    assert b"via /dev/stdout\r\n" in bytes(proc.tty_out)   # the console maps NL to CR NL


def test_mount_and_umount(proc: Sys) -> None:
    """mount(2) of tmpfs and proc on directories, crossing into them, EXDEV between file systems,
    /proc/mounts, umount2 and the errors."""
    assert proc.s("mkdir", b"/mnt", 0o755) == 0
    assert proc.s("mkdir", b"/mnt2", 0o755) == 0
    assert proc.s("mount", b"none", b"/mnt", b"tmpfs", 2 | 8, 0) == 0      # nosuid, noexec
    buf = proc.alloc(120)
    assert proc.s("statfs", b"/mnt", buf) == 0 and proc.u64at(buf) == 0x01021994
    assert proc.stat(b"/mnt")["mode"] & 0o7777 == 0o1777
    fd = proc.open(b"/mnt/a", 0o100 | 2)
    assert fd >= 0 and proc.write(fd, b"x") == 1
    assert proc.stat(b"/mnt/a")["dev"] == proc.stat(b"/mnt")["dev"] != proc.stat(b"/")["dev"]
    assert proc.s("rename", b"/mnt/a", b"/b") == -EXDEV
    assert proc.s("link", b"/mnt/a", b"/b") == -EXDEV
    assert proc.s("rename", b"/mnt/a", b"/mnt/b") == 0
    assert proc.stat(b"/mnt/..")["ino"] == proc.stat(b"/")["ino"]
    assert b"none /mnt tmpfs rw,nosuid,noexec,relatime 0 0\n" in read_file(proc, b"/proc/mounts")
    assert proc.s("mount", b"proc", b"/mnt2", b"proc", 0, 0) == 0
    assert b"1" in proc.listdir(b"/mnt2")
    assert readlink(proc, b"/mnt2/self") == b"1"
    assert proc.s("rmdir", b"/mnt") == -EBUSY
    assert proc.s("mount", b"x", b"/mnt2/..", b"nosuchfs", 0, 0) == -19      # ENODEV
    assert proc.s("mount", b"x", b"/mnt/b", b"tmpfs", 0, 0) == -20           # ENOTDIR
    assert proc.s("mount", b"x", b"/mnt", b"tmpfs", 32, 0) == -22            # MS_REMOUNT: EINVAL
    assert proc.s("umount2", b"/", 0) == -22
    assert proc.s("umount2", b"/mnt2", 0) == 0
    assert proc.listdir(b"/mnt2") == [b".", b".."]
    proc.p.uid = proc.p.fsuid = u64(1000)
    assert proc.s("umount2", b"/mnt", 0) == -EPERM
    assert proc.s("mount", b"none", b"/mnt2", b"tmpfs", 0, 0) == -EPERM
    proc.p.uid = proc.p.fsuid = u64(0)
    assert proc.s("umount2", b"/mnt", 0) == 0
    assert proc.s("stat", b"/mnt/b", proc.alloc(144)) == -ENOENT
    assert proc.stat(b"/mnt")["dev"] == proc.stat(b"/")["dev"]
    assert proc.s("rmdir", b"/mnt") == 0
    # The open file of the unmounted tmpfs still works.
    assert proc.call("lseek", fd, 0, 0) == 0 and proc.read_fd(fd, 4) == b"x"


def test_pseudo_terminal(proc: Sys) -> None:
    """/dev/ptmx gives a master, /dev/pts/N the slave once unlocked: input through the line
    discipline with echo, output with ONLCR, and the hang-up when the master closes."""
    O_RDWR, O_NOCTTY = 2, 0o400
    m = proc.open(b"/dev/ptmx", O_RDWR | O_NOCTTY)
    assert m >= 0
    arg = proc.alloc(4)
    assert proc.call("ioctl", m, 0x80045430, arg) == 0            # TIOCGPTN
    n = proc.i32s(arg, 1)[0]
    assert n == 0 and b"0" in proc.listdir(b"/dev/pts")
    assert proc.open(b"/dev/pts/0", O_RDWR) == -5                # EIO: still locked
    uwrite_zero = proc.put(b"\0\0\0\0")
    assert proc.call("ioctl", m, 0x40045431, uwrite_zero) == 0   # TIOCSPTLCK 0: unlockpt
    s = proc.open(b"/dev/pts/0", O_RDWR | O_NOCTTY)
    assert s >= 0
    st = proc.stat(b"/dev/pts/0")
    assert st["mode"] == 0o20620 and st["rdev"] == (136 << 8) | 0
    assert proc.write(m, b"hi\n") == 3
    assert proc.read_fd(s, 100) == b"hi\n"
    assert proc.read_fd(m, 100) == b"hi\r\n"                     # the echo
    assert proc.write(s, b"out\n") == 4
    assert proc.read_fd(m, 100) == b"out\r\n"
    buf = proc.alloc(120)
    assert proc.s("statfs", b"/dev/pts", buf) == 0 and proc.u64at(buf) == 0x1CD1
    assert proc.call("close", m) == 0
    assert proc.read_fd(s, 10) == b""                            # hung up: end of file
    assert proc.write(s, b"x") == -5                             # EIO
    assert proc.call("close", s) == 0
    assert proc.listdir(b"/dev/pts") == [b".", b".."]


def test_partitions_lists_registered_disks(proc: Sys, monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc/partitions: the header, then one line per registered disk in 1 KiB blocks (Linux's columns)."""
    from asterpy.drivers import block
    from asterpy.lang import u64
    monkeypatch.setattr(block, "block_devices", None)
    assert read_file(proc, b"/proc/partitions") == b"major minor  #blocks  name\n\n"
    block.register_block_device(block.RamDisk(b"ram0", u64(0), u64(8)))
    block.register_block_device(block.RamDisk(b"ram1", u64(1), u64(2048)))
    assert read_file(proc, b"/proc/partitions") == (b"major minor  #blocks  name\n\n"
                                                    b"   1        0          4 ram0\n"
                                                    b"   1        1       1024 ram1\n")
