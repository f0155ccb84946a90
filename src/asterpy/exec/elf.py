"""ELF64 executable parsing for execve, in Kernel Python: header and program-header checks.

The file image is untrusted: it sits in memory at (base, size) (for now the initramfs; later
the page cache) and every field is checked against the file size before it is used, so a
malformed file raises SysError(ENOEXEC) and nothing outside [base, base + size) is read.
Facts from the ELF-64 Object File Format and the System V ABI (gABI), chapter "Program Loading".

What a loader needs comes out as an ElfImage: the entry point, the span of the PT_LOAD
segments (walk them with elf_load_segment), the interpreter path for dynamic programs, the TLS
template, the PT_GNU_STACK flags and the program headers' address for AT_PHDR.  Addresses are
link-time ones; an ET_DYN (static-PIE or interpreter) image moves by the bias that
elf_load_bias picks.
"""

from typing import Final

from asterpy.lang import Array, Ptr, SysError, kwarn, struct, u8, u16, u32, u64
from asterpy.lang.errno import EINVAL, ENOEXEC

EM_X86_64: Final = u16(62)
EM_RISCV: Final = u16(243)
EM_LOONGARCH: Final = u16(258)

ET_EXEC: Final = u16(2)
ET_DYN: Final = u16(3)

ELFCLASS64: Final = u8(2)
ELFDATA2LSB: Final = u8(1)
EV_CURRENT: Final = u8(1)
# "\x7fELF" read as a little-endian u32.
ELF_MAGIC: Final = u32(0x464C457F)

PT_LOAD: Final = u32(1)
PT_DYNAMIC: Final = u32(2)
PT_INTERP: Final = u32(3)
PT_PHDR: Final = u32(6)
PT_TLS: Final = u32(7)
PT_GNU_STACK: Final = u32(0x6474E551)

PF_X: Final = u32(1)
PF_W: Final = u32(2)
PF_R: Final = u32(4)

EHDR_SIZE: Final = u64(64)
PHDR_SIZE: Final = u64(56)
PAGE_SIZE: Final = u64(4096)
# Program header tables larger than one page are refused (real programs have about ten).
MAX_PHNUM: Final = u64(4096 // 56)
PATH_MAX: Final = u64(4096)
# User space is the lower half on every arch we run: refusing anything above also keeps the
# sums below from wrapping.
USER_END_MAX: Final = u64(1) << 63


@struct
class Elf64Ehdr:
    """The ELF file header (Elf64_Ehdr)."""

    e_ident: Array[u8, 16]
    e_type: u16
    e_machine: u16
    e_version: u32
    e_entry: u64
    e_phoff: u64
    e_shoff: u64
    e_flags: u32
    e_ehsize: u16
    e_phentsize: u16
    e_phnum: u16
    e_shentsize: u16
    e_shnum: u16
    e_shstrndx: u16


@struct
class Elf64Phdr:
    """One program header (Elf64_Phdr)."""

    p_type: u32
    p_flags: u32
    p_offset: u64
    p_vaddr: u64
    p_paddr: u64
    p_filesz: u64
    p_memsz: u64
    p_align: u64


@struct
class ElfSegment:
    """A PT_LOAD segment: map filesz bytes from offset at vaddr, zero the rest up to memsz."""

    vaddr: u64
    memsz: u64
    filesz: u64
    offset: u64
    flags: u32          # PF_R | PF_W | PF_X
    align: u64


@struct
class ElfImage:
    """A checked executable; addresses are link-time (add the bias for ET_DYN)."""

    base: u64           # the file in memory
    size: u64
    type: u16           # ET_EXEC or ET_DYN
    machine: u16
    entry: u64
    phoff: u64
    phnum: u32
    phdr_vaddr: u64     # where the program headers are mapped (AT_PHDR), 0 if they are not
    load_count: u32
    min_vaddr: u64      # lowest PT_LOAD page
    max_vaddr: u64      # end of the highest PT_LOAD, rounded up to a page
    max_align: u64      # largest PT_LOAD alignment (at least a page)
    has_interp: bool
    interp_offset: u64  # file offset of the interpreter path
    interp_len: u64     # its length without the NUL
    has_tls: bool
    tls: ElfSegment     # the TLS initialisation image
    has_gnu_stack: bool
    stack_flags: u32    # PT_GNU_STACK's flags (PF_X: an executable stack was asked for)


def is_pow2(x: u64) -> bool:
    """True if x is a power of two."""
    return x != 0 and (x & (x - 1)) == 0


def page_down(x: u64) -> u64:
    """x rounded down to a page."""
    return x & ~(PAGE_SIZE - 1)


def page_up(x: u64) -> u64:
    """x rounded up to a page (x is below USER_END_MAX, so this cannot wrap)."""
    return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


def in_file(size: u64, offset: u64, length: u64) -> bool:
    """True if [offset, offset + length) lies inside a file of size bytes (wrap-proof)."""
    return offset <= size and length <= size - offset


def elf_phdr(img: ElfImage, index: u32) -> Elf64Phdr:
    """Program header number index of a checked image; EINVAL if there is no such header."""
    if index >= img.phnum:
        raise SysError(EINVAL)
    return Ptr[Elf64Phdr](img.base + img.phoff + u64(index) * PHDR_SIZE).load()


def refuse(why: str) -> None:
    """ENOEXEC for a file that is an ELF but cannot run here, with one kernel log line saying why.

    Files that are not ELF at all are refused silently (a shell runs them as scripts)."""
    kwarn(f"exec: cannot run this ELF file: {why}")
    raise SysError(ENOEXEC)


def is_elf(base: u64, size: u64) -> bool:
    """Whether the file at (base, size) starts with the ELF magic (base 4-byte aligned)."""
    return size >= 4 and Ptr[u32](base).load() == ELF_MAGIC


def check_header(base: u64, size: u64, machine: u16) -> Elf64Ehdr:
    """The file header, after checking identification, machine, type and table bounds (size: the
    bytes of the file at base, which must hold the header and the program header table)."""
    if not is_elf(base, size):
        raise SysError(ENOEXEC)
    if size < EHDR_SIZE:
        refuse("shorter than its header")
    h = Ptr[Elf64Ehdr](base).load()
    if h.e_ident[4] != ELFCLASS64:
        refuse("not a 64-bit ELF (EI_CLASS)")
    if h.e_ident[5] != ELFDATA2LSB or h.e_ident[6] != EV_CURRENT or h.e_version != 1:
        refuse("not little-endian ELF version 1")
    if h.e_machine != machine:
        refuse("built for another machine (e_machine)")
    if h.e_type != ET_EXEC and h.e_type != ET_DYN:
        refuse("e_type is neither ET_EXEC nor ET_DYN")
    if u64(h.e_phentsize) != PHDR_SIZE or h.e_phnum == 0 or u64(h.e_phnum) > MAX_PHNUM:
        refuse("bad program header size or count")
    # Program headers are read as aligned structs; every linker puts them at an offset of 64.
    if (h.e_phoff & 7) != 0 or not in_file(size, h.e_phoff, u64(h.e_phnum) * PHDR_SIZE):
        refuse("program headers misaligned or outside the file")
    return h


def check_load(size: u64, ph: Elf64Phdr, prev_end: u64, first: bool) -> None:
    """Check one PT_LOAD against a file of size bytes and the end of the previous PT_LOAD."""
    if ph.p_filesz > ph.p_memsz or not in_file(size, ph.p_offset, ph.p_filesz):
        refuse("a PT_LOAD's file bytes lie outside the file or exceed its memory size")
    if ph.p_vaddr >= USER_END_MAX or ph.p_memsz > USER_END_MAX - ph.p_vaddr:
        refuse("a PT_LOAD lies outside user space")
    # The gABI wants PT_LOADs sorted by address; overlapping ones would map over each other.
    if not first and ph.p_vaddr < prev_end:
        refuse("PT_LOAD segments overlap or are not sorted by address")
    # mmap can only place file pages at addresses with the same offset within a page.
    if (ph.p_vaddr & (PAGE_SIZE - 1)) != (ph.p_offset & (PAGE_SIZE - 1)):
        refuse("a PT_LOAD's address and file offset differ within a page")
    if ph.p_align > 1 and (not is_pow2(ph.p_align) or ph.p_align >= USER_END_MAX):
        refuse("a PT_LOAD's alignment is not a power of two")


def find_phdr_vaddr(img: ElfImage) -> u64:
    """The address of the program headers: PT_PHDR's, else the PT_LOAD that maps them, else 0."""
    table_len = u64(img.phnum) * PHDR_SIZE
    i = u32(0)
    while i < img.phnum:
        ph = elf_phdr(img, i)
        if ph.p_type == PT_PHDR:
            return ph.p_vaddr
        i += 1
    i = u32(0)
    while i < img.phnum:
        ph = elf_phdr(img, i)
        if ph.p_type == PT_LOAD and ph.p_offset <= img.phoff:
            if table_len <= ph.p_filesz and img.phoff - ph.p_offset <= ph.p_filesz - table_len:
                return ph.p_vaddr + (img.phoff - ph.p_offset)
        i += 1
    return u64(0)


def elf_parse(base: u64, size: u64, machine: u16) -> ElfImage:
    """Check the executable at (base, size), all of it in memory, for machine (EM_*); ENOEXEC if
    it cannot run. base must be 8-byte aligned (file data is page-aligned in memory); EINVAL otherwise.
    """
    return elf_parse_head(base, size, size, machine)


def elf_parse_head(base: u64, avail: u64, size: u64, machine: u16) -> ElfImage:
    """elf_parse for a file of size bytes of which only the first avail are at base: enough for
    the headers and the PT_INTERP path (elf_head_need says how many); segments are checked
    against the whole file, which exec maps from the page cache."""
    if (base & 7) != 0:
        raise SysError(EINVAL)
    if avail > size:
        raise SysError(EINVAL)
    h = check_header(base, avail, machine)
    img = ElfImage()
    img.base = base
    img.size = size
    img.type = h.e_type
    img.machine = h.e_machine
    img.entry = h.e_entry
    img.phoff = h.e_phoff
    img.phnum = u32(h.e_phnum)
    img.max_align = PAGE_SIZE
    prev_end = u64(0)
    i = u32(0)
    while i < img.phnum:
        ph = elf_phdr(img, i)
        if ph.p_type == PT_LOAD:
            check_load(size, ph, prev_end, img.load_count == 0)
            prev_end = ph.p_vaddr + ph.p_memsz
            if img.load_count == 0:
                img.min_vaddr = page_down(ph.p_vaddr)
            img.max_vaddr = page_up(prev_end)
            if ph.p_align > img.max_align:
                img.max_align = ph.p_align
            img.load_count += 1
        elif ph.p_type == PT_INTERP:
            # One NUL-terminated path of sane length, inside the file.
            if img.has_interp or ph.p_filesz < 2 or ph.p_filesz > PATH_MAX:
                refuse("PT_INTERP repeated, empty or longer than PATH_MAX")
            if not in_file(size, ph.p_offset, ph.p_filesz):
                refuse("PT_INTERP outside the file")
            if not in_file(avail, ph.p_offset, ph.p_filesz):
                raise SysError(EINVAL)      # the caller read too little (see elf_head_need)
            if Ptr[u8](base + ph.p_offset + ph.p_filesz - 1).load() != 0:
                refuse("PT_INTERP's path is not NUL-terminated")
            img.has_interp = True
            img.interp_offset = ph.p_offset
            # The path is a C string: it ends at its first NUL (padding may follow). An empty
            # one is looked up as such: ENOENT, as on Linux.
            n = u64(0)
            while Ptr[u8](base + ph.p_offset + n).load() != 0:
                n += 1
            img.interp_len = n
        elif ph.p_type == PT_TLS:
            if img.has_tls or ph.p_filesz > ph.p_memsz:
                refuse("PT_TLS repeated or its file size exceeds its memory size")
            if not in_file(size, ph.p_offset, ph.p_filesz) or ph.p_memsz >= USER_END_MAX:
                refuse("PT_TLS outside the file")
            if ph.p_align > 1 and not is_pow2(ph.p_align):
                refuse("PT_TLS's alignment is not a power of two")
            img.has_tls = True
            img.tls = segment_of(ph)
        elif ph.p_type == PT_GNU_STACK:
            img.has_gnu_stack = True
            img.stack_flags = ph.p_flags
        i += 1
    if img.load_count == 0:
        refuse("no PT_LOAD segment")
    if img.entry < img.min_vaddr or img.entry >= img.max_vaddr:
        refuse("the entry point lies outside the PT_LOAD segments")
    img.phdr_vaddr = find_phdr_vaddr(img)
    return img


def elf_head_need(base: u64, avail: u64) -> u64:
    """How many bytes from the start of the ELF file whose first avail bytes are at base (8-byte
    aligned) elf_parse_head needs: through the program header table and, once that is there, the
    PT_INTERP paths. avail itself when the file is not an ELF or its header is bad (elf_parse_head
    refuses it); may be more than the file holds (ditto)."""
    if avail < EHDR_SIZE or not is_elf(base, avail):
        return avail
    h = Ptr[Elf64Ehdr](base).load()
    if u64(h.e_phentsize) != PHDR_SIZE or h.e_phnum == 0 or u64(h.e_phnum) > MAX_PHNUM:
        return avail
    if (h.e_phoff & 7) != 0 or h.e_phoff >= USER_END_MAX:
        return avail
    need = h.e_phoff + u64(h.e_phnum) * PHDR_SIZE
    if need > avail:
        return need
    i = u64(0)
    while i < u64(h.e_phnum):
        ph = Ptr[Elf64Phdr](base + h.e_phoff + i * PHDR_SIZE).load()
        if ph.p_type == PT_INTERP and ph.p_offset < USER_END_MAX and ph.p_filesz <= PATH_MAX:
            if ph.p_offset + ph.p_filesz > need:
                need = ph.p_offset + ph.p_filesz
        i += 1
    return need


@struct
class ElfMapPlan:
    """How exec maps one PT_LOAD at its run-time address (all page aligned but zero_from):
    [start, file_end) maps the file's pages from file offset pgoff (private: copy-on-write when
    writable); the bytes [zero_from, file_end) of its last page are .bss, so that page gets a
    private copy with them zeroed (nothing when zero_from == file_end); [file_end, end) is
    anonymous zero memory."""

    start: u64
    file_end: u64
    zero_from: u64
    end: u64
    pgoff: u64


def elf_map_plan(seg: ElfSegment, bias: u64) -> ElfMapPlan:
    """The mapping plan of a checked PT_LOAD loaded with bias (its run-time range already checked
    not to wrap). As on Linux, a file page's bytes past filesz stay when there is no .bss."""
    plan = ElfMapPlan()
    at = seg.vaddr + bias
    plan.start = page_down(at)
    plan.pgoff = page_down(seg.offset)
    plan.end = page_up(at + seg.memsz)
    if seg.filesz == 0:
        plan.file_end = plan.start
        plan.zero_from = plan.start
        return plan
    plan.file_end = page_up(at + seg.filesz)
    plan.zero_from = plan.file_end
    if seg.memsz > seg.filesz:
        plan.zero_from = at + seg.filesz
    return plan


def segment_of(ph: Elf64Phdr) -> ElfSegment:
    """The loader's view of a program header."""
    s = ElfSegment()
    s.vaddr = ph.p_vaddr
    s.memsz = ph.p_memsz
    s.filesz = ph.p_filesz
    s.offset = ph.p_offset
    s.flags = ph.p_flags
    s.align = ph.p_align
    return s


def elf_load_segment(img: ElfImage, n: u32) -> ElfSegment:
    """The n-th PT_LOAD segment (0-based, in address order); EINVAL if there are fewer."""
    seen = u32(0)
    i = u32(0)
    while i < img.phnum:
        ph = elf_phdr(img, i)
        if ph.p_type == PT_LOAD:
            if seen == n:
                return segment_of(ph)
            seen += 1
        i += 1
    raise SysError(EINVAL)


def elf_load_span(img: ElfImage) -> u64:
    """Bytes of address space the PT_LOAD segments cover, from their first to last page."""
    return img.max_vaddr - img.min_vaddr


def elf_load_bias(img: ElfImage, hint: u64, limit: u64) -> u64:
    """The bias to add to every link-time address; ENOEXEC if the image would pass limit.

    ET_EXEC images load where they were linked (bias 0).  An ET_DYN image's lowest page goes
    to hint rounded up to its largest PT_LOAD alignment; limit is the top of user space.
    """
    if img.type == ET_EXEC:
        if img.max_vaddr > limit:
            refuse("its segments end above the user address range")
        return u64(0)
    span = elf_load_span(img)
    if hint >= USER_END_MAX or span > limit:
        refuse("its segments span more than the user address range")
    # hint and max_align are both below 2**63 (check_load), so the sum cannot wrap.
    start = (hint + img.max_align - 1) & ~(img.max_align - 1)
    if start > limit - span:
        refuse("no room for its segments at the load address")
    # Wrapping subtraction: a bias "below zero" is fine, the sum with each vaddr is exact.
    return start - img.min_vaddr


def elf_interp_addr(img: ElfImage) -> u64:
    """Address of the interpreter path in the file image (check has_interp first)."""
    return img.base + img.interp_offset


def elf_wants_exec_stack(img: ElfImage) -> bool:
    """True if the stack should be executable: asked for, or no PT_GNU_STACK (old binaries)."""
    if not img.has_gnu_stack:
        return True
    return (img.stack_flags & PF_X) != 0
