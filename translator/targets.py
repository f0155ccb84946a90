"""Code-generation targets: triples, CPUs, features and ABIs for each arch, and LLVM set-up."""
from __future__ import annotations

import functools
import platform
from dataclasses import dataclass

import llvmlite.binding as llvm

ARCHES = ("x86_64", "riscv64", "loongarch64")

# ELF e_machine values (System V gABI): what the objects and the kernel ELF must carry.
E_MACHINE = {"x86_64": 62, "riscv64": 243, "loongarch64": 258}

# x86_64 kernel code must not touch SSE/x87 state (the kernel does not save it on entry) and
# must not assume a red zone (interrupts push onto the same stack): DESIGN.md section 3.
_X86_KERNEL_FEATURES = "-mmx,-sse,-sse2,-sse3,-ssse3,-sse4.1,-sse4.2,-avx,-avx2,-x87,+soft-float"


@dataclass(frozen=True)
class Target:
    """Everything the back end needs to generate code for one arch in one mode."""

    name: str                    # "x86_64", "riscv64", "loongarch64" or "host"
    arch: str                    # the machine arch (for "host": the native one)
    kernel: bool                 # freestanding kernel settings (vs user/host code)
    triple: str
    cpu: str
    features: str
    abiname: str
    codemodel: str
    reloc: str
    zig_cc_flags: tuple[str, ...]  # -target and -mcpu/-mabi/-mcmodel for `zig cc`
    data_layout: str
    pointer_size: int
    llvmlite_asm: bool           # llvmlite can parse inline/module asm for this arch
    fn_attrs: tuple[str, ...]    # attributes every defined function should carry
    e_machine: int


_initialized = False


def init_llvm() -> None:
    """Initialise LLVM's targets, printers and the native asm parser once per process."""
    global _initialized
    if _initialized:
        return
    # llvmlite 0.50: llvm.initialize() raises; these are the replacements. Only the *native*
    # asm parser can be registered (there is no initialize_all_asmparsers binding).
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    llvm.initialize_native_asmparser()
    _initialized = True


def host_arch() -> str:
    """The arch this Python process runs on, in our spelling."""
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64", "loongarch64": "loongarch64"}.get(machine, machine)


def _kernel_settings(arch: str) -> dict[str, object]:
    """Kernel-mode settings per DESIGN.md section 3."""
    if arch == "x86_64":
        return dict(triple="x86_64-unknown-none-elf", cpu="x86-64", features=_X86_KERNEL_FEATURES,
                    abiname="", codemodel="kernel", reloc="static",
                    zig_cc_flags=("-target", "x86_64-freestanding-none", "-mcpu=x86_64",
                                  "-mcmodel=kernel", "-mno-red-zone", "-mgeneral-regs-only"),
                    fn_attrs=("noredzone", "nounwind", '"frame-pointer"="all"'))
    if arch == "riscv64":
        return dict(triple="riscv64-unknown-none-elf", cpu="generic-rv64", features="+m,+a,+c",
                    abiname="lp64", codemodel="medium", reloc="static",
                    zig_cc_flags=("-target", "riscv64-freestanding-none", "-mcpu=generic_rv64+m+a+c",
                                  "-mabi=lp64", "-mcmodel=medany"),
                    fn_attrs=("nounwind", '"frame-pointer"="all"'))
    if arch == "loongarch64":
        return dict(triple="loongarch64-unknown-none-elf", cpu="generic-la64",
                    features="+64bit,-f,-d,-lsx,-lasx", abiname="lp64s", codemodel="medium",
                    reloc="static",
                    zig_cc_flags=("-target", "loongarch64-freestanding-none", "-mcpu=generic_la64",
                                  "-mabi=lp64s", "-mcmodel=medium"),
                    fn_attrs=("nounwind", '"frame-pointer"="all"'))
    raise ValueError(f"unknown arch {arch!r}; expected one of {', '.join(ARCHES)} or 'host'")


def _user_settings(arch: str) -> dict[str, object]:
    """User-mode (Linux, musl, hard-float) settings: for test programs linked against zig's musl."""
    if arch == "x86_64":
        return dict(triple="x86_64-unknown-linux-musl", cpu="x86-64", features="", abiname="",
                    codemodel="small", reloc="pic",
                    zig_cc_flags=("-target", "x86_64-linux-musl", "-mcpu=x86_64"),
                    fn_attrs=("nounwind",))
    if arch == "riscv64":
        return dict(triple="riscv64-unknown-linux-musl", cpu="generic-rv64",
                    features="+m,+a,+f,+d,+c", abiname="lp64d", codemodel="medium", reloc="pic",
                    zig_cc_flags=("-target", "riscv64-linux-musl", "-mcpu=generic_rv64+m+a+f+d+c",
                                  "-mabi=lp64d"),
                    fn_attrs=("nounwind",))
    if arch == "loongarch64":
        return dict(triple="loongarch64-unknown-linux-musl", cpu="generic-la64",
                    features="+64bit,+f,+d", abiname="lp64d", codemodel="small", reloc="pic",
                    zig_cc_flags=("-target", "loongarch64-linux-musl", "-mcpu=generic_la64+f+d",
                                  "-mabi=lp64d"),
                    fn_attrs=("nounwind",))
    raise ValueError(f"unknown arch {arch!r}; expected one of {', '.join(ARCHES)} or 'host'")


def _host_settings() -> dict[str, object]:
    """Native settings for JIT/differential tests and host benchmarks (SSE and friends allowed)."""
    return dict(triple=llvm.get_process_triple(), cpu=llvm.get_host_cpu_name(),
                features=llvm.get_host_cpu_features().flatten(), abiname="",
                codemodel="default", reloc="pic", zig_cc_flags=("-target", "native"),
                fn_attrs=("nounwind",))


@functools.lru_cache(maxsize=None)
def get_target(arch: str, kernel: bool = True) -> Target:
    """The Target for "x86_64", "riscv64", "loongarch64" (kernel or user mode) or "host"."""
    init_llvm()
    if arch == "host":
        settings, machine = _host_settings(), host_arch()
        kernel = False
    else:
        settings = _kernel_settings(arch) if kernel else _user_settings(arch)
        machine = arch
    partial = Target(name=arch, arch=machine, kernel=kernel, data_layout="", pointer_size=0,
                     llvmlite_asm=(machine == host_arch()),
                     e_machine=E_MACHINE.get(machine, 0), **settings)  # type: ignore[arg-type]
    tm = create_target_machine(partial)
    td = tm.target_data
    layout = str(td)
    # Pointer size from the layout ("p:64:64"); x86_64 omits it, meaning the 64-bit default.
    pointer_bits = 64
    for part in layout.split("-"):
        if part.startswith("p:"):
            pointer_bits = int(part.split(":")[1])
    return Target(**{**partial.__dict__, "data_layout": layout, "pointer_size": pointer_bits // 8})


def create_target_machine(target: Target, opt: int = 2) -> llvm.TargetMachine:
    """A fresh llvmlite TargetMachine for `target` at optimisation level `opt` (0-3)."""
    init_llvm()
    # codemodel is always explicit: llvmlite's default ('jitdefault') is the large model.
    return llvm.Target.from_triple(target.triple).create_target_machine(
        cpu=target.cpu, features=target.features, opt=opt, reloc=target.reloc,
        codemodel=target.codemodel, abiname=target.abiname)
