"""The LS7A real-time clock of QEMU's loongarch64 virt board (time of year, TOY): wall-clock seconds."""

from typing import Final

from asterpy.lang import i64, mmio_read32, mmio_write32, u32, u64
from asterpy.kernel.time import unix_time

# The FDT's rtc@100d0100 ("loongson,ls7a-rtc"), reached through the uncached window.
LS7A_RTC_PHYS: Final = u64(0x100D0100)
TOY_READ0: Final = u64(0x2C)      # month 31..26, day 25..21, hour 20..16, min 15..10, sec 9..4
TOY_READ1: Final = u64(0x30)      # years since 1900
RTC_CTRL: Final = u64(0x40)
CTRL_TOYEN: Final = u32(1 << 11)  # the time-of-year counter runs
CTRL_EO: Final = u32(1 << 8)      # the 32.768 kHz oscillator runs
EPOCH_YEAR_BASE: Final = i64(1900)


def ls7a_rtc_read_unix(regs: u64) -> i64:
    """Seconds since 1970 UTC from the LS7A RTC whose registers are at regs (the TOY is switched on first)."""
    ctrl = mmio_read32(regs + RTC_CTRL)
    if (ctrl & (CTRL_TOYEN | CTRL_EO)) != (CTRL_TOYEN | CTRL_EO):
        mmio_write32(regs + RTC_CTRL, ctrl | CTRL_TOYEN | CTRL_EO)
    # Read the date, the year, and the date again: a second boundary between them is retried.
    t0 = mmio_read32(regs + TOY_READ0)
    year = mmio_read32(regs + TOY_READ1)
    while mmio_read32(regs + TOY_READ0) != t0:
        t0 = mmio_read32(regs + TOY_READ0)
        year = mmio_read32(regs + TOY_READ1)
    mon = i64((t0 >> 26) & 0x3F)
    day = i64((t0 >> 21) & 0x1F)
    hour = i64((t0 >> 16) & 0x1F)
    minute = i64((t0 >> 10) & 0x3F)
    sec = i64((t0 >> 4) & 0x3F)
    return unix_time(EPOCH_YEAR_BASE + i64(year), mon, day, hour, minute, sec)
