"""Tests of the monotonic clock's fixed-point conversion and of the TSC calibration arithmetic."""

from typing import List

import pytest
from hypothesis import given
from hypothesis import strategies as st

import arch.x86_64.tsc as tsc
import asterpy.kernel.time as ktime
from asterpy.lang import intrinsics, u64
from asterpy.kernel.time import MULT_SHIFT, NS_PER_SEC, clock_mult, cycles_to_ns

hz_values = st.integers(1_000_000, 10_000_000_000)


@given(st.integers(0, 2**64 - 1), st.integers(0, 2**40))
def test_cycles_to_ns_is_the_exact_fixed_point_product(cycles: int, mult: int) -> None:
    """The split multiply equals (cycles * mult) >> MULT_SHIFT whenever that fits in 64 bits."""
    exact = (cycles * mult) >> int(MULT_SHIFT)
    if exact < 2**64 and (cycles >> int(MULT_SHIFT)) * mult < 2**64:
        assert cycles_to_ns(u64(cycles), u64(mult)) == exact


@given(hz_values, st.integers(0, 10**6 * 3600))
def test_conversion_error_below_one_ppm(hz: int, micros: int) -> None:
    """For 1 MHz..10 GHz counters and up to an hour, the clock is within 1 ppm + 1 ns of the truth."""
    cycles = micros * hz // 10**6
    ns = int(cycles_to_ns(u64(cycles), clock_mult(u64(hz))))
    truth = cycles * 10**9 / hz
    assert abs(ns - truth) <= truth * 1e-6 + 1


def test_mult_is_rounded() -> None:
    """clock_mult rounds to nearest: 1 GHz gives exactly 1 << MULT_SHIFT."""
    assert clock_mult(u64(1_000_000_000)) == 1 << int(MULT_SHIFT)
    assert clock_mult(u64(3_000_000_000)) == ((int(NS_PER_SEC) << 24) + 1_500_000_000) // 3_000_000_000


def test_monotonic_ns_on_a_fake_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    """monotonic_ns is 0 before clock_init, then counts from it at the counter's rate."""
    now = [u64(123_456_789)]
    monkeypatch.setattr(ktime, "read_counter", lambda: now[0])
    monkeypatch.setattr(ktime, "_mult", u64(0))
    assert ktime.monotonic_ns() == 0
    ktime.clock_init(u64(2_500_000_000))
    assert ktime.counter_hz() == 2_500_000_000
    assert ktime.monotonic_ns() == 0
    now[0] = now[0] + 2_500_000_000 * 7
    # 2.5 GHz has no exact 24-bit fixed-point multiplier: within 1 ppm.
    assert abs(int(ktime.monotonic_ns()) - 7_000_000_000) <= 7_000
    before = ktime.monotonic_ns()
    now[0] = now[0] + 25
    assert 9 <= ktime.monotonic_ns() - before <= 11


def test_tsc_hz_from_and_median() -> None:
    """10 ms of PIT ticks at 3 GHz give 3 GHz (to the PIT's rounding); median3 picks the middle."""
    cycles = 3_000_000_000 * 11932 // 1193182
    assert abs(int(tsc.tsc_hz_from(u64(cycles), u64(11932))) - 3_000_000_000) < 300
    for a, b, c in ((1, 2, 3), (3, 1, 2), (2, 3, 1), (5, 5, 1), (7, 7, 7)):
        assert tsc.median3(u64(a), u64(b), u64(c)) == sorted((a, b, c))[1]


class FakePit:
    """The PIT's command and channel ports: a mode-0 countdown that moves `step` ticks per latch."""

    def __init__(self, step: int) -> None:
        """A PIT whose counts all start at 0."""
        self.step = step
        self.count = {0: 0, 2: 0}
        self.latched: List[int] = []
        self.commands: List[int] = []

    def read(self, offset: int, width: int) -> int:
        """The next latched byte (low, then high)."""
        return self.latched.pop(0)

    def write(self, offset: int, width: int, value: int) -> None:
        """A command (latch or load) on port 0x43, or a count byte on a channel port."""
        if offset == 3:
            self.commands.append(value)
            ch = value >> 6
            if value & 0x30 == 0:  # latch
                self.count[ch] = max(0, self.count[ch] - self.step)
                self.latched += [self.count[ch] & 0xFF, self.count[ch] >> 8]
            else:
                self.loading = ch
                self.load_bytes: List[int] = []
        else:
            self.load_bytes.append(value)
            if len(self.load_bytes) == 2:
                self.count[offset] = self.load_bytes[0] | (self.load_bytes[1] << 8)


class Port61:
    """Port 0x61: remembers what was written."""

    def __init__(self) -> None:
        """Port 0x61 as firmware leaves it (OUT2 high, gate low)."""
        self.value = 0x20

    def read(self, offset: int, width: int) -> int:
        """The last value written."""
        return self.value

    def write(self, offset: int, width: int, value: int) -> None:
        """Remember value."""
        self.value = value


@pytest.mark.parametrize("with_port61", [True, False])
def test_calibration_against_a_simulated_pit(monkeypatch: pytest.MonkeyPatch, with_port61: bool) -> None:
    """With a TSC advancing 1000 cycles per read and the PIT 4 ticks per latch, the rate follows."""
    pit = FakePit(step=4)
    intrinsics.register_port(0x40, 4, pit)
    if with_port61:
        p61 = Port61()
        intrinsics.register_port(0x61, 1, p61)
    else:
        intrinsics.register_port(0x61, 1, type("Floating", (), {
            "read": lambda self, o, w: 0xFF, "write": lambda self, o, w, v: None})())
    clock = [0]

    def fake_rdtsc() -> u64:
        """A TSC that advances 1000 cycles per read."""
        clock[0] += 1000
        return u64(clock[0])

    monkeypatch.setattr(tsc, "rdtsc", fake_rdtsc)
    hz = int(tsc.tsc_calibrate())
    # Each poll is one latch (4 ticks) and one or three TSC reads: a rate in this range.
    assert 100_000_000 < hz < 1_000_000_000
    channels = {c >> 6 for c in pit.commands}
    assert channels == ({2} if with_port61 else {0})
    if with_port61:
        assert p61.value == 0x20  # restored


class DeschedulingPit(FakePit):
    """A mode-0 PIT that wraps through 0 as real ones do, and whose first countdowns each lose 50 ms
    right after they are loaded (the vCPU descheduled on a loaded host, as TCG guests are)."""

    def __init__(self, step: int, lost_runs: int) -> None:
        """Counts move `step` per latch, except a 50 ms jump at the first latch of the first lost_runs loads."""
        super().__init__(step)
        self.lost_runs = lost_runs
        self.loads = 0
        self.fresh = False

    def write(self, offset: int, width: int, value: int) -> None:
        """As FakePit, but the count wraps modulo 65536 and may jump once after a load."""
        if offset == 3 and value & 0x30 == 0:
            ch = value >> 6
            step = self.step
            if self.fresh and self.loads <= self.lost_runs:
                step = 59659  # 50 ms of PIT ticks
            self.fresh = False
            self.count[ch] = (self.count[ch] - step) % 65536
            self.commands.append(value)
            self.latched += [self.count[ch] & 0xFF, self.count[ch] >> 8]
            return
        if offset != 3 and len(getattr(self, "load_bytes", [])) == 1:
            self.loads += 1
            self.fresh = True
        super().write(offset, width, value)


def test_calibration_survives_descheduling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Countdowns mostly spent while the vCPU was away are measured again, not taken as 'no clock'."""
    pit = DeschedulingPit(step=4, lost_runs=4)
    intrinsics.register_port(0x40, 4, pit)
    intrinsics.register_port(0x61, 1, Port61())
    clock = [0]

    def fake_rdtsc() -> u64:
        """A TSC that advances 1000 cycles per read."""
        clock[0] += 1000
        return u64(clock[0])

    monkeypatch.setattr(tsc, "rdtsc", fake_rdtsc)
    hz = int(tsc.tsc_calibrate())
    assert 100_000_000 < hz < 1_000_000_000
    assert pit.loads == 4 + 3
