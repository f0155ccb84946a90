"""A process's credentials: its real, effective, saved and file-system user and group ids and supplementary groups.

`Credentials` is one part of `asterpy.task.process.Process` (which derives from it through
`asterpy.task.sigstate.SignalState`). The effective uid and gid and the real uid are declared in
`asterpy.kernel.caller.Caller`, as files and drivers check them; the rest is here. The syscalls that
change them are asterpy.syscall.cred.
"""

from typing import Final

from asterpy.lang import List, u64
from asterpy.fs.context import FsCaller

# Every capability Linux 6.1 knows (CAP_CHKPOINT_RESTORE, 40, is the last): what root holds.
CAP_FULL: Final = (u64(1) << 41) - 1


class Credentials(FsCaller):
    """Saved ids, the real gid and the supplementary groups (uid, ruid and gid: Caller)."""

    suid: u64            # saved ids (the real uid is Caller.ruid)
    rgid: u64
    sgid: u64
    groups: List[u64]    # supplementary groups
    cap_eff: u64         # capability sets (capget/capset, asterpy.syscall.cred): effective,
    cap_prm: u64         # permitted
    cap_inh: u64         # and inheritable; privilege checks still look at the euid

    def init_credentials(self) -> None:
        """Root's credentials (init's): every id 0, no supplementary groups."""
        self.uid = u64(0)
        self.gid = u64(0)
        self.fsuid = u64(0)
        self.fsgid = u64(0)
        self.ruid = u64(0)
        self.suid = u64(0)
        self.rgid = u64(0)
        self.sgid = u64(0)
        self.groups = []
        self.cap_eff = CAP_FULL
        self.cap_prm = CAP_FULL
        self.cap_inh = u64(0)

    def copy_credentials(self, other: "Credentials") -> None:
        """Take other's ids and groups (fork: the child has its parent's credentials)."""
        self.uid = other.uid
        self.gid = other.gid
        self.fsuid = other.fsuid
        self.fsgid = other.fsgid
        self.ruid = other.ruid
        self.suid = other.suid
        self.rgid = other.rgid
        self.sgid = other.sgid
        self.groups = []
        for g in other.groups:
            self.groups.append(g)
        self.cap_eff = other.cap_eff
        self.cap_prm = other.cap_prm
        self.cap_inh = other.cap_inh
