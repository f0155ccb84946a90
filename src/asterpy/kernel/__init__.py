"""The arch-neutral kernel core: boot information, logging and the kernel's main function."""
