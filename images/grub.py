"""GRUB 2 boot ISO: the kernel ELF loaded with `multiboot2`, serial console, no menu delay."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]
# A module is a file, or (file, command line) for multiboot2's `module2 FILE ARGS`.
Module = Union[PathLike, Tuple[PathLike, str]]

GRUB_I386_PC_DIR = Path("/usr/lib/grub/i386-pc")
# BIOS GRUB is enough for QEMU's SeaBIOS; restricting the platform and the module set keeps
# the ISO small and grub-mkrescue fast.
_GRUB_INSTALL_MODULES = "multiboot2 normal serial terminal boot configfile echo test"


def _grub_quote(text: str) -> str:
    """Quote one grub.cfg word in single quotes (a quote inside becomes '\\'')."""
    return "'" + text.replace("'", "'\\''") + "'"


def _grub_words(text: str) -> str:
    """Each whitespace-separated word of text, quoted, each preceded by one space."""
    return "".join(" " + _grub_quote(word) for word in text.split())


def grub_config(kernel_name: str, cmdline: str = "", module_lines: Sequence[str] = ()) -> str:
    """The grub.cfg text: boot kernel_name with multiboot2 at once, console on COM1 and VGA."""
    # GRUB rebuilds the command line from its arguments, joined by one space, and wraps an
    # argument that holds a space in double quotes (escaping '"' and backslash).  So each
    # word goes as its own argument, single-quoted so that GRUB's shell expands nothing
    # ($, ;).  Runs of spaces collapse to one; quotes and backslashes inside words reach the
    # kernel backslash-escaped.
    args = _grub_words(cmdline)
    lines = [
        "set timeout=0",
        "set default=0",
        "serial --unit=0 --speed=115200",
        "terminal_input serial console",
        "terminal_output serial console",
        'menuentry "asterpy" {',
        f"    multiboot2 /boot/{kernel_name}{args}",
        *[f"    {line}" for line in module_lines],
        "    boot",
        "}",
        "",
    ]
    return "\n".join(lines)


def make_grub_iso(kernel_elf: PathLike, out_iso: PathLike, cmdline: str = "",
                  modules: Sequence[Module] = ()) -> Path:
    """Build a BIOS GRUB ISO at out_iso that multiboot2-loads kernel_elf; returns out_iso."""
    tool = shutil.which("grub-mkrescue")
    if tool is None:
        raise FileNotFoundError(
            "grub-mkrescue not found (Debian: grub-pc-bin grub-common xorriso mtools)")
    kernel_elf = Path(kernel_elf)
    out_iso = Path(out_iso)
    out_iso.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="asterpy-iso-") as tmp:
        root = Path(tmp) / "iso"
        boot = root / "boot"
        (boot / "grub").mkdir(parents=True)
        shutil.copyfile(kernel_elf, boot / "kernel.elf")
        module_lines = []
        for i, mod in enumerate(modules):
            path, args = (mod if isinstance(mod, tuple) else (mod, ""))
            path = Path(path)
            name = f"mod{i}-{path.name}"
            shutil.copyfile(path, boot / name)
            # The module's command line defaults to its file name, so the kernel can tell
            # modules apart (e.g. "initrd").
            module_lines.append(f"module2 /boot/{name}{_grub_words(args or path.name)}")
        (boot / "grub" / "grub.cfg").write_text(grub_config("kernel.elf", cmdline, module_lines))
        command = [tool, "-o", str(out_iso)]
        if GRUB_I386_PC_DIR.is_dir():
            command += ["-d", str(GRUB_I386_PC_DIR)]
        command += ["--install-modules=" + _GRUB_INSTALL_MODULES, "--locales=", "--fonts=",
                    "--themes=", str(root)]
        proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"grub-mkrescue failed ({proc.returncode}):\n{proc.stdout}")
    return out_iso
