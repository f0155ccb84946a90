"""Boot-time helpers shared by the architectures: the flattened device tree reader (`fdt`)."""
