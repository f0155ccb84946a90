/* t_pipelimits: pipes cost memory only for the data in them, and are limited as on Linux.
 *
 * Regression test for issue #24 item 3 (repro 03-pipes-exhaust-kernel-heap.c): every pipe used
 * to take a 64 KiB ring from the kernel heap at creation, so ~500 pipes emptied the heap and the
 * next small kernel allocation panicked. Here: pipes until EMFILE (each with data in it), then
 * hundreds of small mappings and a few forks must still work; F_GETPIPE_SZ/F_SETPIPE_SZ rounding,
 * EBUSY, EPERM and EINVAL; data survives a resize; and pipe-user-pages-soft: an unprivileged
 * user whose pipes add up to more than 16384 pages gets 2-page pipes it may not grow.
 */
#include "kt.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

#define PAGE 4096
#define MAX_PIPES 4096

static int rd[MAX_PIPES], wr[MAX_PIPES];

/* Open pipes until pipe() fails (at most max); return how many, errno left as pipe() set it. */
static int open_pipes(int max)
{
    int n = 0, p[2];
    while (n < max) {
        if (pipe(p) != 0)
            break;
        rd[n] = p[0];
        wr[n] = p[1];
        n++;
    }
    return n;
}

static void close_pipes(int n)
{
    for (int i = 0; i < n; i++) {
        close(rd[i]);
        close(wr[i]);
    }
}

static long free_ram(void)
{
    struct sysinfo si;
    if (sysinfo(&si) != 0)
        return -1;
    return (long)si.freeram * (long)si.mem_unit;
}

/* The free-memory checks are exact only where nothing else runs: as init of our kernel. */
#define ALONE (getpid() == 1)
#define SLACK (128 * 1024) /* the test's own stack and buffers, a dead child's kernel stack */

static void test_many_pipes(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct rlimit lim = {1024, rl.rlim_max};
    setrlimit(RLIMIT_NOFILE, &lim);
    long before = free_ram();
    errno = 0;
    int n = open_pipes(MAX_PIPES);
    int e = errno;
    CHECK("pipes until the descriptor limit: EMFILE", n >= 500 && e == EMFILE);
    long empty = free_ram();
    if (ALONE)
        CHECK("empty pipes take no page", before - empty < SLACK);
    else
        SKIP("empty pipes take no page", "free memory moves with the rest of the machine");
    static char buf[3 * PAGE];
    memset(buf, 'p', sizeof buf);
    int filled = 0;
    for (int i = 0; i < n; i++)
        if (write(wr[i], buf, sizeof buf) == (ssize_t)sizeof buf)
            filled++;
    CHECK_EQ("every pipe takes 12 KiB of data", filled, n);
    if (ALONE)
        CHECK("the data is in pages taken on write", empty - free_ram() >= (long)n * 3 * PAGE);
    else
        SKIP("the data is in pages taken on write", "free memory moves with the rest of the machine");
    /* The small kernel objects the old heap-backed rings starved: one Vma per mapping. */
    int maps = 0;
    for (int i = 0; i < 1000; i++) {
        void *m = mmap(0, PAGE, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            break;
        maps++;
    }
    CHECK_EQ("1000 one-page mappings beside the full pipes", maps, 1000);
    int forks = 0;
    for (int i = 0; i < 10; i++) {
        pid_t c = fork();
        if (c == 0)
            _exit(0);
        if (c < 0)
            break;
        waitpid(c, 0, 0);
        forks++;
    }
    CHECK_EQ("forks beside the full pipes", forks, 10);
    char back[3 * PAGE];
    CHECK("the data comes back", read(rd[n / 2], back, sizeof back) == (ssize_t)sizeof back && back[0] == 'p' && back[sizeof back - 1] == 'p');
    close_pipes(n);
    if (ALONE)
        CHECK("closing them gives every page back", before - free_ram() < SLACK);
    else
        SKIP("closing them gives every page back", "free memory moves with the rest of the machine");
    int p[2];
    CHECK_EQ("pipe() after closing them all", pipe(p), 0);
    close(p[0]);
    close(p[1]);
    setrlimit(RLIMIT_NOFILE, &rl);
}

static void test_pipe_size(void)
{
    int p[2];
    if (pipe(p) != 0) {
        CHECK("pipe", 0);
        return;
    }
    CHECK_EQ("F_GETPIPE_SZ default 64 KiB", fcntl(p[0], F_GETPIPE_SZ), 65536);
    CHECK_EQ("F_GETPIPE_SZ on the write end", fcntl(p[1], F_GETPIPE_SZ), 65536);
    CHECK_EQ("F_SETPIPE_SZ 0 -> one page", fcntl(p[1], F_SETPIPE_SZ, 0), PAGE);
    CHECK_EQ("F_GETPIPE_SZ after shrinking", fcntl(p[0], F_GETPIPE_SZ), PAGE);
    CHECK_EQ("F_SETPIPE_SZ 5000 -> two pages", fcntl(p[1], F_SETPIPE_SZ, 5000), 2 * PAGE);
    CHECK_EQ("F_SETPIPE_SZ 100000 -> 32 pages", fcntl(p[0], F_SETPIPE_SZ, 100000), 32 * PAGE);
    CHECK_ERR("F_SETPIPE_SZ -1 -> EINVAL", fcntl(p[0], F_SETPIPE_SZ, -1), EINVAL);
    /* data written into a small ring, wrapped around, then kept through a resize (the sizes
     * keep to whole pages so Linux's page slots hold exactly as many bytes) */
    CHECK_EQ("F_SETPIPE_SZ 8192", fcntl(p[1], F_SETPIPE_SZ, 8192), 8192);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    static char seq[4 * PAGE], got[4 * PAGE];
    for (int i = 0; i < (int)sizeof seq; i++)
        seq[i] = (char)(i * 7 + i / 251);
    CHECK_EQ("write 6000", write(p[1], seq, 6000), 6000);
    CHECK_EQ("read a page", read(p[0], got, PAGE), PAGE);
    CHECK_EQ("write up to the page end", write(p[1], seq + 6000, 2192), 2192);
    CHECK_EQ("write a page (wraps around)", write(p[1], seq + 8192, PAGE), PAGE);
    CHECK_ERR("the ring is full: EAGAIN", write(p[1], seq, 1), EAGAIN);
    CHECK_ERR("F_SETPIPE_SZ below the data -> EBUSY", fcntl(p[1], F_SETPIPE_SZ, PAGE), EBUSY);
    CHECK_EQ("F_SETPIPE_SZ 64 KiB with data", fcntl(p[1], F_SETPIPE_SZ, 65536), 65536);
    CHECK_EQ("the rest of the data after the resize", read(p[0], got + PAGE, 3 * PAGE), 2 * PAGE);
    CHECK("data intact in order", memcmp(got, seq, 3 * PAGE) == 0);
    CHECK_ERR("F_GETPIPE_SZ on a regular file -> EBADF", fcntl(1 + 1000, F_GETPIPE_SZ), EBADF);
    int fd = open("f", O_CREAT | O_RDWR, 0600);
    CHECK_ERR("F_GETPIPE_SZ on a non-pipe -> EBADF", fcntl(fd, F_GETPIPE_SZ), EBADF);
    close(fd);
    close(p[0]);
    close(p[1]);
}

/* As an unprivileged user: pipes past pipe-user-pages-soft (16384 pages) get two pages. */
static int soft_limit_child(void)
{
    kt_npass = kt_nfail = 0; /* this process's own cases: the parent adds them to its counts */
    struct rlimit lim = {2 * 1100 + 64, 2 * 1100 + 64};
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 100;
    if (setgid(65534) != 0 || setuid(65534) != 0)
        return 101;
    int n = open_pipes(1100);
    CHECK_EQ("1100 pipes as an unprivileged user", n, 1100);
    int full = 0;
    while (full < n && fcntl(rd[full], F_GETPIPE_SZ) == 65536)
        full++;
    /* 1024 if the user has no other pipe anywhere (always so in our kernel) */
    CHECK("full-size pipes up to the soft limit", full >= 512 && full <= 1024);
    int small = 0;
    for (int i = full; i < n; i++)
        if (fcntl(rd[i], F_GETPIPE_SZ) == 2 * PAGE)
            small++;
    CHECK_EQ("two-page pipes past it", small, n - full);
    CHECK_ERR("growing a pipe past the soft limit -> EPERM", fcntl(wr[n - 1], F_SETPIPE_SZ, 65536), EPERM);
    CHECK_EQ("shrinking is still allowed", fcntl(wr[0], F_SETPIPE_SZ, PAGE), PAGE);
    CHECK_ERR("unprivileged: past pipe-max-size -> EPERM", fcntl(wr[0], F_SETPIPE_SZ, 2 << 20), EPERM);
    char b[2 * PAGE];
    memset(b, 's', sizeof b);
    fcntl(wr[n - 1], F_SETFL, O_NONBLOCK);
    CHECK_EQ("a two-page pipe holds two pages", write(wr[n - 1], b, sizeof b), 2 * PAGE);
    close_pipes(n);
    int p[2];
    CHECK_EQ("pipe after closing them", pipe(p), 0);
    CHECK_EQ("full size again under the limit", fcntl(p[0], F_GETPIPE_SZ), 65536);
    return kt_nfail;
}

/* The counts a child reports through fd when it is done: passed, failed. */
struct child_counts {
    int passed, failed;
};

static void test_soft_limit(void)
{
    if (geteuid() != 0) {
        SKIP("pipe-user-pages-soft", "needs root to switch to an unprivileged user");
        return;
    }
    int rep[2];
    if (pipe(rep) != 0) {
        CHECK("pipe for the child's counts", 0);
        return;
    }
    pid_t c = fork();
    if (c == 0) {
        close(rep[0]);
        int failed = soft_limit_child();
        struct child_counts n = {kt_npass, failed};
        write(rep[1], &n, sizeof n);
        _exit(failed == 0 ? 0 : 1);
    }
    close(rep[1]);
    struct child_counts n = {0, 0};
    ssize_t got = read(rep[0], &n, sizeof n);
    close(rep[0]);
    int st = -1;
    waitpid(c, &st, 0);
    kt_npass += n.passed;
    kt_nfail += n.failed;
    CHECK("unprivileged child reported and exited 0", got == (ssize_t)sizeof n && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_pipelimits");
    test_many_pipes();
    test_pipe_size();
    test_soft_limit();
    kt_finish();
}
