/* kt.h - asterpy's tiny user-space test framework (header only, our own code).
 *
 * Every test program prints exactly one line per case:
 *     PASS <prog>: <case>
 *     FAIL <prog>: <case> (<details>)
 * and finally "N passed, M failed"; kt_finish() exits 0 only when M == 0.
 *
 * Output goes through write(2) on fd 1 with no stdio buffering, so lines are never
 * duplicated or reordered across fork() and are not lost if a case crashes the process.
 *
 * Each program gets a fresh scratch directory: $KT_TMPDIR (or argv[1] when it does not
 * start with '-', or /tmp) + "/kt-<prog>-XXXXXX"; kt_init() chdirs into it and
 * kt_finish() removes it. Inside asterpy, point KT_TMPDIR at a ramfs mount.
 */
#ifndef KT_H
#define KT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* An address no user mapping can have on any of our 64-bit targets: the start of the
 * x86_64 kernel half, also non-user on riscv64 Sv39/48 and loongarch64. */
#define KT_BADPTR ((void *)0xffff800000000000UL)
/* The top of the address space: a user pointer that certainly faults. */
#define KT_BADPTR2 ((void *)-4096L)

static const char *kt_prog = "?";
static __attribute__((unused)) int kt_npass, kt_nfail;
static char kt_dir[PATH_MAX];
static char kt_self[PATH_MAX];

/* Print with vsnprintf + a single write(2): async-signal-tolerant and fork-safe. */
static __attribute__((unused)) void kt_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static __attribute__((unused)) void kt_out(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    ssize_t off = 0;
    while (off < n) {
        ssize_t w = write(1, buf + off, (size_t)(n - off));
        if (w <= 0)
            break;
        off += w;
    }
}

/* The symbolic name of an errno value (portable: built from the macros, not numbers). */
static const char *kt_errname(int e)
{
    switch (e) {
    case 0: return "0";
#define KT_E(x) case x: return #x;
    KT_E(EPERM) KT_E(ENOENT) KT_E(ESRCH) KT_E(EINTR) KT_E(EIO) KT_E(ENXIO) KT_E(E2BIG)
    KT_E(ENOEXEC) KT_E(EBADF) KT_E(ECHILD) KT_E(EAGAIN) KT_E(ENOMEM) KT_E(EACCES)
    KT_E(EFAULT) KT_E(ENOTBLK) KT_E(EBUSY) KT_E(EEXIST) KT_E(EXDEV) KT_E(ENODEV)
    KT_E(ENOTDIR) KT_E(EISDIR) KT_E(EINVAL) KT_E(ENFILE) KT_E(EMFILE) KT_E(ENOTTY)
    KT_E(ETXTBSY) KT_E(EFBIG) KT_E(ENOSPC) KT_E(ESPIPE) KT_E(EROFS) KT_E(EMLINK)
    KT_E(EPIPE) KT_E(EDOM) KT_E(ERANGE) KT_E(EDEADLK) KT_E(ENAMETOOLONG) KT_E(ENOLCK)
    KT_E(ENOSYS) KT_E(ENOTEMPTY) KT_E(ELOOP) KT_E(ENOTSUP) KT_E(EOVERFLOW)
    KT_E(ETIMEDOUT) KT_E(ENOTSOCK) KT_E(EBADFD) KT_E(ECANCELED)
#undef KT_E
    default: {
        static char other[32];
        snprintf(other, sizeof other, "errno%d", e);
        return other;
    }
    }
}

/* Record one case: ok != 0 passes; otherwise `fmt` explains what went wrong. */
static __attribute__((unused)) void kt_report(const char *name, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static __attribute__((unused)) void kt_report(const char *name, int ok, const char *fmt, ...)
{
    if (ok) {
        kt_npass++;
        kt_out("PASS %s: %s\n", kt_prog, name);
        return;
    }
    char why[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    kt_nfail++;
    kt_out("FAIL %s: %s (%s)\n", kt_prog, name, why);
}

/* CHECK(name, cond): pass when cond is true; on failure show the expression and errno. */
#define CHECK(name, cond)                                                              \
    do {                                                                               \
        int kt_e_ = errno;                                                             \
        int kt_c_ = !!(cond);                                                          \
        if (!kt_c_)                                                                    \
            kt_e_ = errno;                                                             \
        kt_report((name), kt_c_, "false: %s; errno %s", #cond, kt_errname(kt_e_));     \
    } while (0)

/* CHECK_EQ(name, got, expected): integer equality with both values in the message. */
#define CHECK_EQ(name, got, expected)                                                  \
    do {                                                                               \
        long long kt_g_ = (long long)(got), kt_x_ = (long long)(expected);             \
        int kt_e_ = errno;                                                             \
        kt_report((name), kt_g_ == kt_x_, "%s: got %lld, expected %lld; errno %s",     \
                  #got, kt_g_, kt_x_, kt_errname(kt_e_));                              \
    } while (0)

/* CHECK_OK(name, expr): expr (a syscall-style call) must not return -1. */
#define CHECK_OK(name, expr)                                                           \
    do {                                                                               \
        errno = 0;                                                                     \
        long kt_r_ = (long)(expr);                                                     \
        int kt_e_ = errno;                                                             \
        kt_report((name), kt_r_ != -1, "%s returned %ld, errno %s", #expr, kt_r_,      \
                  kt_errname(kt_e_));                                                  \
    } while (0)

/* CHECK_ERR(name, expr, err): expr must return -1 with errno == err (exactly). */
#define CHECK_ERR(name, expr, err)                                                     \
    do {                                                                               \
        errno = 0;                                                                     \
        long kt_r_ = (long)(expr);                                                     \
        int kt_e_ = errno;                                                             \
        kt_report((name), kt_r_ == -1 && kt_e_ == (err),                               \
                  "got %ld errno %s, expected -1 errno %s", kt_r_, kt_errname(kt_e_),  \
                  kt_errname(err));                                                    \
    } while (0)

/* CHECK_RC(name, expr, err): for APIs returning an error number (pthread, posix_*,
 * clock_nanosleep): expr must return exactly `err` (0 for success). */
#define CHECK_RC(name, expr, err)                                                      \
    do {                                                                               \
        int kt_r_ = (int)(expr);                                                       \
        kt_report((name), kt_r_ == (err), "returned %s, expected %s",                  \
                  kt_errname(kt_r_), kt_errname(err));                                 \
    } while (0)

/* Skip a case that cannot apply here (e.g. root-only behaviour, no trap on this CPU): it
 * still prints a PASS line, suffixed "[skipped: why]", so the case list stays stable. */
static __attribute__((unused)) void kt_skip(const char *name, const char *why)
{
    kt_npass++;
    kt_out("PASS %s: %s [skipped: %s]\n", kt_prog, name, why);
}
#define SKIP(name, why) kt_skip((name), (why))

/* Remove a directory tree that the test created (no symlink following). */
static __attribute__((unused)) void kt_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        if (d) {
            struct dirent *de;
            while ((de = readdir(d)) != NULL) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                    continue;
                char sub[PATH_MAX];
                snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
                kt_rmtree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Set the program name, make and enter the scratch directory, remember our own path. */
static __attribute__((unused)) void kt_init(int argc, char **argv, const char *prog)
{
    kt_prog = prog;
    const char *base = getenv("KT_TMPDIR");
    if (argc > 1 && argv[1][0] != '-')
        base = argv[1];
    if (!base || !*base)
        base = "/tmp";
    /* remember an absolute path to ourselves for execve tests, before chdir */
    if (argv[0] && argv[0][0] == '/') {
        snprintf(kt_self, sizeof kt_self, "%s", argv[0]);
    } else if (argv[0] && strchr(argv[0], '/')) {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd))
            snprintf(kt_self, sizeof kt_self, "%s/%s", cwd, argv[0]);
    } else {
        snprintf(kt_self, sizeof kt_self, "/proc/self/exe");
    }
    snprintf(kt_dir, sizeof kt_dir, "%s/kt-%s-XXXXXX", base, prog);
    if (!mkdtemp(kt_dir) || chdir(kt_dir) != 0) {
        kt_out("FAIL %s: setup (cannot create/enter %s: %s)\n", prog, kt_dir, kt_errname(errno));
        kt_out("0 passed, 1 failed\n");
        _exit(1);
    }
}

/* Print the summary, remove the scratch directory and exit (0 only when nothing failed). */
static __attribute__((unused)) void kt_finish(void)
{
    if (kt_dir[0]) {
        if (chdir("/") == 0)
            kt_rmtree(kt_dir);
    }
    kt_out("%d passed, %d failed\n", kt_npass, kt_nfail);
    _exit(kt_nfail == 0 && kt_npass > 0 ? 0 : 1);
}

/* Write a whole file (helper for setting up cases); returns 0 on success. */
static __attribute__((unused)) int kt_write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, data, len);
    close(fd);
    return w == (ssize_t)len ? 0 : -1;
}

#endif /* KT_H */
