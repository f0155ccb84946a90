"""The vDSO: user-space code the kernel maps into every process (translated as its own PIC unit)."""
