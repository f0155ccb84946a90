"""Tests of the civil-date arithmetic (against calendar/datetime) and of the CMOS RTC decoding."""

import calendar
import datetime
from typing import Dict, List

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arch.x86_64.rtc import bcd_to_bin, decode_field, decode_hour, rtc_read_unix
from asterpy.kernel.time import civil_day, civil_month, civil_year, days_from_civil, unix_time
from asterpy.lang import i64, intrinsics, u8

datetimes = st.datetimes(min_value=datetime.datetime(1, 1, 1), max_value=datetime.datetime(9999, 12, 31, 23, 59, 59))
rtc_datetimes = st.datetimes(min_value=datetime.datetime(2000, 1, 1),
                             max_value=datetime.datetime(2099, 12, 31, 23, 59, 59))


@given(datetimes)
def test_unix_time_matches_timegm(dt: datetime.datetime) -> None:
    """unix_time agrees with calendar.timegm over years 1..9999 (negative times included)."""
    expect = calendar.timegm(dt.timetuple())
    got = unix_time(i64(dt.year), i64(dt.month), i64(dt.day), i64(dt.hour), i64(dt.minute), i64(dt.second))
    assert got == expect


@given(st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)))
def test_civil_round_trip(d: datetime.date) -> None:
    """days_from_civil and civil_year/month/day are inverse, and match date ordinals."""
    days = days_from_civil(i64(d.year), i64(d.month), i64(d.day))
    assert days == d.toordinal() - datetime.date(1970, 1, 1).toordinal()
    assert (civil_year(days), civil_month(days), civil_day(days)) == (d.year, d.month, d.day)


def test_known_dates() -> None:
    """The epoch, a leap day and the 2000 / 2100 century rules."""
    assert days_from_civil(i64(1970), i64(1), i64(1)) == 0
    assert unix_time(i64(2000), i64(2), i64(29), i64(0), i64(0), i64(0)) == 951782400
    assert days_from_civil(i64(2100), i64(3), i64(1)) - days_from_civil(i64(2100), i64(2), i64(28)) == 1
    assert unix_time(i64(2026), i64(11), i64(28), i64(20), i64(49), i64(7)) == 1795898947


def test_bcd_decoding() -> None:
    """Every two-digit BCD byte decodes to its decimal value; binary mode passes values through."""
    for n in range(100):
        raw = u8(((n // 10) << 4) | (n % 10))
        assert bcd_to_bin(raw) == n
        assert decode_field(raw, False) == n
        assert decode_field(u8(n), True) == n


@pytest.mark.parametrize("binary", [False, True])
def test_hours_in_12_and_24_hour_modes(binary: bool) -> None:
    """12-hour mode: 12 AM is 0, 12 PM is 12, PM adds 12; 24-hour mode is the plain value."""
    def enc(n: int) -> int:
        """n as the RTC stores it in this mode."""
        return n if binary else ((n // 10) << 4) | (n % 10)

    for h in range(24):
        assert decode_hour(u8(enc(h)), binary, True) == h
        h12 = 12 if h % 12 == 0 else h % 12
        raw = enc(h12) | (0x80 if h >= 12 else 0)
        assert decode_hour(u8(raw), binary, False) == h


class FakeCmos:
    """Ports 0x70/0x71: an index register and the RTC's registers, busy (UIP) for a few reads."""

    def __init__(self, regs: Dict[int, int], busy_reads: int) -> None:
        """Registers regs; status A reports an update in progress for the first busy_reads reads."""
        self.regs = regs
        self.index = 0
        self.busy_reads = busy_reads
        self.indices: List[int] = []

    def read(self, offset: int, width: int) -> int:
        """The selected register (port 0x71)."""
        if offset != 1:
            return 0xFF
        reg = self.index & 0x7F
        if reg == 0x0A:
            busy = self.busy_reads > 0
            self.busy_reads -= 1
            return 0x26 | (0x80 if busy else 0)
        return self.regs.get(reg, 0)

    def write(self, offset: int, width: int, value: int) -> None:
        """Select a register (port 0x70)."""
        if offset == 0:
            self.index = value
            self.indices.append(value)


def cmos_regs(dt: datetime.datetime, binary: bool, h24: bool) -> Dict[int, int]:
    """The RTC registers holding dt in the given modes."""
    def enc(n: int) -> int:
        """n as the RTC stores it in this mode."""
        return n if binary else ((n // 10) << 4) | (n % 10)

    if h24:
        hour = enc(dt.hour)
    else:
        h12 = 12 if dt.hour % 12 == 0 else dt.hour % 12
        hour = enc(h12) | (0x80 if dt.hour >= 12 else 0)
    return {0x00: enc(dt.second), 0x02: enc(dt.minute), 0x04: hour, 0x07: enc(dt.day),
            0x08: enc(dt.month), 0x09: enc(dt.year % 100), 0x0B: (0x04 if binary else 0) | (0x02 if h24 else 0)}


@given(rtc_datetimes, st.booleans(), st.booleans(), st.integers(0, 5))
def test_rtc_read_through_simulated_ports(dt: datetime.datetime, binary: bool, h24: bool, busy: int) -> None:
    """rtc_read_unix waits out the update flag and decodes every mode to the right Unix time."""
    from asterpy.lang import memory
    memory.reset_sim()
    cmos = FakeCmos(cmos_regs(dt, binary, h24), busy)
    intrinsics.register_port(0x70, 2, cmos)
    assert rtc_read_unix() == calendar.timegm(dt.timetuple())
    # NMIs stay masked (bit 7) on every register selection.
    assert all(i & 0x80 for i in cmos.indices)


def test_rtc_read_retries_when_an_update_lands_between_reads() -> None:
    """If the clock ticks between the two passes, the reader goes round again and gets the new time."""
    before = datetime.datetime(2026, 12, 31, 23, 59, 59)
    after = datetime.datetime(2027, 1, 1, 0, 0, 0)
    cmos = FakeCmos(cmos_regs(before, False, True), 0)
    reads = {"n": 0}
    base_read = cmos.read

    def read(offset: int, width: int) -> int:
        """The fake's read, switching to the new time partway through the first pass."""
        # After the first pass's six time registers (and its status-A polls), flip to the new time.
        if offset == 1 and (cmos.index & 0x7F) in (0, 2, 4, 7, 8, 9):
            reads["n"] += 1
            if reads["n"] == 7:
                cmos.regs = cmos_regs(after, False, True)
        return base_read(offset, width)

    cmos.read = read  # type: ignore[method-assign]
    intrinsics.register_port(0x70, 2, cmos)
    assert rtc_read_unix() == calendar.timegm(after.timetuple())
    assert reads["n"] > 12
