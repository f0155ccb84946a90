"""Where the kernel carries the vDSO image: the build links it into .rodata (translator/build.py)."""

from asterpy.lang import u64
from asterpy.lang.intrinsics import asm_u64


def vdso_image_start() -> u64:
    """Kernel address of the vDSO shared object's first byte."""
    return asm_u64("movabsq $$asterpy_vdso_start, $0", "=r")


def vdso_image_length() -> u64:
    """Its length in bytes."""
    return asm_u64("movabsq $$asterpy_vdso_end, $0", "=r") - vdso_image_start()
