"""Memory management: physical frame allocator (frames) and the kernel heap (heap)."""
