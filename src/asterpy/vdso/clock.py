"""The vDSO's clock functions: clock_gettime, gettimeofday, time, clock_getres, getcpu.

Translated on its own into a position-independent shared object (translator/vdso.py): no heap,
no exceptions, no globals, nothing from the kernel. The clocks the vvar page can serve are read
without entering the kernel; the others take the system call (the `syscall` instruction).
"""

from typing import Final

from asterpy.lang import Ptr, i32, i64, u32, u64
from asterpy.lang.linkage import export
from asterpy.vdso.layout import (VVAR_BASE_CYCLES, VVAR_COARSE_NS, VVAR_ENABLED, VVAR_MULT, VVAR_REALTIME_BASE,
                                 VVAR_SEQ)
from vdso_arch import vdso_load, vdso_rdtsc, vdso_syscall2, vdso_vvar_base

NSEC_PER_SEC: Final = u64(1000000000)
NSEC_PER_USEC: Final = u64(1000)
MULT_SHIFT: Final = u64(24)
LOW_MASK: Final = (u64(1) << MULT_SHIFT) - 1
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


def cycles_to_ns(cycles: u64, mult: u64) -> u64:
    """cycles * mult >> MULT_SHIFT without a 128-bit product (kernel.time's split, so the same ns)."""
    return (cycles >> MULT_SHIFT) * mult + (((cycles & LOW_MASK) * mult) >> MULT_SHIFT)


def read_clock(clk: i32) -> u64:
    """The clock's ns from one consistent snapshot of the vvar page, or NO_CLOCK."""
    v = vdso_vvar_base()
    while True:
        seq = vdso_load(v + VVAR_SEQ)
        if (seq & 1) != 0:
            continue                                   # the kernel is writing: try again
        if vdso_load(v + VVAR_ENABLED) == 0:
            return NO_CLOCK
        if clk == CLOCK_MONOTONIC_COARSE or clk == CLOCK_REALTIME_COARSE:
            now = vdso_load(v + VVAR_COARSE_NS)
        else:
            now = cycles_to_ns(vdso_rdtsc() - vdso_load(v + VVAR_BASE_CYCLES), vdso_load(v + VVAR_MULT))
        if clk == CLOCK_REALTIME or clk == CLOCK_REALTIME_COARSE:
            now += vdso_load(v + VVAR_REALTIME_BASE)
        if vdso_load(v + VVAR_SEQ) == seq:
            return now


def served(clk: i32) -> bool:
    """True for the clocks the vvar page answers (the CPU-time clocks go to the kernel)."""
    return (clk == CLOCK_REALTIME or clk == CLOCK_MONOTONIC or clk == CLOCK_MONOTONIC_RAW
            or clk == CLOCK_REALTIME_COARSE or clk == CLOCK_MONOTONIC_COARSE or clk == CLOCK_BOOTTIME)


@export("__vdso_clock_gettime")
def vdso_clock_gettime(clk: i32, tp: u64) -> i64:
    """clock_gettime(2): 0, or the system call's -errno for what the page cannot answer."""
    if served(clk):
        now = read_clock(clk)
        if now != NO_CLOCK:
            ts = Ptr[u64](tp)
            ts[0] = now // NSEC_PER_SEC
            ts[1] = now % NSEC_PER_SEC
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
    if not served(clk):
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
