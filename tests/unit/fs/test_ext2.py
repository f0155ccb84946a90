"""ext2 through the syscalls: images made by mke2fs, read and written by our code, judged by e2fsck and debugfs."""

from pathlib import Path

import pytest

from asterpy.lang.errno import (
    EBUSY, EEXIST, EINVAL, EISDIR, EMLINK, ENAMETOOLONG, ENOENT, ENOSPC, ENOTDIR, ENOTEMPTY, EROFS,
)

from ext2_sim import ImageDisk, debugfs, fsck, make_image, register
from fs_sim import Sys, fs_world, sysc, uwrite  # noqa: F401

O_RDONLY, O_WRONLY, O_RDWR = 0, 1, 2
O_CREAT, O_EXCL, O_TRUNC, O_APPEND = 0o100, 0o200, 0o1000, 0o2000
O_DIRECTORY = 0o200000
MS_RDONLY = 1
BIG = bytes(range(256)) * 1200          # 300 KiB: past the direct and single indirect blocks at 1 KiB


def mount(s: Sys, img: Path, ro: bool = False) -> ImageDisk:
    """Register img as /dev/vdt and mount it on /mnt."""
    disk = ImageDisk(img)
    register(disk)
    s.s("mkdir", b"/mnt", 0o755)
    r = s.s("mount", b"/dev/vdt", b"/mnt", b"ext2", MS_RDONLY if ro else 0, 0)
    assert r == 0, r
    return disk


def umount(s: Sys) -> None:
    """Unmount /mnt (writes everything back)."""
    assert s.s("umount2", b"/mnt", 0) == 0


def cat(s: Sys, path: bytes) -> bytes:
    """The whole content of path."""
    s.reset_scratch()
    fd = s.open(path)
    assert fd >= 0, (path, fd)
    buf = s.alloc(32768)
    out = b""
    while True:
        r = s.call("read", fd, buf, 32768)
        assert r >= 0, r
        if r == 0:
            break
        out += s.read(buf, r)
    s.call("close", fd)
    return out


def put(s: Sys, path: bytes, data: bytes, flags: int = O_CREAT | O_WRONLY | O_TRUNC) -> None:
    """Write data to path."""
    s.reset_scratch()
    fd = s.open(path, flags, 0o644)
    assert fd >= 0, (path, fd)
    buf = s.alloc(32768)
    for i in range(0, len(data), 32768):
        part = data[i:i + 32768]
        uwrite(s.p, buf, part)
        assert s.call("write", fd, buf, len(part)) == len(part)
    assert s.call("close", fd) == 0


def readlink(s: Sys, path: bytes) -> bytes:
    """The target of symlink path."""
    buf = s.alloc(4096)
    n = s.s("readlink", path, buf, 4096)
    assert n >= 0, n
    return s.read(buf, n)


@pytest.mark.parametrize("bs", [1024, 2048, 4096])
def test_reads_host_made_tree(sysc: Sys, tmp_path: Path, bs: int) -> None:
    """Files, directories, fast and slow symlinks made by mke2fs -d read back exactly."""
    slow = "t/" + "x" * 100
    img = make_image(tmp_path, bs, {"a.txt": b"hello\n", "d/e/big": BIG, "d/small": b"s" * 5000,
                                    "fast": b"->a.txt", "slow": b"->" + slow.encode(), "empty": b""})
    mount(sysc, img)
    assert cat(sysc, b"/mnt/a.txt") == b"hello\n"
    assert cat(sysc, b"/mnt/d/e/big") == BIG
    assert cat(sysc, b"/mnt/d/small") == b"s" * 5000
    assert cat(sysc, b"/mnt/empty") == b""
    assert readlink(sysc, b"/mnt/fast") == b"a.txt"
    assert readlink(sysc, b"/mnt/slow") == slow.encode()
    assert cat(sysc, b"/mnt/fast") == b"hello\n"
    names = set(sysc.listdir(b"/mnt"))
    assert {b".", b"..", b"a.txt", b"d", b"fast", b"slow", b"empty", b"lost+found"} <= names
    st = sysc.stat(b"/mnt/d/e/big")
    assert st["size"] == len(BIG) and st["mode"] & 0o170000 == 0o100000
    assert sysc.stat(b"/mnt/d")["nlink"] == 3
    assert sysc.stat(b"/mnt")["ino"] == 2
    assert sysc.s("open", b"/mnt/nope", 0, 0) == -ENOENT
    assert sysc.s("open", b"/mnt/a.txt/x", 0, 0) == -ENOTDIR
    umount(sysc)
    fsck(img)


@pytest.mark.parametrize("bs", [1024, 4096])
def test_writes_seen_by_e2fsprogs(sysc: Sys, tmp_path: Path, bs: int) -> None:
    """create, write (past the indirect boundaries), mkdir, rename, link, symlinks, unlink, rmdir,
    truncate: e2fsck is clean and debugfs reads what we wrote."""
    img = make_image(tmp_path, bs, {"old": b"old data", "keep/x": b"x"}, size_k=8192)
    mount(sysc, img)
    put(sysc, b"/mnt/new", BIG)
    assert sysc.s("mkdir", b"/mnt/dir", 0o750) == 0
    assert sysc.s("mkdir", b"/mnt/dir", 0o750) == -EEXIST
    put(sysc, b"/mnt/dir/f", b"in dir")
    assert sysc.s("rename", b"/mnt/dir/f", b"/mnt/keep/g") == 0
    assert sysc.s("rename", b"/mnt/old", b"/mnt/dir/old2") == 0
    assert sysc.s("link", b"/mnt/new", b"/mnt/dir/newlink") == 0
    assert sysc.stat(b"/mnt/new")["nlink"] == 2
    assert sysc.s("symlink", b"new", b"/mnt/fastlink") == 0
    long_target = b"/" + b"y" * 200
    assert sysc.s("symlink", long_target, b"/mnt/slowlink") == 0
    assert sysc.s("mkdir", b"/mnt/gone", 0o755) == 0
    put(sysc, b"/mnt/gone/f", b"z")
    assert sysc.s("rmdir", b"/mnt/gone") == -ENOTEMPTY
    assert sysc.s("unlink", b"/mnt/gone/f") == 0
    assert sysc.s("rmdir", b"/mnt/gone") == 0
    assert sysc.s("rename", b"/mnt/keep", b"/mnt/dir/keep") == 0          # a directory moves
    assert sysc.stat(b"/mnt/dir")["nlink"] == 3
    put(sysc, b"/mnt/trunc", BIG)
    assert sysc.s("truncate", b"/mnt/trunc", 1000) == 0
    assert sysc.s("truncate", b"/mnt/trunc", 5000) == 0
    assert sysc.s("mknod", b"/mnt/fifo", 0o010644, 0) == 0
    assert sysc.s("chmod", b"/mnt/new", 0o600) == 0
    assert sysc.s("chown", b"/mnt/new", 1000, 1001) == 0
    assert sysc.s("symlink", b"q" * (bs + 1), b"/mnt/toolong") == -ENAMETOOLONG
    assert sysc.s("open", b"/mnt/" + b"n" * 256, O_CREAT | O_WRONLY, 0o644) == -ENAMETOOLONG
    # Everything reads back before and after a remount.
    for _ in range(2):
        assert cat(sysc, b"/mnt/new") == BIG
        assert cat(sysc, b"/mnt/dir/newlink") == BIG
        assert cat(sysc, b"/mnt/dir/keep/g") == b"in dir"
        assert cat(sysc, b"/mnt/dir/old2") == b"old data"
        assert readlink(sysc, b"/mnt/slowlink") == long_target
        assert cat(sysc, b"/mnt/fastlink") == BIG
        assert cat(sysc, b"/mnt/trunc") == BIG[:1000] + b"\0" * 4000
        st = sysc.stat(b"/mnt/new")
        assert st["mode"] == 0o100600 and st["uid"] == 1000 and st["gid"] == 1001
        assert sysc.stat(b"/mnt/fifo", False)["mode"] == 0o010644
        umount(sysc)
        fsck(img)
        assert sysc.s("mount", b"/dev/vdt", b"/mnt", b"ext2", 0, 0) == 0
    umount(sysc)
    assert debugfs(img, "cat /new") == BIG
    assert debugfs(img, "cat /dir/keep/g") == b"in dir"
    assert b"slowlink" in debugfs(img, "ls -l /")
    fsck(img)


def test_sparse_and_large_files(sysc: Sys, tmp_path: Path) -> None:
    """Holes read as zero; writes far out (triple indirect, past 4 GiB) work and free cleanly."""
    img = make_image(tmp_path, 4096, {}, size_k=8192)
    mount(sysc, img)
    fd = sysc.open(b"/mnt/sparse", O_CREAT | O_RDWR, 0o644)
    far = 5 << 30
    assert sysc.write_at(fd, b"END", far) == 3
    assert sysc.write_at(fd, b"mid", 70 << 20) == 3
    assert sysc.fstat(fd)["size"] == far + 3
    buf = sysc.alloc(8)
    assert sysc.call("pread64", fd, buf, 3, far) == 3 and sysc.read(buf, 3) == b"END"
    assert sysc.call("pread64", fd, buf, 8, 1 << 20) == 8 and sysc.read(buf, 8) == b"\0" * 8
    assert sysc.call("fsync", fd) == 0
    sysc.call("close", fd)
    umount(sysc)
    fsck(img)
    out = debugfs(img, "stat /sparse")
    assert b"Size: 5368709123" in out
    assert sysc.s("mount", b"/dev/vdt", b"/mnt", b"ext2", 0, 0) == 0
    assert sysc.s("truncate", b"/mnt/sparse", 10) == 0
    assert sysc.s("unlink", b"/mnt/sparse") == 0
    umount(sysc)
    fsck(img)


def statfs_free(s: Sys, path: bytes) -> int:
    """f_bfree of path's file system."""
    buf = s.alloc(120)
    assert s.s("statfs", path, buf) == 0
    return s.u64at(buf + 24)


def test_statfs_enospc_and_unlinked_open(sysc: Sys, tmp_path: Path) -> None:
    """statfs counts are real; a full disk is ENOSPC; an unlinked open file is freed at close."""
    img = make_image(tmp_path, 1024, {}, size_k=1024)
    mount(sysc, img)
    buf = sysc.alloc(120)
    assert sysc.s("statfs", b"/mnt", buf) == 0
    assert sysc.u64at(buf) == 0xEF53 and sysc.u64at(buf + 8) == 1024 and sysc.u64at(buf + 16) == 1024
    free0 = statfs_free(sysc, b"/mnt")
    fd = sysc.open(b"/mnt/fill", O_CREAT | O_WRONLY, 0o644)
    chunk = sysc.put(b"F" * 65536)
    total = 0
    while True:
        r = sysc.call("write", fd, chunk, 65536)
        if r < 0:
            assert r == -ENOSPC
            break
        total += r
        assert total < 2 << 20
    assert statfs_free(sysc, b"/mnt") == 0
    assert sysc.s("unlink", b"/mnt/fill") == 0
    assert statfs_free(sysc, b"/mnt") == 0          # still open
    sysc.call("close", fd)
    assert statfs_free(sysc, b"/mnt") == free0
    umount(sysc)
    fsck(img)


def test_read_only_mount(sysc: Sys, tmp_path: Path) -> None:
    """MS_RDONLY: reads work, every change is EROFS, the image is untouched."""
    img = make_image(tmp_path, 1024, {"f": b"data"})
    before = img.read_bytes()
    mount(sysc, img, ro=True)
    assert cat(sysc, b"/mnt/f") == b"data"
    assert sysc.s("open", b"/mnt/f", O_WRONLY, 0) == -EROFS
    assert sysc.s("open", b"/mnt/g", O_CREAT | O_WRONLY, 0o644) == -EROFS
    assert sysc.s("mkdir", b"/mnt/d", 0o755) == -EROFS
    assert sysc.s("unlink", b"/mnt/f") == -EROFS
    assert sysc.s("chmod", b"/mnt/f", 0o600) == -EROFS
    assert sysc.s("truncate", b"/mnt/f", 0) == -EROFS
    umount(sysc)
    assert img.read_bytes() == before


def test_emlink_and_exchange(sysc: Sys, tmp_path: Path) -> None:
    """A file at 32000 links refuses another (EMLINK); RENAME_EXCHANGE is EINVAL as on Linux's ext2."""
    img = make_image(tmp_path, 1024, {"f": b"x", "g": b"y"})
    subprocess_sif(img, "/f", "links_count", "31999")
    mount(sysc, img)
    assert sysc.s("link", b"/mnt/f", b"/mnt/f2") == 0
    assert sysc.stat(b"/mnt/f")["nlink"] == 32000
    assert sysc.s("link", b"/mnt/f", b"/mnt/f3") == -EMLINK
    assert sysc.stat(b"/mnt/f")["nlink"] == 32000
    assert sysc.s("renameat2", -100, b"/mnt/f", -100, b"/mnt/g", 2) == -EINVAL
    assert sysc.s("unlink", b"/mnt/f2") == 0
    umount(sysc)
    assert b"Links: 31999" in debugfs(img, "stat /f")


def subprocess_sif(img: Path, path: str, field: str, value: str) -> None:
    """Set an inode field with debugfs -w."""
    import subprocess
    subprocess.run(["debugfs", "-w", "-R", f"sif {path} {field} {value}", str(img)], check=True, capture_output=True)


def test_errors_on_directories(sysc: Sys, tmp_path: Path) -> None:
    """unlink of a directory is EISDIR, rmdir of a file ENOTDIR, a dir cannot move under itself."""
    img = make_image(tmp_path, 2048, {"d/x": b"1"})
    mount(sysc, img)
    assert sysc.s("mkdir", b"/mnt2", 0o755) == 0
    assert sysc.s("mount", b"/dev/vdt", b"/mnt2", b"ext2", 0, 0) == -EBUSY
    assert sysc.s("mount", b"/dev/nodisk", b"/mnt2", b"ext2", 0, 0) == -ENOENT
    assert sysc.s("unlink", b"/mnt/d") == -EISDIR
    assert sysc.s("rmdir", b"/mnt/d/x") == -ENOTDIR
    assert sysc.s("rename", b"/mnt/d", b"/mnt/d/sub") == -EINVAL
    assert sysc.s("mkdir", b"/mnt/e", 0o755) == 0
    assert sysc.s("rename", b"/mnt/e", b"/mnt/d") == -ENOTEMPTY
    assert sysc.s("rename", b"/mnt/d", b"/mnt/e") == 0
    assert cat(sysc, b"/mnt/e/x") == b"1"
    umount(sysc)
    fsck(img)


def test_fsync_sync_and_syncfs_write_back(sysc: Sys, tmp_path: Path) -> None:
    """Data reaches the image at fsync, syncfs and sync (before any umount); a non-ext2 device is EINVAL."""
    img = make_image(tmp_path, 1024, {})
    disk = mount(sysc, img)
    fd = sysc.open(b"/mnt/f", O_CREAT | O_RDWR, 0o644)
    assert sysc.write(fd, b"first") == 5
    assert debugfs(img, "cat /f") == b""
    assert sysc.call("fsync", fd) == 0
    assert debugfs(img, "cat /f") == b"first"
    assert sysc.write(fd, b"+second") == 7
    assert sysc.call("syncfs", fd) == 0
    assert debugfs(img, "cat /f") == b"first+second"
    assert sysc.s("mkdir", b"/mnt/dd", 0o700) == 0
    assert sysc.call("sync") == 0
    assert b"dd" in debugfs(img, "ls /")
    assert disk.flushes >= 3
    sysc.call("close", fd)
    umount(sysc)
    fsck(img)
    junk = tmp_path / "junk.img"
    junk.write_bytes(b"\0" * (1 << 20))
    register(ImageDisk(junk))
    assert sysc.s("mount", b"/dev/vdt", b"/mnt", b"ext2", 0, 0) == -EINVAL


def test_corruption_is_euclean(sysc: Sys, tmp_path: Path) -> None:
    """A block pointer past the disk, an entry naming a bad inode, a directory listed below itself:
    EUCLEAN (or plain success), never a crash."""
    from asterpy.lang.errno import EUCLEAN
    img = make_image(tmp_path, 1024, {"a": b"x" * 3000, "d/f": b"y", "e/g": b"z"})
    subprocess_sif(img, "/a", "block[1]", "999999")
    subprocess_sif(img, "/e", "block[0]", "0")
    import subprocess
    subprocess.run(["debugfs", "-w", "-R", "ln / /d/loop", str(img)], check=True, capture_output=True)
    mount(sysc, img)
    fd = sysc.open(b"/mnt/a")
    assert fd >= 0
    buf = sysc.alloc(4096)
    assert sysc.call("read", fd, buf, 4096) == -EUCLEAN
    sysc.call("close", fd)
    assert sysc.s("open", b"/mnt/e/g", 0, 0) == -EUCLEAN
    assert sysc.stat(b"/mnt/d/loop/d/loop/d/f")["size"] == 1
    assert set(sysc.listdir(b"/mnt/d/loop")) >= {b"a", b"d", b"e"}
    umount(sysc)


def test_revision_0_and_256_byte_inodes(sysc: Sys, tmp_path: Path) -> None:
    """A revision 0 file system (128-byte inodes, no features) and one with 256-byte inodes both
    read and write cleanly."""
    for name, extra in (("r0", ["-r", "0"]), ("i256", ["-I", "256"])):
        sub = tmp_path / name
        sub.mkdir()
        img = make_image(sub, 1024, {"f": b"rev"}, extra=extra)
        mount(sysc, img)
        assert cat(sysc, b"/mnt/f") == b"rev"
        put(sysc, b"/mnt/g", BIG)
        assert sysc.s("mkdir", b"/mnt/h", 0o755) == 0
        assert cat(sysc, b"/mnt/g") == BIG
        umount(sysc)
        fsck(img)
        assert debugfs(img, "cat /g") == BIG


def test_device_nodes_sockets_and_times(sysc: Sys, tmp_path: Path) -> None:
    """Device numbers in both encodings, socket nodes and utimensat reach the disk as e2fsprogs reads them."""
    import struct
    img = make_image(tmp_path, 1024, {"t": b"t"})
    mount(sysc, img)
    assert sysc.s("mknod", b"/mnt/c", 0o020600, (8 << 8) | 1) == 0                      # 8:1, old encoding
    big = ((300 & 0xFFF) << 8) | (70000 & 0xFF) | ((70000 & ~0xFF) << 12)              # 300:70000
    assert sysc.s("mknod", b"/mnt/b", 0o060640, big) == 0
    assert sysc.s("mknod", b"/mnt/s", 0o140644, 0) == 0
    ts = sysc.put(struct.pack("<qqqq", 1_000_000_000, 0, 1_234_567_890, 0))
    assert sysc.s("utimensat", -100, b"/mnt/t", ts, 0) == 0
    umount(sysc)
    fsck(img)
    assert sysc.s("mount", b"/dev/vdt", b"/mnt", b"ext2", 0, 0) == 0
    assert sysc.stat(b"/mnt/c")["rdev"] == (8 << 8) | 1
    assert sysc.stat(b"/mnt/b")["rdev"] == big
    assert sysc.stat(b"/mnt/s", False)["mode"] == 0o140644
    st = sysc.stat(b"/mnt/t")
    assert st["mtime"] == 1_234_567_890 and st["atime"] == 1_000_000_000
    umount(sysc)
    assert b"Device major/minor number: 08:01" in debugfs(img, "stat /c")
    assert b"socket" in debugfs(img, "stat /s")
    out = debugfs(img, "stat /b")
    assert b"Device major/minor number: 300:70000" in out, out


def test_umount_frees_everything_by_reference_counting(sysc: Sys, tmp_path: Path) -> None:
    """After umount the file system object dies without a cycle collector (the kernel has none):
    no reference cycle among the superblock, the Ext2Fs and the inodes."""
    import gc
    import weakref
    from asterpy.fs.ext2.disk import Ext2Fs
    img = make_image(tmp_path, 1024, {"a": b"a", "d/b": b"b"})
    mount(sysc, img)
    put(sysc, b"/mnt/new", b"x" * 5000)
    assert sysc.s("mkdir", b"/mnt/e", 0o755) == 0
    assert sysc.s("rename", b"/mnt/d/b", b"/mnt/e/b") == 0
    assert sysc.s("link", b"/mnt/a", b"/mnt/e/a") == 0
    assert sysc.s("unlink", b"/mnt/new") == 0
    assert cat(sysc, b"/mnt/e/b") == b"b"
    found = [o for o in gc.get_objects() if isinstance(o, Ext2Fs)]
    assert len(found) == 1
    ref = weakref.ref(found[0])
    del found
    gc.disable()
    try:
        umount(sysc)
        assert ref() is None
    finally:
        gc.enable()
    fsck(img)
