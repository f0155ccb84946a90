"""Host-side generator of docs/syscalls.md: the syscall support matrix, read from the code and the tests.

For each syscall of the single list in `table_gen.py` it reports:
* handler: whether the generated syscall table (`src/asterpy/syscall/table.py`) gives it an entry
  (`syscall_<name>` in a family module) that does more than answer ENOSYS (an entry whose body only
  raises ENOSYS, like rseq's, is listed as ENOSYS, not as a handler);
* checked by: the tests that check the call's *result* inside asterpy in QEMU:
  - our C programs (tests/user/*.c that a boot test runs): the call is inside a CHECK*() macro's
    arguments, or it is assigned to a variable that a following CHECK*() reads (comments and string
    literals are blanked first, so a case's name or a comment credits nothing);
  - LTP cases that pass in asterpy and that CI runs (conformance/ltp-ci-cases.txt, tests/conformance/
    test_ltp.py): a case counts for the syscall its runtest directory or its name says it tests;
* flags tested: the flag constants in the arguments of the checked calls of our C programs;
* coverage: "partial" with what is missing for the handlers known to be incomplete or silent stubs
  (KNOWN_PARTIAL below, kept by reading the handlers), "full" when none is known.
"Supported" means both: a handler and a check inside asterpy. Run `python src/asterpy/syscall/matrix_gen.py`
to rewrite the file; a test checks it is up to date.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Dict, List, Set

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))
from table_gen import ENTRY_PREFIX, table  # noqa: E402

TABLE = HERE / "table.py"
USER = REPO / "tests" / "user"
BOOT = REPO / "tests" / "boot"
OUT = REPO / "docs" / "syscalls.md"
LTP_CI_CASES = REPO / "conformance" / "ltp-ci-cases.txt"
LTP_PASSING = REPO / "conformance" / "ltp-asterpy-passing.txt"

# Handlers that accept a call but do not do all of it: name -> what is missing. Kept by reading the
# handlers (issue 11's list of silent stubs and what LTP found); a row here is "partial" in the matrix.
KNOWN_PARTIAL: Dict[str, str] = {
    "fcntl": "F_SETOWN and F_GETOWN do nothing (no SIGIO); F_SETPIPE_SZ keeps 64 KiB; "
             "no F_SETLEASE, F_NOTIFY, F_ADD_SEALS/F_GET_SEALS",
    "ioctl": "FIOASYNC accepted and ignored (no SIGIO)",
    "setpriority": "the nice value is stored but the scheduler does not use it",
    "sched_setscheduler": "policy and priority are stored but the scheduler does not use them",
    "sched_setparam": "the priority is stored but the scheduler does not use it",
    "sched_setaffinity": "stores nothing (one CPU): accepted when the mask has CPU 0",
    "prctl": "PR_SET_DUMPABLE and PR_SET_CHILD_SUBREAPER accepted and not acted on, PR_GET_DUMPABLE "
             "always 1; PR_SET_PDEATHSIG stored but no signal is sent when the parent dies; other options "
             "EINVAL",
    "ioprio_set": "class and level stored per process (Linux: per thread); no I/O scheduler reads them",
    "capset": "the sets are kept and follow set*id and execve, but privilege checks look at the euid: "
              "dropping a capability does not take its privilege away; no bounding or ambient set",
    "reboot": "RB_AUTOBOOT (restart) powers the machine off",
    "uname": "machine is x86_64 on every arch",
    "timer_create": "the CPU-time clocks run as the monotonic clock (no CPU accounting, as "
                    "clock_gettime); the alarm clocks answer EINVAL; no CPU clock of another "
                    "process or thread",
    "timerfd_create": "no CLOCK_REALTIME_ALARM / CLOCK_BOOTTIME_ALARM (EINVAL)",
    "timerfd_settime": "TFD_TIMER_CANCEL_ON_SET is accepted, but setting the clock does not cancel "
                       "the timer (no ECANCELED)",
    # Found by LTP (docs/conformance.md):
    "socketpair": "AF_UNIX SOCK_STREAM only: SOCK_DGRAM and SOCK_SEQPACKET answer ESOCKTNOSUPPORT (LTP sendfile07)",
    "ppoll": "a caught signal does not end the wait with EINTR (LTP ppoll01)",
    "linkat": "a link across mounts answers ENOENT, not EXDEV (LTP linkat01)",
}

# LTP runtest directories (or case-name stems) whose syscall has another name on x86_64.
LTP_ALIASES: Dict[str, str] = {
    "fadvise": "fadvise64", "fstatat": "newfstatat", "llseek": "lseek", "newuname": "uname",
    "nice": "setpriority", "pread": "pread64", "pwrite": "pwrite64", "pselect": "pselect6",
    "setegid": "setresgid", "setpgrp": "setpgid", "sigaction": "rt_sigaction", "signal": "rt_sigaction",
    "sigpending": "rt_sigpending", "sigprocmask": "rt_sigprocmask", "sigsuspend": "rt_sigsuspend",
    "sigrelse": "rt_sigprocmask", "wait": "wait4", "waitpid": "wait4", "sbrk": "brk",
    "gethostname": "uname", "getdomainname": "uname", "timerfd": "timerfd_create", "pipeio": "pipe",
}


def _enosys_only(body: List[ast.stmt]) -> bool:
    """True if an `if` body does nothing but answer ENOSYS (raise SysError(ENOSYS) or unimplemented())."""
    for st in body:
        if isinstance(st, ast.Raise) and isinstance(st.exc, ast.Call) and st.exc.args and \
                isinstance(st.exc.args[0], ast.Name) and st.exc.args[0].id == "ENOSYS":
            continue
        if isinstance(st, ast.Return) and isinstance(st.value, ast.Call) and \
                isinstance(st.value.func, ast.Name) and st.value.func.id == "unimplemented":
            continue
        if isinstance(st, ast.Pass):
            continue
        return False
    return True


def table_entries() -> Dict[str, tuple[str, str]]:
    """{syscall name: (module, function)} for each id the generated table (table.py) gives an entry."""
    tree = ast.parse(TABLE.read_text())
    out: Dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "SYSCALL_ENTRY":
            assert isinstance(node.value, ast.Tuple)
            for e in node.value.elts:
                if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.attr.startswith(ENTRY_PREFIX):
                    out[e.attr[len(ENTRY_PREFIX):]] = (e.value.id, e.attr)
    return out


def handled_and_enosys() -> tuple[Set[str], Set[str]]:
    """(syscalls whose table entry does more than answer ENOSYS, syscalls whose entry only answers ENOSYS)."""
    handled: Set[str] = set()
    enosys: Set[str] = set()
    bodies: Dict[str, Dict[str, List[ast.stmt]]] = {}
    for name, (mod, fn) in table_entries().items():
        if mod not in bodies:
            tree = ast.parse((HERE / f"{mod}.py").read_text())
            bodies[mod] = {n.name: n.body for n in tree.body if isinstance(n, ast.FunctionDef)}
        body = [st for st in bodies[mod][fn] if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]
        (enosys if _enosys_only(body) else handled).add(name)
    return handled, enosys


def handled() -> Set[str]:
    """Syscall names whose entry in the syscall table does more than answer ENOSYS."""
    return handled_and_enosys()[0]


def enosys_only() -> Set[str]:
    """Syscall names whose table entry only raises SysError(ENOSYS) (not counted as handlers)."""
    return handled_and_enosys()[1]


def in_kernel_programs() -> List[str]:
    """The tests/user C programs that boot tests run inside the kernel: named ones
    (`USER_SRC / "prog.c"`), and every t_*.c when a boot test runs them all
    (`USER_SRC.glob("t_*.c")`, as tests/boot/test_user_programs.py does), less the programs its
    KNOWN_FAILING list says cannot pass yet."""
    progs: Set[str] = set()
    for test in BOOT.glob("test_*.py"):
        text = test.read_text()
        progs.update(re.findall(r'USER_SRC\s*/\s*"([\w.]+\.c)"', text))
        if re.search(r'USER_SRC\.glob\("t_\*\.c"\)', text):
            failing = known_failing(text)
            progs.update(p.name for p in USER.glob("t_*.c") if p.stem not in failing)
    return sorted(progs)


def known_failing(text: str) -> Set[str]:
    """Program names in a boot test's KNOWN_FAILING dict ("libc/prog" keys; either libc counts)."""
    tree = ast.parse(text)
    names: Set[str] = set()
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target = node.target.id
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
        if target == "KNOWN_FAILING" and isinstance(node.value, ast.Dict):
            for k in node.value.keys:
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    names.add(k.value.split("/")[-1])
    return names


def blank_comments_and_strings(text: str) -> str:
    """C source with comments and the insides of string and character literals replaced by spaces
    (lengths kept, so positions still match): neither can call a syscall."""
    out: List[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _balanced(text: str, open_paren: int) -> int:
    """The index just past the parenthesis that closes the one at open_paren."""
    depth, i = 0, open_paren
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


# The checking macros of tests/user/kt.h (CHECK, CHECK_EQ, CHECK_OK, CHECK_ERR, CHECK_RC).
CHECK_MACROS = ["CHECK(?:_[A-Z]+)?"]
# A result stored for a later check: `fd = `, `int fd = `, `r[3] = `, `r = (int)` just before the call.
ASSIGN_RE = re.compile(r"\b([A-Za-z_]\w*)(?:\[[^\]]*\]|\.\w+|->\w+)*\s*=\s*(?:\(\s*[\w\s\*]+\)\s*)*$")
# How far after a stored result a CHECK may read it (a test function, roughly).
CHECK_WINDOW = 1500
# libc wrappers whose name is not the syscall's.
LIBC_NAMES: Dict[str, List[str]] = {
    "pread64": ["pread"], "pwrite64": ["pwrite"], "newfstatat": ["fstatat"], "wait4": ["waitpid", "wait"],
    "rt_sigaction": ["sigaction", "signal"], "rt_sigprocmask": ["sigprocmask"], "rt_sigpending": ["sigpending"],
    "rt_sigsuspend": ["sigsuspend"], "rt_sigtimedwait": ["sigtimedwait", "sigwaitinfo"], "umount2": ["umount"],
    "prlimit64": ["prlimit"], "fadvise64": ["posix_fadvise"], "eventfd2": ["eventfd"],
    "epoll_create1": [], "pselect6": ["pselect"], "getdents64": ["getdents"], "ppoll": [],
}


def check_macros(text: str) -> re.Pattern[str]:
    """A regex for the checking macros: kt.h's, and a program's own macros whose body uses one
    (t_badargs.c's BAD)."""
    macros = list(CHECK_MACROS)
    base = re.compile(rf"\b(?:{'|'.join(macros)})\s*\(")
    for m in re.finditer(r"^#define\s+(\w+)\s*\(([^)]*)\)((?:.*\\\n)*.*)$", text, re.M):
        if base.search(m.group(3)):
            macros.append(re.escape(m.group(1)))
    return re.compile(rf"\b(?:{'|'.join(macros)})\s*\(")


def _enclosing_paren(text: str, pos: int) -> int:
    """The index of the unclosed '(' before pos (-1 if none)."""
    depth = 0
    i = pos - 1
    while i >= 0:
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            if depth == 0:
                return i
            depth -= 1
        elif text[i] in ";{}":
            return -1
        i -= 1
    return -1


def _child_checks(text: str, pos: int) -> bool:
    """True if the call at pos decides a forked child's exit status, which the parent then checks:
    it is in `_exit(...)`'s arguments, or in an `if (...)` condition whose statement is `_exit(N)` or
    `rc |= N` (the t_misc.c style)."""
    p = _enclosing_paren(text, pos)
    while p >= 0:
        before = text[:p].rstrip()
        if before.endswith("_exit"):
            return True
        if before.endswith("if"):
            after = text[_balanced(text, p):_balanced(text, p) + 60].lstrip()
            return after.startswith("_exit(") or re.match(r"\w+\s*\|=", after) is not None
        p = _enclosing_paren(text, p)
    return False


def checked_calls(text: str, name: str) -> List[str]:
    """The argument texts of the calls of `name` (its libc wrapper, or a call that passes SYS_name as
    syscall() and local wrappers do) whose result a CHECK*() macro reads: inside its arguments, or
    through a variable assigned from the call."""
    macro_re = check_macros(text)
    checks = [(m.start(), _balanced(text, m.end() - 1)) for m in macro_re.finditer(text)
              if not text[:m.start()].rstrip().endswith("#define")]
    wrappers = "|".join(re.escape(w) for w in [name] + LIBC_NAMES.get(name, []))
    out: List[str] = []
    for m in re.finditer(rf"\b(?:{wrappers})\s*\(|\bSYS_{name}\b", text):
        if m.group(0).startswith("SYS_"):
            open_paren = _enclosing_paren(text, m.start())
            if open_paren < 0 or text[:m.start()].rstrip().endswith(("#ifdef", "#ifndef", "defined(", "defined")):
                continue
            call_start = open_paren
            while call_start > 0 and (text[call_start - 1].isalnum() or text[call_start - 1] in "_ "):
                call_start -= 1
        else:
            open_paren = text.find("(", m.start())
            call_start = m.start()
        end = _balanced(text, open_paren)
        args = text[open_paren + 1:end - 1]
        if any(s <= call_start < e and not (s == call_start) for s, e in checks):
            out.append(args)
            continue
        if _child_checks(text, call_start):
            out.append(args)
            continue
        line_start = text.rfind("\n", 0, call_start) + 1
        a = ASSIGN_RE.search(text[line_start:call_start])
        if a is None:
            continue
        var = re.compile(rf"\b{re.escape(a.group(1))}\b")
        for s, e in checks:
            if end <= s < end + CHECK_WINDOW and var.search(text, s, e):
                out.append(args)
                break
    return out


# A flag-like constant: PREFIX_NAME in capitals (O_CLOEXEC, MAP_FIXED, CLONE_VM, WNOHANG is not one).
FLAG_RE = re.compile(r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]+|W(?:NOHANG|UNTRACED|CONTINUED|EXITED|STOPPED|NOWAIT))\b")
NOT_FLAGS = ("KT_", "SYS_", "__NR_", "CHECK", "SKIP", "PATH_MAX", "INT_", "UINT", "SIZE_", "LONG_")


def checked_by_programs(names: List[str], programs: List[Path]) -> tuple[Dict[str, List[str]], Dict[str, List[str]]]:
    """For each syscall: the programs that check a call's result, and the flags those checked calls pass."""
    progs: Dict[str, List[str]] = {n: [] for n in names}
    flags: Dict[str, Set[str]] = {n: set() for n in names}
    for prog in programs:
        text = blank_comments_and_strings(prog.read_text())
        for n in names:
            calls = checked_calls(text, n)
            if calls:
                progs[n].append(prog.stem)
            for args in calls:
                # A nested call's flags are its own (shutdown(open(p, O_RDONLY), SHUT_RD)).
                own = args
                while True:
                    shorter = re.sub(r"\b[a-z_]\w*\s*\([^()]*\)", " ", own)
                    if shorter == own:
                        break
                    own = shorter
                for f in FLAG_RE.findall(own):
                    if not f.startswith(NOT_FLAGS):
                        flags[n].add(f)
    return progs, {n: sorted(v) for n, v in flags.items()}


def ltp_syscall(case: str, directory: str, names: Set[str]) -> str:
    """The syscall an LTP case tests, from its runtest directory and its name ("" for a libc test)."""
    stem = re.sub(r"_?\d*$", "", re.sub(r"_(64|16)$", "", case))
    if directory in names and case.startswith(directory):
        return directory
    if stem in names:
        return stem
    if directory in names:
        return directory
    return LTP_ALIASES.get(directory, LTP_ALIASES.get(stem, ""))


def ltp_cases(path: Path, names: Set[str]) -> Dict[str, List[str]]:
    """For each syscall, the LTP cases of a list file ("case directory" lines) that test it."""
    out: Dict[str, List[str]] = {n: [] for n in names}
    if not path.is_file():
        return out
    for line in path.read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2:
            sc = ltp_syscall(words[0], words[1], names)
            if sc:
                out[sc].append(words[0])
    return out


def _short(items: List[str], limit: int = 6) -> str:
    """A comma list, cut after `limit` items with a count of the rest."""
    if not items:
        return "—"
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" (+{len(items) - limit})"


def render() -> str:
    """The Markdown matrix."""
    rows = table()
    names = [r.name for r in rows]
    name_set = set(names)
    have = handled()
    stubs = enosys_only()
    kernel_progs = in_kernel_programs()
    ours, flags = checked_by_programs(names, [USER / p for p in kernel_progs])
    ltp = ltp_cases(LTP_CI_CASES, name_set)
    ltp_all = ltp_cases(LTP_PASSING, name_set)
    supported = [n for n in names if n in have and (ours[n] or ltp[n])]
    partial = [n for n in supported if n in KNOWN_PARTIAL]
    x86 = [r for r in rows if r.number("x86_64") is not None]
    x86_supported = [r.name for r in x86 if r.name in supported]
    lines = ["# Syscall support matrix", "",
             "Generated by `src/asterpy/syscall/matrix_gen.py` from the syscall list, the dispatcher and the "
             "tests; do not edit.", "",
             f"**Supported**: {len(supported)} of {len(names)} ({len(x86_supported)} of the {len(x86)} x86_64 "
             f"syscalls), of which {len(partial)} partial. Supported means a handler, and a test that checks "
             "the call's result inside asterpy in QEMU: one of our C programs (a CHECK*() reads the call's "
             "result: the call is in its arguments or stored in a variable it reads) or an LTP case that "
             "passes in asterpy and that CI runs (conformance/ltp-ci-cases.txt). "
             f"Handlers: {len(have)} (not counting {len(stubs)} that only answer ENOSYS: "
             f"{', '.join(sorted(stubs)) or 'none'}).", "",
             f"Our in-kernel test programs: {', '.join(kernel_progs) or 'none'} (they also pass on the host's "
             "Linux, tests/user/test_user_host.py). LTP: the cases CI runs are listed per syscall; "
             f"`asterpy conformance ltp` runs more ({sum(len(v) for v in ltp_all.values())} pass, "
             "conformance/ltp-asterpy-passing.txt; docs/conformance.md).", "",
             "Coverage: **partial** names what the handler is known to lack (a silent stub or missing flags, "
             "KNOWN_PARTIAL in the generator, kept by reading the handlers); **full** means nothing is known "
             "to be missing, not a proof. Flags tested: the flag constants our checked calls pass.", "",
             "| name | x86_64 | riscv64 | loongarch64 | status | coverage | flags tested | our tests | LTP cases (CI) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        n = r.name
        if n in supported:
            status = "supported"
        elif n in have:
            status = "handler, not checked"
        elif n in stubs:
            status = "ENOSYS"
        else:
            status = "—"
        if n in KNOWN_PARTIAL and n in have:
            coverage = "partial: " + KNOWN_PARTIAL[n]
        elif n in supported:
            coverage = "full"
        else:
            coverage = "—"
        nums = [r.number(a) for a in ("x86_64", "riscv64", "loongarch64")]
        cells = ["—" if x is None else str(x) for x in nums]
        lines.append(f"| {n} | {' | '.join(cells)} | {status} | {coverage} | {', '.join(flags[n]) or '—'} | "
                     f"{', '.join(ours[n]) or '—'} | {_short(ltp[n])} |")
    lines += ["", "## Partial handlers", ""]
    lines += [f"- **{n}**: {KNOWN_PARTIAL[n]}" for n in sorted(KNOWN_PARTIAL) if n in have]
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    """Write docs/syscalls.md (or with --check, fail if it is stale)."""
    text = render()
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
