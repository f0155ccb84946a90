"""The kernel command line: Linux's words with Linux's meaning, asterpy's own as `asterpy.*`, the rest for init.

The line is split into words at spaces (tabs and newlines count as spaces) outside double quotes;
inside quotes `\\"` is a quote and `\\\\` a backslash (how `asterpy run -c` passes a shell command).
A word is `name` or `name=value`. What each word does is in docs/cmdline.md; in short, as Linux:

* words the kernel knows are consumed (`console=`, `loglevel=`, `quiet`, `panic=`, `root=`, ...);
* `init=` and `rdinit=` name init, and drop the unknown arguments seen before them;
* other words with a dot in their name are module parameters: never passed on;
* other `name=value` words become init's environment, other words its arguments;
* everything after `--` is init's arguments, unchanged.

cmdline_settings() reads the words the kernel acts on into module globals without allocating
(the arch entry asks for `asterpy.fault=` before the heap exists); the getters below parse on
first use. word_kind() is the one classification that task/init.py uses for init's argv and envp.
cmdline_save() keeps a copy of the line as given on the heap for /proc/cmdline.
"""

from typing import Final

from asterpy.lang import Ptr, i64, u8, u64
from asterpy.mm.heap import kmalloc
from asterpy.kernel.bootinfo import boot_info

SPACE: Final = u8(0x20)
QUOTE: Final = u8(0x22)
BACKSLASH: Final = u8(0x5C)
EQUALS: Final = u8(0x3D)
DOT: Final = u8(0x2E)
COMMA: Final = u8(0x2C)
MINUS: Final = u8(0x2D)
DIGIT_0: Final = u8(0x30)

# What a word is (word_kind).
KIND_KERNEL: Final = u64(0)   # a word the kernel acts on or accepts: consumed
KIND_INIT: Final = u64(1)     # init=PATH
KIND_RDINIT: Final = u64(2)   # rdinit=PATH
KIND_MODULE: Final = u64(3)   # name with a dot (module.parameter): consumed, not passed on
KIND_ENV: Final = u64(4)      # unknown name=value: init's environment
KIND_ARG: Final = u64(5)      # unknown word: init's argument
KIND_DASHES: Final = u64(6)   # `--`: the rest are init's arguments
KIND_ASTERPY: Final = u64(7)  # asterpy.NAME[=VALUE]: asterpy's own switches

# asterpy.fault= values: fail on purpose at boot (tests of the panic and trap reports).
FAULT_NONE: Final = u64(0)
FAULT_PANIC: Final = u64(1)   # panic()
FAULT_UD: Final = u64(2)      # x86_64: ud2 in kernel code
FAULT_PF: Final = u64(3)      # x86_64: read an unmapped address
FAULT_GP: Final = u64(4)      # x86_64: read a non-canonical address
FAULT_DF: Final = u64(5)      # x86_64: a double fault
FAULT_TRAP: Final = u64(6)    # riscv64, loongarch64: the arch's trap test
FAULT_SO: Final = u64(7)      # overflow a (guarded) kernel stack once paging is up
FAULT_BS: Final = u64(8)      # run off the end of the boot stack (the one kernel_main runs on)
FAULT_IS: Final = u64(9)      # write to the guard page of the image's last exception stack
# asterpy.wx= values: break W^X after the kernel tables are loaded (must fault).
WX_NONE: Final = u64(0)
WX_TEXT: Final = u64(1)
WX_RO: Final = u64(2)
WX_NX: Final = u64(3)
# root=... ro / rw.
ROOT_MODE_NONE: Final = u64(0)
ROOT_MODE_RO: Final = u64(1)
ROOT_MODE_RW: Final = u64(2)

# Log thresholds (kernel/log.py: a line is printed when its level is at most the threshold).
LOG_WARN: Final = u64(4)
LOG_INFO: Final = u64(6)
LOG_DEBUG: Final = u64(7)

# The address of the line the settings below were read from (0: not read yet). A new line (a
# unit test, or an arch that records its line late) is read again.
_parsed_line: u64 = 0
_parsed_len: u64 = 0
exit_requested: bool = False
strace: bool = False
fault: u64 = 0
wx_probe: u64 = 0
fpu_selftest: bool = False
failslab: u64 = 0
log_threshold: u64 = 6
quiet: bool = False
printk_time: bool = True
panic_timeout: i64 = 0
oops_panic: bool = False
root_given: bool = False
root_mode: u64 = 0
rootwait: bool = False
# console=: how many were given, and whether one of them is ours (ttyS0).
console_count: u64 = 0
console_serial: bool = False
# rdinit=/init= values: [start, end) in the line (0, 0 when absent), raw (quotes not removed).
init_start: u64 = 0
init_end: u64 = 0
rdinit_start: u64 = 0
rdinit_end: u64 = 0
# Index just past the last init=/rdinit= word: unknown arguments before it are dropped (as Linux).
args_from: u64 = 0
# Index just past `--` (0: no `--`).
dashes_end: u64 = 0
# asterpy.ramdisk= value: [start, end) in the line (0, 0 when absent).
ramdisk_start: u64 = 0
ramdisk_end: u64 = 0

# The line as given, copied by cmdline_save (for /proc/cmdline).
saved_addr: u64 = 0
saved_len: u64 = 0


def is_space(c: u8) -> bool:
    """Whether c separates words (space, tab, newline, carriage return)."""
    return c == SPACE or c == u8(0x09) or c == u8(0x0A) or c == u8(0x0D)


def skip_spaces(p: Ptr[u8], n: u64, i: u64) -> u64:
    """The index of the next word's first byte at or after i (n when none is left)."""
    while i < n and is_space(p[i]):
        i += 1
    if i < n and p[i] == 0:
        return n
    return i


def word_end(p: Ptr[u8], n: u64, i: u64) -> u64:
    """The index just past the word starting at i: a space outside double quotes or a NUL ends it."""
    quoted = False
    while i < n and p[i] != 0 and (quoted or not is_space(p[i])):
        c = p[i]
        if c == QUOTE:
            quoted = not quoted
        elif quoted and c == BACKSLASH and i + 1 < n and (p[i + 1] == QUOTE or p[i + 1] == BACKSLASH):
            i += 1
        i += 1
    return i


def name_start(p: Ptr[u8], s: u64, e: u64) -> u64:
    """Where the word's name starts: after an opening quote (`"name=value with spaces"`)."""
    if s < e and p[s] == QUOTE:
        return s + 1
    return s


def name_end(p: Ptr[u8], s: u64, e: u64) -> u64:
    """The index of the word's first `=` (its name ends there), or e when it has none."""
    i = s
    while i < e and p[i] != EQUALS:
        i += 1
    return i


def value_start(p: Ptr[u8], ne: u64, e: u64) -> u64:
    """Where the value after the `=` at ne starts (past an opening quote), e when there is none."""
    if ne >= e:
        return e
    v = ne + 1
    if v < e and p[v] == QUOTE:
        v += 1
    return v


def value_end(p: Ptr[u8], v: u64, e: u64) -> u64:
    """Where the value starting at v ends: before a closing quote."""
    if e > v and p[e - 1] == QUOTE:
        return e - 1
    return e


def span_is(p: Ptr[u8], s: u64, e: u64, text: bytes) -> bool:
    """Whether the bytes [s, e) of the line equal text."""
    if e - s != u64(len(text)):
        return False
    for k in range(u64(0), e - s):
        if p[s + k] != text[k]:
            return False
    return True


def span_starts(p: Ptr[u8], s: u64, e: u64, text: bytes) -> bool:
    """Whether the bytes [s, e) of the line start with text."""
    if e - s < u64(len(text)):
        return False
    return span_is(p, s, s + u64(len(text)), text)


def span_has_dot(p: Ptr[u8], s: u64, e: u64) -> bool:
    """Whether the bytes [s, e) hold a dot."""
    for k in range(s, e):
        if p[k] == DOT:
            return True
    return False


# Whether the last parse_int saw a number (a second result).
int_ok: bool = False


def parse_int(p: Ptr[u8], s: u64, e: u64) -> i64:
    """The decimal integer (an optional minus sign, then digits) in [s, e); int_ok says whether it was one."""
    global int_ok
    int_ok = False
    negative = False
    i = s
    if i < e and p[i] == MINUS:
        negative = True
        i += 1
    if i >= e:
        return i64(0)
    v = i64(0)
    while i < e:
        c = p[i]
        if c < DIGIT_0 or c > u8(0x39):
            return i64(0)
        if v < i64(100000000000):   # larger values saturate instead of wrapping
            v = v * 10 + i64(c - DIGIT_0)
        i += 1
    int_ok = True
    if negative:
        return -v
    return v


def parse_bool(p: Ptr[u8], s: u64, e: u64, default: bool) -> bool:
    """A boolean value as Linux reads one (y/Y/1/on true, n/N/0/off false), default otherwise."""
    if e == s:
        return default
    c = p[s]
    if c == u8(0x79) or c == u8(0x59) or c == u8(0x31) or span_is(p, s, e, b"on"):
        return True
    if c == u8(0x6E) or c == u8(0x4E) or c == u8(0x30) or span_is(p, s, e, b"off"):
        return False
    return default


def is_linux_word(p: Ptr[u8], s: u64, e: u64) -> bool:
    """Whether the name [s, e) is a Linux kernel parameter that asterpy accepts (consumes) without acting on it.

    Only parameters that Linux's kernel proper consumes belong here: a word Linux passes on to
    init (`nokaslr` on x86_64, `splash`) must stay an init argument here too.
    """
    return (span_is(p, s, e, b"oops") or span_is(p, s, e, b"rootfstype") or span_is(p, s, e, b"rootflags")
            or span_is(p, s, e, b"rootdelay") or span_is(p, s, e, b"earlyprintk") or span_is(p, s, e, b"earlycon")
            or span_is(p, s, e, b"noapic") or span_is(p, s, e, b"nolapic") or span_is(p, s, e, b"nosmp")
            or span_is(p, s, e, b"maxcpus") or span_is(p, s, e, b"nr_cpus") or span_is(p, s, e, b"mem")
            or span_is(p, s, e, b"acpi") or span_is(p, s, e, b"nomodeset") or span_is(p, s, e, b"mitigations")
            or span_is(p, s, e, b"ignore_loglevel") or span_is(p, s, e, b"initcall_debug")
            or span_is(p, s, e, b"no_timer_check") or span_is(p, s, e, b"tsc") or span_is(p, s, e, b"clocksource")
            or span_is(p, s, e, b"reboot") or span_is(p, s, e, b"pci") or span_is(p, s, e, b"nopti")
            or span_is(p, s, e, b"pti") or span_is(p, s, e, b"audit") or span_is(p, s, e, b"selinux")
            or span_is(p, s, e, b"apparmor") or span_is(p, s, e, b"lsm") or span_is(p, s, e, b"hpet")
            or span_is(p, s, e, b"norandmaps") or span_is(p, s, e, b"nox2apic") or span_is(p, s, e, b"iommu")
            or span_is(p, s, e, b"idle") or span_is(p, s, e, b"nohz") or span_is(p, s, e, b"isolcpus")
            or span_is(p, s, e, b"crashkernel") or span_is(p, s, e, b"hugepages")
            or span_is(p, s, e, b"transparent_hugepage"))


def is_kernel_word(p: Ptr[u8], s: u64, e: u64) -> bool:
    """Whether the name [s, e) is a Linux word the kernel acts on (see cmdline_settings)."""
    return (span_is(p, s, e, b"console") or span_is(p, s, e, b"loglevel") or span_is(p, s, e, b"quiet")
            or span_is(p, s, e, b"debug") or span_is(p, s, e, b"panic") or span_is(p, s, e, b"root")
            or span_is(p, s, e, b"rootwait") or span_is(p, s, e, b"ro") or span_is(p, s, e, b"rw"))


def word_kind(p: Ptr[u8], s: u64, e: u64) -> u64:
    """What the word [s, e) of the line is: one of the KIND_* values."""
    if span_is(p, s, e, b"--"):
        return KIND_DASHES
    ns = name_start(p, s, e)
    ne = name_end(p, ns, e)
    if span_starts(p, ns, ne, b"asterpy."):
        return KIND_ASTERPY
    if ne < e and span_is(p, ns, ne, b"init"):
        return KIND_INIT
    if ne < e and span_is(p, ns, ne, b"rdinit"):
        return KIND_RDINIT
    if is_kernel_word(p, ns, ne) or is_linux_word(p, ns, ne):
        return KIND_KERNEL
    if span_has_dot(p, ns, ne):
        return KIND_MODULE
    if ne < e:
        return KIND_ENV
    return KIND_ARG


def fault_of(p: Ptr[u8], s: u64, e: u64) -> u64:
    """The FAULT_* value an `asterpy.fault=` value names (FAULT_NONE for an unknown one)."""
    if span_is(p, s, e, b"panic"):
        return FAULT_PANIC
    if span_is(p, s, e, b"ud"):
        return FAULT_UD
    if span_is(p, s, e, b"pf"):
        return FAULT_PF
    if span_is(p, s, e, b"gp"):
        return FAULT_GP
    if span_is(p, s, e, b"df"):
        return FAULT_DF
    if span_is(p, s, e, b"trap"):
        return FAULT_TRAP
    if span_is(p, s, e, b"so"):
        return FAULT_SO
    if span_is(p, s, e, b"bs"):
        return FAULT_BS
    if span_is(p, s, e, b"is"):
        return FAULT_IS
    return FAULT_NONE


def wx_of(p: Ptr[u8], s: u64, e: u64) -> u64:
    """The WX_* value an `asterpy.wx=` value names (WX_NONE for an unknown one)."""
    if span_is(p, s, e, b"text"):
        return WX_TEXT
    if span_is(p, s, e, b"ro"):
        return WX_RO
    if span_is(p, s, e, b"nx"):
        return WX_NX
    return WX_NONE


def apply_asterpy_word(p: Ptr[u8], ns: u64, ne: u64, v: u64, ve: u64) -> None:
    """Apply one `asterpy.NAME=VALUE` word (name [ns, ne), value [v, ve))."""
    global exit_requested, strace, fault, wx_probe, fpu_selftest, failslab, ramdisk_start, ramdisk_end
    if span_is(p, ns, ne, b"asterpy.exit"):
        exit_requested = parse_bool(p, v, ve, True)
    elif span_is(p, ns, ne, b"asterpy.strace"):
        strace = parse_bool(p, v, ve, True)
    elif span_is(p, ns, ne, b"asterpy.fault"):
        fault = fault_of(p, v, ve)
    elif span_is(p, ns, ne, b"asterpy.wx"):
        wx_probe = wx_of(p, v, ve)
    elif span_is(p, ns, ne, b"asterpy.selftest"):
        fpu_selftest = span_is(p, v, ve, b"fpu")
    elif span_is(p, ns, ne, b"asterpy.failslab"):
        n = parse_int(p, v, ve)
        failslab = u64(n) if int_ok and n > 0 else u64(0)
    elif span_is(p, ns, ne, b"asterpy.ramdisk"):
        ramdisk_start = v
        ramdisk_end = ve


def apply_kernel_word(p: Ptr[u8], ns: u64, ne: u64, v: u64, ve: u64, has_value: bool) -> None:
    """Apply one Linux word the kernel acts on (name [ns, ne), value [v, ve) if has_value)."""
    global log_threshold, quiet, panic_timeout, oops_panic, printk_time, root_given, root_mode, rootwait
    global console_count, console_serial
    if span_is(p, ns, ne, b"console") and has_value:
        console_count += 1
        # ttyS0 (with or without ",115200n8"-style options) is the console asterpy writes to.
        if span_is(p, v, ve, b"ttyS0") or span_starts(p, v, ve, b"ttyS0,"):
            console_serial = True
    elif span_is(p, ns, ne, b"loglevel") and has_value:
        level = parse_int(p, v, ve)
        if int_ok and level >= 0:
            # Linux prints the levels below loglevel; log.py prints those up to the threshold.
            log_threshold = u64(level - 1) if level >= 1 else u64(0)
            if log_threshold > LOG_DEBUG:
                log_threshold = LOG_DEBUG
            quiet = log_threshold < LOG_INFO
    elif span_is(p, ns, ne, b"quiet") and not has_value:
        quiet = True
        log_threshold = LOG_WARN
    elif (span_is(p, ns, ne, b"debug") or span_is(p, ns, ne, b"ignore_loglevel")) and not has_value:
        quiet = False
        log_threshold = LOG_DEBUG
    elif span_is(p, ns, ne, b"panic") and has_value:
        t = parse_int(p, v, ve)
        if int_ok:
            panic_timeout = t
    elif span_is(p, ns, ne, b"oops") and has_value:
        oops_panic = span_is(p, v, ve, b"panic")
    elif span_is(p, ns, ne, b"printk.time"):
        printk_time = parse_bool(p, v, ve, True)
    elif span_is(p, ns, ne, b"root") and has_value:
        root_given = True
    elif span_is(p, ns, ne, b"rootwait") and not has_value:
        rootwait = True
    elif span_is(p, ns, ne, b"ro") and not has_value:
        root_mode = ROOT_MODE_RO
    elif span_is(p, ns, ne, b"rw") and not has_value:
        root_mode = ROOT_MODE_RW


def reset_settings() -> None:
    """The settings of an empty command line."""
    global exit_requested, strace, fault, wx_probe, fpu_selftest, failslab, log_threshold, quiet, printk_time
    global panic_timeout, oops_panic, root_given, root_mode, rootwait, console_count, console_serial
    global init_start, init_end, rdinit_start, rdinit_end, args_from, dashes_end, ramdisk_start, ramdisk_end
    exit_requested = False
    strace = False
    fault = FAULT_NONE
    wx_probe = WX_NONE
    fpu_selftest = False
    failslab = u64(0)
    log_threshold = LOG_INFO
    quiet = False
    printk_time = True
    panic_timeout = i64(0)
    oops_panic = False
    root_given = False
    root_mode = ROOT_MODE_NONE
    rootwait = False
    console_count = u64(0)
    console_serial = False
    init_start = u64(0)
    init_end = u64(0)
    rdinit_start = u64(0)
    rdinit_end = u64(0)
    args_from = u64(0)
    dashes_end = u64(0)
    ramdisk_start = u64(0)
    ramdisk_end = u64(0)


def parse_line(p: Ptr[u8], n: u64) -> None:
    """Read the settings of the n-byte line at p (words in order: a later word overrides an earlier one)."""
    global init_start, init_end, rdinit_start, rdinit_end, args_from, dashes_end
    reset_settings()
    i = skip_spaces(p, n, u64(0))
    while i < n:
        e = word_end(p, n, i)
        kind = word_kind(p, i, e)
        if kind == KIND_DASHES:
            dashes_end = e
            return
        ns = name_start(p, i, e)
        ne = name_end(p, ns, e)
        v = value_start(p, ne, e)
        ve = value_end(p, v, e)
        if kind == KIND_ASTERPY:
            apply_asterpy_word(p, ns, ne, v, ve)
        elif kind == KIND_KERNEL:
            apply_kernel_word(p, ns, ne, v, ve, ne < e)
        elif kind == KIND_MODULE:
            # printk.time is the one module parameter the kernel reads.
            if span_is(p, ns, ne, b"printk.time"):
                apply_kernel_word(p, ns, ne, v, ve, ne < e)
        elif kind == KIND_INIT:
            init_start = v
            init_end = ve
            args_from = e
        elif kind == KIND_RDINIT:
            rdinit_start = v
            rdinit_end = ve
            args_from = e
        i = skip_spaces(p, n, e)


def cmdline_settings() -> None:
    """Read the boot command line's settings if that line has not been read yet (allocates nothing)."""
    global _parsed_line, _parsed_len
    if boot_info.cmdline == _parsed_line and boot_info.cmdline_len == _parsed_len:
        return
    _parsed_line = boot_info.cmdline
    _parsed_len = boot_info.cmdline_len
    if boot_info.cmdline == 0:
        reset_settings()
        return
    parse_line(Ptr[u8](boot_info.direct_map + boot_info.cmdline), boot_info.cmdline_len)


def cmdline_ramdisk() -> bytearray:
    """`asterpy.ramdisk=PATH`: the path (in the initramfs) of a disk image to load as RAM disk
    ram0; empty when not given."""
    cmdline_settings()
    n = ramdisk_end - ramdisk_start
    out = bytearray(int(n))
    if n != 0:
        p = Ptr[u8](boot_info.direct_map + boot_info.cmdline)
        for i in range(u64(0), n):
            out[i] = p[ramdisk_start + i]
    return out


def cmdline_exit_requested() -> bool:
    """`asterpy.exit=1`: power off when the kernel is done (init's status, or FAIL after a panic)."""
    cmdline_settings()
    return exit_requested


def cmdline_strace() -> bool:
    """`asterpy.strace=1`: log every syscall."""
    cmdline_settings()
    return strace


def cmdline_fault() -> u64:
    """`asterpy.fault=`: the FAULT_* failure to trigger at boot."""
    cmdline_settings()
    return fault


def cmdline_wx_probe() -> u64:
    """`asterpy.wx=`: the WX_* probe to run after the kernel tables are loaded."""
    cmdline_settings()
    return wx_probe


def cmdline_fpu_selftest() -> bool:
    """`asterpy.selftest=fpu`: run the FPU context self-test after kernel_main."""
    cmdline_settings()
    return fpu_selftest


def cmdline_failslab() -> u64:
    """`asterpy.failslab=N`: once init runs, every Nth frame allocation outside the heap's reserve fails (0 = off)."""
    cmdline_settings()
    return failslab


def cmdline_log_threshold() -> u64:
    """The highest log level printed (6 info by default; `quiet` 4, `debug` 7, `loglevel=N` N-1)."""
    cmdline_settings()
    return log_threshold


def cmdline_quiet() -> bool:
    """Whether info lines and the banner are off (`quiet`, or a loglevel below info)."""
    cmdline_settings()
    return quiet


def cmdline_printk_time() -> bool:
    """`printk.time=`: whether log lines carry their `[seconds.micros]` time (default yes)."""
    cmdline_settings()
    return printk_time


def cmdline_panic_timeout() -> i64:
    """`panic=N`: seconds from a panic to the reboot; 0 waits forever, negative reboots at once."""
    cmdline_settings()
    return panic_timeout


def cmdline_save() -> None:
    """Copy the line as given to the heap (boot memory may be reused), for /proc/cmdline."""
    global saved_addr, saved_len
    if boot_info.cmdline == 0 or saved_addr != 0:
        return
    n = boot_info.cmdline_len
    buf = kmalloc(n + 1)
    if buf == 0:
        return
    src = Ptr[u8](boot_info.direct_map + boot_info.cmdline)
    dst = Ptr[u8](buf)
    k = u64(0)
    while k < n and src[k] != 0:
        dst[k] = src[k]
        k += 1
    dst[k] = u8(0)
    saved_addr = buf
    saved_len = k


def cmdline_text_addr() -> u64:
    """Address of the saved copy of the line as given (NUL-terminated), 0 before cmdline_save."""
    return saved_addr


def cmdline_text_len() -> u64:
    """Length of the saved line."""
    return saved_len
