"""asterpy: a Linux-compatible kernel written in Kernel Python."""
