"""The CMOS real-time clock: read the date and time (BCD or binary, 12 or 24 hour) as a Unix time."""

from typing import Final

from asterpy.lang import i64, u8, u16
from asterpy.lang.intrinsics import inb, outb

from asterpy.kernel.time import unix_time

PORT_INDEX: Final = u16(0x70)
PORT_DATA: Final = u16(0x71)
# Bit 7 of the index port masks NMIs while a register is selected; keep it set.
NMI_OFF: Final = u8(0x80)

REG_SECONDS: Final = u8(0x00)
REG_MINUTES: Final = u8(0x02)
REG_HOURS: Final = u8(0x04)
REG_DAY: Final = u8(0x07)
REG_MONTH: Final = u8(0x08)
REG_YEAR: Final = u8(0x09)
REG_STATUS_A: Final = u8(0x0A)
REG_STATUS_B: Final = u8(0x0B)
STATUS_A_UIP: Final = u8(0x80)     # an update is in progress: the time registers are unstable
STATUS_B_24H: Final = u8(0x02)
STATUS_B_BINARY: Final = u8(0x04)
HOUR_PM: Final = u8(0x80)          # in 12-hour mode, bit 7 of the hour register
# The century register is not standard (ACPI FADT names one if present): years 00..99 are 20xx.
CENTURY: Final = i64(2000)
# Give up waiting for an update to finish after this many polls (an update takes < 2 ms).
UIP_SPIN_LIMIT: Final = 100000


def cmos_read(reg: u8) -> u8:
    """One CMOS register."""
    outb(PORT_INDEX, NMI_OFF | reg)
    return inb(PORT_DATA)


def bcd_to_bin(v: u8) -> u8:
    """A two-digit BCD byte as binary (0x59 -> 59)."""
    return (v >> 4) * 10 + (v & 0x0F)


def decode_field(raw: u8, binary: bool) -> u8:
    """A date/time register's value in binary, whichever mode the RTC is in."""
    if binary:
        return raw
    return bcd_to_bin(raw)


def decode_hour(raw: u8, binary: bool, is_24h: bool) -> u8:
    """The hour 0..23 from the hour register (12-hour mode: bit 7 = PM, 12 AM is midnight)."""
    if is_24h:
        return decode_field(raw, binary)
    h = decode_field(raw & ~HOUR_PM, binary)
    if h == 12:
        h = u8(0)
    if (raw & HOUR_PM) != 0:
        h += 12
    return h


def wait_update_done() -> None:
    """Wait until no update is in progress (bounded)."""
    n = 0
    while (cmos_read(REG_STATUS_A) & STATUS_A_UIP) != 0 and n < UIP_SPIN_LIMIT:
        n += 1


def rtc_read_unix() -> i64:
    """The RTC's date and time as seconds since the Unix epoch (the RTC is assumed to hold UTC)."""
    # Read everything twice until two passes agree: an update may start right after the UIP
    # check, between two register reads.
    while True:
        wait_update_done()
        s = cmos_read(REG_SECONDS)
        mi = cmos_read(REG_MINUTES)
        h = cmos_read(REG_HOURS)
        d = cmos_read(REG_DAY)
        mo = cmos_read(REG_MONTH)
        y = cmos_read(REG_YEAR)
        wait_update_done()
        if (s == cmos_read(REG_SECONDS) and mi == cmos_read(REG_MINUTES) and h == cmos_read(REG_HOURS)
                and d == cmos_read(REG_DAY) and mo == cmos_read(REG_MONTH) and y == cmos_read(REG_YEAR)):
            break
    status_b = cmos_read(REG_STATUS_B)
    binary = (status_b & STATUS_B_BINARY) != 0
    is_24h = (status_b & STATUS_B_24H) != 0
    return unix_time(CENTURY + i64(decode_field(y, binary)), i64(decode_field(mo, binary)),
                     i64(decode_field(d, binary)), i64(decode_hour(h, binary, is_24h)),
                     i64(decode_field(mi, binary)), i64(decode_field(s, binary)))
