"""The 8254 PIT as a reference clock: a one-shot countdown on channel 2 (or 0), polled, no interrupts."""

from typing import Final

from asterpy.lang import u8, u16
from asterpy.lang.intrinsics import inb, outb

PIT_HZ: Final = 1193182
PORT_CH0: Final = u16(0x40)
PORT_CH2: Final = u16(0x42)
PORT_CMD: Final = u16(0x43)
# Port 0x61 ("NMI status and control"): bit 0 gates channel 2, bit 1 drives the speaker from it.
PORT_CTRL: Final = u16(0x61)
CTRL_GATE2: Final = u8(0x01)
CTRL_SPEAKER: Final = u8(0x02)
# Command bytes: channel (bits 7-6), lobyte/hibyte access (3 << 4), mode 0 (one-shot,
# "interrupt on terminal count"), binary counting. A latch command (access 0) freezes a
# channel's count until both of its bytes are read, so they belong to one value.
CMD_CH0_ONESHOT: Final = u8(0x30)
CMD_CH2_ONESHOT: Final = u8(0xB0)
CMD_CH0_LATCH: Final = u8(0x00)
CMD_CH2_LATCH: Final = u8(0x80)

# Port 0x61 as it was before pit_oneshot_start, restored by pit_stop.
_saved_ctrl: u8 = u8(0)
_ch2: bool = False


def pit_ch2_usable() -> bool:
    """Whether channel 2's gate port exists (a floating bus reads all ones)."""
    return inb(PORT_CTRL) != 0xFF


def pit_oneshot_start(channel2: bool) -> None:
    """Start a one-shot countdown from 65535 on channel 2 (gate raised, speaker off) or channel 0."""
    global _saved_ctrl, _ch2
    _ch2 = channel2
    if channel2:
        ctrl = inb(PORT_CTRL)
        _saved_ctrl = ctrl
        outb(PORT_CTRL, ctrl & ~(CTRL_GATE2 | CTRL_SPEAKER))
        outb(PORT_CMD, CMD_CH2_ONESHOT)
        outb(PORT_CH2, u8(0xFF))
        outb(PORT_CH2, u8(0xFF))
        outb(PORT_CTRL, (ctrl & ~CTRL_SPEAKER) | CTRL_GATE2)
    else:
        # Channel 0's gate is always high; its IRQ 0 is masked (or the PIC absent), and
        # interrupts are off anyway.
        outb(PORT_CMD, CMD_CH0_ONESHOT)
        outb(PORT_CH0, u8(0xFF))
        outb(PORT_CH0, u8(0xFF))


def pit_count() -> u16:
    """The running one-shot's current count (it counts down at PIT_HZ)."""
    if _ch2:
        outb(PORT_CMD, CMD_CH2_LATCH)
        lo = u16(inb(PORT_CH2))
        hi = u16(inb(PORT_CH2))
        return (hi << 8) | lo
    outb(PORT_CMD, CMD_CH0_LATCH)
    lo = u16(inb(PORT_CH0))
    hi = u16(inb(PORT_CH0))
    return (hi << 8) | lo


def pit_stop() -> None:
    """Give port 0x61 back its previous value after a channel-2 countdown."""
    if _ch2:
        outb(PORT_CTRL, _saved_ctrl)
