/* t_pipe: pipe/pipe2 (O_CLOEXEC, O_NONBLOCK -> EAGAIN), EOF when writers close,
 * SIGPIPE (default kills) and EPIPE (SIGPIPE ignored), poll/ppoll/select/pselect6 on pipes. */
#include "kt.h"
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/wait.h>

static void test_pipe_basic(void)
{
    int p[2];
    CHECK_EQ("pipe", pipe(p), 0);
    CHECK_EQ("pipe fds not cloexec", fcntl(p[0], F_GETFD) | fcntl(p[1], F_GETFD), 0);
    CHECK_EQ("pipe read end O_RDONLY", fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
    CHECK_EQ("pipe write end O_WRONLY", fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
    CHECK_EQ("pipe write", write(p[1], "hello", 5), 5);
    char buf[16];
    CHECK_EQ("pipe partial read", read(p[0], buf, 2), 2);
    CHECK_EQ("pipe read rest", read(p[0], buf, sizeof buf), 3);
    CHECK("pipe data in order", memcmp(buf, "llo", 3) == 0);
    CHECK_ERR("read write end -> EBADF", read(p[1], buf, 1), EBADF);
    CHECK_ERR("write read end -> EBADF", write(p[0], "x", 1), EBADF);
    CHECK_ERR("lseek on pipe -> ESPIPE", lseek(p[0], 0, SEEK_SET), ESPIPE);
    CHECK_ERR("pread on pipe -> ESPIPE", pread(p[0], buf, 1, 0), ESPIPE);
    CHECK_ERR("pwrite on pipe -> ESPIPE", pwrite(p[1], buf, 1, 0), ESPIPE);
    struct stat st;
    CHECK("fstat pipe is FIFO", fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));
    write(p[1], "xy", 2);
    close(p[1]);
    CHECK_EQ("data remains after writer closes", read(p[0], buf, sizeof buf), 2);
    CHECK_EQ("EOF when all writers closed", read(p[0], buf, sizeof buf), 0);
    CHECK_EQ("EOF again", read(p[0], buf, sizeof buf), 0);
    close(p[0]);
#ifdef SYS_pipe
    CHECK_EQ("raw SYS_pipe", syscall(SYS_pipe, p), 0);
    close(p[0]);
    close(p[1]);
    CHECK_ERR("raw SYS_pipe bad pointer -> EFAULT", syscall(SYS_pipe, KT_BADPTR), EFAULT);
#endif
    CHECK_ERR("pipe2 bad pointer -> EFAULT", syscall(SYS_pipe2, KT_BADPTR, 0), EFAULT);
    CHECK_ERR("pipe2 bad flags -> EINVAL", pipe2(p, 0x1), EINVAL);
}

static void test_pipe2_flags(void)
{
    int p[2];
    CHECK_EQ("pipe2 O_CLOEXEC", pipe2(p, O_CLOEXEC), 0);
    CHECK("pipe2 O_CLOEXEC sets FD_CLOEXEC", fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFD) == FD_CLOEXEC);
    close(p[0]);
    close(p[1]);
    CHECK_EQ("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK), 0);
    CHECK("pipe2 O_NONBLOCK in F_GETFL", (fcntl(p[0], F_GETFL) & O_NONBLOCK) && (fcntl(p[1], F_GETFL) & O_NONBLOCK));
    char buf[4096];
    CHECK_ERR("nonblocking read of empty pipe -> EAGAIN", read(p[0], buf, 1), EAGAIN);
    memset(buf, 'a', sizeof buf);
    long total = 0, r;
    while ((r = write(p[1], buf, sizeof buf)) > 0)
        total += r;
    CHECK("nonblocking write fills pipe then EAGAIN", r == -1 && errno == EAGAIN && total >= 4096);
    CHECK("default pipe capacity is 64 KiB", total == 65536);
    long got = 0;
    while ((r = read(p[0], buf, sizeof buf)) > 0)
        got += r;
    CHECK_EQ("drain returns everything written", got, total);
    CHECK("drained pipe -> EAGAIN", r == -1 && errno == EAGAIN);
    close(p[1]);
    CHECK_EQ("nonblocking read after writer closed -> EOF", read(p[0], buf, 1), 0);
    close(p[0]);
    /* clearing O_NONBLOCK with F_SETFL makes it block again (seen via poll timeouts below) */
    pipe2(p, O_NONBLOCK);
    fcntl(p[0], F_SETFL, 0);
    CHECK_EQ("F_SETFL clears O_NONBLOCK", fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
    close(p[0]);
    close(p[1]);
}

static void test_sigpipe(void)
{
    int p[2];
    pipe(p);
    close(p[0]); /* before fork, so the child's write can never find a reader */
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        write(p[1], "x", 1);
        _exit(0); /* not reached: SIGPIPE kills us */
    }
    close(p[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK("write with no reader kills by SIGPIPE", WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);

    signal(SIGPIPE, SIG_IGN);
    pipe(p);
    close(p[0]);
    CHECK_ERR("write with no reader, SIGPIPE ignored -> EPIPE", write(p[1], "x", 1), EPIPE);
    close(p[1]);

    /* with SIGPIPE blocked, the signal stays pending and write still fails with EPIPE */
    signal(SIGPIPE, SIG_DFL);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, &old);
    pipe(p);
    close(p[0]);
    CHECK_ERR("write with no reader, SIGPIPE blocked -> EPIPE", write(p[1], "x", 1), EPIPE);
    sigset_t pend;
    sigpending(&pend);
    CHECK("SIGPIPE pending after EPIPE", sigismember(&pend, SIGPIPE) == 1);
    signal(SIGPIPE, SIG_IGN); /* discards the pending signal */
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(p[1]);
}

static void test_poll_select(void)
{
    int p[2];
    pipe(p);
    struct pollfd fds[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    CHECK_EQ("poll: empty pipe only writable", poll(fds, 2, 0), 1);
    CHECK("poll revents empty pipe", fds[0].revents == 0 && fds[1].revents == POLLOUT);
    write(p[1], "a", 1);
    CHECK_EQ("poll: readable after write", poll(fds, 1, 0), 1);
    CHECK_EQ("poll revents POLLIN", fds[0].revents, POLLIN);
    char c;
    read(p[0], &c, 1);
    CHECK_EQ("poll timeout returns 0", poll(fds, 1, 20), 0);
    struct pollfd neg = {-1, POLLIN, 7};
    CHECK_EQ("poll negative fd ignored", poll(&neg, 1, 0), 0);
    CHECK_EQ("poll negative fd revents 0", neg.revents, 0);
    struct pollfd bad = {999, POLLIN, 0};
    CHECK_EQ("poll closed fd counts", poll(&bad, 1, 0), 1);
    CHECK_EQ("poll closed fd POLLNVAL", bad.revents, POLLNVAL);
    CHECK_ERR("poll bad pointer -> EFAULT", syscall(SYS_ppoll, KT_BADPTR, 1, NULL, NULL, 8), EFAULT);
    CHECK_ERR("poll nfds > RLIMIT_NOFILE -> EINVAL", syscall(SYS_ppoll, fds, 1 << 30, NULL, NULL, 8), EINVAL);
#ifdef SYS_poll
    CHECK_EQ("raw SYS_poll", syscall(SYS_poll, fds, 2, 0), 1);
#endif
    struct timespec ts = {0, 10 * 1000 * 1000};
    CHECK_EQ("ppoll timeout", ppoll(fds, 1, &ts, NULL), 0);
    struct timespec badts = {0, 2000000000};
    CHECK_ERR("ppoll bad timeout -> EINVAL", ppoll(fds, 1, &badts, NULL), EINVAL);
    CHECK_ERR("ppoll bad sigsetsize -> EINVAL", syscall(SYS_ppoll, fds, 1, &ts, &(uint64_t){0}, 4), EINVAL);

    close(p[1]);
    fds[0].events = POLLIN;
    CHECK_EQ("poll after writer closed", poll(fds, 1, 0), 1);
    CHECK("poll POLLHUP on closed writer", fds[0].revents & POLLHUP);
    int q[2];
    pipe(q);
    close(q[0]);
    struct pollfd w = {q[1], POLLOUT, 0};
    poll(&w, 1, 0);
    CHECK("poll POLLERR on write end without reader", w.revents & POLLERR);
    close(q[1]);
    close(p[0]);

    pipe(p);
    fd_set rfds, wfds;
    FD_ZERO(&rfds);
    FD_ZERO(&wfds);
    FD_SET(p[0], &rfds);
    FD_SET(p[1], &wfds);
    struct timeval tv = {0, 0};
    CHECK_EQ("select: only write end ready", select(p[1] + 1, &rfds, &wfds, NULL, &tv), 1);
    CHECK("select sets write bit, clears read bit", !FD_ISSET(p[0], &rfds) && FD_ISSET(p[1], &wfds));
    write(p[1], "z", 1);
    FD_ZERO(&rfds);
    FD_SET(p[0], &rfds);
    tv.tv_sec = 1;
    CHECK_EQ("select: readable", select(p[0] + 1, &rfds, NULL, NULL, &tv), 1);
    CHECK("select read bit set", FD_ISSET(p[0], &rfds));
    read(p[0], &c, 1);
    FD_ZERO(&rfds);
    FD_SET(p[0], &rfds);
    tv.tv_sec = 0;
    tv.tv_usec = 10000;
    CHECK_EQ("select timeout", select(p[0] + 1, &rfds, NULL, NULL, &tv), 0);
    CHECK_ERR("select negative nfds -> EINVAL", select(-1, NULL, NULL, NULL, &tv), EINVAL);
    FD_ZERO(&rfds);
    FD_SET(p[0] + 10, &rfds);
    tv.tv_usec = 0;
    CHECK_ERR("select closed fd -> EBADF", select(p[0] + 11, &rfds, NULL, NULL, &tv), EBADF);
    struct timeval badtv = {0, -1};
    FD_ZERO(&rfds);
    CHECK_ERR("select bad timeout -> EINVAL", select(1, &rfds, NULL, NULL, &badtv), EINVAL);
#ifdef SYS_select
    FD_ZERO(&wfds);
    FD_SET(p[1], &wfds);
    tv.tv_sec = 0; tv.tv_usec = 0;
    CHECK_EQ("raw SYS_select", syscall(SYS_select, p[1] + 1, NULL, &wfds, NULL, &tv), 1);
#endif
    FD_ZERO(&wfds);
    FD_SET(p[1], &wfds);
    struct timespec pts = {0, 0};
    CHECK_EQ("pselect", pselect(p[1] + 1, NULL, &wfds, NULL, &pts, NULL), 1);
    close(p[0]);
    close(p[1]);

    /* a blocking read in the parent is woken by a child's write */
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec d = {0, 20 * 1000 * 1000};
        nanosleep(&d, NULL);
        write(p[1], "late", 4);
        _exit(0);
    }
    close(p[1]);
    struct pollfd pf = {p[0], POLLIN, 0};
    CHECK_EQ("poll blocks until child writes", poll(&pf, 1, 5000), 1);
    char buf[8];
    CHECK_EQ("read child's data", read(p[0], buf, sizeof buf), 4);
    CHECK_EQ("EOF after child exits", read(p[0], buf, sizeof buf), 0);
    waitpid(pid, NULL, 0);
    close(p[0]);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_pipe");
    test_pipe_basic();
    test_pipe2_flags();
    test_sigpipe();
    test_poll_select();
    kt_finish();
}
