"""Read the boot loader's handover (multiboot1, multiboot2 or PVH) into the arch-neutral BootInfo."""

from typing import Final

from asterpy.lang import Array, Ptr, struct, u8, u32, u64

from asterpy.kernel.bootinfo import (
    MEM_USABLE,
    PROTO_MULTIBOOT1,
    PROTO_MULTIBOOT2,
    PROTO_PVH,
    add_module,
    add_region,
    add_reserved,
    set_cmdline,
)
from asterpy.kernel.log import cstr_len

# The protocol_magic values boot.S hands to kmain (docs/boot-x86_64.md).
MB1_MAGIC: Final = u64(0x2BADB002)
MB2_MAGIC: Final = u64(0x36D76289)
PVH_MAGIC: Final = u64(0x336EC578)

# Physical memory is reached through the boot shim's direct map (4 GiB at this address).
DIRECT_MAP: Final = u64(0xFFFF800000000000)
DIRECT_MAP_SIZE: Final = u64(0x100000000)

MAX_CMDLINE: Final = u64(4096)

# Multiboot1 info flags (which fields are valid).
MB1_FLAG_MEM: Final = u32(1 << 0)
MB1_FLAG_CMDLINE: Final = u32(1 << 2)
MB1_FLAG_MODS: Final = u32(1 << 3)
MB1_FLAG_MMAP: Final = u32(1 << 6)

# Multiboot2 tag types.
MB2_TAG_END: Final = u32(0)
MB2_TAG_CMDLINE: Final = u32(1)
MB2_TAG_MODULE: Final = u32(3)
MB2_TAG_BASIC_MEMINFO: Final = u32(4)
MB2_TAG_MMAP: Final = u32(6)
# A multiboot2 info block is a few KiB; more than this means a bad pointer or a corrupt block.
MB2_MAX_TOTAL: Final = u32(1 << 20)

# The memory-map walks stop after this many entries whatever the header says.
MAX_MAP_ENTRIES: Final = u32(1024)


@struct
class Mb1Info:
    """Multiboot1 boot information (the fields up to the memory map)."""

    flags: u32
    mem_lower: u32     # KiB below 1 MiB
    mem_upper: u32     # KiB above 1 MiB (up to the first hole)
    boot_device: u32
    cmdline: u32
    mods_count: u32
    mods_addr: u32
    syms: Array[u32, 4]
    mmap_length: u32
    mmap_addr: u32


@struct(packed=True)
class Mb1MmapEntry:
    """Multiboot1 memory-map entry; `size` counts the bytes after itself (usually 20)."""

    size: u32
    base: u64
    length: u64
    kind: u32


@struct
class Mb1Module:
    """Multiboot1 module: physical [start, end) and its string."""

    start: u32
    end: u32
    string: u32
    reserved: u32


@struct
class Mb2Tag:
    """Multiboot2 tag header; tags are 8-byte aligned."""

    kind: u32
    size: u32


@struct
class Mb2MmapEntry:
    """Multiboot2 memory-map entry (entry_size may be larger in later versions)."""

    base: u64
    length: u64
    kind: u32
    reserved: u32


@struct
class PvhStartInfo:
    """Xen's hvm_start_info (version 1 adds the memory map)."""

    magic: u32
    version: u32
    flags: u32
    nr_modules: u32
    modlist_paddr: u64
    cmdline_paddr: u64
    rsdp_paddr: u64
    memmap_paddr: u64
    memmap_entries: u32
    reserved: u32


@struct
class PvhMemmapEntry:
    """hvm_memmap_table_entry: an E820-style range."""

    addr: u64
    size: u64
    kind: u32
    reserved: u32


@struct
class PvhModule:
    """hvm_modlist_entry."""

    paddr: u64
    size: u64
    cmdline_paddr: u64
    reserved: u64


def phys(addr: u64) -> u64:
    """The direct-map virtual address of physical address addr."""
    return DIRECT_MAP + addr


def reserve_cstr(addr: u64) -> u64:
    """Reserve the NUL-terminated string at physical addr; return its length (without the NUL)."""
    if addr == 0:
        return u64(0)
    n = cstr_len(phys(addr), MAX_CMDLINE)
    add_reserved(addr, addr + n + 1)
    return n


def skip_first_word(addr: u64, n: u64) -> u64:
    """How many bytes of the string at physical addr (length n) the first word and its spaces take."""
    p = Ptr[u8](phys(addr))
    i = u64(0)
    while i < n and p[i] != 0x20:
        i += 1
    while i < n and p[i] == 0x20:
        i += 1
    return i


def parse_multiboot1(info: u64) -> None:
    """Read a multiboot1 information structure at physical address info."""
    mb = Ptr[Mb1Info](phys(info)).load()
    add_reserved(info, info + 120)  # 120 bytes: the whole multiboot1 info structure
    if (mb.flags & MB1_FLAG_CMDLINE) != 0 and mb.cmdline != 0:
        addr = u64(mb.cmdline)
        n = reserve_cstr(addr)
        # Multiboot1 loaders (QEMU, GRUB's `multiboot`) start the line with the kernel's file
        # name, which is not part of what the user asked the kernel to do.
        skip = skip_first_word(addr, n)
        set_cmdline(addr + skip, n - skip)
    if (mb.flags & MB1_FLAG_MMAP) != 0 and mb.mmap_length != 0:
        start = u64(mb.mmap_addr)
        end = start + u64(mb.mmap_length)
        add_reserved(start, end)
        at = start
        count = u32(0)
        while at + 24 <= end and count < MAX_MAP_ENTRIES:
            e = Ptr[Mb1MmapEntry](phys(at)).load()
            add_region(e.base, e.length, e.kind)
            at += u64(e.size) + 4
            count += 1
    elif (mb.flags & MB1_FLAG_MEM) != 0:
        add_region(u64(0), u64(mb.mem_lower) << 10, MEM_USABLE)
        add_region(u64(0x100000), u64(mb.mem_upper) << 10, MEM_USABLE)
    if (mb.flags & MB1_FLAG_MODS) != 0 and mb.mods_count != 0:
        mods = u64(mb.mods_addr)
        add_reserved(mods, mods + u64(mb.mods_count) * 16)
        for i in range(u32(0), mb.mods_count):
            m = Ptr[Mb1Module](phys(mods + u64(i) * 16)).load()
            n = reserve_cstr(u64(m.string))
            add_reserved(u64(m.start), u64(m.end))
            add_module(u64(m.start), u64(m.end), u64(m.string), n)


def parse_multiboot2(info: u64) -> None:
    """Read a multiboot2 boot information block at physical address info."""
    total = Ptr[u32](phys(info)).load()
    if total < 16 or total > MB2_MAX_TOTAL:
        return
    end = info + u64(total)
    add_reserved(info, end)
    have_mmap = False
    at = info + 8
    while at + 8 <= end:
        tag = Ptr[Mb2Tag](phys(at)).load()
        if tag.kind == MB2_TAG_END or tag.size < 8:
            break
        if tag.kind == MB2_TAG_CMDLINE:
            n = cstr_len(phys(at + 8), u64(tag.size) - 8)
            set_cmdline(at + 8, n)
        elif tag.kind == MB2_TAG_MODULE:
            start = u64(Ptr[u32](phys(at + 8)).load())
            stop = u64(Ptr[u32](phys(at + 12)).load())
            n = cstr_len(phys(at + 16), u64(tag.size) - 16)
            add_reserved(start, stop)
            add_module(start, stop, at + 16, n)
        elif tag.kind == MB2_TAG_MMAP:
            entry_size = u64(Ptr[u32](phys(at + 8)).load())
            if entry_size >= 24:
                have_mmap = True
                e_at = at + 16
                tag_end = at + u64(tag.size)
                count = u32(0)
                while e_at + entry_size <= tag_end and count < MAX_MAP_ENTRIES:
                    e = Ptr[Mb2MmapEntry](phys(e_at)).load()
                    add_region(e.base, e.length, e.kind)
                    e_at += entry_size
                    count += 1
        elif tag.kind == MB2_TAG_BASIC_MEMINFO and not have_mmap:
            lower = u64(Ptr[u32](phys(at + 8)).load())
            upper = u64(Ptr[u32](phys(at + 12)).load())
            # Used only if no memory map follows: parse_multiboot2 keeps the first source it sees.
            add_region(u64(0), lower << 10, MEM_USABLE)
            add_region(u64(0x100000), upper << 10, MEM_USABLE)
            have_mmap = True
        at = (at + u64(tag.size) + 7) & ~u64(7)


def parse_pvh(info: u64) -> None:
    """Read a PVH hvm_start_info at physical address info."""
    si = Ptr[PvhStartInfo](phys(info)).load()
    add_reserved(info, info + 56)
    if si.cmdline_paddr != 0 and si.cmdline_paddr < DIRECT_MAP_SIZE:
        n = reserve_cstr(si.cmdline_paddr)
        set_cmdline(si.cmdline_paddr, n)
    if si.version >= 1 and si.memmap_entries != 0 and si.memmap_paddr < DIRECT_MAP_SIZE:
        count = si.memmap_entries
        if count > MAX_MAP_ENTRIES:
            count = MAX_MAP_ENTRIES
        add_reserved(si.memmap_paddr, si.memmap_paddr + u64(count) * 24)
        for i in range(u32(0), count):
            e = Ptr[PvhMemmapEntry](phys(si.memmap_paddr + u64(i) * 24)).load()
            add_region(e.addr, e.size, e.kind)
    if si.nr_modules != 0 and si.modlist_paddr != 0 and si.modlist_paddr < DIRECT_MAP_SIZE:
        add_reserved(si.modlist_paddr, si.modlist_paddr + u64(si.nr_modules) * 32)
        for i in range(u32(0), si.nr_modules):
            m = Ptr[PvhModule](phys(si.modlist_paddr + u64(i) * 32)).load()
            n = u64(0)
            if m.cmdline_paddr != 0:
                n = reserve_cstr(m.cmdline_paddr)
            add_reserved(m.paddr, m.paddr + m.size)
            add_module(m.paddr, m.paddr + m.size, m.cmdline_paddr, n)


def protocol_of(magic: u64) -> u32:
    """The PROTO_* value of a boot magic, or 0 (unknown loader)."""
    if magic == MB1_MAGIC:
        return PROTO_MULTIBOOT1
    if magic == MB2_MAGIC:
        return PROTO_MULTIBOOT2
    if magic == PVH_MAGIC:
        return PROTO_PVH
    return u32(0)


def parse_boot_info(magic: u64, info: u64) -> bool:
    """Fill boot_info from the loader's structure at physical info; False for an unknown magic."""
    if info >= DIRECT_MAP_SIZE:
        return False
    if magic == MB1_MAGIC:
        parse_multiboot1(info)
    elif magic == MB2_MAGIC:
        parse_multiboot2(info)
    elif magic == PVH_MAGIC:
        parse_pvh(info)
    else:
        return False
    return True
