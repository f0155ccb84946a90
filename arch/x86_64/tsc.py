"""The time-stamp counter: reading it, and its frequency calibrated against the PIT (polled)."""

from typing import Final

from asterpy.lang import u16, u64
from asterpy.lang.intrinsics import asm_u64

from arch.x86_64.pit import (
    PIT_HZ,
    pit_ch0_load_max,
    pit_ch0_read,
    pit_ch2_done,
    pit_ch2_load,
    pit_ch2_start,
    pit_ch2_stop,
)

# 10 ms of PIT ticks (1193182 Hz / 100).
CALIBRATE_TICKS: Final = u64(11932)
# The polling loops give up after this many TSC cycles (~1 s at 10 GHz): a missing or wedged
# PIT must not hang the boot.
SPIN_LIMIT: Final = u64(10000000000)

_tsc_hz: u64 = u64(0)


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


def measure_ch2(ticks: u64) -> u64:
    """TSC cycles during a channel-2 one-shot of `ticks` PIT ticks; 0 if channel 2 cannot be used."""
    if not pit_ch2_load(u16(ticks)):
        pit_ch2_stop()
        return u64(0)
    start = rdtsc()
    pit_ch2_start()
    while not pit_ch2_done():
        if rdtsc() - start > SPIN_LIMIT:
            pit_ch2_stop()
            return u64(0)
    cycles = rdtsc() - start
    pit_ch2_stop()
    return cycles


def measure_ch0(ticks: u64) -> u64:
    """TSC cycles while channel 0 counts `ticks` down (read back by latching); 0 if it does not move."""
    pit_ch0_load_max()
    first = pit_ch0_read()
    t0 = rdtsc()
    now = first
    # Start on a tick edge, so the partial first tick is not counted.
    while now == first:
        if rdtsc() - t0 > SPIN_LIMIT:
            return u64(0)
        now = pit_ch0_read()
    start = rdtsc()
    while u64(now - pit_ch0_read()) < ticks:
        if rdtsc() - start > SPIN_LIMIT:
            return u64(0)
    return rdtsc() - start


def tsc_calibrate() -> u64:
    """Measure the TSC frequency in Hz over ~10 ms of PIT (shortest of 3 runs); 0 if no PIT answered."""
    global _tsc_hz
    best = u64(0)
    for _ in range(0, 3):
        cycles = measure_ch2(CALIBRATE_TICKS)
        if cycles == 0:
            cycles = measure_ch0(CALIBRATE_TICKS)
        # The shortest run is the least disturbed one (an emulator's vCPU descheduled, an SMI).
        if cycles != 0 and (best == 0 or cycles < best):
            best = cycles
    if best == 0:
        return u64(0)
    _tsc_hz = tsc_hz_from(best, CALIBRATE_TICKS)
    return _tsc_hz


def tsc_hz() -> u64:
    """The calibrated TSC frequency (0 before tsc_calibrate)."""
    return _tsc_hz
