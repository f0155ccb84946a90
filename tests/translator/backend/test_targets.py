"""Targets: kernel settings per DESIGN.md section 3, host settings, target machines."""
from __future__ import annotations

import dataclasses

import llvmlite.binding as llvm
import pytest

from translator.targets import create_target_machine, get_target, init_llvm

KERNEL = {
    "x86_64": ("x86-64", "-mmx,-sse,-sse2,-sse3,-ssse3,-sse4.1,-sse4.2,-avx,-avx2,-x87,+soft-float",
               "", "kernel", "static", 62),
    "riscv64": ("generic-rv64", "+m,+a,+c", "lp64", "medium", "static", 243),
    "loongarch64": ("generic-la64", "+64bit,-f,-d,-lsx,-lasx", "lp64s", "medium", "static", 258),
}


@pytest.mark.parametrize("arch", sorted(KERNEL))
def test_kernel_settings(arch: str) -> None:
    t = get_target(arch)
    cpu, features, abiname, codemodel, reloc, machine = KERNEL[arch]
    assert (t.cpu, t.features, t.abiname, t.codemodel, t.reloc, t.e_machine) == \
        (cpu, features, abiname, codemodel, reloc, machine)
    assert t.kernel and t.name == t.arch == arch
    assert t.triple.startswith(arch + "-")
    assert t.data_layout.startswith("e-m:e") and t.pointer_size == 8
    assert "-target" in t.zig_cc_flags and "nounwind" in t.fn_attrs
    assert t.llvmlite_asm == (arch == "x86_64")  # these machines are x86_64


def test_x86_64_kernel_functions_get_noredzone() -> None:
    assert "noredzone" in get_target("x86_64").fn_attrs


@pytest.mark.parametrize("arch,flags", [
    ("riscv64", ("-mcpu=generic_rv64+m+a+c", "-mabi=lp64", "-mcmodel=medany")),
    ("loongarch64", ("-mcpu=generic_la64", "-mabi=lp64s", "-mcmodel=medium")),
])
def test_zig_flags_match_design(arch: str, flags: tuple[str, ...]) -> None:
    assert set(flags) <= set(get_target(arch).zig_cc_flags)


def test_host_target() -> None:
    t = get_target("host")
    assert t.triple == llvm.get_process_triple()
    assert t.reloc == "pic" and t.codemodel == "default" and not t.kernel
    assert t.llvmlite_asm and "+sse2" in t.features.split(",")


def test_user_mode_uses_hard_float() -> None:
    assert get_target("riscv64", kernel=False).abiname == "lp64d"
    assert get_target("loongarch64", kernel=False).abiname == "lp64d"


def test_targets_are_cached_and_frozen() -> None:
    t = get_target("riscv64")
    assert get_target("riscv64") is t
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.cpu = "other"  # type: ignore[misc]


def test_unknown_arch() -> None:
    with pytest.raises(ValueError, match="expected one of x86_64, riscv64, loongarch64"):
        get_target("mips")


@pytest.mark.parametrize("arch", ["x86_64", "riscv64", "loongarch64", "host"])
def test_create_target_machine(arch: str) -> None:
    init_llvm()
    init_llvm()  # idempotent
    t = get_target(arch)
    tm = create_target_machine(t, opt=3)
    assert tm.triple == t.triple
    assert str(tm.target_data) == t.data_layout
