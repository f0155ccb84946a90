"""Kernel Python's runtime library: the names kernel code imports (CPython meaning; native via the translator).

Everything except `intrinsics` is re-exported here; intrinsics must be imported explicitly from
asterpy.lang.intrinsics so the translator can confine it to arch/.
"""

from typing import Any, Dict, Final, List, Optional, Tuple

from . import atomic as _atomic, console as _console, errno as _errno, errors as _errors
from . import ints as _ints, linkage as _linkage, memory as _memory, struct as _struct, weak as _weak
from .atomic import *  # noqa: F403
from .console import *  # noqa: F403
from .errno import *  # noqa: F403
from .errors import *  # noqa: F403
from .ints import *  # noqa: F403
from .linkage import *  # noqa: F403
from .memory import *  # noqa: F403
from .struct import *  # noqa: F403  (binds the name `struct` to the decorator, not the module)
from .weak import *  # noqa: F403

__all__ = list(dict.fromkeys(["Final", "Optional", "List", "Dict", "Tuple"] + [
    name
    for mod in (_ints, _struct, _memory, _atomic, _errors, _errno, _weak, _console, _linkage)
    for name in mod.__all__
]))


def __getattr__(name: str) -> Any:
    """`asterpy.lang.sim` is the current simulated memory, looked up at access time."""
    if name == "sim":
        return _memory.sim
    raise AttributeError(f"module 'asterpy.lang' has no attribute {name!r}")
