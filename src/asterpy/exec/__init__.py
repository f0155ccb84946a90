"""Program loading: ELF executable parsing (elf.py); the loader and execve come later."""
