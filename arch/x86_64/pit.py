"""The 8254 PIT as a reference clock: one-shot countdowns on channel 2 (or 0), polled, no interrupts."""

from typing import Final

from asterpy.lang import u8, u16
from asterpy.lang.intrinsics import inb, outb

PIT_HZ: Final = 1193182
PORT_CH0: Final = u16(0x40)
PORT_CH2: Final = u16(0x42)
PORT_CMD: Final = u16(0x43)
# Port 0x61 ("NMI status and control"): bit 0 gates channel 2, bit 1 drives the speaker from
# it, bit 5 reads channel 2's output.
PORT_CTRL: Final = u16(0x61)
CTRL_GATE2: Final = u8(0x01)
CTRL_SPEAKER: Final = u8(0x02)
CTRL_OUT2: Final = u8(0x20)
# Command bytes: channel (bits 7-6), lobyte/hibyte access (3 << 4), mode 0 (interrupt on
# terminal count: OUT drops when the command is written and rises when the count reaches 0),
# binary counting. Latch (access 0) freezes a channel's count for reading.
CMD_CH2_ONESHOT: Final = u8(0xB0)
CMD_CH0_ONESHOT: Final = u8(0x30)
CMD_CH0_LATCH: Final = u8(0x00)

# Port 0x61 as it was before pit_ch2_load, restored by pit_ch2_stop.
_saved_ctrl: u8 = u8(0)


def pit_ch2_load(count: u16) -> bool:
    """Load channel 2 for a one-shot of `count` ticks, gate low; False if port 0x61 is missing."""
    global _saved_ctrl
    ctrl = inb(PORT_CTRL)
    if ctrl == 0xFF:
        return False  # a floating bus reads all ones: no port 0x61 on this board
    _saved_ctrl = ctrl
    outb(PORT_CTRL, ctrl & ~(CTRL_GATE2 | CTRL_SPEAKER))
    outb(PORT_CMD, CMD_CH2_ONESHOT)
    outb(PORT_CH2, u8(count & 0xFF))
    outb(PORT_CH2, u8(count >> 8))
    # Writing the mode-0 command drops OUT; if it still reads high, the bit is not wired.
    return (inb(PORT_CTRL) & CTRL_OUT2) == 0


def pit_ch2_start() -> None:
    """Raise channel 2's gate: the count starts (speaker still off)."""
    outb(PORT_CTRL, (_saved_ctrl & ~CTRL_SPEAKER) | CTRL_GATE2)


def pit_ch2_done() -> bool:
    """Whether channel 2's count has reached 0 (its OUT is high)."""
    return (inb(PORT_CTRL) & CTRL_OUT2) != 0


def pit_ch2_stop() -> None:
    """Give port 0x61 back its previous value (gate and speaker)."""
    outb(PORT_CTRL, _saved_ctrl)


def pit_ch0_load_max() -> None:
    """Start channel 0 counting down from 65535 in mode 0 (its gate is always high)."""
    outb(PORT_CMD, CMD_CH0_ONESHOT)
    outb(PORT_CH0, u8(0xFF))
    outb(PORT_CH0, u8(0xFF))


def pit_ch0_read() -> u16:
    """Channel 0's current count, latched so that both bytes belong to one value."""
    outb(PORT_CMD, CMD_CH0_LATCH)
    lo = u16(inb(PORT_CH0))
    hi = u16(inb(PORT_CH0))
    return (hi << 8) | lo
