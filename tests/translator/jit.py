"""Host JIT harness for differential tests: translate Kernel Python for the host, run it through llvmlite MCJIT."""
from __future__ import annotations

import ctypes
import os
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Optional

from llvmlite import binding as llvm

from asterpy.lang import ints as kints
from asterpy.lang.errors import SysError
from translator.check import types as T
from translator.driver import translate
from translator.optimize import optimize, parse_ir
from translator.targets import create_target_machine, get_target, init_llvm

HEAP_BYTES = 8 << 20
_CONSOLE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)
_HALT = ctypes.CFUNCTYPE(None)
_LOG_BEGIN = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_int64)
_PANIC_STATUS = 77


class NativePanic(Exception):
    """The translated code panicked (seen from the parent of the forked child that ran it)."""

    def __init__(self, output: str):
        super().__init__(output)
        self.output = output


class DirtyBool(AssertionError):
    """A native bool result whose byte was neither 0 nor 1 (the C ABI's _Bool is exactly one of them)."""


def _result_ctype(t: T.KType) -> Any:
    """The ctypes type a result is read as: a bool as its whole byte, so that a dirty one is seen."""
    return ctypes.c_uint8 if t == T.BOOL else _ctype(t)


def _ctype(t: T.KType) -> Any:
    if isinstance(t, T.IntType):
        return {(8, False): ctypes.c_uint8, (16, False): ctypes.c_uint16, (32, False): ctypes.c_uint32, (64, False): ctypes.c_uint64,
                (8, True): ctypes.c_int8, (16, True): ctypes.c_int16, (32, True): ctypes.c_int32, (64, True): ctypes.c_int64}[(t.bits, t.signed)]
    if t == T.BOOL:
        return ctypes.c_bool
    if isinstance(t, T.PtrType) or t.is_object:
        return ctypes.c_void_p
    if t in (T.NONE, T.NORETURN):
        return None
    raise TypeError(f"cannot call a function taking/returning {t!r} from the harness")


def _kpy_value(t: T.KType, v: Any) -> Any:
    """Convert a ctypes result back to the runtime library's value for comparison with CPython."""
    if isinstance(t, T.IntType):
        cls = getattr(kints, t.name if t.name in ("u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64") else ("i64" if t.signed else "u64"))
        return cls(v)
    if t == T.BOOL:
        # ctypes.c_bool would call any nonzero byte True: check the byte is a proper _Bool.
        if v not in (0, 1):
            raise DirtyBool(f"a bool result came back as the byte {v:#04x}, not 0 or 1")
        return bool(v)
    return v


class Jit:
    """A translated program loaded into this process."""

    _keep: list = []  # ctypes callbacks and engines must outlive every call

    def __init__(self, paths: list, opt: int = 2):
        init_llvm()
        self.tr = translate([Path(p) for p in paths], "host", opt)
        self.output = bytearray()
        self._forward_fd: Optional[int] = None
        target = get_target("host")
        self.tm = create_target_machine(target, opt)
        mod = parse_ir(self.tr.ir_text)
        if opt:
            optimize(mod, self.tm, opt)
        self.console_cb = _CONSOLE(self._console)
        self.halt_cb = _HALT(self._halt)
        self.log_cb = _LOG_BEGIN(self._log_begin)
        llvm.add_symbol("kpy_console_write", ctypes.cast(self.console_cb, ctypes.c_void_p).value)
        llvm.add_symbol("kpy_panic_halt", ctypes.cast(self.halt_cb, ctypes.c_void_p).value)
        llvm.add_symbol("kpy_log_begin", ctypes.cast(self.log_cb, ctypes.c_void_p).value)
        self.engine = llvm.create_mcjit_compiler(mod, self.tm)
        self.engine.finalize_object()
        Jit._keep.append((self.console_cb, self.halt_cb, self.log_cb, self.engine, mod))
        self.heap = None
        if "asterpy.mm.heap" in self.tr.program.modules:
            self.heap = ctypes.create_string_buffer(HEAP_BYTES + 64)
            base = (ctypes.addressof(self.heap) + 63) & ~63
            self.raw("asterpy.mm.heap.heap_init", None, [ctypes.c_uint64, ctypes.c_uint64])(base, HEAP_BYTES)

    def _console(self, ptr: int, n: int) -> None:
        data = ctypes.string_at(ptr, n)
        if self._forward_fd is not None:
            os.write(self._forward_fd, data)  # in a forked child: stream to the parent
        else:
            self.output += data

    def _log_begin(self, level: int) -> bool:
        """The harness's log prefix: the runtime library's default (zero timestamp), so both worlds agree."""
        from asterpy.lang import console
        text: list[str] = []
        old = console.set_console_sink(text.append)
        try:
            shown = console.default_log_begin(level)
        finally:
            console.set_console_sink(old)
        data = "".join(text).encode()
        if data:
            buf = ctypes.create_string_buffer(data, len(data))
            self._console(ctypes.addressof(buf), len(data))
        return shown

    def _halt(self) -> None:
        sys.stdout.flush()
        os.write(1, b"")
        os._exit(_PANIC_STATUS)

    def raw(self, symbol: str, restype: Any, argtypes: list) -> Any:
        """A ctypes function for a symbol of the translated program."""
        addr = self.engine.get_function_address(symbol)
        if not addr:
            raise KeyError(f"no function {symbol!r} in the translated program")
        return ctypes.CFUNCTYPE(restype, *argtypes)(addr)

    def func(self, module: str, name: str):  # type: ignore[no-untyped-def]
        """A Python callable for a Kernel Python function: typed results, SysError raised like CPython."""
        mod = self.tr.program.modules[module]
        fs = mod.symbols[name]
        sig = fs.sig
        args_ct = [_ctype(p.type) for p in sig.params]
        ret = sig.ret
        if fs.may_raise:
            out = ret not in (T.NONE, T.NORETURN)
            f = self.raw(fs.symbol, ctypes.c_int64, ([ctypes.c_void_p] if out else []) + args_ct)

            def call_raising(*args: Any) -> Any:
                buf = ctypes.c_uint64(0)
                err = f(ctypes.addressof(buf), *[int(a) for a in args]) if out else f(*[int(a) for a in args])
                if err:
                    raise SysError(int(err))
                if not out:
                    return None
                return _kpy_value(ret, _result_ctype(ret)(buf.value).value if _ctype(ret) is not None else None)
            return call_raising
        f = self.raw(fs.symbol, _result_ctype(ret), args_ct)

        def call(*args: Any) -> Any:
            r = f(*[int(a) for a in args])
            return None if ret in (T.NONE, T.NORETURN) else _kpy_value(ret, r)
        return call

    def in_child(self, fn, *args: Any, timeout: float = 10.0) -> tuple[int, str, Any]:  # type: ignore[no-untyped-def]
        """Run fn(*args) in a forked child (so a panic cannot kill the test); return (status, console, result).

        A child still running after `timeout` seconds (a miscompiled loop) is killed: status -9.
        """
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            self.output.clear()
            # The ctypes callback is bound to _console once, so redirect through an attribute.
            self._forward_fd = w
            try:
                res = fn(*args)
                os.write(w, b"\0RESULT:" + repr(res).encode())
                os._exit(0)
            except BaseException as e:  # noqa: BLE001
                os.write(w, b"\0EXC:" + repr(e).encode())
                os._exit(1)
        os.close(w)
        import select
        import signal
        import time
        data = b""
        deadline = time.monotonic() + timeout
        while True:
            wait = deadline - time.monotonic()
            ready = select.select([r], [], [], max(wait, 0))[0] if wait > 0 else []
            if not ready:
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(r, 65536)
            if not chunk:
                break
            data += chunk
        os.close(r)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        text, _, tail = data.partition(b"\0")
        return code, text.decode(errors="replace"), tail.decode(errors="replace")


def jit_source(source: str, name: str = "case", opt: int = 2, tmpdir: Optional[Path] = None) -> tuple[Jit, str]:
    """Write `source` to a temporary module and JIT it; returns (jit, module name)."""
    d = Path(tmpdir or tempfile.mkdtemp(prefix="kpy-"))
    path = d / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    jit = Jit([path])
    return jit, name


def load_cpython(path: Path, name: str):  # type: ignore[no-untyped-def]
    """Import a Kernel Python file under CPython (its 'other world'), as kernel modules are imported there:
    through the checked tree with the integer types the checker inferred made explicit (translator/cpython_view.py)."""
    from translator.cpython_view import load_file
    return load_file(path, name)
