"""`asterpy bench`: asterpy and Debian's Linux kernel side by side in the same QEMU.

Both kernels boot the same initramfs in the same QEMU configuration (x86_64 `pc` machine with
SeaBIOS, 1 vCPU, 256 MiB, serial console, `-kernel` with an ELF that has a PVH entry note, `-initrd`),
one after the other, alternating, N times each:

    /init              benchmarks/user/bench.c (static, musl, built with tests/user/build.py's flags)
    /bin/exec_target   benchmarks/user/exec_target.c (what the fork_exec benchmark runs)
    /dev /tmp          empty directories

The Linux kernel is Debian's `linux-image-amd64`: its versioned dependency is fetched with
`apt-get download` into ~/.cache/asterpy/linux/ (never installed), its /boot/vmlinuz is unpacked with
`dpkg-deb -x`, and the uncompressed `vmlinux` ELF is cut out of the bzImage (setup header
payload_offset/payload_length, xz or gzip).  Debian builds with CONFIG_PVH=y, so QEMU boots that
ELF through its PVH note, exactly as it boots asterpy's kernel-pvh.elf.

Command lines: the shared part is `init=/init -- [--quick]`; Linux adds `console=ttyS0 quiet
panic=-1` (serial console; reboot at once if init ever exits, which -no-reboot turns into QEMU
exiting), asterpy adds `asterpy.exit=1` (power off when init exits).  The bench program powers Linux off
itself with reboot(RB_POWER_OFF) (ACPI on pc); asterpy powers off when init exits.

Boot-to-init time is host wall time from QEMU's start to the program's first line (`bench start`):
it includes QEMU loading the kernel (Linux's vmlinux is ~65 MB, asterpy's ~0.5 MB).

With `--icount` both kernels run under QEMU's `-icount shift=0,sleep=off` (ICOUNT_ARGS): guest
time is the count of executed instructions (1 ns per instruction) and an idle vCPU jumps to its next
timer instead of waiting, so a latency reads as the instructions one iteration executes (kernel and
user, the tick's share included): the same on every run and under any host load.  What it cannot
show is what costs time but not instructions (memory and TLB behaviour, TCG's per-instruction cost,
a `rep movs` counted once per element): bandwidths and boot-to-init stay wall-clock figures.

Results: a table on stdout (median of N per kernel, min-max spread, ratio asterpy/Linux of the
medians), JSON in benchmarks/results/<commit>.json and a PNG chart of the ratios next to it
(<commit>.png).  `--quick` writes <commit>-quick.json, which --history ignores.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import lzma
import os
import platform
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

# The loader of tests/user/build.py the default image uses (one copy of the module for both).
from images.initramfs import _load_user_build
from translator.filelock import exclusive

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_SRC = REPO_ROOT / "benchmarks" / "user"
CACHE_DIR = REPO_ROOT / ".cache" / "bench"
# Debian's kernel is a big input shared by every checkout (bench, conformance, the command-line
# boot tests): it is kept outside the checkout, keyed by its package and version.
LINUX_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "asterpy" / "linux"
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
LINUX_META = "linux-image-amd64"

Reporter = Callable[[str], None]

# name -> (unit, "lower" or "higher" is better, what it measures).  The order is the table's.
BENCHMARKS: dict[str, tuple[str, str, str]] = {
    "null_syscall": ("ns", "lower", "getppid()"),
    "getpid": ("ns", "lower", "syscall(SYS_getpid)"),
    "clock_gettime": ("ns", "lower", "clock_gettime(CLOCK_MONOTONIC) (both answer from their vDSO)"),
    "read_zero": ("ns", "lower", "read 1 byte from /dev/zero"),
    "write_null": ("ns", "lower", "write 1 byte to /dev/null"),
    "open_close": ("ns", "lower", "open+close /init"),
    "stat": ("ns", "lower", "stat /init"),
    "page_fault": ("ns", "lower", "mmap anonymous + first touch of each page + munmap, per page"),
    "pipe_latency": ("ns", "lower", "1-byte round trip through two pipes, two processes"),
    "ctx_switch": ("ns", "lower", "(pipe round trip - 2 x same-process pipe write+read) / 2"),
    "pipe_bw": ("MB/s", "higher", "pipe, 64 KiB writes, child to parent"),
    "fork_exit": ("ns", "lower", "fork + _exit + waitpid"),
    "fork_exec": ("ns", "lower", "fork + execve(static exec_target) + waitpid"),
    "file_write": ("MB/s", "higher", "16 MiB to /tmp in 64 KiB writes (1 MiB with --quick)"),
    "file_read": ("MB/s", "higher", "read it back in 64 KiB reads"),
}
KERNELS = ("asterpy", "linux")
LINE_RE = re.compile(r"^([a-z_]+) (?:(-?[0-9]+(?:\.[0-9]+)?) (ns|MB/s)|FAIL (\S+))$")

# The QEMU machine both kernels boot on.  Not microvm (`asterpy run`'s default): it has no HPET and
# no ACPI PM timer, and under TCG Linux's TSC calibration against the PIT fails now and then
# ("tsc: Unable to calibrate against PIT"), after which the boot hangs.  pc has all three timers.
MACHINE = "pc"
MEMORY_MB = 256
SHARED_CMDLINE = "init=/init --"
KERNEL_CMDLINE = {"asterpy": "asterpy.exit=1", "linux": "console=ttyS0 quiet panic=-1"}
# Deterministic mode: 1 ns of guest time per executed instruction (shift=0); sleep=off lets an idle
# vCPU jump to its next timer deadline instead of waiting in host time, so nothing in the guest's
# clock depends on the host's speed or load.  TCG only (KVM has no instruction counting).
ICOUNT_ARGS = ("-icount", "shift=0,sleep=off")


class BenchError(RuntimeError):
    """Something bench needs is missing or failed (a message for the user, no traceback)."""


# ---------------------------------------------------------------------------------------------
# The user programs


def build_program(name: str, cache: Path = CACHE_DIR / "user") -> Path:
    """benchmarks/user/<name>.c built static for x86_64 musl (stripped), cached by fingerprint."""
    ub = _load_user_build()
    target = ub.TARGETS["x86_64-musl"]
    src = BENCH_SRC / f"{name}.c"
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / name
    cmd = target.command(src, out) + ["-s"]
    h = hashlib.sha256(src.read_bytes())
    h.update(" ".join(target.command(Path("SRC"), Path("OUT")) + ["-s"]).encode())
    h.update(ub._compiler_id(target).encode())
    stamp = cache / f"{name}.sha256"
    if out.is_file() and stamp.is_file() and stamp.read_text() == h.hexdigest():
        return out
    tmp = cache / f".{name}.{os.getpid()}.tmp"
    cmd = target.command(src, tmp) + ["-s"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ub.zig_env(), check=False)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BenchError(f"building {src.name} failed:\n  {' '.join(cmd)}\n{proc.stderr}{proc.stdout}")
    os.replace(tmp, out)
    stamp.write_text(h.hexdigest())
    return out


def _newc(name: str, mode: int, data: bytes, ino: int) -> bytes:
    """One newc cpio member: header, NUL-terminated name and data, each padded to 4 bytes."""
    name_b = name.encode() + b"\0"
    nlink = 2 if mode & 0o170000 == 0o040000 else 1
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    out = b"070701" + b"".join(b"%08X" % f for f in fields) + name_b
    out += b"\0" * (-len(out) % 4) + data
    return out + b"\0" * (-len(out) % 4)


def make_initramfs(out: Path, files: dict[str, bytes], dirs: tuple[str, ...] = ("bin", "dev", "tmp")) -> Path:
    """An uncompressed newc archive with these directories and executables (both kernels read it)."""
    parts = [_newc(d, 0o040755 if d != "tmp" else 0o041777, b"", i) for i, d in enumerate(dirs, 1)]
    for i, (name, data) in enumerate(sorted(files.items()), len(dirs) + 1):
        parts.append(_newc(name, 0o100755, data, i))
    parts.append(_newc("TRAILER!!!", 0, b"", 0))
    blob = b"".join(parts)
    blob += b"\0" * (-len(blob) % 512)
    # Atomically: another test session may be booting the previous archive right now.
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, out)
    return out


# ---------------------------------------------------------------------------------------------
# Debian's Linux kernel


@dataclass
class LinuxKernel:
    """An uncompressed vmlinux (PVH ELF) and where it came from."""

    vmlinux: Path
    package: str          # e.g. linux-image-6.1.0-56-amd64
    version: str          # the Debian package version, e.g. 6.1.192-2


def extract_vmlinux(bzimage: bytes) -> bytes:
    """The vmlinux ELF inside a bzImage (the compressed payload the setup header points at)."""
    if bzimage[0x202:0x206] != b"HdrS":
        raise BenchError("not a bzImage (no HdrS setup header)")
    setup_sects = bzimage[0x1F1] or 4
    payload_offset, payload_length = struct.unpack_from("<II", bzimage, 0x248)
    start = (setup_sects + 1) * 512 + payload_offset
    payload = bzimage[start:start + payload_length]
    if payload.startswith(b"\xfd7zXZ\x00"):
        data = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    elif payload.startswith(b"\x1f\x8b"):
        data = gzip.decompress(payload)
    else:
        raise BenchError(f"unsupported bzImage payload compression (magic {payload[:6].hex()})")
    if not data.startswith(b"\x7fELF"):
        raise BenchError("the bzImage payload is not an ELF")
    return data


def _run(cmd: list[str], cwd: Optional[Path] = None) -> subprocess.CompletedProcess[str]:
    """Run a host tool, capturing its output (never raises for a non-zero status)."""
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"})


def linux_package(report: Reporter) -> tuple[str, str]:
    """(package, version) that linux-image-amd64 depends on, per apt's cache (updated if needed)."""
    for attempt in range(2):
        dep = _run(["apt-cache", "depends", LINUX_META])
        m = re.search(r"Depends:\s*(linux-image-[0-9][^\s]*-amd64)", dep.stdout)
        if m:
            pol = _run(["apt-cache", "policy", m.group(1)])
            v = re.search(r"Candidate:\s*(\S+)", pol.stdout)
            if v and v.group(1) != "(none)":
                return m.group(1), v.group(1)
        if attempt == 0 and shutil.which("apt-get") and os.geteuid() == 0:
            report("  apt-get update (no linux-image-amd64 in apt's cache)")
            _run(["apt-get", "update", "-qq"])
    raise BenchError(f"apt knows no {LINUX_META}: run `apt-get update`, or pass --linux VMLINUX")


def fetch_linux(report: Reporter, cache: Path = LINUX_CACHE_DIR) -> LinuxKernel:
    """Debian's current linux-image-*-amd64 as vmlinux under ~/.cache/asterpy/linux/<package>_<version>/.

    Offline (apt cannot answer) the newest kernel already in the cache is used. Callers take turns
    (parallel test workers), so the kernel is downloaded once.
    """
    with exclusive(cache.parent / f".{cache.name}.lock"):
        return _fetch_linux(report, cache)


def _fetch_linux(report: Reporter, cache: Path) -> LinuxKernel:
    """fetch_linux's work, with the cache's lock held."""
    if shutil.which("apt-cache") is None or shutil.which("dpkg-deb") is None:
        raise BenchError("bench fetches Debian's kernel with apt-get and dpkg-deb: a Debian host is needed "
                         "(or pass --linux VMLINUX)")
    # apt-cache takes seconds: its answer is kept until apt's lists change (apt-get update).
    lists = Path("/var/lib/apt/lists")
    lists_mtime = lists.stat().st_mtime_ns if lists.is_dir() else 0
    resolved = cache / "resolved.json"
    try:
        known = json.loads(resolved.read_text())
        if known.get("lists_mtime") == lists_mtime and (cache / known["dir"] / "vmlinux").is_file():
            return LinuxKernel(cache / known["dir"] / "vmlinux", known["package"], known["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        package, version = linux_package(report)
        lists_mtime = lists.stat().st_mtime_ns if lists.is_dir() else 0  # after a possible update
    except BenchError:
        cached = sorted(cache.glob("*/vmlinux"), key=lambda p: p.stat().st_mtime)
        if not cached:
            raise
        pkg, _, ver = cached[-1].parent.name.partition("_")
        report(f"  linux: apt does not answer; using the cached {cached[-1]}")
        return LinuxKernel(cached[-1], pkg, ver)
    where = cache / f"{package}_{version}"
    vmlinux = where / "vmlinux"

    def remember() -> LinuxKernel:
        """Record the answer for the next run and return the kernel."""
        resolved.write_text(json.dumps({"lists_mtime": lists_mtime, "dir": where.name, "package": package,
                                        "version": version}) + "\n")
        return LinuxKernel(vmlinux, package, version)

    if vmlinux.is_file():
        return remember()
    where.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="asterpy-linux-", dir=cache) as tmp:
        tmpdir = Path(tmp)
        os.chmod(tmpdir, 0o755)  # apt's _apt user writes the download when it can
        report(f"  linux: apt-get download {package} ({version})")
        dl = _run(["apt-get", "download", f"{package}={version}"], cwd=tmpdir)
        debs = list(tmpdir.glob("*.deb"))
        if dl.returncode != 0 or not debs:
            raise BenchError(f"apt-get download {package} failed:\n{dl.stderr.strip()}")
        unpacked = tmpdir / "x"
        x = _run(["dpkg-deb", "-x", str(debs[0]), str(unpacked)])
        if x.returncode != 0:
            raise BenchError(f"dpkg-deb -x {debs[0].name} failed:\n{x.stderr.strip()}")
        vmlinuz = sorted((unpacked / "boot").glob("vmlinuz-*"))
        if not vmlinuz:
            raise BenchError(f"{debs[0].name} has no /boot/vmlinuz-*")
        data = extract_vmlinux(vmlinuz[0].read_bytes())
        shutil.copy(vmlinuz[0], where / vmlinuz[0].name)
        part = where / ".vmlinux.tmp"
        part.write_bytes(data)
        os.replace(part, vmlinux)
    report(f"  linux: {vmlinux} ({len(data) >> 20} MiB, from {vmlinuz[0].name})")
    return remember()


# ---------------------------------------------------------------------------------------------
# Booting and parsing


@dataclass
class BootRun:
    """One boot of one kernel: what the bench program printed and how long things took."""

    kernel: str
    values: dict[str, float] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)   # name -> errno name
    boot_to_init: Optional[float] = None                      # s, QEMU start to "bench start"
    total: float = 0.0                                        # s, QEMU start to its exit (or kill)
    done: bool = False                                        # "bench done" was printed
    timed_out: bool = False
    returncode: Optional[int] = None
    output: str = ""


def parse_output(text: str, run: BootRun) -> BootRun:
    """Fill run.values / run.failures from the bench program's lines (other lines are ignored)."""
    for line in text.replace("\r", "").splitlines():
        line = line.strip()
        if line == "bench done":
            run.done = True
            continue
        m = LINE_RE.match(line)
        if not m or m.group(1) not in BENCHMARKS:
            continue
        name = m.group(1)
        if m.group(4) is not None:
            run.failures[name] = m.group(4)
        else:
            run.values[name] = float(m.group(2))
    return run


def boot(kernel: str, elf: Path, initrd: Path, args: str, accel: str, timeout: float,
         icount: bool = False) -> BootRun:
    """Boot elf with the bench initramfs under QEMU and collect the bench program's results
    (under `-icount shift=0` when icount: guest nanoseconds are then executed instructions)."""
    from images.qemu import QemuConfig, QemuSession
    cmdline = f"{KERNEL_CMDLINE[kernel]} {SHARED_CMDLINE} {args}".strip()
    cfg = QemuConfig(kernel=elf, arch="x86_64", machine=MACHINE, accel=accel, memory_mb=MEMORY_MB,
                     smp=1, cmdline=cmdline, initrd=initrd, timeout=timeout,
                     extra_args=ICOUNT_ARGS if icount else ())
    run = BootRun(kernel)
    session = QemuSession(cfg)
    done_re = re.compile(r"^bench done$", re.M)
    try:
        run.boot_to_init = session.wait_for("bench start", timeout)
        # Then wait for "bench done", but stop a kernel that prints nothing for `idle` seconds
        # (a hung benchmark) without waiting for the whole timeout.
        idle = max(30.0, timeout / 4)
        seen, last_change = len(session.output), time.monotonic()
        while run.boot_to_init is not None and session.elapsed() < timeout:
            if session.wait_for(done_re, min(5.0, max(0.1, timeout - session.elapsed()))) is not None:
                run.done = True
                session.wait(10.0)  # both power off by themselves right after; give them a moment
                break
            if session.proc.poll() is not None:
                break
            now_len = len(session.output)
            if now_len != seen:
                seen, last_change = now_len, time.monotonic()
            elif time.monotonic() - last_change > idle:
                break
        if session.proc.poll() is None:
            run.timed_out = not run.done
    finally:
        run.returncode = session.close()
    run.total = session.elapsed()
    run.output = session.output
    return parse_output(run.output, run)


def choose_bench_accel(requested: Optional[str], report: Reporter) -> str:
    """tcg or kvm: ASTERPY_ACCEL / --accel when given, else KVM only when a guest really runs."""
    forced = (requested or os.environ.get("ASTERPY_ACCEL", "")).strip().lower()
    if forced in ("tcg", "kvm"):
        return forced
    from images.qemu import kvm_usable
    if not kvm_usable():
        return "tcg"
    # Try a guest for real: a halted microvm with KVM that quits at once through the monitor.
    try:
        probe = subprocess.run(["qemu-system-x86_64", "-M", "microvm", "-accel", "kvm", "-cpu", "host",
                                "-nodefaults", "-display", "none", "-m", "64", "-serial", "none",
                                "-monitor", "stdio", "-S"], input="quit\n", capture_output=True, text=True,
                               timeout=30, check=False)
    except subprocess.TimeoutExpired:
        report("  kvm: QEMU with KVM did not answer: TCG")
        return "tcg"
    if probe.returncode != 0:
        report(f"  kvm: QEMU cannot use /dev/kvm ({probe.stderr.strip()[:160]}): TCG")
        return "tcg"
    return "kvm"


# ---------------------------------------------------------------------------------------------
# Summaries


def _median(xs: list[float]) -> Optional[float]:
    """The median, or None for no values."""
    return statistics.median(xs) if xs else None


def summarize(runs: dict[str, list[BootRun]]) -> list[dict[str, object]]:
    """One row per benchmark: medians, min/max per kernel, ratio asterpy/Linux, failures."""
    rows: list[dict[str, object]] = []
    for name, (unit, better, what) in BENCHMARKS.items():
        row: dict[str, object] = {"name": name, "unit": unit, "better": better, "what": what}
        for k in KERNELS:
            vals = [r.values[name] for r in runs[k] if name in r.values]
            fails = sorted({r.failures[name] for r in runs[k] if name in r.failures})
            row[k] = {"values": vals, "median": _median(vals), "min": min(vals) if vals else None,
                      "max": max(vals) if vals else None, "fail": fails}
        a, lx = row["asterpy"]["median"], row["linux"]["median"]  # type: ignore[index]
        row["ratio"] = (a / lx) if a is not None and lx else None
        pair = [ra.values[name] / rl.values[name] for ra, rl in zip(runs["asterpy"], runs["linux"])
                if name in ra.values and rl.values.get(name)]
        row["ratio_min"] = min(pair) if pair else None
        row["ratio_max"] = max(pair) if pair else None
        r = row["ratio"]
        row["meets_target"] = None if r is None else (r <= 1.0 if better == "lower" else r >= 1.0)
        rows.append(row)
    return rows


def _fmt(v: Optional[float]) -> str:
    """A value for the table: 3 significant digits at least, thousands separated."""
    if v is None:
        return "n/a"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _cell(stats: dict[str, object]) -> str:
    """'median (min-max)' or 'n/a (ENOSYS)'."""
    med = stats["median"]
    if med is None:
        fails = stats["fail"]
        return "n/a" + (f" ({', '.join(fails)})" if fails else "")  # type: ignore[arg-type]
    lo, hi = stats["min"], stats["max"]
    if lo == hi:
        return _fmt(med)  # type: ignore[arg-type]
    return f"{_fmt(med)} ({_fmt(lo)}–{_fmt(hi)})"  # type: ignore[arg-type]


def unit_label(unit: str, icount: bool) -> str:
    """The unit a row is shown in: under icount a guest ns is one executed instruction."""
    if not icount:
        return unit
    return "insns" if unit == "ns" else "MB/s (icount)"


def markdown_table(rows: list[dict[str, object]], icount: bool = False) -> str:
    """The results as a Markdown table (latencies in instructions when icount)."""
    lines = ["| benchmark | unit | asterpy | Linux | ratio asterpy/Linux | better |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    for row in rows:
        ratio = row["ratio"]
        if ratio is None:
            rtxt = "n/a"
        else:
            rtxt = f"{ratio:.3g}"
            if row["ratio_min"] is not None and row["ratio_min"] != row["ratio_max"]:
                rtxt += f" ({row['ratio_min']:.3g}–{row['ratio_max']:.3g})"
        lines.append(f"| {row['name']} | {unit_label(str(row['unit']), icount)} | {_cell(row['asterpy'])} | {_cell(row['linux'])} "  # type: ignore[arg-type]
                     f"| {rtxt} | {row['better']} |")
    return "\n".join(lines)


def plot_ratios(rows: list[dict[str, object]], out: Path, title: str) -> Optional[Path]:
    """A horizontal bar chart of asterpy/Linux per benchmark (log scale, 1.0 marked); None without
    matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    names = [str(r["name"]) for r in rows]
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(rows) + 1.4))
    for i, r in enumerate(rows):
        ratio = r["ratio"]
        if ratio is None:
            ax.text(1.0, i, "  n/a", va="center", ha="left", color="grey", fontsize=8)
            continue
        color = "tab:green" if r["meets_target"] else "tab:red"
        ax.barh(i, ratio, left=0, color=color)
        ax.text(ratio, i, f" {ratio:.3g}", va="center", ha="left", fontsize=8)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{n} ({'↓' if r['better'] == 'lower' else '↑'})" for n, r in zip(names, rows)])
    ax.invert_yaxis()
    ax.set_xlabel("asterpy / Linux (log scale; ↓ lower is better, ↑ higher is better; green = target met)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def _git(*args: str) -> str:
    """A git command's stdout in the repository ('' if git fails)."""
    p = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    return p.stdout.strip() if p.returncode == 0 else ""


def plot_history(results_dir: Path, out: Path, report: Reporter, icount: Optional[bool] = None) -> Optional[Path]:
    """The ratio of every benchmark over the commits with results (oldest first), as a PNG.

    icount True or False keeps only the results of that mode (`<commit>-icount.json` or the
    wall-clock `<commit>.json`); None: icount results when there are any, else wall-clock ones.
    """
    if icount is None:
        icount = any(results_dir.glob("*-icount.json"))
    pattern = r"[0-9a-f]{7,40}-icount" if icount else r"[0-9a-f]{7,40}"
    files = [p for p in results_dir.glob("*.json") if re.fullmatch(pattern, p.stem)]
    entries = []
    for p in files:
        try:
            data = json.loads(p.read_text())
        except ValueError:
            continue
        if data.get("kind") != "asterpy-bench":
            continue
        when = _git("log", "-1", "--format=%ct", data.get("commit", "")) or str(data.get("unix_time", 0))
        entries.append((int(when or 0), data))
    if not entries:
        report(f"no bench results in {results_dir} (run `asterpy bench` first)")
        return None
    entries.sort(key=lambda e: e[0])
    report("| commit | date | " + " | ".join(BENCHMARKS) + " |")
    report("| --- | --- | " + " | ".join("---:" for _ in BENCHMARKS) + " |")
    series: dict[str, list[Optional[float]]] = {n: [] for n in BENCHMARKS}
    for _, data in entries:
        by_name = {r["name"]: r for r in data["rows"]}
        cells = []
        for n in BENCHMARKS:
            ratio = by_name.get(n, {}).get("ratio")
            series[n].append(ratio)
            cells.append("n/a" if ratio is None else f"{ratio:.2f}")
        report(f"| {data['commit']} | {data.get('date', '')[:10]} | " + " | ".join(cells) + " |")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    labels = [d["commit"] for _, d in entries]
    fig, ax = plt.subplots(figsize=(max(7, 0.8 * len(labels) + 5), 5))
    colors = plt.get_cmap("tab20").colors
    for i_n, (n, ys) in enumerate(series.items()):
        if any(y is not None for y in ys):
            xs = [i for i, y in enumerate(ys) if y is not None]
            ax.plot(xs, [ys[i] for i in xs], marker="o", label=n, color=colors[i_n % len(colors)],
                    linestyle="-" if BENCHMARKS[n][1] == "lower" else "--")
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("asterpy / Linux (log)")
    ax.set_title("asterpy bench over commits" + (" (icount: instructions)" if icount else " (wall clock)")
                 + " (dashed: bandwidths, higher is better)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


# ---------------------------------------------------------------------------------------------
# The command


def asterpy_kernel(build: bool, report: Reporter) -> Path:
    """asterpy's PVH kernel ELF, built first unless build is False."""
    from translator.build import build_kernel, out_dir
    if build:
        result = build_kernel("x86_64", pvh=True, report=None)
        if result.kernel_pvh is not None and result.kernel_pvh.is_file():
            return result.kernel_pvh
        return result.kernel
    for name in ("kernel-pvh.elf", "kernel.elf"):
        if (out_dir("x86_64") / name).is_file():
            return out_dir("x86_64") / name
    raise BenchError("no asterpy kernel under images/out/x86_64: run `asterpy build --arch x86_64`")


def qemu_version() -> str:
    """`qemu-system-x86_64 --version`'s first line."""
    p = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True, check=False)
    return p.stdout.splitlines()[0] if p.stdout else "?"


def run_bench(runs: int = 3, quick: bool = False, accel: Optional[str] = None, build: bool = True,
              linux: Optional[Path] = None, results_dir: Path = RESULTS_DIR, timeout: Optional[float] = None,
              report: Reporter = print, chart: bool = True, icount: bool = False,
              only: Optional[str] = None) -> dict[str, object]:
    """Boot both kernels `runs` times each, alternating; print the table; write JSON and the chart.

    icount: both under ICOUNT_ARGS (TCG), latencies then count instructions; only: a comma-separated
    list of benchmarks to run (the others are n/a).
    """
    if shutil.which("qemu-system-x86_64") is None:
        raise BenchError("qemu-system-x86_64 not found (Debian: qemu-system-x86)")
    if only:
        unknown = [n for n in only.split(",") if n not in BENCHMARKS]
        if unknown:
            raise BenchError(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    report("asterpy bench" + (" --quick" if quick else "") + (" --icount" if icount else "")
           + (f" --only {only}" if only else ""))
    if icount and accel == "kvm":
        raise BenchError("--icount needs TCG (KVM does not count instructions)")
    used_accel = "tcg" if icount else choose_bench_accel(accel, report)
    ast_elf = asterpy_kernel(build, report)
    if linux is not None:
        lk = LinuxKernel(linux, "given", "")
        if linux.read_bytes()[:4] != b"\x7fELF":
            data = extract_vmlinux(linux.read_bytes())
            lk.vmlinux = CACHE_DIR / "linux" / "given-vmlinux"
            lk.vmlinux.parent.mkdir(parents=True, exist_ok=True)
            lk.vmlinux.write_bytes(data)
    else:
        lk = fetch_linux(report)
    bench_exe = build_program("bench")
    target_exe = build_program("exec_target")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    initrd = make_initramfs(CACHE_DIR / "initramfs.cpio",
                            {"init": bench_exe.read_bytes(), "bin/exec_target": target_exe.read_bytes()})
    elves = {"asterpy": ast_elf, "linux": lk.vmlinux}
    report(f"  accel {used_accel}" + (f" {' '.join(ICOUNT_ARGS)}" if icount else "") + f", QEMU machine {MACHINE}, 1 vCPU, {MEMORY_MB} MiB; {runs} run(s) each, alternating")
    report(f"  asterpy: {ast_elf.relative_to(REPO_ROOT) if ast_elf.is_relative_to(REPO_ROOT) else ast_elf}")
    report(f"  linux:   {lk.package} {lk.version} ({lk.vmlinux.name}, PVH entry)")
    args = ("--quick" if quick else "") + (f" --only {only}" if only else "")
    args = args.strip()
    per_boot = timeout or (60.0 if quick else 300.0)
    if used_accel == "kvm":
        per_boot = min(per_boot, 120.0)
    results: dict[str, list[BootRun]] = {k: [] for k in KERNELS}
    for i in range(runs):
        for k in (KERNELS if i % 2 == 0 else KERNELS[::-1]):
            r = boot(k, elves[k], initrd, args, used_accel, per_boot, icount)
            if i == 0 and k == "linux" and used_accel == "kvm" and r.boot_to_init is None:
                report("  kvm: Linux did not reach init with KVM: falling back to TCG for both")
                return run_bench(runs, quick, "tcg", False, lk.vmlinux, results_dir, timeout, report, chart,
                                 icount, only)
            status = "done" if r.done else ("TIMEOUT" if r.timed_out else f"ended early (QEMU {r.returncode})")
            b2i = f"{r.boot_to_init:.2f} s" if r.boot_to_init is not None else "never"
            report(f"  run {i + 1}/{runs} {k:<8} boot-to-init {b2i:>8}, total {r.total:6.1f} s, "
                   f"{len(r.values)} ok, {len(r.failures)} FAIL, {status}")
            if not r.done:
                tail = "\n".join(r.output.rstrip().splitlines()[-15:])
                report("    last lines of its console:\n" + "\n".join("    | " + t for t in tail.splitlines()))
            results[k].append(r)
    rows = summarize(results)
    b2i = {k: [r.boot_to_init for r in results[k] if r.boot_to_init is not None] for k in KERNELS}
    report("")
    report(markdown_table(rows, icount))
    report("")
    b2i_line = "boot-to-init (QEMU start to the first line of /init, host wall time): " + ", ".join(
        f"{k} {_fmt(_median(b2i[k]))} s" + (f" ({_fmt(min(b2i[k]))}–{_fmt(max(b2i[k]))})" if len(b2i[k]) > 1 else "")
        for k in KERNELS)
    report(b2i_line)
    na = [str(r["name"]) for r in rows if r["ratio"] is None and (not only or r["name"] in only.split(","))]
    if na:
        report(f"n/a: {len(na)} of {len(rows)} benchmarks do not run on asterpy yet ({', '.join(na)})")
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    data: dict[str, object] = {
        "kind": "asterpy-bench",
        "commit": commit,
        "dirty": dirty,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "unix_time": int(time.time()),
        "quick": quick,
        "runs": runs,
        "accel": used_accel,
        "icount": icount,
        "qemu_args": list(ICOUNT_ARGS) if icount else [],
        "only": only or "",
        "qemu": qemu_version(),
        "machine": MACHINE,
        "memory_mb": MEMORY_MB,
        "host": {"cpus": os.cpu_count(), "load_average": list(load), "cpu": platform.processor()
                 or platform.machine()},
        "linux": {"package": lk.package, "version": lk.version},
        "cmdline": {k: f"{KERNEL_CMDLINE[k]} {SHARED_CMDLINE} {args}".strip() for k in KERNELS},
        "boot_to_init_s": b2i,
        "rows": rows,
        "runs_raw": {k: [{"values": r.values, "failures": r.failures, "boot_to_init": r.boot_to_init,
                          "total": r.total, "done": r.done, "timed_out": r.timed_out} for r in results[k]]
                     for k in KERNELS},
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = commit + ("-quick" if quick else "") + ("-icount" if icount else "") + ("-only" if only else "")
    json_path = results_dir / f"{stem}.json"
    json_path.write_text(json.dumps(data, indent=1) + "\n")
    report(f"wrote {json_path}")
    if chart:
        title = (f"asterpy {commit}{'+' if dirty else ''} vs Linux {lk.version}, {used_accel.upper()}"
                 + (" -icount shift=0 (instructions)" if icount else "") + ", "
                 f"median of {runs}" + (" (quick)" if quick else ""))
        png = plot_ratios(rows, results_dir / f"{stem}.png", title)
        report(f"wrote {png}" if png else "no chart: matplotlib is not installed (./dev setup installs it)")
    if icount:
        report("icount: latencies are instructions per iteration (deterministic); bandwidths are bytes "
               "per virtual µs = per 1000 instructions; boot-to-init is host wall time")
    report(f"accel: {used_accel.upper()}" + ("" if used_accel == "kvm" else
                                               " (KVM does not work here; both kernels pay the same emulation)")
           + f"; host load average {load[0]:.1f} on {os.cpu_count()} CPUs")
    return data


# ---------------------------------------------------------------------------------------------
# Profiling asterpy: sample the guest's instruction pointer through QEMU's gdbstub


class GdbStub:
    """A minimal GDB remote-protocol client: interrupt, read a register, continue."""

    def __init__(self, port: int, timeout: float = 20.0) -> None:
        """Connect to QEMU's gdbstub on localhost:port (retrying while QEMU starts)."""
        import socket
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=5.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.buf = b""

    def _send(self, data: str) -> None:
        """Send one packet ($data#checksum)."""
        self.sock.sendall(f"${data}#{sum(data.encode()) & 0xFF:02x}".encode())

    def _packet(self) -> str:
        """The next packet's data (acks skipped, the packet acknowledged)."""
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                data = self.buf[start + 1:end].decode(errors="replace")
                self.buf = self.buf[end + 3:]
                self.sock.sendall(b"+")
                return data
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("gdbstub closed the connection")
            self.buf += chunk

    @staticmethod
    def _is_stop(reply: str) -> bool:
        """True for a stop reply (QEMU also sends one unasked when a client attaches)."""
        return reply[:1] in ("T", "S")

    def command(self, data: str) -> str:
        """Send a command and return its reply (stop replies that come first are skipped)."""
        self._send(data)
        for _ in range(8):
            reply = self._packet()
            if data == "?" or not self._is_stop(reply):
                return reply
        raise ValueError(f"no reply to {data!r} from the gdbstub")

    def interrupt(self) -> str:
        """Stop the guest (Ctrl-C); the stop reply."""
        self.sock.sendall(b"\x03")
        return self._packet()

    def cont(self) -> None:
        """Let the guest run (the reply comes with the next stop)."""
        self._send("c")

    def rip(self) -> int:
        """The x86_64 instruction pointer (register 16 of QEMU's x86-64 description)."""
        reply = self.command("p10")
        if len(reply) != 16 or any(c not in "0123456789abcdefABCDEF" for c in reply):
            raise ValueError(f"no register value from the gdbstub (reply {reply!r})")
        return int.from_bytes(bytes.fromhex(reply), "little")

    def close(self) -> None:
        """Close the connection (QEMU keeps running)."""
        try:
            self.sock.close()
        except OSError:
            pass


def kernel_symbols(elf: Path) -> list[tuple[int, str]]:
    """(address, name) of the ELF's function symbols, sorted (nm -n)."""
    nm = shutil.which("nm")
    if nm is None:
        return []
    out = subprocess.run([nm, "-n", "--defined-only", str(elf)], capture_output=True, text=True,
                         check=False).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def symbolize(pc: int, syms: list[tuple[int, str]]) -> str:
    """The function containing pc, '[user]' below the kernel half, or '[kernel ?]'."""
    import bisect
    if pc < (1 << 47):
        return "[user]"
    i = bisect.bisect_right(syms, (pc, "\uffff")) - 1
    return syms[i][1] if i >= 0 else "[kernel ?]"


def profile_asterpy(name: str, seconds: float = 5.0, rate: float = 10.0, build: bool = True,
                    report: Reporter = print, top: int = 25) -> dict[str, int]:
    """Run benchmark `name` alone on asterpy (timed loop >= `seconds`) and sample the guest's
    instruction pointer `rate` times a second through QEMU's gdbstub; print the top functions.

    Each sample stops the guest and lets it go again; under TCG the vCPU takes some milliseconds to
    resume, so much faster rates than ~10/s keep sampling the same instruction.
    """
    import socket
    from images.qemu import QemuConfig, QemuSession
    if name not in BENCHMARKS:
        raise BenchError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    elf = asterpy_kernel(build, report)
    syms = kernel_symbols(elf)
    bench_exe, target_exe = build_program("bench"), build_program("exec_target")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    initrd = make_initramfs(CACHE_DIR / "initramfs.cpio",
                            {"init": bench_exe.read_bytes(), "bin/exec_target": target_exe.read_bytes()})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = f"--only {name} --ms {int(seconds * 1000)} --reps 1"
    cmdline = f"{KERNEL_CMDLINE['asterpy']} {SHARED_CMDLINE} {args}"
    cfg = QemuConfig(kernel=elf, arch="x86_64", machine=MACHINE, accel="tcg", memory_mb=MEMORY_MB, smp=1,
                     cmdline=cmdline, initrd=initrd, timeout=600.0,
                     extra_args=("-gdb", f"tcp:127.0.0.1:{port}"))
    counts: dict[str, int] = {}
    session = QemuSession(cfg)
    try:
        gdb = GdbStub(port)
        try:
            gdb.command("?")  # attaching stops the guest: ask where, then let it run
            # QEMU answers 'p' (read one register) only to a client that read the target XML.
            gdb.command("qXfer:features:read:target.xml:0,ffff")
            gdb.cont()
            if session.wait_for("bench start", 120.0) is None:
                raise BenchError("asterpy did not start the bench program:\n" + session.output[-2000:])
            done = re.compile(r"^bench done$", re.M)
            deadline = time.monotonic() + max(120.0, 40.0 * seconds)
            while (session.proc.poll() is None and not done.search(session.output)
                   and time.monotonic() < deadline):
                try:
                    gdb.interrupt()
                    where = symbolize(gdb.rip(), syms)
                    gdb.cont()
                except (ConnectionError, OSError, ValueError):
                    break
                counts[where] = counts.get(where, 0) + 1
                time.sleep(1.0 / rate)
        finally:
            gdb.close()
        session.wait(15.0)
    finally:
        session.close()
    run = parse_output(session.output, BootRun("asterpy"))
    total = sum(counts.values())
    value = run.values.get(name)
    report(f"asterpy {name}: {value if value is not None else run.failures.get(name, 'no result')} "
           f"{BENCHMARKS[name][0] if value is not None else ''}; {total} samples of the guest's rip "
           f"(gdbstub, ~{rate:g}/s, TCG)")
    for sym, n in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
        report(f"  {100.0 * n / max(total, 1):5.1f}%  {n:5d}  {sym}")
    return counts


# ---------------------------------------------------------------------------------------------
# The click command (hooked into translator/cli.py's group as `asterpy bench`)

import click  # noqa: E402  (the command line only)


@click.command("bench")
@click.option("--runs", "-n", type=click.IntRange(1, 50), default=None,
              help="Boots of each kernel, alternating (default 3; 1 with --quick).")
@click.option("--quick", is_flag=True, help="Tiny iteration counts and 1 run: a smoke test, not a measurement.")
@click.option("--accel", type=click.Choice(("tcg", "kvm")), default=None,
              help="Force an accelerator (default: KVM when a guest really runs with it, else TCG).")
@click.option("--no-build", is_flag=True, help="Use the existing asterpy kernel ELF without (re)building.")
@click.option("--linux", "linux", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A Linux vmlinux (PVH ELF) or bzImage instead of fetching Debian's linux-image-amd64.")
@click.option("--results-dir", type=click.Path(file_okay=False, path_type=Path), default=RESULTS_DIR,
              show_default=True, help="Where the JSON results and the PNG charts go.")
@click.option("--timeout", type=float, default=None, help="Seconds per boot before QEMU is stopped.")
@click.option("--history", is_flag=True, help="Plot the ratios of every result in --results-dir over commits "
              "(the icount results when there are any, or as --icount / --wall-clock say).")
@click.option("--icount/--wall-clock", "icount", default=None,
              help="Both kernels under QEMU -icount shift=0: latencies count instructions, the same every "
              "run (TCG only). Default: wall clock.")
@click.option("--only", default=None, metavar="A,B", help="Run only these benchmarks.")
@click.option("--profile", "profile", default=None, metavar="NAME",
              help="Run one benchmark on asterpy only and sample the guest's rip through the gdbstub.")
@click.option("--profile-seconds", type=float, default=5.0, show_default=True,
              help="With --profile: how long the timed loop runs at least.")
def bench_command(runs: Optional[int], quick: bool, accel: Optional[str], no_build: bool, linux: Optional[Path],
                  results_dir: Path, timeout: Optional[float], history: bool, icount: Optional[bool],
                  only: Optional[str], profile: Optional[str], profile_seconds: float) -> None:
    """Benchmark asterpy against Debian's Linux in the same QEMU (benchmarks/user/bench.c as init)."""
    if profile:
        from translator.build import BuildError
        try:
            profile_asterpy(profile, profile_seconds, build=not no_build, report=click.echo)
        except (BenchError, BuildError, OSError) as exc:
            click.echo(f"asterpy bench: {exc}", err=True)
            sys.exit(1)
        return
    if history:
        out = plot_history(results_dir, results_dir / "history.png", click.echo, icount)
        if out:
            click.echo(f"wrote {out}")
        return
    from translator.build import BuildError
    try:
        run_bench(runs or (1 if quick else 3), quick, accel, not no_build, linux, results_dir, timeout, click.echo,
                  icount=bool(icount), only=only)
    except (BenchError, BuildError, OSError) as exc:
        click.echo(f"asterpy bench: {exc}", err=True)
        sys.exit(1)
