"""x86_64's free-running counter for asterpy.kernel.time (imported as `kernel_counter`, like kernel_arch): the TSC."""

from arch.x86_64.tsc import read_counter  # noqa: F401 - re-exported
