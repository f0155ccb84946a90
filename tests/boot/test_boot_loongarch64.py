"""Boot the loongarch64 shim + stub kmain under QEMU/TCG (virt, no firmware) and check the ELF."""
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
ARCH_DIR = REPO / "arch" / "loongarch64"
STUB_S = Path(__file__).resolve().parent / "fixtures" / "kmain_stub_loongarch64.S"
LINK_ARGS = ["-z", "max-page-size=4096", "--build-id=none"]

KERNEL_VMA_OFFSET = 0xFFFFFFFF80000000
PHYS_BASE = 0x200000
FDT_MAGIC = 0xD00DFEED
# QEMU 7.2's loongarch64 virt board refuses less ("ram_size must be greater than 1G").
MEMORY_MB = 1024
CRMD_PG_MODE = 0xB0
DMW0 = 0x8000000000000001
DMW1 = 0x9000000000000011
SECTION_SYMBOLS = ["__kernel_start", "__text_start", "__text_end", "__rodata_start",
                   "__rodata_end", "__data_start", "__data_end", "__bss_start", "__bss_end",
                   "__kernel_end"]

STUB_LINE = re.compile(
    r"asterpy stub kmain: arch=loongarch64 arg1=0x(?P<arg1>[0-9a-f]+) arg0=0x(?P<arg0>[0-9a-f]+) "
    r"arg2=0x(?P<arg2>[0-9a-f]+) fdt_magic=0x(?P<magic>[0-9a-f]+) pc=0x(?P<pc>[0-9a-f]+) "
    r"sp=0x(?P<sp>[0-9a-f]+) crmd=0x(?P<crmd>[0-9a-f]+) dmw0=0x(?P<dmw0>[0-9a-f]+) "
    r"dmw1=0x(?P<dmw1>[0-9a-f]+) stack=(?P<stack>\w+) maps=(?P<maps>\w+)")

# kmains that fault before the kernel has vectors: an unmapped load (the refill handler fills an
# invalid pair, so the retried load raises PIL) and `break`.
TRAP_KMAINS = {
    "tlbr": ".text\n.globl kmain\nkmain:\n  li.d $t0, 0x1234\n  ld.d $t1, $t0, 0\n  jr $ra\n",
    "break": ".text\n.globl kmain\nkmain:\n  break 0\n  jr $ra\n",
}


def build_kernel(out_dir: Path, kmain_source: Path, name: str = "kernel.elf",
                 defines: Sequence[str] = (), objects: Sequence[Path] = ()) -> Path:
    """Boot shim + a kmain (assembly) -> out_dir/name, with the translator's own emit/link steps."""
    target = get_target("loongarch64", kernel=True)
    stem = Path(name).stem
    boot_o = assemble(ARCH_DIR / "boot.S", target, out_dir / f"{stem}-boot.o")
    kmain_o = assemble(kmain_source, target, out_dir / f"{stem}-kmain.o",
                       extra_args=[f"-D{d}" for d in defines])
    return link([boot_o, kmain_o, *objects], out_dir / name,
                linker_script=ARCH_DIR / "kernel.ld", extra_args=LINK_ARGS)


@pytest.fixture(scope="module")
def la_kernel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The loongarch64 shim linked with the stub kmain."""
    return build_kernel(tmp_path_factory.mktemp("la64"), STUB_S)


@pytest.fixture
def qemu_la() -> str:
    """The qemu-system-loongarch64 binary; skips the test when it is not installed."""
    path = shutil.which("qemu-system-loongarch64")
    if path is None:
        pytest.skip("qemu-system-loongarch64 not installed")
    return path


def boot(kernel: Path, timeout: float = 10.0, **kw: object) -> QemuResult:
    """Boot on virt under TCG with 1 GiB and return the captured result."""
    kw.setdefault("memory_mb", MEMORY_MB)
    cfg = QemuConfig(kernel=kernel, arch="loongarch64", accel="tcg", timeout=timeout,
                     **kw)  # type: ignore[arg-type]
    return run_qemu(cfg)


def stub_report(result: QemuResult) -> dict[str, int | str]:
    """Parse the stub's line from the serial output, failing with QEMU's output if it is absent."""
    m = STUB_LINE.search(result.output)
    assert m, (f"no stub line (rc={result.returncode}, timed_out={result.timed_out})\n"
               f"serial:\n{result.output[-2000:]}\nstderr:\n{result.stderr[-2000:]}")
    return {k: (v if k in ("stack", "maps") else int(v, 16)) for k, v in m.groupdict().items()}


def check_report(report: dict[str, int | str]) -> None:
    """What the shim promises kmain: loader registers passed on, windows, paging mode, stack."""
    # QEMU 7.2 leaves a0..a2 at zero and the FDT at physical 1 MiB.
    assert (report["arg0"], report["arg1"], report["arg2"]) == (0, 0, 0)
    assert report["magic"] == FDT_MAGIC, "no FDT at physical 0x100000"
    assert int(report["pc"]) >= KERNEL_VMA_OFFSET + PHYS_BASE, "kmain not in the paged higher half"
    assert int(report["sp"]) >= KERNEL_VMA_OFFSET + PHYS_BASE, "sp not in the paged higher half"
    assert report["crmd"] == CRMD_PG_MODE, "CRMD is not PLV0 / paging mode / interrupts off"
    assert (report["dmw0"], report["dmw1"]) == (DMW0, DMW1)
    assert report["stack"] == "ok", "sp not 16-byte aligned at kmain"
    assert report["maps"] == "ok", "the boot tables and the uncached window disagree"


def test_elf_layout(la_kernel: Path) -> None:
    """Segments load from 2 MiB physical, linked in the paged higher half; e_entry = the physical entry."""
    with la_kernel.open("rb") as f:
        elf = ELFFile(f)
        assert elf.elfclass == 64 and elf["e_machine"] == "EM_LOONGARCH"
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        assert loads and loads[0]["p_paddr"] == PHYS_BASE
        for seg in loads:
            assert seg["p_vaddr"] - seg["p_paddr"] == KERNEL_VMA_OFFSET
        # QEMU masks p_paddr to 29 bits when loading: the image must stay below 512 MiB.
        assert max(s["p_paddr"] + s["p_memsz"] for s in loads) < 1 << 29
        entry = elf["e_entry"]
    syms = read_symbols(la_kernel)
    assert syms["asterpy_entry"] == KERNEL_VMA_OFFSET + PHYS_BASE
    assert entry == syms["asterpy_entry_phys"] == PHYS_BASE  # QEMU jumps to e_entry in DA mode
    values = [syms[s] for s in SECTION_SYMBOLS]
    assert values == sorted(values), "section symbols out of order"
    assert syms["__kernel_phys_end"] == syms["__kernel_end"] - KERNEL_VMA_OFFSET
    assert syms["asterpy_early_trap"] % 4096 == 0 and syms["asterpy_tlb_refill"] % 4096 == 0
    assert syms["asterpy_boot_pt_root"] % 4096 == 0
    assert syms["asterpy_boot_stack_top"] % 16 == 0


def test_boot_reaches_kmain(qemu_la: str, la_kernel: Path) -> None:
    """QEMU -kernel -> shim -> stub kmain in the paged higher half; the GED power-off ends QEMU."""
    result = boot(la_kernel)
    check_report(stub_report(result))
    assert not result.timed_out
    assert result.returncode == 0, "GED power-off did not end QEMU"
    assert result.elapsed < 5.0


def test_boot_smp_one_line(qemu_la: str, la_kernel: Path) -> None:
    """With 2 CPUs exactly one reaches kmain."""
    result = boot(la_kernel, smp=2)
    check_report(stub_report(result))
    assert result.output.count("asterpy stub kmain") == 1
    assert result.returncode == 0


@pytest.mark.parametrize("kind", sorted(TRAP_KMAINS))
def test_early_trap_is_reported(qemu_la: str, tmp_path: Path, kind: str) -> None:
    """A fault before the kernel has vectors prints ESTAT/ERA/BADV on the UART and halts."""
    src = tmp_path / f"{kind}_kmain.S"
    src.write_text(TRAP_KMAINS[kind])
    kernel = build_kernel(tmp_path, src, f"{kind}.elf")
    cfg = QemuConfig(kernel=kernel, arch="loongarch64", accel="tcg", memory_mb=MEMORY_MB,
                     timeout=10.0)
    pattern = re.compile(r"asterpy boot: trap estat=0x([0-9a-f]{16}) "
                         r"era=0x([0-9a-f]{16}) badv=0x([0-9a-f]{16})")
    result = run_qemu(cfg, until=pattern)
    m = pattern.search(result.output)
    assert m, f"no trap report:\n{result.output[-2000:]}"
    era, badv = int(m.group(2), 16), int(m.group(3), 16)
    assert era >= KERNEL_VMA_OFFSET + PHYS_BASE
    if kind == "tlbr":
        assert badv == 0x1234
        assert (int(m.group(1), 16) >> 16) & 0x3F == 0x1, "ESTAT.Ecode is not PIL"
    else:
        assert (int(m.group(1), 16) >> 16) & 0x3F == 0xC, "ESTAT.Ecode is not BRK"


def test_native_fdt_reader(qemu_la: str, tmp_path: Path) -> None:
    """src/asterpy/boot/fdt.py, translated for loongarch64, reads QEMU 7.2's FDT at 1 MiB."""
    fdt_o = compile_file(REPO / "src" / "asterpy" / "boot" / "fdt.py", arch="loongarch64",
                         emit="obj", out=tmp_path / "fdt.o")
    kernel = build_kernel(tmp_path, STUB_S, "fdt.elf", defines=["ASTERPY_NATIVE_FDT"],
                          objects=[fdt_o])
    result = boot(kernel)
    check_report(stub_report(result))
    m = re.search(r"asterpy stub fdt: open=0x0 memory=0x([0-9a-f]+) uart=0x([0-9a-f]+) "
                  r"bootargs=(.*)\|", result.output)
    assert m, f"no fdt line:\n{result.output[-2000:]}"
    # QEMU 7.2 puts no /memory node and no bootargs in this tree (see the boot doc).
    assert int(m.group(1), 16) == 0
    assert int(m.group(2), 16) == 0x1FE001E0
    assert m.group(3) == ""
    assert result.returncode == 0
