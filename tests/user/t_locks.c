/* t_locks: advisory file locks. flock(2): shared/exclusive per open file description, LOCK_NB,
 * conversion, release on the last close, blocking until released; fcntl(2) POSIX record locks:
 * conflicts between processes, F_GETLK's report (type, range, pid), splitting, release on any
 * close, the argument checks (EINVAL, EBADF), F_SETLKW waiting, EINTR and EDEADLK; OFD locks:
 * per open file description, l_pid -1, conflicting with POSIX locks of the same process. */
#include "kt.h"
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

static const char *lock_path = "lockfile";

static int set_lock(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    return fcntl(fd, cmd, &fl);
}

/* The result of a child: its exit status (0: every check it made held), -1 if it died. */
static int child_status(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static void test_flock(void)
{
    int a = open(lock_path, O_RDWR | O_CREAT, 0644);
    int b = open(lock_path, O_RDWR);
    CHECK("open the file twice", a >= 0 && b >= 0);
    CHECK_OK("flock LOCK_EX on a", flock(a, LOCK_EX));
    CHECK_ERR("LOCK_EX|LOCK_NB on another description -> EWOULDBLOCK", flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    CHECK_ERR("LOCK_SH|LOCK_NB on another description -> EWOULDBLOCK", flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    int d = dup(a);
    CHECK_OK("a dup shares the lock: LOCK_EX|LOCK_NB on it", flock(d, LOCK_EX | LOCK_NB));
    CHECK_OK("convert to LOCK_SH", flock(a, LOCK_SH));
    CHECK_OK("LOCK_SH|LOCK_NB beside a shared lock", flock(b, LOCK_SH | LOCK_NB));
    CHECK_ERR("LOCK_EX|LOCK_NB while another holds LOCK_SH", flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    CHECK_OK("LOCK_UN on b", flock(b, LOCK_UN));
    CHECK_OK("now LOCK_EX|LOCK_NB on a", flock(a, LOCK_EX | LOCK_NB));
    close(a);
    CHECK_ERR("closing one descriptor keeps the description's lock", flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    close(d);
    CHECK_OK("the last close releases it", flock(b, LOCK_EX | LOCK_NB));
    CHECK_ERR("flock unknown operation -> EINVAL", flock(b, 0), EINVAL);
    CHECK_ERR("flock LOCK_SH|LOCK_EX -> EINVAL", flock(b, LOCK_SH | LOCK_EX), EINVAL);
    CHECK_ERR("flock bad fd -> EBADF", flock(-1, LOCK_SH), EBADF);

    /* A child waits in LOCK_EX until the parent unlocks. */
    int go[2];
    CHECK_OK("pipe", pipe(go));
    pid_t pid = fork();
    if (pid == 0) {
        int c = open(lock_path, O_RDWR);
        char x;
        if (flock(c, LOCK_EX | LOCK_NB) != -1 || errno != EWOULDBLOCK)
            _exit(2);
        if (write(go[1], "r", 1) != 1)
            _exit(3);
        if (flock(c, LOCK_EX) != 0)       /* blocks until the parent lets go */
            _exit(4);
        (void)x;
        _exit(0);
    }
    char r;
    CHECK_EQ("child is about to block", read(go[0], &r, 1), 1);
    usleep(100000);
    int st;
    CHECK_EQ("the child is still waiting", waitpid(pid, &st, WNOHANG), 0);
    CHECK_OK("parent unlocks", flock(b, LOCK_UN));
    CHECK_EQ("the child got LOCK_EX after the unlock", child_status(pid), 0);
    close(b);
    close(go[0]);
    close(go[1]);
}

static void test_posix(void)
{
    int fd = open(lock_path, O_RDWR | O_CREAT, 0644);
    CHECK("open", fd >= 0);
    CHECK_OK("F_SETLK write [0,100)", set_lock(fd, F_SETLK, F_WRLCK, 0, 100));
    CHECK_OK("F_SETLK unlock [40,60) splits it", set_lock(fd, F_SETLK, F_UNLCK, 40, 20));
    CHECK_OK("the owner may re-lock its own range", set_lock(fd, F_SETLK, F_WRLCK, 90, 5));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        int c = open(lock_path, O_RDWR);
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_RDLCK;
        fl.l_whence = SEEK_SET;
        fl.l_start = 0;
        fl.l_len = 0;
        if (fcntl(c, F_GETLK, &fl) != 0 || fl.l_type != F_WRLCK || fl.l_start != 0 || fl.l_len != 40 ||
            fl.l_pid != parent)
            bad |= 1;
        if (set_lock(c, F_SETLK, F_RDLCK, 50, 5) != 0)
            bad |= 2;                       /* the hole is free */
        if (set_lock(c, F_SETLK, F_RDLCK, 10, 1) != -1 || (errno != EAGAIN && errno != EACCES))
            bad |= 4;
        fl.l_type = F_WRLCK;
        fl.l_start = 60;
        fl.l_len = 0;
        if (fcntl(c, F_GETLK, &fl) != 0 || fl.l_type != F_WRLCK || fl.l_start != 60 || fl.l_len != 40)
            bad |= 8;                       /* [60,100) merged with the re-lock inside it */
        fl.l_type = F_WRLCK;
        fl.l_start = 200;
        fl.l_len = 10;
        if (fcntl(c, F_GETLK, &fl) != 0 || fl.l_type != F_UNLCK)
            bad |= 16;
        _exit(bad);
    }
    CHECK_EQ("child: F_GETLK reports, conflicts, the hole is free", child_status(pid), 0);

    int other = open(lock_path, O_RDONLY);
    close(other);
    pid = fork();
    if (pid == 0) {
        int c = open(lock_path, O_RDWR);
        _exit(set_lock(c, F_SETLK, F_WRLCK, 0, 0) == 0 ? 0 : 1);
    }
    CHECK_EQ("closing any descriptor of the file dropped the parent's locks", child_status(pid), 0);

    /* Argument checks. */
    CHECK_ERR("F_GETLK with F_UNLCK -> EINVAL", set_lock(fd, F_GETLK, F_UNLCK, 0, 1), EINVAL);
    CHECK_ERR("F_SETLK bad type -> EINVAL", set_lock(fd, F_SETLK, 7, 0, 1), EINVAL);
    CHECK_ERR("F_SETLK start before 0 -> EINVAL", set_lock(fd, F_SETLK, F_WRLCK, -5, 1), EINVAL);
    CHECK_ERR("F_SETLK negative length past 0 -> EINVAL", set_lock(fd, F_SETLK, F_WRLCK, 2, -5), EINVAL);
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = 9;
    CHECK_ERR("F_SETLK bad whence -> EINVAL", fcntl(fd, F_SETLK, &fl), EINVAL);
    CHECK_ERR("F_SETLK bad pointer -> EFAULT", fcntl(fd, F_SETLK, KT_BADPTR), EFAULT);
    int ro = open(lock_path, O_RDONLY);
    CHECK_ERR("F_WRLCK on a read-only descriptor -> EBADF", set_lock(ro, F_SETLK, F_WRLCK, 0, 1), EBADF);
    CHECK_OK("F_RDLCK on it is fine", set_lock(ro, F_SETLK, F_RDLCK, 0, 1));
    close(ro);
    close(fd);
}

static void on_alarm(int sig)
{
    (void)sig;
}

static void test_posix_wait(void)
{
    int fd = open(lock_path, O_RDWR | O_CREAT, 0644);
    int go[2];
    CHECK_OK("pipe", pipe(go));
    CHECK_OK("parent locks byte 0", set_lock(fd, F_SETLK, F_WRLCK, 0, 1));
    pid_t pid = fork();
    if (pid == 0) {
        int c = open(lock_path, O_RDWR);
        if (set_lock(c, F_SETLK, F_WRLCK, 1, 1) != 0)
            _exit(2);
        if (write(go[1], "r", 1) != 1)
            _exit(3);
        if (set_lock(c, F_SETLKW, F_WRLCK, 0, 1) != 0)   /* waits for the parent */
            _exit(4);
        _exit(0);
    }
    char r;
    CHECK_EQ("child holds byte 1 and waits for byte 0", read(go[0], &r, 1), 1);
    usleep(100000);
    CHECK_ERR("waiting for byte 1 would deadlock -> EDEADLK", set_lock(fd, F_SETLKW, F_WRLCK, 1, 1), EDEADLK);
    CHECK_OK("unlock byte 0", set_lock(fd, F_SETLK, F_UNLCK, 0, 1));
    CHECK_EQ("the waiting child got byte 0", child_status(pid), 0);

    /* A signal ends F_SETLKW with EINTR. */
    pid = fork();
    if (pid == 0) {
        int c = open(lock_path, O_RDWR);
        if (set_lock(c, F_SETLK, F_WRLCK, 0, 0) != 0)
            _exit(2);
        if (write(go[1], "r", 1) != 1)
            _exit(3);
        pause();
        _exit(0);
    }
    CHECK_EQ("child holds the whole file", read(go[0], &r, 1), 1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    CHECK_ERR("F_SETLKW interrupted by a signal -> EINTR", set_lock(fd, F_SETLKW, F_RDLCK, 5, 1), EINTR);
    kill(pid, SIGKILL);
    child_status(pid);
    CHECK_OK("the dead child's locks are gone", set_lock(fd, F_SETLK, F_WRLCK, 0, 0));
    close(fd);
    close(go[0]);
    close(go[1]);
}

static void test_ofd(void)
{
    int a = open(lock_path, O_RDWR | O_CREAT, 0644);
    int b = open(lock_path, O_RDWR);
    CHECK_OK("F_OFD_SETLK write [0,10) on a", set_lock(a, F_OFD_SETLK, F_WRLCK, 0, 10));
    CHECK_ERR("another description of the same process conflicts", set_lock(b, F_OFD_SETLK, F_WRLCK, 5, 1), EAGAIN);
    CHECK_ERR("so does the process's own POSIX lock", set_lock(b, F_SETLK, F_RDLCK, 5, 1), EAGAIN);
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    CHECK_OK("F_OFD_GETLK on b", fcntl(b, F_OFD_GETLK, &fl));
    CHECK("it reports a's write lock [0,10) with pid -1",
          fl.l_type == F_WRLCK && fl.l_start == 0 && fl.l_len == 10 && fl.l_pid == -1);
    fl.l_type = F_WRLCK;
    fl.l_pid = 1;
    CHECK_ERR("F_OFD_SETLK with l_pid != 0 -> EINVAL", fcntl(b, F_OFD_SETLK, &fl), EINVAL);
    int d = dup(a);
    close(a);
    CHECK_ERR("the lock stays while a dup is open", set_lock(b, F_OFD_SETLK, F_WRLCK, 0, 1), EAGAIN);
    close(d);
    CHECK_OK("and goes with the description", set_lock(b, F_OFD_SETLK, F_WRLCK, 0, 1));
    close(b);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_locks");
    test_flock();
    test_posix();
    test_posix_wait();
    test_ofd();
    kt_finish();
}
