/* t_perm: permissions hold. Runs as root; each case forks a child that drops to uid/gid 1000 (no
 * supplementary groups: setgroups, setresgid, setresuid) and tries what Linux refuses an
 * unprivileged user: opening and executing files by mode and owner, creating and removing in
 * directories it cannot write (and others' files in a sticky one), kill of another user's process,
 * setuid/setgid/setgroups without the right, chown/chmod of files it does not own, raising a hard
 * limit or a nice value, privileged calls (mount, reboot, mknod, chroot), /proc/<pid> files of a root process
 * (environ, mem where the kernel has it, fd/); and, for every process, writing to a read-only mount and the page
 * protections (a write to a PROT_READ page or an exec from a non-exec page is a SIGSEGV; the kernel
 * itself never writes a read-only user page or reads a PROT_NONE one: EFAULT).
 *
 * The children reach the scratch directory through a directory fd opened before dropping (on the
 * host its parents are root's 0700 pytest directories). */
#include "kt.h"
#include <grp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>

#define UID 1000
#define GID 1000

struct result {
    long r;
    int err;
};
static struct result *res;
static int scratch_fd = -1;

/* fork; the child enters the scratch directory, drops to UID/GID and returns 0; the parent returns
 * the child's pid. */
static pid_t fork_user(void)
{
    pid_t p = fork();
    if (p != 0)
        return p;
    if (fchdir(scratch_fd) != 0 || setgroups(0, NULL) != 0 || setresgid(GID, GID, GID) != 0 ||
        setresuid(UID, UID, UID) != 0)
        _exit(99);
    return 0;
}

/* Wait for a fork_user child; its result, with errno set to its errno (-2 / EIO if it died). */
static long user_result(pid_t p)
{
    int st = 0;
    if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        errno = EIO;
        return -2;
    }
    errno = res->err;
    return res->r;
}

/* Evaluate expr as the unprivileged user; the value and errno come back to the parent. */
#define AS_USER(expr) \
    user_result(fork_user() ?: (errno = 0, res->r = (long)(expr), res->err = errno, _exit(0), 0))

/* Run stmt in a child (as the user when `user`), return its wait status. */
#define CHILD_STATUS(user, stmt)                                                         \
    ({                                                                                   \
        pid_t p_ = (user) ? fork_user() : fork();                                        \
        if (p_ == 0) {                                                                   \
            stmt;                                                                        \
            _exit(0);                                                                    \
        }                                                                                \
        int st_ = -1;                                                                    \
        if (p_ > 0)                                                                      \
            waitpid(p_, &st_, 0);                                                        \
        st_;                                                                             \
    })

static int segv(int st)
{
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
}

/* Make path with mode and owner, holding `text`. */
static int make(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
    if (kt_write_file(path, "secret\n", 7) != 0)
        return -1;
    return chown(path, uid, gid) == 0 && chmod(path, mode) == 0 ? 0 : -1;
}

/* A copy of this program at path (for exec cases). */
static int copy_self(const char *path, mode_t mode)
{
    int in = open(kt_self, O_RDONLY), outfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700);
    char buf[65536];
    ssize_t n;
    int ok = in >= 0 && outfd >= 0;
    while (ok && (n = read(in, buf, sizeof buf)) > 0)
        ok = write(outfd, buf, (size_t)n) == n;
    if (in >= 0)
        close(in);
    if (outfd >= 0)
        close(outfd);
    return ok && chmod(path, mode) == 0 ? 0 : -1;
}

static void files(void)
{
    CHECK_OK("setup: files with modes and owners",
             make("root600", 0600, 0, 0) | make("root644", 0644, 0, 0) | make("user400", 0400, UID, GID) |
             make("user070", 0070, UID, GID) | make("grp040", 0040, 0, GID) | make("root604", 0604, 0, GID));
    CHECK_ERR("open O_RDONLY of root's 0600 file: EACCES", AS_USER(open("root600", O_RDONLY)), EACCES);
    CHECK_ERR("open O_WRONLY of root's 0644 file: EACCES", AS_USER(open("root644", O_WRONLY)), EACCES);
    CHECK_OK("open O_RDONLY of root's 0644 file", AS_USER(open("root644", O_RDONLY)));
    CHECK_ERR("open O_WRONLY of own 0400 file: EACCES", AS_USER(open("user400", O_WRONLY)), EACCES);
    CHECK_ERR("own 0070 file: the owner bits apply, not the group's (EACCES)", AS_USER(open("user070", O_RDONLY)),
              EACCES);
    CHECK_OK("open of a root:1000 0040 file through the group", AS_USER(open("grp040", O_RDONLY)));
    CHECK_ERR("a root:1000 0604 file: the group bits apply, not other's (EACCES)", AS_USER(open("root604", O_RDONLY)),
              EACCES);
    CHECK_ERR("access(R_OK) of root's 0600 file: EACCES", AS_USER(access("root600", R_OK)), EACCES);
    CHECK_ERR("truncate of root's 0644 file: EACCES", AS_USER(truncate("root644", 0)), EACCES);
    CHECK_ERR("utimes(NULL) of root's 0644 file: EACCES", AS_USER(utimes("root644", NULL)), EACCES);
    struct timeval tv[2] = {{1, 0}, {1, 0}};
    CHECK_ERR("utimes(times) of root's 0644 file: EPERM", AS_USER(utimes("root644", tv)), EPERM);
    CHECK_ERR("chmod of root's file: EPERM", AS_USER(chmod("root644", 0666)), EPERM);
    CHECK_ERR("chown of root's file to the user: EPERM", AS_USER(chown("root644", UID, GID)), EPERM);
    CHECK_ERR("chown of own file to root: EPERM", AS_USER(chown("user400", 0, -1)), EPERM);
    CHECK_ERR("chown of own file to a group not held: EPERM", AS_USER(chown("user400", -1, 0)), EPERM);
    CHECK_OK("chmod of own file", AS_USER(chmod("user400", 0600)));
    struct stat st;
    CHECK("root's 0644 file is unchanged by the user's tries",
          stat("root644", &st) == 0 && st.st_size == 7 && (st.st_mode & 07777) == 0644 && st.st_uid == 0);
}

static void dirs(void)
{
    CHECK_OK("setup: directories", mkdir("rootdir", 0755) | mkdir("closed", 0700) | mkdir("sticky", 0755) | chmod("sticky", 01777) |
                                       make("rootdir/f", 0666, 0, 0) | make("closed/f", 0666, 0, 0) |
                                       make("sticky/rootf", 0666, 0, 0));
    CHECK_ERR("create in root's 0755 directory: EACCES", AS_USER(open("rootdir/new", O_CREAT | O_WRONLY, 0644)),
              EACCES);
    CHECK_ERR("mkdir in root's 0755 directory: EACCES", AS_USER(mkdir("rootdir/sub", 0755)), EACCES);
    CHECK_ERR("unlink in root's 0755 directory: EACCES", AS_USER(unlink("rootdir/f")), EACCES);
    CHECK_ERR("rename out of root's 0755 directory: EACCES", AS_USER(rename("rootdir/f", "sticky/moved")), EACCES);
    CHECK_ERR("stat through root's 0700 directory: EACCES", AS_USER(({ struct stat s_; stat("closed/f", &s_); })),
              EACCES);
    CHECK_ERR("open of root's 0700 directory: EACCES", AS_USER(open("closed", O_RDONLY | O_DIRECTORY)), EACCES);
    CHECK_ERR("chdir into root's 0700 directory: EACCES", AS_USER(chdir("closed")), EACCES);
    CHECK_ERR("unlink of root's file in a sticky 01777 directory: EPERM", AS_USER(unlink("sticky/rootf")), EPERM);
    CHECK_OK("create in the sticky 01777 directory", AS_USER(open("sticky/mine", O_CREAT | O_WRONLY, 0644)));
    CHECK_OK("unlink of own file in the sticky directory", AS_USER(unlink("sticky/mine")));
    CHECK("root's files are all still there", access("rootdir/f", F_OK) == 0 && access("sticky/rootf", F_OK) == 0);
}

static void exec_cases(void)
{
    CHECK_OK("setup: copies of this program", copy_self("x755", 0755) | copy_self("x644", 0644) |
                                                  copy_self("x700", 0700));
    CHECK_ERR("exec of a 0644 file: EACCES", AS_USER(execl("./x644", "x644", "--exit-9", (char *)NULL)), EACCES);
    CHECK_ERR("exec of root's 0700 file: EACCES", AS_USER(execl("./x700", "x700", "--exit-9", (char *)NULL)),
              EACCES);
    CHECK_ERR("exec of a directory: EACCES", AS_USER(execl("./rootdir", "d", (char *)NULL)), EACCES);
    int st = CHILD_STATUS(1, execl("./x755", "x755", "--exit-9", (char *)NULL));
    CHECK("exec of a 0755 file runs it", WIFEXITED(st) && WEXITSTATUS(st) == 9);
    st = CHILD_STATUS(0, execl("./x644", "x644", "--exit-9", (char *)NULL); _exit(errno == EACCES ? 3 : 4));
    CHECK("root too cannot exec a file with no x bit (EACCES)", WIFEXITED(st) && WEXITSTATUS(st) == 3);
}

static void processes(void)
{
    pid_t root_sleeper = fork();
    if (root_sleeper == 0) {
        for (;;)
            pause();
    }
    /* The user's sleeper says when it has dropped to the user's ids: probing it before that
     * would be probing a root process (a race the host's scheduler sometimes loses). */
    int ready[2];
    if (pipe(ready) != 0)
        return;
    pid_t user_sleeper = fork_user();
    if (user_sleeper == 0) {
        close(ready[0]);
        if (write(ready[1], "u", 1) != 1)
            _exit(98);
        for (;;)
            pause();
    }
    close(ready[1]);
    char ready_byte = 0;
    CHECK("the user's sleeper dropped its privileges", read(ready[0], &ready_byte, 1) == 1);
    close(ready[0]);
    CHECK_ERR("kill(SIGTERM) of root's process: EPERM", AS_USER(kill(root_sleeper, SIGTERM)), EPERM);
    CHECK_ERR("kill(0) probe of root's process: EPERM", AS_USER(kill(root_sleeper, 0)), EPERM);
    CHECK_OK("kill(0) probe of the user's own other process", AS_USER(kill(user_sleeper, 0)));
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)root_sleeper);
    CHECK_ERR("open /proc/<root pid>/environ: EACCES", AS_USER(open(path, O_RDONLY)), EACCES);
    snprintf(path, sizeof path, "/proc/%d/mem", (int)root_sleeper);
    if (access(path, F_OK) == 0)
        CHECK_ERR("open /proc/<root pid>/mem: EACCES", AS_USER(open(path, O_RDONLY)), EACCES);
    else
        SKIP("open /proc/<root pid>/mem: EACCES", "this kernel has no /proc/<pid>/mem");
    snprintf(path, sizeof path, "/proc/%d/fd", (int)root_sleeper);
    CHECK_ERR("open /proc/<root pid>/fd/: EACCES", AS_USER(open(path, O_RDONLY | O_DIRECTORY)), EACCES);
    snprintf(path, sizeof path, "/proc/%d/status", (int)root_sleeper);
    CHECK_OK("open /proc/<root pid>/status (world-readable)", AS_USER(open(path, O_RDONLY)));
    int st = 0;
    CHECK("root's process survived the user's signals",
          waitpid(root_sleeper, &st, WNOHANG) == 0 && kill(root_sleeper, SIGKILL) == 0 &&
              waitpid(root_sleeper, &st, 0) == root_sleeper && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    kill(user_sleeper, SIGKILL);
    waitpid(user_sleeper, &st, 0);
}

static void credentials(void)
{
    CHECK_ERR("setuid(0): EPERM", AS_USER(setuid(0)), EPERM);
    CHECK_ERR("setgid(0): EPERM", AS_USER(setgid(0)), EPERM);
    CHECK_ERR("setresuid(-1, 0, -1): EPERM", AS_USER(setresuid(-1, 0, -1)), EPERM);
    CHECK_ERR("setreuid(0, 0): EPERM", AS_USER(setreuid(0, 0)), EPERM);
    gid_t g = 0;
    CHECK_ERR("setgroups({0}): EPERM", AS_USER(setgroups(1, &g)), EPERM);
    CHECK_OK("setuid(own uid)", AS_USER(setuid(UID)));
    CHECK_EQ("the dropped child's euid", AS_USER(geteuid()), UID);
    CHECK_EQ("the dropped child's egid", AS_USER(getegid()), GID);
    CHECK_EQ("the dropped child has no supplementary group", AS_USER(getgroups(0, NULL)), 0);
    CHECK_ERR("raise the hard RLIMIT_NOFILE: EPERM", AS_USER(({
                  struct rlimit r_;
                  getrlimit(RLIMIT_NOFILE, &r_);
                  r_.rlim_max += 1;
                  r_.rlim_cur = r_.rlim_max;
                  setrlimit(RLIMIT_NOFILE, &r_);
              })),
              EPERM);
    CHECK_ERR("setpriority to a lower nice: EACCES", AS_USER(setpriority(PRIO_PROCESS, 0, -5)), EACCES);
    /* LINUX_REBOOT_CMD_CAD_OFF: harmless even if it were allowed. */
    CHECK_ERR("reboot: EPERM", AS_USER(syscall(SYS_reboot, 0xfee1deadL, 672274793L, 0L, 0L)), EPERM);
    CHECK_ERR("mount: EPERM", AS_USER(mount("none", "sticky", "tmpfs", 0, NULL)), EPERM);
    CHECK_ERR("mknod of a character device: EPERM", AS_USER(mknod("sticky/dev", S_IFCHR | 0666, makedev(1, 3))),
              EPERM);
    CHECK_ERR("chroot: EPERM", AS_USER(chroot("sticky")), EPERM);
}

static void readonly_mount(void)
{
    if (mkdir("ro", 0755) != 0 || mount("kt-ro", "ro", "tmpfs", MS_RDONLY, NULL) != 0) {
        char why[96];
        snprintf(why, sizeof why, "mount(tmpfs, MS_RDONLY) failed here: %s", kt_errname(errno));
        SKIP("create in a read-only mount: EROFS (even root)", why);
        SKIP("mkdir in a read-only mount: EROFS", why);
        return;
    }
    CHECK_ERR("create in a read-only mount: EROFS (even root)", open("ro/new", O_CREAT | O_WRONLY, 0644), EROFS);
    CHECK_ERR("mkdir in a read-only mount: EROFS", mkdir("ro/sub", 0755), EROFS);
    umount2("ro", MNT_DETACH);
}

static void protections(void)
{
    char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("setup: mmap", p != MAP_FAILED);
    if (p == MAP_FAILED)
        return;
    p[0] = 1;
    mprotect(p, 4096, PROT_READ);
    mprotect(p + 8192, 4096, PROT_NONE);
    int st = CHILD_STATUS(0, *(volatile char *)p = 2);
    CHECK("a write to a PROT_READ page: SIGSEGV", segv(st));
    st = CHILD_STATUS(0, (void)*(volatile char *)(p + 8192));
    CHECK("a read of a PROT_NONE page: SIGSEGV", segv(st));
    CHECK_EQ("the PROT_READ page kept its byte", p[0], 1);
    int fd = open("/dev/zero", O_RDONLY);
    CHECK_ERR("read(2) into a PROT_READ page: EFAULT", read(fd, p, 16), EFAULT);
    close(fd);
    CHECK_EQ("... and the page is unchanged", p[0], 1);
    fd = open("wfile", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK_ERR("write(2) from a PROT_NONE page: EFAULT", write(fd, p + 8192, 16), EFAULT);
    close(fd);
    int pfd[2];
    CHECK_OK("setup: pipe", pipe(pfd));
    CHECK_EQ("setup: 8 bytes in the pipe", write(pfd[1], "12345678", 8), 8);
    CHECK_ERR("read(2) from a pipe into the program's own code: EFAULT", read(pfd[0], (void *)&protections, 8),
              EFAULT);
    close(pfd[0]);
    close(pfd[1]);

    /* x86_64 `mov $42, %eax; ret`: executable only where PROT_EXEC says so (NX). */
    static const unsigned char code[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};
    char *c = p + 4096;
    memcpy(c, code, sizeof code);
    st = CHILD_STATUS(0, _exit(((int (*)(void))c)() == 42 ? 5 : 6));
    CHECK("a call into a PROT_READ|PROT_WRITE page: SIGSEGV (NX)", segv(st));
    CHECK_OK("mprotect(PROT_READ|PROT_EXEC)", mprotect(c, 4096, PROT_READ | PROT_EXEC));
    st = CHILD_STATUS(0, _exit(((int (*)(void))c)() == 42 ? 5 : 6));
    CHECK("a call into a PROT_EXEC page runs it", WIFEXITED(st) && WEXITSTATUS(st) == 5);
    st = CHILD_STATUS(0, *(volatile char *)c = 0);
    CHECK("a write to the PROT_READ|PROT_EXEC page: SIGSEGV", segv(st));
    munmap(p, 3 * 4096);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--exit-9"))
        _exit(9);
    kt_init(argc, argv, "t_perm");
    res = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (res == MAP_FAILED || getuid() != 0) {
        SKIP("permission cases", res == MAP_FAILED ? "no MAP_SHARED" : "not root");
        kt_finish();
    }
    chmod(".", 0755);
    scratch_fd = open(".", O_RDONLY | O_DIRECTORY);
    CHECK("setup: the scratch directory is open", scratch_fd >= 0);
    files();
    dirs();
    exec_cases();
    processes();
    credentials();
    readonly_mount();
    protections();
    kt_finish();
}
