/* t_misc: uname, getrandom, getrlimit/setrlimit/prlimit64 (RLIMIT_NOFILE -> EMFILE,
 * RLIMIT_AS -> ENOMEM), getrusage, sysinfo, sched_yield, getuid/geteuid/getgid/getegid/
 * getresuid/getresgid/getgroups/setuid/setgid/setresuid, umask, prctl PR_SET_NAME/GET_NAME,
 * personality (ADDR_NO_RANDOMIZE kept across fork), the xattr calls on an attribute no file has. */
#include "kt.h"
#include <sys/personality.h>
#include <sys/xattr.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sched.h>

#ifndef GRND_NONBLOCK
#define GRND_NONBLOCK 0x1
#define GRND_RANDOM 0x2
#endif

#if defined(__x86_64__)
#define KT_MACHINE "x86_64"
#elif defined(__riscv)
#define KT_MACHINE "riscv64"
#elif defined(__loongarch64)
#define KT_MACHINE "loongarch64"
#else
#define KT_MACHINE "?"
#endif

/* The kernel's struct rlimit64 for raw prlimit64. */
struct kt_rlimit64 { uint64_t cur, max; };

static void test_uname(void)
{
    struct utsname u;
    memset(&u, 0, sizeof u);
    CHECK_EQ("uname", uname(&u), 0);
    CHECK("uname sysname is Linux", strcmp(u.sysname, "Linux") == 0);
    CHECK("uname machine matches the build", strcmp(u.machine, KT_MACHINE) == 0);
    CHECK("uname release non-empty", u.release[0] != 0);
    CHECK("uname nodename terminated", memchr(u.nodename, 0, sizeof u.nodename) != NULL);
    CHECK_ERR("uname bad pointer -> EFAULT", syscall(SYS_uname, KT_BADPTR), EFAULT);
}

static void test_getrandom(void)
{
    unsigned char a[32], b[32], zero[32] = {0};
    CHECK_EQ("getrandom 32 bytes", syscall(SYS_getrandom, a, sizeof a, 0), 32);
    CHECK_EQ("getrandom again", syscall(SYS_getrandom, b, sizeof b, 0), 32);
    CHECK("two draws differ", memcmp(a, b, sizeof a) != 0);
    CHECK("draw is not all zero", memcmp(a, zero, sizeof a) != 0);
    CHECK_EQ("getrandom GRND_NONBLOCK", syscall(SYS_getrandom, a, 16, GRND_NONBLOCK), 16);
    CHECK_EQ("getrandom GRND_RANDOM", syscall(SYS_getrandom, a, 8, GRND_RANDOM | GRND_NONBLOCK), 8);
    CHECK_EQ("getrandom length 0", syscall(SYS_getrandom, a, 0, 0), 0);
    CHECK_ERR("getrandom bad flags -> EINVAL", syscall(SYS_getrandom, a, 8, 0x100), EINVAL);
    CHECK_ERR("getrandom bad pointer -> EFAULT", syscall(SYS_getrandom, KT_BADPTR, 8, 0), EFAULT);
}

static void test_rlimit(void)
{
    struct rlimit rl, orig;
    CHECK_EQ("getrlimit NOFILE", getrlimit(RLIMIT_NOFILE, &orig), 0);
    CHECK("NOFILE soft <= hard", orig.rlim_cur <= orig.rlim_max && orig.rlim_cur >= 64);
    CHECK_EQ("getrlimit STACK", getrlimit(RLIMIT_STACK, &rl), 0);
    CHECK_ERR("getrlimit bad resource -> EINVAL", getrlimit(999, &rl), EINVAL);
    rl.rlim_cur = 32;
    rl.rlim_max = orig.rlim_max;
    CHECK_EQ("setrlimit NOFILE soft 32", setrlimit(RLIMIT_NOFILE, &rl), 0);
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK_EQ("getrlimit reads back 32", rl.rlim_cur, 32);
    int fds[64], n = 0, fd;
    while (n < 64 && (fd = dup(0 <= fcntl(0, F_GETFD) ? 0 : 1)) >= 0)
        fds[n++] = fd;
    CHECK("fd table full at the soft limit -> EMFILE", fd == -1 && errno == EMFILE && n < 32);
    CHECK_ERR("open beyond soft limit -> EMFILE", open(".", O_RDONLY), EMFILE);
    CHECK_ERR("F_DUPFD at limit -> EINVAL", fcntl(0, F_DUPFD, 40), EINVAL);
    while (n > 0)
        close(fds[--n]);
    rl.rlim_cur = orig.rlim_max;
    rl.rlim_max = orig.rlim_max;
    if (rl.rlim_cur != RLIM_INFINITY) {
        rl.rlim_cur = orig.rlim_max;
        rl.rlim_max = orig.rlim_max - 1;
        CHECK_ERR("setrlimit soft > hard -> EINVAL", setrlimit(RLIMIT_NOFILE, &rl), EINVAL);
    } else {
        SKIP("setrlimit soft > hard -> EINVAL", "hard limit is infinite");
    }
    CHECK_EQ("setrlimit restore", setrlimit(RLIMIT_NOFILE, &orig), 0);
    CHECK_ERR("setrlimit bad resource -> EINVAL", setrlimit(999, &orig), EINVAL);
    CHECK_ERR("setrlimit bad pointer -> EFAULT", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, KT_BADPTR, NULL), EFAULT);
#ifdef SYS_getrlimit
    CHECK_EQ("raw SYS_getrlimit", syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl), 0);
    CHECK_EQ("raw SYS_setrlimit", syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl), 0);
    CHECK_ERR("raw SYS_getrlimit bad pointer -> EFAULT", syscall(SYS_getrlimit, RLIMIT_NOFILE, KT_BADPTR), EFAULT);
#endif
    struct kt_rlimit64 r64, old64;
    CHECK_EQ("prlimit64 get self", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &r64), 0);
    CHECK("prlimit64 agrees with getrlimit", r64.cur == (uint64_t)orig.rlim_cur && r64.max == (uint64_t)orig.rlim_max);
    CHECK_EQ("prlimit64 by own pid", syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, &r64, &old64), 0);
    CHECK_ERR("prlimit64 missing pid -> ESRCH", syscall(SYS_prlimit64, 0x3fffffff, RLIMIT_NOFILE, NULL, &r64), ESRCH);
    CHECK_ERR("prlimit64 bad resource -> EINVAL", syscall(SYS_prlimit64, 0, 999, NULL, &r64), EINVAL);
    CHECK_ERR("prlimit64 bad old pointer -> EFAULT", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, KT_BADPTR), EFAULT);

    /* RLIMIT_AS makes a large mmap fail, in a child so we keep our own limits */
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit as = {256UL << 20, 256UL << 20};
        if (setrlimit(RLIMIT_AS, &as) != 0)
            _exit(1);
        void *p = mmap(NULL, 512UL << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        _exit(p == MAP_FAILED && errno == ENOMEM ? 0 : 2);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK("RLIMIT_AS -> mmap ENOMEM", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (geteuid() != 0) {
        rl = orig;
        rl.rlim_max = orig.rlim_max == RLIM_INFINITY ? RLIM_INFINITY : orig.rlim_max + 1;
        if (orig.rlim_max != RLIM_INFINITY)
            CHECK_ERR("raising hard limit unprivileged -> EPERM", setrlimit(RLIMIT_NOFILE, &rl), EPERM);
        else
            SKIP("raising hard limit unprivileged -> EPERM", "hard limit is infinite");
    } else {
        pid = fork();
        if (pid == 0) {
            struct rlimit lo = {16, 16}, hi = {16, 17};
            setrlimit(RLIMIT_NOFILE, &lo);
            if (setresuid(65534, 65534, 65534) != 0)
                _exit(3);
            _exit(setrlimit(RLIMIT_NOFILE, &hi) == -1 && errno == EPERM ? 0 : 4);
        }
        waitpid(pid, &status, 0);
        CHECK("raising hard limit unprivileged -> EPERM", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
}

static void test_rusage_sysinfo(void)
{
    struct rusage ru;
    volatile unsigned long spin = 0;
    for (unsigned long i = 0; i < 2000000; i++)
        spin += i;
    CHECK_EQ("getrusage SELF", getrusage(RUSAGE_SELF, &ru), 0);
    CHECK("rusage times sane", ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec < 1000000);
    CHECK("rusage maxrss positive", ru.ru_maxrss > 0);
    CHECK_EQ("getrusage CHILDREN", getrusage(RUSAGE_CHILDREN, &ru), 0);
    CHECK_EQ("getrusage THREAD", getrusage(RUSAGE_THREAD, &ru), 0);
    CHECK_ERR("getrusage bad who -> EINVAL", getrusage(42, &ru), EINVAL);
    CHECK_ERR("getrusage bad pointer -> EFAULT", syscall(SYS_getrusage, RUSAGE_SELF, KT_BADPTR), EFAULT);
    struct sysinfo si;
    memset(&si, 0, sizeof si);
    CHECK_EQ("sysinfo", sysinfo(&si), 0);
    CHECK("sysinfo uptime >= 0 and ram sane", si.uptime >= 0 && si.totalram > 0 && si.freeram <= si.totalram && si.mem_unit >= 1);
    CHECK("sysinfo procs >= 1", si.procs >= 1);
    CHECK_ERR("sysinfo bad pointer -> EFAULT", syscall(SYS_sysinfo, KT_BADPTR), EFAULT);
    CHECK_EQ("sched_yield", sched_yield(), 0);
    CHECK_EQ("raw sched_yield", syscall(SYS_sched_yield), 0);
}

static void test_ids(void)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    CHECK_EQ("getresuid", getresuid(&r, &e, &s), 0);
    CHECK("getuid/geteuid agree with getresuid", getuid() == r && geteuid() == e);
    CHECK_EQ("getresgid", getresgid(&gr, &ge, &gs), 0);
    CHECK("getgid/getegid agree with getresgid", getgid() == gr && getegid() == ge);
    CHECK_EQ("raw getuid", syscall(SYS_getuid), getuid());
    CHECK_EQ("raw geteuid", syscall(SYS_geteuid), geteuid());
    CHECK_EQ("raw getgid", syscall(SYS_getgid), getgid());
    CHECK_EQ("raw getegid", syscall(SYS_getegid), getegid());
    CHECK_ERR("getresuid bad pointer -> EFAULT", syscall(SYS_getresuid, KT_BADPTR, &e, &s), EFAULT);
    int ng = getgroups(0, NULL);
    CHECK("getgroups(0) counts", ng >= 0);
    gid_t groups[256];
    CHECK_EQ("getgroups fills", getgroups(256, groups), ng);
    if (ng >= 2) /* size 0 means "count", so a too-small size needs at least 2 groups */
        CHECK_ERR("getgroups too small -> EINVAL", getgroups(ng - 1, groups), EINVAL);
    else
        SKIP("getgroups too small -> EINVAL", "fewer than 2 supplementary groups");
    CHECK_ERR("getgroups negative -> EINVAL", syscall(SYS_getgroups, -1, groups), EINVAL);
    CHECK_EQ("setuid to own uid", setuid(getuid()), 0);
    CHECK_EQ("setgid to own gid", setgid(getgid()), 0);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = 0;
        if (geteuid() == 0) {
            if (setresgid(65534, 65534, 65534) != 0) rc |= 1;
            if (setresuid(65534, 65534, 0) != 0) rc |= 2;
            uid_t a, b, c;
            getresuid(&a, &b, &c);
            if (a != 65534 || b != 65534 || c != 0) rc |= 4;
            if (seteuid(0) != 0) rc |= 8; /* saved uid 0 allows it */
            if (setresuid(65534, 65534, 65534) != 0) rc |= 16;
        }
        if (!(setuid(0) == -1 && errno == EPERM)) rc |= 32;
        if (!(setgid(0) == -1 && errno == EPERM)) rc |= 64;
        _exit(rc);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK_EQ("dropping privileges then setuid(0) -> EPERM", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
    mode_t old = umask(027);
    CHECK_EQ("umask returns previous", umask(old), 027);
}

static void test_prctl(void)
{
    char name[32] = {0};
    CHECK_EQ("prctl PR_SET_NAME", prctl(PR_SET_NAME, "kt-misc-name", 0, 0, 0), 0);
    CHECK_EQ("prctl PR_GET_NAME", prctl(PR_GET_NAME, name, 0, 0, 0), 0);
    CHECK("PR_GET_NAME reads back", strcmp(name, "kt-misc-name") == 0);
    prctl(PR_SET_NAME, "a-very-long-thread-name-beyond-16", 0, 0, 0);
    prctl(PR_GET_NAME, name, 0, 0, 0);
    CHECK_EQ("PR_SET_NAME truncates to 15 chars", strlen(name), 15);
    CHECK_ERR("prctl unknown option -> EINVAL", prctl(0x7fff1234, 0, 0, 0, 0), EINVAL);
}

static void test_personality(void)
{
    int cur = personality(0xffffffff);
    CHECK("personality(0xffffffff) reads", cur != -1);
    CHECK_EQ("personality sets, returns the old value", personality(cur | ADDR_NO_RANDOMIZE), cur);
    CHECK_EQ("personality reads the new value", personality(0xffffffff), cur | ADDR_NO_RANDOMIZE);
    pid_t pid = fork();
    if (pid == 0)
        _exit(personality(0xffffffff) == (cur | ADDR_NO_RANDOMIZE) ? 0 : 1);
    int st = -1;
    waitpid(pid, &st, 0);
    CHECK("fork keeps the personality", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_EQ("personality restores", personality(cur), cur | ADDR_NO_RANDOMIZE);
}

static void test_xattr(void)
{
    char buf[64];
    /* An attribute nobody set: ENODATA, or EOPNOTSUPP where the file system has no xattrs. */
    long r = lgetxattr("/", "user.kt_none", buf, sizeof buf);
    int e = errno;
    CHECK("lgetxattr absent -> ENODATA/EOPNOTSUPP", r == -1 && (e == ENODATA || e == EOPNOTSUPP));
    r = getxattr("/", "user.kt_none", buf, sizeof buf);
    e = errno;
    CHECK("getxattr absent -> ENODATA/EOPNOTSUPP", r == -1 && (e == ENODATA || e == EOPNOTSUPP));
    CHECK_ERR("lgetxattr missing file -> ENOENT", lgetxattr("/kt-no-such-file", "user.a", buf, sizeof buf),
              ENOENT);
    CHECK_ERR("getxattr empty name -> ERANGE", getxattr("/", "", buf, sizeof buf), ERANGE);
    CHECK_ERR("fgetxattr bad fd -> EBADF", fgetxattr(-1, "user.a", buf, sizeof buf), EBADF);
    CHECK_ERR("llistxattr missing file -> ENOENT", llistxattr("/kt-no-such-file", buf, sizeof buf), ENOENT);
    r = llistxattr("/proc", buf, sizeof buf);
    CHECK("llistxattr /proc lists nothing or only security names", r >= 0);
    CHECK_ERR("setxattr bad flags -> EINVAL", setxattr("/", "user.a", "x", 1, 0x100), EINVAL);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_misc");
    test_personality();
    test_xattr();
    test_uname();
    test_getrandom();
    test_rlimit();
    test_rusage_sysinfo();
    test_ids();
    test_prctl();
    kt_finish();
}
