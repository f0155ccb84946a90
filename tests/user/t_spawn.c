/* t_spawn: many processes at once. 50 children each exec this program again (as a worker),
 * talk to the parent over a pair of pipes, wait for SIGUSR1 and exit with their own code;
 * the parent checks every reply, signals every child and reaps them all with waitpid. */
#include "kt.h"
#include <signal.h>
#include <sys/wait.h>

#define NCHILD 50

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
    (void)sig;
    got_usr1 = 1;
}

/* The worker: read a number on stdin, answer number * 2 + 1 on stdout, then wait for SIGUSR1
 * (blocked until sigsuspend, so an early signal is not lost) and exit with number % 200. */
static int worker(void)
{
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    unsigned n = 0;
    if (read(0, &n, sizeof n) != sizeof n)
        return 101;
    unsigned reply = n * 2 + 1;
    if (write(1, &reply, sizeof reply) != sizeof reply)
        return 102;
    sigemptyset(&empty);
    while (!got_usr1)
        sigsuspend(&empty);
    return (int)(n % 200);
}

struct child {
    pid_t pid;
    int to;    /* parent writes the child's stdin here */
    int from;  /* and reads its stdout here */
};

static void test_spawn(void)
{
    struct child c[NCHILD];
    int started = 0;
    for (int i = 0; i < NCHILD; i++) {
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
            break;
        pid_t pid = fork();
        if (pid == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            char *args[] = {kt_self, "--worker", NULL};
            execv(kt_self, args);
            _exit(100);
        }
        close(in[0]);
        close(out[1]);
        if (pid < 0) {
            close(in[1]);
            close(out[0]);
            break;
        }
        c[i].pid = pid;
        c[i].to = in[1];
        c[i].from = out[0];
        started++;
    }
    CHECK_EQ("50 children forked", started, NCHILD);

    int answered = 0;
    for (int i = 0; i < started; i++) {
        unsigned n = 1000 + i, reply = 0;
        if (write(c[i].to, &n, sizeof n) == sizeof n && read(c[i].from, &reply, sizeof reply) == sizeof reply
            && reply == n * 2 + 1)
            answered++;
    }
    CHECK_EQ("every exec'd child answered over its pipes", answered, started);

    int signalled = 0;
    for (int i = 0; i < started; i++)
        if (kill(c[i].pid, SIGUSR1) == 0)
            signalled++;
    CHECK_EQ("every child signalled", signalled, started);

    int right = 0;
    for (int i = 0; i < started; i++) {
        int status = 0;
        pid_t got = waitpid(c[i].pid, &status, 0);
        if (got == c[i].pid && WIFEXITED(status) && WEXITSTATUS(status) == (1000 + i) % 200)
            right++;
        close(c[i].to);
        close(c[i].from);
    }
    CHECK_EQ("every child reaped with its exit code", right, started);
    CHECK_ERR("no child left", waitpid(-1, NULL, WNOHANG), ECHILD);
}

/* Children killed by a signal while blocked in read: the parent sees WIFSIGNALED. */
static void test_kill_blocked(void)
{
    pid_t pids[10];
    int p[2];
    CHECK_EQ("pipe", pipe(p), 0);
    for (int i = 0; i < 10; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char b;
            close(p[1]);
            read(p[0], &b, 1); /* blocks: nobody writes */
            _exit(0);
        }
    }
    close(p[0]);
    for (int i = 0; i < 10; i++)
        kill(pids[i], SIGTERM);
    int killed = 0;
    for (int i = 0; i < 10; i++) {
        int status = 0;
        if (waitpid(pids[i], &status, 0) == pids[i] && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
            killed++;
    }
    CHECK_EQ("10 blocked readers killed by SIGTERM", killed, 10);
    close(p[1]);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--worker") == 0)
        return worker();
    kt_init(argc, argv, "t_spawn");
    test_spawn();
    test_kill_blocked();
    kt_finish();
}
