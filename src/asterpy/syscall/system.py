"""System-information syscalls: uname, sethostname, setdomainname, getrandom, the resource limits (prlimit64,
getrlimit, setrlimit), personality, and rseq, which answers ENOSYS (both libcs cope). Table entries:
`syscall_<name>`."""

from typing import Final

from asterpy.lang import SysError, i32, i64, u8, u32, u64
from asterpy.lang.errno import EINVAL, ENOSYS, EPERM, ESRCH
from asterpy.kernel.entropy import random_u64
from asterpy.kernel.uts import NAME_MAX, uts_names
from asterpy.fs.fdtable import NOFILE_HARD_MAX
from asterpy.task.process import Process, current_process
import asterpy.task.sched as sched

GRND_MASK: Final = u64(7)                # GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE
GETRANDOM_MAX: Final = u64(33554431)     # Linux caps one call at this many bytes

RLIM_NLIMITS: Final = u64(16)
RLIMIT_NOFILE: Final = u64(7)

UTS_FIELD: Final = u64(65)
UTS_SIZE: Final = u64(6 * 65)


def proc() -> Process:
    """The running process (every syscall has one)."""
    p = current_process()
    if p is None:
        raise SysError(ESRCH)
    return p


def put_str(p: Process, va: u64, s: bytes) -> None:
    """Store s at user address va (the NUL comes from the zeroed buffer)."""
    p.put_bytes(va, s)


def put_name(p: Process, va: u64, s: bytearray) -> None:
    """Store the bytes of s at user address va (the NUL comes from the zeroed buffer)."""
    for i in range(0, len(s)):
        p.put_byte(va + u64(i), u8(s[i]))


def read_name(p: Process, name: u64, n: u64) -> bytearray:
    """sethostname/setdomainname's argument: EPERM unless privileged, EINVAL for a length outside
    0..64 (an int), EFAULT; the n bytes."""
    if p.uid != 0:
        raise SysError(EPERM)
    ln = i64(i32(u32(n & 0xFFFFFFFF)))
    if ln < 0 or u64(ln) > NAME_MAX:
        raise SysError(EINVAL)
    out = bytearray(0)
    for i in range(u64(0), u64(ln)):
        out.append(p.get_u8(name + i))
    return out


def sys_uname(buf: u64) -> u64:
    """uname(2): six 65-byte fields; EFAULT if the buffer is not writable."""
    p = proc()
    p.check_user(buf, UTS_SIZE, True)
    for i in range(u64(0), UTS_SIZE // 8):
        p.put_u64(buf + 8 * i, u64(0))
    for i in range((UTS_SIZE // 8) * 8, UTS_SIZE):
        p.put_byte(buf + i, u8(0))
    put_str(p, buf, b"Linux")
    names = uts_names()
    put_name(p, buf + UTS_FIELD, names.hostname)
    put_str(p, buf + 2 * UTS_FIELD, b"6.1.0-asterpy")
    put_str(p, buf + 3 * UTS_FIELD, b"#1 asterpy 0.1.0")
    put_str(p, buf + 4 * UTS_FIELD, b"x86_64")
    put_name(p, buf + 5 * UTS_FIELD, names.domainname)
    return u64(0)


def sys_getrandom(buf: u64, n: u64, flags: u64) -> u64:
    """getrandom(2): EINVAL for unknown flags, EFAULT for the buffer; at most 32 MiB - 1 per call."""
    if (flags & ~GRND_MASK) != 0:
        raise SysError(EINVAL)
    if n > GETRANDOM_MAX:
        n = GETRANDOM_MAX
    p = proc()
    p.check_user(buf, n, True)
    i = u64(0)
    while i < n:
        r = random_u64()
        j = u64(0)
        while j < 8 and i < n:
            p.put_byte(buf + i, u8(r >> (8 * j)))
            i += 1
            j += 1
    return n


def rlimits_of(pid: u64) -> Process:
    """The process whose limits prlimit64 reads or sets (0: the caller); ESRCH if none."""
    p = proc()
    n = pid & 0xFFFFFFFF
    if n == 0 or n == p.pid:
        return p
    q = sched.find_process(n)
    if q is None or q.zombie:
        raise SysError(ESRCH)
    return q


def set_rlimit(target: Process, resource: u64, soft: u64, hard: u64) -> None:
    """Apply new limits: EINVAL if soft > hard, EPERM to raise a hard limit without privilege,
    and RLIMIT_NOFILE capped by the most descriptors a table can have."""
    if soft > hard:
        raise SysError(EINVAL)
    if hard > target.rlim_max[resource] and proc().uid != 0:
        raise SysError(EPERM)
    if resource == RLIMIT_NOFILE:
        if hard > NOFILE_HARD_MAX:
            raise SysError(EPERM)
        target.files.limit = soft
    target.rlim_cur[resource] = soft
    target.rlim_max[resource] = hard


def sys_prlimit64(pid: u64, resource: u64, new: u64, old: u64) -> u64:
    """prlimit64(2): read and/or set a process's limits (ESRCH, EINVAL, EPERM, EFAULT)."""
    if resource >= RLIM_NLIMITS:
        raise SysError(EINVAL)
    target = rlimits_of(pid)
    p = proc()
    soft = u64(0)
    hard = u64(0)
    if new != 0:
        soft = p.get_u64(new)
        hard = p.get_u64(new + 8)
    if old != 0:
        p.check_user(old, u64(16), True)
        p.put_u64(old, target.rlim_cur[resource])
        p.put_u64(old + 8, target.rlim_max[resource])
    if new != 0:
        set_rlimit(target, resource, soft, hard)
    return u64(0)


def sys_getrlimit(resource: u64, addr: u64) -> u64:
    """getrlimit(2): EINVAL for an unknown resource, EFAULT."""
    if resource >= RLIM_NLIMITS:
        raise SysError(EINVAL)
    p = proc()
    p.check_user(addr, u64(16), True)
    p.put_u64(addr, p.rlim_cur[resource])
    p.put_u64(addr + 8, p.rlim_max[resource])
    return u64(0)


def sys_setrlimit(resource: u64, addr: u64) -> u64:
    """setrlimit(2): EINVAL for an unknown resource or soft > hard, EPERM, EFAULT."""
    if resource >= RLIM_NLIMITS:
        raise SysError(EINVAL)
    p = proc()
    soft = p.get_u64(addr)
    hard = p.get_u64(addr + 8)
    set_rlimit(p, resource, soft, hard)
    return u64(0)


def syscall_sethostname(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sethostname(2)."""
    uts_names().hostname = read_name(proc(), a0, a1)
    return u64(0)


def syscall_setdomainname(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setdomainname(2)."""
    uts_names().domainname = read_name(proc(), a0, a1)
    return u64(0)


def sys_personality(persona: u64) -> u64:
    """personality(2): the previous value; 0xffffffff only asks. The value is kept across fork and
    exec; of its flags exec acts on ADDR_NO_RANDOMIZE (no PIE load-address randomisation)."""
    p = proc()
    old = p.persona
    persona = persona & 0xFFFFFFFF
    if persona != 0xFFFFFFFF:
        p.persona = persona
    return old


def syscall_personality(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of personality(2)."""
    return sys_personality(a0)


def syscall_uname(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of uname(2)."""
    return sys_uname(a0)


def syscall_getrandom(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getrandom(2)."""
    return sys_getrandom(a0, a1, a2)


def syscall_prlimit64(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of prlimit64(2)."""
    return sys_prlimit64(a0, a1, a2, a3)


def syscall_getrlimit(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getrlimit(2)."""
    return sys_getrlimit(a0, a1)


def syscall_setrlimit(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setrlimit(2)."""
    return sys_setrlimit(a0, a1)


def syscall_rseq(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of rseq(2): ENOSYS without a log line (both libcs cope with it)."""
    raise SysError(ENOSYS)
