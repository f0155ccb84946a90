"""Test-wide set-up: under CPython, `import kernel_arch` (the arch interface) means the x86_64 one."""

import sys
from pathlib import Path

# The build resolves `kernel_arch` to arch/<arch>/kernel_arch.py through its module roots
# (translator/build.py module_roots); CPython needs the same folder on its path. Appended, so
# that nothing else in arch/x86_64 can shadow a module found earlier.
_ARCH_DIR = str(Path(__file__).resolve().parents[1] / "arch" / "x86_64")
if _ARCH_DIR not in sys.path:
    sys.path.append(_ARCH_DIR)

# Kernel modules are imported as the translator sees them: checked, with the integer types the
# checker inferred written out (`y: u8 = 200` runs as `y: u8 = u8(200)`), so that they mean under
# CPython what they mean natively (translator/cpython_view.py, docs/language.md 6.2).
from translator.build import module_roots  # noqa: E402
from translator.cpython_view import install  # noqa: E402

_REPO = Path(__file__).resolve().parents[1]
install(module_roots("x86_64"), [_REPO / "src" / "asterpy", _REPO / "arch"], _REPO / ".cache" / "cpython_view")

# The kernel's modules import each other in cycles (the task, file-system and syscall layers
# call down into the arch interface, which calls back up). The translator binds every module's
# own names before its imports, so any order works there; CPython needs the cycle entered from
# its bottom, the arch interface, whose upward imports come last in each module.
import kernel_arch  # noqa: E402,F401

# What the composition root does at boot (kernel_glue.register_upcalls): files, drivers and wait
# channels reach the scheduler through the task layer's registered upcalls.
from asterpy.task.upcalls import register_task_upcalls  # noqa: E402

register_task_upcalls()
