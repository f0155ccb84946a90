"""A process's credentials: its real, effective and saved user and group ids and supplementary groups.

`Credentials` is one part of `asterpy.task.process.Process` (which derives from it through
`asterpy.task.sigstate.SignalState`). The effective uid and gid and the real uid are declared in
`asterpy.kernel.caller.Caller`, as files and drivers check them; the rest is here. The syscalls that
change them are asterpy.syscall.cred.
"""

from asterpy.lang import List, u64
from asterpy.fs.context import FsCaller


class Credentials(FsCaller):
    """Saved ids, the real gid and the supplementary groups (uid, ruid and gid: Caller)."""

    suid: u64            # saved ids (the real uid is Caller.ruid)
    rgid: u64
    sgid: u64
    groups: List[u64]    # supplementary groups

    def init_credentials(self) -> None:
        """Root's credentials (init's): every id 0, no supplementary groups."""
        self.uid = u64(0)
        self.gid = u64(0)
        self.ruid = u64(0)
        self.suid = u64(0)
        self.rgid = u64(0)
        self.sgid = u64(0)
        self.groups = []

    def copy_credentials(self, other: "Credentials") -> None:
        """Take other's ids and groups (fork: the child has its parent's credentials)."""
        self.uid = other.uid
        self.gid = other.gid
        self.ruid = other.ruid
        self.suid = other.suid
        self.rgid = other.rgid
        self.sgid = other.sgid
        self.groups = []
        for g in other.groups:
            self.groups.append(g)
