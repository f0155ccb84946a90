"""Property tests: random keystrokes in canonical mode against a small model of line editing.

The model says which lines a reader gets (erase, kill, word erase, literal next, end of file),
and a tiny terminal emulator replays the echo to check that what is on the screen is what the
model's lines look like (control characters as ^X, tabs to the next multiple of 8).
"""

from typing import List, Tuple

from conftest import Term
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import SysError
from asterpy.lang.errno import EAGAIN

ERASE = 0x7F
BS = 0x08
KILL = 0x15
WERASE = 0x17
EOF = 0x04
LNEXT = 0x16
KEYS = [ord(c) for c in "ab_. /"] + [0x09, 0x01, 0x0D, 0x0A, ERASE, BS, KILL, WERASE, EOF, LNEXT]


def is_word(c: int) -> bool:
    """Letters, digits and '_'."""
    return chr(c).isalnum() or c == 0x5F


def model(keys: List[int]) -> Tuple[List[bytes], bytes]:
    """The lines (ended by NL, or by ^D: then without it) a reader gets, and the line still being edited."""
    lines: List[bytes] = []
    cur: List[int] = []
    lnext = False
    for k in keys:
        if lnext:
            lnext = False
            cur.append(k)
            continue
        if k == 0x0D:
            k = 0x0A
        if k in (ERASE, BS):
            if cur:
                cur.pop()
        elif k == KILL:
            cur = []
        elif k == WERASE:
            seen = False
            while cur:
                if is_word(cur[-1]):
                    seen = True
                elif seen:
                    break
                cur.pop()
        elif k == LNEXT:
            lnext = True
        elif k == EOF:
            lines.append(bytes(cur))
            cur = []
        elif k == 0x0A:
            lines.append(bytes(cur + [0x0A]))
            cur = []
        else:
            cur.append(k)
    return lines, bytes(cur)


def shown(line: bytes) -> str:
    """How an echoed line looks: ^X for control characters, tabs expanded."""
    s = ""
    for c in line:
        if c == 0x09:
            s += " " * (8 - len(s) % 8)
        elif c < 0x20 or c == 0x7F:
            s += "^" + chr(c ^ 0x40)
        else:
            s += chr(c)
    return s


def screen(out: bytes) -> List[str]:
    """Replay console output on an endless, non-wrapping terminal; its rows, right-stripped."""
    rows: List[List[str]] = [[]]
    r = c = 0
    for b in out:
        if b == 0x0D:
            c = 0
        elif b == 0x0A:
            r += 1
            if r == len(rows):
                rows.append([])
        elif b == 0x08:
            c = max(0, c - 1)
        elif b == 0x09:
            c = (c | 7) + 1
        else:
            row = rows[r]
            while len(row) <= c:
                row.append(" ")
            row[c] = chr(b)
            c += 1
    return ["".join(x).rstrip() for x in rows]


def read_all(term: Term) -> List[bytes]:
    """Every line the reader gets now."""
    got: List[bytes] = []
    while True:
        try:
            got.append(term.read(8192, nonblock=True))
        except SysError as e:
            assert int(e.errno) == EAGAIN
            return got


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.sampled_from(KEYS), max_size=60))
def test_canonical_reads_match_model(term: Term, keys: List[int]) -> None:
    term.t.flush_input()
    term.type(bytes(keys))
    lines, pending = model(keys)
    assert read_all(term) == lines
    # What is still being edited comes out as one line once Enter is pressed.
    if term.t.lnext:
        # A ^V is pending: the next byte goes in literally, then Enter ends the line.
        term.type(b"\r\r")
        assert read_all(term) == [pending + b"\r\n"]
    else:
        term.type(b"\r")
        assert read_all(term) == [pending + b"\n"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.sampled_from([k for k in KEYS if k not in (EOF, LNEXT)]), max_size=60))
def test_echo_shows_the_model_lines(term: Term, keys: List[int]) -> None:
    # The screen starts at column 0 of a fresh row; ^D (no echo, the next line continues on the
    # same row) and ^V (a half-drawn "^" until the next key) are left out of this property.
    term.t.flush_input()
    term.t.column = term.t.line_column = 0
    term.take_out()
    term.type(bytes(keys))
    lines, pending = model(keys)
    expect = [shown(line.rstrip(b"\n")).rstrip() for line in lines] + [shown(pending).rstrip()]
    assert screen(term.take_out()) == expect
