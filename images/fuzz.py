"""Boot the kernel with the syscall fuzzer (tests/fuzz/sysfuzz.c) as init and judge the run.

Used by `asterpy fuzz` (the long run, e.g. 10^7 calls) and tests/boot/test_fuzz.py (the bounded CI
run). A run is good when the kernel log has no panic, the fuzzer printed its final line (so the
kernel neither hung nor died before it), it saw no task that survived SIGKILL, and the kernel heap
and free memory came back to within LEAK_* of their figures after the first batch.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Optional

FUZZER = "/tests/fuzz/sysfuzz"
FINAL_RE = re.compile(
    r"^sysfuzz: done: seed (?P<seed>\d+) calls (?P<calls>\d+) batches (?P<batches>\d+) "
    r"signalled (?P<signalled>\d+) watchdog (?P<watchdog>\d+) hangs (?P<hangs>\d+) "
    r"heap (?P<heap>[-+?\d]+)(?: bytes)? free (?P<free>[-+?\d]+)(?: kB)? in (?P<secs>\d+) s$", re.M)
PANIC_RE = re.compile(r"^.*(Kernel panic - not syncing|kernel BUG|general protection fault|Oops).*$", re.M)
HANG_RE = re.compile(r"^sysfuzz: HANG: .*$", re.M)
# What the fuzz may leave in the kernel after all its batches (caches that grew, tables at their
# high-water mark): beyond this, the run is reported as a leak.
LEAK_HEAP_BYTES = 1 << 20
LEAK_FREE_KB = 16 * 1024
# Calls per second under TCG on the 2-core CI machine is ~2,000-5,000: a generous budget.
MIN_CALLS_PER_SECOND = 250


@dataclass
class FuzzRun:
    """What one fuzz boot printed, parsed."""

    output: str
    timed_out: bool
    exit_status: Optional[int]
    elapsed: float
    final: dict[str, str] = field(default_factory=dict)  # FINAL_RE's groups, empty if no final line
    panics: list[str] = field(default_factory=list)
    hang_lines: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Everything wrong with the run (empty: a clean run)."""
        out = [f"panic: {p}" for p in self.panics]
        out += [f"hang: {h}" for h in self.hang_lines]
        if self.timed_out:
            out.append(f"hang: no end within the timeout ({self.elapsed:.0f} s)")
        if not self.final:
            out.append("the fuzzer printed no final line")
            return out
        if int(self.final["hangs"]):
            out.append(f"hang: {self.final['hangs']} task(s) survived SIGKILL")
        heap, free = self.final["heap"], self.final["free"]
        if heap != "?" and int(heap) > LEAK_HEAP_BYTES:
            out.append(f"leak: kernel heap grew by {int(heap)} bytes (allowed {LEAK_HEAP_BYTES})")
        if free != "?" and -int(free) > LEAK_FREE_KB:
            out.append(f"leak: free memory fell by {-int(free)} kB (allowed {LEAK_FREE_KB})")
        if self.exit_status not in (0, None) and not self.hang_lines:
            out.append(f"the fuzzer exited with status {self.exit_status}")
        return out

    def summary(self) -> str:
        """One line: the figures of the run."""
        if not self.final:
            return f"no final line after {self.elapsed:.0f} s"
        f = self.final
        return (f"seed {f['seed']}: {f['calls']} calls in {f['batches']} batches ({f['signalled']} ended by a "
                f"signal, {f['watchdog']} by the watchdog), {len(self.panics)} panics, {f['hangs']} hangs, "
                f"heap {f['heap']} bytes, free {f['free']} kB, {f['secs']} s in the guest")


def fuzz_cmdline(calls: int, seed: int, per_batch: int = 200, extra: str = "") -> str:
    """The kernel command line that runs the fuzzer as init and powers off with its status."""
    words = ["asterpy.exit=1", "quiet", f"init={FUZZER}"] + ([extra] if extra else [])
    return " ".join(words) + f" -- --calls {calls} --seed {seed} --per-batch {per_batch}"


def default_timeout(calls: int) -> float:
    """Seconds a run of `calls` calls may take before it counts as a hang."""
    return 60.0 + calls / MIN_CALLS_PER_SECOND


def parse(output: str, timed_out: bool, exit_status: Optional[int], elapsed: float) -> FuzzRun:
    """A FuzzRun from a boot's serial output."""
    text = output.replace("\r", "")
    m = FINAL_RE.search(text)
    return FuzzRun(output=text, timed_out=timed_out, exit_status=exit_status, elapsed=elapsed,
                   final=m.groupdict() if m else {}, panics=[x.group(0) for x in PANIC_RE.finditer(text)],
                   hang_lines=HANG_RE.findall(text))


def run_fuzz(kernel: Path, initrd: Path, calls: int, seed: int, per_batch: int = 200,
             timeout: Optional[float] = None, memory_mb: int = 256, stream: "Optional[IO[bytes]]" = None,
             accel: Optional[str] = None) -> FuzzRun:
    """Boot `kernel` with `initrd` (which must hold the fuzzer) and fuzz; with `stream`, echo the
    serial output there as it comes."""
    from images.qemu import QemuConfig, run_qemu, run_streaming
    cfg = QemuConfig(kernel=kernel, initrd=initrd, cmdline=fuzz_cmdline(calls, seed, per_batch),
                     timeout=timeout if timeout is not None else default_timeout(calls), memory_mb=memory_mb,
                     accel=accel)
    if stream is not None:
        import io
        err = io.BytesIO()
        res = run_streaming(cfg, out=stream, err=err)
    else:
        res = run_qemu(cfg)
    return parse(res.output, res.timed_out, res.exit_status, res.elapsed)
