"""Property tests: random file operations against a Python model, random paths against a model walk."""

import itertools
from typing import Dict, List, Optional, Tuple

from hypothesis import HealthCheck, given, settings, strategies as st

from asterpy.lang.errno import ENOENT, ENOTDIR

from fs_sim import Sys, fs_world, sysc  # noqa: F401

O_RDWR, O_CREAT, O_APPEND = 2, 0o100, 0o2000
_names = itertools.count()

OPS = st.lists(st.one_of(
    st.tuples(st.just("write"), st.binary(min_size=0, max_size=3000)),
    st.tuples(st.just("seek"), st.integers(0, 9000)),
    st.tuples(st.just("read"), st.integers(0, 5000)),
    st.tuples(st.just("pread"), st.tuples(st.integers(0, 5000), st.integers(0, 9000))),
    st.tuples(st.just("pwrite"), st.tuples(st.binary(min_size=1, max_size=3000), st.integers(0, 9000))),
    st.tuples(st.just("truncate"), st.integers(0, 9000)),
), max_size=25)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, append=st.booleans())
def test_file_ops_match_model(sysc: Sys, ops: List[Tuple[str, object]], append: bool) -> None:
    """write/lseek/read/pread/pwrite/ftruncate on a ramfs file do what they do on a bytearray."""
    sysc.reset_scratch()
    name = b"/p%d" % next(_names)
    fd = sysc.open(name, O_CREAT | O_RDWR | (O_APPEND if append else 0))
    assert fd >= 0
    model = bytearray()
    pos = 0
    buf = sysc.alloc(12000)
    for op, arg in ops:
        if op == "write":
            data = arg
            if append:
                pos = len(model)
            if pos > len(model) and data:
                model.extend(b"\0" * (pos - len(model)))
            model[pos:pos + len(data)] = data
            pos += len(data)
            assert sysc.write(fd, data) == len(data)
        elif op == "seek":
            pos = arg
            assert sysc.call("lseek", fd, arg, 0) == arg
        elif op == "read":
            want = model[pos:pos + arg]
            got = sysc.call("read", fd, buf, arg)
            assert got == len(want) and sysc.read(buf, got) == bytes(want)
            pos += got
        elif op == "pread":
            n, off = arg
            want = model[off:off + n]
            got = sysc.call("pread64", fd, buf, n, off)
            assert got == len(want) and sysc.read(buf, got) == bytes(want)
        elif op == "pwrite":
            data, off = arg
            if append:
                off = len(model)        # Linux: pwrite on an O_APPEND file appends
            if off > len(model):
                model.extend(b"\0" * (off - len(model)))
            model[off:off + len(data)] = data
            assert sysc.write_at(fd, data, arg[1]) == len(data)
        else:
            if arg < len(model):
                del model[arg:]
            else:
                model.extend(b"\0" * (arg - len(model)))
            assert sysc.call("ftruncate", fd, arg) == 0
        assert sysc.fstat(fd)["size"] == len(model)
    got = sysc.call("pread64", fd, buf, 12000, 0)
    assert sysc.read(buf, got) == bytes(model)
    sysc.call("close", fd)
    sysc.s("unlink", name)


# The tree the path test walks: directories map names to subtrees, files are None.
TREE: Dict[str, Optional[dict]] = {"a": {"b": {}, "f": None}, "c": {}, "g": None}
COMPS = ["a", "b", "c", "f", "g", ".", "..", "x"]


def model_walk(start: List[str], comps: List[str], trailing: bool) -> Tuple[Optional[List[str]], int]:
    """Where a path lands in TREE from directory `start` (a list of names): (path, 0) or (None, errno)."""
    cur = list(start)
    node: Optional[dict] = TREE
    for name in cur:
        node = node[name]  # type: ignore[index]
    for comp in comps:
        if node is None:
            return None, ENOTDIR
        if comp == ".":
            continue
        if comp == "..":
            if cur:
                cur.pop()
            node = TREE
            for name in cur:
                node = node[name]  # type: ignore[index]
            continue
        if comp not in node:
            return None, ENOENT
        cur.append(comp)
        node = node[comp]
    if trailing and node is None:
        return None, ENOTDIR
    return cur, 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(comps=st.lists(st.sampled_from(COMPS), min_size=1, max_size=8), absolute=st.booleans(),
       slashes=st.lists(st.integers(1, 3), min_size=8, max_size=8), trailing=st.booleans())
def test_paths_match_model(sysc: Sys, comps: List[str], absolute: bool, slashes: List[int], trailing: bool) -> None:
    """stat of a random path with ., .., repeated slashes and a trailing slash lands where a model
    walk does (from cwd /a), or fails with the same errno."""
    sysc.reset_scratch()
    if sysc.s("access", b"/a", 0) != 0:
        for d in (b"/a", b"/a/b", b"/c"):
            assert sysc.s("mkdir", d, 0o755) == 0
        for f in (b"/a/f", b"/g"):
            sysc.call("close", sysc.open(f, O_CREAT | 1))
        assert sysc.s("chdir", b"/a") == 0
    text = ("/" if absolute else "") + "".join(c + "/" * s for c, s in zip(comps, slashes))
    if not trailing:
        text = text.rstrip("/") or "/"
    has_trailing = text.endswith("/") and text.strip("/") != ""
    want, err = model_walk([] if absolute else ["a"], comps, has_trailing)
    buf = sysc.alloc(144)
    r = sysc.s("stat", text.encode(), buf)
    if want is None:
        assert r == -err, text
    else:
        assert r == 0, text
        expect = sysc.stat(("/" + "/".join(want)).encode())
        assert int.from_bytes(sysc.read(buf + 8, 8), "little") == expect["ino"], text


PIPE_OPS = st.lists(st.one_of(
    st.tuples(st.just("w"), st.integers(0, 70000)),
    st.tuples(st.just("r"), st.integers(0, 70000)),
), max_size=20)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=PIPE_OPS)
def test_nonblocking_pipe_matches_model(sysc: Sys, ops: List[Tuple[str, int]]) -> None:
    """A non-blocking pipe behaves as a 64 KiB FIFO: writes up to PIPE_BUF are all or nothing
    (EAGAIN), bigger ones take what fits; reads take what is there (EAGAIN when empty)."""
    sysc.reset_scratch()
    fds = sysc.alloc(8)
    assert sysc.call("pipe2", fds, 0o4000) == 0
    r, w = sysc.i32s(fds, 2)
    buf = sysc.alloc(70000)
    model = bytearray()
    counter = itertools.count()
    for op, n in ops:
        if op == "w":
            data = bytes((next(counter) * 7) & 0xFF for _ in range(n))
            from task_sim import uwrite
            uwrite(sysc.p, buf, data)
            room = 65536 - len(model)
            got = sysc.call("write", w, buf, n)
            if n == 0:
                assert got == 0
            elif (n <= 4096 and room < n) or room == 0:
                assert got == -11
            else:
                assert got == min(n, room)
                model += data[:got]
        else:
            got = sysc.call("read", r, buf, n)
            if n == 0:
                assert got == 0
            elif not model:
                assert got == -11
            else:
                want = model[:n]
                assert got == len(want) and sysc.read(buf, got) == bytes(want)
                del model[:got]
    sysc.call("close", r)
    sysc.call("close", w)
