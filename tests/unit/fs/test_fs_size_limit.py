"""The size limit of the root file system and tmpfs (issue #12): ENOSPC past it, a short write at
the edge, statfs's block counts, and every page given back by unlink and truncate."""

import struct

import pytest

from asterpy.fs import superblock
from asterpy.lang import u64
from asterpy.lang.errno import ENOSPC

from fs_sim import Sys, fs_world, sysc  # noqa: F401

O_WRONLY, O_CREAT, O_RDWR = 0o1, 0o100, 0o2
PAGE = 4096


def statfs_blocks(s: Sys, path: bytes) -> tuple[int, int, int]:
    """statfs(path): (f_blocks, f_bfree, f_bavail)."""
    buf = s.alloc(120)
    assert s.call("statfs", s.cstr(path), buf) == 0
    return struct.unpack_from("<3Q", s.read(buf + 16, 24))


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> superblock.SuperBlock:
    """The root file system limited to what it holds now plus 8 pages."""
    sb = superblock.ramfs_super()
    monkeypatch.setattr(sb, "pages_max", sb.pages_used + u64(8))
    return sb


def test_write_past_the_limit_is_short_then_enospc(sysc: Sys, limited: superblock.SuperBlock) -> None:
    fd = sysc.open(b"/big", O_CREAT | O_RDWR)
    assert fd >= 0
    blocks, free, avail = statfs_blocks(sysc, b"/")
    assert blocks == int(limited.pages_max) and free == avail == 8
    assert sysc.write(fd, b"x" * (3 * PAGE)) == 3 * PAGE
    assert statfs_blocks(sysc, b"/")[1] == 5
    # 6 more pages asked, 5 left: a short count, then ENOSPC.
    assert sysc.write(fd, b"y" * (6 * PAGE)) == 5 * PAGE
    assert sysc.write(fd, b"z") == -ENOSPC
    assert statfs_blocks(sysc, b"/")[1] == 0
    # Truncating gives pages back, and writing works again.
    assert sysc.call("ftruncate", fd, 2 * PAGE) == 0
    assert statfs_blocks(sysc, b"/")[1] == 6
    assert sysc.write(fd, b"w" * PAGE) == PAGE
    sysc.call("close", fd)
    assert sysc.call("unlinkat", -100, sysc.cstr(b"/big"), 0) == 0
    assert statfs_blocks(sysc, b"/")[1] == 8


def test_shared_anonymous_memory_is_not_counted(sysc: Sys, limited: superblock.SuperBlock) -> None:
    """memfd_create files live outside the root's limit (Linux's internal shmem mount)."""
    fd = sysc.call("memfd_create", sysc.cstr(b"m"), 0)
    assert fd >= 0
    before = int(limited.pages_used)
    assert sysc.write(fd, b"m" * (12 * PAGE)) == 12 * PAGE
    assert int(limited.pages_used) == before
