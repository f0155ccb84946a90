"""`asterpy run -c`: the kernel command line it writes, and the quoting read back as the kernel reads it."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from images.cmdline import init_argv, quote_cmdline_word, shell_command_cmdline, split_cmdline


def test_run_c_command_line() -> None:
    """The documented form: init=/bin/sh asterpy.exit=1 quiet -- -c "CMD"."""
    assert shell_command_cmdline("echo hello | wc -c") == 'init=/bin/sh asterpy.exit=1 quiet -- -c "echo hello | wc -c"'


def test_extra_words_go_before_init_arguments() -> None:
    """Words from --cmdline stay kernel words: they come before `--`."""
    line = shell_command_cmdline("true", "memdebug=1")
    assert line.startswith("memdebug=1 init=/bin/sh ")
    assert init_argv(line) == ["/bin/sh", "-c", "true"]


@pytest.mark.parametrize("text,quoted", [
    ("plain", '"plain"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("back\\slash", '"back\\\\slash"'),
    ('\\"', '"\\\\\\""'),
    ("", '""'),
])
def test_quote_escapes_quotes_and_backslashes(text: str, quoted: str) -> None:
    """Only `"` and `\\` are escaped; everything else (spaces, $, ', |) stays as it is."""
    assert quote_cmdline_word(text) == quoted


def test_split_keeps_unquoted_words_and_spaces_in_quotes() -> None:
    """Words split at spaces; a quoted part keeps its spaces; quotes may start mid-word."""
    assert split_cmdline('  a  b="c d"  "e  f" --  -c "x \\"y\\" \\\\z" ') == \
        ["a", "b=c d", "e  f", "--", "-c", 'x "y" \\z']


def test_nul_is_refused() -> None:
    """A NUL byte cannot be on a command line."""
    with pytest.raises(ValueError):
        quote_cmdline_word("a\0b")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=60))
def test_any_command_reaches_sh_unchanged(command: str) -> None:
    """Whatever the command, the kernel's reading gives init argv /bin/sh -c COMMAND."""
    assert init_argv(shell_command_cmdline(command)) == ["/bin/sh", "-c", command]
