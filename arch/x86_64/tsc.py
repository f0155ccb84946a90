"""The time-stamp counter: reading it, and its frequency calibrated against the PIT (polled)."""

from typing import Final

from asterpy.lang import u64
from asterpy.lang.intrinsics import asm_u64

from arch.x86_64.pit import PIT_HZ, pit_ch2_usable, pit_count, pit_oneshot_start, pit_stop

# 10 ms of PIT ticks (1193182 Hz / 100).
CALIBRATE_TICKS: Final = u64(11932)
RUNS: Final = 3
# Measurements tried before giving up: one is lost each time the vCPU is descheduled for longer
# than the one-shot's 55 ms range (the count wraps), which a loaded host does to a TCG guest.
MAX_TRIES: Final = 12
# measure()'s answer when the count ran past 0 before the end point was read: measure again.
OVERRUN: Final = u64(0xFFFFFFFFFFFFFFFF)
# Reads of the PIT per end point: the one bracketed most tightly by its two TSC reads wins.
SAMPLE_TRIES: Final = 5
# The polling loop gives up after this many TSC cycles (~1 s at 10 GHz): a missing or wedged
# PIT must not hang the boot.
SPIN_LIMIT: Final = u64(10000000000)

_tsc_hz: u64 = u64(0)
# The last sample_pit() result: the PIT count and the TSC at the moment it was read.
_sample_count: u64 = u64(0)
_sample_tsc: u64 = u64(0)


def rdtsc() -> u64:
    """The TSC (not serialising: fine for intervals of microseconds and more)."""
    # The memory clobber keeps the read from moving across loads and stores around it.
    return asm_u64("rdtsc; shlq $$32, %rdx; orq %rdx, %rax", "={rax},~{rdx},~{memory}")


def read_counter() -> u64:
    """The clock source of kernel.time: the TSC."""
    return rdtsc()


def tsc_hz_from(cycles: u64, pit_ticks: u64) -> u64:
    """TSC frequency given the cycles counted during pit_ticks of the 1.193182 MHz PIT."""
    return cycles * u64(PIT_HZ) // pit_ticks


def sample_pit() -> None:
    """Read the PIT count paired with the TSC at that moment (into _sample_count/_sample_tsc)."""
    # A vCPU descheduled (or an SMI) between the PIT read and the TSC read would skew the
    # pair: bracket the read with two TSC reads and keep the tightest of a few tries.
    global _sample_count, _sample_tsc
    best = u64(0xFFFFFFFFFFFFFFFF)
    for _ in range(0, SAMPLE_TRIES):
        t0 = rdtsc()
        c = u64(pit_count())
        t1 = rdtsc()
        if t1 - t0 < best:
            best = t1 - t0
            _sample_count = c
            _sample_tsc = t0 + ((t1 - t0) >> 1)


def measure(channel2: bool, ticks: u64) -> u64:
    """TSC frequency over `ticks` PIT ticks of a one-shot on channel 2 (or 0); 0 if the PIT does not
    count, OVERRUN if the countdown wrapped before its end was read."""
    pit_oneshot_start(channel2)
    sample_pit()
    c0 = _sample_count
    t0 = _sample_tsc
    if c0 < ticks + (ticks >> 2):
        # Most of the 55 ms countdown went by before its first read (the vCPU was away): it
        # would run through 0 before `ticks` more could be counted.
        pit_stop()
        return OVERRUN
    # Poll until the count has gone down by `ticks`: how late this notices does not matter,
    # the end point is a fresh paired sample.
    while c0 - u64(pit_count()) < ticks:
        if rdtsc() - t0 > SPIN_LIMIT:
            pit_stop()
            return u64(0)
    sample_pit()
    pit_stop()
    # Counting down from c0, the count can only be above c0 once it has run through 0.
    if _sample_count > c0:
        return OVERRUN
    elapsed = c0 - _sample_count
    if elapsed == 0:
        return u64(0)
    return tsc_hz_from(_sample_tsc - t0, elapsed)


def median3(a: u64, b: u64, c: u64) -> u64:
    """The middle one of three values."""
    lo = min(a, b)
    hi = max(a, b)
    if c < lo:
        return lo
    if c > hi:
        return hi
    return c


def tsc_calibrate() -> u64:
    """Measure the TSC frequency in Hz against ~10 ms of PIT one-shot, median of 3; 0 if no PIT counts."""
    global _tsc_hz
    channel2 = pit_ch2_usable()
    r0 = u64(0)
    r1 = u64(0)
    got = 0
    for _ in range(0, MAX_TRIES):
        r = measure(channel2, CALIBRATE_TICKS)
        if r == 0 and channel2 and got == 0:
            # Channel 2 does not count here (no port 0x61 gate): channel 0 does.
            channel2 = False
            r = measure(channel2, CALIBRATE_TICKS)
        if r == 0:
            return u64(0)
        if r == OVERRUN:
            continue
        if got == 0:
            r0 = r
        elif got == 1:
            r1 = r
        else:
            _tsc_hz = median3(r0, r1, r)
            return _tsc_hz
        got += 1
    # Too many runs lost to descheduling: take what was measured rather than no clock at all.
    if got > 0:
        _tsc_hz = r0
    return _tsc_hz


def tsc_hz() -> u64:
    """The calibrated TSC frequency (0 before tsc_calibrate)."""
    return _tsc_hz
