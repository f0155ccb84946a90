"""What a delivered signal carries (the fields of siginfo_t the kernel fills), and signal numbers."""

from typing import Final

from asterpy.lang import struct, u64

SIGHUP: Final = u64(1)
SIGINT: Final = u64(2)
SIGQUIT: Final = u64(3)
SIGILL: Final = u64(4)
SIGTRAP: Final = u64(5)
SIGABRT: Final = u64(6)
SIGBUS: Final = u64(7)
SIGFPE: Final = u64(8)
SIGKILL: Final = u64(9)
SIGUSR1: Final = u64(10)
SIGSEGV: Final = u64(11)
SIGUSR2: Final = u64(12)
SIGPIPE: Final = u64(13)
SIGALRM: Final = u64(14)
SIGTERM: Final = u64(15)
SIGSTKFLT: Final = u64(16)
SIGCHLD: Final = u64(17)
SIGCONT: Final = u64(18)
SIGSTOP: Final = u64(19)
SIGTSTP: Final = u64(20)
SIGTTIN: Final = u64(21)
SIGTTOU: Final = u64(22)
SIGURG: Final = u64(23)
SIGXCPU: Final = u64(24)
SIGXFSZ: Final = u64(25)
SIGVTALRM: Final = u64(26)
SIGPROF: Final = u64(27)
SIGWINCH: Final = u64(28)
SIGIO: Final = u64(29)
SIGPWR: Final = u64(30)
SIGSYS: Final = u64(31)
NSIG: Final = u64(64)

# si_code values.
SI_USER: Final = u64(0)
SI_KERNEL: Final = u64(0x80)
SI_TKILL: Final = u64(0xFFFFFFFA)      # -6 as a 32-bit int
SEGV_MAPERR: Final = u64(1)
SEGV_ACCERR: Final = u64(2)
ILL_ILLOPN: Final = u64(2)
FPE_INTDIV: Final = u64(1)
BUS_ADRERR: Final = u64(2)
TRAP_BRKPT: Final = u64(1)
CLD_EXITED: Final = u64(1)
CLD_KILLED: Final = u64(2)
CLD_DUMPED: Final = u64(3)
CLD_STOPPED: Final = u64(5)
CLD_CONTINUED: Final = u64(6)


@struct
class SigInfo:
    """The siginfo_t fields of one delivered signal."""

    signo: u64
    code: u64
    pid: u64        # sender (kill) or child (SIGCHLD)
    uid: u64
    addr: u64       # faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE)
    status: u64     # SIGCHLD: exit code or signal


def sig_bit(sig: u64) -> u64:
    """The mask bit of signal sig (1..64)."""
    return u64(1) << (sig - 1)
