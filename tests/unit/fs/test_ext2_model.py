"""ext2 against a Python model: random sequences of create/write/truncate/unlink/rename/link,
then every file reads back as the model says, e2fsck is clean and debugfs agrees."""

import shutil
import tempfile
from pathlib import Path
from typing import Dict

from hypothesis import HealthCheck, given, settings, strategies as st

from ext2_sim import ImageDisk, debugfs, fsck, make_image, register
from fs_sim import Sys, fs_world, sysc, uwrite  # noqa: F401

NAMES = [b"a", b"b", b"c", b"d/x", b"d/y"]
O_CREAT, O_RDWR = 0o100, 2

op = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(NAMES), st.integers(0, 300_000), st.binary(min_size=1, max_size=5000)),
    st.tuples(st.just("truncate"), st.sampled_from(NAMES), st.integers(0, 400_000)),
    st.tuples(st.just("unlink"), st.sampled_from(NAMES)),
    st.tuples(st.just("rename"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.tuples(st.just("link"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.tuples(st.just("remount"),),
)


def read_all(s: Sys, path: bytes) -> bytes:
    """The content of path through read(2)."""
    s.reset_scratch()
    fd = s.open(path)
    assert fd >= 0, (path, fd)
    buf = s.alloc(65536)
    out = b""
    while True:
        r = s.call("read", fd, buf, 65536)
        assert r >= 0
        if r == 0:
            break
        out += s.read(buf, r)
    s.call("close", fd)
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(bs=st.sampled_from([1024, 2048, 4096]), ops=st.lists(op, max_size=25))
def test_ext2_matches_model(sysc: Sys, bs: int, ops: list) -> None:
    """Whatever the sequence, the files hold what the model holds, before and after umount."""
    tmp = Path(tempfile.mkdtemp())
    try:
        img = make_image(tmp, bs, {}, size_k=4096)
        register(ImageDisk(img))
        sysc.reset_scratch()
        sysc.s("mkdir", b"/mnt", 0o755)
        assert sysc.s("mount", b"/dev/vdt", b"/mnt", b"ext2", 0, 0) == 0
        assert sysc.s("mkdir", b"/mnt/d", 0o755) == 0
        model: Dict[bytes, bytearray] = {}
        for o in ops:
            sysc.reset_scratch()
            if o[0] == "write":
                _, name, off, data = o
                fd = sysc.open(b"/mnt/" + name, O_CREAT | O_RDWR, 0o644)
                assert fd >= 0
                buf = sysc.alloc(len(data))
                uwrite(sysc.p, buf, data)
                assert sysc.call("pwrite64", fd, buf, len(data), off) == len(data)
                sysc.call("close", fd)
                f = model.setdefault(name, bytearray())
                if len(f) < off + len(data):
                    f.extend(b"\0" * (off + len(data) - len(f)))
                f[off:off + len(data)] = data
            elif o[0] == "truncate":
                _, name, n = o
                r = sysc.s("truncate", b"/mnt/" + name, n)
                if name in model:
                    assert r == 0
                    f = model[name]
                    if n < len(f):
                        del f[n:]
                    else:
                        f.extend(b"\0" * (n - len(f)))
                else:
                    assert r < 0
            elif o[0] == "unlink":
                r = sysc.s("unlink", b"/mnt/" + o[1])
                assert (r == 0) == (o[1] in model)
                model.pop(o[1], None)
            elif o[0] == "rename":
                r = sysc.s("rename", b"/mnt/" + o[1], b"/mnt/" + o[2])
                assert (r == 0) == (o[1] in model)
                # Two names of one inode: rename does nothing (Linux's rule).
                if o[1] in model and model.get(o[2]) is not model[o[1]]:
                    model[o[2]] = model.pop(o[1])
            elif o[0] == "link":
                r = sysc.s("link", b"/mnt/" + o[1], b"/mnt/" + o[2])
                assert (r == 0) == (o[1] in model and o[2] not in model), r
                if r == 0:
                    model[o[2]] = model[o[1]]
            else:
                assert sysc.s("umount2", b"/mnt", 0) == 0
                fsck(img)
                assert sysc.s("mount", b"/dev/vdt", b"/mnt", b"ext2", 0, 0) == 0
        for name, data in model.items():
            assert read_all(sysc, b"/mnt/" + name) == bytes(data)
            links = sum(1 for other in model.values() if other is data)
            assert sysc.stat(b"/mnt/" + name)["nlink"] == links
        assert sysc.s("umount2", b"/mnt", 0) == 0
        fsck(img)
        for name, data in list(model.items())[:2]:
            assert debugfs(img, "cat /" + name.decode()) == bytes(data)
    finally:
        shutil.rmtree(tmp)
