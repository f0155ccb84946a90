"""Run a kernel image in QEMU on the serial console: interactively, or captured for tests."""
from __future__ import annotations

import codecs
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Optional, Sequence, Union

# isa-debug-exit: a write of value v to the port makes QEMU exit with status (v << 1) | 1.
DEBUG_EXIT_PORT = 0xF4
# Kernel-side convention for the status written to the port.  0 is avoided on purpose: it
# maps to exit code 1, which QEMU also uses for its own errors (bad image, bad option).
KERNEL_EXIT_PASS = 0x10
KERNEL_EXIT_FAIL = 0x11

# Measured on these machines (docs/boot-x86_64.md): microvm is the fastest board that boots
# both our multiboot1 and PVH images through -kernel under TCG.
DEFAULT_X86_KERNEL_MACHINE = "microvm"
# A CD-ROM (GRUB ISO) needs a BIOS that boots from disks: pc with SeaBIOS.
DEFAULT_X86_CDROM_MACHINE = "pc"
# The id of the stdio character device that interactive runs mux the serial port and monitor on.
INTERACTIVE_CHARDEV = "con0"

@dataclass(frozen=True)
class Board:
    """How QEMU boots a kernel for one architecture."""

    qemu: str
    machine: str
    bios: Optional[str]
    exit_device: Optional[str]
    host_arch: str
    min_memory_mb: int = 0  # the board refuses less (loongarch64 virt wants at least 1 GiB)


BOARDS: dict[str, Board] = {
    "x86_64": Board(
        qemu="qemu-system-x86_64",
        machine=DEFAULT_X86_KERNEL_MACHINE,
        bios=None,
        exit_device=f"isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04",
        host_arch="x86_64",
    ),
    # OpenSBI 1.1 (-bios default) jumps to the kernel ELF linked at 0x80200000; the virt board
    # has a sifive_test device at 0x100000 (0x5555 = pass, 0x3333 | code << 16 = fail).
    "riscv64": Board(
        qemu="qemu-system-riscv64", machine="virt", bios="default", exit_device=None,
        host_arch="riscv64",
    ),
    # No firmware: QEMU loads the ELF itself.  No exit device: write 0x34 to 0x100e001c to
    # power off (exit code 0) and report PASS/FAIL as text on the UART.
    "loongarch64": Board(
        qemu="qemu-system-loongarch64", machine="virt", bios=None, exit_device=None,
        host_arch="loongarch64", min_memory_mb=1024,
    ),
}


@dataclass
class QemuConfig:
    """What to boot and how: one QEMU invocation."""

    kernel: Optional[Path] = None       # ELF for -kernel (multiboot1 / PVH on x86_64)
    arch: str = "x86_64"
    cdrom: Optional[Path] = None        # boot this ISO (GRUB) instead of -kernel
    machine: Optional[str] = None       # None: the board default for -kernel or -cdrom
    bios: Optional[str] = None          # None: the board default; a path or QEMU's "default"
    accel: Optional[str] = None         # None: choose_accel(); or "tcg" / "kvm"
    cpu: Optional[str] = None           # None: "host" under KVM, QEMU's default under TCG
    memory_mb: int = 256
    smp: int = 1
    cmdline: str = ""                   # kernel command line (-append)
    initrd: Optional[Path] = None       # initrd; a multiboot module on x86_64
    debug_exit: bool = True             # x86_64: isa-debug-exit at port 0xf4
    no_reboot: bool = True              # a triple fault ends QEMU instead of rebooting
    gdb: bool = False                   # -s -S: gdbstub on tcp::1234, CPU halted at start
    timeout: float = 30.0               # seconds of wall time for captured runs
    extra_args: Sequence[str] = field(default_factory=tuple)
    qemu_binary: Optional[str] = None   # override the board's qemu-system-* binary
    disks: Sequence[Path] = field(default_factory=tuple)   # raw images: virtio-blk vda, vdb...


@dataclass
class QemuResult:
    """The outcome of a captured QEMU run."""

    command: list[str]
    returncode: Optional[int]           # None only if QEMU could not be reaped
    output: str                         # serial output, CR LF folded to LF
    stderr: str                         # QEMU's own messages
    elapsed: float                      # seconds from start to exit (or to the kill)
    timed_out: bool
    exit_status: Optional[int]          # the kernel's status, decoded (see exit_status())
    match_time: Optional[float] = None  # seconds until `until` appeared, if it did

    @property
    def matched(self) -> bool:
        """True when the awaited string appeared."""
        return self.match_time is not None


def kvm_usable() -> bool:
    """True if /dev/kvm exists, opens read-write and is not the nested PVM (kvm_pvm) flavour."""
    if os.path.isdir("/sys/module/kvm_pvm"):
        # PVM cannot run ordinary guests: -cpu host aborts, firmware crawls (DESIGN.md 3).
        return False
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    os.close(fd)
    return True


def _host_arch() -> str:
    """The host machine name as QEMU arch names go (x86_64, riscv64, loongarch64)."""
    return os.uname().machine


def choose_accel(arch: str = "x86_64") -> str:
    """The accelerator to use: ASTERPY_ACCEL=tcg|kvm if set, else kvm when usable for arch."""
    forced = os.environ.get("ASTERPY_ACCEL", "").strip().lower()
    if forced:
        if forced not in ("tcg", "kvm"):
            raise ValueError(f"ASTERPY_ACCEL must be 'tcg' or 'kvm', not {forced!r}")
        return forced
    if BOARDS[arch].host_arch == _host_arch() and kvm_usable():
        return "kvm"
    return "tcg"


def exit_status(returncode: Optional[int], arch: str = "x86_64") -> Optional[int]:
    """The status the kernel reported through the exit device, or None if none can be told."""
    if returncode is None or returncode < 0:
        return None
    if arch == "x86_64":
        # isa-debug-exit: (status << 1) | 1.  An even code means QEMU ended otherwise (0 is a
        # normal quit, e.g. -no-reboot after a triple fault).
        return returncode >> 1 if returncode & 1 else None
    # riscv64 sifive_test and loongarch64 power-off: QEMU's exit code is the status.
    return returncode


def _escape_opt(value: str) -> str:
    """Escape commas for a QEMU option value (',' is the separator, ',,' a literal comma)."""
    return value.replace(",", ",,")


def disk_args(arch: str, disks: Sequence[Path]) -> list[str]:
    """QEMU arguments attaching each raw image as a virtio block device: PCI on x86_64, MMIO on riscv64."""
    if disks and arch not in ("x86_64", "riscv64"):
        raise ValueError(f"disks are virtio-blk on x86_64 (PCI) and riscv64 (MMIO) only so far, not {arch}")
    args: list[str] = []
    if disks and arch == "riscv64":
        # virt's virtio-mmio slots speak the legacy interface unless told otherwise; the kernel
        # drives virtio 1.x only.
        args += ["-global", "virtio-mmio.force-legacy=false"]
    device = "virtio-blk-pci" if arch == "x86_64" else "virtio-blk-device"
    for i, disk in enumerate(disks):
        path = Path(disk)
        if not path.is_file():
            raise ValueError(f"disk image {path} does not exist")
        args += ["-drive", f"file={_escape_opt(str(path))},format=raw,if=none,id=disk{i},cache=writeback",
                 "-device", f"{device},drive=disk{i}"]
    return args


def qemu_command(cfg: QemuConfig, interactive: bool = False) -> list[str]:
    """The QEMU argument vector for cfg; serial on stdio, muxed with the monitor if interactive."""
    if cfg.arch not in BOARDS:
        raise ValueError(f"unknown arch {cfg.arch!r}; known: {', '.join(BOARDS)}")
    if (cfg.kernel is None) == (cfg.cdrom is None):
        raise ValueError("give exactly one of kernel= and cdrom=")
    board = BOARDS[cfg.arch]
    binary = cfg.qemu_binary or board.qemu
    if cfg.machine is not None:
        machine = cfg.machine
    elif cfg.arch == "x86_64" and (cfg.cdrom is not None or cfg.disks):
        # Disks are virtio-blk-pci: microvm has no PCI bus (and no firmware to assign BARs).
        machine = DEFAULT_X86_CDROM_MACHINE
    else:
        machine = board.machine
    accel = cfg.accel or choose_accel(cfg.arch)

    # -nodefaults: no VGA, NIC (and its option ROM), floppy, parallel port or default serial;
    # the boards still have their own built-in devices (IDE on pc, UART on virt).
    args = [binary, "-M", machine, "-accel", accel, "-nodefaults", "-display", "none",
            "-m", str(max(cfg.memory_mb, board.min_memory_mb)), "-smp", str(cfg.smp)]
    cpu = cfg.cpu or ("host" if accel == "kvm" else None)
    if cpu:
        args += ["-cpu", cpu]
    bios = cfg.bios if cfg.bios is not None else board.bios
    if bios:
        args += ["-bios", str(bios)]
    if interactive:
        # The serial console and QEMU's monitor share this terminal (Ctrl-A X quits, Ctrl-A C
        # switches to the monitor and back); signal=off keeps Ctrl-C and Ctrl-Z for the guest.
        args += ["-chardev", f"stdio,id={INTERACTIVE_CHARDEV},mux=on,signal=off",
                 "-serial", f"chardev:{INTERACTIVE_CHARDEV}", "-mon", f"chardev={INTERACTIVE_CHARDEV},mode=readline"]
    else:
        args += ["-serial", "stdio", "-monitor", "none"]
    if cfg.no_reboot:
        args.append("-no-reboot")
    if cfg.debug_exit and board.exit_device:
        args += ["-device", board.exit_device]
    if cfg.kernel is not None:
        args += ["-kernel", str(cfg.kernel)]
        if cfg.cmdline:
            args += ["-append", cfg.cmdline]
        if cfg.initrd is not None:
            # QEMU's multiboot loader splits -initrd at ',' and takes the text after the
            # first space as the module's arguments; its PVH loader takes the string as one
            # path.  Only a path without either means the same to both.
            initrd = str(cfg.initrd)
            if "," in initrd or " " in initrd:
                raise ValueError(f"initrd path must not contain ',' or ' ': {initrd!r}")
            args += ["-initrd", initrd]
    else:
        args += ["-drive", f"file={_escape_opt(str(cfg.cdrom))},media=cdrom,readonly=on",
                 "-boot", "d"]
    args += disk_args(cfg.arch, cfg.disks)
    if cfg.gdb:
        args += ["-s", "-S"]
    args += list(cfg.extra_args)
    return args


class QemuSession:
    """A running QEMU with captured serial output; wait for text, send input, stop it."""

    def __init__(self, cfg: QemuConfig) -> None:
        """Start QEMU for cfg in captured mode."""
        self.cfg = cfg
        self.command = qemu_command(cfg, interactive=False)
        if shutil.which(self.command[0]) is None:
            raise FileNotFoundError(
                f"{self.command[0]} not found (Debian: qemu-system-x86 / qemu-system-misc)")
        self._raw = bytearray()
        self._err = bytearray()
        self._text = ""                 # decoded serial output, CR LF folded to LF
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending_cr = False
        self._cond = threading.Condition()
        self.start_time = time.monotonic()
        self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self._readers = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, True), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, False), daemon=True),
        ]
        for t in self._readers:
            t.start()
        self.end_time: Optional[float] = None
        self.timed_out = False
        self.killed = False

    def _pump(self, stream: "Optional[IO[bytes]]", is_serial: bool) -> None:
        """Copy one pipe into the session's buffers, waking waiters on every chunk and at EOF."""
        assert stream is not None
        while True:
            chunk = os.read(stream.fileno(), 65536)
            with self._cond:
                if is_serial:
                    self._raw += chunk
                    self._append_text(self._decoder.decode(chunk, final=not chunk))
                else:
                    self._err += chunk
                self._cond.notify_all()
            if not chunk:
                return

    def _append_text(self, text: str) -> None:
        """Add decoded text, folding CR LF to LF, also across chunk boundaries."""
        if self._pending_cr:
            text = "\r" + text
            self._pending_cr = False
        if text.endswith("\r"):
            text = text[:-1]
            self._pending_cr = True
        self._text += text.replace("\r\n", "\n")

    @property
    def output(self) -> str:
        """Serial output so far, decoded, CR LF folded to LF."""
        with self._cond:
            return self._text + ("\r" if self._pending_cr else "")

    @property
    def raw_output(self) -> bytes:
        """Serial output so far, as QEMU wrote it."""
        with self._cond:
            return bytes(self._raw)

    @property
    def stderr(self) -> str:
        """QEMU's own messages so far."""
        with self._cond:
            data = bytes(self._err)
        return data.decode("utf-8", errors="replace")

    def elapsed(self) -> float:
        """Seconds since QEMU was started (until it ended, if it has)."""
        end = self.end_time if self.end_time is not None else time.monotonic()
        return end - self.start_time

    def wait_for(self, pattern: "Union[str, re.Pattern[str]]", timeout: float) -> Optional[float]:
        """Wait until pattern (text or regex) is in the output; seconds since start, or None."""
        deadline = time.monotonic() + timeout
        scan_from = 0
        with self._cond:
            while True:
                if isinstance(pattern, re.Pattern):
                    found = pattern.search(self._text) is not None
                else:
                    # Only the new tail can hold a match that was not there before.
                    found = self._text.find(pattern, scan_from) >= 0
                    scan_from = max(0, len(self._text) - len(pattern) + 1)
                if found:
                    return time.monotonic() - self.start_time
                if self.proc.poll() is not None and not any(t.is_alive() for t in self._readers):
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 0.05))

    def send(self, data: Union[str, bytes]) -> None:
        """Type data on the serial console."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(data.encode() if isinstance(data, str) else data)
        self.proc.stdin.flush()

    def wait(self, timeout: float) -> Optional[int]:
        """Wait up to timeout seconds for QEMU to exit; its exit code, or None if still running."""
        try:
            rc = self.proc.wait(timeout=max(timeout, 0.0))
        except subprocess.TimeoutExpired:
            return None
        if self.end_time is None:
            self.end_time = time.monotonic()
        return rc

    def close(self) -> Optional[int]:
        """Stop QEMU if it still runs (SIGTERM, then SIGKILL) and return its exit code."""
        if self.proc.poll() is None:
            self.killed = True
            self.proc.terminate()
            if self.wait(2.0) is None:
                self.proc.kill()
                self.wait(5.0)
        if self.end_time is None:
            self.end_time = time.monotonic()
        for t in self._readers:
            t.join(timeout=2.0)
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        return self.proc.returncode

    def __enter__(self) -> "QemuSession":
        """Context manager: the session itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Context manager: stop QEMU."""
        self.close()


def run_qemu(cfg: QemuConfig, until: Optional[Union[str, "re.Pattern[str]"]] = None,
             input: Optional[Union[str, bytes]] = None) -> QemuResult:
    """Boot cfg with captured serial output until QEMU exits, `until` appears, or cfg.timeout."""
    session = QemuSession(cfg)
    match_time: Optional[float] = None
    try:
        if input is not None:
            session.send(input)
        if until is not None:
            match_time = session.wait_for(until, cfg.timeout)
            if match_time is None and session.proc.poll() is None:
                session.timed_out = True
        else:
            if session.wait(cfg.timeout) is None:
                session.timed_out = True
    finally:
        rc = session.close()
    return QemuResult(
        command=session.command,
        returncode=rc,
        output=session.output,
        stderr=session.stderr,
        elapsed=session.elapsed(),
        timed_out=session.timed_out,
        exit_status=None if session.killed else exit_status(rc, cfg.arch),
        match_time=match_time,
    )


def run_interactive(cfg: QemuConfig) -> int:
    """Boot cfg with the serial console on this terminal (Ctrl-A X quits, Ctrl-C goes to the guest);
    QEMU's exit code."""
    command = qemu_command(cfg, interactive=True)
    if cfg.gdb:
        print("asterpy: QEMU waits for gdb on tcp::1234 (target remote :1234)", file=sys.stderr)
    return subprocess.call(command, preexec_fn=_die_with_parent)


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGKILL it when the process that started it ends."""
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass


class _CrLfFolder:
    """Fold CR LF to LF in a byte stream cut into chunks (a CR at a chunk's end waits for the next)."""

    def __init__(self) -> None:
        """Nothing pending."""
        self.pending_cr = False

    def feed(self, chunk: bytes) -> bytes:
        """The bytes of chunk that can be written now, CR LF folded."""
        if self.pending_cr:
            chunk = b"\r" + chunk
            self.pending_cr = False
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
            self.pending_cr = True
        return chunk.replace(b"\r\n", b"\n")

    def flush(self) -> bytes:
        """What is still held back at the end of the stream."""
        out = b"\r" if self.pending_cr else b""
        self.pending_cr = False
        return out


def run_streaming(cfg: QemuConfig, out: "Optional[IO[bytes]]" = None,
                  err: "Optional[IO[bytes]]" = None) -> QemuResult:
    """Boot cfg non-interactively, copying the serial output to `out` as it comes (CR LF as LF)
    and QEMU's own messages to `err`; stdin is not read. Stops QEMU at cfg.timeout."""
    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr.buffer
    command = qemu_command(cfg, interactive=False)
    if shutil.which(command[0]) is None:
        raise FileNotFoundError(f"{command[0]} not found (Debian: qemu-system-x86 / qemu-system-misc)")
    start = time.monotonic()
    # Same process group as asterpy (a terminal's ^C or `timeout` reaches QEMU too), and QEMU is
    # killed if asterpy dies first: a -c run never leaves a guest running behind it.
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_die_with_parent)
    captured = bytearray()
    errors = bytearray()

    def pump_err() -> None:
        """Collect QEMU's stderr (written out at the end, without the timeout kill's message)."""
        assert proc.stderr is not None
        while True:
            chunk = os.read(proc.stderr.fileno(), 65536)
            if not chunk:
                return
            errors.extend(chunk)

    def pump_out() -> None:
        """Copy the serial output to `out` while QEMU runs."""
        assert proc.stdout is not None
        folder = _CrLfFolder()
        while True:
            chunk = os.read(proc.stdout.fileno(), 65536)
            data = folder.feed(chunk) if chunk else folder.flush()
            if data:
                captured.extend(data)
                try:
                    out.write(data)
                    out.flush()
                except (BrokenPipeError, ValueError):
                    pass
            if not chunk:
                return

    readers = [threading.Thread(target=pump_out, daemon=True), threading.Thread(target=pump_err, daemon=True)]
    for t in readers:
        t.start()
    timed_out = False
    try:
        proc.wait(timeout=cfg.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.terminate()
        try:
            proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for t in readers:
        t.join(timeout=2.0)
    stderr = errors.decode("utf-8", errors="replace")
    shown = "\n".join(line for line in stderr.splitlines() if "terminating on signal" not in line)
    if shown.strip():
        try:
            err.write((shown.rstrip() + "\n").encode())
            err.flush()
        except (BrokenPipeError, ValueError):
            pass
    return QemuResult(command=command, returncode=proc.returncode, output=captured.decode("utf-8", errors="replace"),
                      stderr=stderr, elapsed=time.monotonic() - start, timed_out=timed_out,
                      exit_status=None if timed_out else exit_status(proc.returncode, cfg.arch))
