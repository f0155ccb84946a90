"""Credentials: the uid/gid family (real, effective, saved), supplementary groups.

`Process.uid`/`gid` are the *effective* ids (what permission checks use; the file system reads
them); `ruid`/`suid` and `rgid`/`sgid` are the real and saved ones. The file-system ids `fsuid`/
`fsgid` (what file permission checks use) follow the effective ones whenever a set*id call succeeds,
and setfsuid/setfsgid set them alone. Privilege is an effective uid of 0, as for a
process holding CAP_SETUID and CAP_SETGID. Table entries: `syscall_<name>`.
"""

from typing import Final

from asterpy.lang import SysError, i32, i64, u32, u64
from asterpy.lang.errno import EINVAL, EPERM, ESRCH
from asterpy.task.creds import CAP_FULL
from asterpy.task.process import Process
from asterpy.task.sched import current_task, find_process

KEEP: Final = u64(0xFFFFFFFF)      # -1 as a uid_t: "leave this id alone"
NGROUPS_MAX: Final = u64(65536)
CAP_SETPCAP: Final = u64(8)


def me() -> Process:
    """The running process."""
    return current_task().proc


def id_arg(x: u64) -> u64:
    """A uid_t/gid_t argument (32 bits)."""
    return x & 0xFFFFFFFF


def allowed(p: Process, v: u64, a: u64, b: u64, c: u64) -> bool:
    """Whether p may take id v: privileged, or v is one of its current a, b, c."""
    return p.uid == 0 or v == a or v == b or v == c


def set_uid(p: Process, u: u64) -> u64:
    """setuid(2): privileged sets all three; others may set the effective id to the real or saved one."""
    if u == KEEP:
        raise SysError(EINVAL)
    if p.uid == 0:
        p.ruid = u
        p.suid = u
        p.uid = u
        return u64(0)
    if u != p.ruid and u != p.suid:
        raise SysError(EPERM)
    p.uid = u
    return u64(0)


def set_gid(p: Process, g: u64) -> u64:
    """setgid(2), with the same rules as setuid (privilege: effective uid 0)."""
    if g == KEEP:
        raise SysError(EINVAL)
    if p.uid == 0:
        p.rgid = g
        p.sgid = g
        p.gid = g
        return u64(0)
    if g != p.rgid and g != p.sgid:
        raise SysError(EPERM)
    p.gid = g
    return u64(0)


def set_reuid(p: Process, r: u64, e: u64) -> u64:
    """setreuid(2): the saved id follows the new effective one when the real one changes or the
    effective one becomes other than the old real id."""
    old_r = p.ruid
    if r != KEEP and p.uid != 0 and r != p.ruid and r != p.uid:
        raise SysError(EPERM)
    if e != KEEP and not allowed(p, e, p.ruid, p.uid, p.suid):
        raise SysError(EPERM)
    if r != KEEP:
        p.ruid = r
    if e != KEEP:
        p.uid = e
    if r != KEEP or (e != KEEP and e != old_r):
        p.suid = p.uid
    return u64(0)


def set_regid(p: Process, r: u64, e: u64) -> u64:
    """setregid(2)."""
    old_r = p.rgid
    if r != KEEP and p.uid != 0 and r != p.rgid and r != p.gid:
        raise SysError(EPERM)
    if e != KEEP and not allowed(p, e, p.rgid, p.gid, p.sgid):
        raise SysError(EPERM)
    if r != KEEP:
        p.rgid = r
    if e != KEEP:
        p.gid = e
    if r != KEEP or (e != KEEP and e != old_r):
        p.sgid = p.gid
    return u64(0)


def set_resuid(p: Process, r: u64, e: u64, s: u64) -> u64:
    """setresuid(2): each id that is not -1 must be one of the current three unless privileged."""
    for v in [r, e, s]:
        if v != KEEP and not allowed(p, v, p.ruid, p.uid, p.suid):
            raise SysError(EPERM)
    if r != KEEP:
        p.ruid = r
    if e != KEEP:
        p.uid = e
    if s != KEEP:
        p.suid = s
    return u64(0)


def set_resgid(p: Process, r: u64, e: u64, s: u64) -> u64:
    """setresgid(2)."""
    if p.uid != 0:
        for v in [r, e, s]:
            if v != KEEP and v != p.rgid and v != p.gid and v != p.sgid:
                raise SysError(EPERM)
    if r != KEEP:
        p.rgid = r
    if e != KEEP:
        p.gid = e
    if s != KEEP:
        p.sgid = s
    return u64(0)


def get_groups(p: Process, size: u64, addr: u64) -> u64:
    """getgroups(2): size 0 asks for the count; a smaller size than the count is EINVAL."""
    n = i64(i32(u32(size & 0xFFFFFFFF)))
    if n < 0:
        raise SysError(EINVAL)
    count = u64(len(p.groups))
    if n == 0:
        return count
    if u64(n) < count:
        raise SysError(EINVAL)
    if count != 0:
        p.check_user(addr, count * 4, True)
    for i in range(u64(0), count):
        p.put_u32(addr + 4 * i, u32(p.groups[i]))
    return count


def set_groups(p: Process, size: u64, addr: u64) -> u64:
    """setgroups(2): privileged only; at most NGROUPS_MAX groups."""
    n = i64(i32(u32(size & 0xFFFFFFFF)))
    if n < 0 or u64(n) > NGROUPS_MAX:
        raise SysError(EINVAL)
    if p.uid != 0:
        raise SysError(EPERM)
    if n > 0:
        p.check_user(addr, u64(n) * 4, False)
    p.groups.clear()
    for i in range(u64(0), u64(n)):
        p.groups.append(u64(p.get_u32(addr + 4 * i)))
    return u64(0)


def follow_effective(p: Process, old_r: u64, old_e: u64, old_s: u64) -> None:
    """After a set*id call that succeeded: the file-system ids become the effective ones, and the
    capability sets follow the uids as Linux's do without SECBIT_KEEP_CAPS: leaving uid 0 in the
    effective id clears the effective set, in all three ids the permitted one too; coming back
    to an effective 0 makes the effective set the permitted one."""
    p.fsuid = p.uid
    p.fsgid = p.gid
    had_root = old_r == 0 or old_e == 0 or old_s == 0
    if had_root and p.ruid != 0 and p.uid != 0 and p.suid != 0:
        p.cap_prm = u64(0)
        p.cap_eff = u64(0)
    if old_e == 0 and p.uid != 0:
        p.cap_eff = u64(0)
    if old_e != 0 and p.uid == 0:
        p.cap_eff = p.cap_prm


def set_fsuid(p: Process, u: u64) -> u64:
    """setfsuid(2): the old fs uid; the new one is taken if privileged or one of the real, effective,
    saved or fs uids (-1, or any other, leaves it: the caller learns by reading it back)."""
    old = p.fsuid
    if u != KEEP and (p.uid == 0 or u == p.ruid or u == p.uid or u == p.suid or u == p.fsuid):
        p.fsuid = u
    return old


def set_fsgid(p: Process, g: u64) -> u64:
    """setfsgid(2): as setfsuid, with the gids (privilege: effective uid 0)."""
    old = p.fsgid
    if g != KEEP and (p.uid == 0 or g == p.rgid or g == p.gid or g == p.sgid or g == p.fsgid):
        p.fsgid = g
    return old


def put_three(p: Process, a: u64, b: u64, c: u64, x: u64, y: u64, z: u64) -> None:
    """Store three ids at user addresses a, b, c (getresuid/getresgid; EFAULT)."""
    p.put_u32(a, u32(x))
    p.put_u32(b, u32(y))
    p.put_u32(c, u32(z))


def syscall_getuid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getuid(2)."""
    return me().ruid


def syscall_geteuid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of geteuid(2)."""
    return me().uid


def syscall_getgid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getgid(2)."""
    return me().rgid


def syscall_getegid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getegid(2)."""
    return me().gid


def syscall_setuid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setuid(2)."""
    p = me()
    old_r = p.ruid
    old_e = p.uid
    old_s = p.suid
    r = set_uid(p, id_arg(a0))
    follow_effective(p, old_r, old_e, old_s)
    return r


def syscall_setgid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setgid(2)."""
    p = me()
    old_r = p.ruid
    old_e = p.uid
    old_s = p.suid
    r = set_gid(p, id_arg(a0))
    follow_effective(p, old_r, old_e, old_s)
    return r


def syscall_setreuid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setreuid(2)."""
    p = me()
    old_r = p.ruid
    old_e = p.uid
    old_s = p.suid
    r = set_reuid(p, id_arg(a0), id_arg(a1))
    follow_effective(p, old_r, old_e, old_s)
    return r


def syscall_setregid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setregid(2)."""
    p = me()
    old_r = p.ruid
    old_e = p.uid
    old_s = p.suid
    r = set_regid(p, id_arg(a0), id_arg(a1))
    follow_effective(p, old_r, old_e, old_s)
    return r


def syscall_setresuid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setresuid(2)."""
    p = me()
    old_r = p.ruid
    old_e = p.uid
    old_s = p.suid
    r = set_resuid(p, id_arg(a0), id_arg(a1), id_arg(a2))
    follow_effective(p, old_r, old_e, old_s)
    return r


def syscall_setresgid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setresgid(2)."""
    p = me()
    old_r = p.ruid
    old_e = p.uid
    old_s = p.suid
    r = set_resgid(p, id_arg(a0), id_arg(a1), id_arg(a2))
    follow_effective(p, old_r, old_e, old_s)
    return r


def syscall_getresuid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getresuid(2)."""
    p = me()
    put_three(p, a0, a1, a2, p.ruid, p.uid, p.suid)
    return u64(0)


def syscall_getresgid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getresgid(2)."""
    p = me()
    put_three(p, a0, a1, a2, p.rgid, p.gid, p.sgid)
    return u64(0)


def syscall_setfsuid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setfsuid(2)."""
    return set_fsuid(me(), id_arg(a0))


def syscall_setfsgid(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setfsgid(2)."""
    return set_fsgid(me(), id_arg(a0))


CAP_V1: Final = u64(0x19980330)       # _LINUX_CAPABILITY_VERSION_1: one 32-bit data struct
CAP_V2: Final = u64(0x20071026)       # _2 and _3: two (64 bits)
CAP_V3: Final = u64(0x20080522)       # the one Linux prefers (and writes back for a bad version)


def cap_words(p: Process, hdr: u64) -> u64:
    """How many struct __user_cap_data_struct the header's version means (EFAULT); for an unknown
    version 0, after writing the preferred one back."""
    v = u64(p.get_u32(hdr))
    if v == CAP_V1:
        return u64(1)
    if v == CAP_V2 or v == CAP_V3:
        return u64(2)
    p.put_u32(hdr, u32(CAP_V3))
    return u64(0)


def sys_capget(hdr: u64, data: u64) -> u64:
    """capget(2): the effective, permitted and inheritable sets of the process the header names (0:
    the caller); a bad version with a NULL data pointer is the way to ask for the version (0)."""
    p = me()
    words = cap_words(p, hdr)
    if data == 0:
        return u64(0)
    if words == 0:
        raise SysError(EINVAL)
    pid = i64(i32(p.get_u32(hdr + 4)))
    if pid < 0:
        raise SysError(EINVAL)
    target = p
    if pid != 0 and u64(pid) != p.pid:
        found = find_process(u64(pid))
        if found is None:
            raise SysError(ESRCH)
        target = found
    p.check_user(data, words * 12, True)
    for i in range(u64(0), words):
        p.put_u32(data + 12 * i, u32((target.cap_eff >> (32 * i)) & 0xFFFFFFFF))
        p.put_u32(data + 12 * i + 4, u32((target.cap_prm >> (32 * i)) & 0xFFFFFFFF))
        p.put_u32(data + 12 * i + 8, u32((target.cap_inh >> (32 * i)) & 0xFFFFFFFF))
    return u64(0)


def sys_capset(hdr: u64, data: u64) -> u64:
    """capset(2): only the caller's own sets (EPERM for another pid); as Linux's rules say, the new
    permitted set within the old, the effective within the new permitted, the inheritable within
    the old inheritable and permitted unless CAP_SETPCAP is effective (EPERM otherwise)."""
    p = me()
    words = cap_words(p, hdr)
    if words == 0:
        raise SysError(EINVAL)
    pid = i64(i32(p.get_u32(hdr + 4)))
    if pid != 0 and u64(pid) != p.pid:
        raise SysError(EPERM)
    p.check_user(data, words * 12, False)
    eff = u64(0)
    prm = u64(0)
    inh = u64(0)
    for i in range(u64(0), words):
        eff |= u64(p.get_u32(data + 12 * i)) << (32 * i)
        prm |= u64(p.get_u32(data + 12 * i + 4)) << (32 * i)
        inh |= u64(p.get_u32(data + 12 * i + 8)) << (32 * i)
    if words == 1:
        # Version 1 sets the low 32 bits; the high ones keep what they were.
        eff |= p.cap_eff & ~u64(0xFFFFFFFF)
        prm |= p.cap_prm & ~u64(0xFFFFFFFF)
        inh |= p.cap_inh & ~u64(0xFFFFFFFF)
    eff &= CAP_FULL
    prm &= CAP_FULL
    inh &= CAP_FULL
    setpcap = (p.cap_eff & (u64(1) << CAP_SETPCAP)) != 0
    if (inh & ~(p.cap_inh | p.cap_prm)) != 0 and not setpcap:
        raise SysError(EPERM)
    if (prm & ~p.cap_prm) != 0 or (eff & ~prm) != 0:
        raise SysError(EPERM)
    p.cap_eff = eff
    p.cap_prm = prm
    p.cap_inh = inh
    return u64(0)


def syscall_capget(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of capget(2)."""
    return sys_capget(a0, a1)


def syscall_capset(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of capset(2)."""
    return sys_capset(a0, a1)


def syscall_getgroups(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getgroups(2)."""
    return get_groups(me(), a0, a1)


def syscall_setgroups(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setgroups(2)."""
    return set_groups(me(), a0, a1)
