"""Translator benchmarks: translation speed per stage on a generated program, and compiled routines against C."""
from __future__ import annotations

import datetime
import importlib
import inspect
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

import click

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
ROUTINES_DIR = BENCH_DIR / "routines"
BUILD_DIR = BENCH_DIR / "build"  # ignored by git (.gitignore has build/)
RESULTS_DIR = BENCH_DIR / "results"

# The repository root holds the `translator` package; src/ holds `asterpy` (for gen_program's imports).
for _p in (REPO_ROOT, REPO_ROOT / "src", BENCH_DIR):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import gen_program  # noqa: E402  (benchmarks/gen_program.py, found through sys.path above)


class Unavailable(Exception):
    """A part of the toolchain this benchmark needs does not exist (yet)."""


# ---------------------------------------------------------------------------------------- helpers


def git_short_hash() -> str:
    """The short hash of HEAD (read-only git), or 'nogit' outside a repository."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "nogit"


def git_dirty() -> Optional[bool]:
    """True if the work tree has uncommitted changes (the numbers then describe more than HEAD)."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True)
        return bool(out.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return None


def cpu_model() -> str:
    """The host CPU's model name from /proc/cpuinfo, or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def host_info() -> dict[str, Any]:
    """What the numbers were measured on: CPU, core count, Python, llvmlite and zig versions."""
    info: dict[str, Any] = {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
                            "machine": platform.machine()}
    try:
        import llvmlite
        info["llvmlite"] = llvmlite.__version__
    except ImportError:
        info["llvmlite"] = None
    try:
        out = subprocess.run(zig_cc()[:-1] + ["version"], capture_output=True, text=True, check=True)
        info["zig"] = out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        info["zig"] = None
    return info


def zig_cc() -> list[str]:
    """The command that runs zig's C compiler from this Python's ziglang package."""
    return [sys.executable, "-m", "ziglang", "cc"]


def load_driver() -> Any:
    """The translator driver module, or Unavailable with the reason."""
    try:
        return importlib.import_module("translator.driver")
    except ImportError as e:
        raise Unavailable(f"translator.driver cannot be imported ({e}); the translator is not there yet") from None


def call_with_supported(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any],
                        optional: dict[str, Any]) -> Any:
    """Call fn(*args, **kwargs), adding each optional keyword only if fn's signature accepts it."""
    try:
        params = inspect.signature(fn).parameters
        accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        extra = {k: v for k, v in optional.items() if accepts_any or k in params}
    except (TypeError, ValueError):
        extra = {}
    return fn(*args, **kwargs, **extra)


def run(cmd: list[str], what: str, cwd: Optional[Path] = None, timeout: float = 600) -> str:
    """Run a command and return its stdout; a failure raises with the command's own stderr."""
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {p.returncode}): {' '.join(map(str, cmd))}\n"
                           f"{p.stdout}{p.stderr}")
    return p.stdout


# ------------------------------------------------------------------------- (a) translation speed


def time_stages(driver: Any, src: Path, timings: dict[str, float]) -> float:
    """Translate src at O2 for the host stage by stage, filling timings; return the total seconds.

    translate() fills its own stages (parse+resolve, check, lower); optimize_ir() adds "optimize";
    "codegen" is object emission from the already optimized IR (parsing it again included)."""
    t0 = time.perf_counter()
    tr = call_with_supported(driver.translate, ([src],), {"arch": "host", "opt": 2, "timings": timings},
                             {"cache": False})
    if not timings and isinstance(getattr(tr, "timings", None), dict):
        timings.update(tr.timings)
    optimize_ir = getattr(driver, "optimize_ir", None)
    if optimize_ir is not None and tr is not None:
        ir = optimize_ir(tr, 2)
        timings.setdefault("optimize", time.perf_counter() - t0 - sum(timings.values()))
        try:
            from translator.optimize import parse_ir
            from translator.targets import create_target_machine
        except ImportError:
            return time.perf_counter() - t0
        t1 = time.perf_counter()
        mod = parse_ir(ir)
        mod.triple, mod.data_layout = tr.target.triple, tr.target.data_layout
        create_target_machine(tr.target, 2).emit_object(mod)
        timings["codegen"] = time.perf_counter() - t1
    return time.perf_counter() - t0


def bench_translation(lines: int, seed: int, repeats: int, keep: Optional[Path]) -> dict[str, Any]:
    """Time the translator per stage and compile_file() end to end at O2 on a generated program; best of repeats."""
    driver = load_driver()
    translate = getattr(driver, "translate", None)
    compile_file = getattr(driver, "compile_file", None)
    if translate is None and compile_file is None:
        raise Unavailable("translator.driver has neither translate() nor compile_file() yet")

    text = gen_program.generate(lines=lines, seed=seed)
    n_lines = text.count("\n")
    result: dict[str, Any] = {"lines": n_lines, "seed": seed, "repeats": repeats,
                              "functions": text.count("\ndef "), "opt": 2, "arch": "host"}
    with tempfile.TemporaryDirectory(prefix="kpy-bench-") as tmp:
        src = Path(tmp) / "gen_bench.py"
        best_stages: Optional[dict[str, float]] = None
        best_total = best_e2e = float("inf")
        e2e_stages: dict[str, float] = {}
        for r in range(repeats):
            # A changed comment per run: a translation cache keyed by source hashes must miss.
            if translate is not None:
                src.write_text(f"# repeat {r}\n" + text)
                timings: dict[str, float] = {}
                total = time_stages(driver, src, timings)
                if total < best_total:
                    best_total, best_stages = total, dict(timings)
            if compile_file is not None:
                obj = Path(tmp) / "gen_bench.o"
                src.write_text(f"# repeat {r} (end to end)\n" + text)
                stages: dict[str, float] = {}
                t0 = time.perf_counter()
                call_with_supported(compile_file, (src,), {"arch": "host", "emit": "obj", "out": obj, "opt": 2},
                                    {"timings": stages, "cache": False})
                e2e = time.perf_counter() - t0
                if e2e < best_e2e:
                    best_e2e, e2e_stages = e2e, stages
                result["object_bytes"] = obj.stat().st_size if obj.exists() else None
        if keep is not None:
            keep.write_text(text)
    if translate is None:
        result["translate_note"] = "translator.driver.translate() is missing: no per-stage timings"
    else:
        result["stages_total_s"] = best_total
        result["stages"] = best_stages or {}
        if not best_stages:
            result["translate_note"] = "translate() filled no timings: per-stage numbers unavailable"
    if compile_file is not None:
        result["end_to_end_s"] = best_e2e
        result["end_to_end_stages"] = e2e_stages
    return result


# ------------------------------------------------------------------------ (b) routines against C


def external_calls(obj: Path) -> dict[str, list[str]]:
    """For each function of an object file, the undefined symbols it references (e.g. libc's memset).

    LLVM's loop-idiom pass may turn a byte loop into a call to memset/memcpy; the harness links
    libc's, so such a routine's time is libc's, not the translated loop's: the report says so."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection
    found: dict[str, set[str]] = {}
    with open(obj, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        if symtab is None:
            return {}
        syms = list(symtab.iter_symbols())
        for sec in elf.iter_sections():
            if not isinstance(sec, RelocationSection) or not sec.name.startswith(".rela.text"):
                continue
            target = sec.name[len(".rela"):]
            target_idx = next((i for i, s in enumerate(elf.iter_sections()) if s.name == target), None)
            funcs = [s for s in syms if s["st_info"]["type"] == "STT_FUNC" and s["st_shndx"] == target_idx]
            for rel in sec.iter_relocations():
                sym = syms[rel["r_info_sym"]]
                if sym["st_shndx"] != "SHN_UNDEF" or not sym.name:
                    continue
                off = rel["r_offset"]
                owner = next((fn.name for fn in funcs
                              if fn["st_value"] <= off < fn["st_value"] + max(fn["st_size"], 1)), "?")
                found.setdefault(owner, set()).add(sym.name)
    return {fn: sorted(names) for fn, names in sorted(found.items())}


def build_harness(selftest: bool) -> tuple[Path, list[list[str]], dict[str, list[str]]]:
    """Build the harness (kpy.o from the translator, or the -DSELFTEST alias build).

    Returns the executable, the build commands and the libc calls found in kpy.o."""
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    exe = BUILD_DIR / ("harness-selftest" if selftest else "harness")
    sources = [ROUTINES_DIR / "harness.c", ROUTINES_DIR / "c_routines.c"]
    commands: list[list[str]] = []
    calls: dict[str, list[str]] = {}
    if selftest:
        cmd = zig_cc() + ["-O2", "-DSELFTEST", *map(str, sources), "-o", str(exe)]
    else:
        driver = load_driver()
        compile_file = getattr(driver, "compile_file", None)
        if compile_file is None:
            raise Unavailable("translator.driver.compile_file() is missing: cannot build kpy.o")
        obj = BUILD_DIR / "kpy.o"
        call_with_supported(compile_file, (ROUTINES_DIR / "kpy_routines.py",),
                            {"arch": "host", "emit": "obj", "out": obj, "opt": 2}, {"cache": False})
        commands.append(["translator.driver.compile_file", "benchmarks/routines/kpy_routines.py",
                         "arch=host", "emit=obj", "opt=2", f"out={obj}"])
        calls = external_calls(obj)
        cmd = zig_cc() + ["-O2", *map(str, sources), str(obj), "-o", str(exe)]
    run(cmd, "building the harness")
    commands.append(cmd)
    return exe, commands, calls


def parse_harness(out: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Split harness output into result rows (routine kpy_ns c_ns ratio) and '#' comment lines."""
    rows, notes = [], []
    for line in out.splitlines():
        if line.startswith("#"):
            notes.append(line[1:].strip())
            continue
        m = re.fullmatch(r"(\S+) ([0-9.]+) ([0-9.]+) ([0-9.]+)", line.strip())
        if m:
            rows.append({"routine": m[1], "kpy_ns": float(m[2]), "c_ns": float(m[3]), "ratio": float(m[4])})
    return rows, notes


def bench_routines(selftest: bool, min_ms: float, repeats: int) -> dict[str, Any]:
    """Build and run the harness: its correctness gate, then kpy/C timings per routine."""
    exe, commands, calls = build_harness(selftest)
    p = subprocess.run([str(exe), "--min-ms", str(min_ms), "--repeats", str(repeats)],
                       capture_output=True, text=True, timeout=1800)
    rows, notes = parse_harness(p.stdout)
    if p.returncode != 0:
        raise RuntimeError(f"the harness failed its correctness gate (exit {p.returncode}):\n{p.stdout}{p.stderr}")
    return {"selftest": selftest, "min_ms": min_ms, "repeats": repeats, "build": commands,
            "kpy_external_calls": calls, "rows": rows, "notes": notes}


# ---------------------------------------------------------------------------------- (c) reports


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown tables, ready to paste into docs/benchmarks.md."""
    load = results.get("loadavg_start")
    cores = results["host"].get("cores") or 1
    busy = [f"**The machine was busy (load average {load[0]:.1f} on {cores} cores): the numbers are noisy.**", ""] \
        if load and load[0] > cores / 2 else []
    out = busy + [f"Commit `{results['git']}`{' (work tree had changes)' if results.get('dirty') else ''}, "
           f"{results['date']}, {results['host']['cpu']} ({results['host']['cores']} cores), "
           f"llvmlite {results['host'].get('llvmlite')}, zig {results['host'].get('zig')}"
           + (f", load average {results['loadavg_start'][0]:.2f} at the start" if "loadavg_start" in results else "")
           + ".", ""]
    tr = results.get("translation")
    if tr and "error" not in tr:
        lines = tr["lines"]
        out += [f"Translation of a generated program: {lines} lines, {tr['functions']} functions "
                f"(seed {tr['seed']}), O2 for the host, best of {tr['repeats']}.", "",
                "| stage | seconds | lines/s |", "| --- | ---: | ---: |"]
        for stage, secs in tr.get("stages", {}).items():
            out.append(f"| {stage} | {secs:.3f} | {lines / secs:,.0f} |" if secs > 0 else f"| {stage} | {secs:.3f} | - |")
        if "stages_total_s" in tr:
            out.append(f"| **all stages** | {tr['stages_total_s']:.3f} | {lines / tr['stages_total_s']:,.0f} |")
        if "end_to_end_s" in tr:
            out.append(f"| **compile_file() to .o, end to end** | {tr['end_to_end_s']:.3f} | "
                       f"{lines / tr['end_to_end_s']:,.0f} |")
        out += ["", "The stage rows time translate() (parse+resolve, check, lower), optimize_ir() and object "
                "emission separately, which prints the optimized IR and parses it again: their sum exceeds "
                "compile_file(), which does the same work in one pass (its \"emit\" = optimize + codegen)."]
        if tr.get("translate_note"):
            out += ["", f"Note: {tr['translate_note']}."]
        out.append("")
    elif tr:
        out += [f"Translation: not measured ({tr['error']}).", ""]
    ro = results.get("routines")
    if ro and "error" not in ro:
        kind = "SELFTEST build (kpy_* aliased to the C versions: the noise floor)" if ro["selftest"] \
            else "Kernel Python (translator, O2) against C (zig cc -O2)"
        out += [f"Routines, {kind}; ns per unit of work, best of {ro['repeats']} loops of >= {ro['min_ms']:g} ms; "
                "ratio = kpy / C (lower is better).", "",
                "| routine | work | kpy ns | C ns | ratio |", "| --- | --- | ---: | ---: | ---: |"]
        sizes = {n.split(":", 1)[0][5:]: n.split(":", 1)[1].strip() for n in ro["notes"] if n.startswith("size ")}
        for r in ro["rows"]:
            out.append(f"| {r['routine']} | {sizes.get(r['routine'], '')} | {r['kpy_ns']:,.1f} | "
                       f"{r['c_ns']:,.1f} | {r['ratio']:.2f} |")
        out.append("")
        for fn, names in ro.get("kpy_external_calls", {}).items():
            out += [f"Note: `{fn}` in kpy.o calls {', '.join(f'`{n}`' for n in names)} (LLVM turned a loop into "
                    "a library call; the harness links libc's, so that row times libc, not the translated loop).", ""]
    elif ro:
        out += [f"Routines: not measured ({ro['error']}).", ""]
    return "\n".join(out)


@click.command()
@click.option("--lines", default=20000, show_default=True, help="Size of the generated program.")
@click.option("--seed", default=1, show_default=True, help="Seed of the generated program.")
@click.option("--translate-repeats", default=3, show_default=True, help="Translations to take the best of.")
@click.option("--min-ms", default=50.0, show_default=True, help="Minimum length of one timed harness loop.")
@click.option("--repeats", default=5, show_default=True, help="Harness loops to take the best of.")
@click.option("--selftest", is_flag=True, help="Build the harness with kpy_* aliased to C (no translator needed).")
@click.option("--skip-translation", is_flag=True, help="Do not time the translator on the generated program.")
@click.option("--skip-routines", is_flag=True, help="Do not build and run the routine harness.")
@click.option("--keep-program", type=click.Path(path_type=Path), default=None,
              help="Also save the generated program to this file.")
@click.option("--json-out", type=click.Path(path_type=Path), default=None,
              help="Where to write the JSON results [benchmarks/results/translator-<git short hash>.json].")
def main(lines: int, seed: int, translate_repeats: int, min_ms: float, repeats: int, selftest: bool,
         skip_translation: bool, skip_routines: bool, keep_program: Optional[Path], json_out: Optional[Path]) -> None:
    """Run the translator benchmarks, write JSON results and print a Markdown table."""
    results: dict[str, Any] = {"git": git_short_hash(), "dirty": git_dirty(),
                               "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                               "host": host_info(), "loadavg_start": os.getloadavg()}
    failed = False
    cores = os.cpu_count() or 1
    if results["loadavg_start"][0] > cores / 2:
        click.echo(f"warning: load average {results['loadavg_start'][0]:.1f} on {cores} cores: "
                   "other work is running, expect noisy numbers", err=True)
    if not skip_translation:
        click.echo(f"translating a generated program of {lines} lines (best of {translate_repeats})...", err=True)
        try:
            results["translation"] = bench_translation(lines, seed, translate_repeats, keep_program)
        except Unavailable as e:
            click.echo(f"translation benchmark skipped: {e}", err=True)
            results["translation"] = {"error": str(e)}
    if not skip_routines:
        click.echo("building and running the routine harness...", err=True)
        try:
            results["routines"] = bench_routines(selftest, min_ms, repeats)
        except Unavailable as e:
            click.echo(f"routine benchmark skipped: {e} (try --selftest to check the harness alone)", err=True)
            results["routines"] = {"error": str(e)}
        except RuntimeError as e:
            click.echo(str(e), err=True)
            results["routines"] = {"error": str(e).splitlines()[0]}
            failed = True
    results["loadavg_end"] = os.getloadavg()
    path = json_out or RESULTS_DIR / f"translator-{results['git']}{'-selftest' if selftest else ''}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    click.echo(f"results written to {path}", err=True)
    click.echo(markdown(results))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
