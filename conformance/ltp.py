"""`asterpy conformance ltp`: Linux Test Project cases in asterpy and, as the baseline, in Debian's Linux.

The cases (default: the anchor's 546 of runtest/syscalls, conformance/ltp-anchor-cases.txt) are
built static by conformance/ltp_build.py, packed with busybox and conformance/runner.sh (as /init)
into initramfs images of at most --batch cases each, and booted in the same QEMU (x86_64 `pc`,
TCG unless KVM works, 1 vCPU, 1 GiB) with asterpy's kernel and with Debian's Linux (fetched and
cached by benchmarks/bench.py).  Each case runs under `timeout` and ends as one of

    pass         exit status 0
    unsupported  exit status 32 (TCONF only: the case says the system lacks something it needs)
    fail         a TFAIL (bit 1) or a warning without TBROK
    broken       TBROK (bit 2), a signal, or a program that could not start
    timeout      killed by the runner's timeout, or LTP's own "Test timed out"
    lost         the kernel stopped (hung or ended) while the case ran; the run goes on in a new boot

Results: JSON (every case, both kernels: status, exit status, seconds, first error line; the logs
of cases that do not pass) and, with --doc, docs/conformance.md and the list of cases that pass in
asterpy (conformance/ltp-asterpy-passing.txt, what CI keeps).  Full logs go to the run directory
under the cache (~/.cache/asterpy/ltp/runs/<time>/<kernel>/<case>.log).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

from conformance.ltp_build import (ANCHOR_CASES, BuiltSet, Case, LtpBuildError, build_cases, cache_root,
                                   prepare_tree, read_case_names)

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
RUNNER = HERE / "runner.sh"
DOC = REPO_ROOT / "docs" / "conformance.md"
RESULTS_JSON = REPO_ROOT / "docs" / "conformance" / "ltp-results.json"
PASSING_LIST = HERE / "ltp-asterpy-passing.txt"
CI_LIST = HERE / "ltp-ci-cases.txt"
KERNELS = ("asterpy", "linux")
STATUSES = ("pass", "fail", "broken", "unsupported", "timeout", "lost")
MEMORY_MB = 1024
CASE_TIMEOUT = 150          # seconds, the runner's `timeout` for one case (fcntl14 needs > 90 on Linux, TCG)
TIMEOUT_MUL = 2             # LTP_TIMEOUT_MUL: LTP's own per-test timeouts, doubled for TCG
DEFAULT_BATCH = 100         # cases per boot: the image holds their programs in RAM
# The kernels' command lines: Linux takes rdinit= for an initramfs (init= names a disk's init).
KERNEL_CMDLINE = {"asterpy": "exit=1 quiet init=/init",
                  "linux": "console=ttyS0 quiet panic=-1 rdinit=/init"}
BEGIN_RE = re.compile(r"^@@LTP-BEGIN (\d+) (\S+)$", re.M)
END_RE = re.compile(r"^@@LTP-END (\d+) (\S+) (\d+) (\d+)$", re.M)
NOTE_RE = re.compile(r"^@@LTP-NOTE (.*)$", re.M)
# LTP's result lines: "file.c:123: TFAIL: message" (new API) or "name    1  TFAIL  :  file.c:12: message".
ERROR_LINE_RE = re.compile(r"\b(TFAIL|TBROK|TCONF)\b")

Reporter = Callable[[str], None]


@dataclass
class CaseResult:
    """One case on one kernel."""

    name: str
    status: str                      # one of STATUSES
    exit_status: Optional[int]       # the runner's $? (None when lost)
    seconds: float                   # wall time on the host, BEGIN to END
    first_error: str = ""            # the first TFAIL/TBROK (or TCONF) line, file:line prefix kept
    log: str = ""                    # the case's output (kept in the JSON only when it did not pass)


@dataclass
class KernelRun:
    """Every case on one kernel, and what happened around them."""

    kernel: str
    results: dict[str, CaseResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    boots: int = 0
    seconds: float = 0.0


def runner_script(case_timeout: int = CASE_TIMEOUT, timeout_mul: int = TIMEOUT_MUL) -> str:
    """conformance/runner.sh with its settings filled in."""
    return (RUNNER.read_text().replace("@TIMEOUT_MUL@", str(timeout_mul))
            .replace("@CASE_TIMEOUT@", str(case_timeout)))


# LTP formats its test devices with mkfs.<fs>; busybox has mke2fs under that name only.
MKFS_EXT2 = b'#!/bin/sh\n# mkfs.ext2 for LTP (conformance/ltp.py): busybox mke2fs.\nexec /bin/busybox mke2fs "$@"\n'


def make_image(cases: list[Case], built: BuiltSet, out: Path, case_timeout: int,
               extras: Optional[dict[str, bytes]] = None) -> Path:
    """An initramfs: busybox (and mkfs.ext2), /etc, the runner as /init, the cases' programs, every
    helper, and `extras` (Linux's loop.ko and .config, see conformance/linux_extras.py)."""
    from images.initramfs import (DIRS, S_IFDIR, S_IFREG, Member, busybox_members, rootfs_members,
                                            write_image)
    by_name: dict[str, Member] = {d: Member(d, S_IFDIR | mode) for d, mode in DIRS.items()}
    for m in rootfs_members() + busybox_members("x86_64"):
        by_name[m.name] = m
    for d in ("opt", "opt/ltp", "opt/ltp/testcases", "opt/ltp/testcases/bin", "opt/ltp/testcases/data"):
        by_name[d] = Member(d, S_IFDIR | 0o755)
    by_name["init"] = Member("init", S_IFREG | 0o755, runner_script(case_timeout).encode())
    lines = "".join(f"{c.name} {' '.join(c.argv)}\n" for c in cases)
    by_name["opt/ltp/cases.txt"] = Member("opt/ltp/cases.txt", S_IFREG | 0o644, lines.encode())
    # The cases' programs, and the helpers of every built directory (execve_child and the like):
    # helpers are small and a case may exec one from another directory's build.
    wanted = {c.program for c in cases}
    helpers = set(built.helpers)
    for prog in sorted(p.name for p in built.bin_dir.iterdir()):
        if prog in wanted or prog in helpers:
            name = f"opt/ltp/testcases/bin/{prog}"
            by_name[name] = Member(name, S_IFREG | 0o755, (built.bin_dir / prog).read_bytes(), strip=True)
    by_name["usr/sbin/mkfs.ext2"] = Member("usr/sbin/mkfs.ext2", S_IFREG | 0o755, MKFS_EXT2)
    for name, data in (extras or {}).items():
        by_name[name] = Member(name, S_IFREG | 0o644, data)
    for name in list(by_name):
        parent = os.path.dirname(name)
        while parent and parent not in by_name:
            by_name[parent] = Member(parent, S_IFDIR | 0o755)
            parent = os.path.dirname(parent)
    members = [by_name[n] for n in sorted(by_name, key=lambda n: n.split("/"))]
    return write_image(members, out, compress=False)


def classify(exit_status: int, seconds: float, log: str, case_timeout: int) -> str:
    """The status of a case from its exit status, its time and its output."""
    if "Test timed out" in log or (exit_status in (124, 137, 143) and seconds >= case_timeout - 2):
        return "timeout"
    if exit_status == 0:
        return "pass"
    if exit_status == 32:
        return "unsupported"
    if exit_status >= 126 or exit_status & 2:
        return "broken"
    return "fail"


def first_error(log: str) -> str:
    """The first TFAIL/TBROK line of a log (else the first TCONF line, else a line saying something
    failed); source paths cut to the file name."""
    lines = [re.sub(r"\S*/([\w.-]+\.[ch]:\d+:)", r"\1", ln.strip()) for ln in log.splitlines() if ln.strip()]
    for wanted in (("TFAIL", "TBROK"), ("TCONF",)):
        for ln in lines:
            m = ERROR_LINE_RE.search(ln)
            if m and m.group(1) in wanted:
                return ln[:300]
    for ln in lines:
        if re.search(r"\b(unexpectedly|returned TFAIL|failed)\b", ln):
            return ln[:300]
    return "no TFAIL/TBROK line in the output (see the log)"


def _boot(kernel: str, elf: Path, image: Path, start: int, stop: int, accel: Optional[str], case_timeout: int,
          report: Reporter) -> tuple[str, bool]:
    """Boot one kernel on the image running cases [start, stop); (serial output, whether it hung).

    The boot ends when the kernel powers off, or when nothing was printed for the case timeout
    plus a margin (a hung kernel): then QEMU is stopped."""
    from benchmarks.bench import MACHINE
    from images.qemu import QemuConfig, QemuSession
    cmdline = f"{KERNEL_CMDLINE[kernel]} -- {start} {stop}"
    cfg = QemuConfig(kernel=elf, arch="x86_64", machine=MACHINE, accel=accel, memory_mb=MEMORY_MB, smp=1,
                     cmdline=cmdline, initrd=image, timeout=0)
    idle_limit = case_timeout + 60
    hung = False
    with QemuSession(cfg) as session:
        seen, last_change = 0, time.monotonic()
        while True:
            rc = session.wait(1.0)
            out = session.output
            if rc is not None:
                break
            if "@@LTP-DONE" in out[-4096:]:
                if session.wait(15.0) is None:
                    report(f"  {kernel}: did not power off after the last case; stopping QEMU")
                break
            if len(out) != seen:
                seen, last_change = len(out), time.monotonic()
            elif time.monotonic() - last_change > idle_limit:
                hung = True
                break
        session.close()
        return session.output, hung


def parse_boot(output: str, run: KernelRun, cases: list[Case], start: int, hung: bool,
               case_timeout: int) -> int:
    """Add the results in one boot's output to run; the index to continue from (len(cases) when done)."""
    for m in NOTE_RE.finditer(output):
        if m.group(1) not in run.notes:
            run.notes.append(m.group(1))
    next_index = start
    begins = list(BEGIN_RE.finditer(output))
    for b in begins:
        idx, name = int(b.group(1)), b.group(2)
        end = END_RE.search(output, b.end())
        if end is not None and int(end.group(1)) == idx:
            body = output[b.end():end.start()].strip("\n")
            status_code, secs = int(end.group(3)), float(end.group(4))
            status = classify(status_code, secs, body, case_timeout)
            run.results[name] = CaseResult(name, status, status_code, secs, first_error(body) if status != "pass"
                                           else "", body)
            next_index = idx + 1
        else:
            body = output[b.end():].strip("\n")
            why = "the kernel stopped printing (hung)" if hung else "the kernel ended during the case"
            tail = output[-2000:] if not body else body
            run.results[name] = CaseResult(name, "lost", None, 0.0, why, tail)
            return idx + 1
    if "@@LTP-DONE" in output:
        return len(cases)
    if not begins:
        # The boot ended before the first case: nothing to resume from but the same index.
        return -1
    return next_index


def run_kernel(kernel: str, elf: Path, cases: list[Case], built: BuiltSet, accel: Optional[str], batch: int,
               case_timeout: int, work: Path, report: Reporter,
               extras: Optional[dict[str, bytes]] = None) -> KernelRun:
    """Every case on one kernel: images of `batch` cases, a new boot after a lost case."""
    run = KernelRun(kernel)
    started = time.monotonic()
    for first in range(0, len(cases), batch):
        chunk = cases[first:first + batch]
        image = make_image(chunk, built, work / f"ltp-{first:04d}.cpio", case_timeout, extras)
        index = 0
        failed_boots = 0
        while index < len(chunk):
            output, hung = _boot(kernel, elf, image, index, len(chunk), accel, case_timeout, report)
            run.boots += 1
            (work / kernel).mkdir(parents=True, exist_ok=True)
            (work / kernel / f"boot-{run.boots:03d}.log").write_text(output)
            nxt = parse_boot(output, run, chunk, index, hung, case_timeout)
            if nxt < 0:
                failed_boots += 1
                if failed_boots >= 2:
                    for c in chunk[index:]:
                        run.results[c.name] = CaseResult(c.name, "lost", None, 0.0,
                                                         "the kernel did not reach the runner", output[-2000:])
                    break
                continue
            if nxt < len(chunk):
                lost = chunk[nxt - 1].name
                report(f"  {kernel}: {lost} lost ({run.results[lost].first_error}); booting again from "
                       f"{chunk[nxt].name}")
            index = nxt
        done = min(first + batch, len(cases))
        counts = summary_counts(run.results)
        report(f"  {kernel}: {done}/{len(cases)} cases, {time.monotonic() - started:.0f} s: "
               + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    run.seconds = time.monotonic() - started
    for name, r in run.results.items():
        (work / kernel).mkdir(parents=True, exist_ok=True)
        (work / kernel / f"{name}.log").write_text(r.log + "\n")
    return run


def summary_counts(results: dict[str, CaseResult]) -> dict[str, int]:
    """How many cases ended in each status."""
    counts = {s: 0 for s in STATUSES}
    for r in results.values():
        counts[r.status] += 1
    return counts


def parse_case_option(value: Optional[str]) -> tuple[list[str], str]:
    """--cases: a list file, or names separated by commas; (names, a label for the report)."""
    if not value:
        return read_case_names(ANCHOR_CASES), f"{ANCHOR_CASES.relative_to(REPO_ROOT)}"
    if value == "all":
        return list(prepare_tree().runtest()), "all of LTP's runtest/syscalls"
    path = Path(value)
    if path.is_file():
        return read_case_names(path), str(path)
    return [n.strip() for n in value.split(",") if n.strip()], "command line"


def run_ltp(names: list[str], kernels: tuple[str, ...] = KERNELS, accel: Optional[str] = None, build: bool = True,
            linux: Optional[Path] = None, batch: int = DEFAULT_BATCH, case_timeout: int = CASE_TIMEOUT,
            report: Reporter = print, asterpy_elf: Optional[Path] = None) -> dict[str, object]:
    """Build the cases, run them on each kernel; the raw results (as written to the JSON)."""
    from benchmarks.bench import MACHINE, asterpy_kernel, choose_bench_accel, fetch_linux, qemu_version
    built = build_cases(names, report)
    tree = prepare_tree(report)
    source_dirs = tree.source_dirs()
    used_accel = choose_bench_accel(accel, report)
    work = cache_root() / "runs" / time.strftime("%Y%m%d-%H%M%S")
    work.mkdir(parents=True, exist_ok=True)
    report(f"ltp: {len(built.cases)} cases ({len(built.missing)} not buildable), accel {used_accel}, "
           f"logs in {work}")
    elves: dict[str, Path] = {}
    extras: dict[str, bytes] = {}
    linux_info = ""
    if "asterpy" in kernels:
        elves["asterpy"] = asterpy_elf if asterpy_elf is not None else asterpy_kernel(build, report)
    if "linux" in kernels:
        if linux is not None:
            elves["linux"] = linux
            linux_info = str(linux)
        else:
            from conformance.linux_extras import linux_extras
            lk = fetch_linux(report)
            elves["linux"] = lk.vmlinux
            linux_info = f"{lk.package} {lk.version}"
            extras = linux_extras(lk.vmlinux, lk.package, lk.version, report)
    runs: dict[str, KernelRun] = {}
    for k in kernels:
        report(f"ltp: running on {k}")
        runs[k] = run_kernel(k, elves[k], built.cases, built, used_accel, batch, case_timeout, work, report,
                             extras)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=False).stdout.strip()
    data: dict[str, object] = {
        "commit": commit,
        "asterpy_elf": str(elves.get("asterpy", "")),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "qemu": f"{qemu_version()}, x86_64 {MACHINE}, {used_accel}, 1 vCPU, {MEMORY_MB} MiB",
        "linux": linux_info,
        "image_extras": sorted(extras),
        "case_timeout": case_timeout,
        "timeout_mul": TIMEOUT_MUL,
        "build_key": built.key,
        "missing": built.missing,
        "cases": [c.name for c in built.cases],
        # The runtest directory of each case (testcases/kernel/syscalls/<dir>): the syscall it tests.
        "dirs": {c.name: source_dirs[c.program].name for c in built.cases if c.program in source_dirs},
        "kernels": {},
        "logs": str(work),
    }
    for k, run in runs.items():
        data["kernels"][k] = {  # type: ignore[index]
            "counts": summary_counts(run.results),
            "boots": run.boots,
            "seconds": round(run.seconds, 1),
            "notes": run.notes,
            "results": {n: {**asdict(r), "log": r.log[-4000:] if r.status != "pass" else ""}
                        for n, r in run.results.items()},
        }
    (work / "results.json").write_text(json.dumps(data, indent=1) + "\n")
    return data


def redo_outputs(raw: Path, linux_from: Optional[Path] = None) -> list[Path]:
    """Write the doc, the lists and docs/conformance/ltp-results.json again from a run's raw results
    (its Linux column from linux_from's, when given)."""
    from conformance.ltp_doc import write_outputs
    data = json.loads(raw.read_text())
    if linux_from is not None:
        take_linux_column(data, json.loads(linux_from.read_text()))
    if "dirs" not in data:
        tree = prepare_tree()
        source_dirs = tree.source_dirs()
        runtest = tree.runtest()
        data["dirs"] = {n: source_dirs[runtest[n].program].name for n in data["cases"]
                        if n in runtest and runtest[n].program in source_dirs}
    data.setdefault("case_list", str(ANCHOR_CASES.relative_to(REPO_ROOT)))
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(data, indent=1) + "\n")
    return [RESULTS_JSON] + write_outputs(data)


def take_linux_column(data: dict, other: dict) -> None:
    """Put the Linux results of an earlier run (the same cases from the same LTP build) into data, and
    say so (docs/conformance.md names that run)."""
    if other.get("cases") != data["cases"] or other.get("build_key") != data["build_key"]:
        raise SystemExit("asterpy conformance ltp: --linux-from: another case list or LTP build")
    data["kernels"]["linux"] = other["kernels"]["linux"]
    data["linux"] = other["linux"]
    data["image_extras"] = other.get("image_extras", [])
    data["linux_run"] = {"commit": other["commit"], "date": other["date"]}


def ltp_main(cases: Optional[str], kernels: str, accel: Optional[str], no_build: bool, linux: Optional[Path],
             batch: int, case_timeout: int, doc: Optional[bool], results: Optional[Path],
             from_results: Optional[Path] = None, asterpy_elf: Optional[Path] = None,
             linux_from: Optional[Path] = None) -> int:
    """The `asterpy conformance ltp` command; its exit status."""
    from conformance.ltp_doc import write_outputs
    if from_results is not None:
        for p in redo_outputs(from_results, linux_from):
            print(f"wrote {p}")
        return 0
    names, label = parse_case_option(cases)
    chosen = tuple(k.strip() for k in kernels.split(",") if k.strip())
    for k in chosen:
        if k not in KERNELS:
            print(f"asterpy conformance ltp: unknown kernel {k!r} (asterpy, linux)", file=sys.stderr)
            return 2
    if linux_from is not None and "linux" in chosen:
        print("asterpy conformance ltp: --linux-from goes with --kernels asterpy", file=sys.stderr)
        return 2
    try:
        data = run_ltp(names, chosen, accel, not no_build, linux, batch, case_timeout, asterpy_elf=asterpy_elf)
    except LtpBuildError as exc:
        print(f"asterpy conformance ltp: {exc}", file=sys.stderr)
        return 1
    data["case_list"] = label
    if linux_from is not None:
        take_linux_column(data, json.loads(linux_from.read_text()))
    for k, kd in data["kernels"].items():  # type: ignore[union-attr]
        print(f"{k}: " + ", ".join(f"{s} {n}" for s, n in kd["counts"].items()) + f" ({kd['seconds']:.0f} s)")
    write_doc = doc if doc is not None else (cases is None and set(data["kernels"]) == set(KERNELS))
    out_json = results or (RESULTS_JSON if write_doc else Path(str(data["logs"])) / "results.json")
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    print(f"results: {out_json}")
    if write_doc:
        for p in write_outputs(data):
            print(f"wrote {p}")
    return 0
