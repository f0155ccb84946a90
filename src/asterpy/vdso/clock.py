"""The vDSO's clock functions: clock_gettime, gettimeofday, time, clock_getres, getcpu.

Translated on its own into a position-independent shared object (translator/vdso.py): no heap,
no exceptions, no globals, nothing from the kernel. The clocks the vvar page can serve are read
without entering the kernel; the others take the system call (the `syscall` instruction).
"""

from typing import Final

from asterpy.lang import Ptr, i32, i64, u32, u64
from asterpy.lang.linkage import export
from asterpy.vdso.layout import (VVAR_BASE_CYCLES, VVAR_COARSE_NS, VVAR_MULT, VVAR_REALTIME_BASE,
                                 VVAR_SEQ)
from vdso_arch import vdso_barrier, vdso_load, vdso_mul_shift24, vdso_rdtsc, vdso_syscall2, vdso_vvar_base

NSEC_PER_SEC: Final = u64(1000000000)
NSEC_PER_USEC: Final = u64(1000)
TICK_NS: Final = u64(10000000)           # the kernel's 100 Hz tick: the coarse clocks' resolution

CLOCK_REALTIME: Final = i32(0)
CLOCK_MONOTONIC: Final = i32(1)
CLOCK_MONOTONIC_RAW: Final = i32(4)
CLOCK_REALTIME_COARSE: Final = i32(5)
CLOCK_MONOTONIC_COARSE: Final = i32(6)
CLOCK_BOOTTIME: Final = i32(7)

SYS_GETTIMEOFDAY: Final = u64(96)
SYS_TIME: Final = u64(201)
SYS_CLOCK_GETTIME: Final = u64(228)
SYS_CLOCK_GETRES: Final = u64(229)

# What a reader returns when the vvar page has no running clock: the caller takes the syscall.
NO_CLOCK: Final = u64(0xFFFFFFFFFFFFFFFF)


def read_fine(realtime: bool) -> u64:
    """CLOCK_MONOTONIC (or with realtime CLOCK_REALTIME) from one consistent snapshot of the vvar
    page, or NO_CLOCK when no clock is published."""
    v = Ptr[u64](vdso_vvar_base())
    while True:
        seq = vdso_load(v.addr)                      # ordered: the fields are read after it
        mult = v[VVAR_MULT // 8]
        if mult == 0:
            return NO_CLOCK                            # no clock published (yet)
        # kernel.time's monotonic_ns: (counter - base) * mult >> MULT_SHIFT.
        now = vdso_mul_shift24(vdso_rdtsc() - v[VVAR_BASE_CYCLES // 8], mult)
        if realtime:
            now += v[VVAR_REALTIME_BASE // 8]
        vdso_barrier()
        # An odd or changed counter: the kernel was writing meanwhile; read again.
        if (seq & 1) == 0 and v[VVAR_SEQ // 8] == seq:
            return now


def read_coarse(realtime: bool) -> u64:
    """The coarse clocks: CLOCK_MONOTONIC at the last tick (plus the realtime offset), or NO_CLOCK."""
    v = Ptr[u64](vdso_vvar_base())
    while True:
        seq = vdso_load(v.addr)
        if v[VVAR_MULT // 8] == 0:
            return NO_CLOCK
        now = v[VVAR_COARSE_NS // 8]
        if realtime:
            now += v[VVAR_REALTIME_BASE // 8]
        vdso_barrier()
        if (seq & 1) == 0 and v[VVAR_SEQ // 8] == seq:
            return now


def read_clock(clk: i32) -> u64:
    """The clock's ns, or NO_CLOCK for a clock the page does not serve (the caller then takes the
    system call). BOOTTIME and MONOTONIC_RAW are MONOTONIC here, as in the kernel (no suspend, no
    frequency adjustment)."""
    if clk == CLOCK_MONOTONIC or clk == CLOCK_BOOTTIME or clk == CLOCK_MONOTONIC_RAW:
        return read_fine(False)
    if clk == CLOCK_REALTIME:
        return read_fine(True)
    if clk == CLOCK_MONOTONIC_COARSE:
        return read_coarse(False)
    if clk == CLOCK_REALTIME_COARSE:
        return read_coarse(True)
    return NO_CLOCK


def store_timespec(tp: u64, now: u64) -> None:
    """A struct timespec of now (ns) at tp."""
    ts = Ptr[u64](tp)
    ts[0] = now // NSEC_PER_SEC
    ts[1] = now % NSEC_PER_SEC


@export("__vdso_clock_gettime")
def vdso_clock_gettime(clk: i32, tp: u64) -> i64:
    """clock_gettime(2): 0, or the system call's -errno for what the page cannot answer."""
    if clk == CLOCK_MONOTONIC or clk == CLOCK_REALTIME:
        # The clocks nearly every caller reads: read_fine written out here, so that the common
        # path is one straight run of instructions without a call.
        v = Ptr[u64](vdso_vvar_base())
        while True:
            seq = vdso_load(v.addr)
            mult = v[VVAR_MULT // 8]
            if mult == 0:
                break
            now = vdso_mul_shift24(vdso_rdtsc() - v[VVAR_BASE_CYCLES // 8], mult)
            if clk == CLOCK_REALTIME:
                now += v[VVAR_REALTIME_BASE // 8]
            vdso_barrier()
            if (seq & 1) == 0 and v[VVAR_SEQ // 8] == seq:
                store_timespec(tp, now)
                return i64(0)
    else:
        now = read_clock(clk)
        if now != NO_CLOCK:
            store_timespec(tp, now)
            return i64(0)
    return i64(vdso_syscall2(SYS_CLOCK_GETTIME, u64(i64(clk)), tp))


@export("__vdso_gettimeofday")
def vdso_gettimeofday(tv: u64, tz: u64) -> i64:
    """gettimeofday(2): the time zone is always UTC (zeros), as the kernel's."""
    now = read_clock(CLOCK_REALTIME)
    if now == NO_CLOCK:
        return i64(vdso_syscall2(SYS_GETTIMEOFDAY, tv, tz))
    if tv != 0:
        t = Ptr[u64](tv)
        t[0] = now // NSEC_PER_SEC
        t[1] = (now % NSEC_PER_SEC) // NSEC_PER_USEC
    if tz != 0:
        Ptr[u64](tz)[0] = u64(0)
    return i64(0)


@export("__vdso_time")
def vdso_time(tloc: u64) -> i64:
    """time(2): seconds since the epoch, also stored at tloc if nonzero."""
    now = read_clock(CLOCK_REALTIME)
    if now == NO_CLOCK:
        return i64(vdso_syscall2(SYS_TIME, tloc, u64(0)))
    secs = now // NSEC_PER_SEC
    if tloc != 0:
        Ptr[u64](tloc)[0] = secs
    return i64(secs)


@export("__vdso_clock_getres")
def vdso_clock_getres(clk: i32, res: u64) -> i64:
    """clock_getres(2): 1 ns for the fine clocks, the tick for the coarse ones (as the kernel)."""
    if not (clk == CLOCK_REALTIME or clk == CLOCK_MONOTONIC or clk == CLOCK_MONOTONIC_RAW
            or clk == CLOCK_REALTIME_COARSE or clk == CLOCK_MONOTONIC_COARSE or clk == CLOCK_BOOTTIME):
        return i64(vdso_syscall2(SYS_CLOCK_GETRES, u64(i64(clk)), res))
    if res != 0:
        r = Ptr[u64](res)
        r[0] = u64(0)
        r[1] = u64(1)
        if clk == CLOCK_MONOTONIC_COARSE or clk == CLOCK_REALTIME_COARSE:
            r[1] = TICK_NS
    return i64(0)


@export("__vdso_getcpu")
def vdso_getcpu(cpu: u64, node: u64) -> i64:
    """getcpu(2): one CPU and one node, both 0 (the kernel runs on the boot CPU only)."""
    if cpu != 0:
        Ptr[u32](cpu)[0] = u32(0)
    if node != 0:
        Ptr[u32](node)[0] = u32(0)
    return i64(0)
