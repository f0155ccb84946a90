"""Boot the riscv64 shim + stub kmain under QEMU/TCG (virt, OpenSBI) and check the linked ELF."""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Sequence

import pytest
from elftools.elf.elffile import ELFFile

from translator.driver import compile_file
from translator.emit import assemble
from images import QemuConfig, QemuResult, run_qemu
from translator.link import link, read_symbols
from translator.targets import get_target

pytestmark = pytest.mark.boot

REPO = Path(__file__).resolve().parents[2]
ARCH_DIR = REPO / "arch" / "riscv64"
STUB_S = Path(__file__).resolve().parent / "fixtures" / "kmain_stub_riscv64.S"
LINK_ARGS = ["-z", "max-page-size=4096", "--build-id=none"]

KERNEL_VMA_OFFSET = 0xFFFFFFFF00000000
PHYS_BASE = 0x80200000
RAM_BASE = 0x80000000
FDT_MAGIC = 0xD00DFEED
SECTION_SYMBOLS = ["__kernel_start", "__text_start", "__text_end", "__rodata_start",
                   "__rodata_end", "__data_start", "__data_end", "__bss_start", "__bss_end",
                   "__kernel_end"]

STUB_LINE = re.compile(
    r"asterpy stub kmain: arch=riscv64 arg1=0x(?P<arg1>[0-9a-f]+) hart=0x(?P<hart>[0-9a-f]+) "
    r"fdt_magic=0x(?P<magic>[0-9a-f]+) pc=0x(?P<pc>[0-9a-f]+) sp=0x(?P<sp>[0-9a-f]+) "
    r"satp=0x(?P<satp>[0-9a-f]+) sstatus=0x(?P<sstatus>[0-9a-f]+) "
    r"stack=(?P<stack>\w+) maps=(?P<maps>\w+)")

# A kmain that loads from an unmapped address: the shim's early trap report must show it.
TRAP_KMAIN = """
    .text
    .globl kmain
kmain:
    li t0, 0x1234
    ld t1, 0(t0)
    ret
"""


def build_kernel(out_dir: Path, kmain_source: Path, name: str = "kernel.elf",
                 defines: Sequence[str] = (), objects: Sequence[Path] = ()) -> Path:
    """Boot shim + a kmain (assembly) -> out_dir/name, with the translator's own emit/link steps."""
    target = get_target("riscv64", kernel=True)
    stem = Path(name).stem
    boot_o = assemble(ARCH_DIR / "boot.S", target, out_dir / f"{stem}-boot.o")
    kmain_o = assemble(kmain_source, target, out_dir / f"{stem}-kmain.o",
                       extra_args=[f"-D{d}" for d in defines])
    return link([boot_o, kmain_o, *objects], out_dir / name,
                linker_script=ARCH_DIR / "kernel.ld", extra_args=LINK_ARGS)


@pytest.fixture(scope="module")
def rv_kernel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The riscv64 shim linked with the stub kmain."""
    return build_kernel(tmp_path_factory.mktemp("rv64"), STUB_S)


@pytest.fixture
def qemu_rv() -> str:
    """The qemu-system-riscv64 binary; skips the test when it is not installed."""
    path = shutil.which("qemu-system-riscv64")
    if path is None:
        pytest.skip("qemu-system-riscv64 not installed")
    return path


def boot(kernel: Path, **kw: object) -> QemuResult:
    """Boot on virt with OpenSBI under TCG and return the captured result."""
    cfg = QemuConfig(kernel=kernel, arch="riscv64", accel="tcg", timeout=10.0, **kw)  # type: ignore[arg-type]
    return run_qemu(cfg)


def stub_report(result: QemuResult) -> dict[str, int | str]:
    """Parse the stub's line from the serial output, failing with QEMU's output if it is absent."""
    m = STUB_LINE.search(result.output)
    assert m, (f"no stub line (rc={result.returncode}, timed_out={result.timed_out})\n"
               f"serial:\n{result.output[-2000:]}\nstderr:\n{result.stderr[-2000:]}")
    return {k: (v if k in ("stack", "maps") else int(v, 16)) for k, v in m.groupdict().items()}


def check_report(report: dict[str, int | str], memory_mb: int, harts: int = 1) -> None:
    """What the shim promises kmain: boot hart, FDT in RAM, higher half, Sv39, aligned stack."""
    fdt = int(report["arg1"])
    assert RAM_BASE <= fdt < RAM_BASE + memory_mb * 1024 * 1024, f"FDT at {fdt:#x} is not in RAM"
    assert report["magic"] == FDT_MAGIC, "a1 does not point at a flattened device tree"
    # OpenSBI's cold-boot lottery decides which hart boots: any of them under -smp N.
    assert int(report["hart"]) < harts
    assert int(report["pc"]) >= KERNEL_VMA_OFFSET + PHYS_BASE, "kmain does not run in the higher half"
    assert int(report["sp"]) >= KERNEL_VMA_OFFSET + PHYS_BASE, "sp is not the higher-half stack"
    satp = int(report["satp"])
    assert satp >> 60 == 8, "satp mode is not Sv39"
    sstatus = int(report["sstatus"])
    assert sstatus & 0x2 == 0, "interrupts enabled"
    assert sstatus & 0x6000 == 0, "FPU left on (the kernel is soft-float)"
    assert report["stack"] == "ok", "sp not 16-byte aligned at kmain"
    assert report["maps"] == "ok", "identity, kernel window and direct map disagree"


def test_elf_layout(rv_kernel: Path) -> None:
    """Segments load from 0x80200000 physical, linked at +0xffffffff00000000; entry first."""
    with rv_kernel.open("rb") as f:
        elf = ELFFile(f)
        assert elf.elfclass == 64 and elf["e_machine"] == "EM_RISCV"
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        assert loads and loads[0]["p_paddr"] == PHYS_BASE
        for seg in loads:
            assert seg["p_vaddr"] - seg["p_paddr"] == KERNEL_VMA_OFFSET
        assert elf["e_entry"] == PHYS_BASE
    syms = read_symbols(rv_kernel)
    # QEMU starts the payload at the lowest p_paddr, so the entry must be the first byte.
    assert syms["asterpy_entry"] == KERNEL_VMA_OFFSET + PHYS_BASE
    values = [syms[s] for s in SECTION_SYMBOLS]
    assert values == sorted(values), "section symbols out of order"
    assert syms["__kernel_start"] == KERNEL_VMA_OFFSET + PHYS_BASE
    assert syms["__kernel_phys_end"] == syms["__kernel_end"] - KERNEL_VMA_OFFSET
    assert syms["asterpy_boot_pt_root"] % 4096 == 0
    assert syms["asterpy_boot_stack_top"] % 16 == 0


@pytest.mark.parametrize("memory_mb", [256, 1024])
def test_boot_reaches_kmain(qemu_rv: str, rv_kernel: Path, memory_mb: int) -> None:
    """OpenSBI -> shim -> stub kmain(hartid, fdt) in the higher half; sifive_test ends QEMU."""
    result = boot(rv_kernel, memory_mb=memory_mb)
    check_report(stub_report(result), memory_mb)
    assert not result.timed_out
    assert result.returncode == 0, "sifive_test pass (0x5555) did not end QEMU"
    assert result.elapsed < 5.0


def test_boot_smp_one_line(qemu_rv: str, rv_kernel: Path) -> None:
    """With 4 harts exactly one reaches kmain (OpenSBI starts one; the lottery parks others)."""
    result = boot(rv_kernel, smp=4)
    report = stub_report(result)
    check_report(report, 256, harts=4)
    assert result.output.count("asterpy stub kmain") == 1
    assert result.returncode == 0


def test_early_trap_is_reported(qemu_rv: str, tmp_path: Path) -> None:
    """A fault before the kernel has a vector prints scause/sepc/stval through SBI and stops."""
    src = tmp_path / "trap_kmain.S"
    src.write_text(TRAP_KMAIN)
    kernel = build_kernel(tmp_path, src, "trap.elf")
    result = boot(kernel)
    m = re.search(r"asterpy boot: trap scause=0x([0-9a-f]{16}) sepc=0x([0-9a-f]{16}) "
                  r"stval=0x([0-9a-f]{16})", result.output)
    assert m, f"no trap report:\n{result.output[-2000:]}"
    assert int(m.group(1), 16) == 13, "expected a load page fault"
    assert int(m.group(2), 16) >= KERNEL_VMA_OFFSET + PHYS_BASE
    assert int(m.group(3), 16) == 0x1234
    assert not result.timed_out, "SBI system reset did not end QEMU"


def test_native_fdt_reader(qemu_rv: str, tmp_path: Path) -> None:
    """src/asterpy/boot/fdt.py, translated for riscv64, reads QEMU's FDT from the stub kmain."""
    fdt_o = compile_file(REPO / "src" / "asterpy" / "boot" / "fdt.py", arch="riscv64",
                         emit="obj", out=tmp_path / "fdt.o")
    kernel = build_kernel(tmp_path, STUB_S, "fdt.elf", defines=["ASTERPY_NATIVE_FDT"],
                          objects=[fdt_o])
    result = boot(kernel, memory_mb=512, cmdline="console=ttyS0 asterpy=native")
    check_report(stub_report(result), 512)
    m = re.search(r"asterpy stub fdt: open=0x0 memory=0x([0-9a-f]+) uart=0x([0-9a-f]+) "
                  r"bootargs=(.*)\|", result.output)
    assert m, f"no fdt line:\n{result.output[-2000:]}"
    assert int(m.group(1), 16) == 512 << 20
    assert int(m.group(2), 16) == 0x10000000
    assert m.group(3) == "console=ttyS0 asterpy=native"
    assert result.returncode == 0
