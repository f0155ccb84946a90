"""The kernel command line as the host writes it: quoting init's arguments, and the same rules read back.

The kernel splits its command line at spaces. A word may hold double-quoted parts, in which spaces
are kept and a backslash escapes the next `"` or `\\` (src/asterpy/kernel/cmdline.py reads it
that way; docs/cmdline.md has every word). Words after `--` are init's arguments (argv[1..]). `asterpy run -c CMD` boots with

    init=/bin/sh asterpy.exit=1 quiet -- -c "CMD"

with CMD's `"` and `\\` escaped, so any shell command reaches `sh -c` unchanged.
"""
from __future__ import annotations

SHELL = "/bin/sh"


def quote_cmdline_word(text: str) -> str:
    """text as one command-line word: in double quotes, with `\\` and `"` escaped by a backslash."""
    if "\0" in text:
        raise ValueError("a kernel command-line word cannot hold a NUL byte")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def shell_command_cmdline(command: str, extra: str = "", shell: str = SHELL) -> str:
    """The command line that runs `shell -c command` as init, quietly, and powers off with its status.

    `extra` (kernel words, e.g. from `asterpy run -a`) goes before init's arguments.
    """
    words = [w for w in (extra.strip(), f"init={shell}", "asterpy.exit=1", "quiet") if w]
    return " ".join(words) + " -- -c " + quote_cmdline_word(command)


def split_cmdline(cmdline: str) -> list[str]:
    """The words of a command line as the kernel reads them (quotes removed, escapes applied)."""
    words: list[str] = []
    i, n = 0, len(cmdline)
    while i < n:
        while i < n and cmdline[i] == " ":
            i += 1
        if i >= n:
            break
        word: list[str] = []
        quoted = False
        while i < n and (quoted or cmdline[i] != " "):
            c = cmdline[i]
            if c == '"':
                quoted = not quoted
            elif quoted and c == "\\" and i + 1 < n and cmdline[i + 1] in '"\\':
                i += 1
                word.append(cmdline[i])
            else:
                word.append(c)
            i += 1
        words.append("".join(word))
    return words


def init_argv(cmdline: str) -> list[str]:
    """init's argv for a line whose other words the kernel consumes (as `asterpy run -c` writes them):
    the path of the last init= word, then the words after `--` (docs/cmdline.md has the full rules)."""
    words = split_cmdline(cmdline)
    argv: list[str] = []
    path = ""
    for k, w in enumerate(words):
        if w == "--":
            argv = words[k + 1:]
            break
        if w.startswith("init=") and len(w) > 5:
            path = w[5:]
    return [path] + argv if path else []
