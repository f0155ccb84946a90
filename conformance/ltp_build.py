"""Build Linux Test Project cases as static glibc programs, cached per machine outside the checkout.

The LTP source tarball is unpacked once per (tarball, recipe) into ~/.cache/asterpy/ltp/<key>/ltp,
configured with LDFLAGS=-static and its library built; each case is then built by LTP's own
makefiles (`make -C <dir> <program>`), so a later, larger case list only builds what is new.
A case list gets its own directory of binaries, sets/<hash of key + list>/bin, with a manifest.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

HERE = Path(__file__).resolve().parent
# The source is shared by every worktree of the machine (GPL-2.0-or-later test suite, never
# copied into the kernel); ASTERPY_LTP_TARBALL points elsewhere.
DEFAULT_TARBALL = Path("/work/shared/ltp/ltp-695827725f4f.tar.xz")
# The 546 cases of runtest/syscalls that the anchor kernel enables in its CI.
ANCHOR_CASES = HERE / "ltp-anchor-cases.txt"
# Bump when the build steps below change: it is part of the cache key.
RECIPE_VERSION = "ltp-static-glibc-1"
# Debian packages the build needs beyond gcc and libc6-dev (also in ./dev's list).
BUILD_DEBS = ("autoconf", "automake", "make", "pkg-config")
RUNTEST = "runtest/syscalls"

Reporter = Callable[[str], None]


class LtpBuildError(RuntimeError):
    """The LTP build could not be prepared (missing tarball or tools, configure failed)."""


@dataclass(frozen=True)
class Case:
    """One line of an LTP runtest file: the case's name and the command it runs."""

    name: str
    argv: tuple[str, ...]

    @property
    def program(self) -> str:
        """The program the case runs (several cases can share one)."""
        return self.argv[0]


@dataclass
class BuiltSet:
    """Static LTP programs for one case list, ready to pack into an image."""

    root: Path                      # sets/<hash>
    bin_dir: Path                   # every built program (cases and their helpers)
    cases: list[Case]               # the requested cases whose program was built
    missing: dict[str, str]         # requested case -> why it has no program
    key: str
    helpers: list[str]              # built programs no runtest case runs (exec'd by cases)

    def manifest(self) -> dict[str, object]:
        """What the set holds, as written to manifest.json."""
        return {"key": self.key, "cases": {c.name: list(c.argv) for c in self.cases}, "missing": self.missing,
                "helpers": self.helpers}


def _stderr(msg: str) -> None:
    """Default reporter: a line on stderr."""
    print(f"ltp: {msg}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    """Where LTP builds are cached: $ASTERPY_LTP_CACHE, else ~/.cache/asterpy/ltp."""
    env = os.environ.get("ASTERPY_LTP_CACHE")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "asterpy" / "ltp"


def tarball_path() -> Path:
    """The LTP source tarball: $ASTERPY_LTP_TARBALL, else the machine's shared copy."""
    return Path(os.environ.get("ASTERPY_LTP_TARBALL") or DEFAULT_TARBALL)


def _file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tree_key(tarball: Path) -> str:
    """The cache key of a configured source tree: the tarball's hash and the recipe version."""
    return hashlib.sha256(f"{_file_sha256(tarball)}\n{RECIPE_VERSION}".encode()).hexdigest()[:16]


def read_case_names(path: Path) -> list[str]:
    """Case names from a list file: one a line, '#' comments and blank lines ignored."""
    names: list[str] = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line.split()[0])
    return names


def parse_runtest(text: str) -> dict[str, Case]:
    """The cases of a runtest file, by name (later duplicates of a name are ignored)."""
    cases: dict[str, Case] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        if len(words) >= 2 and words[0] not in cases:
            cases[words[0]] = Case(words[0], tuple(words[1:]))
    return cases


@dataclass
class Tree:
    """An unpacked, configured LTP source tree with its library built."""

    src: Path
    key: str

    def runtest(self, name: str = RUNTEST) -> dict[str, Case]:
        """The cases of one runtest file of this tree."""
        return parse_runtest((self.src / name).read_text())

    def all_runtest_programs(self) -> set[str]:
        """Every program any runtest file runs (a .c outside this set is a helper or a library)."""
        progs: set[str] = set()
        for f in (self.src / "runtest").iterdir():
            if f.is_file():
                progs.update(c.program for c in parse_runtest(f.read_text(errors="replace")).values())
        return progs

    def source_dirs(self) -> dict[str, Path]:
        """Program name -> the directory whose Makefile builds it: <program>.c under testcases/, a
        Makefile's explicit rule or MAKE_TARGETS (sethostname01 from setdomainname01.c), and
        <name>_64 next to <name>.c (the same source with 64-bit offsets, LTP's newer_64.mk)."""
        found: dict[str, Path] = {}
        for c in sorted((self.src / "testcases").rglob("*.c")):
            found.setdefault(c.stem, c.parent)
        for mk in sorted((self.src / "testcases").rglob("Makefile")):
            text = mk.read_text(errors="replace")
            for m in re.finditer(r"^([A-Za-z0-9_]+)\s*:(?!=)", text, re.M):
                found.setdefault(m.group(1), mk.parent)
            for m in re.finditer(r"^MAKE_TARGETS\s*[:+]?=(.*)$", text, re.M):
                for word in m.group(1).split():
                    if re.fullmatch(r"[A-Za-z0-9_]+", word):
                        found.setdefault(word, mk.parent)
        for name, d in list(found.items()):
            if (d / "Makefile").is_file() and "newer_64.mk" in (d / "Makefile").read_text(errors="replace"):
                found.setdefault(name + "_64", d)
        return found


@dataclass
class _Lock:
    """An exclusive flock on a file for the duration of a with block (one build at a time)."""

    path: Path

    def __enter__(self) -> "_Lock":
        """Take the lock, waiting for another build to finish."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        """Release the lock."""
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


def _run(cmd: list[str], cwd: Path, log: Path, env: Optional[dict[str, str]] = None) -> int:
    """Run cmd in cwd, appending its output to log; its exit code."""
    with log.open("a") as out:
        out.write(f"\n$ (cd {cwd} && {' '.join(cmd)})\n")
        out.flush()
        return subprocess.call(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)


def check_tools() -> None:
    """Fail with the Debian packages to install if a build tool is missing."""
    missing = [deb for deb, tool in zip(BUILD_DEBS, ("autoconf", "automake", "make", "pkg-config"))
               if shutil.which(tool) is None]
    if shutil.which("gcc") is None:
        missing.append("gcc libc6-dev")
    if missing:
        raise LtpBuildError(f"missing build tools; apt-get install {' '.join(missing)} (./dev setup does)")


def prepare_tree(report: Reporter = _stderr, tarball: Optional[Path] = None) -> Tree:
    """Unpack, configure (static) and build LTP's library once per tarball and recipe; the tree."""
    tarball = tarball or tarball_path()
    if not tarball.is_file():
        raise LtpBuildError(f"LTP source tarball not found: {tarball} (set ASTERPY_LTP_TARBALL)")
    key = tree_key(tarball)
    base = cache_root() / key
    src = base / "ltp"
    done = base / "tree.done"
    with _Lock(base / "lock"):
        if done.is_file():
            return Tree(src, key)
        check_tools()
        report(f"preparing LTP tree {base} (unpack, configure static, build lib)")
        if src.exists():
            shutil.rmtree(src)
        base.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as tar:
            tar.extractall(base, filter="tar")
        if not src.is_dir():
            raise LtpBuildError(f"{tarball} has no top-level ltp/ directory")
        log = base / "tree.log"
        jobs = str(os.cpu_count() or 1)
        steps = [["make", "autotools"],
                 ["./configure", "LDFLAGS=-static"],
                 ["make", "-j", jobs, "-C", "lib"]]
        for step in steps:
            started = time.monotonic()
            if _run(step, src, log) != 0:
                raise LtpBuildError(f"LTP build step failed: {' '.join(step)} (see {log})")
            report(f"  {' '.join(step[:3])}: {time.monotonic() - started:.0f} s")
        done.write_text(RECIPE_VERSION + "\n")
    return Tree(src, key)


def _has_main(path: Path) -> bool:
    """True if a C file defines a program: a main() or an LTP tst_test."""
    text = path.read_text(errors="replace")
    return re.search(r"\bmain\s*\(", text) is not None or "struct tst_test test" in text


def _group(items: Iterable[tuple[Path, str]]) -> Iterator[tuple[Path, list[str]]]:
    """(dir, name) pairs grouped by dir, in first-seen order."""
    by_dir: dict[Path, list[str]] = {}
    for d, n in items:
        by_dir.setdefault(d, [])
        if n not in by_dir[d]:
            by_dir[d].append(n)
    yield from by_dir.items()


def _ltplibs(dirs: Iterable[Path]) -> set[str]:
    """The LTP libraries (libs/<name>) the Makefiles of these directories link (LTPLIBS = ...)."""
    libs: set[str] = set()
    for d in dirs:
        mk = d / "Makefile"
        if mk.is_file():
            for m in re.finditer(r"^LTPLIBS\s*[:+]?=(.*)$", mk.read_text(errors="replace"), re.M):
                libs.update(w for w in m.group(1).split() if re.fullmatch(r"[\w-]+", w))
    return libs


def set_key(tree: Tree, names: list[str]) -> str:
    """The cache key of one case list built in one tree."""
    return hashlib.sha256((tree.key + "\n" + "\n".join(sorted(set(names)))).encode()).hexdigest()[:16]


def build_cases(names: list[str], report: Reporter = _stderr, tarball: Optional[Path] = None) -> BuiltSet:
    """Build the programs of the named runtest/syscalls cases (and their helpers); the set.

    A directory's helper programs (its .c files with a main that no runtest file names, such as
    execve_child) are built with its cases: tests exec them from $LTPROOT/testcases/bin."""
    tree = prepare_tree(report, tarball)
    key = set_key(tree, names)
    root = cache_root() / tree.key / "sets" / key
    bin_dir = root / "bin"
    manifest_path = root / "manifest.json"
    runtest = tree.runtest()
    with _Lock(cache_root() / tree.key / "lock"):
        if manifest_path.is_file():
            data = json.loads(manifest_path.read_text())
            cases = [Case(n, tuple(a)) for n, a in data["cases"].items()]
            return BuiltSet(root, bin_dir, cases, dict(data["missing"]), key, list(data["helpers"]))
        missing: dict[str, str] = {}
        wanted: list[Case] = []
        for n in names:
            if n in runtest:
                wanted.append(runtest[n])
            else:
                missing[n] = f"not in {RUNTEST} of this LTP"
        dirs = tree.source_dirs()
        runtest_programs = tree.all_runtest_programs()
        targets: list[tuple[Path, str]] = []
        for c in wanted:
            if c.program not in dirs:
                missing[c.name] = f"no source for program {c.program}"
                continue
            targets.append((dirs[c.program], c.program))
        helpers: list[str] = []
        for d in sorted({d for d, _ in targets}):
            for cfile in sorted(d.glob("*.c")):
                if cfile.stem not in runtest_programs and _has_main(cfile):
                    targets.append((d, cfile.stem))
                    helpers.append(cfile.stem)
        groups = list(_group(targets))
        log = root / "build.log"
        root.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        report(f"building {len(wanted)} cases ({len(groups)} directories, {len(helpers)} helpers) into {root}")
        started = time.monotonic()
        # The LTP libraries the directories link (LTPLIBS: libs/ipc...) first, one at a time: the
        # directories' makes then only find them built, and can run side by side.
        for lib in sorted(_ltplibs(d for d, _ in groups)):
            _run(["make", "-C", f"libs/{lib}"], tree.src, log)
        todo_groups = [(d, [p for p in progs if not (d / p).is_file()]) for d, progs in groups]
        todo_groups = [(d, progs) for d, progs in todo_groups if progs]
        done_count = 0
        log_lock = threading.Lock()

        def make_dir(item: tuple[Path, list[str]]) -> None:
            """Build one directory's programs; -k: one that does not build must not stop the rest."""
            nonlocal done_count
            d, progs = item
            proc = subprocess.run(["make", "-k", *progs], cwd=d, capture_output=True, text=True, check=False)
            with log_lock:
                with log.open("a") as out:
                    out.write(f"\n$ (cd {d} && make -k {' '.join(progs)})\n{proc.stdout}{proc.stderr}")
                done_count += 1
                if done_count % 25 == 0:
                    report(f"  {done_count}/{len(todo_groups)} directories, {time.monotonic() - started:.0f} s")

        # One make per directory, as many at once as there are CPUs (a directory has one or two programs:
        # make -j inside one would leave CPUs idle).
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(make_dir, todo_groups))
        if bin_dir.exists():
            shutil.rmtree(bin_dir)
        bin_dir.mkdir(parents=True)
        built: list[Case] = []
        for d, progs in groups:
            for p in progs:
                if (d / p).is_file():
                    shutil.copy2(d / p, bin_dir / p)
        for c in wanted:
            if c.name in missing:
                continue
            if (bin_dir / c.program).is_file():
                built.append(c)
            else:
                missing[c.name] = f"program {c.program} did not build (see {log})"
        result = BuiltSet(root, bin_dir, built, missing, key,
                          [h for h in helpers if (bin_dir / h).is_file()])
        manifest_path.write_text(json.dumps(result.manifest(), indent=1) + "\n")
        report(f"built {len(built)} cases in {time.monotonic() - started:.0f} s; {len(missing)} missing")
        return result


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m conformance.ltp_build [LIST]`: build a case list (default: the anchor's)."""
    args = argv if argv is not None else sys.argv[1:]
    names = read_case_names(Path(args[0]) if args else ANCHOR_CASES)
    built = build_cases(names)
    print(built.root)
    for n, why in sorted(built.missing.items()):
        print(f"missing {n}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
