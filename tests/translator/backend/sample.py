"""A hand-built llvmlite module exercising what the back end must carry, for every arch."""
from __future__ import annotations

from llvmlite import ir

from translator.lower import irx
from translator.targets import Target

I32, I64, PTR = ir.IntType(32), ir.IntType(64), ir.PointerType()

# Per-arch inline asm: return the argument plus one, through a register the compiler picks.
ADD_ONE = {
    "x86_64": ("lea 1($1), $0", "=r,r"),
    "riscv64": ("addi $0, $1, 1", "=r,r"),
    "loongarch64": ("addi.d $0, $1, 1", "=r,r"),
}

# Per-arch linker script base address (x86_64: higher half, for the kernel code model).
LOAD_BASE = {"x86_64": 0xFFFFFFFF80100000, "riscv64": 0x80200000, "loongarch64": 0x200000}


def build_sample(target: Target) -> irx.Module:
    """A module with a loop, a global, a volatile store, a module-asm label and inline asm."""
    m = irx.Module("sample", target)
    counter = ir.GlobalVariable(m, I64, "counter")
    counter.initializer = ir.Constant(I64, 0)
    counter.align = 8
    mmio = ir.GlobalVariable(m, I32, "fake_mmio")
    mmio.initializer = ir.Constant(I32, 0)
    mmio.align = 4
    m.add_asm(".pushsection .text.boot, \"ax\"\n.globl boot_marker\nboot_marker:\n  nop\n.popsection")

    # sum_to(n): a loop the optimizer may turn into a closed form, plus a global update.
    sum_to = ir.Function(m, ir.FunctionType(I64, [I64]), "sum_to")
    b = ir.IRBuilder(sum_to.append_basic_block("entry"))
    head, body, done = (sum_to.append_basic_block(n) for n in ("head", "body", "done"))
    entry = b.block
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64, "i")
    acc = b.phi(I64, "acc")
    i.add_incoming(ir.Constant(I64, 0), entry)
    acc.add_incoming(ir.Constant(I64, 0), entry)
    b.cbranch(b.icmp_unsigned("<", i, sum_to.args[0]), body, done)
    b.position_at_end(body)
    acc2 = b.add(acc, i)
    i2 = b.add(i, ir.Constant(I64, 1))
    i.add_incoming(i2, body)
    acc.add_incoming(acc2, body)
    b.branch(head)
    b.position_at_end(done)
    old = b.load(counter, typ=I64, align=8)
    b.store(b.add(old, acc), counter, align=8)
    irx.volatile_store(b, ir.Constant(I32, 1), mmio, align=4)
    b.ret(acc)

    # kmain(): the entry point; calls sum_to and, where the arch has a template, inline asm.
    kmain = ir.Function(m, ir.FunctionType(I64, []), "kmain")
    b = ir.IRBuilder(kmain.append_basic_block("entry"))
    r = b.call(sum_to, [ir.Constant(I64, 10)])
    if target.arch in ADD_ONE:
        template, constraint = ADD_ONE[target.arch]
        r = irx.inline_asm(b, ir.FunctionType(I64, [I64]), template, constraint, [r])
    b.ret(r)
    irx.apply_target_defaults(m, target)
    return m


def linker_script(arch: str) -> str:
    """A tiny linker script placing .text.boot first at the arch's load address."""
    return f"""ENTRY(kmain)
SECTIONS {{
  . = {LOAD_BASE[arch]:#x};
  .text : {{ *(.text.boot) *(.text .text.*) }}
  .rodata : {{ *(.rodata .rodata.*) }}
  .data : {{ *(.data .data.*) *(.sdata .sdata.*) }}
  .bss : {{ *(.bss .bss.*) *(.sbss .sbss.*) *(COMMON) }}
}}
"""


SHIM_S = {
    "x86_64": ".globl shim_entry\n.section .text.boot, \"ax\"\nshim_entry:\n  call kmain\n1: hlt\n  jmp 1b\n",
    "riscv64": ".globl shim_entry\n.section .text.boot, \"ax\"\nshim_entry:\n  call kmain\n1: wfi\n  j 1b\n",
    "loongarch64": ".globl shim_entry\n.section .text.boot, \"ax\"\nshim_entry:\n  bl kmain\n1: idle 0\n  b 1b\n",
}
