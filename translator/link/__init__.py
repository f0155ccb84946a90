"""Link stage: objects to a static ELF with ld.lld, and ELF inspection (symbols, sections)."""
from translator.link.elfinfo import SectionInfo, read_machine, read_sections, read_symbols
from translator.link.linker import link

__all__ = ["SectionInfo", "link", "read_machine", "read_sections", "read_symbols"]
