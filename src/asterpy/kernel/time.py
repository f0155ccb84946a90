"""Kernel time: a monotonic nanosecond clock from a cycle counter (fixed point), and civil dates."""

from typing import Final

from asterpy.lang import Ptr, i64, u64
from asterpy.vdso.layout import (VVAR_BASE_CYCLES, VVAR_COARSE_NS, VVAR_ENABLED, VVAR_MULT,
                                 VVAR_REALTIME_BASE, VVAR_SEQ)

# The counter the clock runs on, from the arch being built (arch/<arch>/kernel_counter.py, resolved
# like kernel_arch): the TSC, the time CSR, the stable counter. Under CPython, x86_64's.
from kernel_counter import read_counter

NS_PER_SEC: Final = u64(1000000000)
# ns = cycles * mult >> MULT_SHIFT. 24 bits keep a 1 GHz+ counter's error below 1 ppm and let
# a counter as slow as 1 MHz still fit mult (1000 << 24 < 2**64).
MULT_SHIFT: Final = u64(24)
LOW_MASK: Final = (u64(1) << MULT_SHIFT) - 1

SECS_PER_DAY: Final = i64(86400)

# Unix time in ns at monotonic 0 (set at boot from the RTC): CLOCK_REALTIME = this + monotonic.
realtime_base_ns: u64 = 0
_mult: u64 = u64(0)
_base_cycles: u64 = u64(0)
_counter_hz: u64 = u64(0)
# The vvar page's kernel address (0 until vvar_attach): the clock published for the vDSO.
_vvar: u64 = u64(0)


def clock_mult(hz: u64) -> u64:
    """The fixed-point multiplier (ns per cycle << MULT_SHIFT, rounded) for a counter at hz."""
    return ((NS_PER_SEC << MULT_SHIFT) + (hz >> 1)) // hz


def cycles_to_ns(cycles: u64, mult: u64) -> u64:
    """cycles * mult >> MULT_SHIFT without a 128-bit product (exact while the result fits)."""
    # cycles = hi * 2**S + lo, so cycles * mult >> S = hi * mult + (lo * mult >> S) exactly.
    hi = cycles >> MULT_SHIFT
    lo = cycles & LOW_MASK
    return hi * mult + ((lo * mult) >> MULT_SHIFT)


def clock_init(counter_hz: u64) -> None:
    """Start the monotonic clock at 0 now, on a counter running at counter_hz."""
    global _mult, _base_cycles, _counter_hz
    _counter_hz = counter_hz
    _mult = clock_mult(counter_hz)
    _base_cycles = read_counter()
    vvar_publish()


def counter_hz() -> u64:
    """Frequency of the clock's counter (0 before clock_init)."""
    return _counter_hz


def monotonic_ns() -> u64:
    """Nanoseconds since clock_init (0 before it)."""
    if _mult == 0:
        return u64(0)
    return cycles_to_ns(read_counter() - _base_cycles, _mult)


def days_from_civil(year: i64, month: i64, day: i64) -> i64:
    """Days from 1970-01-01 to the proleptic Gregorian date (month 1..12, day 1..31)."""
    # Count from 0000-03-01 so the leap day ends the year: a year of this shifted calendar is
    # March..February, 400-year eras repeat exactly (146097 days).
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400                                  # 0..399
    mp = month - 3 if month > 2 else month + 9           # March = 0 .. February = 11
    doy = (153 * mp + 2) // 5 + day - 1                  # 0..365
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy        # 0..146096
    # 719468 days from 0000-03-01 to 1970-01-01.
    return era * 146097 + doe - 719468


def unix_time(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> i64:
    """Seconds since the Unix epoch of a UTC date and time."""
    return days_from_civil(year, month, day) * SECS_PER_DAY + hour * 3600 + minute * 60 + second


def civil_year(days: i64) -> i64:
    """Year of the date `days` after 1970-01-01."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    y = yoe + era * 400
    return y + 1 if mp >= 10 else y


def civil_month(days: i64) -> i64:
    """Month (1..12) of the date `days` after 1970-01-01."""
    z = days + 719468
    doe = z - (z // 146097) * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    return mp + 3 if mp < 10 else mp - 9


def civil_day(days: i64) -> i64:
    """Day of the month (1..31) of the date `days` after 1970-01-01."""
    z = days + 719468
    doe = z - (z // 146097) * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    return doy - (153 * mp + 2) // 5 + 1


def set_realtime_base(unix_seconds: u64) -> None:
    """Anchor CLOCK_REALTIME: unix_seconds is the wall-clock time now."""
    global realtime_base_ns
    realtime_base_ns = unix_seconds * NS_PER_SEC - monotonic_ns()
    vvar_publish()


def set_realtime_ns(ns: u64) -> None:
    """settimeofday / clock_settime(CLOCK_REALTIME): the wall-clock time now is ns since the epoch."""
    global realtime_base_ns
    realtime_base_ns = ns - monotonic_ns()
    vvar_publish()


def vvar_attach(page: u64) -> None:
    """Publish the clock in the (zeroed) vvar page at kernel address page from now on."""
    global _vvar
    _vvar = page
    vvar_publish()


def _vvar_write(off: u64, v: u64) -> None:
    """One field of the vvar page."""
    Ptr[u64](_vvar + off).store(v)


def vvar_publish() -> None:
    """Write the clock's parameters to the vvar page under its sequence counter (odd while
    writing: a vDSO reader that sees it change or odd reads again)."""
    if _vvar == 0:
        return
    # One CPU and no preemption inside the kernel: the writes land in program order for the
    # reader, which runs only once the kernel returns to user space (or is interrupted by the tick).
    seq = Ptr[u64](_vvar + VVAR_SEQ).load() | 1
    _vvar_write(VVAR_SEQ, seq)
    _vvar_write(VVAR_BASE_CYCLES, _base_cycles)
    _vvar_write(VVAR_MULT, _mult)
    _vvar_write(VVAR_REALTIME_BASE, realtime_base_ns)
    _vvar_write(VVAR_COARSE_NS, monotonic_ns())
    _vvar_write(VVAR_ENABLED, u64(1) if _mult != 0 else u64(0))
    _vvar_write(VVAR_SEQ, seq + 1)


def vvar_tick() -> None:
    """The timer tick's update of the coarse clocks in the vvar page."""
    if _vvar == 0:
        return
    seq = Ptr[u64](_vvar + VVAR_SEQ).load() | 1
    _vvar_write(VVAR_SEQ, seq)
    _vvar_write(VVAR_COARSE_NS, monotonic_ns())
    _vvar_write(VVAR_SEQ, seq + 1)
