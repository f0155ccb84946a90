"""SBI calls (the RISC-V Supervisor Binary Interface, v0.2+): timer, system reset, legacy console."""

from typing import Final

from asterpy.lang import u64
from asterpy.lang.intrinsics import asm_u64

# Extension ids (a7) and function ids (a6).
SBI_EXT_TIME: Final = u64(0x54494D45)          # "TIME"
SBI_EXT_SRST: Final = u64(0x53525354)          # "SRST"
SBI_LEGACY_PUTCHAR: Final = u64(0x01)
SRST_SHUTDOWN: Final = u64(0)
SRST_REASON_NONE: Final = u64(0)
SRST_REASON_FAILURE: Final = u64(1)


def sbi_call(ext: u64, fid: u64, arg0: u64, arg1: u64) -> u64:
    """ecall with a7 = ext, a6 = fid, a0/a1 = arguments; return a0 (the SBI error code)."""
    # The inputs go to the fixed registers inside the template; those are declared clobbered,
    # so the register allocator keeps the inputs elsewhere.
    return asm_u64("mv a7, $1\n mv a6, $2\n mv a0, $3\n mv a1, $4\n ecall\n mv $0, a0",
                   "=r,r,r,r,r,~{x10},~{x11},~{x16},~{x17},~{memory}", ext, fid, arg0, arg1)


def sbi_set_timer(stime: u64) -> None:
    """Ask for a supervisor timer interrupt when the time CSR reaches stime (clears a pending one)."""
    sbi_call(SBI_EXT_TIME, u64(0), stime, u64(0))


def sbi_shutdown(failure: bool) -> None:
    """System reset: shut down (reason "failure" or "none"); returns only if SRST is missing."""
    sbi_call(SBI_EXT_SRST, u64(0), SRST_SHUTDOWN, SRST_REASON_FAILURE if failure else SRST_REASON_NONE)


