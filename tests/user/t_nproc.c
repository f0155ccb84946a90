/* t_nproc: RLIMIT_NPROC in fork (EAGAIN past the limit, root exempt) and pid_max (issue #12).
 *
 * As Linux: a process whose real user is not root cannot fork once that user has RLIMIT_NPROC
 * tasks; root ignores the limit. /proc/sys/kernel/pid_max is readable and every pid is below it.
 * The unprivileged part needs root to setuid to an unused uid (nproc_uid) first; run as
 * another user it is skipped.
 */
#include "kt.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* A uid with no process on the machine, so the limit counts only this test's tasks. */
static const uid_t nproc_uid = 54321;
#define LIMIT 4

/* Child body: as nproc_uid under RLIMIT_NPROC = LIMIT, fork blocked children until fork fails.
 * Exit status: forks that succeeded * 16 + (1 if the failure was EAGAIN). */
static void limited_forker(void)
{
    struct rlimit rl = {LIMIT, LIMIT};
    if (setrlimit(RLIMIT_NPROC, &rl) != 0 || setgid(nproc_uid) != 0 || setuid(nproc_uid) != 0)
        _exit(255);
    int hold[2];
    if (pipe(hold) != 0)
        _exit(254);
    pid_t kids[LIMIT + 4];
    int n = 0, eagain = 0;
    while (n < LIMIT + 4) {
        pid_t k = fork();
        if (k == 0) {
            char c;
            close(hold[1]);
            /* Blocks until the forker closes its end (or dies). */
            (void)read(hold[0], &c, 1);
            _exit(0);
        }
        if (k < 0) {
            eagain = errno == EAGAIN;
            break;
        }
        kids[n++] = k;
    }
    close(hold[1]);
    for (int i = 0; i < n; i++)
        waitpid(kids[i], NULL, 0);
    _exit(n * 16 + eagain);
}

static long read_pid_max(void)
{
    char buf[32] = {0};
    int fd = open("/proc/sys/kernel/pid_max", O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    return r > 0 ? strtol(buf, NULL, 10) : -1;
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_nproc");

    long pid_max = read_pid_max();
    CHECK("pid_max readable and at least 301", pid_max >= 301);
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    CHECK("a new pid is below pid_max", c > 0 && c < pid_max);
    waitpid(c, NULL, 0);

    if (geteuid() != 0) {
        SKIP("root ignores RLIMIT_NPROC", "needs root");
        SKIP("an unprivileged user forks up to RLIMIT_NPROC tasks", "needs root");
        SKIP("the fork past RLIMIT_NPROC fails with EAGAIN", "needs root");
        kt_finish();
    }

    /* Root: a limit of 1 (already reached by the process itself) does not stop its fork. In a
     * child, since lowering the hard limit cannot be undone without CAP_SYS_RESOURCE. */
    c = fork();
    if (c == 0) {
        struct rlimit one = {1, 1};
        if (setrlimit(RLIMIT_NPROC, &one) != 0)
            _exit(2);
        pid_t g = fork();
        if (g == 0)
            _exit(0);
        if (g < 0)
            _exit(1);
        waitpid(g, NULL, 0);
        _exit(0);
    }
    int st = 0;
    waitpid(c, &st, 0);
    CHECK_EQ("root ignores RLIMIT_NPROC", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);

    c = fork();
    if (c == 0)
        limited_forker();
    waitpid(c, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    /* The forker itself is one of the LIMIT tasks. */
    CHECK_EQ("an unprivileged user forks up to RLIMIT_NPROC tasks", code >> 4, LIMIT - 1);
    CHECK_EQ("the fork past RLIMIT_NPROC fails with EAGAIN", code & 15, 1);
    kt_finish();
}
