"""Metadata syscalls (stat, statx, access, chmod, chown, utimensat, statfs), the initramfs unpacker,
exec_open/read_inode_at, and descriptor tables across fork and exec."""

import pytest

from asterpy.lang import SysError, memory, u32, u64
from asterpy.lang.errno import EACCES, EBADF, EFAULT, EINVAL, ELOOP, ENOENT, ENOTDIR, EPERM, ERANGE
from asterpy.fs.exec_file import exec_open, read_inode_at
from asterpy.fs.inode import RegInode, root_dir
from asterpy.fs.initramfs import init_root_from_initramfs

from fs_sim import AT_FDCWD, Sys, fs_world, newc, place, sysc  # noqa: F401

O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_CLOEXEC, O_PATH = 0, 1, 2, 0o100, 0o2000000, 0o10000000
AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH = 0x100, 0x1000


def test_stat_family(sysc: Sys) -> None:
    """fstat/stat agree; newfstatat AT_EMPTY_PATH; statx fields; flag and pointer errors."""
    fd = sysc.open(b"/s", O_CREAT | O_RDWR, 0o644)
    sysc.write(fd, b"12345")
    st = sysc.stat(b"/s")
    assert st == sysc.fstat(fd)
    assert st["size"] == 5 and st["blksize"] == 4096 and st["blocks"] == 8
    buf = sysc.alloc(256)
    assert sysc.s("newfstatat", fd, b"", buf, AT_EMPTY_PATH) == 0
    assert sysc.s("newfstatat", fd, b"", buf, 0) == -ENOENT
    assert sysc.s("newfstatat", AT_FDCWD, b"/s", buf, 0x1) == -EINVAL
    assert sysc.s("newfstatat", AT_FDCWD, b"/s", 0x10, 0) == -EFAULT
    assert sysc.s("statx", AT_FDCWD, b"/s", 0, 0x7FF, buf) == 0
    raw = sysc.read(buf, 256)
    assert int.from_bytes(raw[0:4], "little") & 0x7FF == 0x7FF
    assert int.from_bytes(raw[28:30], "little") == 0o100644
    assert int.from_bytes(raw[32:40], "little") == st["ino"]
    assert int.from_bytes(raw[40:48], "little") == 5
    assert sysc.s("statx", AT_FDCWD, b"/s", 0x80000000, 0x7FF, buf) == -EINVAL
    assert sysc.s("statx", AT_FDCWD, b"/s", 0, 0x80000000, buf) == -EINVAL
    assert sysc.s("statx", fd, b"", AT_EMPTY_PATH, 0x7FF, buf) == 0
    assert sysc.call("fstat", 99, buf) == -EBADF


def test_access_and_chmod(sysc: Sys) -> None:
    """access for root: R/W always, X needs an x bit; chmod/fchmod/fchmodat."""
    sysc.call("close", sysc.open(b"/ac", O_CREAT | O_WRONLY, 0o640))
    assert sysc.s("access", b"/ac", 0) == 0
    assert sysc.s("access", b"/ac", 6) == 0
    assert sysc.s("access", b"/ac", 1) == -EACCES
    assert sysc.s("access", b"/nope", 0) == -ENOENT
    assert sysc.s("faccessat", AT_FDCWD, b"/ac", 0x10) == -EINVAL
    assert sysc.s("faccessat2", AT_FDCWD, b"/ac", 0, 0x1) == -EINVAL
    assert sysc.s("chmod", b"/ac", 0o750) == 0
    assert sysc.s("access", b"/ac", 1) == 0
    assert sysc.stat(b"/ac")["mode"] == 0o100750
    fd = sysc.open(b"/ac", O_RDONLY)
    assert sysc.call("fchmod", fd, 0o604) == 0
    assert sysc.stat(b"/ac")["mode"] & 0o7777 == 0o604
    assert sysc.s("fchmodat", AT_FDCWD, b"/ac", 0o600) == 0
    assert sysc.stat(b"/ac")["mode"] & 0o7777 == 0o600


def test_permissions_for_a_user(sysc: Sys) -> None:
    """A non-root process: EACCES without permission, EPERM changing others' files."""
    sysc.call("close", sysc.open(b"/root_only", O_CREAT | O_WRONLY, 0o600))
    sysc.s("mkdir", b"/locked", 0o700)
    sysc.p.uid = sysc.p.fsuid = u64(1000)
    sysc.p.gid = sysc.p.fsgid = u64(1000)
    assert sysc.open(b"/root_only", O_RDONLY) == -EACCES
    assert sysc.open(b"/locked/x", O_CREAT | O_WRONLY) == -EACCES
    assert sysc.s("chmod", b"/root_only", 0o777) == -EPERM
    assert sysc.s("chown", b"/root_only", 1000, 1000) == -EPERM
    assert sysc.s("mkdir", b"/mine", 0o755) == -EACCES     # / is 0755 root
    sysc.p.uid = sysc.p.fsuid = u64(0)
    assert sysc.s("chown", b"/root_only", 1000, 1000) == 0
    sysc.p.uid = sysc.p.fsuid = u64(1000)
    assert sysc.open(b"/root_only", O_RDONLY) >= 0
    assert sysc.stat(b"/root_only")["uid"] == 1000


def test_chown_keeps_minus_one_and_clears_setuid(sysc: Sys) -> None:
    """-1 keeps a field; changing the owner drops S_ISUID; lchown changes the link itself."""
    sysc.call("close", sysc.open(b"/f", O_CREAT | O_WRONLY, 0o4755))
    assert sysc.stat(b"/f")["mode"] == 0o104755
    assert sysc.s("chown", b"/f", 5, 0xFFFFFFFF) == 0
    st = sysc.stat(b"/f")
    assert st["uid"] == 5 and st["gid"] == 0 and st["mode"] == 0o100755
    sysc.s("symlink", b"/f", b"/l")
    assert sysc.s("lchown", b"/l", 7, 7) == 0
    assert sysc.stat(b"/l", follow=False)["uid"] == 7 and sysc.stat(b"/f")["uid"] == 5
    assert sysc.s("fchownat", AT_FDCWD, b"/f", 0, 0, 0x1) == -EINVAL


def test_utimensat(sysc: Sys) -> None:
    """Explicit times, UTIME_OMIT, bad nanoseconds, a NULL path for the fd's own file."""
    fd = sysc.open(b"/t", O_CREAT | O_RDWR)
    ts = sysc.put((100).to_bytes(8, "little") + (5).to_bytes(8, "little")
                  + (200).to_bytes(8, "little") + (0x3FFFFFFE).to_bytes(8, "little"))
    before = sysc.stat(b"/t")
    assert sysc.s("utimensat", AT_FDCWD, b"/t", ts, 0) == 0
    st = sysc.stat(b"/t")
    assert st["atime"] == 100 and st["atime_nsec"] == 5 and st["mtime"] == before["mtime"]
    bad = sysc.put((1).to_bytes(8, "little") + (10**9).to_bytes(8, "little") + b"\0" * 16)
    assert sysc.s("utimensat", AT_FDCWD, b"/t", bad, 0) == -EINVAL
    assert sysc.call("utimensat", fd, 0, ts, 0) == 0
    assert sysc.s("utimensat", AT_FDCWD, b"/t", 0x10, 0) == -EFAULT
    assert sysc.s("utimensat", AT_FDCWD, b"/t", 0, 0x1) == -EINVAL


def test_statfs_truncate_umask(sysc: Sys) -> None:
    """statfs reports the ramfs magic; truncate by path; umask keeps 0777 bits only."""
    buf = sysc.alloc(120)
    assert sysc.s("statfs", b"/", buf) == 0
    assert int.from_bytes(sysc.read(buf, 8), "little") == 0x858458F6
    assert sysc.call("fstatfs", 0, buf) == 0
    assert sysc.call("fstatfs", 0, 0x10) == -EFAULT
    fd = sysc.open(b"/f", O_CREAT | O_RDWR)
    sysc.write(fd, b"abcdef")
    assert sysc.s("truncate", b"/f", 2) == 0
    assert sysc.stat(b"/f")["size"] == 2
    assert sysc.s("truncate", b"/f", -1) == -EINVAL
    assert sysc.s("truncate", b"/", 0) == -21              # EISDIR
    assert sysc.call("umask", 0o7777) == 0o022
    assert sysc.call("umask", 0o022) == 0o777


def test_getdents_small_buffers(sysc: Sys) -> None:
    """A 48-byte buffer still returns every entry, one at a time; 8 bytes is EINVAL."""
    sysc.s("mkdir", b"/gd", 0o755)
    for n in (b"a", b"bb", b"ccc"):
        sysc.call("close", sysc.open(b"/gd/" + n, O_CREAT | O_WRONLY))
    fd = sysc.open(b"/gd", 0o200000)
    buf = sysc.alloc(64)
    assert sysc.call("getdents64", fd, buf, 8) == -EINVAL
    total = 0
    while True:
        r = sysc.call("getdents64", fd, buf, 48)
        assert r >= 0
        if r == 0:
            break
        off = 0
        while off < r:
            off += int.from_bytes(sysc.read(buf + off + 16, 2), "little")
            total += 1
    assert total == 5
    assert sysc.call("getdents64", fd, buf, 48) == 0
    assert sysc.call("lseek", fd, 0, 0) == 0
    assert sysc.call("getdents64", fd, 0x10, 64) == -EFAULT


def test_o_path_and_cloexec(sysc: Sys) -> None:
    """O_PATH fds allow fstat and *at() but no I/O; close_on_exec drops O_CLOEXEC fds."""
    sysc.s("mkdir", b"/d", 0o755)
    pfd = sysc.open(b"/d", O_PATH)
    assert sysc.call("read", pfd, sysc.alloc(4), 4) == -EBADF
    assert sysc.fstat(pfd)["mode"] & 0o170000 == 0o040000
    assert sysc.s("openat", pfd, b"x", O_CREAT | O_WRONLY, 0o644) >= 0
    c = sysc.open(b"/d/x", O_RDONLY | O_CLOEXEC)
    assert sysc.p.files.is_open(u64(c))
    sysc.p.files.close_on_exec()
    assert not sysc.p.files.is_open(u64(c)) and sysc.p.files.is_open(u64(pfd))


def test_fdtable_clone_shares_files(sysc: Sys) -> None:
    """fork: the child's table has the same Files (shared offset); closing in one leaves the other."""
    fd = sysc.open(b"/f", O_CREAT | O_RDWR)
    sysc.write(fd, b"abcdef")
    child = sysc.p.files.clone()
    assert child.get(u64(fd)) is sysc.p.files.get(u64(fd))
    sysc.call("lseek", fd, 2, 0)
    assert child.get(u64(fd)).pos == 2
    child.close(u64(fd))
    assert sysc.p.files.is_open(u64(fd))
    child.close_all()
    assert child.count() == 0
    with pytest.raises(SysError):
        child.get(u64(0))
    ctx = sysc.p.fs.clone()
    sysc.call("umask", 0o077)
    assert ctx.umask == 0o022


def test_initramfs_unpack(fs_world: None) -> None:
    """Directories, files, symlinks (busybox style), hard links and device nodes from two archives."""
    a1 = newc([(b".", 0o40755, b""), (b"bin", 0o40755, b""), (b"bin/busybox", 0o100755, b"\x7fELF-bb"),
               (b"bin/sh", 0o120777, b"busybox"), (b"etc/deep/conf", 0o100600, b"x=1\n"),
               (b"h1", 0o100644, b"", 2, 77), (b"h2", 0o100644, b"hard", 2, 77)])
    a2 = newc([(b"dev", 0o40755, b""), (b"dev/ttyS0", 0o20620, b"", 1, 90, 4, 64), (b"./etc/late", 0o100644, b"L")])
    data = a1 + b"\0" * (512 - len(a1) % 512) + a2
    base = place(data)
    init_root_from_initramfs(u64(base), u64(len(data)))
    root = root_dir()
    from asterpy.fs.path import Cred, resolve
    from asterpy.fs.inode import DevInode, DirInode, SymlinkInode

    def look(path: bytes, follow: bool = True) -> object:
        return resolve(root, root, bytearray(path), follow, Cred(u32(0), u32(0)))
    sh = look(b"/bin/sh")
    assert isinstance(sh, RegInode) and sh.size == 7 and sh.mode == 0o100755
    assert isinstance(look(b"/bin/sh", False), SymlinkInode)
    conf = look(b"/etc/deep/conf")
    assert isinstance(conf, RegInode) and conf.mode == 0o100600
    assert isinstance(look(b"/etc"), DirInode)
    h1, h2 = look(b"/h1"), look(b"/h2")
    assert h1 is h2 and h1.nlink == 2 and h1.size == 4
    tty = look(b"/dev/ttyS0")
    assert isinstance(tty, DevInode) and (tty.rdev_major, tty.rdev_minor) == (4, 64)
    assert isinstance(look(b"/dev/null"), DevInode)
    assert isinstance(look(b"/etc/late"), RegInode)
    assert look(b"/bin/sh").mtime_ns == 1700000000 * 10**9
    bin_dir = look(b"/bin")
    assert bin_dir.mtime_ns == bin_dir.ctime_ns == 1700000000 * 10**9      # not touched by its entries


def test_initramfs_malformed_keeps_prefix(fs_world: None) -> None:
    """A corrupt entry stops unpacking with a warning; what came before stays, /dev is made."""
    good = newc([(b"a", 0o100644, b"A")])
    bad = good[:-124] + b"garbage!" * 20
    base = place(bad)
    init_root_from_initramfs(u64(base), u64(len(bad)))
    from asterpy.fs.inode import name_from
    assert root_dir().lookup(name_from(b"a")) is not None
    assert root_dir().lookup(name_from(b"dev")) is not None


def test_exec_open_and_read(sysc: Sys) -> None:
    """exec_open finds an executable regular file; read_inode_at copies its bytes; errors as execve."""
    fd = sysc.open(b"/prog", O_CREAT | O_WRONLY, 0o755)
    body = bytes(range(256)) * 40
    sysc.write(fd, body)
    sysc.call("close", sysc.open(b"/noexec", O_CREAT | O_WRONLY, 0o644))
    sysc.s("symlink", b"/prog", b"/link")

    def kpath(s: bytes) -> tuple:
        a = memory.sim.alloc(len(s) + 1, 1)
        memory.sim.write(a, s)
        return u64(a), u64(len(s))
    ino = exec_open(sysc.p, *kpath(b"/link"))
    assert ino.size == len(body)
    k = memory.sim.alloc(len(body) + 100, 16)
    assert read_inode_at(ino, u64(k), u64(0), u64(len(body) + 100)) == len(body)
    assert memory.sim.read(k, len(body)) == body
    assert read_inode_at(ino, u64(k), u64(10200), u64(100)) == len(body) - 10200
    for path, err in ((b"/noexec", EACCES), (b"/dev", EACCES), (b"/nope", ENOENT), (b"/prog/x", ENOTDIR),
                      (b"/dev/null", EACCES)):
        with pytest.raises(SysError) as e:
            exec_open(sysc.p, *kpath(path))
        assert e.value.errno == err, path
    sysc.s("symlink", b"/loop", b"/loop")
    with pytest.raises(SysError) as e:
        exec_open(sysc.p, *kpath(b"/loop"))
    assert e.value.errno == ELOOP


def test_getcwd_errors(sysc: Sys) -> None:
    """getcwd: ERANGE for size 0, EFAULT for a bad buffer, ENOENT once the cwd is removed."""
    assert sysc.call("getcwd", sysc.alloc(8), 0) == -ERANGE
    assert sysc.call("getcwd", 0x10, 64) == -EFAULT
    sysc.s("mkdir", b"/gone", 0o755)
    sysc.s("chdir", b"/gone")
    sysc.s("rmdir", b"/gone")
    assert sysc.call("getcwd", sysc.alloc(64), 64) == -ENOENT
    assert sysc.open(b"x", O_CREAT | O_WRONLY) == -ENOENT


def test_file_pages_from_frames(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> None:
    """After fs_use_frames, file data lives in frames, which truncation and unlink give back."""
    from asterpy.mm import filepages
    from task_sim import DIRECT_MAP
    monkeypatch.setattr(filepages, "page_source", None)
    fa = sysc.p.frames
    filepages.fs_use_frames(fa, u64(DIRECT_MAP))
    before = int(fa.free_count())
    fd = sysc.open(b"/big", O_CREAT | O_RDWR)
    data = bytes(range(256)) * 48                          # 3 pages
    assert sysc.write(fd, data) == len(data)
    assert int(fa.free_count()) == before - 3
    buf = sysc.alloc(len(data))
    assert sysc.call("pread64", fd, buf, len(data), 0) == len(data)
    assert sysc.read(buf, len(data)) == data
    sysc.call("ftruncate", fd, 100)
    assert int(fa.free_count()) == before - 1
    sysc.call("close", fd)
    sysc.s("unlink", b"/big")
    assert int(fa.free_count()) == before


def test_legacy_time_setters(sysc: Sys) -> None:
    """utimes/futimesat take timevals, utime a utimbuf; NULL means now; bad microseconds EINVAL."""
    sysc.call("close", sysc.open(b"/t", O_CREAT | O_WRONLY))
    tv = sysc.put((10).to_bytes(8, "little") + (5).to_bytes(8, "little")
                  + (20).to_bytes(8, "little") + (0).to_bytes(8, "little"))
    assert sysc.s("utimes", b"/t", tv) == 0
    st = sysc.stat(b"/t")
    assert (st["atime"], st["atime_nsec"], st["mtime"]) == (10, 5000, 20)
    ub = sysc.put((30).to_bytes(8, "little") + (40).to_bytes(8, "little"))
    assert sysc.s("utime", b"/t", ub) == 0
    st = sysc.stat(b"/t")
    assert (st["atime"], st["mtime"]) == (30, 40)
    bad = sysc.put((1).to_bytes(8, "little") + (10**6).to_bytes(8, "little") + b"\0" * 16)
    assert sysc.s("futimesat", AT_FDCWD, b"/t", bad) == -EINVAL
    assert sysc.s("utimes", b"/t", 0) == 0
    assert sysc.s("utimes", b"/nope", 0) == -ENOENT
