"""The file syscalls' table entries (`syscall_<name>`, listed in the generated syscall/table.py).

The handlers live in fs_fd.py (descriptors), fs_rw.py (data),
fs_path.py (names and metadata) and fs_poll.py (waiting for several files). The path-taking
calls of the old ABI (open, stat, mkdir...) are their *at forms with AT_FDCWD.
"""

from typing import Final

from asterpy.lang import SysError, i32, u64
from asterpy.lang.errno import EOPNOTSUPP
from asterpy.syscall.fs_common import AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW
from asterpy.syscall.fs_fd import (
    sys_close, sys_close_range, sys_creat, sys_dup, sys_dup2, sys_dup3, sys_fcntl, sys_ioctl, sys_open, sys_openat,
    sys_memfd_create, sys_pipe2,
)
from asterpy.syscall.fs_lock import sys_flock
from asterpy.syscall.fs_path import (
    sys_chdir, sys_chroot, sys_faccessat, sys_fchdir, sys_fchmod, sys_fchmodat, sys_fchown, sys_fchownat,
    sys_fstat, sys_fstatfs, sys_ftruncate, sys_getcwd, sys_linkat, sys_mkdirat, sys_mknodat, sys_newfstatat,
    sys_readlinkat, sys_renameat2, sys_statfs, sys_statx, sys_symlinkat, sys_truncate, sys_umask, sys_unlinkat,
    sys_futimesat, sys_utime, sys_utimensat,
)
from asterpy.syscall.fs_poll import sys_poll, sys_ppoll, sys_pselect6, sys_select
from asterpy.syscall.fs_rw import (
    sys_fsync, sys_getdents64, sys_lseek, sys_sync, sys_syncfs, sys_pread, sys_preadv, sys_pwrite, sys_pwritev, sys_read, sys_readv,
    sys_copy_file_range, sys_fadvise64, sys_fallocate, sys_sendfile, sys_write, sys_writev,
)

# preadv2/pwritev2 flags this kernel accepts (RWF_HIPRI, RWF_DSYNC, RWF_SYNC: no effect here).
RWF_KNOWN: Final = u64(7)


def cwd_fd() -> u64:
    """AT_FDCWD as a syscall argument."""
    return u64(i32(AT_FDCWD))


def syscall_read(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of read(2)."""
    return sys_read(a0, a1, a2)


def syscall_write(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of write(2)."""
    return sys_write(a0, a1, a2)


def syscall_openat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of openat(2)."""
    return sys_openat(a0, a1, a2, a3)


def syscall_close(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of close(2)."""
    return sys_close(a0)


def syscall_newfstatat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of newfstatat(2)."""
    return sys_newfstatat(a0, a1, a2, a3)


def syscall_fstat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fstat(2)."""
    return sys_fstat(a0, a1)


def syscall_ioctl(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of ioctl(2)."""
    return sys_ioctl(a0, a1, a2)


def syscall_writev(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of writev(2)."""
    return sys_writev(a0, a1, a2)


def syscall_readv(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of readv(2)."""
    return sys_readv(a0, a1, a2)


def syscall_lseek(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of lseek(2)."""
    return sys_lseek(a0, a1, a2)


def syscall_fcntl(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fcntl(2)."""
    return sys_fcntl(a0, a1, a2)


def syscall_open(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of open(2)."""
    return sys_open(a0, a1, a2)


def syscall_creat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of creat(2)."""
    return sys_creat(a0, a1)


def syscall_stat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of stat(2)."""
    return sys_newfstatat(cwd_fd(), a0, a1, u64(0))


def syscall_lstat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of lstat(2)."""
    return sys_newfstatat(cwd_fd(), a0, a1, AT_SYMLINK_NOFOLLOW)


def syscall_statx(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of statx(2)."""
    return sys_statx(a0, a1, a2, a3, a4)


def syscall_pread64(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of pread64(2)."""
    return sys_pread(a0, a1, a2, a3)


def syscall_pwrite64(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of pwrite64(2)."""
    return sys_pwrite(a0, a1, a2, a3)


def syscall_preadv(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of preadv(2)."""
    return sys_preadv(a0, a1, a2, a3)


def syscall_pwritev(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of pwritev(2)."""
    return sys_pwritev(a0, a1, a2, a3)


def syscall_preadv2(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of preadv2(2)."""
    if (a5 & ~RWF_KNOWN) != 0:
        raise SysError(EOPNOTSUPP)
    return sys_preadv(a0, a1, a2, a3)


def syscall_pwritev2(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of pwritev2(2)."""
    if (a5 & ~RWF_KNOWN) != 0:
        raise SysError(EOPNOTSUPP)
    return sys_pwritev(a0, a1, a2, a3)


def syscall_getdents64(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getdents64(2)."""
    return sys_getdents64(a0, a1, a2)


def syscall_dup(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of dup(2)."""
    return sys_dup(a0)


def syscall_dup2(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of dup2(2)."""
    return sys_dup2(a0, a1)


def syscall_dup3(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of dup3(2)."""
    return sys_dup3(a0, a1, a2)


def syscall_pipe(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of pipe(2)."""
    return sys_pipe2(a0, u64(0))


def syscall_pipe2(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of pipe2(2)."""
    return sys_pipe2(a0, a1)


def syscall_close_range(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of close_range(2)."""
    return sys_close_range(a0, a1, a2)


def syscall_access(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of access(2)."""
    return sys_faccessat(cwd_fd(), a0, a1, u64(0))


def syscall_faccessat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of faccessat(2)."""
    return sys_faccessat(a0, a1, a2, u64(0))


def syscall_faccessat2(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of faccessat2(2)."""
    return sys_faccessat(a0, a1, a2, a3)


def syscall_getcwd(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getcwd(2)."""
    return sys_getcwd(a0, a1)


def syscall_chdir(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of chdir(2)."""
    return sys_chdir(a0)


def syscall_fchdir(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fchdir(2)."""
    return sys_fchdir(a0)


def syscall_chroot(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of chroot(2)."""
    return sys_chroot(a0)


def syscall_mkdir(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of mkdir(2)."""
    return sys_mkdirat(cwd_fd(), a0, a1)


def syscall_mkdirat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of mkdirat(2)."""
    return sys_mkdirat(a0, a1, a2)


def syscall_mknod(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of mknod(2)."""
    return sys_mknodat(cwd_fd(), a0, a1, a2)


def syscall_mknodat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of mknodat(2)."""
    return sys_mknodat(a0, a1, a2, a3)


def syscall_rmdir(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of rmdir(2)."""
    return sys_unlinkat(cwd_fd(), a0, AT_REMOVEDIR)


def syscall_unlink(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of unlink(2)."""
    return sys_unlinkat(cwd_fd(), a0, u64(0))


def syscall_unlinkat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of unlinkat(2)."""
    return sys_unlinkat(a0, a1, a2)


def syscall_rename(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of rename(2)."""
    return sys_renameat2(cwd_fd(), a0, cwd_fd(), a1, u64(0))


def syscall_renameat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of renameat(2)."""
    return sys_renameat2(a0, a1, a2, a3, u64(0))


def syscall_renameat2(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of renameat2(2)."""
    return sys_renameat2(a0, a1, a2, a3, a4)


def syscall_link(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of link(2)."""
    return sys_linkat(cwd_fd(), a0, cwd_fd(), a1, u64(0))


def syscall_linkat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of linkat(2)."""
    return sys_linkat(a0, a1, a2, a3, a4)


def syscall_symlink(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of symlink(2)."""
    return sys_symlinkat(a0, cwd_fd(), a1)


def syscall_symlinkat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of symlinkat(2)."""
    return sys_symlinkat(a0, a1, a2)


def syscall_readlink(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of readlink(2)."""
    return sys_readlinkat(cwd_fd(), a0, a1, a2)


def syscall_readlinkat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of readlinkat(2)."""
    return sys_readlinkat(a0, a1, a2, a3)


def syscall_chmod(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of chmod(2)."""
    return sys_fchmodat(cwd_fd(), a0, a1, u64(0))


def syscall_fchmod(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fchmod(2)."""
    return sys_fchmod(a0, a1)


def syscall_fchmodat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fchmodat(2)."""
    return sys_fchmodat(a0, a1, a2, u64(0))


def syscall_fchmodat2(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fchmodat2(2)."""
    return sys_fchmodat(a0, a1, a2, a3)


def syscall_chown(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of chown(2)."""
    return sys_fchownat(cwd_fd(), a0, a1, a2, u64(0))


def syscall_lchown(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of lchown(2)."""
    return sys_fchownat(cwd_fd(), a0, a1, a2, AT_SYMLINK_NOFOLLOW)


def syscall_fchown(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fchown(2)."""
    return sys_fchown(a0, a1, a2)


def syscall_fchownat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fchownat(2)."""
    return sys_fchownat(a0, a1, a2, a3, a4)


def syscall_umask(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of umask(2)."""
    return sys_umask(a0)


def syscall_truncate(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of truncate(2)."""
    return sys_truncate(a0, a1)


def syscall_ftruncate(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of ftruncate(2)."""
    return sys_ftruncate(a0, a1)


def syscall_utimensat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of utimensat(2)."""
    return sys_utimensat(a0, a1, a2, a3)


def syscall_utimes(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of utimes(2)."""
    return sys_futimesat(cwd_fd(), a0, a1)


def syscall_futimesat(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of futimesat(2)."""
    return sys_futimesat(a0, a1, a2)


def syscall_utime(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of utime(2)."""
    return sys_utime(a0, a1)


def syscall_fsync(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fsync(2)."""
    return sys_fsync(a0)


def syscall_fdatasync(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fdatasync(2)."""
    return sys_fsync(a0)


def syscall_syncfs(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of syncfs(2)."""
    return sys_syncfs(a0)


def syscall_sync(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sync(2)."""
    return sys_sync()


def syscall_sendfile(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sendfile(2)."""
    return sys_sendfile(a0, a1, a2, a3)


def syscall_poll(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of poll(2)."""
    return sys_poll(a0, a1, a2)


def syscall_ppoll(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of ppoll(2)."""
    return sys_ppoll(a0, a1, a2, a3, a4)


def syscall_select(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of select(2)."""
    return sys_select(a0, a1, a2, a3, a4)


def syscall_pselect6(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of pselect6(2)."""
    return sys_pselect6(a0, a1, a2, a3, a4, a5)


def syscall_copy_file_range(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of copy_file_range(2)."""
    return sys_copy_file_range(a0, a1, a2, a3, a4, a5)


def syscall_flock(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of flock(2)."""
    return sys_flock(a0, a1)


def syscall_memfd_create(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of memfd_create(2)."""
    return sys_memfd_create(a0, a1)


def syscall_fadvise64(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fadvise64(2)."""
    return sys_fadvise64(a0, a1, a2, a3)


def syscall_fallocate(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fallocate(2)."""
    return sys_fallocate(a0, a1, a2, a3)


def syscall_statfs(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of statfs(2)."""
    return sys_statfs(a0, a1)


def syscall_fstatfs(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fstatfs(2)."""
    return sys_fstatfs(a0, a1)











