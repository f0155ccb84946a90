"""Memory exhaustion degrades, never kills the kernel (issue #12), in a 256 MiB guest under TCG.

* 3000 background `sleep`s from busybox sh: the shell gets "Cannot allocate memory" (or EAGAIN)
  after some processes; the shell still answers, the memory comes back once they are killed.
* 3000 forked subshells blocked on a FIFO: over a thousand run (the heap grows past its first
  region), then ENOMEM/EAGAIN; the memory comes back once they are killed.
* `dd` of 200 MB into /tmp: the root file system's limit (half of memory, as Linux's tmpfs)
  ends it with ENOSPC; statfs reports the limit and the usage; the next commands work.
* `asterpy.failslab=N`: user test programs run while every Nth frame allocation of init's
  children fails; they may fail, the kernel must not panic or hang, and faults were injected.

docs/mm.md ("Memory exhaustion") records the figures these runs give.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bootbuild import SharedKernels
from translator.build import BuildResult
from images import QemuConfig, QemuResult, run_qemu
from images.cmdline import shell_command_cmdline

pytestmark = pytest.mark.boot

TIMEOUT = float(os.environ.get("ASTERPY_MEMORY_TEST_TIMEOUT", "90"))
PANIC_RE = re.compile(r"panic|kernel halted|out of kernel heap", re.I)
MIB = 1 << 20


@pytest.fixture(scope="module")
def kernel(shared_kernels: SharedKernels) -> BuildResult:
    """The x86_64 kernel, built once per test session (conftest.py)."""
    return shared_kernels.get("x86_64")


@pytest.fixture(scope="module")
def image(default_initramfs: Path) -> Path:
    """The default image, uncompressed (the kernel skips the gunzip)."""
    from images.initramfs import build_initramfs
    return build_initramfs("x86_64", out=default_initramfs.with_name("initramfs.cpio"), compress=False)


def run(kernel: BuildResult, image: Path, command: str, extra: str = "") -> tuple[QemuResult, str]:
    """Boot with `sh -c command` as init (256 MiB); the result and its output without CRs."""
    r = run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=TIMEOUT, initrd=image,
                            cmdline=shell_command_cmdline(command, extra), memory_mb=256))
    out = r.output.replace("\r", "")
    assert not r.timed_out, f"no exit within {TIMEOUT:g} s\n{out[-3000:]}"
    assert not PANIC_RE.search(out), out[-3000:]
    return r, out


def field(out: str, pattern: str) -> list[int]:
    """The integers of every match of pattern (one group) in out."""
    return [int(m) for m in re.findall(pattern, out, re.M)]


SLEEPS = r"""
memfree() { while read -r k v u; do [ "$k" = MemFree: ] && echo $v; done < /proc/meminfo; }
before=$(memfree)
echo "MemFree before $before"
(trap 'echo reached $i' EXIT; i=0; while [ $i -lt 3000 ]; do sleep 1000 & i=$((i+1)); done) 2>/tmp/err
echo "loop status $?"
trap '' TERM; kill 0
# Only builtins until the sleeps are gone (a fork would fail): poll MemFree, ~30 s at most.
n=0
while [ $n -lt 300 ]; do
  while read -r k v u; do [ "$k" = MemFree: ] && free=$v; done < /proc/meminfo
  [ $free -gt $((before - 8192)) ] && break
  n=$((n+1)); j=0; while [ $j -lt 300 ]; do j=$((j+1)); done
done
echo "errors $(grep -c -E 'Cannot allocate memory|Resource temporarily unavailable' /tmp/err)"
rm /tmp/err
echo "MemFree after $(memfree)"
echo still here
"""


def test_thousands_of_background_sleeps(kernel: BuildResult, image: Path) -> None:
    """fork/exec fail with ENOMEM (EAGAIN) at some point; the shell and the kernel carry on, and
    once the sleeps are killed the memory is back."""
    r, out = run(kernel, image, SLEEPS)
    reached = field(out, r"^reached (\d+)$")
    assert len(reached) == 1 and 20 <= reached[0] < 3000, out[-3000:]
    errors = field(out, r"^errors (\d+)$")
    assert errors and errors[0] >= 1, out[-3000:]
    assert "still here" in out and r.exit_status == 0, out[-3000:]
    before, after = field(out, r"^MemFree before (\d+)$"), field(out, r"^MemFree after (\d+)$")
    assert before and after and abs(before[0] - after[0]) < 2 * 1024, (before, after)


SUBSHELLS = r"""
km() { while read -r l; do echo "$l"; done < /dev/kmeminfo; }
km
mkfifo /tmp/f
(trap 'echo reached $i' EXIT; i=0; while [ $i -lt 3000 ]; do (read x < /tmp/f) & i=$((i+1)); done) 2>/tmp/err
echo peak
km
trap '' TERM; kill 0
n=0; while [ $n -lt 5000 ]; do n=$((n+1)); done
echo after
km
echo "errors $(grep -c -E 'Cannot allocate memory|Resource temporarily unavailable' /tmp/err)"
echo still here
"""


def kmeminfo(out: str, after: str) -> dict[str, int]:
    """The first /dev/kmeminfo figures printed after the line `after` ("" for the very first)."""
    text = out.split(f"\n{after}\n", 1)[1] if after else out
    return {k: int(v) for k, v in re.findall(r"^(\w+):\s*(\d+)", text, re.M)[:8]}


def test_thousands_of_forked_subshells(kernel: BuildResult, image: Path) -> None:
    """Forked shells blocked on a FIFO (no exec: a few pages each, mostly kernel memory): over a
    thousand run, then fork fails with ENOMEM or EAGAIN; the kernel heap grew past its first region
    instead of running dry, and the memory is back once they are killed."""
    r, out = run(kernel, image, SUBSHELLS)
    reached = field(out, r"^reached (\d+)$")
    assert len(reached) == 1 and 1000 <= reached[0] < 3000, out[-3000:]
    start, peak, after = kmeminfo(out, ""), kmeminfo(out, "peak"), kmeminfo(out, "after")
    if peak["KernelHeap"] > start["KernelHeap"] + start["KernelHeapFree"]:
        assert peak["HeapGrowths"] >= 1 and peak["HeapGrownBytes"] > 0, peak
    assert after["KernelHeap"] < start["KernelHeap"] + 256 * 1024, (start, after)
    assert abs(after["MemFree"] - start["MemFree"]) < 4 * 1024, (start, after)
    assert field(out, r"^errors (\d+)$")[0] >= 1, out[-3000:]
    assert "still here" in out and r.exit_status == 0, out[-3000:]


DD = r"""
stat -f -c 'statfs %b %f' /tmp
dd if=/dev/zero of=/tmp/big bs=1M count=200
echo "dd status $?"
stat -f -c 'statfs %b %f' /tmp
echo "size $(stat -c %s /tmp/big)"
rm /tmp/big
stat -f -c 'statfs %b %f' /tmp
ls /bin/sh && echo still here
"""


def test_dd_into_tmp_stops_with_enospc(kernel: BuildResult, image: Path) -> None:
    """The root ramfs holds at most half of memory: dd gets ENOSPC, statfs shows the limit and
    the usage, rm gives the space back, and the next command runs."""
    r, out = run(kernel, image, DD)
    assert "No space left on device" in out, out[-3000:]
    assert field(out, r"^dd status (\d+)$") == [1], out[-3000:]
    stats = re.findall(r"^statfs (\d+) (\d+)$", out, re.M)
    assert len(stats) == 3, out[-3000:]
    (blocks0, free0), (blocks1, free1), (blocks2, free2) = [(int(b), int(f)) for b, f in stats]
    assert blocks0 == blocks1 == blocks2
    assert 120 * MIB <= blocks0 * 4096 <= 130 * MIB          # half of the 256 MiB guest
    assert free1 < blocks0 // 50                              # full, bar a partial page or so
    assert free2 == free0
    size = field(out, r"^size (\d+)$")
    assert size and 64 * MIB <= size[0] < 200 * MIB and size[0] <= free0 * 4096, out[-3000:]
    assert "still here" in out and r.exit_status == 0, out[-3000:]


PROGRAMS = ("t_fileio", "t_pipe", "t_mm", "t_dirs", "t_signal", "t_thread", "t_spawn", "t_misc",
            "t_socketpair", "t_event", "t_proc_fs", "t_clonevm", "t_epollnest", "t_nproc")
FAILSLAB = r"""
for t in %s; do
  /tests/musl/$t > /dev/null 2>&1
  echo "ran $t status $?"
done
cat /dev/kmeminfo
echo still here
""" % " ".join(PROGRAMS)


def test_user_programs_under_failslab(kernel: BuildResult, image: Path) -> None:
    """asterpy.failslab=997: allocations fail all over the test programs; each one ends (with
    whatever status), the kernel neither panics nor hangs, and failures were really injected."""
    r, out = run(kernel, image, FAILSLAB, "asterpy.failslab=997")
    ran = re.findall(r"^ran (t_\w+) status (\d+)$", out, re.M)
    assert [name for name, _ in ran] == list(PROGRAMS), out[-3000:]
    injected = field(out, r"^FaultsInjected:\s+(\d+)$")
    assert injected and injected[0] >= 10, out[-3000:]
    assert "still here" in out and r.exit_status == 0, out[-3000:]
