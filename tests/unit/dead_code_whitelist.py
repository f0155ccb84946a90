"""Names vulture reports as unused in the kernel that are used where it cannot see (tests/unit/test_dead_code.py).

Each line names one, with the reason. Functions with `@export` (called from assembly or a link-time
hook) are skipped by the check itself and need no line here.
"""
# ruff: noqa
# type: ignore

__getattr__  # asterpy.lang: the module-level attribute hook CPython calls for `asterpy.lang.sim`
riscv64_sys_id  # syscall/numbers.py, generated for every arch: riscv64 has no syscall entry yet
riscv64_number  # (same: the syscall matrix and future riscv64 entry)
loongarch64_sys_id  # syscall/numbers.py, generated: loongarch64 has no syscall entry yet
loongarch64_number  # (same)
new_sp  # arch/x86_64/context.py: a parameter of an assembly function's Kernel Python signature
save_sp  # (same)
constraints  # asterpy/lang/intrinsics.py: parameters of the asm intrinsics' CPython stand-ins
operands  # (same)
exc  # asterpy/lang/atomic.py: a parameter of the lock's __exit__ (the context-manager protocol)
find_block_device  # drivers/block.py: the seam's lookup by a literal name (root=/dev/vda, drivers); mount(2) matches a user-given bytearray in fs/fstypes.device_named
