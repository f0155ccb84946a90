/* bench.c - asterpy's lmbench-style micro-benchmarks (our own code; lmbench gave the ideas).
 *
 * One line per benchmark on stdout, nothing else:
 *     <name> <value> <unit>        e.g.  null_syscall 312.4 ns   /   pipe_bw 812.3 MB/s
 *     <name> FAIL <errno-name>     when a system call the benchmark needs failed
 * then "bench done".  Latencies are in ns per operation (lower is better), bandwidths in MB/s
 * (10^6 bytes per second, higher is better).
 *
 * Usage: bench [--quick] [--exec PATH] [--tmp DIR] [--only A,B] [--ms N] [--reps N]
 *   --quick     tiny iteration counts (smoke tests)
 *   --exec P    the static program fork_exec runs (default /bin/exec_target)
 *   --tmp DIR   where file_write/file_read write (default /tmp)
 *   --only A,B  run only these benchmarks (`asterpy bench --profile` uses it)
 *   --ms N      make each timed loop last at least N ms (default 100, 2 with --quick)
 *   --reps N    measurements per benchmark, the best counts (default 3, 1 with --quick)
 *
 * Runs as init (PID 1) under both asterpy and Linux; `asterpy bench` boots it with the same
 * initramfs in both.  Every step checks its system calls and reports FAIL instead of giving up,
 * because asterpy does not implement every call yet: a failed fork() (ENOSYS) must not stop the
 * benchmarks after it.  There is no alarm() (asterpy has no signals yet), so nothing waits on a
 * child that could not be started, and every pipe end a process does not use is closed, so a
 * child that dies early shows up as EOF instead of a hang.  The host stops a run that hangs anyway.
 *
 * As PID 1 it prepares what it needs (errors ignored: asterpy's root is a ramfs and has no mount):
 * a devtmpfs on /dev when /dev/zero is missing, a tmpfs on /tmp.  At the end PID 1 powers the
 * machine off: reboot(RB_POWER_OFF) (Linux with ACPI), else isa-debug-exit through ioperm (Linux
 * on QEMU x86 without ACPI power-off), else it exits: asterpy with asterpy.exit=1 powers off when init
 * exits, Linux with panic=-1 and QEMU's -no-reboot ends QEMU at the "init exited" panic.
 * Not PID 1 (on a developer's host), it never mounts or powers anything off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <sys/io.h>
#endif

static int quick;
static const char *only; /* comma-separated names, or NULL for all */
static const char *exec_path = "/bin/exec_target";
static const char *tmp_dir = "/tmp";
/* How long one timed loop should last at least: long enough for the clock, short under TCG. */
static uint64_t target_ns;
/* Measurements per benchmark; the best counts (1 with --quick). */
static int reps;

/* True if the benchmark `name` was asked for (--only), or all were. */
static int selected(const char *name)
{
    if (!only)
        return 1;
    size_t len = strlen(name);
    for (const char *p = only; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, name, n) == 0)
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* ---- output: one write(2) per line, so nothing is buffered across fork() ---- */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    for (int off = 0; off < n;) {
        ssize_t w = write(1, buf + off, (size_t)(n - off));
        if (w <= 0)
            return;
        off += (int)w;
    }
}

static const char *errname(int e)
{
    static char num[16];
    switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF)
    E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(ENODEV)
    E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(EFBIG) E(ENOSPC)
    E(ESPIPE) E(EROFS) E(EPIPE) E(ERANGE) E(ENAMETOOLONG) E(ENOSYS) E(EOPNOTSUPP)
#undef E
    }
    snprintf(num, sizeof num, "E%d", e);
    return num;
}

/* A benchmark's failure: the errno of the call that failed (EIO for "wrong result"). */
static void fail(const char *name, int e)
{
    out("%s FAIL %s\n", name, errname(e ? e : EIO));
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- timed loops ----
 * A body runs `n` operations and returns 0, or -1 with errno set.  timed() grows n until one
 * call lasts at least target_ns, then runs that n `reps - 1` more times and reports the best ns
 * per operation (the least disturbed by the host: these machines are shared). */

typedef int (*body_fn)(long n, void *arg);

static int timed(const char *name, body_fn body, void *arg, long start_n, double *ns_per_op)
{
    long n = start_n;
    for (;;) {
        uint64_t t0 = now_ns();
        errno = 0;
        if (body(n, arg) != 0) {
            fail(name, errno);
            return -1;
        }
        uint64_t dt = now_ns() - t0;
        if (dt >= target_ns || n >= (1L << 30)) {
            double best = (double)dt / (double)n;
            for (int r = 1; r < reps; r++) {
                t0 = now_ns();
                if (body(n, arg) != 0) {
                    fail(name, errno);
                    return -1;
                }
                double per = (double)(now_ns() - t0) / (double)n;
                if (per < best)
                    best = per;
            }
            *ns_per_op = best;
            return 0;
        }
        /* Aim for 1.5x the target next time, at most 16x more iterations. */
        long next = dt ? (long)((double)n * 1.5 * (double)target_ns / (double)dt) : n * 16;
        if (next > n * 16)
            next = n * 16;
        n = next > n ? next : n + 1;
    }
}

static void report_latency(const char *name, body_fn body, void *arg, long start_n)
{
    double ns;
    if (timed(name, body, arg, start_n, &ns) == 0)
        out("%s %.1f ns\n", name, ns);
}

/* ---- simple system calls ---- */

static int b_getppid(long n, void *arg)
{
    (void)arg;
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid);
    return 0;
}

static int b_getpid(long n, void *arg)
{
    (void)arg;
    for (long i = 0; i < n; i++)
        if (syscall(SYS_getpid) < 0)
            return -1;
    return 0;
}

static int b_clock(long n, void *arg)
{
    (void)arg;
    struct timespec ts;
    for (long i = 0; i < n; i++)
        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
            return -1;
    return 0;
}

static int b_read1(long n, void *arg)
{
    int fd = *(int *)arg;
    char c;
    for (long i = 0; i < n; i++)
        if (read(fd, &c, 1) != 1)
            return -1;
    return 0;
}

static int b_write1(long n, void *arg)
{
    int fd = *(int *)arg;
    char c = 'x';
    for (long i = 0; i < n; i++)
        if (write(fd, &c, 1) != 1)
            return -1;
    return 0;
}

static void bench_devio(const char *name, const char *path, int flags, body_fn body)
{
    int fd = open(path, flags);
    if (fd < 0) {
        fail(name, errno);
        return;
    }
    report_latency(name, body, &fd, 64);
    close(fd);
}

static char stat_path[256];

static int b_open_close(long n, void *arg)
{
    (void)arg;
    for (long i = 0; i < n; i++) {
        int fd = open(stat_path, O_RDONLY);
        if (fd < 0 || close(fd) != 0)
            return -1;
    }
    return 0;
}

static int b_stat(long n, void *arg)
{
    (void)arg;
    struct stat st;
    for (long i = 0; i < n; i++)
        if (stat(stat_path, &st) != 0)
            return -1;
    return 0;
}

/* ---- processes ---- */

/* Wait for pid; 0 if it exited with status 0. */
static int reap(pid_t pid)
{
    int status;
    pid_t r;
    do
        r = waitpid(pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = ECHILD;
        return -1;
    }
    return 0;
}

static int b_fork_exit(long n, void *arg)
{
    (void)arg;
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0)
            _exit(0);
        if (reap(pid) != 0)
            return -1;
    }
    return 0;
}

static int b_fork_exec(long n, void *arg)
{
    (void)arg;
    char *const argv[] = {(char *)exec_path, NULL};
    char *const envp[] = {NULL};
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            execve(exec_path, argv, envp);
            _exit(127);
        }
        if (reap(pid) != 0)
            return -1;
    }
    return 0;
}

/* ---- pipes between two processes ---- */

/* Read exactly len bytes; -1 on error, errno EPIPE on a premature EOF. */
static int read_full(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0) {
            errno = EPIPE;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

/* A child that echoes every byte from `in` back on `out` until EOF. */
struct pingpong {
    int to_child, from_child;
    pid_t pid;
};

static int pingpong_start(struct pingpong *pp)
{
    int a[2], b[2];
    if (pipe(a) != 0)
        return -1;
    if (pipe(b) != 0) {
        int e = errno;
        close(a[0]);
        close(a[1]);
        errno = e;
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(a[0]); close(a[1]); close(b[0]); close(b[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        close(a[1]);
        close(b[0]);
        char c;
        for (;;) {
            ssize_t r = read(a[0], &c, 1);
            if (r < 0 && errno == EINTR)
                continue;
            if (r != 1)
                _exit(0);
            if (write(b[1], &c, 1) != 1)
                _exit(1);
        }
    }
    close(a[0]);
    close(b[1]);
    pp->to_child = a[1];
    pp->from_child = b[0];
    pp->pid = pid;
    return 0;
}

static int pingpong_stop(struct pingpong *pp)
{
    close(pp->to_child);
    close(pp->from_child);
    return reap(pp->pid);
}

static int b_pingpong(long n, void *arg)
{
    struct pingpong *pp = arg;
    char c = 'p';
    for (long i = 0; i < n; i++) {
        if (write(pp->to_child, &c, 1) != 1)
            return -1;
        if (read_full(pp->from_child, &c, 1) != 0)
            return -1;
    }
    return 0;
}

/* One process writes a byte into a pipe and reads it back: the pipe cost without a switch. */
static int b_pipe_self(long n, void *arg)
{
    int *p = arg;
    char c = 's';
    for (long i = 0; i < n; i++) {
        if (write(p[1], &c, 1) != 1)
            return -1;
        if (read(p[0], &c, 1) != 1)
            return -1;
    }
    return 0;
}

/* pipe_latency: one byte there and back between two processes (a round trip).
 * ctx_switch: (round trip - 2 x same-process write+read) / 2: a switch without the pipe work. */
static void bench_pipes_latency(void)
{
    struct pingpong pp;
    if (pingpong_start(&pp) != 0) {
        int e = errno;
        fail("pipe_latency", e);
        fail("ctx_switch", e);
        return;
    }
    double rtt, self = 0;
    int ok = timed("pipe_latency", b_pingpong, &pp, 16, &rtt) == 0;
    if (pingpong_stop(&pp) != 0 && ok) {
        /* The echo child failed: its numbers are not trustworthy. */
        fail("pipe_latency", errno);
        fail("ctx_switch", errno);
        return;
    }
    if (!ok) {
        fail("ctx_switch", EIO);
        return;
    }
    out("pipe_latency %.1f ns\n", rtt);
    int p[2];
    if (pipe(p) != 0) {
        fail("ctx_switch", errno);
        return;
    }
    int self_ok = timed("ctx_switch", b_pipe_self, p, 64, &self) == 0;
    close(p[0]);
    close(p[1]);
    if (!self_ok)
        return;
    double sw = (rtt - 2 * self) / 2;
    out("ctx_switch %.1f ns\n", sw > 0 ? sw : 0.0);
}

#define CHUNK (64 * 1024)
static char chunk[CHUNK];

/* pipe_bw: a child writes `total` bytes in 64 KiB writes, the parent reads them in 64 KiB reads. */
/* One transfer; its MB/s, or -1 with errno set. */
static double pipe_bw_once(size_t total)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        memset(chunk, 'b', CHUNK);
        for (size_t done = 0; done < total; done += CHUNK)
            if (write_full(p[1], chunk, CHUNK) != 0)
                _exit(1);
        _exit(0);
    }
    close(p[1]);
    uint64_t t0 = now_ns();
    size_t got = 0;
    int err = 0;
    while (got < total) {
        ssize_t r = read(p[0], chunk, CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            err = r < 0 ? errno : EPIPE;
            break;
        }
        got += (size_t)r;
    }
    uint64_t dt = now_ns() - t0;
    close(p[0]);
    if (reap(pid) != 0 && !err)
        err = errno;
    if (err) {
        errno = err;
        return -1;
    }
    return dt ? (double)total * 1000.0 / (double)dt : 0.0;
}

static void bench_pipe_bw(size_t total)
{
    double best = 0;
    for (int r = 0; r < reps; r++) {
        double mbs = pipe_bw_once(total);
        if (mbs < 0) {
            fail("pipe_bw", errno);
            return;
        }
        if (mbs > best)
            best = mbs;
    }
    out("pipe_bw %.1f MB/s\n", best);
}

/* ---- memory ---- */

/* page_fault: mmap a fresh anonymous region, touch every page once, munmap it; per page.
 * mmap and munmap are timed too, so a kernel that fills the pages in at mmap time (instead of
 * on the first touch) pays the same work in the same number. */
static void bench_page_fault(size_t bytes)
{
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        page = 4096;
    double best = 0;
    for (int r = 0; r < reps; r++) {
        uint64_t t0 = now_ns();
        char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            fail("page_fault", errno);
            return;
        }
        for (size_t off = 0; off < bytes; off += (size_t)page)
            ((volatile char *)m)[off] = 1;
        if (munmap(m, bytes) != 0) {
            fail("page_fault", errno);
            return;
        }
        uint64_t dt = now_ns() - t0;
        double per = (double)dt / (double)(bytes / (size_t)page);
        if (r == 0 || per < best)
            best = per;
    }
    out("page_fault %.1f ns\n", best);
}

/* ---- files on /tmp (tmpfs on Linux, ramfs on asterpy) ---- */

/* One pass: write `total` bytes to a new file in 64 KiB writes, then read them back.  Sets
 * *w_mbs and *r_mbs; on failure returns -1 with errno set and *which naming the step. */
static int file_io_once(const char *path, size_t total, double *w_mbs, double *r_mbs, int *which)
{
    *which = 0; /* 0: the write side failed (so the read side cannot run), 1: the read side */
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    memset(chunk, 'f', CHUNK);
    uint64_t t0 = now_ns();
    for (size_t done = 0; done < total; done += CHUNK)
        if (write_full(fd, chunk, CHUNK) != 0)
            goto fail;
    uint64_t dt = now_ns() - t0;
    *w_mbs = dt ? (double)total * 1000.0 / (double)dt : 0.0;
    *which = 1;
    if (lseek(fd, 0, SEEK_SET) != 0)
        goto fail;
    t0 = now_ns();
    size_t got = 0;
    while (got < total) {
        ssize_t r = read(fd, chunk, CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO; /* the file is shorter than what was written */
            goto fail;
        }
        got += (size_t)r;
    }
    dt = now_ns() - t0;
    *r_mbs = dt ? (double)total * 1000.0 / (double)dt : 0.0;
    close(fd);
    unlink(path);
    return 0;
fail:;
    int e = errno ? errno : EIO;
    close(fd);
    unlink(path);
    errno = e;
    return -1;
}

/* file_write / file_read: best of `reps` passes. */
static void bench_file_io(size_t total)
{
    char path[256];
    snprintf(path, sizeof path, "%s/bench-file", tmp_dir);
    double best_w = 0, best_r = 0;
    for (int r = 0; r < reps; r++) {
        double w = 0, rd = 0;
        int which;
        errno = 0;
        if (file_io_once(path, total, &w, &rd, &which) != 0) {
            int e = errno;
            if (which == 0) {
                fail("file_write", e);
                fail("file_read", e);
            } else {
                out("file_write %.1f MB/s\n", w > best_w ? w : best_w);
                fail("file_read", e);
            }
            return;
        }
        if (w > best_w)
            best_w = w;
        if (rd > best_r)
            best_r = rd;
    }
    out("file_write %.1f MB/s\n", best_w);
    out("file_read %.1f MB/s\n", best_r);
}

/* ---- PID 1 set-up and power-off ---- */

static void setup_as_init(void)
{
    /* No console on fd 1 (an initramfs without /dev/console): use devtmpfs's. */
    if (fcntl(1, F_GETFD) < 0) {
        mkdir("/dev", 0755);
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
        int fd = open("/dev/console", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
    }
    if (access("/dev/zero", F_OK) != 0) {
        mkdir("/dev", 0755);
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    }
    mkdir("/tmp", 01777);
    mount("tmpfs", "/tmp", "tmpfs", 0, "size=64m");
}

static void power_off(void)
{
    sync();
    reboot(RB_POWER_OFF);
#if defined(__x86_64__)
    /* QEMU's isa-debug-exit at port 0xf4: QEMU exits with (value << 1) | 1. */
    if (ioperm(0xf4, 4, 1) == 0)
        outl(0, 0xf4);
#endif
}

int main(int argc, char **argv)
{
    long ms = -1, nreps = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--exec") == 0 && i + 1 < argc)
            exec_path = argv[++i];
        else if (strcmp(argv[i], "--tmp") == 0 && i + 1 < argc)
            tmp_dir = argv[++i];
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc)
            ms = atol(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            nreps = atol(argv[++i]);
    }
    int is_init = getpid() == 1;
    if (is_init)
        setup_as_init();
    target_ns = (uint64_t)(ms > 0 ? ms : quick ? 2 : 100) * 1000000u;
    reps = nreps > 0 ? (int)nreps : quick ? 1 : 3;
    out("bench start%s\n", quick ? " quick" : "");

    if (selected("null_syscall"))
        report_latency("null_syscall", b_getppid, NULL, 64);
    if (selected("getpid"))
        report_latency("getpid", b_getpid, NULL, 64);
    if (selected("clock_gettime"))
        report_latency("clock_gettime", b_clock, NULL, 64);
    if (selected("read_zero"))
        bench_devio("read_zero", "/dev/zero", O_RDONLY, b_read1);
    if (selected("write_null"))
        bench_devio("write_null", "/dev/null", O_WRONLY, b_write1);
    /* open/stat a file that is there in both kernels: this program itself. */
    snprintf(stat_path, sizeof stat_path, "%s", argv[0][0] == '/' ? argv[0] : "/init");
    if (selected("open_close"))
        report_latency("open_close", b_open_close, NULL, 16);
    if (selected("stat"))
        report_latency("stat", b_stat, NULL, 16);
    if (selected("page_fault"))
        bench_page_fault(quick ? (size_t)256 << 10 : (size_t)16 << 20);
    if (selected("pipe_latency") || selected("ctx_switch"))
        bench_pipes_latency();
    if (selected("pipe_bw"))
        bench_pipe_bw(quick ? (size_t)1 << 20 : (size_t)32 << 20);
    if (selected("fork_exit"))
        report_latency("fork_exit", b_fork_exit, NULL, 2);
    if (selected("fork_exec"))
        report_latency("fork_exec", b_fork_exec, NULL, 2);
    if (selected("file_write") || selected("file_read"))
        bench_file_io(quick ? (size_t)1 << 20 : (size_t)16 << 20);

    out("bench done\n");
    if (is_init)
        power_off();
    return 0;
}
