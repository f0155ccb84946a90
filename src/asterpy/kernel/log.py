"""The kernel log: the timestamped, levelled prefix of kinfo()/kwarn()/... lines, and raw bytes from memory.

The command line's log words (kernel/cmdline.py, docs/cmdline.md): `quiet` hides info and debug
lines (and the boot banner, see kernel_main), warnings and errors are still printed; `debug`
shows debug lines; `loglevel=N` prints the levels below N; `printk.time=0` drops the time.
`asterpy run -c` boots with `quiet`, so that only the program's own output reaches the host.
"""

from typing import Final

from asterpy.lang import Ptr, kwrite, u8, u64
from asterpy.lang.linkage import export, extern
from asterpy.kernel.bootinfo import boot_info
from asterpy.kernel.cmdline import cmdline_log_threshold, cmdline_printk_time, cmdline_quiet

CH_NL: Final = u8(0x0A)
NS_PER_SEC: Final = u64(1000000000)


@extern("kpy_monotonic_ns")
def monotonic_ns() -> u64:
    """Nanoseconds on the arch's monotonic clock (0 until it starts): each arch's kernel_arch exports it."""
    ...

LOG_ERROR: Final = u64(3)
LOG_WARN: Final = u64(4)
LOG_INFO: Final = u64(6)  # syslog numbering: 3 error, 4 warn, 6 info, 7 debug
CH_SPACE: Final = u8(0x20)
# Lines above this level are not printed.
_threshold: u64 = LOG_INFO
# Whether the command line has been looked at for `quiet` (it is, once the arch has set it).
_cmdline_seen: bool = False
_quiet: bool = False
# Whether lines start with their time (`printk.time=0` turns it off).
_times: bool = True
# Whether every syscall is logged with its arguments and result (asterpy.strace=1; asterpy.syscall.dispatch).
trace_syscalls: bool = False


def log_check_cmdline() -> None:
    """Apply the boot command line's log words (`quiet`, `debug`, `loglevel=`, `printk.time=`) once it is there."""
    global _cmdline_seen, _threshold, _quiet, _times
    if _cmdline_seen or boot_info.cmdline == 0:
        return
    _cmdline_seen = True
    _threshold = cmdline_log_threshold()
    _quiet = cmdline_quiet()
    _times = cmdline_printk_time()


def log_is_quiet() -> bool:
    """Whether the command line turned info lines off (`quiet`): the banner is then not printed either."""
    log_check_cmdline()
    return _quiet


def set_log_threshold(level: u64) -> None:
    """Print log lines up to `level` (7 shows debug lines too)."""
    global _threshold
    _threshold = level


def level_name(level: u64) -> str:
    """The word a log line shows for its level."""
    if level <= 3:
        return "error"
    if level <= 4:
        return "warn"
    if level <= 6:
        return "info"
    return "debug"


@export("kpy_log_begin")
def kpy_log_begin(level: u64) -> bool:
    """Start a log line: `[seconds.micros] level: ` on the monotonic clock; False if the level is filtered."""
    log_check_cmdline()
    if level > _threshold:
        return False
    if not _times:
        kwrite(f"{level_name(level)}: ")
        return True
    ns = monotonic_ns()
    kwrite(f"[{ns // NS_PER_SEC:5d}.{ns % NS_PER_SEC // u64(1000):06d}] {level_name(level)}: ")
    return True


# The arch console's single-byte writer. The symbol is an alias that the kernel link defines
# (translator/build.py: --defsym=asterpy_log_putc=kpy_console_putc): the translator cannot yet
# declare an @extern whose symbol another module of the same program @exports (the two
# functions collide in the one LLVM module), so the extern names a different symbol.
@extern("asterpy_log_putc")
def console_putc(c: u8) -> None:
    """Write one byte to the kernel console (LF becomes CR LF on serial lines)."""
    ...


def log_bytes(addr: u64, n: u64) -> None:
    """Write n bytes at virtual address addr, replacing control characters by '?'."""
    p = Ptr[u8](addr)
    for i in range(u64(0), n):
        c = p[i]
        if c < 0x20 or c >= 0x7F:
            console_putc(u8(0x3F))
        else:
            console_putc(c)


def log_newline() -> None:
    """End the current line."""
    console_putc(CH_NL)


def cstr_len(addr: u64, limit: u64) -> u64:
    """Length of the NUL-terminated string at virtual address addr, at most limit."""
    p = Ptr[u8](addr)
    n = u64(0)
    while n < limit and p[n] != 0:
        n += 1
    return n


def set_syscall_trace(on: bool) -> None:
    """Log every syscall with its first arguments and its result (`strace=1` on the command line)."""
    global trace_syscalls
    trace_syscalls = on
