"""Kernel entropy: the weak generator behind getrandom, /dev/urandom and AT_RANDOM."""

from asterpy.lang import u64

# The arch half: RDRAND and the cycle counter.
from kernel_arch import rdrand64, rdrand_available, rdtsc64

# State of the generator (see random_u64).
random_state: u64 = 0


def random_u64() -> u64:
    """64 bits for getrandom: RDRAND when the CPU has it, mixed (splitmix64) with the TSC.

    Weak without RDRAND (QEMU's default CPU model): the state starts from the TSC and only the
    TSC is added, so an observer who knows the boot timing can predict it. Not for keys.
    """
    global random_state
    random_state += u64(0x9E3779B97F4A7C15) ^ rdtsc64()
    if rdrand_available():
        random_state ^= rdrand64()
    z = random_state
    z = (z ^ (z >> 30)) * u64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> 27)) * u64(0x94D049BB133111EB)
    return z ^ (z >> 31)
