"""virtio-blk and the split virtqueue under CPython, against a simulated virtio 1.x block device.

The device (`SimBlockDevice`) implements the transport interface the driver uses and, on each
notify, walks the available ring, the descriptor chains and the request headers in simulated
memory exactly as the spec lays them out (virtio 1.2, 2.7 and 5.2), serving a bytearray disk. DMA
addresses are the simulated addresses (no kernel tables: asterpy.mm.ioremap's linear fallback).
Then /dev/vda's file (fs/blockdev.py) is driven at unaligned offsets through a simulated process.
"""
from __future__ import annotations

import struct
from typing import List, Optional

import pytest

import kernel_arch  # noqa: F401 - loads the kernel modules in their import order
from asterpy.lang import SysError, memory, u8, u16, u32, u64
from asterpy.lang.errno import EIO, ENODEV, ENOSPC, EROFS
from asterpy.mm import heap, ioremap
from asterpy.kernel import wait
from asterpy.drivers import block, virtio_blk
from asterpy.drivers.virtio import (
    F_VERSION_1, STATUS_DRIVER_OK, STATUS_FAILED, STATUS_FEATURES_OK, VirtioTransport, Virtqueue,
)
from asterpy.drivers.virtio_blk import F_FLUSH, F_RO, VirtioBlk

HEAP = 0x1000_0000
HEAP_SIZE = 4 << 20


@pytest.fixture(autouse=True)
def kernel_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel heap in simulated memory; no kernel tables (DMA address = kernel address)."""
    memory.sim.map(HEAP, HEAP_SIZE)
    heap.heap_init(u64(HEAP), u64(HEAP_SIZE))
    monkeypatch.setattr(ioremap, "_io_space", None)
    monkeypatch.setattr(ioremap, "_io_direct_map", u64(0))
    monkeypatch.setattr(block, "block_devices", None)


def rd(addr: int, n: int) -> bytes:
    return memory.sim.read(addr, n)


class SimBlockDevice(VirtioTransport):
    """A virtio block device behind the transport interface, serving `disk`."""

    def __init__(self, sectors: int, features: int = F_VERSION_1 | F_FLUSH, queue_max: int = 256,
                 complete_late: bool = False) -> None:
        self.disk = bytearray((i * 7 + (i >> 9)) & 0xFF for i in range(sectors * 512))
        self.offered = features
        self.status = 0
        self.accepted = 0
        self.qmax = queue_max
        self.q: Optional[tuple] = None
        self.last_avail = 0
        self.used_idx = 0
        self.flushes = 0
        self.fail_sector: Optional[int] = None
        self.requests: List[tuple] = []
        self.max_chain = 0
        self.refuse_features_ok = False
        # Completions held back in `pending` (the test releases them), to test several in flight.
        self.complete_late = complete_late
        self.pending: List[tuple] = []
        self.msi: Optional[tuple] = None

    # -- transport interface
    def get_status(self) -> u8:
        return u8(self.status)

    def set_status(self, s: u8) -> None:
        s = int(s)
        if s == 0:
            self.q = None
            self.last_avail = self.used_idx = 0
        if s & STATUS_FEATURES_OK and self.refuse_features_ok:
            s &= ~int(STATUS_FEATURES_OK)
        self.status = s

    def device_features(self) -> u64:
        return u64(self.offered)

    def set_driver_features(self, f: u64) -> None:
        assert int(f) & ~self.offered == 0, "driver accepted a feature not offered"
        self.accepted = int(f)

    def queue_max(self, q: u16) -> u16:
        return u16(self.qmax if int(q) == 0 else 0)

    def queue_setup(self, q: u16, size: u16, desc: u64, driver: u64, device: u64) -> None:
        assert int(desc) % 16 == 0 and int(driver) % 2 == 0 and int(device) % 4 == 0
        self.q = (int(size), int(desc), int(driver), int(device))

    def setup_interrupt(self, address: u64, data: u32) -> None:
        self.msi = (int(address), int(data))

    def interrupts_on(self) -> bool:
        return self.msi is not None

    def config_read8(self, off: u64) -> u8:
        return u8(0)

    def config_read32(self, off: u64) -> u32:
        return u32(struct.unpack_from("<I", self.config(), int(off))[0])

    def config_read64(self, off: u64) -> u64:
        return u64(struct.unpack_from("<Q", self.config(), int(off))[0])

    def config(self) -> bytes:
        return struct.pack("<QII", len(self.disk) // 512, 0, 126) + bytes(16)

    def notify(self, q: u16) -> None:
        assert self.status & int(STATUS_DRIVER_OK)
        size, desc, avail, used = self.q
        idx = struct.unpack("<H", rd(avail + 2, 2))[0]
        while self.last_avail != idx:
            head = struct.unpack("<H", rd(avail + 4 + 2 * (self.last_avail % size), 2))[0]
            self.last_avail = (self.last_avail + 1) & 0xFFFF
            written = self.serve(desc, head)
            if self.complete_late:
                self.pending.append((used, size, head, written))
            else:
                self.complete(used, size, head, written)

    def complete(self, used: int, size: int, head: int, written: int) -> None:
        memory.sim.write(used + 4 + 8 * (self.used_idx % size), struct.pack("<II", head, written))
        self.used_idx = (self.used_idx + 1) & 0xFFFF
        memory.sim.write(used + 2, struct.pack("<H", self.used_idx))

    def serve(self, desc: int, head: int) -> int:
        chain = []
        d = head
        while True:
            addr, ln, fl, nxt = struct.unpack("<QIHH", rd(desc + 16 * d, 16))
            chain.append((addr, ln, fl))
            if not fl & 1:
                break
            d = nxt
        self.max_chain = max(self.max_chain, len(chain))
        hdr, status = chain[0], chain[-1]
        assert hdr[1] == 16 and not hdr[2] & 2 and status[1] == 1 and status[2] & 2
        kind, _, sector = struct.unpack("<IIQ", rd(hdr[0], 16))
        data = chain[1:-1]
        self.requests.append((kind, sector, sum(ln for _, ln, _ in data)))
        st, pos, written = 0, sector * 512, 1
        if self.fail_sector is not None and kind in (0, 1) and \
                sector <= self.fail_sector < sector + sum(ln for _, ln, _ in data) // 512:
            st = 1
        elif kind == 0:
            for addr, ln, fl in data:
                assert fl & 2, "read data must be device-writable"
                if pos + ln > len(self.disk):
                    st = 1
                    break
                memory.sim.write(addr, bytes(self.disk[pos:pos + ln]))
                pos += ln
                written += ln
        elif kind == 1:
            for addr, ln, fl in data:
                assert not fl & 2, "write data must be device-readable"
                if pos + ln > len(self.disk):
                    st = 1
                    break
                self.disk[pos:pos + ln] = rd(addr, ln)
                pos += ln
        elif kind == 4:
            self.flushes += 1
        else:
            st = 2
        memory.sim.write(status[0], bytes([st]))
        return written


def make(dev: SimBlockDevice) -> VirtioBlk:
    return VirtioBlk(b"vda", u64(0), dev)


def kbuf(n: int) -> int:
    a = int(heap.kmalloc(u64(n)))
    assert a
    return a


def test_bring_up_negotiates_version_1_and_reads_capacity() -> None:
    dev = SimBlockDevice(64)
    blk = make(dev)
    assert dev.accepted & F_VERSION_1 and dev.accepted & F_FLUSH
    assert dev.status & int(STATUS_DRIVER_OK) and dev.status & int(STATUS_FEATURES_OK)
    assert int(blk.sector_count()) == 64
    assert not blk.read_only()
    assert int(dev.config_read32(u64(12))) == 126      # seg_max, through the interface
    assert int(dev.config_read8(u64(0))) == 0


def test_a_device_without_version_1_is_refused_and_failed() -> None:
    dev = SimBlockDevice(8, features=int(F_FLUSH))
    with pytest.raises(SysError) as e:
        make(dev)
    assert e.value.errno == EIO
    assert dev.status == int(STATUS_FAILED)


def test_features_ok_refused_is_eio() -> None:
    dev = SimBlockDevice(8)
    dev.refuse_features_ok = True
    with pytest.raises(SysError) as e:
        make(dev)
    assert e.value.errno == EIO
    assert dev.status == int(STATUS_FAILED)


def test_no_queue_is_enodev() -> None:
    dev = SimBlockDevice(8, queue_max=0)
    with pytest.raises(SysError) as e:
        make(dev)
    assert e.value.errno == ENODEV


def test_read_and_write_sectors_round_trip() -> None:
    dev = SimBlockDevice(256)
    blk = make(dev)
    buf = kbuf(3 * 512)
    blk.read_sectors(u64(5), u64(3), u64(buf))
    assert rd(buf, 1536) == bytes(dev.disk[5 * 512:8 * 512])
    memory.sim.write(buf, bytes(range(256)) * 6)
    blk.write_sectors(u64(100), u64(3), u64(buf))
    assert bytes(dev.disk[100 * 512:103 * 512]) == bytes(range(256)) * 6
    blk.flush()
    assert dev.flushes == 1


def test_a_long_transfer_is_split_into_requests_in_flight() -> None:
    dev = SimBlockDevice(2048)
    blk = make(dev)
    n = 600                                   # 128 * 4 + 88 sectors: two batches
    buf = kbuf(n * 512)
    # The device holds completions back until four requests are outstanding (or the driver
    # has queued everything): a driver that waited after each request would time out.
    dev.complete_late = True
    seen = []
    orig = dev.notify

    def notify(q: u16) -> None:
        orig(q)
        seen.append(len(dev.pending))
        if len(dev.pending) == 4 or len(dev.requests) == 5:
            for p in dev.pending:
                dev.complete(*p)
            dev.pending = []
    dev.notify = notify  # type: ignore[method-assign]
    blk.read_sectors(u64(7), u64(n), u64(buf))
    assert rd(buf, n * 512) == bytes(dev.disk[7 * 512:(7 + n) * 512])
    assert [r[2] for r in dev.requests] == [65536] * 4 + [88 * 512]
    assert max(seen) == 4


def test_a_device_error_is_eio_and_the_queue_recovers() -> None:
    dev = SimBlockDevice(512)
    blk = make(dev)
    buf = kbuf(256 * 512)
    dev.fail_sector = 200
    with pytest.raises(SysError) as e:
        blk.read_sectors(u64(0), u64(256), u64(buf))
    assert e.value.errno == EIO
    dev.fail_sector = None
    # Every descriptor went back to the free list: many more requests still fit.
    for i in range(40):
        blk.read_sectors(u64(i), u64(64), u64(buf))
    assert rd(buf, 512) == bytes(dev.disk[39 * 512:40 * 512])
    assert int(blk.queue.free_count) == int(blk.queue.size)


def test_past_the_end_is_eio_without_reaching_the_device() -> None:
    dev = SimBlockDevice(16)
    blk = make(dev)
    buf = kbuf(1024)
    for sector, count in ((15, 2), (16, 1), (2**64 - 1, 2)):
        with pytest.raises(SysError) as e:
            blk.read_sectors(u64(sector), u64(count), u64(buf))
        assert e.value.errno == EIO
    assert dev.requests == []
    blk.read_sectors(u64(15), u64(1), u64(buf))    # the last sector is fine


def test_read_only_device_refuses_writes() -> None:
    dev = SimBlockDevice(16, features=int(F_VERSION_1 | F_RO))
    blk = make(dev)
    assert blk.read_only() and not blk.can_flush
    buf = kbuf(512)
    with pytest.raises(SysError) as e:
        blk.write_sectors(u64(0), u64(1), u64(buf))
    assert e.value.errno == EROFS
    blk.flush()                                   # no write cache: nothing to do
    assert dev.requests == []


def test_a_dead_device_times_out_to_eio(monkeypatch: pytest.MonkeyPatch) -> None:
    dev = SimBlockDevice(16)
    blk = make(dev)
    monkeypatch.setattr(dev, "notify", lambda q: None)       # never answers
    clock = iter(range(0, 10**12, 10**9))
    monkeypatch.setattr(virtio_blk, "monotonic_ns", lambda: u64(next(clock)))
    buf = kbuf(512)
    with pytest.raises(SysError) as e:
        blk.read_sectors(u64(0), u64(1), u64(buf))
    assert e.value.errno == EIO
    assert dev.status == int(STATUS_FAILED)
    with pytest.raises(SysError):
        blk.read_sectors(u64(0), u64(1), u64(buf))           # stays failed


def test_virtqueue_free_list_and_chains() -> None:
    dev = SimBlockDevice(16, queue_max=8)
    dev.status = int(STATUS_DRIVER_OK)
    vq = Virtqueue(dev, u16(0))
    assert int(vq.size) == 8 and int(vq.free_count) == 8
    with pytest.raises(SysError) as e:
        vq.add([u64(0)] * 9, [u32(1)] * 9, [False] * 9)
    assert e.value.errno == ENOSPC
    h = vq.add([u64(0x1000), u64(0x2000), u64(0x3000)], [u32(16), u32(512), u32(1)], [False, True, True])
    assert int(vq.free_count) == 5
    assert not vq.has_used()
    dev.complete(dev.q[3], 8, int(h), 0)
    assert vq.has_used()
    assert int(vq.take_used()) == int(h)
    assert int(vq.free_count) == 8


def test_registered_disk_is_found_by_name_and_number() -> None:
    dev = SimBlockDevice(16)
    blk = make(dev)
    block.register_block_device(blk)
    rd_ = block.RamDisk(b"ram0", u64(0), u64(4))
    block.register_block_device(rd_)
    assert block.find_block_device(b"vda") is blk
    assert block.find_block_device(b"ram0") is rd_
    assert block.find_block_device(b"vdb") is None
    assert block.find_block_device_by_number(u64(254), u64(0)) is blk
    assert block.find_block_device_by_number(u64(254), u64(16)) is None
    assert [d.name for d in block.all_block_devices()] == [b"vda", b"ram0"]


class Sleeper:
    """The task layer as the driver sees it while a task waits: sleep_until runs `on_sleep`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, dev: SimBlockDevice, answer: int) -> None:
        self.dev = dev
        self.answer = answer
        self.sleeps = 0
        self.clock = 1
        monkeypatch.setattr(virtio_blk, "sleep_until", self.sleep_until)
        monkeypatch.setattr(virtio_blk, "monotonic_ns", self.now)

        class Up:
            def current_caller(self) -> object:
                return object()
        monkeypatch.setattr(virtio_blk, "upcalls", lambda: Up())

    def now(self) -> u64:
        self.clock += 1000
        return u64(self.clock)

    def sleep_until(self, chan: u64, deadline: u64) -> u64:
        self.sleeps += 1
        if self.answer == int(wait.WOKEN):
            # The device finishes, its MSI-X message arrives, the handler wakes the channel.
            for p in self.dev.pending:
                self.dev.complete(*p)
            self.dev.pending = []
            virtio_blk.virtio_blk_interrupt()
        return u64(self.answer)


def test_waiters_sleep_until_the_interrupt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(virtio_blk, "_irq_channels", None)
    dev = SimBlockDevice(1024)
    blk = make(dev)
    assert dev.msi == (0xFEE00000, 48)           # the local APIC's window, vector 48
    assert blk.irq
    virtio_blk.note_irq_channel(blk.chan)
    dev.complete_late = True
    sl = Sleeper(monkeypatch, dev, int(wait.WOKEN))
    before = int(virtio_blk.disk_interrupts)
    buf = kbuf(300 * 512)
    blk.read_sectors(u64(1), u64(300), u64(buf))
    assert rd(buf, 300 * 512) == bytes(dev.disk[512:301 * 512])
    assert sl.sleeps == 1                         # one sleep: the three requests complete together
    assert int(virtio_blk.disk_interrupts) == before + 1


def test_a_sleep_cut_by_a_signal_falls_back_to_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    dev = SimBlockDevice(64)
    blk = make(dev)
    dev.complete_late = True
    sl = Sleeper(monkeypatch, dev, int(wait.INTERRUPTED))
    orig = dev.has_polled = 0

    def relax() -> None:
        dev.has_polled += 1
        for p in dev.pending:
            dev.complete(*p)
        dev.pending = []
    monkeypatch.setattr(virtio_blk, "arch_cpu_relax", relax)
    buf = kbuf(512)
    blk.read_sectors(u64(3), u64(1), u64(buf))
    assert rd(buf, 512) == bytes(dev.disk[3 * 512:4 * 512])
    assert sl.sleeps == 1 and dev.has_polled > orig


def test_a_sleep_that_times_out_fails_the_device(monkeypatch: pytest.MonkeyPatch) -> None:
    dev = SimBlockDevice(64)
    blk = make(dev)
    dev.complete_late = True
    Sleeper(monkeypatch, dev, int(wait.TIMED_OUT))
    buf = kbuf(512)
    with pytest.raises(SysError) as e:
        blk.write_sectors(u64(3), u64(1), u64(buf))
    assert e.value.errno == EIO
    assert dev.status == int(STATUS_FAILED) and blk.broken


def test_requests_fit_a_small_queue_and_seg_max() -> None:
    dev = SimBlockDevice(512, features=int(F_VERSION_1 | F_FLUSH | virtio_blk.F_SEG_MAX), queue_max=16)
    blk = make(dev)
    # 16 descriptors: one request at a time; 14 data pieces (seg_max 126 allows more): 13 pages.
    assert int(blk.in_flight) == 1 and int(blk.req_sectors) == 13 * 8
    buf = kbuf(300 * 512 + 100) + 100                 # unaligned: every request spans an extra page
    blk.read_sectors(u64(0), u64(300), u64(buf))
    assert rd(buf, 300 * 512) == bytes(dev.disk[:300 * 512])
    assert dev.max_chain <= 16
    big = SimBlockDevice(64, features=int(F_VERSION_1 | virtio_blk.F_SEG_MAX))
    big.config = lambda: struct.pack("<QII", 64, 0, 4) + bytes(16)   # seg_max 4
    b = make(big)
    assert int(b.in_flight) == 4 and int(b.req_sectors) == 3 * 8


def test_a_second_task_waits_for_a_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Task A has every slot in use; task B's read sleeps until A has read its statuses."""
    dev = SimBlockDevice(256)
    blk = make(dev)
    dev.complete_late = True
    buf_a = kbuf(4 * 512)
    a_slots = [int(blk.submit(virtio_blk.T_IN, u64(i), u64(1), u64(buf_a + 512 * i))) for i in range(4)]
    assert sorted(a_slots) == [0, 1, 2, 3]
    sl = Sleeper(monkeypatch, dev, int(wait.WOKEN))
    orig = sl.sleep_until

    def a_runs(chan: u64, deadline: u64) -> u64:
        r = orig(chan, deadline)                   # the device completes A's requests
        blk.reap()
        for s_ in a_slots:                          # A reads its statuses and lets go
            blk.finish(u64(s_))
            blk.release(u64(s_))
        return r
    monkeypatch.setattr(virtio_blk, "sleep_until", a_runs)
    buf_b = kbuf(512)

    def complete_now(q: u16) -> None:
        SimBlockDevice.notify(dev, q)
        for p in dev.pending:
            dev.complete(*p)
        dev.pending = []
    dev.complete_late = True
    monkeypatch.setattr(dev, "notify", complete_now)
    blk.read_sectors(u64(9), u64(1), u64(buf_b))
    assert rd(buf_b, 512) == bytes(dev.disk[9 * 512:10 * 512])
    assert rd(buf_a, 4 * 512) == bytes(dev.disk[:4 * 512])
    assert sl.sleeps == 1


def test_queue_size_is_a_power_of_two_and_indexes_wrap() -> None:
    dev = SimBlockDevice(64, queue_max=100)
    blk = make(dev)
    assert int(blk.queue.size) == 64
    # Run the 16-bit ring indexes past 65535: positions must stay in step with the device's.
    blk.queue.avail_idx = u16(65530)
    blk.queue.last_used = u16(65530)
    dev.last_avail = dev.used_idx = 65530
    memory.sim.write(blk.queue.used + 2, struct.pack("<H", 65530))
    buf = kbuf(512)
    for i in range(12):
        blk.read_sectors(u64(i), u64(1), u64(buf))
        assert rd(buf, 512) == bytes(dev.disk[i * 512:(i + 1) * 512])
    assert int(blk.queue.avail_idx) == 6
