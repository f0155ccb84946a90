/* t_pty: pseudo-terminals. posix_openpt/grantpt/unlockpt/ptsname (TIOCGPTN, TIOCSPTLCK), a locked
 * slave (EIO), data both ways through the line discipline (echo, ONLCR, canonical lines, raw
 * mode), window size from master to slave, ^C from the master signalling the foreground group
 * of the session whose controlling terminal the slave is, and the hang-up when the master closes
 * (SIGHUP to that group, end of file and EIO on the slave, EIO on the master once the slaves
 * are gone). */
#include "kt.h"
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

/* Read until want bytes came or a read returns nothing more (the master may get output in pieces). */
static long read_some(int fd, char *buf, long want)
{
    long got = 0;
    while (got < want) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 2000) <= 0)
            break;
        ssize_t r = read(fd, buf + got, (size_t)(want - got));
        if (r <= 0)
            break;
        got += r;
    }
    buf[got] = 0;
    return got;
}

static int open_pair(int *master, char *name, size_t size)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY);
    if (*master < 0 || grantpt(*master) != 0 || unlockpt(*master) != 0)
        return -1;
    const char *n = ptsname(*master);
    if (!n)
        return -1;
    snprintf(name, size, "%s", n);
    return open(name, O_RDWR | O_NOCTTY);
}

static void test_basics(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK("posix_openpt", m >= 0);
    CHECK_OK("grantpt", grantpt(m));
    const char *name = ptsname(m);
    CHECK("ptsname is /dev/pts/N", name && !strncmp(name, "/dev/pts/", 9));
    unsigned int n = 999;
    CHECK_OK("TIOCGPTN", ioctl(m, TIOCGPTN, &n));
    char want[32];
    snprintf(want, sizeof want, "/dev/pts/%u", n);
    CHECK("TIOCGPTN agrees with ptsname", name && !strcmp(name, want));
    CHECK_ERR("opening a locked slave -> EIO", open(want, O_RDWR | O_NOCTTY), EIO);
    CHECK_OK("unlockpt", unlockpt(m));
    int s = open(want, O_RDWR | O_NOCTTY);
    CHECK("open the slave", s >= 0);
    struct stat st;
    CHECK("the slave is a character device 136+", fstat(s, &st) == 0 && S_ISCHR(st.st_mode) &&
          major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143);
    CHECK("isatty on both sides", isatty(s) && isatty(m));
    DIR *d = opendir("/dev/pts");
    int listed = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        listed |= (unsigned)atoi(e->d_name) == n && e->d_name[0] >= '0' && e->d_name[0] <= '9';
    if (d)
        closedir(d);
    CHECK("/dev/pts lists it", listed);

    char buf[256];
    CHECK_EQ("master writes a line", write(m, "hello\n", 6), 6);
    CHECK_EQ("slave reads the line", read(s, buf, sizeof buf), 6);
    CHECK("the line is hello\\n", !memcmp(buf, "hello\n", 6));
    CHECK("master sees the echo with CR LF", read_some(m, buf, 7) == 7 && !strcmp(buf, "hello\r\n"));
    CHECK_EQ("slave writes", write(s, "out\n", 4), 4);
    CHECK("master reads it with ONLCR", read_some(m, buf, 5) == 5 && !strcmp(buf, "out\r\n"));
    /* Canonical mode: erase before the line ends. */
    write(m, "abx\177c\n", 6);
    CHECK("VERASE edits the line", read(s, buf, sizeof buf) == 4 && !memcmp(buf, "abc\n", 4));
    read_some(m, buf, 100);

    struct termios t;
    CHECK_OK("tcgetattr on the slave", tcgetattr(s, &t));
    CHECK("cooked by default: ICANON ECHO ISIG ONLCR",
          (t.c_lflag & ICANON) && (t.c_lflag & ECHO) && (t.c_lflag & ISIG) && (t.c_oflag & ONLCR));
    cfmakeraw(&t);
    CHECK_OK("tcsetattr raw", tcsetattr(s, TCSANOW, &t));
    write(m, "xyz", 3);
    CHECK("raw: bytes without a newline arrive", read_some(s, buf, 3) == 3 && !strcmp(buf, "xyz"));
    int fl = fcntl(m, F_GETFL);
    fcntl(m, F_SETFL, fl | O_NONBLOCK);
    CHECK_ERR("raw: no echo (master has nothing)", read(m, buf, sizeof buf), EAGAIN);
    fcntl(m, F_SETFL, fl);

    struct winsize ws = {.ws_row = 33, .ws_col = 101}, got = {0};
    CHECK_OK("TIOCSWINSZ on the master", ioctl(m, TIOCSWINSZ, &ws));
    CHECK("TIOCGWINSZ on the slave", ioctl(s, TIOCGWINSZ, &got) == 0 && got.ws_row == 33 && got.ws_col == 101);

    close(s);
    CHECK_ERR("master read with every slave closed -> EIO", read(m, buf, 1), EIO);
    close(m);
}

/* A child that makes the slave its controlling terminal and waits in the foreground. */
static pid_t session_child(const char *name, int ready_fd, int master)
{
    pid_t c = fork();
    if (c == 0) {
        close(master); /* only the parent holds the master: its close is the hang-up */
        signal(SIGHUP, SIG_DFL);
        if (setsid() < 0)
            _exit(20);
        int s = open(name, O_RDWR | O_NOCTTY);
        if (s < 0 || ioctl(s, TIOCSCTTY, 0) != 0)
            _exit(21);
        if (tcsetpgrp(s, getpid()) != 0)
            _exit(22);
        if (tcgetpgrp(s) != getpid())
            _exit(23);
        int t = open("/dev/tty", O_RDWR); /* the controlling terminal: this slave */
        if (t < 0 || write(t, "T", 1) != 1)
            _exit(24);
        close(t);
        write(ready_fd, "r", 1);
        alarm(10);
        for (;;)
            pause();
    }
    return c;
}

static void test_signals(void)
{
    char name[64], buf[64];
    int m, p[2];
    int s = open_pair(&m, name, sizeof name);
    CHECK("second pair", s >= 0);
    close(s);
    pipe(p);
    pid_t c = session_child(name, p[1], m);
    int st = 0;
    CHECK("child took the terminal", read(p[0], buf, 1) == 1);
    CHECK("the child's /dev/tty is the slave", read_some(m, buf, 1) == 1 && buf[0] == 'T');
    CHECK_EQ("^C from the master", write(m, "\003", 1), 1);
    CHECK_EQ("the foreground group got SIGINT", waitpid(c, &st, 0), c);
    CHECK("killed by SIGINT", WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
    read_some(m, buf, 2); /* the ^C echo */

    c = session_child(name, p[1], m);
    CHECK("another child took the terminal", read(p[0], buf, 1) == 1);
    read_some(m, buf, 1); /* its "T" */
    close(m);
    CHECK_EQ("hang-up: the child is gone", waitpid(c, &st, 0), c);
    CHECK("killed by SIGHUP", WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP);
    close(p[0]);
    close(p[1]);
}

static void test_hangup(void)
{
    char name[64], buf[16];
    int m;
    int s = open_pair(&m, name, sizeof name);
    CHECK("third pair", s >= 0);
    close(m);
    CHECK_EQ("slave read after the master closed: end of file", read(s, buf, sizeof buf), 0);
    CHECK_ERR("slave write after the master closed -> EIO", write(s, "x", 1), EIO);
    close(s);
    CHECK_ERR("the terminal is gone from /dev/pts", open(name, O_RDWR | O_NOCTTY), ENOENT);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_pty");
    signal(SIGHUP, SIG_IGN); /* the hang-up of our own terminals must not end us */
    alarm(20);               /* a missing hang-up must not hang the test run */
    test_basics();
    test_signals();
    test_hangup();
    kt_finish();
}
