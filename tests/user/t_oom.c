/* t_oom: out of memory, the OOM killer ends the largest process (never init); nobody gets SIGBUS.
 *
 * Regression test for issue #24 item 6 (repro 06-oom-sigbus-kills-init.c): with no frame left,
 * whichever process faulted next got SIGBUS, init included. Two scenarios, each with a "hog"
 * child that touches anonymous memory 1 MiB at a time:
 *   A. the hog runs the machine dry itself: the OOM killer picks it (SIGKILL, not SIGBUS);
 *   B. the hog stops just short of that and keeps its memory; then this process (init, when run
 *      as our kernel's init) touches fresh pages: the hog is killed, this process carries on;
 *   C. as A, but the memory is taken by MAP_POPULATE inside mmap (a kernel access).
 *
 * Safe on the host: every hog runs under RLIMIT_AS = HOG_CAP (512 MiB). Where the machine has
 * less RAM than that (our kernel's 256 MiB guests) the memory runs out first and the OOM killer
 * must act; where it has more (the host), the hog's mmap fails with ENOMEM at its limit, and the
 * test checks that instead and kills the hog itself. So the OOM scenarios really run only inside
 * a small machine, never pushing the host towards its own OOM killer.
 */
#include "kt.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

#define MIB (1L << 20)
#define HOG_CAP (512 * MIB)
/* Scenario B: the hog leaves this much free for the kernel and for the rest of the test. */
#define HEADROOM (6 * MIB)

static long free_bytes(void)
{
    struct sysinfo si;
    if (sysinfo(&si) != 0)
        return -1;
    return (long)si.freeram * (long)si.mem_unit;
}

/* Touch anonymous memory 1 MiB at a time; stop at ENOMEM, or (stop_free > 0) once the machine
 * has less than stop_free bytes free. Report 'E' (ENOMEM) or 'S' (stopped short) on fd, then
 * keep everything until killed. */
static void hog(int fd, long stop_free, int populate)
{
    struct rlimit as = {HOG_CAP, HOG_CAP};
    setrlimit(RLIMIT_AS, &as);
    for (;;) {
        if (stop_free > 0 && free_bytes() < stop_free + 2 * MIB) {
            write(fd, "S", 1);
            break;
        }
        char *m = mmap(0, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0), -1, 0);
        if (m == MAP_FAILED) {
            write(fd, errno == ENOMEM ? "E" : "?", 1);
            break;
        }
        for (long i = 0; i < MIB; i += 4096)
            m[i] = 1;
    }
    for (;;)
        pause();
}

/* Start a hog; return its pid and the read end of its report pipe in *rfd. */
static pid_t start_hog(int *rfd, long stop_free, int populate)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        hog(p[1], stop_free, populate);
        _exit(0);
    }
    close(p[1]);
    *rfd = p[0];
    return c;
}

/* Read the hog's report: its letter, or 0 if it ended (EOF) without one. */
static char hog_report(int fd)
{
    char r = 0;
    if (read(fd, &r, 1) != 1)
        return 0;
    return r;
}

/* A (populate 0): the hog's own page faults run the machine dry; C (populate 1): its
 * MAP_POPULATE mmaps do, inside the kernel. */
static void test_hog_runs_dry(int oom_expected, int populate)
{
    const char *sc = populate ? "C (MAP_POPULATE)" : "A (page faults)";
    char name[160];
    int fd;
    pid_t h = start_hog(&fd, 0, populate);
    snprintf(name, sizeof name, "%s: hog started", sc);
    CHECK(name, h > 0);
    char r = hog_report(fd);
    int st = 0;
    if (oom_expected) {
        snprintf(name, sizeof name, "%s: the hog ends without a report (killed while taking memory)", sc);
        CHECK_EQ(name, r, 0);
        waitpid(h, &st, 0);
        snprintf(name, sizeof name, "%s: the OOM killer ended it with SIGKILL, not SIGBUS", sc);
        CHECK(name, WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    } else {
        snprintf(name, sizeof name, "%s: the hog reached its RLIMIT_AS (ENOMEM)", sc);
        CHECK_EQ(name, r, 'E');
        kill(h, SIGKILL);
        waitpid(h, &st, 0);
        snprintf(name, sizeof name, "%s: killed by us", sc);
        CHECK(name, WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    }
    close(fd);
}

static void test_init_touches_pages(int oom_expected)
{
    int fd;
    pid_t h = start_hog(&fd, HEADROOM, 0);
    CHECK("B: hog started", h > 0);
    char r = hog_report(fd);
    CHECK("B: the hog holds its memory", r == (oom_expected ? 'S' : 'E'));
    /* Now this process needs more than what is left: 2 x HEADROOM of fresh pages. */
    long need = 2 * HEADROOM;
    char *m = mmap(0, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("B: mmap", m != MAP_FAILED);
    if (m != MAP_FAILED) {
        memset(m, 7, need);
        CHECK("B: this process touched every page and lives on", m[0] == 7 && m[need - 1] == 7);
        munmap(m, need);
    }
    int st = 0;
    if (oom_expected) {
        waitpid(h, &st, 0);
        CHECK("B: the hog was the OOM killer's pick (SIGKILL)", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    } else {
        CHECK_EQ("B: the hog is still there (enough memory here)", waitpid(h, &st, WNOHANG), 0);
        kill(h, SIGKILL);
        waitpid(h, &st, 0);
    }
    close(fd);
    /* Memory is back: a fresh 16 MiB can be touched again. */
    char *again = mmap(0, 16 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("B: memory is back after the hog ended", again != MAP_FAILED && memset(again, 1, 16 * MIB) == again);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_oom");
    struct sysinfo si;
    sysinfo(&si);
    long total = (long)si.totalram * (long)si.mem_unit;
    /* The OOM killer must act only where the hog's limit exceeds the machine's RAM. */
    int oom_expected = total + 64 * MIB < HOG_CAP;
    kt_out("t_oom: %ld MiB of RAM, hogs capped at %ld MiB: %s\n", total / MIB, HOG_CAP / MIB,
           oom_expected ? "the OOM killer must act" : "the hogs hit ENOMEM at their cap (no OOM here)");
    test_hog_runs_dry(oom_expected, 0);
    test_init_touches_pages(oom_expected);
    test_hog_runs_dry(oom_expected, 1);
    kt_finish();
}
