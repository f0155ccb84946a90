"""File systems: the initramfs reader (cpio) now; VFS, ramfs, ext2 and the rest later."""
