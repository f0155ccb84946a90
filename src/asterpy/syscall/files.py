"""The file syscalls' entry: `files_dispatch` runs the ones this subsystem owns, NOT_HANDLED for the rest.

dispatch.py calls it first; the handlers live in fs_fd.py (descriptors), fs_rw.py (data),
fs_path.py (names and metadata) and fs_poll.py (waiting for several files). The path-taking
calls of the old ABI (open, stat, mkdir...) are their *at forms with AT_FDCWD.
"""

from typing import Final

from asterpy.lang import SysError, i32, u32, u64
from asterpy.lang.errno import EOPNOTSUPP
from asterpy.syscall.fs_common import AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW
from asterpy.syscall.fs_fd import (
    sys_close, sys_close_range, sys_creat, sys_dup, sys_dup2, sys_dup3, sys_fcntl, sys_ioctl, sys_open, sys_openat,
    sys_flock, sys_memfd_create, sys_pipe2,
)
from asterpy.syscall.fs_path import (
    sys_chdir, sys_chroot, sys_faccessat, sys_fchdir, sys_fchmod, sys_fchmodat, sys_fchown, sys_fchownat,
    sys_fstat, sys_fstatfs, sys_ftruncate, sys_getcwd, sys_linkat, sys_mkdirat, sys_mknodat, sys_newfstatat,
    sys_readlinkat, sys_renameat2, sys_statfs, sys_statx, sys_symlinkat, sys_truncate, sys_umask, sys_unlinkat,
    sys_futimesat, sys_utime, sys_utimensat,
)
from asterpy.syscall.fs_mount import sys_mount, sys_umount2
from asterpy.syscall.fs_poll import sys_poll, sys_ppoll, sys_pselect6, sys_select
from asterpy.syscall.fs_rw import (
    sys_fsync, sys_getdents64, sys_lseek, sys_pread, sys_preadv, sys_pwrite, sys_pwritev, sys_read, sys_readv,
    sys_copy_file_range, sys_fadvise64, sys_fallocate, sys_sendfile, sys_write, sys_writev,
)
from asterpy.syscall.numbers import (
    SYS_ACCESS, SYS_CHDIR, SYS_CHMOD, SYS_CHOWN, SYS_CHROOT, SYS_CLOSE, SYS_CLOSE_RANGE, SYS_CREAT, SYS_DUP,
    SYS_DUP2, SYS_DUP3, SYS_FACCESSAT, SYS_FACCESSAT2, SYS_FCHDIR, SYS_FCHMOD, SYS_FCHMODAT, SYS_FCHMODAT2,
    SYS_FCHOWN, SYS_FCHOWNAT, SYS_FCNTL, SYS_FDATASYNC, SYS_FSTAT, SYS_FSTATFS, SYS_FSYNC, SYS_FTRUNCATE,
    SYS_GETCWD, SYS_GETDENTS64, SYS_IOCTL, SYS_LCHOWN, SYS_LINK, SYS_LINKAT, SYS_LSEEK, SYS_LSTAT, SYS_MKDIR,
    SYS_MKDIRAT, SYS_MKNOD, SYS_MKNODAT, SYS_NEWFSTATAT, SYS_OPEN, SYS_OPENAT, SYS_PIPE, SYS_PIPE2, SYS_POLL,
    SYS_PPOLL, SYS_PREAD64, SYS_PREADV, SYS_PREADV2, SYS_PSELECT6, SYS_PWRITE64, SYS_PWRITEV, SYS_PWRITEV2,
    SYS_READ, SYS_READLINK, SYS_READLINKAT, SYS_READV, SYS_RENAME, SYS_RENAMEAT, SYS_RENAMEAT2, SYS_RMDIR,
    SYS_SELECT, SYS_SENDFILE, SYS_STAT, SYS_STATFS, SYS_STATX, SYS_SYMLINK, SYS_SYMLINKAT, SYS_SYNC, SYS_SYNCFS,
    SYS_TRUNCATE, SYS_UMASK, SYS_UNLINK, SYS_UNLINKAT, SYS_UTIMENSAT, SYS_WRITE, SYS_WRITEV, SYS_FLOCK,
    SYS_MEMFD_CREATE, SYS_FADVISE64, SYS_FALLOCATE, SYS_COPY_FILE_RANGE,
    SYS_UTIME, SYS_UTIMES, SYS_FUTIMESAT, SYS_MOUNT, SYS_UMOUNT2,
)

# What files_dispatch answers for a syscall it does not own (no syscall returns it: it would be -1,
# and errors are returned by raising SysError).
NOT_HANDLED: Final = u64(0xFFFFFFFFFFFFFFFF)
# preadv2/pwritev2 flags this kernel accepts (RWF_HIPRI, RWF_DSYNC, RWF_SYNC: no effect here).
RWF_KNOWN: Final = u64(7)


def cwd_fd() -> u64:
    """AT_FDCWD as a syscall argument."""
    return u64(i32(AT_FDCWD))


def files_dispatch(sys_id: u32, a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """Run file syscall sys_id (raising SysError for errors), or return NOT_HANDLED."""
    # The commonest first.
    if sys_id == SYS_READ:
        return sys_read(a0, a1, a2)
    if sys_id == SYS_WRITE:
        return sys_write(a0, a1, a2)
    if sys_id == SYS_OPENAT:
        return sys_openat(a0, a1, a2, a3)
    if sys_id == SYS_CLOSE:
        return sys_close(a0)
    if sys_id == SYS_NEWFSTATAT:
        return sys_newfstatat(a0, a1, a2, a3)
    if sys_id == SYS_FSTAT:
        return sys_fstat(a0, a1)
    if sys_id == SYS_IOCTL:
        return sys_ioctl(a0, a1, a2)
    if sys_id == SYS_WRITEV:
        return sys_writev(a0, a1, a2)
    if sys_id == SYS_READV:
        return sys_readv(a0, a1, a2)
    if sys_id == SYS_LSEEK:
        return sys_lseek(a0, a1, a2)
    if sys_id == SYS_FCNTL:
        return sys_fcntl(a0, a1, a2)
    if sys_id == SYS_OPEN:
        return sys_open(a0, a1, a2)
    if sys_id == SYS_CREAT:
        return sys_creat(a0, a1)
    if sys_id == SYS_STAT:
        return sys_newfstatat(cwd_fd(), a0, a1, u64(0))
    if sys_id == SYS_LSTAT:
        return sys_newfstatat(cwd_fd(), a0, a1, AT_SYMLINK_NOFOLLOW)
    if sys_id == SYS_STATX:
        return sys_statx(a0, a1, a2, a3, a4)
    if sys_id == SYS_PREAD64:
        return sys_pread(a0, a1, a2, a3)
    if sys_id == SYS_PWRITE64:
        return sys_pwrite(a0, a1, a2, a3)
    if sys_id == SYS_PREADV:
        return sys_preadv(a0, a1, a2, a3)
    if sys_id == SYS_PWRITEV:
        return sys_pwritev(a0, a1, a2, a3)
    if sys_id == SYS_PREADV2 or sys_id == SYS_PWRITEV2:
        if (a5 & ~RWF_KNOWN) != 0:
            raise SysError(EOPNOTSUPP)
        if sys_id == SYS_PREADV2:
            return sys_preadv(a0, a1, a2, a3)
        return sys_pwritev(a0, a1, a2, a3)
    if sys_id == SYS_GETDENTS64:
        return sys_getdents64(a0, a1, a2)
    if sys_id == SYS_DUP:
        return sys_dup(a0)
    if sys_id == SYS_DUP2:
        return sys_dup2(a0, a1)
    if sys_id == SYS_DUP3:
        return sys_dup3(a0, a1, a2)
    if sys_id == SYS_PIPE:
        return sys_pipe2(a0, u64(0))
    if sys_id == SYS_PIPE2:
        return sys_pipe2(a0, a1)
    if sys_id == SYS_CLOSE_RANGE:
        return sys_close_range(a0, a1, a2)
    if sys_id == SYS_ACCESS:
        return sys_faccessat(cwd_fd(), a0, a1, u64(0))
    if sys_id == SYS_FACCESSAT:
        return sys_faccessat(a0, a1, a2, u64(0))
    if sys_id == SYS_FACCESSAT2:
        return sys_faccessat(a0, a1, a2, a3)
    if sys_id == SYS_GETCWD:
        return sys_getcwd(a0, a1)
    if sys_id == SYS_CHDIR:
        return sys_chdir(a0)
    if sys_id == SYS_FCHDIR:
        return sys_fchdir(a0)
    if sys_id == SYS_CHROOT:
        return sys_chroot(a0)
    if sys_id == SYS_MKDIR:
        return sys_mkdirat(cwd_fd(), a0, a1)
    if sys_id == SYS_MKDIRAT:
        return sys_mkdirat(a0, a1, a2)
    if sys_id == SYS_MKNOD:
        return sys_mknodat(cwd_fd(), a0, a1, a2)
    if sys_id == SYS_MKNODAT:
        return sys_mknodat(a0, a1, a2, a3)
    if sys_id == SYS_RMDIR:
        return sys_unlinkat(cwd_fd(), a0, AT_REMOVEDIR)
    if sys_id == SYS_UNLINK:
        return sys_unlinkat(cwd_fd(), a0, u64(0))
    if sys_id == SYS_UNLINKAT:
        return sys_unlinkat(a0, a1, a2)
    if sys_id == SYS_RENAME:
        return sys_renameat2(cwd_fd(), a0, cwd_fd(), a1, u64(0))
    if sys_id == SYS_RENAMEAT:
        return sys_renameat2(a0, a1, a2, a3, u64(0))
    if sys_id == SYS_RENAMEAT2:
        return sys_renameat2(a0, a1, a2, a3, a4)
    if sys_id == SYS_LINK:
        return sys_linkat(cwd_fd(), a0, cwd_fd(), a1, u64(0))
    if sys_id == SYS_LINKAT:
        return sys_linkat(a0, a1, a2, a3, a4)
    if sys_id == SYS_SYMLINK:
        return sys_symlinkat(a0, cwd_fd(), a1)
    if sys_id == SYS_SYMLINKAT:
        return sys_symlinkat(a0, a1, a2)
    if sys_id == SYS_READLINK:
        return sys_readlinkat(cwd_fd(), a0, a1, a2)
    if sys_id == SYS_READLINKAT:
        return sys_readlinkat(a0, a1, a2, a3)
    if sys_id == SYS_CHMOD:
        return sys_fchmodat(cwd_fd(), a0, a1, u64(0))
    if sys_id == SYS_FCHMOD:
        return sys_fchmod(a0, a1)
    if sys_id == SYS_FCHMODAT:
        return sys_fchmodat(a0, a1, a2, u64(0))
    if sys_id == SYS_FCHMODAT2:
        return sys_fchmodat(a0, a1, a2, a3)
    if sys_id == SYS_CHOWN:
        return sys_fchownat(cwd_fd(), a0, a1, a2, u64(0))
    if sys_id == SYS_LCHOWN:
        return sys_fchownat(cwd_fd(), a0, a1, a2, AT_SYMLINK_NOFOLLOW)
    if sys_id == SYS_FCHOWN:
        return sys_fchown(a0, a1, a2)
    if sys_id == SYS_FCHOWNAT:
        return sys_fchownat(a0, a1, a2, a3, a4)
    if sys_id == SYS_UMASK:
        return sys_umask(a0)
    if sys_id == SYS_TRUNCATE:
        return sys_truncate(a0, a1)
    if sys_id == SYS_FTRUNCATE:
        return sys_ftruncate(a0, a1)
    if sys_id == SYS_UTIMENSAT:
        return sys_utimensat(a0, a1, a2, a3)
    if sys_id == SYS_UTIMES:
        return sys_futimesat(cwd_fd(), a0, a1)
    if sys_id == SYS_FUTIMESAT:
        return sys_futimesat(a0, a1, a2)
    if sys_id == SYS_UTIME:
        return sys_utime(a0, a1)
    if sys_id == SYS_FSYNC or sys_id == SYS_FDATASYNC or sys_id == SYS_SYNCFS:
        return sys_fsync(a0)
    if sys_id == SYS_SYNC:
        return u64(0)
    if sys_id == SYS_SENDFILE:
        return sys_sendfile(a0, a1, a2, a3)
    if sys_id == SYS_POLL:
        return sys_poll(a0, a1, a2)
    if sys_id == SYS_PPOLL:
        return sys_ppoll(a0, a1, a2, a3, a4)
    if sys_id == SYS_SELECT:
        return sys_select(a0, a1, a2, a3, a4)
    if sys_id == SYS_PSELECT6:
        return sys_pselect6(a0, a1, a2, a3, a4, a5)
    if sys_id == SYS_COPY_FILE_RANGE:
        return sys_copy_file_range(a0, a1, a2, a3, a4, a5)
    if sys_id == SYS_FLOCK:
        return sys_flock(a0, a1)
    if sys_id == SYS_MEMFD_CREATE:
        return sys_memfd_create(a0, a1)
    if sys_id == SYS_FADVISE64:
        return sys_fadvise64(a0, a1, a2, a3)
    if sys_id == SYS_FALLOCATE:
        return sys_fallocate(a0, a1, a2, a3)
    if sys_id == SYS_STATFS:
        return sys_statfs(a0, a1)
    if sys_id == SYS_MOUNT:
        return sys_mount(a0, a1, a2, a3, a4)
    if sys_id == SYS_UMOUNT2:
        return sys_umount2(a0, a1)
    if sys_id == SYS_FSTATFS:
        return sys_fstatfs(a0, a1)
    return NOT_HANDLED
