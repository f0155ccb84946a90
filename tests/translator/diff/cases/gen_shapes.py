"""Generate shapes.py: seeded random functions built from the shapes of issue 25, one group per integer type.

Where exprs.py varies operators, these vary where a bare literal meets a type: annotated locals, `Final[T]`
constants, default values, literal arguments and return values, `min`/`max` with a literal, a conditional
expression with a literal branch, `int(x)`, arithmetic on the loop variable of `range()`, literal shift
counts (also past the width and past the type's largest value), and comparisons between two literals.
Each of them once meant a plain, unbounded int under CPython and a wrapping value natively.
"""
from __future__ import annotations

import random
from pathlib import Path

TYPES = ("u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64")
BITS = {t: int(t[1:]) for t in TYPES}
PER_TYPE = 8
SEED = 20261207
ARITH = ("+", "-", "*", "&", "|", "^")
WRAPPING = ("//", "%", ">>")  # the operators where an unwrapped value shows


def _range(t: str) -> tuple[int, int]:
    b = BITS[t]
    return (-(1 << (b - 1)), (1 << (b - 1)) - 1) if t[0] == "i" else (0, (1 << b) - 1)


def _lit(rng: random.Random, t: str) -> str:
    """A literal that fits t, biased towards the large values where wrapping shows."""
    lo, hi = _range(t)
    v = rng.choice((rng.randint(lo, hi), hi, hi - rng.randint(0, 3), lo, rng.randint(0, 300), rng.randint(1, 9)))
    v = max(lo, min(hi, v))
    return f"({v})" if v < 0 else str(v)


def _divisor(rng: random.Random, t: str) -> str:
    return str(rng.choice((2, 3, 4, 7, 16, 100)))


def _count(rng: random.Random, t: str) -> str:
    """A literal shift count: inside the width, at it, past it, or past the type's largest value."""
    b = BITS[t]
    past_max = min(_range(t)[1] + rng.randint(1, 70000), (1 << 64) - 1)
    return str(rng.choice((rng.randint(0, b - 1), b, b + 1, rng.randint(b, 300), past_max)))


def _i64_lit(rng: random.Random) -> str:
    v = rng.choice((rng.randint(-(1 << 63), (1 << 63) - 1), (1 << 63) - 1, -(1 << 63), rng.randint(-5, 5)))
    return f"({v})" if v < 0 else str(v)


class _Gen:
    def __init__(self, rng: random.Random, t: str, k: int):
        self.rng, self.t, self.k = rng, t, k

    def leaf(self, names: list[str], typed: bool = False) -> str:
        """A name, a Final constant, a literal-returning call or (unless `typed`) a literal in an operand position."""
        r, t = self.rng, self.t
        c = r.random()
        if c < 0.5:
            return r.choice(names)
        if c < 0.65:
            return f"K{r.randrange(PER_TYPE)}_{t}"
        if c < 0.75 or typed:
            return f"lit{r.randrange(PER_TYPE)}_{t}()"
        return _lit(r, t)

    def expr(self, names: list[str], depth: int, typed: bool = False) -> str:
        """An expression of type t in which literals meet typed values in every way of issue 25.

        Every operator has a typed left operand, so that no sub-expression is made of literals alone
        (a folded literal expression that does not fit is refused, a different subject).
        """
        r, t = self.rng, self.t
        if depth == 0:
            return self.leaf(names, typed)
        c = r.random()
        sub = lambda typed=False: self.expr(names, depth - 1, typed)  # noqa: E731
        if c < 0.08:
            return f"{r.choice(('min', 'max'))}({sub(True)}, {_lit(r, t)})"
        if c < 0.14:
            return f"({sub(True)} if {sub(True)} {r.choice(('<', '==', '>='))} {sub()} else {_lit(r, t)})"
        if c < 0.2:
            inner = f"int({sub(True)})"
            return f"{t}({inner} {r.choice(('//', '>>', '%'))} {r.choice((3, 5, 7))})" if t != "i64" else f"({inner} // {r.choice((3, 5))})"
        if c < 0.28:
            return f"({sub(True)} {r.choice(('<<', '>>'))} {_count(r, t)})"
        if c < 0.34:
            # a comparison between two literals decides a branch (both within i64, wider ones are refused)
            return f"({sub(True)} if {_i64_lit(r)} {r.choice(('<', '<=', '==', '>'))} {_i64_lit(r)} else {sub(True)})"
        if c < 0.42:
            j = r.randrange(PER_TYPE)
            return r.choice((f"h{j}_{t}({sub()})", f"h{j}_{t}({sub()}, {_lit(r, t)})", f"h{j}_{t}({_lit(r, t)})"))
        if c < 0.62:
            return f"({sub(True)} {r.choice(WRAPPING[:2])} {_divisor(r, t)})"
        return f"({sub(True)} {r.choice(ARITH)} {sub()})"

    def function(self) -> list[str]:
        """h (a default and a parameter), lit (a literal result), K (a Final constant) and s (the shapes in statements)."""
        r, t, k = self.rng, self.t, self.k
        lines = [f"K{k}_{t}: Final[{t}] = {_lit(r, t)}", "", "",
                 f"def lit{k}_{t}() -> {t}:", f"    return {_lit(r, t)}", "", "",
                 f"def h{k}_{t}(a: {t}, b: {t} = {_lit(r, t)}) -> {t}:",
                 f"    return ({self.leaf(['a', 'b'], True)} {r.choice(ARITH)} {self.leaf(['a', 'b'])}) {r.choice(WRAPPING[:2])} {_divisor(r, t)}",
                 "", "",
                 f"def s{k}_{t}(a: {t}, b: {t}, n: u8) -> {t}:",
                 f"    y: {t} = {_lit(r, t)}",
                 f"    z: {t} = {_lit(r, t)}"]
        names = ["a", "b", "y", "z"]
        for _ in range(r.randint(2, 4)):
            c = r.random()
            target = r.choice(("y", "z"))
            if c < 0.4:
                lines.append(f"    {target} = {self.expr(names, 2)}")
            elif c < 0.55:
                op = r.choice(("+=", "-=", "*=", "//=", "%="))
                lines.append(f"    {target} {op} {_divisor(r, t) if op in ('//=', '%=') else _lit(r, t)}")
            elif c < 0.7:
                lines.append(f"    {target} {r.choice(('<<=', '>>='))} {_count(r, t)}")
            else:
                # arithmetic on the loop variable of range() over a typed bound, with literals
                lines.append(f"    for i in range({t}(n % {r.choice((5, 9, 17))})):")
                lines.append(f"        {target} = {target} + (i {r.choice(ARITH)} {_lit(r, t)}) {r.choice(WRAPPING[:2])} {_divisor(r, t)}")
        lines.append(f"    return {self.expr(names, 2)}")
        return lines + ["", ""]


def source() -> str:
    """The text of shapes.py."""
    rng = random.Random(SEED)
    out = ['"""Generated by gen_shapes.py: literals meeting types in the shapes of issue 25 (same meaning in both worlds)."""',
           "from typing import Final", "",
           f"from asterpy.lang import {', '.join(TYPES)}", "", ""]
    for t in TYPES:
        for k in range(PER_TYPE):
            out += _Gen(rng, t, k).function()
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    Path(__file__).with_name("shapes.py").write_text(source())
