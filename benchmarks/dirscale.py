"""Directory scaling figures (issue 23): boot benchmarks/user/dirscale.c as init under QEMU
`-icount shift=0,sleep=off` (guest ns = instructions) on an asterpy kernel ELF or on Debian's Linux.

    .venv/bin/python -m benchmarks.dirscale images/out/x86_64/kernel.elf
    .venv/bin/python -m benchmarks.dirscale --linux
"""
import argparse
import tempfile
from pathlib import Path

from benchmarks import bench
from images.qemu import QemuConfig, run_qemu


def main() -> None:
    """Print the dirscale lines of one boot."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("kernel", nargs="?", help="an asterpy kernel ELF (default with --linux: Debian's vmlinux)")
    ap.add_argument("--linux", action="store_true", help="boot Debian's Linux (fetched as `asterpy bench` does)")
    args = ap.parse_args()
    prog = bench.build_program("dirscale").read_bytes()
    with tempfile.TemporaryDirectory(prefix="dirscale-") as tmp:
        img = bench.make_initramfs(Path(tmp) / "dirscale.cpio", {"init": prog})
        if args.linux:
            elf = bench.fetch_linux(print).vmlinux
            cmdline = "console=ttyS0 quiet panic=-1 init=/init"
        else:
            if not args.kernel:
                ap.error("give a kernel ELF or --linux")
            elf = Path(args.kernel)
            cmdline = "asterpy.exit=1 quiet init=/init"
        r = run_qemu(QemuConfig(kernel=elf, arch="x86_64", machine=bench.MACHINE, accel="tcg",
                                memory_mb=bench.MEMORY_MB, smp=1, timeout=900, initrd=img, cmdline=cmdline,
                                extra_args=bench.ICOUNT_ARGS))
    print("\n".join(line for line in r.output.replace("\r", "").splitlines() if "dirscale" in line))


if __name__ == "__main__":
    main()
