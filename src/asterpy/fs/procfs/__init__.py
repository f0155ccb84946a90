"""procfs: the /proc file system (process and kernel information generated when a file is opened)."""
