/* t_socketpair: socketpair(AF_UNIX, SOCK_STREAM) both ways, across fork, shutdown, send/recv
 * flags (MSG_DONTWAIT, MSG_NOSIGNAL), poll, and the error cases. */
#include "kt.h"
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void test_pair(void)
{
    int sv[2];
    CHECK_EQ("socketpair", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    CHECK_EQ("cloexec set", fcntl(sv[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    struct stat st;
    CHECK("fstat is a socket", fstat(sv[0], &st) == 0 && S_ISSOCK(st.st_mode));
    char buf[16];
    CHECK_EQ("write one way", write(sv[0], "ping", 4), 4);
    CHECK_EQ("read the other", read(sv[1], buf, sizeof buf), 4);
    CHECK("data intact", memcmp(buf, "ping", 4) == 0);
    CHECK_EQ("send back", send(sv[1], "pong!", 5, 0), 5);
    CHECK_EQ("recv", recv(sv[0], buf, sizeof buf, 0), 5);
    CHECK_ERR("nothing waiting, MSG_DONTWAIT -> EAGAIN", recv(sv[0], buf, 1, MSG_DONTWAIT), EAGAIN);
    struct pollfd pf = {sv[0], POLLIN | POLLOUT, 0};
    CHECK_EQ("poll: writable", poll(&pf, 1, 0), 1);
    CHECK_EQ("poll revents POLLOUT only", pf.revents, POLLOUT);

    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        char b[8];
        ssize_t n = read(sv[1], b, sizeof b);
        write(sv[1], b, n > 0 ? (size_t)n : 0);
        _exit(0);
    }
    close(sv[1]);
    CHECK_EQ("to the child", write(sv[0], "abc", 3), 3);
    CHECK_EQ("echoed back by the child", read(sv[0], buf, sizeof buf), 3);
    int status;
    waitpid(pid, &status, 0);
    CHECK_EQ("peer gone: end of file", read(sv[0], buf, sizeof buf), 0);
    CHECK_ERR("peer gone, MSG_NOSIGNAL -> EPIPE", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    close(sv[0]);
}

static void test_shutdown(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "hi", 2);
    CHECK_EQ("shutdown SHUT_WR", shutdown(sv[0], SHUT_WR), 0);
    char buf[8];
    CHECK_EQ("peer still gets the data", read(sv[1], buf, sizeof buf), 2);
    CHECK_EQ("then end of file", read(sv[1], buf, sizeof buf), 0);
    signal(SIGPIPE, SIG_IGN);
    CHECK_ERR("write after SHUT_WR -> EPIPE", write(sv[0], "x", 1), EPIPE);
    signal(SIGPIPE, SIG_DFL);
    CHECK_EQ("other direction still works", write(sv[1], "ok", 2), 2);
    CHECK_EQ("and is read", read(sv[0], buf, sizeof buf), 2);
    CHECK_ERR("shutdown bad how -> EINVAL", shutdown(sv[0], 7), EINVAL);
    CHECK_ERR("shutdown on a non-socket -> ENOTSOCK", shutdown(open("/dev/null", O_RDONLY), SHUT_RD), ENOTSOCK);
    CHECK_ERR("shutdown bad fd -> EBADF", shutdown(-1, SHUT_RD), EBADF);
    close(sv[0]);
    close(sv[1]);
}

static void test_errors(void)
{
    int sv[2];
    CHECK_ERR("AF_INET pair -> EOPNOTSUPP", socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
    CHECK_ERR("unknown family -> EAFNOSUPPORT", socketpair(12345, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
    CHECK_ERR("bad pointer -> EFAULT", socketpair(AF_UNIX, SOCK_STREAM, 0, KT_BADPTR), EFAULT);
    CHECK_ERR("unknown type flag -> EINVAL", socketpair(AF_UNIX, SOCK_STREAM | 0x100, 0, sv), EINVAL);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_socketpair");
    test_pair();
    test_shutdown();
    test_errors();
    kt_finish();
}
