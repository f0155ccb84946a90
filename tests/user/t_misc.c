/* t_misc: uname, getrandom, getrlimit/setrlimit/prlimit64 (RLIMIT_NOFILE -> EMFILE,
 * RLIMIT_AS -> ENOMEM), getrusage, sysinfo, sched_yield, getuid/geteuid/getgid/getegid/
 * getresuid/getresgid/getgroups/setuid/setgid/setresuid, umask, prctl PR_SET_NAME/GET_NAME,
 * setfsuid/setfsgid, sched_get_priority_max/min, sethostname/setdomainname, ioprio_get/ioprio_set,
 * capget/capset, personality (ADDR_NO_RANDOMIZE kept across fork), the xattr calls on an attribute
 * no file has. */
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
#include <sys/fsuid.h>

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

/* setfsuid/setfsgid: they answer the old fs id, change it only to an id the caller may take, and
 * file access follows the fs ids (not the effective ones). Every set*id call resets them. */
static void test_fsids(void)
{
    CHECK_EQ("setfsuid(-1) answers the fs uid (the euid)", setfsuid(-1), geteuid());
    CHECK_EQ("setfsgid(-1) answers the fs gid (the egid)", setfsgid(-1), getegid());
    if (geteuid() != 0) {
        SKIP("setfsuid to another uid", "not root");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int rc = 0;
        int fd = open("fsid-file", O_WRONLY | O_CREAT | O_TRUNC, 0600);   /* root's, 0600 */
        close(fd);
        if (setfsuid(65534) != 0) rc |= 1;                 /* answers the old one: 0 */
        if (setfsuid(-1) != 65534) rc |= 2;
        if (geteuid() != 0) rc |= 4;                       /* the euid stays */
        if (open("fsid-file", O_RDONLY) != -1 || errno != EACCES) rc |= 8;
        if (setfsuid(0) != 65534) rc |= 16;                /* the euid is 0: allowed back */
        int fd2 = open("fsid-file", O_RDONLY);
        if (fd2 < 0) rc |= 32;
        close(fd2);
        if (setfsgid(65534) != 0) rc |= 64;
        if (setfsgid(-1) != 65534) rc |= 128;
        setfsuid(65534);
        if (setresuid(0, 0, 0) != 0 || setfsuid(-1) != 0) rc |= 256;   /* set*id resets it */
        if (setresuid(65534, 65534, 65534) != 0) rc |= 512;
        if (setfsuid(0) != 65534 || setfsuid(-1) != 65534) rc |= 1024; /* not allowed: unchanged */
        _exit(rc);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK_EQ("setfsuid/setfsgid change the ids file access uses", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
    unlink("fsid-file");
}

static void test_sched_prio(void)
{
    CHECK_EQ("sched_get_priority_max SCHED_FIFO", sched_get_priority_max(SCHED_FIFO), 99);
    CHECK_EQ("sched_get_priority_min SCHED_RR", sched_get_priority_min(SCHED_RR), 1);
    CHECK_EQ("sched_get_priority_max SCHED_OTHER", sched_get_priority_max(SCHED_OTHER), 0);
    CHECK_EQ("sched_get_priority_max SCHED_DEADLINE (6)", sched_get_priority_max(6), 0);
    CHECK_EQ("sched_get_priority_min SCHED_DEADLINE (6)", sched_get_priority_min(6), 0);
    CHECK_ERR("sched_get_priority_max 4 -> EINVAL", sched_get_priority_max(4), EINVAL);
    CHECK_ERR("sched_get_priority_min -1 -> EINVAL", sched_get_priority_min(-1), EINVAL);
}

/* sethostname/setdomainname: the checks (EINVAL, EFAULT, EPERM) change nothing; setting a name is
 * done in a child that has its own UTS namespace (host Linux) or where there is none to leave
 * (asterpy: unshare answers ENOSYS and the machine is a test VM), never on a shared host name. */
static void test_names(void)
{
    char longname[80];
    memset(longname, 'x', sizeof longname);
    CHECK_ERR("sethostname 65 bytes -> EINVAL", sethostname(longname, 65), EINVAL);
    CHECK_ERR("setdomainname negative length -> EINVAL", syscall(SYS_setdomainname, longname, -1), EINVAL);
    if (geteuid() == 0)
        CHECK_ERR("sethostname bad pointer -> EFAULT", syscall(SYS_sethostname, KT_BADPTR, 5), EFAULT);
    pid_t pid = fork();
    if (pid == 0) {
        if (setresuid(65534, 65534, 65534) != 0 && geteuid() == 0)
            _exit(1);
        _exit(sethostname("x", 1) == -1 && errno == EPERM && setdomainname("x", 1) == -1 && errno == EPERM
              ? 0 : 2);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK_EQ("unprivileged sethostname/setdomainname -> EPERM", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
    if (geteuid() != 0) {
        SKIP("sethostname/setdomainname set the names", "not root");
        return;
    }
    pid = fork();
    if (pid == 0) {
        if (unshare(CLONE_NEWUTS) != 0 && errno != ENOSYS)
            _exit(100);                     /* no namespace of our own: leave the host's names alone */
        struct utsname u;
        int rc = 0;
        if (sethostname("kt-host", 7) != 0) rc |= 1;
        if (setdomainname("kt.domain", 9) != 0) rc |= 2;
        if (uname(&u) != 0 || strcmp(u.nodename, "kt-host") != 0) rc |= 4;
        if (strcmp(u.domainname, "kt.domain") != 0) rc |= 8;
        char buf[128] = {0};
        if (gethostname(buf, sizeof buf) != 0 || strcmp(buf, "kt-host") != 0) rc |= 16;
        int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
        if (fd >= 0) {
            memset(buf, 0, sizeof buf);
            if (read(fd, buf, sizeof buf - 1) <= 0 || strcmp(buf, "kt-host\n") != 0) rc |= 32;
            close(fd);
        }
        if (sethostname("", 0) != 0 || uname(&u) != 0 || u.nodename[0] != 0) rc |= 64;
        _exit(rc);
    }
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 100)
        SKIP("sethostname/setdomainname set the names", "no UTS namespace of our own");
    else
        CHECK_EQ("sethostname/setdomainname set what uname and /proc report",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
}

/* ioprio_get/ioprio_set: class and level stored and read back, the checks Linux makes. */
static void test_ioprio(void)
{
#define KT_IOPRIO(cls, lvl) (((cls) << 13) | (lvl))
    long def = syscall(SYS_ioprio_get, 1, 0);
    CHECK("ioprio_get of the caller", def >= 0);
    CHECK_OK("ioprio_set BE level 3", syscall(SYS_ioprio_set, 1, 0, KT_IOPRIO(2, 3)));
    CHECK_EQ("read back", syscall(SYS_ioprio_get, 1, getpid()), KT_IOPRIO(2, 3));
    CHECK_OK("ioprio_set IDLE", syscall(SYS_ioprio_set, 1, 0, KT_IOPRIO(3, 0)));
    CHECK_EQ("read back IDLE", syscall(SYS_ioprio_get, 1, 0), KT_IOPRIO(3, 0));
    CHECK_ERR("class 4 -> EINVAL", syscall(SYS_ioprio_set, 1, 0, KT_IOPRIO(4, 0)), EINVAL);
    CHECK_ERR("NONE with a level -> EINVAL", syscall(SYS_ioprio_set, 1, 0, KT_IOPRIO(0, 1)), EINVAL);
    CHECK_ERR("unknown which -> EINVAL", syscall(SYS_ioprio_get, 9, 0), EINVAL);
    CHECK_ERR("no such process -> ESRCH", syscall(SYS_ioprio_get, 1, 999999), ESRCH);
    pid_t pid = fork();
    if (pid == 0)
        _exit(syscall(SYS_ioprio_get, 1, 0) == KT_IOPRIO(3, 0) ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    CHECK_EQ("a child inherits it", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
    CHECK_OK("ioprio_set NONE", syscall(SYS_ioprio_set, 1, 0, KT_IOPRIO(0, 0)));
}

/* capget/capset through the raw syscalls (struct __user_cap_header/data, version 3). */
struct kt_cap_hdr { uint32_t version; int pid; };
struct kt_cap_data { uint32_t effective, permitted, inheritable; };

static void test_caps(void)
{
    struct kt_cap_hdr h = {0x20080522, 0};
    struct kt_cap_data d[2];
    memset(d, 0, sizeof d);
    CHECK_OK("capget v3", syscall(SYS_capget, &h, d));
    if (geteuid() == 0)
        CHECK("root holds CAP_KILL and CAP_SETPCAP", (d[0].effective & (1u << 5)) && (d[0].permitted & (1u << 8)));
    h.version = 0;
    CHECK_OK("capget bad version, NULL data: asks for the version", syscall(SYS_capget, &h, NULL));
    CHECK_EQ("the preferred version is written back", h.version, 0x20080522);
    h.version = 0;
    CHECK_ERR("capget bad version -> EINVAL", syscall(SYS_capget, &h, d), EINVAL);
    h.version = 0x20080522;
    h.pid = -1;
    CHECK_ERR("capget pid -1 -> EINVAL", syscall(SYS_capget, &h, d), EINVAL);
    h.pid = 0;
    CHECK_ERR("capget bad header -> EFAULT", syscall(SYS_capget, KT_BADPTR, d), EFAULT);
    CHECK_ERR("capget bad data -> EFAULT", syscall(SYS_capget, &h, KT_BADPTR), EFAULT);
    h.pid = 999999;
    CHECK_ERR("capget unknown pid -> ESRCH", syscall(SYS_capget, &h, d), ESRCH);
    h.pid = 999999;                 /* any pid but 0 and the caller's, alive or not */
    CHECK_ERR("capset another process -> EPERM", syscall(SYS_capset, &h, d), EPERM);
    if (geteuid() != 0) {
        SKIP("capset narrows the sets", "not root");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        struct kt_cap_hdr hh = {0x20080522, 0};
        struct kt_cap_data dd[2];
        memset(dd, 0, sizeof dd);
        int rc = 0;
        dd[0].effective = dd[0].permitted = dd[0].inheritable = 1u << 5;       /* CAP_KILL only */
        if (syscall(SYS_capset, &hh, dd) != 0) rc |= 1;
        memset(dd, 0, sizeof dd);
        if (syscall(SYS_capget, &hh, dd) != 0 || dd[0].effective != (1u << 5) || dd[0].permitted != (1u << 5) ||
            dd[0].inheritable != (1u << 5) || dd[1].permitted != 0) rc |= 2;
        dd[0].inheritable = (1u << 5) | (1u << 13);    /* not held, no CAP_SETPCAP */
        if (syscall(SYS_capset, &hh, dd) != -1 || errno != EPERM) rc |= 4;
        dd[0].inheritable = 1u << 5;
        dd[0].permitted = (1u << 5) | (1u << 6);       /* more than was permitted */
        if (syscall(SYS_capset, &hh, dd) != -1 || errno != EPERM) rc |= 8;
        dd[0].permitted = 1u << 5;
        dd[0].effective = (1u << 5) | (1u << 6);       /* effective outside permitted */
        if (syscall(SYS_capset, &hh, dd) != -1 || errno != EPERM) rc |= 16;
        dd[0].effective = 0;
        if (syscall(SYS_capset, &hh, dd) != 0) rc |= 32;   /* dropping is fine */
        _exit(rc);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK_EQ("capset narrows the sets, never widens them", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
    pid = fork();
    if (pid == 0) {
        struct kt_cap_hdr hh = {0x20080522, 0};
        struct kt_cap_data dd[2];
        if (setresuid(65534, 65534, 65534) != 0) _exit(1);
        memset(dd, 0xff, sizeof dd);
        if (syscall(SYS_capget, &hh, dd) != 0) _exit(2);
        _exit(dd[0].effective == 0 && dd[0].permitted == 0 && dd[1].permitted == 0 ? 0 : 3);
    }
    waitpid(pid, &status, 0);
    CHECK_EQ("leaving uid 0 clears the sets", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
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

/* A running program cannot be written: open for writing and truncate are ETXTBSY, read is fine. */
static void test_text_busy(void)
{
    CHECK_ERR("open own program O_WRONLY -> ETXTBSY", open("/proc/self/exe", O_WRONLY), ETXTBSY);
    CHECK_ERR("open own program O_RDWR|O_TRUNC -> ETXTBSY", open("/proc/self/exe", O_RDWR | O_TRUNC), ETXTBSY);
    CHECK_ERR("truncate own program -> ETXTBSY", truncate("/proc/self/exe", 0), ETXTBSY);
    int fd = open("/proc/self/exe", O_RDONLY);
    CHECK("open own program O_RDONLY works", fd >= 0);
    char magic[4] = {0};
    CHECK("and reads its ELF header", fd >= 0 && read(fd, magic, 4) == 4 && memcmp(magic, "\x7f" "ELF", 4) == 0);
    if (fd >= 0)
        close(fd);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_misc");
    test_text_busy();
    test_personality();
    test_xattr();
    test_uname();
    test_getrandom();
    test_rlimit();
    test_rusage_sysinfo();
    test_ids();
    test_prctl();
    test_fsids();
    test_sched_prio();
    test_names();
    test_ioprio();
    test_caps();
    kt_finish();
}
