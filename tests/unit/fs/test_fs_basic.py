"""The ramfs through the file syscalls: open/read/write/lseek, directories, links, errors."""


from asterpy.lang.errno import (
    EBADF, EEXIST, EFAULT, EINVAL, EISDIR, ELOOP, EMFILE, ENAMETOOLONG, ENOENT, ENOTDIR, ENOTEMPTY, ESPIPE,
)

from fs_sim import AT_FDCWD, Sys, fs_world, sysc  # noqa: F401

O_RDONLY, O_WRONLY, O_RDWR = 0, 1, 2
O_CREAT, O_EXCL, O_TRUNC, O_APPEND = 0o100, 0o200, 0o1000, 0o2000
O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC = 0o200000, 0o400000, 0o2000000


def test_console_fds_and_write(sysc: Sys) -> None:
    """init's fds 0..2 are /dev/console: write(1) reaches the terminal."""
    assert sysc.write(1, b"hello") == 5
    assert bytes(sysc.tty_out) == b"hello"
    assert sysc.call("write", 5, sysc.put(b"x"), 1) == -EBADF
    assert sysc.call("write", 1, 0x10, 4) == -EFAULT


def test_create_write_read_back(sysc: Sys) -> None:
    """A new file holds what was written; lseek and read see it; the size is right."""
    fd = sysc.open(b"/f", O_CREAT | O_RDWR, 0o640)
    assert fd == 3
    assert sysc.write(fd, b"hello world") == 11
    assert sysc.call("lseek", fd, 0, 0) == 0
    assert sysc.read_fd(fd, 100) == b"hello world"
    assert sysc.read_fd(fd, 100) == b""
    st = sysc.stat(b"/f")
    assert st["size"] == 11 and st["mode"] == 0o100640 and st["nlink"] == 1
    assert sysc.call("close", fd) == 0
    assert sysc.call("close", fd) == -EBADF


def test_umask_applies(sysc: Sys) -> None:
    """New files and directories lose the umask bits (022 by default)."""
    sysc.call("close", sysc.open(b"/a", O_CREAT | O_WRONLY, 0o777))
    assert sysc.stat(b"/a")["mode"] & 0o777 == 0o755
    assert sysc.call("umask", 0o077) == 0o022
    assert sysc.s("mkdir", b"/d", 0o777) == 0
    assert sysc.stat(b"/d")["mode"] == 0o40700


def test_access_modes(sysc: Sys) -> None:
    """EBADF reading a write-only fd and writing a read-only one."""
    fd = sysc.open(b"/f", O_CREAT | O_WRONLY)
    assert sysc.call("read", fd, sysc.alloc(4), 4) == -EBADF
    ro = sysc.open(b"/f", O_RDONLY)
    assert sysc.call("write", ro, sysc.put(b"x"), 1) == -EBADF


def test_append_trunc_excl(sysc: Sys) -> None:
    """O_APPEND writes at the end, O_TRUNC empties, O_CREAT|O_EXCL refuses an existing name."""
    fd = sysc.open(b"/f", O_CREAT | O_WRONLY)
    sysc.write(fd, b"abc")
    fa = sysc.open(b"/f", O_WRONLY | O_APPEND)
    sysc.call("lseek", fa, 0, 0)
    sysc.write(fa, b"de")
    assert sysc.stat(b"/f")["size"] == 5
    assert sysc.open(b"/f", O_CREAT | O_EXCL | O_WRONLY) == -EEXIST
    sysc.open(b"/f", O_WRONLY | O_TRUNC)
    assert sysc.stat(b"/f")["size"] == 0


def test_holes_and_sparse_reads(sysc: Sys) -> None:
    """Writing past the end leaves a zero-filled hole."""
    fd = sysc.open(b"/f", O_CREAT | O_RDWR)
    assert sysc.call("lseek", fd, 10000, 0) == 10000
    sysc.write(fd, b"Z")
    assert sysc.stat(b"/f")["size"] == 10001
    buf = sysc.alloc(10001)
    assert sysc.call("pread64", fd, buf, 10001, 0) == 10001
    data = sysc.read(buf, 10001)
    assert data[:10000] == b"\0" * 10000 and data[10000:] == b"Z"


def test_ftruncate_shrink_then_grow_reads_zero(sysc: Sys) -> None:
    """Bytes cut by truncate read back as zero when the file grows again."""
    fd = sysc.open(b"/f", O_CREAT | O_RDWR)
    sysc.write(fd, b"x" * 5000)
    assert sysc.call("ftruncate", fd, 100) == 0
    assert sysc.call("ftruncate", fd, 6000) == 0
    buf = sysc.alloc(6000)
    assert sysc.call("pread64", fd, buf, 6000, 0) == 6000
    assert sysc.read(buf, 6000) == b"x" * 100 + b"\0" * 5900
    assert sysc.call("ftruncate", fd, -1) == -EINVAL
    ro = sysc.open(b"/f", O_RDONLY)
    assert sysc.call("ftruncate", ro, 0) == -EINVAL


def test_lookup_errors(sysc: Sys) -> None:
    """ENOENT, ENOTDIR, EISDIR, ENAMETOOLONG as Linux answers them."""
    assert sysc.open(b"/nope") == -ENOENT
    assert sysc.open(b"") == -ENOENT
    sysc.call("close", sysc.open(b"/f", O_CREAT | O_WRONLY))
    assert sysc.open(b"/f/x") == -ENOTDIR
    assert sysc.open(b"/f/") == -ENOTDIR
    assert sysc.open(b"/f", O_DIRECTORY) == -ENOTDIR
    assert sysc.open(b"/dev", O_WRONLY) == -EISDIR
    assert sysc.open(b"/new/", O_CREAT | O_WRONLY) == -EISDIR
    assert sysc.open(b"/" + b"a" * 256) == -ENAMETOOLONG
    assert sysc.open(b"/" + b"a" * 255) == -ENOENT
    assert sysc.open(b"/" + b"a/" * 2048) == -ENAMETOOLONG
    assert sysc.call("open", 0x10, 0, 0) == -EFAULT


def test_directories(sysc: Sys) -> None:
    """mkdir, rmdir, nlink counting, getdents, EEXIST/ENOTEMPTY/ENOTDIR."""
    assert sysc.s("mkdir", b"/d", 0o755) == 0
    assert sysc.s("mkdir", b"/d", 0o755) == -EEXIST
    assert sysc.s("mkdir", b"/", 0o755) == -EEXIST
    assert sysc.s("mkdir", b"/d/e/", 0o755) == 0
    assert sysc.stat(b"/d")["nlink"] == 3
    sysc.call("close", sysc.open(b"/d/f", O_CREAT | O_WRONLY))
    assert sorted(sysc.listdir(b"/d")) == [b".", b"..", b"e", b"f"]
    assert sysc.s("rmdir", b"/d") == -ENOTEMPTY
    assert sysc.s("rmdir", b"/d/f") == -ENOTDIR
    assert sysc.s("rmdir", b"/d/.") == -EINVAL
    assert sysc.s("unlink", b"/d/e") == -EISDIR
    assert sysc.s("rmdir", b"/d/e") == 0
    assert sysc.stat(b"/d")["nlink"] == 2
    assert sysc.s("unlink", b"/d/f") == 0
    assert sysc.s("rmdir", b"/d") == 0
    assert sysc.open(b"/d") == -ENOENT


def test_cwd_and_dotdot(sysc: Sys) -> None:
    """chdir/getcwd/fchdir, relative paths and .. (which stops at /)."""
    sysc.s("mkdir", b"/a", 0o755)
    sysc.s("mkdir", b"/a/b", 0o755)
    assert sysc.s("chdir", b"/a/b") == 0
    buf = sysc.alloc(64)
    assert sysc.call("getcwd", buf, 64) == 5
    assert sysc.read(buf, 5) == b"/a/b\0"
    assert sysc.call("getcwd", buf, 4) == -34          # ERANGE
    sysc.call("close", sysc.open(b"../x", O_CREAT | O_WRONLY))
    assert sysc.stat(b"/a/x")["size"] == 0
    assert sysc.stat(b"../../../../a/x")["size"] == 0
    fd = sysc.open(b"/", O_DIRECTORY)
    assert sysc.call("fchdir", fd) == 0
    assert sysc.call("getcwd", buf, 64) == 2
    assert sysc.s("chdir", b"/a/x") == -ENOTDIR


def test_openat_dirfd(sysc: Sys) -> None:
    """openat relative to a directory fd; EBADF/ENOTDIR for bad dirfds; absolute paths ignore it."""
    sysc.s("mkdir", b"/d", 0o755)
    dfd = sysc.open(b"/d", O_DIRECTORY)
    fd = sysc.s("openat", dfd, b"f", O_CREAT | O_WRONLY, 0o600)
    assert fd >= 0
    assert sysc.stat(b"/d/f")["mode"] == 0o100600
    assert sysc.s("openat", 99, b"f", 0, 0) == -EBADF
    assert sysc.s("openat", fd, b"f", 0, 0) == -ENOTDIR
    assert sysc.s("openat", 99, b"/d/f", 0, 0) >= 0


def test_symlinks(sysc: Sys) -> None:
    """symlink/readlink, following in the middle and at the end, lstat, O_NOFOLLOW, ELOOP."""
    sysc.s("mkdir", b"/d", 0o755)
    fd = sysc.open(b"/d/target", O_CREAT | O_WRONLY)
    sysc.write(fd, b"data")
    assert sysc.s("symlink", b"target", b"/d/l") == 0
    assert sysc.s("symlink", b"/d", b"/dl") == 0
    assert sysc.stat(b"/d/l")["size"] == 4
    assert sysc.stat(b"/dl/l")["size"] == 4
    lst = sysc.stat(b"/d/l", follow=False)
    assert lst["mode"] == 0o120777 and lst["size"] == 6
    buf = sysc.alloc(64)
    assert sysc.s("readlink", b"/d/l", buf, 64) == 6
    assert sysc.read(buf, 6) == b"target"
    assert sysc.s("readlink", b"/d/l", buf, 3) == 3
    assert sysc.s("readlink", b"/d/target", buf, 64) == -EINVAL
    assert sysc.s("readlink", b"/d/l", buf, 0) == -EINVAL
    assert sysc.open(b"/d/l", O_NOFOLLOW) == -ELOOP
    sysc.s("symlink", b"loop2", b"/loop1")
    sysc.s("symlink", b"loop1", b"/loop2")
    assert sysc.open(b"/loop1") == -ELOOP
    assert sysc.s("symlink", b"", b"/e") == -ENOENT
    assert sysc.s("symlink", b"x", b"/d/l") == -EEXIST
    assert sysc.s("readlink", b"/proc/self/exe", buf, 64) == -ENOENT


def test_symlink_chain_of_40_resolves_41_loops(sysc: Sys) -> None:
    """40 links in a row are followed, the 41st is ELOOP."""
    sysc.call("close", sysc.open(b"/t", O_CREAT | O_WRONLY))
    prev = b"/t"
    for i in range(41):
        name = b"/l%d" % i
        sysc.s("symlink", prev, name)
        prev = name
    assert sysc.open(b"/l39") >= 0
    assert sysc.open(b"/l40") == -ELOOP


def test_hard_links_and_unlink_keeps_open_file(sysc: Sys) -> None:
    """link counts; an unlinked file stays readable through an open fd."""
    fd = sysc.open(b"/f", O_CREAT | O_RDWR)
    sysc.write(fd, b"keep")
    assert sysc.s("link", b"/f", b"/g") == 0
    assert sysc.stat(b"/f")["nlink"] == 2
    assert sysc.s("link", b"/f", b"/g") == -EEXIST
    assert sysc.s("link", b"/dev", b"/h") == -1          # EPERM
    assert sysc.s("unlink", b"/f") == 0
    assert sysc.s("unlink", b"/g") == 0
    assert sysc.fstat(fd)["nlink"] == 0
    assert sysc.call("pread64", fd, sysc.alloc(8), 8, 0) == 4


def test_rename(sysc: Sys) -> None:
    """rename over files, directories into empty ones, EINVAL into itself, renameat2 flags."""
    sysc.call("close", sysc.open(b"/a", O_CREAT | O_WRONLY))
    sysc.call("close", sysc.open(b"/b", O_CREAT | O_WRONLY))
    ino_a = sysc.stat(b"/a")["ino"]
    assert sysc.s("rename", b"/a", b"/b") == 0
    assert sysc.stat(b"/b")["ino"] == ino_a
    assert sysc.open(b"/a") == -ENOENT
    sysc.s("mkdir", b"/d", 0o755)
    sysc.s("mkdir", b"/e", 0o755)
    assert sysc.s("rename", b"/d", b"/d/sub") == -EINVAL
    assert sysc.s("rename", b"/b", b"/e") == -EISDIR
    assert sysc.s("rename", b"/d", b"/b") == -ENOTDIR
    assert sysc.s("rename", b"/d", b"/e") == 0
    assert sysc.s("rename", b"/e", b"/x/y") == -ENOENT
    sysc.call("close", sysc.open(b"/c", O_CREAT | O_WRONLY))
    assert sysc.s("renameat2", AT_FDCWD, b"/b", AT_FDCWD, b"/c", 1) == -EEXIST
    assert sysc.s("renameat2", AT_FDCWD, b"/b", AT_FDCWD, b"/c", 3) == -EINVAL
    ib, ic = sysc.stat(b"/b")["ino"], sysc.stat(b"/c")["ino"]
    assert sysc.s("renameat2", AT_FDCWD, b"/b", AT_FDCWD, b"/c", 2) == 0
    assert sysc.stat(b"/b")["ino"] == ic and sysc.stat(b"/c")["ino"] == ib


def test_dup_fcntl_and_shared_offset(sysc: Sys) -> None:
    """dup shares the offset; dup2/dup3 semantics; fcntl flags; lowest free fd."""
    fd = sysc.open(b"/f", O_CREAT | O_RDWR)
    sysc.write(fd, b"0123456789")
    d = sysc.call("dup", fd)
    assert d == fd + 1
    sysc.call("lseek", fd, 2, 0)
    assert sysc.read_fd(d, 3) == b"234"
    assert sysc.call("dup2", fd, fd) == fd
    assert sysc.call("dup2", 77, 5) == -EBADF
    assert sysc.call("dup3", fd, fd, 0) == -EINVAL
    assert sysc.call("dup3", fd, 10, 0o2000000) == 10
    assert sysc.call("fcntl", 10, 1) == 1                # FD_CLOEXEC
    assert sysc.call("fcntl", fd, 1) == 0
    assert sysc.call("fcntl", fd, 0, 20) == 20           # F_DUPFD
    assert sysc.call("fcntl", fd, 1030, 0) == d + 1      # F_DUPFD_CLOEXEC, lowest free
    assert sysc.call("fcntl", fd, 3) & 3 == O_RDWR       # F_GETFL
    assert sysc.call("fcntl", fd, 4, O_APPEND | 0o4000) == 0
    assert sysc.call("fcntl", fd, 3) & (O_APPEND | 0o4000) == O_APPEND | 0o4000
    assert sysc.call("fcntl", fd, 9999) == -EINVAL
    assert sysc.call("fcntl", fd, 0, 5000) == -EINVAL
    assert sysc.call("close", -1) == -EBADF


def test_emfile(sysc: Sys) -> None:
    """The 1025th descriptor is EMFILE."""
    fd = sysc.open(b"/dev/null", O_RDWR)
    n = 0
    while True:
        r = sysc.call("dup", fd)
        if r < 0:
            assert r == -EMFILE
            break
        n += 1
    assert n + 4 == 1024
    assert sysc.call("close_range", 3, 0xFFFFFFFF, 0) == 0
    assert sysc.call("dup", 0) == 3


def test_lseek_rules(sysc: Sys) -> None:
    """SEEK_END, negative results EINVAL, unknown whence EINVAL, ESPIPE on pipes."""
    fd = sysc.open(b"/f", O_CREAT | O_RDWR)
    sysc.write(fd, b"abcdef")
    assert sysc.call("lseek", fd, -2, 2) == 4
    assert sysc.call("lseek", fd, -10, 1) == -EINVAL
    assert sysc.call("lseek", fd, 0, 9) == -EINVAL
    assert sysc.call("lseek", fd, 100, 0) == 100
    assert sysc.call("lseek", fd, 1, 3) == 1              # SEEK_DATA: all data
    assert sysc.call("lseek", fd, 1, 4) == 6              # SEEK_HOLE: the end
    assert sysc.call("lseek", fd, 6, 3) == -6            # SEEK_DATA at the end: ENXIO
    fds = sysc.alloc(8)
    assert sysc.call("pipe", fds) == 0
    r, _ = sysc.i32s(fds, 2)
    assert sysc.call("lseek", r, 0, 0) == -ESPIPE


def test_creat_through_dangling_symlink(sysc: Sys) -> None:
    """O_CREAT on a dangling symlink creates its target (not with O_EXCL, which sees the link)."""
    sysc.s("symlink", b"/made", b"/dl")
    assert sysc.open(b"/dl", O_CREAT | O_EXCL | O_WRONLY) == -EEXIST
    fd = sysc.open(b"/dl", O_CREAT | O_WRONLY)
    assert fd >= 0
    assert sysc.write(fd, b"via link") == 8
    assert sysc.stat(b"/made")["size"] == 8
    assert sysc.call("fcntl", fd, 3) & 0o100000           # O_LARGEFILE on 64-bit


def test_huge_counts_are_efault(sysc: Sys) -> None:
    """A count reaching past user space is EFAULT before anything is read (Linux checks the range
    before clamping the count); a huge count on a short file within range is fine."""
    fd = sysc.open(b"/f", O_CREAT | O_RDWR)
    sysc.write(fd, b"data")
    buf = sysc.alloc(16)
    assert sysc.call("pread64", fd, buf, 2**64 - 1, 0) == -EFAULT
    assert sysc.call("read", fd, buf, 2**63) == -EFAULT
    assert sysc.call("write", fd, buf, 2**64 - 1) == -EFAULT
    assert sysc.call("pread64", fd, buf, 1 << 30, 0) == 4
