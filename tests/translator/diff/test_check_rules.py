"""Checker rules that keep the two worlds equal: refusals where meaning would differ, acceptance where it would not."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from translator.diagnostics import TranslateError
from translator.driver import translate

HEADER = "from typing import Optional\nfrom asterpy.lang import i64, u32, Ptr, struct, u64\n"


def check(tmp_path: Path, body: str) -> None:
    """Translate a small module (raises TranslateError when refused)."""
    path = tmp_path / "rules.py"
    path.write_text(HEADER + textwrap.dedent(body))
    translate([path], "host", 0)


OVERRIDES = {
    "parameter type": ("def f(self, x: i64) -> i64:", "def f(self, x: u32) -> i64:", "differs"),
    "parameter name": ("def f(self, x: i64) -> i64:", "def f(self, y: i64) -> i64:", "differs"),
    "parameter count": ("def f(self, x: i64) -> i64:", "def f(self, x: i64, y: i64) -> i64:", "argument"),
    "default": ("def f(self, x: i64 = 1) -> i64:", "def f(self, x: i64 = 2) -> i64:", "default"),
    "result": ("def f(self, x: i64) -> i64:", "def f(self, x: i64) -> u32:", "returns"),
}


@pytest.mark.parametrize("what", sorted(OVERRIDES))
def test_override_must_keep_signature(tmp_path: Path, what: str) -> None:
    """A call through the base class binds by the base signature, so an override may not change it."""
    base, sub, word = OVERRIDES[what]
    src = f"""
    class A:
        {base}
            return 1

    class B(A):
        {sub}
            return 2
    """
    with pytest.raises(TranslateError) as e:
        check(tmp_path, src)
    assert "overrides 'A.f'" in str(e.value) and word in str(e.value)


def test_same_signature_override_is_fine(tmp_path: Path) -> None:
    """Identical parameters, defaults and result type are accepted."""
    check(tmp_path, """
    class A:
        def f(self, x: i64 = 1) -> i64:
            return x

    class B(A):
        def f(self, x: i64 = 1) -> i64:
            return A.f(self, x) + 1
    """)


def test_struct_stores_that_copy_need_no_copy_call(tmp_path: Path) -> None:
    """Struct fields, constructors and Ptr stores copy in CPython too; binding a name or a class field shares."""
    check(tmp_path, """
    @struct
    class P:
        x: i64

    @struct
    class Q:
        p: P

    def f(addr: u64) -> i64:
        a = P(1)
        q = Q(a)
        q.p = a
        Ptr[P](addr).store(a)
        Ptr[P](addr)[1] = a
        return q.p.x
    """)
    for bad in ("b = a", "h.p = a"):
        with pytest.raises(TranslateError, match="copy"):
            check(tmp_path, f"""
            @struct
            class P:
                x: i64

            class H:
                p: P

                def __init__(self) -> None:
                    self.p = P()

            def f() -> i64:
                a = P(1)
                h = H()
                b = P()
                {bad}
                return a.x
            """)


def test_ptr_in_fstring_is_refused(tmp_path: Path) -> None:
    """CPython prints a Ptr as its repr and refuses specs: only p.addr formats the same in both worlds."""
    with pytest.raises(TranslateError, match=r"\.addr"):
        check(tmp_path, """
        from asterpy.lang import kprint

        def f(addr: u64) -> None:
            kprint(f"{Ptr[u32](addr)}")
        """)
    check(tmp_path, """
    from asterpy.lang import kprint

    def f(addr: u64) -> None:
        p = Ptr[u32](addr)
        kprint(f"{p.addr:#x}")
    """)


@pytest.mark.parametrize("expr", ["1 << 70", "200 + 100 * 3", "~0", "-(1 << 63) - 1"])
def test_folded_literal_that_does_not_fit_is_refused(tmp_path: Path, expr: str) -> None:
    """CPython keeps a folded literal expression as an unbounded int where it is bound or returned, so it must
    fit the declared type (like a plain literal) or be converted explicitly."""
    with pytest.raises(TranslateError, match="does not fit"):
        check(tmp_path, f"""
        from asterpy.lang import u8

        def f() -> u64:
            x: {'u8' if '200' in expr else 'u64'} = {expr}
            return u64(x)
        """)
    check(tmp_path, f"""
    def f() -> u64:
        return u64({expr})
    """)


def test_exception_name_only_inside_its_handler(tmp_path: Path) -> None:
    """CPython deletes `e` when its except block ends: a use after the block is refused."""
    with pytest.raises(TranslateError, match="only bound inside"):
        check(tmp_path, """
        from asterpy.lang import SysError

        def g() -> None:
            raise SysError(2)

        def f() -> i64:
            try:
                g()
            except SysError as e:
                pass
            return e.errno
        """)
    check(tmp_path, """
    from asterpy.lang import SysError

    def g() -> None:
        raise SysError(2)

    def f() -> i64:
        r: i64 = 0
        try:
            g()
        except SysError as e:
            r = e.errno
        try:
            g()
        except SysError as e:
            r += e.errno
            raise e
        return r
    """)


def test_range_step_is_a_constant_that_fits_the_width(tmp_path: Path) -> None:
    """A negative step over an unsigned range is fine; a step beyond the type's width is refused."""
    check(tmp_path, """
    from asterpy.lang import u8

    def f(n: u8) -> u8:
        s: u8 = 0
        for i in range(n, 0, -1):
            s += i
        return s
    """)
    with pytest.raises(TranslateError, match="larger than any u8 range"):
        check(tmp_path, """
        from asterpy.lang import u8

        def f(n: u8) -> u8:
            s: u8 = 0
            for i in range(0, n, 256):
                s += i
            return s
        """)
