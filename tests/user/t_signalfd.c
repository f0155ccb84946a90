/* t_signalfd: signalfd/signalfd4 (SFD_NONBLOCK/SFD_CLOEXEC, reading struct signalfd_siginfo
 * for pending signals of the mask and consuming them, changing the mask through the fd,
 * poll/epoll readiness, a child's signal waking a blocked read), rt_sigqueueinfo and
 * rt_tgsigqueueinfo (si_value through a signalfd and a SA_SIGINFO handler, the EPERM rule),
 * and the error cases. */
#include "kt.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

static void test_basic(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK("signalfd create", fd >= 0);
    CHECK_EQ("SFD_CLOEXEC", fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    CHECK_EQ("SFD_NONBLOCK", fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    struct signalfd_siginfo si[2];
    CHECK_EQ("struct size", sizeof si[0], 128);
    CHECK_ERR("nothing pending: EAGAIN", read(fd, si, sizeof si[0]), EAGAIN);
    CHECK_ERR("short buffer: EINVAL", read(fd, si, 64), EINVAL);
    struct pollfd pf = { fd, POLLIN, 0 };
    CHECK_EQ("poll not ready", poll(&pf, 1, 0), 0);
    kill(getpid(), SIGUSR1);
    CHECK_EQ("poll ready", poll(&pf, 1, 0), 1);
    memset(si, 0, sizeof si);
    CHECK_EQ("read one", read(fd, si, sizeof si), 128);
    CHECK_EQ("ssi_signo", si[0].ssi_signo, SIGUSR1);
    CHECK_EQ("ssi_code SI_USER", si[0].ssi_code, SI_USER);
    CHECK_EQ("ssi_pid", si[0].ssi_pid, getpid());
    CHECK_EQ("ssi_uid", si[0].ssi_uid, getuid());
    sigset_t pend;
    sigpending(&pend);
    CHECK_EQ("consumed", sigismember(&pend, SIGUSR1), 0);
    CHECK_ERR("again: EAGAIN", read(fd, si, sizeof si[0]), EAGAIN);
    /* Two pending signals come back in one read, lowest first. */
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    CHECK_EQ("read two", read(fd, si, sizeof si), 256);
    CHECK_EQ("first SIGUSR1", si[0].ssi_signo, SIGUSR1);
    CHECK_EQ("then SIGUSR2", si[1].ssi_signo, SIGUSR2);
    /* A signal outside the mask stays pending and is not readable. */
    sigset_t m2;
    sigemptyset(&m2);
    sigaddset(&m2, SIGUSR2);
    CHECK_EQ("change mask through fd", signalfd(fd, &m2, 0), fd);
    kill(getpid(), SIGUSR1);
    CHECK_ERR("SIGUSR1 now outside the mask", read(fd, si, sizeof si[0]), EAGAIN);
    sigpending(&pend);
    CHECK_EQ("SIGUSR1 still pending", sigismember(&pend, SIGUSR1), 1);
    kill(getpid(), SIGUSR2);
    CHECK_EQ("SIGUSR2 readable", read(fd, si, sizeof si[0]), 128);
    CHECK_EQ("SIGUSR2", si[0].ssi_signo, SIGUSR2);
    CHECK_EQ("signalfd back to SIGUSR1", signalfd(fd, &m, 0), fd);
    CHECK_EQ("drain SIGUSR1", read(fd, si, sizeof si[0]), 128);
    /* epoll readiness. */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 5 }, out;
    CHECK_OK("epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    CHECK_EQ("epoll not ready", epoll_wait(ep, &out, 1, 0), 0);
    kill(getpid(), SIGUSR2);
    CHECK_EQ("epoll ready", epoll_wait(ep, &out, 1, 0), 1);
    read(fd, si, sizeof si[0]);
    close(ep);
    close(fd);
}

static void test_blocking(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int fd = signalfd(-1, &m, 0);
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        struct timespec d = { 0, 50000000L };
        nanosleep(&d, NULL);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct signalfd_siginfo si;
    CHECK_EQ("blocking read woken by a child's kill", read(fd, &si, sizeof si), 128);
    CHECK_EQ("from the child", si.ssi_pid, c);
    CHECK_EQ("signo", si.ssi_signo, SIGUSR1);
    waitpid(c, NULL, 0);
    /* A child polling its inherited signalfd sees its own signals. */
    close(fd);
}

static volatile int got_value = -1, got_code = 1;
static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    got_value = si->si_value.sival_int;
    got_code = si->si_code;
}

static void test_sigqueue(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int fd = signalfd(-1, &m, SFD_NONBLOCK);
    union sigval v;
    v.sival_int = 4242;
    CHECK_OK("sigqueue", sigqueue(getpid(), SIGUSR2, v));
    struct signalfd_siginfo si;
    CHECK_EQ("read queued", read(fd, &si, sizeof si), 128);
    CHECK_EQ("ssi_code SI_QUEUE", si.ssi_code, SI_QUEUE);
    CHECK_EQ("ssi_int", si.ssi_int, 4242);
    CHECK_EQ("ssi_pid", si.ssi_pid, getpid());
    close(fd);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t u;
    sigemptyset(&u);
    sigaddset(&u, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &u, NULL);
    siginfo_t qi;
    memset(&qi, 0, sizeof qi);
    qi.si_signo = SIGUSR1;
    qi.si_code = SI_QUEUE;
    qi.si_pid = getpid();
    qi.si_uid = getuid();
    qi.si_value.sival_int = 77;
    CHECK_OK("rt_sigqueueinfo to self", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &qi));
    CHECK_EQ("handler saw si_value", got_value, 77);
    CHECK_EQ("handler saw SI_QUEUE", got_code, SI_QUEUE);
    got_value = -1;
    CHECK_OK("rt_tgsigqueueinfo to self", syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(),
                                                   SIGUSR1, &qi));
    CHECK_EQ("tg handler saw si_value", got_value, 77);
    CHECK_ERR("rt_sigqueueinfo EFAULT", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, KT_BADPTR), EFAULT);
    CHECK_ERR("rt_sigqueueinfo bad signal", syscall(SYS_rt_sigqueueinfo, getpid(), 65, &qi), EINVAL);
    CHECK_ERR("rt_tgsigqueueinfo bad tid", syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGUSR1, &qi),
              EINVAL);
    /* si_code >= 0 (claiming kill) to another process is refused; a negative one is allowed. */
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    qi.si_code = SI_USER;
    CHECK_ERR("si_code >= 0 to another process: EPERM", syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &qi), EPERM);
    qi.si_code = SI_TKILL;
    CHECK_ERR("SI_TKILL to another process: EPERM", syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &qi), EPERM);
    qi.si_code = SI_QUEUE;
    CHECK_OK("SI_QUEUE to another process", syscall(SYS_rt_sigqueueinfo, c, SIGKILL, &qi));
    int st = 0;
    waitpid(c, &st, 0);
    CHECK("child killed by the queued SIGKILL", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    CHECK_ERR("rt_sigqueueinfo ESRCH", syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &qi), ESRCH);
    signal(SIGUSR1, SIG_DFL);
}

static void test_errors(void)
{
    sigset_t m;
    sigemptyset(&m);
    CHECK_ERR("bad fd: EBADF", signalfd(-2, &m, 0), EBADF);
    CHECK_ERR("closed fd: EBADF", signalfd(9999, &m, 0), EBADF);
    int pfd[2];
    pipe(pfd);
    CHECK_ERR("not a signalfd: EINVAL", signalfd(pfd[0], &m, 0), EINVAL);
    close(pfd[0]);
    close(pfd[1]);
    CHECK_ERR("bad flags: EINVAL", signalfd(-1, &m, -1), EINVAL);
    CHECK_ERR("bad size: EINVAL", syscall(SYS_signalfd4, -1, &m, 4, 0), EINVAL);
    CHECK_ERR("bad mask pointer: EFAULT", syscall(SYS_signalfd4, -1, KT_BADPTR, 8, 0), EFAULT);
#ifdef SYS_signalfd /* x86_64 only: riscv64 and loongarch64 have signalfd4 alone */
    int fd = syscall(SYS_signalfd, -1, &m, 8);
    CHECK("old signalfd syscall", fd >= 0);
    CHECK_EQ("old signalfd: no cloexec", fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
#else
    int fd = syscall(SYS_signalfd4, -1, &m, 8, 0);
    CHECK("signalfd4 without flags", fd >= 0);
#endif
    char b[128];
    CHECK_ERR("write: EINVAL", write(fd, b, sizeof b), EINVAL);
    close(fd);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_signalfd");
    test_basic();
    test_blocking();
    test_sigqueue();
    test_errors();
    kt_finish();
}
