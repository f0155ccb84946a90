/* t_event: eventfd (counter, EFD_SEMAPHORE, EFD_NONBLOCK, poll) and epoll (ADD/MOD/DEL,
 * level-triggered readiness of pipes and eventfds, EPOLLONESHOT, timeouts, epoll_pwait with a
 * signal mask, a child waking a parent blocked in epoll_wait). */
#include "kt.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>

static long ms_since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void test_eventfd(void)
{
    int fd = eventfd(3, EFD_CLOEXEC);
    CHECK("eventfd", fd >= 0);
    CHECK_EQ("eventfd cloexec", fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    uint64_t v = 0;
    CHECK_EQ("read takes the counter", read(fd, &v, 8), 8);
    CHECK_EQ("initial value", (long)v, 3);
    v = 5;
    CHECK_EQ("write adds", write(fd, &v, 8), 8);
    v = 2;
    write(fd, &v, 8);
    read(fd, &v, 8);
    CHECK_EQ("writes summed", (long)v, 7);
    CHECK_ERR("short read -> EINVAL", read(fd, &v, 4), EINVAL);
    v = UINT64_MAX;
    CHECK_ERR("write 2^64-1 -> EINVAL", write(fd, &v, 8), EINVAL);
    close(fd);

    fd = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE);
    CHECK_ERR("empty nonblocking read -> EAGAIN", read(fd, &v, 8), EAGAIN);
    struct pollfd pf = {fd, POLLIN | POLLOUT, 0};
    CHECK_EQ("poll: writable only", poll(&pf, 1, 0), 1);
    CHECK_EQ("poll revents POLLOUT", pf.revents, POLLOUT);
    v = 2;
    write(fd, &v, 8);
    pf.revents = 0;
    poll(&pf, 1, 0);
    CHECK_EQ("poll revents IN|OUT", pf.revents, POLLIN | POLLOUT);
    read(fd, &v, 8);
    CHECK_EQ("semaphore read gives 1", (long)v, 1);
    read(fd, &v, 8);
    CHECK_ERR("semaphore drained -> EAGAIN", read(fd, &v, 8), EAGAIN);
    v = UINT64_MAX - 1;
    CHECK_EQ("fill to the maximum", write(fd, &v, 8), 8);
    v = 1;
    CHECK_ERR("overflow nonblocking -> EAGAIN", write(fd, &v, 8), EAGAIN);
    close(fd);
}

static void test_epoll_basic(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK("epoll_create1", ep >= 0);
    int p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
    CHECK_EQ("ctl ADD pipe read end", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
    CHECK_ERR("ADD twice -> EEXIST", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
    struct epoll_event out[4];
    CHECK_EQ("nothing ready", epoll_wait(ep, out, 4, 0), 0);
    write(p[1], "x", 1);
    CHECK_EQ("pipe ready", epoll_wait(ep, out, 4, 0), 1);
    CHECK("event and data", out[0].events == EPOLLIN && out[0].data.u64 == 0x1122334455667788ULL);
    CHECK_EQ("level-triggered: still ready", epoll_wait(ep, out, 4, 0), 1);
    char c;
    read(p[0], &c, 1);
    CHECK_EQ("drained: not ready", epoll_wait(ep, out, 4, 0), 0);

    ev.events = EPOLLOUT;
    ev.data.fd = p[1];
    CHECK_EQ("ADD write end for EPOLLOUT", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev), 0);
    CHECK_EQ("write end ready", epoll_wait(ep, out, 4, 0), 1);
    CHECK("EPOLLOUT reported with its data", out[0].events == EPOLLOUT && out[0].data.fd == p[1]);
    ev.events = EPOLLOUT | EPOLLONESHOT;
    CHECK_EQ("MOD to one-shot", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), 0);
    CHECK_EQ("one-shot reported once", epoll_wait(ep, out, 4, 0), 1);
    CHECK_EQ("then disabled", epoll_wait(ep, out, 4, 0), 0);
    CHECK_EQ("MOD re-arms", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), 0);
    CHECK_EQ("re-armed entry reported", epoll_wait(ep, out, 4, 0), 1);
    CHECK_EQ("DEL", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), 0);
    CHECK_ERR("DEL again -> ENOENT", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
    CHECK_ERR("MOD missing -> ENOENT", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), ENOENT);

    close(p[1]);
    CHECK_EQ("writer closed: read end reports", epoll_wait(ep, out, 4, 0), 1);
    CHECK("EPOLLHUP when the writer is gone", (out[0].events & EPOLLHUP) != 0);

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int e2 = epoll_create1(0);
    CHECK_EQ("timeout with nothing watched", epoll_wait(e2, out, 4, 50), 0);
    long el = ms_since(&t0);
    CHECK("timeout waited about 50 ms", el >= 45 && el < 2000);

    int efd = eventfd(0, 0);
    ev.events = EPOLLIN;
    ev.data.u32 = 7;
    epoll_ctl(e2, EPOLL_CTL_ADD, efd, &ev);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec d = {0, 30 * 1000000};
        nanosleep(&d, NULL);
        uint64_t one = 1;
        write(efd, &one, 8);
        _exit(0);
    }
    CHECK_EQ("child's eventfd write wakes epoll_wait", epoll_wait(e2, out, 4, 5000), 1);
    CHECK_EQ("woken entry's data", (long)out[0].data.u32, 7);
    waitpid(pid, NULL, 0);
    close(efd);
    close(e2);
    close(p[0]);
    close(ep);
}

static volatile sig_atomic_t got;
static void on_usr1(int sig)
{
    got = sig;
}

static void test_epoll_pwait(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1); /* pending, blocked */
    int ep = epoll_create1(0);
    struct epoll_event out[1];
    got = 0;
    CHECK_ERR("epoll_pwait unblocks a pending signal -> EINTR", epoll_pwait(ep, out, 1, 1000, &empty), EINTR);
    CHECK_EQ("handler ran", got, SIGUSR1);
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    CHECK_EQ("mask restored afterwards", sigismember(&cur, SIGUSR1), 1);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    close(ep);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_event");
    test_eventfd();
    test_epoll_basic();
    test_epoll_pwait();
    kt_finish();
}
