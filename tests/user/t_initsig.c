/* t_initsig: init (pid 1) receives only the signals it has installed handlers for; the others,
 * SIGKILL and SIGSTOP included, are dropped when sent (kill(2): "the only signals that can be sent
 * to process ID 1 are those for which init has explicitly installed signal handlers"). Issue #24
 * item 5: kill(1, SIGKILL) from any child ended init and powered the machine off.
 *
 * The cases must run as pid 1: inside asterpy the program is init; on Linux it makes a new PID
 * namespace (as root, or through a user namespace) and runs them in its first process. */
#include "kt.h"
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t usr1_count;
static int ack_fd = -1;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_count++;
    if (ack_fd >= 0) {
        char c = 'a';
        (void)!write(ack_fd, &c, 1);
    }
}

/* Fork a child that sends sig to pid 1 with the raw syscall; pid is passed as a 64-bit value
 * whose low 32 bits are 1 (pid_t is an int: that is pid 1). The child's exit status is 0 when
 * kill returned 0. Returns the child's wait status, -1 if fork failed. */
static int child_kills_init(int sig)
{
    pid_t c = fork();
    if (c == 0)
        _exit(syscall(SYS_kill, 0x500000001L, sig) == 0 ? 0 : 1);
    if (c < 0)
        return -1;
    int st = -1;
    if (waitpid(c, &st, 0) != c)
        return -1;
    return st;
}

static void pause_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void test_default_signals_dropped(void)
{
    static const int sigs[] = {SIGKILL, SIGTERM, SIGINT, SIGSEGV, SIGUSR2, SIGALRM};
    static const char *names[] = {"SIGKILL", "SIGTERM", "SIGINT", "SIGSEGV (sent)", "SIGUSR2", "SIGALRM"};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        char name[128];
        int st = child_kills_init(sigs[i]);
        pause_ms(20);
        /* Still here: the signal was dropped (a pending one would have ended us by now). */
        snprintf(name, sizeof name, "init survives %s from a child (kill returns 0)", names[i]);
        CHECK(name, st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    CHECK_EQ("init survives its own kill(1, SIGKILL)", syscall(SYS_kill, 1L, SIGKILL), 0);
    pause_ms(20);
    CHECK_EQ("init survives raise(SIGTERM)", raise(SIGTERM), 0);
    pause_ms(20);
    CHECK("init still runs after all of them", 1);
}

/* SIGSTOP from a child must not stop init: the child then sends SIGUSR1 (handled) and waits for
 * the handler's acknowledgement; a stopped init could not give it (the child then sends SIGCONT
 * so that the test ends). */
static void test_stop_dropped_handler_runs(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    CHECK_OK("sigaction(SIGUSR1)", sigaction(SIGUSR1, &sa, NULL));
    int p[2];
    if (pipe(p) != 0) {
        CHECK("pipe", 0);
        return;
    }
    ack_fd = p[1];
    pid_t c = fork();
    if (c == 0) {
        int rc = 0;
        if (syscall(SYS_kill, 1L, SIGSTOP) != 0)
            rc |= 1;
        if (syscall(SYS_kill, 1L, SIGUSR1) != 0)
            rc |= 2;
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        if (poll(&pfd, 1, 3000) != 1) {
            rc |= 4;
            kill(1, SIGCONT);
        }
        _exit(rc);
    }
    int st = -1;
    CHECK("fork", c > 0);
    CHECK("child: SIGSTOP to init dropped, SIGUSR1 handled at once",
          c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK("init's SIGUSR1 handler ran", usr1_count >= 1);
    ack_fd = -1;
    close(p[0]);
    close(p[1]);
    signal(SIGUSR1, SIG_DFL);
}

/* A signal init ignores explicitly stays ignored; one it handles is delivered from kill too. */
static void test_handled_from_child(void)
{
    signal(SIGUSR1, on_usr1);
    usr1_count = 0;
    int st = child_kills_init(SIGUSR1);
    pause_ms(20);
    CHECK("SIGUSR1 with a handler reaches init from a child", st >= 0 && WIFEXITED(st) && usr1_count == 1);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGTERM, SIG_IGN);
    st = child_kills_init(SIGTERM);
    pause_ms(20);
    CHECK("SIGTERM set to SIG_IGN: init survives", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    signal(SIGTERM, SIG_DFL);
}

/* A blocked signal is not dropped when sent (a handler may come before it is unblocked): it stays
 * pending for sigtimedwait; unblocked while still unhandled, it is dropped then. */
static void test_blocked_stays_pending(void)
{
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGTERM);
    CHECK_OK("block SIGUSR2 and SIGTERM", sigprocmask(SIG_BLOCK, &set, NULL));
    int st = child_kills_init(SIGUSR2);
    CHECK("child sent SIGUSR2", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    sigemptyset(&pend);
    CHECK("blocked SIGUSR2 pending for init", sigpending(&pend) == 0 && sigismember(&pend, SIGUSR2) == 1);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGUSR2);
    struct timespec ts = {1, 0};
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK_EQ("sigtimedwait takes it", sigtimedwait(&only, &si, &ts), SIGUSR2);
    CHECK("its sender is the child (si_code SI_USER)", si.si_code == SI_USER && si.si_pid > 1);
    st = child_kills_init(SIGTERM);
    CHECK("child sent SIGTERM", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    sigemptyset(&pend);
    CHECK("blocked SIGTERM pending for init", sigpending(&pend) == 0 && sigismember(&pend, SIGTERM) == 1);
    CHECK_OK("unblock them", sigprocmask(SIG_UNBLOCK, &set, NULL));
    pause_ms(20);
    sigemptyset(&pend);
    CHECK("unblocked unhandled SIGTERM dropped, init lives on", sigpending(&pend) == 0 && sigismember(&pend, SIGTERM) == 0);
}

static void run_cases(void)
{
    CHECK_EQ("running as pid 1", getpid(), 1);
    test_default_signals_dropped();
    test_stop_dropped_handler_runs();
    test_handled_from_child();
    test_blocked_stays_pending();
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_initsig");
    if (getpid() == 1) {
        run_cases();
        kt_finish();
    }
    /* Not init (the host): be pid 1 of a new PID namespace. */
    if (unshare(CLONE_NEWPID) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWPID) != 0) {
        SKIP("init's signal protection", "cannot make a PID namespace here");
        kt_finish();
    }
    pid_t c = fork();
    if (c == 0) {
        run_cases();
        kt_finish();
    }
    int st = -1;
    if (c < 0 || waitpid(c, &st, 0) != c) {
        CHECK("fork into the new PID namespace", 0);
        kt_finish();
    }
    /* The namespace's init printed the cases and the summary; its status is ours. */
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}
