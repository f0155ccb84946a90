"""Generate a deterministic, kernel-like Kernel Python program of about N lines, for timing the translator."""
from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

# Integer types and the literal range a generated expression may use with each: small enough to fit.
INT_TYPES = ("u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64")
SIZE = {"u8": 1, "i8": 1, "u16": 2, "i16": 2, "u32": 4, "i32": 4, "u64": 8, "i64": 8}
LITERAL_MAX = {"u8": 100, "i8": 100, "u16": 30000, "i16": 30000, "u32": 1 << 30, "i32": 1 << 30,
               "u64": 1 << 40, "i64": 1 << 40}
RETURN_TYPES = ("u64", "u64", "u32", "i32", "i64")

# Word-sized views of the 512-byte scratch buffer every function gets, with the mask that keeps
# an index inside it: (pointer variable, element type, mask constant).
VIEWS = {"w": ("u64", "WORD_MASK"), "h": ("u32", "HALF_MASK"), "bp": ("u8", "BYTE_MASK")}

SECTION_NAMES = ("frame", "page", "slab", "vma", "sched", "task", "signal", "futex", "vfs", "dentry",
                 "inode", "ext2", "pipe", "epoll", "tty", "serial", "virtio", "blk", "net", "arp",
                 "ipv4", "udp", "tcp", "unix", "timer", "rtc", "irq", "cred", "elf", "cpio")
VERBS = ("alloc", "free", "lookup", "insert", "remove", "scan", "update", "check", "count", "hash",
         "map", "unmap", "flush", "commit", "poll", "wake", "walk", "merge", "split", "copy")
NOUNS = ("Desc", "Entry", "Hdr", "Node", "Ctl", "State", "Req", "Slot", "Info", "Ring")
MAX_LEVEL = 3  # a function of level L calls only functions of level L-1: call trees stay small


@dataclass
class StructDef:
    """A generated @struct: its name and (field, type) list."""

    name: str
    fields: list[tuple[str, str]]


@dataclass
class FuncDef:
    """A generated function's name, call level and return type."""

    name: str
    level: int
    ret: str
    called: bool = False


@dataclass
class FuncCtx:
    """What is in scope while one function body is generated."""

    locals: list[tuple[str, str]]
    section: str
    structs: list[StructDef]
    consts: list[tuple[str, str]]
    callees: list[FuncDef]
    views: set[str] = field(default_factory=set)
    record: Optional[StructDef] = None
    loops: int = 0
    calls: int = 0


class Generator:
    """Builds the program text section by section from one seeded random generator."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.lines: list[str] = []
        self.funcs: list[FuncDef] = []
        self.structs: list[StructDef] = []
        self.consts: list[tuple[str, str]] = []
        self.names: set[str] = set()
        self.header_roots = 0
        self.target = 0

    # ------------------------------------------------------------------ small pieces

    def unique(self, base: str) -> str:
        """base with a number that makes it unique in the program."""
        n = 0
        while f"{base}_{n}" in self.names:
            n += 1
        name = f"{base}_{n}"
        self.names.add(name)
        return name

    def literal(self, t: str) -> str:
        """An integer literal that fits type t (hex now and then, as kernel code writes masks)."""
        v = self.rng.randint(1, LITERAL_MAX[t])
        if t.startswith("i") and self.rng.random() < 0.2:
            return f"-{v}"
        return hex(v) if self.rng.random() < 0.3 else str(v)

    def index(self, ctx: FuncCtx, view: str) -> str:
        """A u64 index into a buffer view, masked so it stays inside the 512-byte buffer."""
        mask = VIEWS[view][1]
        r = self.rng.random()
        if r < 0.4:
            base = f"(x + {self.rng.randint(0, 63)})"
        elif r < 0.8 and ctx.locals:
            name, t = self.rng.choice(ctx.locals)
            base = f"(x ^ {name if t == 'u64' else f'u64({name})'})"
        else:
            base = f"(x >> {self.rng.randint(1, 12)})"
        return f"{base} & {mask}"

    def atom(self, ctx: FuncCtx, t: str, literal_ok: bool = False) -> str:
        """A leaf of type t: a local, x, a constant, a memory load, a record field, or (if literal_ok) a literal."""
        r = self.rng.random()
        same = [n for n, lt in ctx.locals if lt == t]
        if r < 0.30 and same:
            return self.rng.choice(same)
        if r < 0.45 and ctx.locals:
            name, lt = self.rng.choice(ctx.locals)
            return name if lt == t else f"{t}({name})"
        if r < 0.55:
            return "x" if t == "u64" else f"{t}(x >> {self.rng.randint(0, 40)})"
        if r < 0.65 and ctx.consts:
            name, ct = self.rng.choice(ctx.consts)
            return name if ct == t else f"{t}({name})"
        if r < 0.80:
            view = self.rng.choice(list(VIEWS))
            ctx.views.add(view)
            et = VIEWS[view][0]
            load = f"{view}[{self.index(ctx, view)}]"
            return load if et == t else f"{t}({load})"
        if r < 0.90 and ctx.record is not None:
            fname, ft = self.rng.choice(ctx.record.fields)
            return f"rec.{fname}" if ft == t else f"{t}(rec.{fname})"
        if literal_ok:
            return self.literal(t)
        return "x" if t == "u64" else f"{t}(x)"

    def expr(self, ctx: FuncCtx, t: str, depth: int = 0, literal_ok: bool = False) -> str:
        """An expression of type t: atoms combined with wrapping arithmetic, bit operations and shifts.

        Only a right operand may be a literal, so every expression has a typed operand that gives
        the literal its width (a lone literal would be an i64 to the type checker)."""
        r = self.rng.random()
        if depth >= 2 or r < 0.35:
            return self.atom(ctx, t, literal_ok)
        if r < 0.45:
            op = self.rng.choice((">>", "<<"))
            return f"({self.expr(ctx, t, depth + 1)} {op} {self.rng.randint(1, SIZE[t] * 8 - 1)})"
        if r < 0.50 and t.startswith("u"):
            # Division only on unsigned values, by an odd (so non-zero) divisor.
            op = self.rng.choice(("//", "%"))
            return f"({self.expr(ctx, t, depth + 1)} {op} ({self.atom(ctx, t)} | 1))"
        op = self.rng.choice(("+", "-", "*", "^", "&", "|", "+", "^"))
        return f"({self.expr(ctx, t, depth + 1)} {op} {self.expr(ctx, t, depth + 1, literal_ok=True)})"

    def condition(self, ctx: FuncCtx) -> str:
        """A bool expression: a comparison between values of one type, or a bit test."""
        name, t = self.rng.choice(ctx.locals)
        r = self.rng.random()
        if r < 0.4:
            return f"({name} & {self.rng.choice((1, 2, 4, 8, 16, 3, 7))}) == 0"
        if r < 0.7:
            op = self.rng.choice(("<", ">", "<=", ">=", "!="))
            return f"{name} {op} {self.literal(t)}"
        other = self.atom(ctx, t)
        if other == name:
            other = self.literal(t)
        return f"{name} {self.rng.choice(('<', '>', '==', '!='))} {other}"

    # ------------------------------------------------------------------ statements

    def statements(self, ctx: FuncCtx, indent: str, count: int, depth: int, in_loop: bool) -> list[str]:
        """count statements at this nesting depth (loops and ifs nest at most two deep)."""
        out: list[str] = []
        for _ in range(count):
            out.extend(self.statement(ctx, indent, depth, in_loop))
        return out

    def statement(self, ctx: FuncCtx, indent: str, depth: int, in_loop: bool) -> list[str]:
        """One statement (which may be a compound one with its own body)."""
        r = self.rng.random()
        name, t = self.rng.choice(ctx.locals)
        if r < 0.25:
            return self.assign(ctx, indent, name, t)
        if r < 0.38:
            op = self.rng.choice(("+=", "^=", "|=", "-=", "&="))
            return [f"{indent}{name} {op} {self.expr(ctx, t, 1)}"]
        if r < 0.50:
            view = self.rng.choice(list(VIEWS))
            ctx.views.add(view)
            et = VIEWS[view][0]
            value = self.expr(ctx, et, 1)
            return [f"{indent}{view}[{self.index(ctx, view)}] = {value}"]
        if r < 0.58 and ctx.record is not None:
            fname, ft = self.rng.choice(ctx.record.fields)
            return [f"{indent}rec.{fname} = {self.expr(ctx, ft, 1)}"]
        if r < 0.70 and depth < 2:
            body = self.statements(ctx, indent + "    ", self.rng.randint(1, 3), depth + 1, in_loop)
            lines = [f"{indent}if {self.condition(ctx)}:", *body]
            if self.rng.random() < 0.5:
                lines += [f"{indent}else:",
                          *self.statements(ctx, indent + "    ", self.rng.randint(1, 2), depth + 1, in_loop)]
            return lines
        if r < 0.80 and depth < 2:
            return self.while_loop(ctx, indent, depth)
        if r < 0.88 and depth < 2:
            return self.for_loop(ctx, indent, depth)
        if r < 0.96 and not in_loop and ctx.callees and ctx.calls < 2:
            return self.call(ctx, indent, name, t)
        return self.assign(ctx, indent, name, t)

    def assign(self, ctx: FuncCtx, indent: str, name: str, t: str) -> list[str]:
        """name = an expression of its type (never the name itself)."""
        value = self.expr(ctx, t)
        if value == name:
            value = f"({name} + {self.literal(t)})"
        return [f"{indent}{name} = {value}"]

    def while_loop(self, ctx: FuncCtx, indent: str, depth: int) -> list[str]:
        """A bounded while loop (1..8 trips) with its own u64 counter."""
        ctx.loops += 1
        j = f"j{ctx.loops}"
        bound = self.rng.choice(("(x & 7) + 1", "u64(8)", "(x >> 5 & 3) + 2"))
        body = self.statements(ctx, indent + "    ", self.rng.randint(1, 3), depth + 1, True)
        return [f"{indent}{j} = u64(0)", f"{indent}while {j} < {bound}:", *body, f"{indent}    {j} += 1"]

    def for_loop(self, ctx: FuncCtx, indent: str, depth: int) -> list[str]:
        """A for-range loop over a literal or u64 bound; the counter is converted where it is used."""
        ctx.loops += 1
        k = f"k{ctx.loops}"
        bound = self.rng.choice(("8", "4", "x & 7"))
        name, t = self.rng.choice(ctx.locals)
        view = self.rng.choice(list(VIEWS))
        ctx.views.add(view)
        mask = VIEWS[view][1]
        et = VIEWS[view][0]
        use = f"{view}[(u64({k}) + x) & {mask}]"
        first = (f"{indent}    {name} ^= {t}({use})" if et != t else f"{indent}    {name} ^= {use}")
        body = self.statements(ctx, indent + "    ", self.rng.randint(0, 2), depth + 1, True)
        return [f"{indent}for {k} in range({bound}):", first, *body]

    def call(self, ctx: FuncCtx, indent: str, name: str, t: str) -> list[str]:
        """A call of a lower-level function, its result converted to the local's type."""
        callee = self.rng.choice(ctx.callees)
        callee.called = True
        ctx.calls += 1
        arg = self.expr(ctx, "u64", 1)
        call = f"{callee.name}(buf, sbuf, {arg})"
        value = call if callee.ret == t else f"{t}({call})"
        return [f"{indent}{name} = {name} ^ {value}"]

    # ------------------------------------------------------------------ top-level pieces

    def gen_struct(self, section: str) -> StructDef:
        """A @struct with 3..7 integer fields, at most 64 bytes (eight fit a 512-byte record buffer)."""
        name = self.unique(section.capitalize() + self.rng.choice(NOUNS)).replace("_", "")
        fields = [(f"f{i}_{self.rng.choice(('len', 'flags', 'id', 'off', 'cnt', 'mode', 'ref'))}",
                   self.rng.choice(INT_TYPES)) for i in range(self.rng.randint(3, 7))]
        sd = StructDef(name, fields)
        self.lines += ["", "", "@struct", f"class {name}:",
                       f'    """A {section} record (generated: C layout, {len(fields)} fields)."""', ""]
        self.lines += [f"    {fname}: {ft}" for fname, ft in fields]
        self.structs.append(sd)
        return sd

    def gen_const(self, section: str) -> tuple[str, str]:
        """A typed module constant."""
        t = self.rng.choice(INT_TYPES)
        name = self.unique(f"{section.upper()}_K")
        self.lines.append(f"{name}: Final = {t}({self.literal(t)})")
        c = (name, t)
        self.consts.append(c)
        return c

    def gen_function(self, section: str, structs: list[StructDef], consts: list[tuple[str, str]]) -> None:
        """A kernel-like function of buf, sbuf and x: locals of mixed widths, loops, memory, records, calls."""
        level = self.rng.choices(range(MAX_LEVEL + 1), weights=(4, 3, 2, 1))[0]
        callees = [f for f in self.funcs if f.level == level - 1][-40:]
        ret = self.rng.choice(RETURN_TYPES)
        name = self.unique(f"{section}_{self.rng.choice(VERBS)}")
        locals_ = [(f"v{i}", self.rng.choice(INT_TYPES)) for i in range(self.rng.randint(2, 5))]
        ctx = FuncCtx([], section, structs, consts + self.rng.sample(self.consts, min(3, len(self.consts))),
                      self.rng.sample(callees, min(4, len(callees))))
        if structs and self.rng.random() < 0.6:
            ctx.record = self.rng.choice(structs)
        head: list[str] = []
        for v, t in locals_:
            # Each local's first value may use only the locals defined before it.
            head.append(f"    {v} = {self.expr(ctx, t, 1)}" if ctx.locals else f"    {v} = {t}({self.literal(t)})")
            ctx.locals.append((v, t))
        body = self.statements(ctx, "    ", self.rng.randint(4, 12), 0, False)
        if ctx.callees and ctx.calls == 0:
            # Every function above level 0 calls at least one function of the level below.
            body += self.call(ctx, "    ", *self.rng.choice(ctx.locals))
        pre = [f"    {view} = Ptr[{VIEWS[view][0]}](buf)" for view in sorted(ctx.views)]
        rec: list[str] = []
        tail: list[str] = []
        if ctx.record is not None:
            slot = f"(x >> {self.rng.randint(0, 9)}) & REC_MASK"
            rec = [f"    rp = Ptr[{ctx.record.name}](sbuf)", f"    slot = {slot}", "    rec = rp[slot]"]
            tail = ["    rp[slot] = rec"]
        mix = " ^ ".join(f"{ret}({v})" if t != ret else v for v, t in locals_)
        self.lines += ["", "", f"def {name}(buf: u64, sbuf: u64, x: u64) -> {ret}:",
                       f'    """Generated {section} routine (call level {level})."""',
                       *pre, *rec, *head, *body, *tail, f"    return {mix}"]
        self.funcs.append(FuncDef(name, level, ret))

    def gen_section(self, index: int) -> None:
        """A module's worth of code: a header comment, structs, constants and functions."""
        section = SECTION_NAMES[index % len(SECTION_NAMES)]
        self.lines += ["", "", f"# {'-' * 20} section {index}: {section} {'-' * 20}", ""]
        consts = [self.gen_const(section) for _ in range(self.rng.randint(2, 4))]
        structs = [self.gen_struct(section) for _ in range(self.rng.randint(1, 2))]
        for _ in range(self.rng.randint(8, 20)):
            if self.full():
                break
            self.gen_function(section, structs, consts)

    def gen_entry(self) -> None:
        """Dispatchers over every function nobody calls, and the exported gen_entry in front of them."""
        roots = [f for f in self.funcs if not f.called]
        groups = [roots[i:i + 16] for i in range(0, len(roots), 16)]
        for g, group in enumerate(groups):
            self.lines += ["", "", f"def dispatch_{g}(buf: u64, sbuf: u64, sel: u64, x: u64) -> u64:",
                           f'    """Run root function number sel of group {g}."""']
            for i, f in enumerate(group):
                call = f"{f.name}(buf, sbuf, x)"
                self.lines += [f"    if sel == {i}:", f"        return {call if f.ret == 'u64' else f'u64({call})'}"]
            self.lines.append("    return u64(0)")
        self.lines += ["", "", '@export("gen_entry")',
                       "def gen_entry(buf: u64, sbuf: u64, sel: u64, x: u64) -> u64:",
                       '    """Exported entry: run root function number sel (0 <= sel < GEN_ROOTS) with argument x."""',
                       "    group = sel >> 4"]
        for g in range(len(groups)):
            self.lines += [f"    if group == {g}:", f"        return dispatch_{g}(buf, sbuf, sel & 15, x)"]
        self.lines.append("    return u64(0)")
        self.header_roots = len(roots)

    def header(self, target: int) -> list[str]:
        """The module docstring, imports and the buffer-shape constants."""
        return [
            f'"""Generated by benchmarks/gen_program.py (seed {self.seed}, about {target} lines): '
            'kernel-like Kernel Python for timing the translator."""',
            "from typing import Final",
            "",
            "from asterpy.lang import Ptr, i8, i16, i32, i64, struct, u8, u16, u32, u64",
            "from asterpy.lang.linkage import export",
            "",
            "# Every function works on two 512-byte buffers: buf (seen as u64, u32 or u8 words) and",
            "# sbuf (eight records of at most 64 bytes). Indices are masked so accesses stay inside.",
            "BUF_BYTES: Final = u64(512)",
            "WORD_MASK: Final = u64(63)",
            "HALF_MASK: Final = u64(127)",
            "BYTE_MASK: Final = u64(511)",
            "REC_MASK: Final = u64(7)",
            f"GEN_ROOTS: Final = u64({self.header_roots})",
        ]

    def full(self) -> bool:
        """True once the header, the code so far and the entry dispatchers it will need reach the target."""
        roots = sum(1 for f in self.funcs if not f.called)
        entry_lines = 2 * roots + 5 * ((roots + 15) // 16) + 7
        return 14 + len(self.lines) + entry_lines >= self.target

    def generate(self, target: int) -> str:
        """The program text, about target lines long."""
        self.target = target
        section = 0
        while not self.full():
            self.gen_section(section)
            section += 1
        self.gen_entry()
        return "\n".join(self.header(target) + self.lines) + "\n"


def generate(lines: int = 20000, seed: int = 1) -> str:
    """A deterministic Kernel Python program of about `lines` lines (the same text for the same seed)."""
    return Generator(seed).generate(lines)


def main(argv: Optional[list[str]] = None) -> int:
    """Command line: write the generated program to a file or stdout."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", "--lines", type=int, default=20000, help="approximate number of lines (default 20000)")
    ap.add_argument("-s", "--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
    args = ap.parse_args(argv)
    text = generate(args.lines, args.seed)
    if args.output:
        args.output.write_text(text)
        print(f"wrote {text.count(chr(10))} lines to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
