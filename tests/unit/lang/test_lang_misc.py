"""Intrinsics, linkage, Weak, console, and the package's exports and docstrings."""

import gc
import inspect
import subprocess
import sys
from typing import Any, Dict, List, Tuple

import pytest

import asterpy.lang
from asterpy.lang import (Weak, captured_console, export, extern, kprint, memory, reset_sim, set_console_sink,
                          set_extern_impl, u8, u16, u32)
from asterpy.lang import intrinsics
from asterpy.lang.intrinsics import IntrinsicUnavailable


class Port:
    """A fake port device logging accesses."""

    def __init__(self) -> None:
        """No accesses yet."""
        self.log: List[Tuple[str, int, int, int]] = []

    def read(self, offset: int, width: int) -> int:
        """Log the read and return a value wider than any access."""
        self.log.append(("r", offset, width, 0))
        return 0x1_2345_6789

    def write(self, offset: int, width: int, value: int) -> None:
        """Log the write."""
        self.log.append(("w", offset, width, value))


def test_asm_halt_and_naked_are_unavailable() -> None:
    for call in (lambda: intrinsics.asm("hlt", ""), lambda: intrinsics.asm_u64("rdtsc", "=A"),
                 intrinsics.halt):
        with pytest.raises(IntrinsicUnavailable, match="QEMU"):
            call()

    @intrinsics.naked
    def entry() -> None:
        """Trap entry."""
        intrinsics.asm("iretq", "")

    assert entry.__kpy_naked__ is True and entry.__name__ == "entry" and entry.__doc__ == "Trap entry."
    with pytest.raises(IntrinsicUnavailable, match="naked function"):
        entry()
    intrinsics.compiler_barrier()
    intrinsics.memory_barrier()
    intrinsics.cpu_relax()


def test_port_io() -> None:
    dev = Port()
    intrinsics.register_port(0x3F8, 8, dev)
    intrinsics.outb(0x3F9, 0x1FF)  # an int literal wraps to u8
    intrinsics.outw(0x3FA, u16(7))
    intrinsics.outl(0x3FC, -1)
    assert dev.log == [("w", 1, 1, 0xFF), ("w", 2, 2, 7), ("w", 4, 4, 0xFFFFFFFF)]
    assert intrinsics.inb(0x3F8) == 0x89 and type(intrinsics.inb(0x3F8)) is u8
    assert intrinsics.inw(0x3F8) == 0x6789 and type(intrinsics.inw(0x3F8)) is u16
    assert intrinsics.inl(0x3F8) == 0x23456789 and type(intrinsics.inl(0x3F8)) is u32
    with pytest.raises(TypeError):
        intrinsics.outb(0x3F8, u32(1))
    with pytest.raises(IntrinsicUnavailable, match="register_port"):
        intrinsics.inb(0x60)
    with pytest.raises(IntrinsicUnavailable):
        intrinsics.inl(0x3FE)  # runs past the registered range
    with pytest.raises(ValueError):
        intrinsics.register_port(0x3FF, 4, Port())
    reset_sim()
    with pytest.raises(IntrinsicUnavailable, match="no simulated device"):
        intrinsics.outb(0x3F8, 1)


def test_export_and_extern() -> None:
    def handler() -> int:
        """Handle."""
        return 1

    assert export("trap_handler")(handler) is handler and handler.__kpy_export__ == "trap_handler"

    @extern("switch_context")
    def switch_context(old: int, new: int) -> int:
        """Defined in assembly."""
        ...

    assert switch_context.__kpy_extern__ == "switch_context"
    with pytest.raises(IntrinsicUnavailable, match="set_extern_impl"):
        switch_context(1, 2)
    set_extern_impl("switch_context", lambda a, b: a + b)
    try:
        assert switch_context(1, 2) == 3
    finally:
        set_extern_impl("switch_context", None)
    with pytest.raises(IntrinsicUnavailable):
        switch_context(1, 2)
    for bad in ("", "1abc", "has space"):
        with pytest.raises(ValueError):
            export(bad)


def test_weak() -> None:
    class Node:
        """A heap object."""

    n = Node()
    w = Weak(n)
    w2 = Weak[Node](n)
    assert w.get() is n and w2.get() is n and "Weak(" in repr(w)
    del n
    gc.collect()
    assert w.get() is None and w2.get() is None and repr(w) == "Weak(dead)"


def test_console(capsys: pytest.CaptureFixture[str]) -> None:
    kprint("hello")
    assert capsys.readouterr().out == "hello\n"
    with captured_console() as lines:
        kprint("a")
        kprint("b\nc")
        kprint("")
    assert lines == ["a", "b", "c", ""]
    got: List[str] = []
    old = set_console_sink(got.append)
    try:
        kprint("x")
    finally:
        assert set_console_sink(old) == got.append
    assert got == ["x\n"]
    with pytest.raises(RuntimeError):
        with captured_console():
            raise RuntimeError
    kprint("back")
    assert capsys.readouterr().out == "back\n"


def test_package_exports() -> None:
    names = set(asterpy.lang.__all__)
    for required in ("u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "usize", "isize", "FixedInt",
                     "sizeof", "alignof", "offsetof", "struct", "Array", "Ptr", "PhysAddr", "VirtAddr",
                     "SimMemory", "MemoryFault", "reset_sim", "memcpy", "memset", "memcmp", "volatile_load",
                     "volatile_store", "register_mmio", "mmio_read32", "mmio_write64", "AtomicU32",
                     "AtomicBool", "atomic_cmpxchg", "SpinLock", "Deadlock", "SysError", "KernelPanic",
                     "panic", "ENOENT", "EHWPOISON", "Weak", "kprint", "set_console_sink",
                     "captured_console", "export", "extern", "set_extern_impl",
                     "Final", "Optional", "List", "Dict", "Tuple"):
        assert required in names and hasattr(asterpy.lang, required), required
    for name in intrinsics.__all__:  # the unsafe corner is never re-exported
        assert name not in names and not hasattr(asterpy.lang, name), name
    assert callable(asterpy.lang.struct) and asterpy.lang.struct.__module__ == "asterpy.lang.struct"
    from asterpy.lang.ints import sizeof as ints_sizeof
    from asterpy.lang.struct import sizeof as struct_sizeof
    assert ints_sizeof is struct_sizeof is asterpy.lang.sizeof  # one function for every type
    assert "sim" not in names and asterpy.lang.sim is memory.sim
    code = "import sys, asterpy.lang; print('asterpy.lang.intrinsics' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"  # importing the package does not pull in intrinsics


def _public_objects() -> Dict[str, Any]:
    """Every public function, class and public method of the runtime library."""
    import importlib
    objs: Dict[str, Any] = {}
    for mod_name in ("ints", "struct", "memory", "atomic", "errors", "errno", "weak", "console", "linkage",
                     "intrinsics"):
        mod = importlib.import_module(f"asterpy.lang.{mod_name}")
        assert (mod.__doc__ or "").strip(), mod_name
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                objs[f"{mod_name}.{name}"] = obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and (inspect.isfunction(member) or
                                                     isinstance(member, (classmethod, property))):
                        objs[f"{mod_name}.{name}.{attr}"] = getattr(obj, attr) if not isinstance(
                            member, property) else member
    return objs


def test_every_public_name_has_a_docstring() -> None:
    missing = [name for name, obj in _public_objects().items() if not (obj.__doc__ or "").strip()]
    assert not missing
