"""The console terminal: a Linux-compatible line discipline (termios), job control and tty ioctls.

One Tty exists, the serial console (`console_tty()`); /dev/console and /dev/tty delegate to it.
Input bytes arrive through `receive()` (from `tty_poll_input()`, which the timer tick and the
idle loop call) and go through the termios input flags (ICRNL...), the signal characters (ISIG),
and in canonical mode the line editor (ERASE, KILL, WERASE, LNEXT, REPRINT, EOF) with echo.
Reads take whole lines in canonical mode and follow VMIN/VTIME otherwise.

Concurrency: the kernel runs with interrupts off inside a syscall, so receive() (interrupt
context) never runs in the middle of read()/write()/ioctl(); a reader checks for data and then
sleeps on `chan`, and receive() wakes it (no lost wake-up, see asterpy.kernel.wait).

Output goes to the console UART byte for byte (kernel_arch.arch_console_putc_raw, the device the
kernel log writes to): OPOST/ONLCR here decide about CR LF, so raw-mode programs get bare LFs.

Job control, with these simplifications:
* session 1 (init's) has the console from boot (on Linux init has no controlling terminal), so
  a shell run as init gets job control; a new session leader may still take it (TIOCSCTTY);
* a process's controlling terminal is this one when its session is the terminal's session (no
  per-process ctty field: TIOCNOTTY by a non-leader changes nothing);
* no hang-up state: after the session leader exits (tty_session_ended) reads and writes go on;
* a background read (caller in the terminal's session, not in the foreground group) sends
  SIGTTIN to the caller's group and fails with ERESTARTSYS (the syscall exit restarts it after
  the stop, or turns it into EINTR), or fails with EIO if SIGTTIN is blocked or ignored; writes
  with TOSTOP and TCSETS*/TIOCSPGRP/TCFLSH/TCXONC from the background do the same with SIGTTOU,
  but go ahead if SIGTTOU is blocked or ignored. Orphaned groups are not detected (no EIO);
* TIOCSPGRP looks the group up with asterpy.task.signal.process_group_session: ESRCH when no
  live process is in it, EPERM when it belongs to another session.
"""

from typing import Final

# A module import, used at call time: kernel_arch imports most of the kernel, and under CPython a
# `from kernel_arch import ...` here could meet it half-initialised in an import cycle. First, so
# that a test importing this module alone loads the kernel in kernel_arch's order.
import kernel_arch

from asterpy.lang import Array, List, Ptr, SysError, i32, struct, u8, u16, u32, u64
from asterpy.lang.errno import EAGAIN, EINTR, EINVAL, EIO, ENOTTY, EPERM, ERESTARTSYS, ESRCH
from asterpy.kernel.caller import Caller
from asterpy.kernel.upcalls import process_group_session, signal_blocked_by_current, signal_ignored_by, signal_pgrp
from asterpy.kernel.wait import INTERRUPTED, TIMED_OUT, new_wait_channel, sleep_on, sleep_until, wake_up


# ---------------------------------------------------------------- termios (Linux, x86_64 numbering)

NCCS: Final = 19                 # the kernel's struct termios (glibc's user struct is bigger)
TERMIOS_SIZE: Final = u64(36)    # 4 flag words, c_line, c_cc[19]
TERMIOS2_SIZE: Final = u64(44)   # and the input and output speeds
CONSOLE_BAUD: Final = u32(115200)
N_TTY: Final = u32(0)            # the only line discipline
WINSIZE_SIZE: Final = u64(8)

# c_cc indices
VINTR: Final = 0
VQUIT: Final = 1
VERASE: Final = 2
VKILL: Final = 3
VEOF: Final = 4
VTIME: Final = 5
VMIN: Final = 6
VSWTC: Final = 7
VSTART: Final = 8
VSTOP: Final = 9
VSUSP: Final = 10
VEOL: Final = 11
VREPRINT: Final = 12
VDISCARD: Final = 13
VWERASE: Final = 14
VLNEXT: Final = 15
VEOL2: Final = 16

# c_iflag
IGNBRK: Final = u32(0o1)
BRKINT: Final = u32(0o2)
ISTRIP: Final = u32(0o40)
INLCR: Final = u32(0o100)
IGNCR: Final = u32(0o200)
ICRNL: Final = u32(0o400)
IXON: Final = u32(0o2000)
IXANY: Final = u32(0o4000)
IMAXBEL: Final = u32(0o20000)
IUTF8: Final = u32(0o40000)
# c_oflag
OPOST: Final = u32(0o1)
ONLCR: Final = u32(0o4)
OCRNL: Final = u32(0o10)
ONOCR: Final = u32(0o20)
ONLRET: Final = u32(0o40)
# c_cflag
B115200: Final = u32(0o10002)     # CBAUDEX | 2
CS8: Final = u32(0o60)
CREAD: Final = u32(0o200)
HUPCL: Final = u32(0o2000)
CLOCAL: Final = u32(0o4000)
# c_lflag
ISIG: Final = u32(0o1)
ICANON: Final = u32(0o2)
ECHO: Final = u32(0o10)
ECHOE: Final = u32(0o20)
ECHOK: Final = u32(0o40)
ECHONL: Final = u32(0o100)
NOFLSH: Final = u32(0o200)
TOSTOP: Final = u32(0o400)
ECHOCTL: Final = u32(0o1000)
ECHOKE: Final = u32(0o4000)
IEXTEN: Final = u32(0o100000)

# ioctl requests (x86_64; the generic numbering riscv64 and loongarch64 share).
TCGETS: Final = u64(0x5401)
TCSETS: Final = u64(0x5402)
TCSETSW: Final = u64(0x5403)
TCSETSF: Final = u64(0x5404)
TCSBRK: Final = u64(0x5409)
TCXONC: Final = u64(0x540A)
TCFLSH: Final = u64(0x540B)
TIOCSCTTY: Final = u64(0x540E)
TIOCGPGRP: Final = u64(0x540F)
TIOCSPGRP: Final = u64(0x5410)
TIOCOUTQ: Final = u64(0x5411)
TIOCGWINSZ: Final = u64(0x5413)
TIOCSWINSZ: Final = u64(0x5414)
FIONREAD: Final = u64(0x541B)
TIOCNOTTY: Final = u64(0x5422)
TCSBRKP: Final = u64(0x5425)
TIOCGSID: Final = u64(0x5429)
TIOCEXCL: Final = u64(0x540C)
TIOCNXCL: Final = u64(0x540D)
TIOCSTI: Final = u64(0x5412)
TIOCSETD: Final = u64(0x5423)
TIOCGETD: Final = u64(0x5424)
# struct termios2 (termios + c_ispeed, c_ospeed: 44 bytes), _IOR/_IOW('T', 0x2A..0x2D).
TCGETS2: Final = u64(0x802C542A)
TCSETS2: Final = u64(0x402C542B)
TCSETSW2: Final = u64(0x402C542C)
TCSETSF2: Final = u64(0x402C542D)

# TCFLSH and TCXONC arguments.
TCIFLUSH: Final = u64(0)
TCOFLUSH: Final = u64(1)
TCIOFLUSH: Final = u64(2)
TCION: Final = u64(3)

# poll(2) bits.
POLLIN: Final = u64(0x1)
POLLOUT: Final = u64(0x4)

SIGHUP: Final = u64(1)
SIGINT: Final = u64(2)
SIGQUIT: Final = u64(3)
SIGTSTP: Final = u64(20)
SIGTTIN: Final = u64(21)
SIGTTOU: Final = u64(22)
SIGWINCH: Final = u64(28)
SIGCONT: Final = u64(18)

# The largest pid (Linux's PID_MAX_LIMIT on 64-bit): no group id is above it.
PID_MAX: Final = u64(4194304)

# What a background reader or writer gets after SIGTTIN/SIGTTOU went to its group (Linux's
# choice): the syscall exit restarts the call once the group is continued in the foreground.
TTY_RESTART: Final = ERESTARTSYS

DEFAULT_ROWS: Final = u16(24)
DEFAULT_COLS: Final = u16(80)

# The input queue: a ring of bytes with a flag per byte.
INPUT_SIZE: Final = u64(4096)
F_PLAIN: Final = u8(0)
F_DELIM: Final = u8(1)           # ends a canonical line (newline, EOL, EOL2): returned, then the read stops
F_EOF: Final = u8(2)             # VEOF: ends a line, not returned (alone, it reads as end of file)

NS_PER_DECISECOND: Final = u64(100000000)

CH_BEL: Final = u8(0x07)
CH_BS: Final = u8(0x08)
CH_TAB: Final = u8(0x09)
CH_NL: Final = u8(0x0A)
CH_CR: Final = u8(0x0D)
CH_SPACE: Final = u8(0x20)
CH_CARET: Final = u8(0x5E)
CH_DEL: Final = u8(0x7F)


@struct
class Termios:
    """struct termios as the Linux kernel's TCGETS/TCSETS pass it (36 bytes)."""

    c_iflag: u32
    c_oflag: u32
    c_cflag: u32
    c_lflag: u32
    c_line: u8
    c_cc: Array[u8, 19]


def default_termios() -> Termios:
    """The settings a Linux terminal starts with (`stty sane`-like: cooked, echo, signals)."""
    t = Termios()
    t.c_iflag = ICRNL | IXON | IMAXBEL | IUTF8
    t.c_oflag = OPOST | ONLCR
    t.c_cflag = B115200 | CS8 | CREAD | HUPCL | CLOCAL
    t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN
    t.c_cc[VINTR] = u8(0x03)     # ^C
    t.c_cc[VQUIT] = u8(0x1C)     # ^\
    t.c_cc[VERASE] = CH_DEL      # ^?
    t.c_cc[VKILL] = u8(0x15)     # ^U
    t.c_cc[VEOF] = u8(0x04)      # ^D
    t.c_cc[VTIME] = u8(0)
    t.c_cc[VMIN] = u8(1)
    t.c_cc[VSTART] = u8(0x11)    # ^Q
    t.c_cc[VSTOP] = u8(0x13)     # ^S
    t.c_cc[VSUSP] = u8(0x1A)     # ^Z
    t.c_cc[VREPRINT] = u8(0x12)  # ^R
    t.c_cc[VDISCARD] = u8(0x0F)  # ^O
    t.c_cc[VWERASE] = u8(0x17)   # ^W
    t.c_cc[VLNEXT] = u8(0x16)    # ^V
    return t


def is_word_char(c: u8) -> bool:
    """Letters, digits and '_': what VWERASE erases as a word."""
    return ((c >= 0x30 and c <= 0x39) or (c >= 0x41 and c <= 0x5A) or (c >= 0x61 and c <= 0x7A)
            or c == 0x5F)


def is_ctl(c: u8) -> bool:
    """A control character ECHOCTL shows as ^X (TAB and NL are echoed as themselves)."""
    return (c < 0x20 and c != CH_TAB and c != CH_NL) or c == CH_DEL


def user_byte(p: Caller, va: u64) -> u8:
    """The byte at user address va (EFAULT)."""
    return p.get_u8(va)


def get_user_u32(p: Caller, va: u64) -> u32:
    """The little-endian u32 at user address va (EFAULT)."""
    p.check_user(va, u64(4), False)
    v = u32(0)
    for i in range(u32(0), u32(4)):
        v |= u32(user_byte(p, va + u64(i))) << (8 * i)
    return v


def put_user_u32(p: Caller, va: u64, v: u32) -> None:
    """Store v little-endian at user address va (EFAULT, nothing stored)."""
    p.check_user(va, u64(4), True)
    for i in range(u32(0), u32(4)):
        p.put_byte(va + u64(i), u8(v >> (8 * i)))


def signal_ignored_or_blocked(p: Caller, sig: u64) -> bool:
    """Whether the caller blocks sig or p has set it to SIG_IGN (then SIGTTIN/SIGTTOU are not sent)."""
    if signal_blocked_by_current(sig):
        return True
    return signal_ignored_by(p, sig)


def pgrp_session(pgrp: u64, caller: Caller) -> u64:
    """The session of process group pgrp, 0 if there is no such group (no live process in it)."""
    if pgrp == 0 or pgrp > PID_MAX:
        return u64(0)
    if pgrp == caller.pgid:
        return caller.sid
    return process_group_session(pgrp)


def now_ns() -> u64:
    """The monotonic clock, for VTIME."""
    return kernel_arch.arch_monotonic_ns()


def console_out(c: u8) -> None:
    """One byte to the console exactly as given (the line discipline did the output processing)."""
    kernel_arch.arch_console_putc_raw(c)


class Tty:
    """A terminal: termios state, the input queue and line editor, the session and foreground group."""

    t: Termios
    rows: u16
    cols: u16
    xpixel: u16
    ypixel: u16
    session: u64         # the session whose controlling terminal this is (0: none)
    from_boot: bool      # `session` was given at boot, not taken by TIOCSCTTY
    pgrp: u64            # the foreground process group (0: none)
    ring: List[u8]       # input bytes, INPUT_SIZE of them in a ring
    flags: List[u8]      # F_* of each byte
    head: u64            # index of the oldest byte
    count: u64           # bytes in the ring
    ready: u64           # of those, the first `ready` can be read (canonical: whole lines)
    lnext: bool          # the previous byte was VLNEXT: take this one literally
    column: u64          # the output column, for erasing tabs
    line_column: u64     # the column where the line being edited started
    chan: u64            # readers sleep here

    def __init__(self) -> None:
        """A terminal in the default (cooked) mode with no session and empty queues."""
        self.t = default_termios()
        self.rows = DEFAULT_ROWS
        self.cols = DEFAULT_COLS
        self.xpixel = u16(0)
        self.ypixel = u16(0)
        self.session = u64(0)
        self.from_boot = False
        self.pgrp = u64(0)
        self.ring = []
        self.flags = []
        for _ in range(u64(0), INPUT_SIZE):
            self.ring.append(u8(0))
            self.flags.append(F_PLAIN)
        self.head = u64(0)
        self.count = u64(0)
        self.ready = u64(0)
        self.lnext = False
        self.column = u64(0)
        self.line_column = u64(0)
        self.chan = new_wait_channel()

    # ------------------------------------------------------------ flags

    def lflag(self, f: u32) -> bool:
        """Whether c_lflag has f."""
        return (self.t.c_lflag & f) != 0

    def iflag(self, f: u32) -> bool:
        """Whether c_iflag has f."""
        return (self.t.c_iflag & f) != 0

    def oflag(self, f: u32) -> bool:
        """Whether c_oflag has f."""
        return (self.t.c_oflag & f) != 0

    def is_cc(self, c: u8, idx: int) -> bool:
        """Whether c is the special character c_cc[idx] (0 disables it, _POSIX_VDISABLE)."""
        v = self.t.c_cc[idx]
        return v != 0 and v == c

    # ------------------------------------------------------------ output

    def device_out(self, c: u8) -> None:
        """Hand one byte to the device: the console's UART (a pseudo-terminal's master overrides this)."""
        console_out(c)

    def put_raw(self, c: u8) -> None:
        """Send c to the device and follow the cursor column."""
        self.device_out(c)
        if c == CH_CR or c == CH_NL:
            # LF without ONLCR keeps the column on a real terminal, but a newline ends the line
            # being edited anyway, so the editor never needs that column.
            self.column = u64(0)
        elif c == CH_TAB:
            self.column = (self.column | 7) + 1
        elif c == CH_BS:
            if self.column > 0:
                self.column -= 1
        elif c >= 0x20 and c != CH_DEL and (not self.iflag(IUTF8) or c < 0x80 or c >= 0xC0):
            # A UTF-8 character takes one column: only its lead byte counts.
            self.column += 1

    def output(self, c: u8) -> None:
        """Send one byte through the output processing (OPOST: ONLCR, OCRNL, ONOCR, ONLRET)."""
        if not self.oflag(OPOST):
            self.put_raw(c)
            return
        if c == CH_NL:
            if self.oflag(ONLCR):
                self.put_raw(CH_CR)
            self.put_raw(CH_NL)
            return
        if c == CH_CR:
            if self.oflag(ONOCR) and self.column == 0:
                return
            if self.oflag(OCRNL):
                self.put_raw(CH_NL)
                return
        self.put_raw(c)

    def echo_char(self, c: u8) -> None:
        """Echo an input byte: control characters as ^X under ECHOCTL, others as themselves."""
        if self.lflag(ECHOCTL) and is_ctl(c):
            self.output(CH_CARET)
            self.output(c ^ 0x40)
        else:
            self.output(c)

    # ------------------------------------------------------------ the input queue

    def at(self, i: u64) -> u64:
        """Ring index of the i-th queued byte."""
        return (self.head + i) % INPUT_SIZE

    def push(self, c: u8, flag: u8) -> bool:
        """Append a byte to the queue; False if it is full (in canonical mode the last place is
        kept for a line end, so that a full line can still be finished)."""
        if self.count >= INPUT_SIZE or (self.lflag(ICANON) and flag == F_PLAIN and self.count >= INPUT_SIZE - 1):
            if self.iflag(IMAXBEL) and self.lflag(ECHO):
                # The terminal's bell says the byte was dropped.
                self.put_raw(CH_BEL)
            return False
        if self.count == self.ready:
            self.line_column = self.column
        i = self.at(self.count)
        self.ring[i] = c
        self.flags[i] = flag
        self.count += 1
        return True

    def pop_edit(self) -> u8:
        """Remove and return the last byte of the line being edited (there must be one)."""
        self.count -= 1
        return self.ring[self.at(self.count)]

    def commit(self) -> None:
        """Make every queued byte readable and wake the readers."""
        self.ready = self.count
        wake_up(self.chan)

    def flush_input(self) -> None:
        """Drop all input, read or being edited."""
        self.head = u64(0)
        self.count = u64(0)
        self.ready = u64(0)
        self.lnext = False

    def readable(self) -> u64:
        """Bytes a read could take now."""
        return self.ready

    # ------------------------------------------------------------ input processing

    def receive(self, b: u8) -> None:
        """One input byte from the device: input flags, signals, line editing and echo (may run
        in the timer interrupt)."""
        c = b
        if self.iflag(ISTRIP):
            c &= 0x7F
        if self.lnext:
            # The byte after VLNEXT goes in as it is; the "^" echoed for VLNEXT is overwritten.
            self.lnext = False
            if self.lflag(ECHO) and self.lflag(ECHOCTL):
                self.put_raw(CH_BS)
            self.insert(c)
            return
        if c == CH_CR:
            if self.iflag(IGNCR):
                return
            if self.iflag(ICRNL):
                c = CH_NL
        elif c == CH_NL and self.iflag(INLCR):
            c = CH_CR
        if self.lflag(ISIG):
            if self.is_cc(c, VINTR):
                self.signal_char(c, SIGINT)
                return
            if self.is_cc(c, VQUIT):
                self.signal_char(c, SIGQUIT)
                return
            if self.is_cc(c, VSUSP):
                self.signal_char(c, SIGTSTP)
                return
        if self.iflag(IXON) and (self.is_cc(c, VSTOP) or self.is_cc(c, VSTART)):
            # Flow control characters are consumed; output is never actually stopped (the
            # console is written synchronously, there is no output queue to hold back).
            return
        if self.lflag(ICANON):
            self.receive_canonical(c)
            return
        if self.push(c, F_PLAIN):
            if self.lflag(ECHO):
                self.echo_char(c)
            self.commit()

    def signal_char(self, c: u8, sig: u64) -> None:
        """An ISIG character: flush input (unless NOFLSH), echo it, signal the foreground group."""
        if not self.lflag(NOFLSH):
            self.flush_input()
        if self.lflag(ECHO):
            self.echo_char(c)
        if self.pgrp != 0:
            signal_pgrp(self.pgrp, sig)

    def receive_canonical(self, c: u8) -> None:
        """A byte in canonical mode: an editing character, a line end, or part of the line."""
        if self.is_cc(c, VERASE) or c == CH_BS:
            # ^H erases too: many serial terminals send it for Backspace, whatever VERASE says.
            self.erase_one()
            return
        if self.is_cc(c, VKILL):
            self.kill_line()
            return
        if self.lflag(IEXTEN):
            if self.is_cc(c, VWERASE):
                self.erase_word()
                return
            if self.is_cc(c, VLNEXT):
                self.lnext = True
                if self.lflag(ECHO) and self.lflag(ECHOCTL):
                    self.put_raw(CH_CARET)
                return
            if self.is_cc(c, VREPRINT):
                self.reprint()
                return
        if self.is_cc(c, VEOF):
            # End of file on an empty line, else the line goes to the reader without the ^D.
            if self.push(c, F_EOF):
                self.commit()
            return
        if c == CH_NL or self.is_cc(c, VEOL) or (self.lflag(IEXTEN) and self.is_cc(c, VEOL2)):
            if self.push(c, F_DELIM):
                if self.lflag(ECHO) or (c == CH_NL and self.lflag(ECHONL)):
                    self.echo_char(c)
                self.commit()
            return
        self.insert(c)

    def insert(self, c: u8) -> None:
        """Put an ordinary byte into the line being edited (or the raw queue), echoing it; after
        VLNEXT even a newline is ordinary and does not end the line."""
        if not self.push(c, F_PLAIN):
            return
        if self.lflag(ECHO):
            self.echo_char(c)
        if not self.lflag(ICANON):
            self.commit()

    # ------------------------------------------------------------ line editing

    def width_before_end(self) -> u64:
        """The column the cursor is at after echoing the line being edited (from line_column)."""
        col = self.line_column
        for k in range(self.ready, self.count):
            c = self.ring[self.at(k)]
            if c == CH_TAB:
                col = (col | 7) + 1
            elif is_ctl(c):
                if self.lflag(ECHOCTL):
                    col += 2
            elif not self.iflag(IUTF8) or c < 0x80 or c >= 0xC0:
                col += 1
        return col

    def erase_one(self) -> bool:
        """Erase the last character of the line being edited (one UTF-8 character under IUTF8),
        rubbing it out on the screen under ECHOE; False if the line is empty."""
        if self.count == self.ready:
            return False
        c = self.pop_edit()
        if self.iflag(IUTF8):
            # Continuation bytes (10xxxxxx) go with their lead byte.
            while (c & 0xC0) == 0x80 and self.count > self.ready:
                c = self.pop_edit()
        if not self.lflag(ECHO):
            return True
        if not self.lflag(ECHOE):
            self.echo_char(self.t.c_cc[VERASE])
            return True
        if c == CH_TAB:
            # Back to where the tab started: the width of what remains of the line.
            target = self.width_before_end()
            while self.column > target:
                self.put_raw(CH_BS)
            return True
        cells = u64(1)
        if is_ctl(c):
            cells = u64(2) if self.lflag(ECHOCTL) else u64(0)
        for _ in range(u64(0), cells):
            self.put_raw(CH_BS)
            self.put_raw(CH_SPACE)
            self.put_raw(CH_BS)
        return True

    def erase_word(self) -> None:
        """VWERASE: erase back over non-word characters, then over the word before them."""
        seen_word = False
        while self.count > self.ready:
            c = self.ring[self.at(self.count - 1)]
            if is_word_char(c):
                seen_word = True
            elif seen_word:
                break
            self.erase_one()

    def kill_line(self) -> None:
        """VKILL: drop the line being edited; rub it out (ECHOKE), or echo ^U and a newline (ECHOK)."""
        if self.count == self.ready:
            return
        if self.lflag(ECHO) and self.lflag(ECHOE) and self.lflag(ECHOK) and self.lflag(ECHOKE):
            while self.erase_one():
                pass
            return
        self.count = self.ready
        if self.lflag(ECHO):
            self.echo_char(self.t.c_cc[VKILL])
            if self.lflag(ECHOK):
                self.output(CH_NL)

    def reprint(self) -> None:
        """VREPRINT: echo ^R, a newline, and the line being edited again."""
        if not self.lflag(ECHO):
            return
        self.echo_char(self.t.c_cc[VREPRINT])
        self.output(CH_NL)
        self.line_column = self.column
        for k in range(self.ready, self.count):
            self.echo_char(self.ring[self.at(k)])

    # ------------------------------------------------------------ reading

    def take_canonical(self, p: Caller, buf: u64, n: u64) -> u64:
        """Copy up to n bytes of the first line to user buf; the count (0 at end of file). EFAULT
        leaves the line queued: the whole destination is checked before anything is taken."""
        size = u64(0)
        k = u64(0)
        while k < self.ready and size < n:
            f = self.flags[self.at(k)]
            if f == F_EOF:
                break
            size += 1
            if f == F_DELIM:
                break
            k += 1
        p.check_user(buf, size, True)
        got = u64(0)
        while got < n and self.ready > 0:
            i = self.head
            c = self.ring[i]
            f = self.flags[i]
            self.head = (self.head + 1) % INPUT_SIZE
            self.count -= 1
            self.ready -= 1
            if f == F_EOF:
                break
            p.put_byte(buf + got, c)
            got += 1
            if f == F_DELIM:
                break
        return got

    def take_raw(self, p: Caller, buf: u64, n: u64) -> u64:
        """Copy up to n readable bytes to user buf; the count (EFAULT before taking any)."""
        p.check_user(buf, min(n, self.ready), True)
        got = u64(0)
        while got < n and self.ready > 0:
            p.put_byte(buf + got, self.ring[self.head])
            self.head = (self.head + 1) % INPUT_SIZE
            self.count -= 1
            self.ready -= 1
            got += 1
        return got

    def check_read(self, p: Caller) -> None:
        """Job control on read: a background group of this terminal's session gets SIGTTIN."""
        if not self.is_ctty(p) or self.pgrp == 0 or p.pgid == self.pgrp:
            return
        if signal_ignored_or_blocked(p, SIGTTIN):
            raise SysError(EIO)
        signal_pgrp(p.pgid, SIGTTIN)
        raise SysError(TTY_RESTART)

    def check_change(self, p: Caller) -> None:
        """Job control on output and settings changes: a background group gets SIGTTOU unless
        it blocks or ignores it (then the change is allowed)."""
        if not self.is_ctty(p) or self.pgrp == 0 or p.pgid == self.pgrp:
            return
        if signal_ignored_or_blocked(p, SIGTTOU):
            return
        signal_pgrp(p.pgid, SIGTTOU)
        raise SysError(TTY_RESTART)

    def read(self, p: Caller, buf: u64, n: u64, nonblock: bool) -> u64:
        """read(2): a line (canonical) or bytes by VMIN/VTIME; EAGAIN, EINTR, EIO, EFAULT."""
        self.check_read(p)
        if n == 0:
            return u64(0)
        # The buffer is checked as bytes are taken (take_*), not all n bytes up front: a program
        # may pass a count larger than its mapped buffer as long as the data fits, as on Linux.
        if self.lflag(ICANON):
            while self.ready == 0:
                if nonblock:
                    raise SysError(EAGAIN)
                if not sleep_on(self.chan):
                    raise SysError(EINTR)
                if not self.lflag(ICANON):
                    # Switched to raw mode while asleep: read by its rules.
                    return self.read_raw(p, buf, n, nonblock)
            return self.take_canonical(p, buf, n)
        return self.read_raw(p, buf, n, nonblock)

    def read_raw(self, p: Caller, buf: u64, n: u64, nonblock: bool) -> u64:
        """A non-canonical read: VMIN bytes (at most n), with VTIME as the overall (VMIN = 0) or
        inter-byte (VMIN > 0) timer in tenths of a second."""
        vmin = u64(self.t.c_cc[VMIN])
        vtime = u64(self.t.c_cc[VTIME])
        want = vmin if vmin > 0 else u64(1)
        if want > n:
            want = n
        deadline = u64(0)
        if vmin == 0 and vtime > 0:
            deadline = now_ns() + vtime * NS_PER_DECISECOND
        got = u64(0)
        expired = False
        while True:
            took = self.take_raw(p, buf + got, n - got)
            got += took
            if got >= want or expired:
                return got
            if vmin == 0 and vtime == 0:
                return got
            if nonblock:
                if got == 0:
                    raise SysError(EAGAIN)
                return got
            if vmin > 0 and vtime > 0 and took > 0:
                # The inter-byte timer restarts with every byte that came in.
                deadline = now_ns() + vtime * NS_PER_DECISECOND
            if deadline != 0:
                r = sleep_until(self.chan, deadline)
                if r == TIMED_OUT:
                    expired = True
                elif r == INTERRUPTED:
                    if got > 0:
                        return got
                    raise SysError(EINTR)
            elif not sleep_on(self.chan):
                if got > 0:
                    return got
                raise SysError(EINTR)

    # ------------------------------------------------------------ writing

    def write(self, p: Caller, buf: u64, n: u64) -> u64:
        """write(2): the bytes through the output processing; EFAULT (nothing written), TOSTOP job control."""
        if self.lflag(TOSTOP):
            self.check_change(p)
        p.check_user(buf, n, False)
        c = p.user_chunks(buf, n, False)
        while c.next():
            for i in range(u64(0), c.size):
                self.output(Ptr[u8](c.kaddr + i).load())
        return n

    def poll_mask(self) -> u64:
        """POLLIN when a read would not block, POLLOUT always (output never waits)."""
        m = POLLOUT
        if self.ready > 0:
            m |= POLLIN
        return m

    # ------------------------------------------------------------ ioctl

    def is_ctty(self, p: Caller) -> bool:
        """Whether this is p's controlling terminal (p is in the terminal's session)."""
        return self.session != 0 and p.sid == self.session

    def set_termios(self, t: Termios) -> None:
        """Install new settings; switching ICANON makes everything queued readable, as Linux does."""
        was_canon = self.lflag(ICANON)
        self.t = t.copy()
        if was_canon != self.lflag(ICANON):
            self.lnext = False
            if self.count > 0:
                # In canonical mode the pending bytes read as one line.
                last = self.at(self.count - 1)
                if self.flags[last] == F_PLAIN:
                    self.flags[last] = F_DELIM
            self.commit()
        else:
            # A reader may now be satisfied (VMIN lowered, say): let it look again.
            wake_up(self.chan)

    def get_termios_user(self, p: Caller, arg: u64) -> None:
        """TCGETS: copy the settings out to user arg."""
        p.check_user(arg, TERMIOS_SIZE, True)
        put_user_u32(p, arg, self.t.c_iflag)
        put_user_u32(p, arg + 4, self.t.c_oflag)
        put_user_u32(p, arg + 8, self.t.c_cflag)
        put_user_u32(p, arg + 12, self.t.c_lflag)
        p.put_byte(arg + 16, self.t.c_line)
        for i in range(0, NCCS):
            p.put_byte(arg + 17 + u64(i), self.t.c_cc[i])

    def read_termios_user(self, p: Caller, arg: u64) -> Termios:
        """The struct termios at user arg (EFAULT)."""
        p.check_user(arg, TERMIOS_SIZE, False)
        t = Termios()
        t.c_iflag = get_user_u32(p, arg)
        t.c_oflag = get_user_u32(p, arg + 4)
        t.c_cflag = get_user_u32(p, arg + 8)
        t.c_lflag = get_user_u32(p, arg + 12)
        t.c_line = user_byte(p, arg + 16)
        for i in range(0, NCCS):
            t.c_cc[i] = user_byte(p, arg + 17 + u64(i))
        return t

    def ioctl(self, p: Caller, cmd: u64, arg: u64) -> u64:
        """ioctl(2) on the terminal; ENOTTY for requests it does not know."""
        if cmd == TCGETS or cmd == TCGETS2:
            if cmd == TCGETS2:
                # The speeds after the struct: the line is what the console runs at.
                p.check_user(arg, TERMIOS2_SIZE, True)
                put_user_u32(p, arg + TERMIOS_SIZE, CONSOLE_BAUD)
                put_user_u32(p, arg + TERMIOS_SIZE + 4, CONSOLE_BAUD)
            self.get_termios_user(p, arg)
            return u64(0)
        if cmd == TCSETS or cmd == TCSETSW or cmd == TCSETSF or cmd == TCSETS2 or cmd == TCSETSW2 or cmd == TCSETSF2:
            self.check_change(p)
            # termios2's speeds are ignored: the UART keeps the rate the firmware set.
            t = self.read_termios_user(p, arg)
            # TCSETSW would wait for output to drain: it never waits (written synchronously).
            if cmd == TCSETSF or cmd == TCSETSF2:
                self.flush_input()
            self.set_termios(t)
            return u64(0)
        if cmd == TIOCSTI:
            # Fake input: only into one's own controlling terminal, unless root.
            if not self.is_ctty(p) and p.uid != 0:
                raise SysError(EPERM)
            p.check_user(arg, u64(1), False)
            self.receive(user_byte(p, arg))
            return u64(0)
        if cmd == TIOCGETD:
            put_user_u32(p, arg, N_TTY)
            return u64(0)
        if cmd == TIOCSETD:
            if get_user_u32(p, arg) != N_TTY:
                raise SysError(EINVAL)
            return u64(0)
        if cmd == TIOCEXCL or cmd == TIOCNXCL:
            # Exclusive mode only refuses later opens by non-root users: everyone is root here.
            return u64(0)
        if cmd == TIOCGWINSZ:
            p.check_user(arg, WINSIZE_SIZE, True)
            put_user_u32(p, arg, u32(self.rows) | (u32(self.cols) << 16))
            put_user_u32(p, arg + 4, u32(self.xpixel) | (u32(self.ypixel) << 16))
            return u64(0)
        if cmd == TIOCSWINSZ:
            p.check_user(arg, WINSIZE_SIZE, False)
            a = get_user_u32(p, arg)
            b = get_user_u32(p, arg + 4)
            rows = u16(a)
            cols = u16(a >> 16)
            changed = rows != self.rows or cols != self.cols
            self.rows = rows
            self.cols = cols
            self.xpixel = u16(b)
            self.ypixel = u16(b >> 16)
            if changed and self.pgrp != 0:
                signal_pgrp(self.pgrp, SIGWINCH)
            return u64(0)
        if cmd == TIOCGPGRP:
            if not self.is_ctty(p):
                raise SysError(ENOTTY)
            put_user_u32(p, arg, u32(self.pgrp))
            return u64(0)
        if cmd == TIOCSPGRP:
            return self.set_pgrp(p, arg)
        if cmd == TIOCGSID:
            if not self.is_ctty(p):
                raise SysError(ENOTTY)
            put_user_u32(p, arg, u32(self.session))
            return u64(0)
        if cmd == TIOCSCTTY:
            return self.set_ctty(p, arg)
        if cmd == TIOCNOTTY:
            if not self.is_ctty(p):
                raise SysError(ENOTTY)
            if p.sid == p.pid:
                # The session leader gives the terminal up: the whole session loses it.
                self.session_ended(p.sid)
            return u64(0)
        if cmd == FIONREAD:
            n = u64(0)
            for k in range(u64(0), self.ready):
                if self.flags[self.at(k)] != F_EOF:
                    n += 1
            put_user_u32(p, arg, u32(n))
            return u64(0)
        if cmd == TIOCOUTQ:
            put_user_u32(p, arg, u32(0))
            return u64(0)
        if cmd == TCFLSH:
            self.check_change(p)
            if arg == TCIFLUSH or arg == TCIOFLUSH:
                self.flush_input()
            elif arg != TCOFLUSH:
                raise SysError(EINVAL)
            return u64(0)
        if cmd == TCXONC:
            self.check_change(p)
            # Accepted and ignored: output is never held back (see receive, IXON).
            if arg > TCION:
                raise SysError(EINVAL)
            return u64(0)
        if cmd == TCSBRK or cmd == TCSBRKP:
            # tcdrain() and tcsendbreak(): nothing is queued, and no break is sent.
            return u64(0)
        raise SysError(ENOTTY)

    def set_pgrp(self, p: Caller, arg: u64) -> u64:
        """TIOCSPGRP: make the group at user arg the foreground group (ENOTTY, EINVAL, ESRCH, EPERM)."""
        if not self.is_ctty(p):
            raise SysError(ENOTTY)
        self.check_change(p)
        v = i32(get_user_u32(p, arg))
        if v < 0:
            raise SysError(EINVAL)
        pg = u64(v)
        sid = pgrp_session(pg, p)
        if sid == 0:
            raise SysError(ESRCH)
        if sid != p.sid:
            raise SysError(EPERM)
        self.pgrp = pg
        return u64(0)

    def set_ctty(self, p: Caller, arg: u64) -> u64:
        """TIOCSCTTY: a session leader takes this terminal if it is free or still session 1's from
        boot (arg 1 and root: even from another session)."""
        if p.sid == p.pid and self.session == p.sid:
            return u64(0)
        if p.sid != p.pid:
            raise SysError(EPERM)
        if self.session != 0 and not self.from_boot and (arg != 1 or p.uid != 0):
            raise SysError(EPERM)
        # On Linux the console starts as nobody's controlling terminal; here session 1 has it
        # from boot (so that a shell run as init gets job control), and any session leader
        # may still take it, as busybox init does for the shells it starts (setsid, TIOCSCTTY 0).
        self.session = p.sid
        self.from_boot = False
        self.pgrp = p.pgid
        return u64(0)

    def session_ended(self, sid: u64) -> None:
        """The leader of session sid exited: if this is its terminal, hang up the foreground
        group (SIGHUP, SIGCONT) and free the terminal for another session."""
        if sid == 0 or self.session != sid:
            return
        if self.pgrp != 0:
            signal_pgrp(self.pgrp, SIGHUP)
            signal_pgrp(self.pgrp, SIGCONT)
        self.session = u64(0)
        self.from_boot = False
        self.pgrp = u64(0)


# The console terminal, made on first use.
_console: Tty | None = None


def console_tty() -> Tty:
    """The serial console's terminal (session 1 and its foreground group 1, init's, at first)."""
    global _console
    t = _console
    if t is None:
        t = Tty()
        t.session = u64(1)
        t.from_boot = True
        t.pgrp = u64(1)
        _console = t
    return t


class TtyList:
    """The terminals besides the console (pseudo-terminals), for session hang-ups."""

    ttys: List[Tty]

    def __init__(self) -> None:
        """None yet."""
        self.ttys = []


_others: TtyList | None = None


def other_ttys() -> TtyList:
    """The registered non-console terminals."""
    global _others
    o = _others
    if o is None:
        o = TtyList()
        _others = o
    return o


def register_tty(t: Tty) -> None:
    """Let session hang-ups reach terminal t (a new pseudo-terminal)."""
    other_ttys().ttys.append(t)


def unregister_tty(t: Tty) -> None:
    """Forget terminal t (its pseudo-terminal is gone)."""
    o = other_ttys()
    for i in range(0, len(o.ttys)):
        if o.ttys[i] is t:
            del o.ttys[i]
            return


def tty_session_ended(sid: u64) -> None:
    """A session leader exited (call from exit): its controlling terminal hangs up and is freed."""
    t = _console
    if t is not None:
        t.session_ended(sid)
    for other in other_ttys().ttys:
        other.session_ended(sid)


def tty_poll_input() -> None:
    """Feed every byte waiting on the console UART to the console terminal (timer tick, idle loop).

    Call it with interrupts off (the timer interrupt does): receive() is not reentrant.
    """
    # Polling at 100 Hz costs up to 10 ms of latency and can overrun the 16-byte UART FIFO on a
    # long paste; a receive-interrupt handler calling receive() would fix both.
    while True:
        c = kernel_arch.arch_console_getc()
        if c < 0:
            return
        console_tty().receive(u8(c))
