"""Directories that scale: the hash index of names (collisions included) and getdents64 resuming
at a cursor while entries come and go, against a Python model."""

import itertools
from typing import Dict, List, Set, Tuple

from hypothesis import HealthCheck, given, settings, strategies as st

from asterpy.fs import inode as fs_inode
from asterpy.fs.inode import DirInode, RegInode, name_from
from asterpy.lang import u32, u64

from fs_sim import Sys, fs_world, sysc  # noqa: F401

O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY = 0, 1, 0o100, 0o200, 0o200000
POOL = 90       # names n0..n89: enough that bulk unlinks leave holes to compact
_dirs = itertools.count()


def name(i: int) -> bytes:
    """The i-th name of the pool."""
    return b"n%d" % i


def getdents(s: Sys, fd: int, bufsz: int) -> List[Tuple[bytes, int]]:
    """One getdents64 call: its (name, d_off) records ([] at the end; asserts success)."""
    buf = s.alloc(bufsz)
    r = s.call("getdents64", fd, buf, bufsz)
    assert r >= 0, r
    data = s.read(buf, r)
    out = []
    off = 0
    while off < r:
        d_off = int.from_bytes(data[off + 8:off + 16], "little")
        reclen = int.from_bytes(data[off + 16:off + 18], "little")
        out.append((data[off + 19:off + reclen].split(b"\0")[0], d_off))
        off += reclen
    return out


class Listing:
    """An open listing of the directory and what the model expects of it."""

    def __init__(self, fd: int, present: Set[bytes]) -> None:
        """Started with the names in present."""
        self.fd = fd
        self.stable = set(present)      # present since the listing started
        self.ever = set(present)        # present at some moment during the listing
        self.seen: Dict[bytes, int] = {}
        self.done = False


OPS = st.lists(st.one_of(
    st.tuples(st.just("create"), st.integers(0, POOL - 1), st.just(0)),
    st.tuples(st.just("unlink"), st.integers(0, POOL - 1), st.just(0)),
    st.tuples(st.just("rename"), st.integers(0, POOL - 1), st.integers(0, POOL - 1)),
    st.tuples(st.just("bulk_create"), st.integers(0, POOL - 1), st.integers(1, 60)),
    st.tuples(st.just("bulk_unlink"), st.integers(0, POOL - 1), st.integers(1, 60)),
    st.tuples(st.just("open"), st.just(0), st.just(0)),
    st.tuples(st.just("read"), st.integers(0, 2), st.sampled_from([32, 64, 100, 200, 1000])),
), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_listing_under_churn_matches_model(sysc: Sys, ops: List[Tuple[str, int, int]]) -> None:
    """create/unlink/rename between getdents64 chunks of up to three open listings: every name
    present for a whole listing is listed exactly once, only names that existed meanwhile are
    listed, and a quiet listing shows exactly the model's names."""
    s = sysc
    s.reset_scratch()
    top = b"/d%d" % next(_dirs)   # examples share the file system (a failed one leaves its tree)
    assert s.s("mkdir", top, 0o755) == 0
    present: Set[bytes] = set()
    listings: List[Listing] = []

    def gone(n: bytes) -> None:
        present.discard(n)
        for li in listings:
            li.stable.discard(n)

    def came(n: bytes) -> None:
        present.add(n)
        for li in listings:
            li.ever.add(n)

    def create(n: bytes) -> None:
        fd = s.open(top + b"/" + n, O_WRONLY | O_CREAT | O_EXCL)
        if n in present:
            assert fd == -17        # EEXIST
            return
        assert fd >= 0
        s.call("close", fd)
        came(n)

    def unlink(n: bytes) -> None:
        r = s.s("unlink", top + b"/" + n)
        assert r == (0 if n in present else -2)
        gone(n)

    for op, a, b in ops:
        s.reset_scratch()
        if op == "create":
            create(name(a))
        elif op == "unlink":
            unlink(name(a))
        elif op == "rename":
            src, dst = name(a), name(b)
            r = s.s("rename", top + b"/" + src, top + b"/" + dst)
            if src not in present:
                assert r == -2
            else:
                assert r == 0
                if src != dst:
                    gone(src)
                    gone(dst)       # replaced: the old entry for dst went away
                    came(dst)
        elif op == "bulk_create":
            for i in range(a, min(POOL, a + b)):
                if name(i) not in present:
                    create(name(i))
        elif op == "bulk_unlink":
            for i in range(a, min(POOL, a + b)):
                if name(i) in present:
                    unlink(name(i))
        elif op == "open":
            if len(listings) < 3:
                fd = s.open(top, O_RDONLY | O_DIRECTORY)
                assert fd >= 0
                listings.append(Listing(fd, present | {b".", b".."}))
        else:
            if a < len(listings) and not listings[a].done:
                li = listings[a]
                recs = getdents(s, li.fd, b)
                if not recs:
                    li.done = True
                for n, _ in recs:
                    assert n in li.ever, f"{n!r} listed but never present"
                    li.seen[n] = li.seen.get(n, 0) + 1
    # Finish every listing quietly, then check it.
    for li in listings:
        while not li.done:
            s.reset_scratch()
            recs = getdents(s, li.fd, 64)
            if not recs:
                li.done = True
            for n, _ in recs:
                assert n in li.ever
                li.seen[n] = li.seen.get(n, 0) + 1
        for n in li.stable:
            assert li.seen.get(n, 0) == 1, f"{n!r} present throughout, listed {li.seen.get(n, 0)} times"
        s.call("close", li.fd)
    s.reset_scratch()
    assert sorted(s.listdir(top)) == sorted(present | {b".", b".."})
    for n in sorted(present):
        unlink(n)
    assert s.s("rmdir", top) == 0


def test_resume_from_each_returned_offset(sysc: Sys) -> None:
    """lseek to any d_off getdents64 returned resumes right after that record, also after the
    entries before it were removed and the order list compacted."""
    s = sysc
    assert s.s("mkdir", b"/e", 0o755) == 0
    for i in range(80):
        fd = s.open(b"/e/" + name(i), O_WRONLY | O_CREAT)
        s.call("close", fd)
    fd = s.open(b"/e", O_RDONLY | O_DIRECTORY)
    recs = getdents(s, fd, 8192)
    assert len(recs) == 82
    for k in range(0, 82, 7):
        s.reset_scratch()
        assert s.call("lseek", fd, recs[k][1], 0) == recs[k][1]
        assert [n for n, _ in getdents(s, fd, 8192)] == [n for n, _ in recs[k + 1:]]
    # Remove the first 60 files (compaction renumbers the slots), then resume at record 70's d_off.
    for i in range(60):
        assert s.s("unlink", b"/e/" + name(i)) == 0
    d = fs_inode.root_dir().lookup(name_from(b"e"))
    assert isinstance(d, DirInode) and len(d.slots) < 60
    s.reset_scratch()
    s.call("lseek", fd, recs[70][1], 0)
    assert [n for n, _ in getdents(s, fd, 8192)] == [n for n, _ in recs[71:]]
    s.call("close", fd)


def test_hash_collisions(fs_world: None, monkeypatch) -> None:  # noqa: F811
    """Names that share a hash chain are found, replaced and removed independently."""
    monkeypatch.setattr(fs_inode, "name_hash", lambda n: u64(len(n) % 2))
    d = DirInode(u32(0o755), None)
    inodes = {}
    for i in range(40):
        ino = RegInode(u32(0o644))
        inodes[i] = ino
        d.add(name_from(name(i)), ino)
    for i in range(40):
        assert d.lookup(name_from(name(i))) is inodes[i]
    assert d.lookup(name_from(b"zz")) is None
    # Remove from the head, the middle and the tail of the chains.
    for i in (39, 0, 20, 5, 33):
        assert d.remove(name_from(name(i))) is inodes[i]
        assert d.lookup(name_from(name(i))) is None
        assert d.remove(name_from(name(i))) is None
    left = [i for i in range(40) if i not in (39, 0, 20, 5, 33)]
    for i in left:
        assert d.lookup(name_from(name(i))) is inodes[i]
    for i in left:
        assert d.detach(name_from(name(i))) is not None
    assert d.is_empty() and len(d.index) == 0
