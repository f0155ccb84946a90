"""ext2 (revision 1) on a block device: see disk.py (on-disk structures) and nodes.py (VFS inodes)."""
