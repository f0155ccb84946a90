"""Run LLVM work in a forked child so that a fatal LLVM error becomes a Python exception.

LLVM reports some errors (an unsupported asm parser, a backend that cannot select an
instruction) with `report_fatal_error`, which prints `LLVM ERROR: ...` and ends the whole
process. `run_isolated(fn, *args)` forks, runs `fn` in the child with fd 2 captured, and
sends back its result (or exception) through a pipe; if the child dies instead, the parent
raises CodegenCrash carrying LLVM's message. The result must be picklable (bytes, str, ...).
"""
from __future__ import annotations

import faulthandler
import os
import pickle
import signal
import sys
import tempfile
import traceback
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class CodegenCrash(RuntimeError):
    """LLVM killed the isolated child process; the message holds its stderr (LLVM ERROR: ...)."""


def _child(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], wfd: int, errfd: int) -> None:
    """Body of the forked child: run fn, pickle (ok, value) into wfd, never return."""
    code = 0
    try:
        os.dup2(errfd, 2)
        # An enabled faulthandler (pytest turns it on) would dump a Python traceback for the
        # expected SIGABRT onto the parent's terminal: LLVM's own message is what we want.
        faulthandler.disable()
        try:
            payload: tuple[bool, Any] = (True, fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent
            payload = (False, exc)
        try:
            data = pickle.dumps(payload)
        except Exception:  # noqa: BLE001 - an unpicklable result or exception
            data = pickle.dumps((False, RuntimeError(traceback.format_exc())))
        with os.fdopen(wfd, "wb") as out:
            out.write(data)
    except BaseException:  # noqa: BLE001
        code = 70
    finally:
        os._exit(code)


def run_isolated(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call fn(*args, **kwargs) in a forked child; return its result, re-raise its exception,
    or raise CodegenCrash if LLVM (or anything) kills the child."""
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as err:
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            _child(fn, args, kwargs, wfd, err.fileno())
        os.close(wfd)
        with os.fdopen(rfd, "rb") as inp:
            data = inp.read()       # read everything before waiting: results may exceed a pipe
        _, status = os.waitpid(pid, 0)
        err.seek(0)
        stderr = err.read().decode(errors="replace").strip()
    if data and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        try:
            ok, value = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001 - e.g. an exception class that cannot unpickle
            raise RuntimeError(f"could not unpickle the isolated result: {exc}") from None
        if ok:
            return value
        raise value
    if os.WIFSIGNALED(status):
        how = f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    else:
        how = f"exit status {os.WEXITSTATUS(status)}"
    name = getattr(fn, "__qualname__", repr(fn))
    raise CodegenCrash(f"LLVM crashed while running {name} ({how}):\n{stderr or '(no message)'}")
