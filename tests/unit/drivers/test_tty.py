"""The console TTY's line discipline: canonical editing, echo, signals, raw mode, ioctls, job control."""

import struct as pystruct

import pytest
from conftest import ARG, BUF, Term

from asterpy.drivers import tty
from asterpy.lang import SysError, i64, offsetof, sizeof, u64
from asterpy.lang.errno import EAGAIN, EFAULT, EINTR, EINVAL, EIO, ENOTTY, EPERM, ERESTARTSYS, ESRCH
from task_sim import uread, uwrite

DEL = b"\x7f"
CTRL_U = b"\x15"
CTRL_W = b"\x17"
CTRL_D = b"\x04"


def termios_of(term: Term) -> dict:
    """TCGETS through the ioctl, decoded."""
    term.ioctl(0x5401)
    raw = uread(term.p, ARG, 36)
    i, o, c, l = pystruct.unpack_from("<IIII", raw)
    return {"iflag": i, "oflag": o, "cflag": c, "lflag": l, "line": raw[16], "cc": bytearray(raw[17:36])}


def set_termios(term: Term, t: dict, cmd: int = 0x5402) -> None:
    """TCSETS (or TCSETSW/TCSETSF) through the ioctl."""
    raw = pystruct.pack("<IIII", t["iflag"], t["oflag"], t["cflag"], t["lflag"]) + bytes([t["line"]]) + bytes(t["cc"])
    uwrite(term.p, ARG, raw)
    term.ioctl(cmd)


def raw_mode(term: Term, vmin: int, vtime: int, echo: bool = False) -> None:
    """cfmakeraw-like settings with the given VMIN/VTIME."""
    t = termios_of(term)
    t["lflag"] &= ~(0o2 | 0o10 | 0o1 | 0o100000)   # ICANON ECHO ISIG IEXTEN
    if echo:
        t["lflag"] |= 0o10
    t["iflag"] &= ~(0o400 | 0o2000)                # ICRNL IXON
    t["cc"][6] = vmin
    t["cc"][5] = vtime
    set_termios(term, t)


def errno_of(fn) -> int:
    """The errno fn raises."""
    with pytest.raises(SysError) as e:
        fn()
    return int(e.value.errno)


# ------------------------------------------------------------------ defaults and the struct


def test_termios_layout_is_the_kernels() -> None:
    assert sizeof(tty.Termios) == 36
    assert offsetof(tty.Termios, "c_line") == 16
    assert offsetof(tty.Termios, "c_cc") == 17


def test_default_settings(term: Term) -> None:
    t = termios_of(term)
    assert t["iflag"] & 0o400              # ICRNL
    assert t["oflag"] == 0o1 | 0o4          # OPOST ONLCR
    assert t["lflag"] & 0o2 and t["lflag"] & 0o10 and t["lflag"] & 0o1
    assert t["cc"][0] == 3 and t["cc"][2] == 0x7F and t["cc"][4] == 4 and t["cc"][6] == 1
    assert t["cc"][10] == 0x1A and t["cc"][14] == 0x17


def test_console_tty_is_one_object_of_session_1(term: Term) -> None:
    assert tty.console_tty() is term.t
    assert int(term.t.session) == 1 and int(term.t.pgrp) == 1


# ------------------------------------------------------------------ canonical mode


def test_line_is_readable_only_after_enter(term: Term) -> None:
    term.type(b"ls")
    assert int(term.t.poll_mask()) == 0x4
    term.type(b"\r")                        # serial terminals send CR: ICRNL makes it NL
    assert int(term.t.poll_mask()) == 0x5
    assert term.read() == b"ls\n"
    assert int(term.t.poll_mask()) == 0x4


def test_echo_with_onlcr(term: Term) -> None:
    term.type(b"hi\r")
    assert term.take_out() == b"hi\r\n"


def test_one_line_per_read_and_short_reads(term: Term) -> None:
    term.type(b"one\rtwo\r")
    assert term.read(2) == b"on"
    assert term.read() == b"e\n"
    assert term.read() == b"two\n"


def test_erase_with_del_and_backspace(term: Term) -> None:
    term.type(b"abc" + DEL + b"\x08" + b"x\r")
    assert term.read() == b"ax\n"
    assert term.take_out() == b"abc\b \b\b \bx\r\n"


def test_erase_on_empty_line_does_nothing(term: Term) -> None:
    term.type(DEL + b"\r")
    assert term.read() == b"\n"
    assert term.take_out() == b"\r\n"


def test_kill_rubs_out_the_line(term: Term) -> None:
    term.type(b"abc" + CTRL_U + b"d\r")
    assert term.read() == b"d\n"
    assert term.take_out() == b"abc" + b"\b \b" * 3 + b"d\r\n"


def test_kill_without_echoke_echoes_it_and_newline(term: Term) -> None:
    t = termios_of(term)
    t["lflag"] &= ~0o4000                   # ECHOKE
    set_termios(term, t)
    term.type(b"ab" + CTRL_U)
    assert term.take_out() == b"ab^U\r\n"


def test_word_erase(term: Term) -> None:
    term.type(b"echo foo/bar  " + CTRL_W + b"\r")
    assert term.read() == b"echo foo/\n"
    term.type(b"echo foo" + CTRL_W + CTRL_W + b"x\r")
    assert term.read() == b"x\n"


def test_eof_on_empty_line_and_after_text(term: Term) -> None:
    term.type(CTRL_D)
    assert term.read() == b""
    term.type(b"abc" + CTRL_D)
    assert term.read() == b"abc"
    assert term.take_out() == b"abc"       # ^D is not echoed


def test_control_characters_echo_as_caret(term: Term) -> None:
    term.type(b"a\x01\x1b\r")
    assert term.take_out() == b"a^A^[\r\n"
    assert term.read() == b"a\x01\x1b\n"
    term.type(b"\x01" + DEL)                # the ^A takes two columns to rub out
    assert term.take_out() == b"^A\b \b\b \b"


def test_erasing_a_tab_goes_back_to_its_column(term: Term) -> None:
    term.write(b"$ ")                       # prompt: the line starts at column 2
    term.take_out()
    term.type(b"ab\t" + DEL)
    assert term.take_out() == b"ab\t" + b"\b" * 4


def test_utf8_character_erased_whole(term: Term) -> None:
    term.type("é".encode() + DEL + b"\r")
    assert term.read() == b"\n"
    assert term.take_out() == "é".encode() + b"\b \b\r\n"


def test_lnext_takes_next_byte_literally(term: Term) -> None:
    term.type(b"\x16\x03\x16" + DEL + b"\r")
    assert term.read() == b"\x03\x7f\n"
    assert term.signals == []
    assert term.take_out() == b"^\b^C^\b^?\r\n"


def test_reprint(term: Term) -> None:
    term.type(b"ab\x12")
    assert term.take_out() == b"ab^R\r\nab"


def test_echo_off_and_echonl(term: Term) -> None:
    t = termios_of(term)
    t["lflag"] &= ~0o10                     # ECHO
    set_termios(term, t)
    term.type(b"secret\r")
    assert term.take_out() == b""
    t["lflag"] |= 0o100                     # ECHONL
    set_termios(term, t)
    term.type(b"x\r")
    assert term.take_out() == b"\r\n"


def test_igncr_and_inlcr(term: Term) -> None:
    t = termios_of(term)
    t["iflag"] = 0o200                      # IGNCR only
    set_termios(term, t)
    term.type(b"a\rb\n")
    assert term.read() == b"ab\n"


def test_full_line_keeps_room_for_newline(term: Term) -> None:
    term.type(b"x" * 5000)
    assert term.take_out() == b"x" * 4095 + b"\a" * 905     # IMAXBEL: a bell per dropped byte
    term.type(b"\r")
    got = term.read(8192)
    assert len(got) == 4096 and got.endswith(b"\n")


def test_eol_characters(term: Term) -> None:
    t = termios_of(term)
    t["cc"][11] = ord(";")                  # VEOL
    t["cc"][16] = ord("|")                  # VEOL2 (needs IEXTEN)
    set_termios(term, t)
    term.type(b"a;b|c\r")
    assert term.read() == b"a;"
    assert term.read() == b"b|"
    t["lflag"] &= ~0o100000
    set_termios(term, t)
    term.type(b"c|d\r")
    assert term.read() == b"c\n"          # the rest of the earlier line
    assert term.read() == b"c|d\n"


def test_raw_queue_full_drops(term: Term) -> None:
    raw_mode(term, 1, 0)
    term.type(b"y" * 4100)
    assert len(term.read(8192)) == 4096


# ------------------------------------------------------------------ signals


@pytest.mark.parametrize("key,sig,echo", [(b"\x03", 2, b"^C"), (b"\x1c", 3, b"^\\"), (b"\x1a", 20, b"^Z")])
def test_signal_characters(term: Term, key: bytes, sig: int, echo: bytes) -> None:
    term.t.pgrp = u64(7)
    term.p.pgid = u64(7)
    term.type(b"partial" + key)
    assert term.signals == [(7, sig)]
    assert term.take_out() == b"partial" + echo
    term.type(b"\r")
    assert term.read() == b"\n"             # the partial line was flushed


def test_noflsh_keeps_input(term: Term) -> None:
    t = termios_of(term)
    t["lflag"] |= 0o200
    set_termios(term, t)
    term.type(b"ab\x03\r")
    assert term.read() == b"ab\n"
    assert term.signals == [(1, 2)]


def test_isig_off_passes_ctrl_c(term: Term) -> None:
    t = termios_of(term)
    t["lflag"] &= ~0o1
    set_termios(term, t)
    term.type(b"\x03\r")
    assert term.read() == b"\x03\n"
    assert term.signals == []


def test_disabled_control_character(term: Term) -> None:
    t = termios_of(term)
    t["cc"][0] = 0                          # VINTR disabled (_POSIX_VDISABLE)
    set_termios(term, t)
    term.type(b"\x03\r")
    assert term.signals == []


# ------------------------------------------------------------------ blocking reads


def test_canonical_read_sleeps_until_a_line(term: Term) -> None:
    term.later(b"ab")
    term.later(b"c\r")
    assert term.read() == b"abc\n"
    assert term.sleeps == 2


def test_nonblocking_read_is_eagain(term: Term) -> None:
    term.type(b"half")
    assert errno_of(lambda: term.read(nonblock=True)) == EAGAIN


def test_signal_interrupts_read(term: Term) -> None:
    term.signal_later()
    assert errno_of(term.read) == EINTR


def test_zero_length_read(term: Term) -> None:
    assert term.read(0) == b""


def test_read_into_bad_buffer_is_efault_and_keeps_input(term: Term) -> None:
    term.type(b"x\r")
    assert errno_of(lambda: term.t.read(term.p, u64(0x7000_0000), u64(10), False)) == EFAULT
    # A line that does not reach the unmapped part is fine: only what is copied must be mapped.
    end = BUF + 2 * 4096
    assert int(term.t.read(term.p, u64(end - 2), u64(100), False)) == 2
    assert uread(term.p, end - 2, 2) == b"x\n"
    raw_mode(term, 1, 0)
    term.type(b"abc")
    assert errno_of(lambda: term.t.read(term.p, u64(end - 2), u64(100), False)) == EFAULT
    assert term.read() == b"abc"


# ------------------------------------------------------------------ raw mode: VMIN / VTIME


def test_raw_min1_time0_returns_what_is_there(term: Term) -> None:
    raw_mode(term, 1, 0)
    term.type(b"\x1b[A")
    assert term.read() == b"\x1b[A"
    term.later(b"q")
    assert term.read() == b"q"


def test_raw_bytes_are_not_translated_or_echoed(term: Term) -> None:
    raw_mode(term, 1, 0)
    term.type(b"\r\x03\x7f")
    assert term.read() == b"\r\x03\x7f"
    assert term.take_out() == b""
    assert term.signals == []


def test_raw_min_waits_for_min_bytes(term: Term) -> None:
    raw_mode(term, 3, 0)
    term.type(b"a")
    term.later(b"b")
    term.later(b"cd")
    assert term.read() == b"abcd"
    assert term.sleeps == 2


def test_raw_min_capped_by_count(term: Term) -> None:
    raw_mode(term, 5, 0)
    term.type(b"ab")
    assert term.read(2) == b"ab"


def test_raw_min0_time0_polls(term: Term) -> None:
    raw_mode(term, 0, 0)
    assert term.read() == b""
    assert term.read(nonblock=True) == b""
    term.type(b"z")
    assert term.read() == b"z"


def test_raw_min0_time_times_out(term: Term) -> None:
    raw_mode(term, 0, 5)
    start = term.now
    assert term.read() == b""
    assert term.now - start == 500_000_000


def test_raw_min0_time_returns_first_byte(term: Term) -> None:
    raw_mode(term, 0, 5)
    term.later(b"k", at_ns=term.now + 100_000_000)
    assert term.read() == b"k"


def test_raw_interbyte_timer(term: Term) -> None:
    raw_mode(term, 4, 1)                    # 4 bytes, 0.1 s between bytes
    t0 = term.now
    term.later(b"a", at_ns=t0 + 5_000_000_000)   # the first byte may take any time
    term.later(b"b", at_ns=t0 + 5_050_000_000)   # within 0.1 s of the first
    term.later(b"c", at_ns=t0 + 5_500_000_000)   # too late: the read returns "ab"
    assert term.read() == b"ab"
    assert term.read() == b"c"


def test_raw_interbyte_min_reached(term: Term) -> None:
    raw_mode(term, 2, 1)
    term.later(b"xy")
    assert term.read() == b"xy"


def test_raw_nonblock_eagain(term: Term) -> None:
    raw_mode(term, 1, 0)
    assert errno_of(lambda: term.read(nonblock=True)) == EAGAIN


def test_raw_echo(term: Term) -> None:
    raw_mode(term, 1, 0, echo=True)
    term.type(b"a\x01")
    assert term.take_out() == b"a^A"


def test_switching_to_raw_makes_the_partial_line_readable(term: Term) -> None:
    term.type(b"par")
    raw_mode(term, 1, 0)
    assert term.read() == b"par"


def test_switching_to_canonical_makes_pending_bytes_a_line(term: Term) -> None:
    raw_mode(term, 1, 0)
    term.type(b"xy")
    t = termios_of(term)
    t["lflag"] |= 0o2
    set_termios(term, t)
    assert term.read() == b"xy"


def test_tcsetsf_flushes_input(term: Term) -> None:
    term.type(b"old\r")
    set_termios(term, termios_of(term), cmd=0x5404)
    assert errno_of(lambda: term.read(nonblock=True)) == EAGAIN


# ------------------------------------------------------------------ output


def test_write_onlcr(term: Term) -> None:
    assert term.write(b"a\nb\n") == 4
    assert term.take_out() == b"a\r\nb\r\n"


def test_write_without_opost_is_raw(term: Term) -> None:
    t = termios_of(term)
    t["oflag"] = 0
    set_termios(term, t)
    term.write(b"a\nb")
    assert term.take_out() == b"a\nb"


def test_write_ocrnl_onocr(term: Term) -> None:
    t = termios_of(term)
    t["oflag"] = 0o1 | 0o10                 # OPOST OCRNL
    set_termios(term, t)
    term.write(b"a\rb")
    assert term.take_out() == b"a\nb"
    t["oflag"] = 0o1 | 0o20                 # OPOST ONOCR: no CR at column 0
    set_termios(term, t)
    term.write(b"\r\rx\r")                 # the cursor was at column 1 ("b")
    assert term.take_out() == b"\rx\r"


def test_erase_without_echoe_echoes_the_erase_char(term: Term) -> None:
    t = termios_of(term)
    t["lflag"] &= ~0o20                     # ECHOE
    set_termios(term, t)
    term.type(b"ab" + DEL)
    assert term.take_out() == b"ab^?"


def test_istrip(term: Term) -> None:
    t = termios_of(term)
    t["iflag"] |= 0o40
    set_termios(term, t)
    term.type(b"\xe1\r")
    assert term.read() == b"a\n"


def test_write_across_pages(term: Term) -> None:
    data = bytes(range(32, 127)) * 60
    assert term.write(data) == len(data)
    assert term.take_out() == data


def test_write_bad_buffer_writes_nothing(term: Term) -> None:
    assert errno_of(lambda: term.t.write(term.p, u64(BUF + 8000), u64(1000))) == EFAULT
    assert term.take_out() == b""


# ------------------------------------------------------------------ ioctls


def get_int(term: Term) -> int:
    """The int at ARG."""
    return int.from_bytes(uread(term.p, ARG, 4), "little", signed=True)


def put_int(term: Term, v: int) -> None:
    """Store an int at ARG."""
    uwrite(term.p, ARG, v.to_bytes(4, "little", signed=True))


def test_winsize(term: Term) -> None:
    term.ioctl(0x5413)
    assert pystruct.unpack("<HHHH", uread(term.p, ARG, 8)) == (24, 80, 0, 0)
    uwrite(term.p, ARG, pystruct.pack("<HHHH", 50, 132, 0, 0))
    term.ioctl(0x5414)
    assert term.signals == [(1, 28)]        # SIGWINCH to the foreground group
    term.ioctl(0x5413)
    assert pystruct.unpack("<HHHH", uread(term.p, ARG, 8)) == (50, 132, 0, 0)


def test_pgrp_get_set(term: Term) -> None:
    term.ioctl(0x540F)
    assert get_int(term) == 1
    term.groups[42] = 1
    put_int(term, 42)
    term.ioctl(0x5410)
    term.ioctl(0x540F)
    assert get_int(term) == 42


def test_setpgrp_errors(term: Term) -> None:
    term.p.sigactions[22 * 4] = u64(1)       # SIGTTOU ignored, as a job-control shell does
    put_int(term, -1)
    assert errno_of(lambda: term.ioctl(0x5410)) == EINVAL
    put_int(term, 0)
    assert errno_of(lambda: term.ioctl(0x5410)) == ESRCH
    put_int(term, 999)                      # no process in that group
    assert errno_of(lambda: term.ioctl(0x5410)) == ESRCH
    put_int(term, 5)
    assert errno_of(lambda: term.ioctl(0x5410, 0x7000_0000)) == EFAULT
    term.p.sid = u64(9)                      # another session: not our controlling tty
    assert errno_of(lambda: term.ioctl(0x5410)) == ENOTTY
    assert errno_of(lambda: term.ioctl(0x540F)) == ENOTTY
    assert errno_of(lambda: term.ioctl(0x5429)) == ENOTTY


def test_setpgrp_of_other_session_is_eperm(term: Term) -> None:
    term.groups[5] = 77
    put_int(term, 5)
    assert errno_of(lambda: term.ioctl(0x5410)) == EPERM


def test_background_setpgrp_gets_sigttou(term: Term) -> None:
    term.t.pgrp = u64(3)
    term.p.pgid = u64(4)
    term.groups[4] = 1
    put_int(term, 4)
    assert errno_of(lambda: term.ioctl(0x5410)) == ERESTARTSYS
    assert term.signals == [(4, 22)]
    term.blocked.add(22)                     # SIGTTOU blocked: allowed
    term.ioctl(0x5410)
    assert int(term.t.pgrp) == 4


def test_getsid(term: Term) -> None:
    term.ioctl(0x5429)
    assert get_int(term) == 1


def test_fionread_and_outq(term: Term) -> None:
    term.type(b"abc\rde")
    term.ioctl(0x541B)
    assert get_int(term) == 4
    term.ioctl(0x5411)
    assert get_int(term) == 0


def test_tcflsh_and_tcxonc(term: Term) -> None:
    term.type(b"abc\r")
    term.ioctl(0x540B, 1)
    assert term.read() == b"abc\n"
    term.type(b"abc\r")
    term.ioctl(0x540B, 0)
    assert errno_of(lambda: term.read(nonblock=True)) == EAGAIN
    assert errno_of(lambda: term.ioctl(0x540B, 3)) == EINVAL
    assert term.ioctl(0x540A, 1) == 0
    assert errno_of(lambda: term.ioctl(0x540A, 4)) == EINVAL


def test_termios2(term: Term) -> None:
    term.ioctl(0x802C542A)                  # TCGETS2
    raw = uread(term.p, ARG, 44)
    assert pystruct.unpack_from("<II", raw, 36) == (115200, 115200)
    t = termios_of(term)
    assert raw[:36] == uread(term.p, ARG, 36)
    t["lflag"] &= ~0o10
    raw2 = pystruct.pack("<IIII", t["iflag"], t["oflag"], t["cflag"], t["lflag"]) + bytes([0]) + bytes(t["cc"])
    uwrite(term.p, ARG, raw2 + pystruct.pack("<II", 9600, 9600))
    term.ioctl(0x402C542B)                  # TCSETS2
    assert termios_of(term)["lflag"] == t["lflag"]


def test_tiocsti_getd_setd_excl(term: Term) -> None:
    uwrite(term.p, ARG, b"q")
    term.ioctl(0x5412)
    uwrite(term.p, ARG, b"\r")
    term.ioctl(0x5412)
    assert term.read() == b"q\n"
    term.p.sid = u64(9)
    term.p.uid = u64(1000)
    assert errno_of(lambda: term.ioctl(0x5412)) == EPERM
    term.ioctl(0x5424)
    assert get_int(term) == 0
    put_int(term, 0)
    assert term.ioctl(0x5423) == 0
    put_int(term, 2)
    assert errno_of(lambda: term.ioctl(0x5423)) == EINVAL
    assert term.ioctl(0x540C) == 0 and term.ioctl(0x540D) == 0


def test_unknown_ioctl_is_enotty(term: Term) -> None:
    assert errno_of(lambda: term.ioctl(0x5401 + 0x1000)) == ENOTTY
    assert errno_of(lambda: term.ioctl(0x5405)) == ENOTTY    # TCGETA: the old struct termio
    assert errno_of(lambda: term.ioctl(0x5600)) == ENOTTY    # VT_OPENQRY: a serial console, not a VT


def test_tcgets_bad_pointer(term: Term) -> None:
    assert errno_of(lambda: term.ioctl(0x5401, 0x7000_0000)) == EFAULT


def test_sctty_from_boot_session(term: Term) -> None:
    # Session 1 has the console from boot: another session leader may still take it (busybox init
    # starting a shell: setsid, then TIOCSCTTY 0), as on Linux where init has no terminal.
    term.p.pid = term.p.sid = term.p.pgid = u64(30)
    term.p.uid = u64(1000)
    assert term.ioctl(0x540E, 0) == 0
    assert (int(term.t.session), int(term.t.pgrp)) == (30, 30)
    # Now it is session 30's: a third session cannot take it.
    term.p.pid = term.p.sid = term.p.pgid = u64(40)
    assert errno_of(lambda: term.ioctl(0x540E, 0)) == EPERM


def test_session_end_hangs_up(term: Term) -> None:
    term.t.pgrp = u64(8)
    tty.tty_session_ended(u64(2))           # not its session: nothing
    assert term.signals == [] and int(term.t.session) == 1
    tty.tty_session_ended(u64(1))
    assert term.signals == [(8, 1), (8, 18)]
    assert (int(term.t.session), int(term.t.pgrp)) == (0, 0)


def test_sctty_and_notty(term: Term) -> None:
    # init (pid 1, session leader of session 1) already has it.
    assert term.ioctl(0x540E, 0) == 0
    term.t.from_boot = False
    # A leader of another session cannot take it without arg 1 and root.
    term.p.pid = u64(50)
    term.p.sid = u64(50)
    term.p.pgid = u64(50)
    term.p.uid = u64(1000)
    assert errno_of(lambda: term.ioctl(0x540E, 1)) == EPERM
    term.p.uid = u64(0)
    assert term.ioctl(0x540E, 1) == 0
    assert (int(term.t.session), int(term.t.pgrp)) == (50, 50)
    # A non-leader cannot.
    term.p.pid = u64(51)
    assert errno_of(lambda: term.ioctl(0x540E, 0)) == EPERM
    # The leader gives it up: SIGHUP and SIGCONT to the foreground group, then nobody has it.
    term.p.pid = u64(50)
    term.ioctl(0x5422)
    assert term.signals == [(50, 1), (50, 18)]
    assert int(term.t.session) == 0
    assert errno_of(lambda: term.ioctl(0x5422)) == ENOTTY
    # A session leader may take a terminal nobody has.
    term.p.uid = u64(1000)
    assert term.ioctl(0x540E, 0) == 0


# ------------------------------------------------------------------ job control on read/write


def test_background_read_sends_sigttin(term: Term) -> None:
    term.t.pgrp = u64(3)
    term.p.pgid = u64(4)
    term.type(b"x\r")
    assert errno_of(term.read) == ERESTARTSYS
    assert term.signals == [(4, 21)]
    term.p.sigactions[21 * 4] = u64(1)      # SIGTTIN ignored: EIO
    assert errno_of(term.read) == EIO


def test_read_by_other_session_is_allowed(term: Term) -> None:
    term.p.sid = u64(9)
    term.p.pgid = u64(9)
    term.type(b"x\r")
    assert term.read() == b"x\n"


def test_tostop_background_write(term: Term) -> None:
    term.t.pgrp = u64(3)
    term.p.pgid = u64(4)
    assert term.write(b"ok") == 2           # TOSTOP off: background writes go out
    t = termios_of(term)
    t["lflag"] |= 0o400
    term.t.t.c_lflag = tty.u32(t["lflag"])
    assert errno_of(lambda: term.write(b"no")) == ERESTARTSYS
    assert term.signals == [(4, 22)]


# ------------------------------------------------------------------ polling the UART


def test_tty_poll_input_drains_the_uart(term: Term, monkeypatch: pytest.MonkeyPatch) -> None:
    pending = list(b"ok\r")
    monkeypatch.setattr(tty.kernel_arch, "arch_console_getc",
                        lambda: i64(pending.pop(0) if pending else -1))
    tty.tty_poll_input()
    assert pending == []
    assert term.read() == b"ok\n"


def test_serial_getc(monkeypatch: pytest.MonkeyPatch) -> None:
    from arch.x86_64 import serial
    from asterpy.lang.intrinsics import register_port

    class Uart:
        """COM1 with one byte waiting."""
        def __init__(self) -> None:
            self.rx = [0x41]

        def read(self, offset: int, width: int) -> int:
            if offset == 5:
                return 0x60 | (1 if self.rx else 0)
            if offset == 0:
                return self.rx.pop(0)
            return 0

        def write(self, offset: int, width: int, value: int) -> None:
            pass

    register_port(0x3F8, 8, Uart())
    monkeypatch.setattr(serial, "_present", True)
    assert int(serial.serial_getc()) == 0x41
    assert int(serial.serial_getc()) == -1
    monkeypatch.setattr(serial, "_present", False)
    assert int(serial.serial_getc()) == -1


def test_uart16550_getc(monkeypatch: pytest.MonkeyPatch) -> None:
    from asterpy.drivers import uart16550
    from asterpy.lang import memory

    class Uart:
        """An MMIO 16550 with two bytes waiting."""
        def __init__(self) -> None:
            self.rx = [0x61, 0x62]

        def read(self, offset: int, width: int) -> int:
            if offset == 5:
                return 0x60 | (1 if self.rx else 0)
            if offset == 0:
                return self.rx.pop(0)
            return 0

        def write(self, offset: int, width: int, value: int) -> None:
            pass

    memory.register_mmio(0x1000_0000, 8, Uart())
    monkeypatch.setattr(uart16550, "_uart", u64(0))
    assert int(uart16550.uart_getc()) == -1
    monkeypatch.setattr(uart16550, "_uart", u64(0x1000_0000))
    assert [int(uart16550.uart_getc()) for _ in range(3)] == [0x61, 0x62, -1]
