"""The kernel command line (kernel/cmdline.py) and init's words (task/init.py), under CPython.

The settings the kernel acts on are checked word by word; init's argv and envp against a model of
Linux's rules (Documentation/admin-guide/kernel-parameters.rst, init.rst) on hypothesis lines.
"""
from __future__ import annotations

from typing import Iterator, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asterpy.kernel import cmdline
from asterpy.kernel.bootinfo import ARCH_X86_64, PROTO_MULTIBOOT1, bootinfo_reset, set_cmdline
from asterpy.lang import Ptr, i64, memory, u8, u64
from asterpy.mm.heap import heap_init

import kernel_arch  # noqa: F401 - loads the kernel modules in the order their import cycles need
from asterpy.task import init as task_init

HEAP_SIZE = 1 << 20


@pytest.fixture(autouse=True)
def heap() -> Iterator[None]:
    """A kernel heap in simulated memory (init's words are copied there)."""
    heap_init(u64(memory.sim.alloc(HEAP_SIZE, 4096)), u64(HEAP_SIZE))
    yield
    bootinfo_reset(ARCH_X86_64, PROTO_MULTIBOOT1, u64(0))
    cmdline.cmdline_settings()


def put(text: bytes) -> tuple[Ptr[u8], u64]:
    """text copied into simulated memory: a pointer to it and its length."""
    addr = memory.sim.alloc(max(len(text), 1), 8)
    p = Ptr[u8](addr)
    for i, c in enumerate(text):
        p[i] = u8(c)
    return p, u64(len(text))


def parse(line: str) -> None:
    """Read the settings of line."""
    cmdline.parse_line(*put(line.encode()))


def read(addr: int, n: int) -> str:
    """n bytes at addr as text."""
    p = Ptr[u8](addr)
    return bytes(int(p[i]) for i in range(n)).decode()


def init_words(line: str) -> tuple[list[str], list[str], str, str, bool]:
    """(arguments after argv[0], environment, init= path, rdinit path, rdinit given) as the kernel builds them."""
    w = task_init.collect_init_words(*put(line.encode()))
    assert w.too_many_addr == 0
    args = [read(a, n) for a, n in zip(w.arg_addrs, w.arg_lens)]
    envs = [read(a, n) for a, n in zip(w.env_addrs, w.env_lens)]
    return args, envs, read(w.init_addr, w.init_len), read(w.rdinit_addr, w.rdinit_len), w.rdinit_given


# ---- the settings --------------------------------------------------------------------------


def test_empty_line_defaults() -> None:
    """No words: info lines on with times, panic waits forever, no asterpy switch."""
    parse("")
    assert (cmdline.log_threshold, cmdline.quiet, cmdline.printk_time) == (6, False, True)
    assert cmdline.panic_timeout == 0 and not cmdline.exit_requested and cmdline.fault == cmdline.FAULT_NONE


@pytest.mark.parametrize("line,timeout", [
    ("panic=1", 1), ("panic=0", 0), ("panic=-1", -1), ("panic=30", 30), ("panic=x", 0), ("panic=", 0),
    ("panic=5 panic=7", 7), ("-- panic=5", 0), ('panic="10"', 10), ("panic", 0),
])
def test_panic_timeout(line: str, timeout: int) -> None:
    """panic=N is Linux's: seconds before the reboot; never a deliberate panic."""
    parse(line)
    assert cmdline.panic_timeout == timeout
    assert cmdline.fault == cmdline.FAULT_NONE


@pytest.mark.parametrize("line,threshold,quiet", [
    ("quiet", 4, True), ("debug", 7, False), ("loglevel=8", 7, False), ("loglevel=7", 6, False),
    ("loglevel=4", 3, True), ("loglevel=0", 0, True), ("loglevel=15", 7, False), ("quiet loglevel=8", 7, False),
    ("loglevel=8 quiet", 4, True), ("ignore_loglevel", 7, False), ("loglevel=x", 6, False),
])
def test_log_words(line: str, threshold: int, quiet: bool) -> None:
    """Linux prints the levels below loglevel=N (the log prints up to N-1); the last log word wins."""
    parse(line)
    assert (cmdline.log_threshold, cmdline.quiet) == (threshold, quiet)


@pytest.mark.parametrize("line,on", [
    ("printk.time=0", False), ("printk.time=n", False), ("printk.time=N", False), ("printk.time=off", False),
    ("printk.time=1", True), ("printk.time=y", True), ("printk.time=0 printk.time=1", True), ("", True),
])
def test_printk_time(line: str, on: bool) -> None:
    """printk.time= takes Linux's boolean spellings."""
    parse(line)
    assert cmdline.printk_time == on


@pytest.mark.parametrize("line,fault", [
    ("asterpy.fault=panic", cmdline.FAULT_PANIC), ("asterpy.fault=ud", cmdline.FAULT_UD),
    ("asterpy.fault=pf", cmdline.FAULT_PF), ("asterpy.fault=gp", cmdline.FAULT_GP),
    ("asterpy.fault=df", cmdline.FAULT_DF), ("asterpy.fault=trap", cmdline.FAULT_TRAP),
    ("asterpy.fault=other", cmdline.FAULT_NONE), ("fault=ud", cmdline.FAULT_NONE), ("panic=1", cmdline.FAULT_NONE),
    ("-- asterpy.fault=ud", cmdline.FAULT_NONE),
])
def test_fault_switch(line: str, fault: int) -> None:
    """Deliberate failures only under asterpy.fault=, never from Linux's panic= or the old words."""
    parse(line)
    assert cmdline.fault == fault


def test_asterpy_switches() -> None:
    """asterpy.exit, asterpy.strace, asterpy.wx, asterpy.selftest; the old spellings do nothing."""
    parse("asterpy.exit=1 asterpy.strace=1 asterpy.wx=ro asterpy.selftest=fpu")
    assert cmdline.exit_requested and cmdline.strace and cmdline.wx_probe == cmdline.WX_RO and cmdline.fpu_selftest
    parse("exit=1 strace=1 wx=ro fpu=1")
    assert not cmdline.exit_requested and not cmdline.strace and cmdline.wx_probe == cmdline.WX_NONE
    assert not cmdline.fpu_selftest
    parse("asterpy.exit=1 asterpy.exit=0")
    assert not cmdline.exit_requested


def test_console_root_and_friends() -> None:
    """console= counts every console and knows ttyS0 (with options); root words are recorded."""
    parse("console=tty0 console=ttyS0,115200n8 root=/dev/vda ro rootwait oops=panic")
    assert cmdline.console_count == 2 and cmdline.console_serial
    assert cmdline.root_given and cmdline.root_mode == cmdline.ROOT_MODE_RO and cmdline.rootwait
    assert cmdline.oops_panic
    parse("console=ttyS1 rw")
    assert cmdline.console_count == 1 and not cmdline.console_serial and cmdline.root_mode == cmdline.ROOT_MODE_RW


def test_settings_follow_boot_info() -> None:
    """The getters read the boot command line, and read a new one again."""
    bootinfo_reset(ARCH_X86_64, PROTO_MULTIBOOT1, u64(0))
    p, n = put(b"panic=3 asterpy.exit=1")
    set_cmdline(u64(p.addr), n)
    assert cmdline.cmdline_panic_timeout() == 3 and cmdline.cmdline_exit_requested()
    p, n = put(b"panic=-2")
    set_cmdline(u64(p.addr), n)
    assert cmdline.cmdline_panic_timeout() == -2 and not cmdline.cmdline_exit_requested()


def test_ramdisk_path() -> None:
    """asterpy.ramdisk=PATH gives the path (empty without the word; a later word wins)."""
    bootinfo_reset(ARCH_X86_64, PROTO_MULTIBOOT1, u64(0))
    p, n = put(b"quiet asterpy.ramdisk=/img/a.ext2 x=1")
    set_cmdline(u64(p.addr), n)
    assert bytes(cmdline.cmdline_ramdisk()) == b"/img/a.ext2"
    p, n = put(b"asterpy.ramdisk=/a asterpy.ramdisk=/bb")
    set_cmdline(u64(p.addr), n)
    assert bytes(cmdline.cmdline_ramdisk()) == b"/bb"
    p, n = put(b"panic=1")
    set_cmdline(u64(p.addr), n)
    assert bytes(cmdline.cmdline_ramdisk()) == b""


def test_saved_line_is_as_given() -> None:
    """cmdline_save keeps the line as given (for /proc/cmdline), quotes and all."""
    bootinfo_reset(ARCH_X86_64, PROTO_MULTIBOOT1, u64(0))
    text = b'console=ttyS0 init=/bin/sh -- -c "echo \\"hi\\""'
    p, n = put(text)
    set_cmdline(u64(p.addr), n)
    cmdline.saved_addr = 0
    cmdline.cmdline_save()
    assert read(cmdline.cmdline_text_addr(), int(cmdline.cmdline_text_len())) == text.decode()
    assert int(Ptr[u8](cmdline.cmdline_text_addr())[len(text)]) == 0
    cmdline.saved_addr = 0


@pytest.mark.parametrize("text,value,ok", [
    ("0", 0, True), ("12", 12, True), ("-7", -7, True), ("", 0, False), ("-", 0, False), ("1x", 0, False),
    ("99999999999999999999999", None, True),
])
def test_parse_int(text: str, value: Optional[int], ok: bool) -> None:
    """Decimal with a sign; huge values saturate instead of wrapping."""
    p, n = put(text.encode())
    v = cmdline.parse_int(p, u64(0), n)
    assert cmdline.int_ok == ok
    if value is not None:
        assert v == value
    else:
        assert v > 10 ** 11


# ---- init's words --------------------------------------------------------------------------


def test_init_words_as_linux() -> None:
    """What Debian's Linux 6.1 gave init for this line (tests/boot/test_cmdline_linux.py compares live)."""
    args, envs, init, rdinit, given = init_words(
        "console=ttyS0 x1 init=/bin/sh foo nokaslr quiet debug ro rootwait root=/dev/vda noapic nosmp w=1 "
        "mod.x=1 asterpy.exit=1 -- a b=c")
    assert args == ["foo", "nokaslr", "a", "b=c"]
    assert envs == ["HOME=/", "TERM=linux", "w=1"]
    assert (init, rdinit, given) == ("/bin/sh", "/init", False)


def test_env_replaces_same_name_and_rdinit_drops_earlier_args() -> None:
    """TERM= replaces the default TERM; rdinit= drops the arguments before it, as init= does."""
    args, envs, init, rdinit, given = init_words('foo TERM=vt100 rdinit=/bin/other bar "x y" q="1 2" -- "a b" c')
    assert args == ["bar", "x y", "a b", "c"]
    assert envs == ["HOME=/", "TERM=vt100", "q=1 2"]
    assert (init, rdinit, given) == ("", "/bin/other", True)


def test_escaped_quotes_after_dashes() -> None:
    """asterpy run -c's quoting: \\" and \\\\ inside quotes."""
    args, _, init, _, _ = init_words('init=/bin/sh asterpy.exit=1 quiet -- -c "echo \\"a\\\\b\\" | wc"')
    assert init == "/bin/sh"
    assert args == ["-c", 'echo "a\\b" | wc']


def test_too_many_args_is_reported() -> None:
    """More than Linux's 32 arguments (argv[0] counted) is remembered for Linux's panic."""
    w = task_init.collect_init_words(*put(" ".join(f"a{i}" for i in range(31)).encode()))
    assert w.too_many_addr == 0 and len(w.arg_addrs) == 31
    w = task_init.collect_init_words(*put(" ".join(f"a{i}" for i in range(32)).encode()))
    assert w.too_many_addr != 0 and not w.too_many_env and read(w.too_many_addr, w.too_many_len) == "a31"
    w = task_init.collect_init_words(*put(" ".join(f"e{i}=1" for i in range(31)).encode()))
    assert w.too_many_env and read(w.too_many_addr, w.too_many_len) == "e30=1"


# A model of Linux's rules for the words init gets, from its documentation (not from its code).
KERNEL_NAMES = {
    "console", "loglevel", "quiet", "debug", "panic", "root", "rootwait", "ro", "rw", "oops", "rootfstype",
    "rootflags", "rootdelay", "earlyprintk", "earlycon", "noapic", "nolapic", "nosmp", "maxcpus", "nr_cpus", "mem",
    "acpi", "nomodeset", "mitigations", "ignore_loglevel", "initcall_debug", "no_timer_check", "tsc", "clocksource",
    "reboot", "pci", "nopti", "pti", "audit", "selinux", "apparmor", "lsm", "hpet", "norandmaps", "nox2apic",
    "iommu", "idle", "nohz", "isolcpus", "crashkernel", "hugepages", "transparent_hugepage",
}


def model(words: list[str]) -> tuple[list[str], list[str], str, str]:
    """(args, envs, init, rdinit) for a line of quote-free words."""
    args: list[str] = []
    envs = ["HOME=/", "TERM=linux"]
    init, rdinit = "", "/init"
    for k, w in enumerate(words):
        if w == "--":
            args += words[k + 1:]
            break
        name, eq, value = w.partition("=")
        if name.startswith("asterpy."):
            continue
        if eq and name in ("init", "rdinit"):
            if name == "init":
                init = value
            else:
                rdinit = value
            args = []
        elif name in KERNEL_NAMES or "." in name:
            continue
        elif eq:
            same = [i for i, e in enumerate(envs) if e.partition("=")[0] == name]
            if same:
                envs[same[0]] = w
            else:
                envs.append(w)
        else:
            args.append(w)
    return args, envs, init, rdinit


WORDS = st.one_of(
    st.sampled_from(["quiet", "debug", "foo", "bar=1", "bar=2", "mod.x=1", "init=/a", "rdinit=/b", "--", "x",
                     "TERM=vt", "console=ttyS0", "panic=-1", "nokaslr", "asterpy.exit=1", "a=b=c", "=x", "ro",
                     "init", "root=/dev/vda", "splash", "HOME=/root"]),
    st.text(alphabet="abcio.=-_/", min_size=1, max_size=8),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, max_size=12), st.sampled_from([" ", "  ", "\t"]))
def test_init_words_follow_linux_rules(words: list[str], sep: str) -> None:
    """On random lines the kernel's argv and envp for init are the model's."""
    memory.reset_sim()
    heap_init(u64(memory.sim.alloc(HEAP_SIZE, 4096)), u64(HEAP_SIZE))
    args, envs, init, rdinit, _ = init_words(sep.join(words))
    assert (args, envs, init, rdinit) == model(words)


@settings(max_examples=100, deadline=None)
@given(st.lists(WORDS, max_size=12))
def test_settings_ignore_words_after_dashes(words: list[str]) -> None:
    """Nothing after `--` changes a setting: those words are init's."""
    memory.reset_sim()
    line = " ".join(words)
    parse(line)
    before = (cmdline.panic_timeout, cmdline.log_threshold, cmdline.exit_requested, cmdline.fault)
    parse(line + " -- panic=9 debug asterpy.exit=1 asterpy.fault=ud quiet")
    if "--" not in words:
        assert (cmdline.panic_timeout, cmdline.log_threshold, cmdline.exit_requested, cmdline.fault) == before
    assert isinstance(cmdline.panic_timeout, (int, i64))


def test_report_names_what_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The boot log says which words cannot be honoured: other consoles, root=, unknown asterpy
    switches, module parameters; nothing for words it honours or passes to init."""
    from asterpy.kernel import log, main
    from asterpy.lang import console
    from asterpy.lang.console import captured_console, kwrite
    from asterpy.lang.linkage import set_extern_impl
    monkeypatch.setattr(log, "monotonic_ns", lambda: u64(0))
    set_extern_impl("asterpy_log_putc", lambda c: kwrite(chr(int(c))))
    monkeypatch.setattr(log, "_cmdline_seen", False)
    bootinfo_reset(ARCH_X86_64, PROTO_MULTIBOOT1, u64(0))
    p, n = put(b"console=tty0 console=ttyS0,115200 root=/dev/vda ro asterpy.bogus=1 asterpy.exit=1 usb.x=1 "
               b"foo a=b -- console=tty1")
    set_cmdline(u64(p.addr), n)
    old = console.set_log_begin(lambda level: log.kpy_log_begin(u64(level)))
    try:
        with captured_console() as lines:
            main.report_cmdline()
    finally:
        console.set_log_begin(old)
        log.set_log_threshold(u64(6))
        set_extern_impl("asterpy_log_putc", None)
    assert lines == [
        "[    0.000000] warn: cmdline: console=tty0: asterpy has only the serial console ttyS0: ignored",
        "[    0.000000] warn: cmdline: root=/dev/vda: no block device support yet: the initramfs stays the root",
        "[    0.000000] warn: cmdline: asterpy.bogus=1: not an asterpy switch (docs/cmdline.md): ignored",
        "[    0.000000] info: cmdline: usb.x=1: module parameter: no modules, ignored",
    ]
