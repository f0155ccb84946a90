/* t_badargs: throws invalid and kernel-space pointers, huge lengths, negative/closed fds,
 * unknown flags and unaligned addresses at each implemented syscall (raw syscall(2), so no
 * libc check gets in the way) and checks the errno Linux returns. Nothing here may crash:
 * a SIGSEGV/SIGBUS is reported as a FAIL naming the case that was running. */
#include "kt.h"
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define B KT_BADPTR              /* first address of the x86_64 kernel half */
#define B2 KT_BADPTR2            /* last page of the address space */
#define LOW ((void *)0x1000)     /* a user address that is never mapped */
#define NOFD 1000                /* a closed descriptor */
#define S(...) syscall(__VA_ARGS__)

static const char *volatile kt_case = "(start)";

/* Run one case; remember its name so a crash can be attributed. */
#define BAD(name, expr, err)                 \
    do {                                     \
        kt_case = (name);                    \
        CHECK_ERR((name), (expr), (err));    \
    } while (0)

static void on_crash(int sig)
{
    kt_out("FAIL t_badargs: %s (crashed with signal %d)\n", kt_case, sig);
    kt_out("%d passed, %d failed\n", kt_npass, kt_nfail + 1);
    _exit(1);
}

static int fd_rw, fd_ro, fd_dir, pfd[2];
static char buf[256];
static long pg;

static void fds_and_rw(void)
{
    BAD("read fd -1 -> EBADF", S(SYS_read, -1, buf, 1), EBADF);
    BAD("read closed fd -> EBADF", S(SYS_read, NOFD, buf, 1), EBADF);
    BAD("read INT_MAX fd -> EBADF", S(SYS_read, INT_MAX, buf, 1), EBADF);
    BAD("read kernel pointer -> EFAULT", S(SYS_pread64, fd_rw, B, 16, 0), EFAULT);
    BAD("read top-of-memory pointer -> EFAULT", S(SYS_pread64, fd_rw, B2, 16, 0), EFAULT);
    BAD("read unmapped low pointer -> EFAULT", S(SYS_pread64, fd_rw, LOW, 16, 0), EFAULT);
    BAD("read NULL buffer -> EFAULT", S(SYS_pread64, fd_rw, NULL, 16, 0), EFAULT);
    BAD("read huge length -> EFAULT", S(SYS_pread64, fd_rw, buf, (size_t)-1, 0), EFAULT);
    BAD("read from directory -> EISDIR", S(SYS_read, fd_dir, buf, 16), EISDIR);
    BAD("write fd -1 -> EBADF", S(SYS_write, -1, buf, 1), EBADF);
    BAD("write kernel pointer -> EFAULT", S(SYS_write, fd_rw, B, 16), EFAULT);
    BAD("write NULL -> EFAULT", S(SYS_write, fd_rw, NULL, 16), EFAULT);
    BAD("write to pipe, kernel pointer -> EFAULT", S(SYS_write, pfd[1], B, 16), EFAULT);
    BAD("write huge length -> EFAULT", S(SYS_write, fd_rw, buf, (size_t)-1), EFAULT);
    BAD("write read-only fd -> EBADF", S(SYS_write, fd_ro, buf, 1), EBADF);
    BAD("pread64 negative offset -> EINVAL", S(SYS_pread64, fd_rw, buf, 1, -1L), EINVAL);
    BAD("pwrite64 negative offset -> EINVAL", S(SYS_pwrite64, fd_rw, buf, 1, -1L), EINVAL);
    BAD("pread64 pipe -> ESPIPE", S(SYS_pread64, pfd[0], buf, 1, 0), ESPIPE);
    BAD("pwrite64 kernel pointer -> EFAULT", S(SYS_pwrite64, fd_rw, B, 8, 0), EFAULT);
    struct iovec iov = {buf, 8}, badbase = {B, 8}, huge = {buf, (size_t)1 << 63};
    BAD("readv iov kernel pointer -> EFAULT", S(SYS_readv, fd_rw, B, 1), EFAULT);
    BAD("readv iovcnt -1 -> EINVAL", S(SYS_readv, fd_rw, &iov, -1), EINVAL);
    BAD("readv iovcnt 1025 -> EINVAL", S(SYS_readv, fd_rw, &iov, 1025), EINVAL);
    BAD("writev iov_base kernel pointer -> EFAULT", S(SYS_writev, fd_rw, &badbase, 1), EFAULT);
    BAD("writev iov_len > SSIZE_MAX -> EINVAL", S(SYS_writev, fd_rw, &huge, 1), EINVAL);
    BAD("readv fd -1 -> EBADF", S(SYS_readv, -1, &iov, 1), EBADF);
    BAD("lseek fd -1 -> EBADF", S(SYS_lseek, -1, 0, SEEK_SET), EBADF);
    BAD("lseek whence 99 -> EINVAL", S(SYS_lseek, fd_rw, 0, 99), EINVAL);
    BAD("lseek negative -> EINVAL", S(SYS_lseek, fd_rw, -4096L, SEEK_SET), EINVAL);
    BAD("lseek pipe -> ESPIPE", S(SYS_lseek, pfd[0], 0, SEEK_CUR), ESPIPE);
    BAD("close -1 -> EBADF", S(SYS_close, -1), EBADF);
    BAD("close INT_MAX -> EBADF", S(SYS_close, INT_MAX), EBADF);
    BAD("dup -1 -> EBADF", S(SYS_dup, -1), EBADF);
    BAD("dup3 newfd -1 -> EBADF", S(SYS_dup3, fd_rw, -1, 0), EBADF);
    BAD("dup3 newfd huge -> EBADF", S(SYS_dup3, fd_rw, INT_MAX, 0), EBADF);
    BAD("dup3 unknown flag -> EINVAL", S(SYS_dup3, fd_rw, 200, 0x1), EINVAL);
    BAD("dup3 old == new -> EINVAL", S(SYS_dup3, fd_rw, fd_rw, 0), EINVAL);
    BAD("dup3 old == new, not open -> EINVAL (checked before the fd)", S(SYS_dup3, 900, 900, O_CLOEXEC), EINVAL);
    BAD("dup3 old not open -> EBADF", S(SYS_dup3, 900, 901, 0), EBADF);
    BAD("fcntl fd -1 -> EBADF", S(SYS_fcntl, -1, F_GETFL), EBADF);
    BAD("fcntl unknown cmd -> EINVAL", S(SYS_fcntl, fd_rw, 9999, 0), EINVAL);
    BAD("fcntl F_DUPFD negative -> EINVAL", S(SYS_fcntl, fd_rw, F_DUPFD, -1), EINVAL);
    BAD("fcntl F_GETLK kernel pointer -> EFAULT", S(SYS_fcntl, fd_rw, F_GETLK, B), EFAULT);
    BAD("ioctl fd -1 -> EBADF", S(SYS_ioctl, -1, FIONREAD, buf), EBADF);
    BAD("ioctl TIOCGWINSZ on file -> ENOTTY", S(SYS_ioctl, fd_rw, TIOCGWINSZ, buf), ENOTTY);
    BAD("ioctl FIONREAD pipe kernel pointer -> EFAULT", S(SYS_ioctl, pfd[0], FIONREAD, B), EFAULT);
    BAD("flock fd -1 -> EBADF", S(SYS_flock, -1, LOCK_SH), EBADF);
    BAD("flock bad operation -> EINVAL", S(SYS_flock, fd_rw, 0x40), EINVAL);
    BAD("fsync fd -1 -> EBADF", S(SYS_fsync, -1), EBADF);
    BAD("fsync pipe -> EINVAL", S(SYS_fsync, pfd[0]), EINVAL);
    BAD("fdatasync fd -1 -> EBADF", S(SYS_fdatasync, -1), EBADF);
    BAD("ftruncate fd -1 -> EBADF", S(SYS_ftruncate, -1, 0), EBADF);
    BAD("ftruncate pipe -> EINVAL", S(SYS_ftruncate, pfd[1], 0), EINVAL);
    BAD("ftruncate negative -> EINVAL", S(SYS_ftruncate, fd_rw, -1L), EINVAL);
    BAD("ftruncate directory -> EINVAL", S(SYS_ftruncate, fd_dir, 0), EINVAL);
    BAD("getdents64 fd -1 -> EBADF", S(SYS_getdents64, -1, buf, sizeof buf), EBADF);
    BAD("getdents64 kernel pointer -> EFAULT", S(SYS_getdents64, fd_dir, B, sizeof buf), EFAULT);
    BAD("getdents64 count 0 -> EINVAL", S(SYS_getdents64, fd_dir, buf, 0), EINVAL);
    BAD("getdents64 on file -> ENOTDIR", S(SYS_getdents64, fd_rw, buf, sizeof buf), ENOTDIR);
#ifdef SYS_fstat /* loongarch64 has only statx */
    BAD("fstat fd -1 -> EBADF", S(SYS_fstat, -1, buf), EBADF);
    BAD("fstat kernel pointer -> EFAULT", S(SYS_fstat, fd_rw, B), EFAULT);
#endif
    BAD("fchdir fd -1 -> EBADF", S(SYS_fchdir, -1), EBADF);
    BAD("fchmod fd -1 -> EBADF", S(SYS_fchmod, -1, 0644), EBADF);
    BAD("fchown fd -1 -> EBADF", S(SYS_fchown, -1, 0, 0), EBADF);
    BAD("fstatfs fd -1 -> EBADF", S(SYS_fstatfs, -1, buf), EBADF);
    BAD("fstatfs kernel pointer -> EFAULT", S(SYS_fstatfs, fd_rw, B), EFAULT);
}

static void paths(void)
{
    BAD("openat path kernel pointer -> EFAULT", S(SYS_openat, AT_FDCWD, B, O_RDONLY, 0), EFAULT);
    BAD("openat path NULL -> EFAULT", S(SYS_openat, AT_FDCWD, NULL, O_RDONLY, 0), EFAULT);
    BAD("openat bad dirfd relative -> EBADF", S(SYS_openat, -5, "x", O_RDONLY, 0), EBADF);
    BAD("openat file as dirfd -> ENOTDIR", S(SYS_openat, fd_rw, "x", O_RDONLY, 0), ENOTDIR);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    BAD("openat name > NAME_MAX -> ENAMETOOLONG", S(SYS_openat, AT_FDCWD, longname, O_RDONLY, 0), ENAMETOOLONG);
    static char longpath[PATH_MAX + 16];
    for (size_t i = 0; i < sizeof longpath - 1; i++)
        longpath[i] = (i % 2) ? '/' : 'a';
    longpath[sizeof longpath - 1] = 0;
    BAD("openat path > PATH_MAX -> ENAMETOOLONG", S(SYS_openat, AT_FDCWD, longpath, O_RDONLY, 0), ENAMETOOLONG);
#ifdef SYS_open
    BAD("open kernel pointer -> EFAULT", S(SYS_open, B, O_RDONLY, 0), EFAULT);
#endif
#ifdef SYS_newfstatat
    BAD("newfstatat path kernel pointer -> EFAULT", S(SYS_newfstatat, AT_FDCWD, B, buf, 0), EFAULT);
    BAD("newfstatat buf kernel pointer -> EFAULT", S(SYS_newfstatat, AT_FDCWD, "f", B, 0), EFAULT);
    BAD("newfstatat unknown flag -> EINVAL", S(SYS_newfstatat, AT_FDCWD, "f", buf, 0x80000), EINVAL);
#endif
#ifdef SYS_stat
    BAD("stat kernel pointer -> EFAULT", S(SYS_stat, B, buf), EFAULT);
    BAD("lstat kernel pointer -> EFAULT", S(SYS_lstat, "f", B), EFAULT);
#endif
    BAD("statx unknown flag -> EINVAL", S(SYS_statx, AT_FDCWD, "f", 0x40000000, 0x7ff, buf), EINVAL);
    BAD("statx kernel pointer -> EFAULT", S(SYS_statx, AT_FDCWD, B, 0, 0x7ff, buf), EFAULT);
    BAD("faccessat kernel pointer -> EFAULT", S(SYS_faccessat, AT_FDCWD, B, F_OK), EFAULT);
    BAD("faccessat bad mode -> EINVAL", S(SYS_faccessat, AT_FDCWD, "f", 0x100), EINVAL);
#ifdef SYS_faccessat2
    BAD("faccessat2 unknown flag -> EINVAL", S(SYS_faccessat2, AT_FDCWD, "f", F_OK, 0x1), EINVAL);
#endif
    BAD("mkdirat kernel pointer -> EFAULT", S(SYS_mkdirat, AT_FDCWD, B, 0755), EFAULT);
    BAD("unlinkat kernel pointer -> EFAULT", S(SYS_unlinkat, AT_FDCWD, B, 0), EFAULT);
    BAD("unlinkat unknown flag -> EINVAL", S(SYS_unlinkat, AT_FDCWD, "f", 0x1), EINVAL);
    BAD("renameat2 kernel pointer -> EFAULT", S(SYS_renameat2, AT_FDCWD, B, AT_FDCWD, "g", 0), EFAULT);
    BAD("renameat2 unknown flag -> EINVAL", S(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "g", 0x80), EINVAL);
    BAD("linkat kernel pointer -> EFAULT", S(SYS_linkat, AT_FDCWD, "f", AT_FDCWD, B, 0), EFAULT);
    BAD("linkat unknown flag -> EINVAL", S(SYS_linkat, AT_FDCWD, "f", AT_FDCWD, "g", 0x2), EINVAL);
    BAD("symlinkat kernel pointer -> EFAULT", S(SYS_symlinkat, B, AT_FDCWD, "g"), EFAULT);
    BAD("readlinkat kernel buffer -> EFAULT", S(SYS_readlinkat, AT_FDCWD, "lnk", B, 64), EFAULT);
    BAD("readlinkat negative size -> EINVAL", S(SYS_readlinkat, AT_FDCWD, "lnk", buf, -1), EINVAL);
    BAD("fchmodat kernel pointer -> EFAULT", S(SYS_fchmodat, AT_FDCWD, B, 0644), EFAULT);
    BAD("fchownat unknown flag -> EINVAL", S(SYS_fchownat, AT_FDCWD, "f", 0, 0, 0x1), EINVAL);
    BAD("utimensat unknown flag -> EINVAL", S(SYS_utimensat, AT_FDCWD, "f", NULL, 0x1), EINVAL);
    BAD("utimensat times kernel pointer -> EFAULT", S(SYS_utimensat, AT_FDCWD, "f", B, 0), EFAULT);
    BAD("truncate kernel pointer -> EFAULT", S(SYS_truncate, B, 0), EFAULT);
    BAD("truncate negative -> EINVAL", S(SYS_truncate, "f", -1L), EINVAL);
    BAD("chdir kernel pointer -> EFAULT", S(SYS_chdir, B), EFAULT);
    BAD("chdir NULL -> EFAULT", S(SYS_chdir, NULL), EFAULT);
    BAD("getcwd kernel pointer -> EFAULT", S(SYS_getcwd, B, 4096), EFAULT);
    BAD("getcwd size 0 -> ERANGE", S(SYS_getcwd, buf, 0), ERANGE);
    BAD("statfs kernel pointer -> EFAULT", S(SYS_statfs, B, buf), EFAULT);
    BAD("execve kernel pointer -> EFAULT", S(SYS_execve, B, NULL, NULL), EFAULT);
    /* an executable file, so the failure comes from copying argv (non-executables fail first) */
    BAD("execve argv kernel pointer -> EFAULT", S(SYS_execve, kt_self, B, NULL), EFAULT);
    BAD("chroot kernel pointer -> EFAULT", S(SYS_chroot, B), EFAULT);
#ifdef SYS_memfd_create
    BAD("memfd_create kernel pointer -> EFAULT", S(SYS_memfd_create, B, 0), EFAULT);
    BAD("memfd_create unknown flag -> EINVAL", S(SYS_memfd_create, "m", 0x100), EINVAL);
#endif
}

static void memory(void)
{
    BAD("mmap length 0 -> EINVAL", S(SYS_mmap, NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    BAD("mmap MAP_FIXED unaligned -> EINVAL", S(SYS_mmap, 0x10000001UL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    BAD("mmap huge length -> ENOMEM", S(SYS_mmap, NULL, (size_t)-4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    BAD("mmap MAP_FIXED kernel address -> ENOMEM", S(SYS_mmap, B, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
    BAD("mmap no type -> EINVAL", S(SYS_mmap, NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
    BAD("mmap MAP_SHARED_VALIDATE unknown flag -> EOPNOTSUPP", S(SYS_mmap, NULL, pg, PROT_READ, MAP_SHARED_VALIDATE | 0x800000, fd_rw, 0), EOPNOTSUPP);
    BAD("mmap closed fd -> EBADF", S(SYS_mmap, NULL, pg, PROT_READ, MAP_PRIVATE, NOFD, 0), EBADF);
    BAD("mmap unaligned offset -> EINVAL", S(SYS_mmap, NULL, pg, PROT_READ, MAP_PRIVATE, fd_rw, 1), EINVAL);
    BAD("munmap unaligned -> EINVAL", S(SYS_munmap, 0x10000001UL, pg), EINVAL);
    BAD("munmap length 0 -> EINVAL", S(SYS_munmap, 0x10000000UL, 0), EINVAL);
    BAD("munmap kernel address -> EINVAL", S(SYS_munmap, B, pg), EINVAL);
    BAD("mprotect unaligned -> EINVAL", S(SYS_mprotect, 0x10000001UL, pg, PROT_READ), EINVAL);
    /* a hole we just unmapped: fixed low addresses may hold the (randomized) heap */
    char *hole = mmap(NULL, 4 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, 4 * pg);
    BAD("mprotect unmapped -> ENOMEM", S(SYS_mprotect, hole, pg, PROT_READ), ENOMEM);
    BAD("mprotect kernel address -> ENOMEM", S(SYS_mprotect, B, pg, PROT_READ), ENOMEM);
    void *m = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    BAD("mprotect unknown prot bit -> EINVAL", S(SYS_mprotect, m, pg, 0x100), EINVAL);
    BAD("mremap unaligned -> EINVAL", S(SYS_mremap, (char *)m + 1, pg, pg, 0), EINVAL);
    BAD("mremap unknown flag -> EINVAL", S(SYS_mremap, m, pg, pg, 0x100), EINVAL);
    BAD("mremap unmapped -> EFAULT", S(SYS_mremap, hole, pg, 2 * pg, MREMAP_MAYMOVE), EFAULT);
    BAD("madvise unknown advice -> EINVAL", S(SYS_madvise, m, pg, 999), EINVAL);
    BAD("madvise unaligned -> EINVAL", S(SYS_madvise, (char *)m + 1, pg, MADV_NORMAL), EINVAL);
    BAD("msync unaligned -> EINVAL", S(SYS_msync, (char *)m + 1, pg, MS_SYNC), EINVAL);
    BAD("msync unmapped -> ENOMEM", S(SYS_msync, hole, pg, MS_SYNC), ENOMEM);
    munmap(m, pg);
    long cur = S(SYS_brk, 0);
    kt_case = "brk kernel address";
    CHECK_EQ("brk kernel address leaves break unchanged", S(SYS_brk, B), cur);
}

static void process_signals(void)
{
    BAD("kill bad signal -> EINVAL", S(SYS_kill, getpid(), 99), EINVAL);
    BAD("kill INT_MIN -> ESRCH", S(SYS_kill, INT_MIN, 0), ESRCH);
    BAD("tgkill tgid -1 -> EINVAL", S(SYS_tgkill, -1, getpid(), 0), EINVAL);
    BAD("tgkill bad signal -> EINVAL", S(SYS_tgkill, getpid(), getpid(), 99), EINVAL);
    BAD("rt_sigaction act kernel pointer -> EFAULT", S(SYS_rt_sigaction, SIGUSR1, B, NULL, 8), EFAULT);
    BAD("rt_sigaction signal 0 -> EINVAL", S(SYS_rt_sigaction, 0, NULL, buf, 8), EINVAL);
    BAD("rt_sigaction sigsetsize 16 -> EINVAL", S(SYS_rt_sigaction, SIGUSR1, NULL, buf, 16), EINVAL);
    BAD("rt_sigprocmask set kernel pointer -> EFAULT", S(SYS_rt_sigprocmask, SIG_BLOCK, B, NULL, 8), EFAULT);
    BAD("rt_sigprocmask oldset kernel pointer -> EFAULT", S(SYS_rt_sigprocmask, SIG_BLOCK, NULL, B, 8), EFAULT);
    BAD("rt_sigprocmask how 99 -> EINVAL", S(SYS_rt_sigprocmask, 99, buf, NULL, 8), EINVAL);
    BAD("rt_sigpending kernel pointer -> EFAULT", S(SYS_rt_sigpending, B, 8), EFAULT);
    BAD("rt_sigtimedwait set kernel pointer -> EFAULT", S(SYS_rt_sigtimedwait, B, NULL, NULL, 8), EFAULT);
    BAD("rt_sigsuspend kernel pointer -> EFAULT", S(SYS_rt_sigsuspend, B, 8), EFAULT);
    BAD("sigaltstack kernel pointer -> EFAULT", S(SYS_sigaltstack, B, NULL), EFAULT);
    BAD("wait4 bad options -> EINVAL", S(SYS_wait4, -1, NULL, 0x7000000, NULL), EINVAL);
    BAD("wait4 no children -> ECHILD", S(SYS_wait4, -1, NULL, 0, NULL), ECHILD);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    BAD("wait4 status kernel pointer -> EFAULT", S(SYS_wait4, pid, B, 0, NULL), EFAULT);
    waitpid(-1, NULL, WNOHANG);
    BAD("waitid bad idtype -> EINVAL", S(SYS_waitid, 99, 0, buf, WEXITED, NULL), EINVAL);
    BAD("setpgid negative pgid -> EINVAL", S(SYS_setpgid, 0, -1), EINVAL);
    BAD("getpgid missing -> ESRCH", S(SYS_getpgid, 0x3fffffff), ESRCH);
    BAD("getsid missing -> ESRCH", S(SYS_getsid, 0x3fffffff), ESRCH);
    BAD("setuid -1 -> EINVAL", S(SYS_setuid, -1), EINVAL);
    BAD("setgid -1 -> EINVAL", S(SYS_setgid, -1), EINVAL);
    BAD("getgroups negative -> EINVAL", S(SYS_getgroups, -1, buf), EINVAL);
    /* Linux checks the privilege before the count */
    if (geteuid() == 0)
        BAD("setgroups huge count -> EINVAL (root) / EPERM", S(SYS_setgroups, 1 << 30, buf), EINVAL);
    else
        BAD("setgroups huge count -> EINVAL (root) / EPERM", S(SYS_setgroups, 1 << 30, buf), EPERM);
    BAD("getresuid kernel pointer -> EFAULT", S(SYS_getresuid, B, B, B), EFAULT);
    BAD("clone THREAD without SIGHAND -> EINVAL", S(SYS_clone, CLONE_VM | CLONE_THREAD, 0, 0, 0, 0), EINVAL);
#ifdef SYS_clone3
    BAD("clone3 size too small -> EINVAL", S(SYS_clone3, buf, 8), EINVAL);
#endif
}

static void time_info(void)
{
    struct timespec badns = {0, 1000000000};
    BAD("clock_gettime bad clock -> EINVAL", S(SYS_clock_gettime, 99, buf), EINVAL);
    BAD("clock_gettime kernel pointer -> EFAULT", S(SYS_clock_gettime, CLOCK_REALTIME, B), EFAULT);
    BAD("clock_nanosleep bad clock -> EINVAL", S(SYS_clock_nanosleep, 99, 0, buf, NULL), EINVAL);
    BAD("clock_nanosleep bad nsec -> EINVAL", S(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &badns, NULL), EINVAL);
    BAD("nanosleep kernel pointer -> EFAULT", S(SYS_nanosleep, B, NULL), EFAULT);
    BAD("nanosleep bad nsec -> EINVAL", S(SYS_nanosleep, &badns, NULL), EINVAL);
    BAD("gettimeofday kernel pointer -> EFAULT", S(SYS_gettimeofday, B, NULL), EFAULT);
    BAD("getitimer bad which -> EINVAL", S(SYS_getitimer, 99, buf), EINVAL);
    BAD("getitimer kernel pointer -> EFAULT", S(SYS_getitimer, ITIMER_REAL, B), EFAULT);
    BAD("setitimer kernel pointer -> EFAULT", S(SYS_setitimer, ITIMER_REAL, B, NULL), EFAULT);
    BAD("uname kernel pointer -> EFAULT", S(SYS_uname, B), EFAULT);
    BAD("sysinfo kernel pointer -> EFAULT", S(SYS_sysinfo, B), EFAULT);
    BAD("getrusage bad who -> EINVAL", S(SYS_getrusage, 99, buf), EINVAL);
    BAD("getrusage kernel pointer -> EFAULT", S(SYS_getrusage, RUSAGE_SELF, B), EFAULT);
    BAD("prlimit64 bad resource -> EINVAL", S(SYS_prlimit64, 0, 99, NULL, buf), EINVAL);
    BAD("prlimit64 kernel pointer -> EFAULT", S(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, B), EFAULT);
    BAD("getrandom kernel pointer -> EFAULT", S(SYS_getrandom, B, 16, 0), EFAULT);
    BAD("getrandom unknown flag -> EINVAL", S(SYS_getrandom, buf, 16, 0x80), EINVAL);
    BAD("getpriority bad which -> EINVAL", S(SYS_getpriority, 99, 0), EINVAL);
    BAD("sched_getaffinity size 0 -> EINVAL", S(SYS_sched_getaffinity, 0, 0, buf), EINVAL);
    BAD("sched_getaffinity kernel pointer -> EFAULT", S(SYS_sched_getaffinity, 0, 128, B), EFAULT);
    BAD("prctl unknown option -> EINVAL", S(SYS_prctl, 0x7fff1234, 0, 0, 0, 0), EINVAL);
    BAD("getcpu kernel pointer -> EFAULT", S(SYS_getcpu, B, NULL, NULL), EFAULT);
#ifdef SYS_time
    BAD("time kernel pointer -> EFAULT", S(SYS_time, B), EFAULT);
#endif
#ifdef SYS_arch_prctl
    BAD("arch_prctl unknown code -> EINVAL", S(SYS_arch_prctl, 0x9999, 0), EINVAL);
    BAD("arch_prctl GET_FS kernel pointer -> EFAULT", S(SYS_arch_prctl, 0x1003, B), EFAULT);
#endif
    BAD("futex kernel pointer -> EFAULT", S(SYS_futex, B, 0 /*WAIT*/, 0, NULL, NULL, 0), EFAULT);
    BAD("futex unaligned -> EINVAL", S(SYS_futex, buf + 1, 0, 0, NULL, NULL, 0), EINVAL);
    BAD("futex unknown op -> ENOSYS", S(SYS_futex, buf, 99, 0, NULL, NULL, 0), ENOSYS);
    BAD("set_robust_list bad length -> EINVAL", S(SYS_set_robust_list, buf, 1), EINVAL);
}

static void io_mux(void)
{
    BAD("pipe2 kernel pointer -> EFAULT", S(SYS_pipe2, B, 0), EFAULT);
    BAD("pipe2 unknown flag -> EINVAL", S(SYS_pipe2, buf, 0x2), EINVAL);
    BAD("ppoll kernel pointer -> EFAULT", S(SYS_ppoll, B, 1, NULL, NULL, 8), EFAULT);
    BAD("ppoll nfds huge -> EINVAL", S(SYS_ppoll, buf, 1 << 30, NULL, NULL, 8), EINVAL);
    BAD("ppoll bad sigsetsize -> EINVAL", S(SYS_ppoll, NULL, 0, NULL, buf, 3), EINVAL);
    struct timespec badns = {0, -1};
    BAD("ppoll bad timeout -> EINVAL", S(SYS_ppoll, NULL, 0, &badns, NULL, 8), EINVAL);
    BAD("pselect6 negative nfds -> EINVAL", S(SYS_pselect6, -1, NULL, NULL, NULL, NULL, NULL), EINVAL);
    BAD("pselect6 fd_set kernel pointer -> EFAULT", S(SYS_pselect6, 1, B, NULL, NULL, NULL, NULL), EFAULT);
    /* a closed fd inside the fd table (bits beyond the table size are ignored by Linux) */
    int closed = dup(fd_rw);
    close(closed);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(closed, &rs);
    struct timespec zero = {0, 0};
    BAD("pselect6 closed fd -> EBADF", S(SYS_pselect6, closed + 1, &rs, NULL, NULL, &zero, NULL), EBADF);
#ifdef SYS_poll
    BAD("poll kernel pointer -> EFAULT", S(SYS_poll, B, 1, 0), EFAULT);
#endif
#ifdef SYS_select
    BAD("select negative nfds -> EINVAL", S(SYS_select, -1, NULL, NULL, NULL, NULL), EINVAL);
    BAD("select timeout kernel pointer -> EFAULT", S(SYS_select, 0, NULL, NULL, NULL, B), EFAULT);
#endif
    BAD("epoll_create1 unknown flag -> EINVAL", S(SYS_epoll_create1, 0x1), EINVAL);
#ifdef SYS_epoll_create
    BAD("epoll_create size 0 -> EINVAL", S(SYS_epoll_create, 0), EINVAL);
#endif
    int ep = (int)S(SYS_epoll_create1, 0);
    struct epoll_event ev = {EPOLLIN, {0}};
    BAD("epoll_ctl bad epfd -> EBADF", S(SYS_epoll_ctl, NOFD, EPOLL_CTL_ADD, pfd[0], &ev), EBADF);
    BAD("epoll_ctl non-epoll fd -> EINVAL", S(SYS_epoll_ctl, fd_rw, EPOLL_CTL_ADD, pfd[0], &ev), EINVAL);
    BAD("epoll_ctl epfd == fd -> EINVAL", S(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
    BAD("epoll_ctl regular file -> EPERM", S(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, fd_rw, &ev), EPERM);
    BAD("epoll_ctl bad op -> EINVAL", S(SYS_epoll_ctl, ep, 99, pfd[0], &ev), EINVAL);
    BAD("epoll_ctl DEL not added -> ENOENT", S(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, pfd[0], &ev), ENOENT);
    BAD("epoll_ctl event kernel pointer -> EFAULT", S(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, pfd[0], B), EFAULT);
    BAD("epoll_pwait maxevents 0 -> EINVAL", S(SYS_epoll_pwait, ep, buf, 0, 0, NULL, 8), EINVAL);
    BAD("epoll_pwait on non-epoll fd -> EINVAL", S(SYS_epoll_pwait, fd_rw, buf, 1, 0, NULL, 8), EINVAL);
    close(ep);
    BAD("eventfd2 unknown flag -> EINVAL", S(SYS_eventfd2, 0, 0x2), EINVAL);
#ifdef SYS_close_range
    BAD("close_range first > last -> EINVAL", S(SYS_close_range, 10, 5, 0), EINVAL);
    BAD("close_range unknown flag -> EINVAL", S(SYS_close_range, 900, 901, 0x1), EINVAL);
#endif
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_badargs");
    pg = sysconf(_SC_PAGESIZE);
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGPIPE, SIG_IGN);
    kt_write_file("f", "0123456789abcdef", 16);
    symlink("f", "lnk");
    fd_rw = open("f", O_RDWR);
    fd_ro = open("f", O_RDONLY);
    fd_dir = open(".", O_RDONLY | O_DIRECTORY);
    pipe(pfd);
    fds_and_rw();
    paths();
    memory();
    process_signals();
    time_info();
    io_mux();
    kt_finish();
}
