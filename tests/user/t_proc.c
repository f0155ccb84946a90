/* t_proc: fork/vfork/clone-by-libc, exit/exit_group codes, wait4/waitid (WNOHANG, WNOWAIT,
 * WUNTRACED, WCONTINUED), getpid/getppid/gettid/set_tid_address, setpgid/getpgid/getpgrp,
 * setsid/getsid, execve of itself with arguments (and its error cases), and 50 children that
 * exec, write to a shared pipe, signal themselves or exit, and are all reaped; pidfd_open (poll
 * readable at exit, waitid(P_PIDFD), EAGAIN when O_NONBLOCK, the argument checks) and pidfd_getfd. */
#include "kt.h"
#include <signal.h>
#include <sys/resource.h>
#include <poll.h>
#include <sys/wait.h>
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define NCHILD 50

/* Modes of this program when it is exec'd by its own tests (no test directory, no output). */
static int exec_mode(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "--exec-args")) {
        /* argv: --exec-args alpha "b c" <cloexec-fd> <kept-fd> ; env KT_EXEC=yes */
        int rc = 0;
        if (argc != 6) rc |= 1;
        else {
            if (strcmp(argv[2], "alpha") || strcmp(argv[3], "b c")) rc |= 2;
            const char *e = getenv("KT_EXEC");
            if (!e || strcmp(e, "yes")) rc |= 4;
            if (fcntl(atoi(argv[4]), F_GETFD) != -1 || errno != EBADF) rc |= 8;
            if (fcntl(atoi(argv[5]), F_GETFD) != 0) rc |= 16;
        }
        _exit(64 + rc);
    }
    if (argc >= 4 && !strcmp(argv[1], "--exec-stress")) {
        int fd = atoi(argv[2]), i = atoi(argv[3]);
        int msg[2] = {i, (int)getpid()};
        if (write(fd, msg, sizeof msg) != sizeof msg)
            _exit(200);
        if (i % 3 == 0)
            kill(getpid(), SIGTERM);
        if (i % 3 == 1)
            raise(SIGUSR1);
        _exit(i);
    }
    return 0;
}

static void test_fork_wait(void)
{
    pid_t me = getpid();
    int shared = 1;
    pid_t pid = fork();
    if (pid == 0) {
        shared = 2; /* private copy: parent must not see this */
        _exit(getppid() == me ? 42 : 1);
    }
    CHECK("fork returns child pid", pid > 0 && pid != me);
    int status = -1;
    CHECK_EQ("waitpid returns the child", waitpid(pid, &status, 0), pid);
    CHECK("child exit status 42 (and getppid correct)", WIFEXITED(status) && WEXITSTATUS(status) == 42);
    CHECK_EQ("fork gives a private copy", shared, 1);
    CHECK_ERR("wait with no children -> ECHILD", waitpid(-1, &status, 0), ECHILD);
    CHECK_ERR("wait4 non-child pid -> ECHILD", wait4(1, &status, 0, NULL), ECHILD);
    CHECK_ERR("wait4 bad options -> EINVAL", wait4(-1, &status, 0x40000000 | 0x1000, NULL), EINVAL);

    pid = fork();
    if (pid == 0)
        exit(256 + 3); /* only the low 8 bits survive */
    waitpid(pid, &status, 0);
    CHECK("exit(259) -> status 3", WIFEXITED(status) && WEXITSTATUS(status) == 3);

    pid = fork();
    if (pid == 0)
        syscall(SYS_exit_group, 255);
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    CHECK_EQ("wait4 with rusage", wait4(pid, &status, 0, &ru), pid);
    CHECK("exit_group(255) -> 255", WIFEXITED(status) && WEXITSTATUS(status) == 255);
    CHECK("wait4 fills rusage", ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);

    pid = fork();
    if (pid == 0)
        syscall(SYS_exit, 9);
    waitpid(pid, &status, 0);
    CHECK("raw SYS_exit in single-threaded child", WIFEXITED(status) && WEXITSTATUS(status) == 9);

    int p[2];
    pipe(p);
    pid = fork();
    if (pid == 0) {
        char c;
        read(p[0], &c, 1); /* wait until the parent lets us go */
        _exit(5);
    }
    CHECK_EQ("WNOHANG with running child returns 0", waitpid(pid, &status, WNOHANG), 0);
    write(p[1], "g", 1);
    CHECK_EQ("blocking wait after release", waitpid(pid, &status, 0), pid);
    close(p[0]);
    close(p[1]);

    pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    CHECK("SIGKILL -> WIFSIGNALED SIGKILL", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    kill(pid, SIGSTOP);
    CHECK_EQ("WUNTRACED reports stop", waitpid(pid, &status, WUNTRACED), pid);
    CHECK("WIFSTOPPED SIGSTOP", WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    kill(pid, SIGCONT);
    CHECK_EQ("WCONTINUED reports continue", waitpid(pid, &status, WCONTINUED), pid);
    CHECK("WIFCONTINUED", WIFCONTINUED(status));
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    CHECK("SIGTERM -> WTERMSIG", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

#ifdef SYS_fork
    pid = (pid_t)syscall(SYS_fork);
    if (pid == 0)
        syscall(SYS_exit_group, 17);
    CHECK("raw SYS_fork", pid > 0 && waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 17);
#endif
}

static void test_vfork(void)
{
    volatile int v = 0;
    pid_t me = getpid();
    pid_t pid = vfork();
    if (pid == 0) {
        v = 123; /* shares our memory until _exit */
        _exit(getppid() == me ? 7 : 1);
    }
    int status;
    CHECK("vfork returns pid", pid > 0);
    CHECK("vfork child shares memory", v == 123);
    waitpid(pid, &status, 0);
    CHECK("vfork child exit status", WIFEXITED(status) && WEXITSTATUS(status) == 7);
}

static void test_waitid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(33);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK_EQ("waitid WEXITED|WNOWAIT", waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
    CHECK("waitid siginfo CLD_EXITED", si.si_signo == SIGCHLD && si.si_code == CLD_EXITED && si.si_pid == pid && si.si_status == 33);
    memset(&si, 0, sizeof si);
    CHECK_EQ("waitid again after WNOWAIT", waitid(P_PID, pid, &si, WEXITED), 0);
    CHECK_EQ("waitid reaped pid", si.si_pid, pid);
    CHECK_ERR("waitid reaped -> ECHILD", waitid(P_PID, pid, &si, WEXITED), ECHILD);

    pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    memset(&si, 0xaa, sizeof si);
    CHECK_EQ("waitid WNOHANG nothing ready", waitid(P_ALL, 0, &si, WEXITED | WNOHANG), 0);
    CHECK_EQ("waitid WNOHANG zeroes si_pid", si.si_pid, 0);
    kill(pid, SIGKILL);
    memset(&si, 0, sizeof si);
    CHECK_EQ("waitid P_ALL", waitid(P_ALL, 0, &si, WEXITED), 0);
    CHECK("waitid CLD_KILLED", si.si_code == CLD_KILLED && si.si_status == SIGKILL && si.si_pid == pid);
    CHECK_ERR("waitid no options -> EINVAL", waitid(P_ALL, 0, &si, 0), EINVAL);
    CHECK_ERR("waitid bad idtype -> EINVAL", waitid((idtype_t)42, 0, &si, WEXITED), EINVAL);
    CHECK_ERR("waitid no children -> ECHILD", waitid(P_ALL, 0, &si, WEXITED), ECHILD);

    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        _exit(4);
    }
    setpgid(pid, pid); /* races with the child's own call; either wins */
    memset(&si, 0, sizeof si);
    CHECK_EQ("waitid P_PGID", waitid(P_PGID, pid, &si, WEXITED), 0);
    CHECK_EQ("waitid P_PGID status", si.si_status, 4);
}

static void test_ids(void)
{
    pid_t pid = getpid();
    CHECK("getpid positive", pid > 0);
    CHECK_EQ("raw getpid", syscall(SYS_getpid), pid);
    CHECK_EQ("gettid == getpid in main thread", syscall(SYS_gettid), pid);
    CHECK("getppid positive", getppid() > 0);
    CHECK_EQ("set_tid_address returns tid", syscall(SYS_set_tid_address, NULL), pid);

    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        int r[6];
        r[0] = (int)getpid();
        r[1] = setpgid(0, 0);
        r[2] = (int)getpgrp();
        r[3] = setsid(); /* group leader now: must fail EPERM */
        r[4] = r[3] == -1 ? errno : 0;
        r[5] = (int)getsid(0);
        write(p[1], r, sizeof r);
        _exit(0);
    }
    int r[6] = {0};
    read(p[0], r, sizeof r);
    waitpid(child, NULL, 0);
    CHECK_EQ("child setpgid(0,0)", r[1], 0);
    CHECK_EQ("child getpgrp == its pid", r[2], r[0]);
    CHECK("setsid as group leader -> EPERM", r[3] == -1 && r[4] == EPERM);
    CHECK_EQ("getsid(0) in child == our session", r[5], getsid(0));

    child = fork();
    if (child == 0) {
        int s[4];
        s[0] = (int)getpid();
        s[1] = (int)setsid();
        s[2] = (int)getsid(0);
        s[3] = (int)getpgid(0);
        write(p[1], s, sizeof s);
        _exit(0);
    }
    int s[4] = {0};
    read(p[0], s, sizeof s);
    waitpid(child, NULL, 0);
    CHECK_EQ("setsid returns new sid == pid", s[1], s[0]);
    CHECK_EQ("getsid after setsid", s[2], s[0]);
    CHECK_EQ("setsid makes a new group", s[3], s[0]);

    child = fork();
    if (child == 0) {
        read(p[0], r, 1);
        _exit(0);
    }
    CHECK_EQ("parent setpgid(child, child)", setpgid(child, child), 0);
    CHECK_EQ("getpgid(child)", getpgid(child), child);
    CHECK_EQ("getsid(child) == our sid", getsid(child), getsid(0));
    CHECK_EQ("setpgid back to our group", setpgid(child, getpgrp()), 0);
    CHECK_ERR("setpgid negative pgid -> EINVAL", setpgid(child, -1), EINVAL);
    write(p[1], "x", 1);
    waitpid(child, NULL, 0);
    CHECK_ERR("setpgid non-child -> ESRCH", setpgid(0x3fffffff, 0), ESRCH);
    CHECK_ERR("getpgid missing pid -> ESRCH", getpgid(0x3fffffff), ESRCH);
    CHECK_ERR("getsid missing pid -> ESRCH", getsid(0x3fffffff), ESRCH);
    CHECK_EQ("getpgid(0) == getpgrp()", getpgid(0), getpgrp());
#ifdef SYS_getpgrp
    CHECK_EQ("raw getpgrp", syscall(SYS_getpgrp), getpgid(0));
#endif
    close(p[0]);
    close(p[1]);
}

static void test_execve(void)
{
    int cloexec_fd = open(".", O_RDONLY | O_CLOEXEC);
    int kept_fd = open(".", O_RDONLY);
    char a4[16], a5[16];
    snprintf(a4, sizeof a4, "%d", cloexec_fd);
    snprintf(a5, sizeof a5, "%d", kept_fd);
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {kt_self, "--exec-args", "alpha", "b c", a4, a5, NULL};
        char *envp[] = {"KT_EXEC=yes", NULL};
        execve(kt_self, args, envp);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK_EQ("execve self: argv, envp, O_CLOEXEC closed, others kept", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 64);
    close(cloexec_fd);
    close(kept_fd);

    char *noargs[] = {"x", NULL};
    char *noenv[] = {NULL};
    CHECK_ERR("execve missing -> ENOENT", execve("./missing", noargs, noenv), ENOENT);
    CHECK_ERR("execve directory -> EACCES", execve(".", noargs, noenv), EACCES);
    kt_write_file("noexec", "#!/bin/sh\n", 10);
    chmod("noexec", 0644);
    CHECK_ERR("execve non-executable -> EACCES", execve("./noexec", noargs, noenv), EACCES);
    kt_write_file("garbage", "\x01\x02\x03\x04garbage-not-an-elf", 22);
    chmod("garbage", 0755);
    CHECK_ERR("execve unknown format -> ENOEXEC", execve("./garbage", noargs, noenv), ENOEXEC);
    CHECK_ERR("execve bad path pointer -> EFAULT", syscall(SYS_execve, KT_BADPTR, noargs, noenv), EFAULT);
    CHECK_ERR("execve bad argv pointer -> EFAULT", syscall(SYS_execve, kt_self, KT_BADPTR, noenv), EFAULT);
    CHECK_ERR("execve through file component -> ENOTDIR", execve("./garbage/x", noargs, noenv), ENOTDIR);
}

static void test_stress(void)
{
    int p[2];
    pipe(p);
    pid_t pids[NCHILD];
    int forked = 0;
    for (int i = 0; i < NCHILD; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            char fdarg[16], iarg[16];
            snprintf(fdarg, sizeof fdarg, "%d", p[1]);
            snprintf(iarg, sizeof iarg, "%d", i);
            char *args[] = {kt_self, "--exec-stress", fdarg, iarg, NULL};
            char *envp[] = {NULL};
            execve(kt_self, args, envp);
            _exit(126);
        }
        if (pid > 0)
            pids[forked++] = pid;
    }
    close(p[1]);
    CHECK_EQ("forked 50 children", forked, NCHILD);
    int seen[NCHILD] = {0}, msgs = 0, pid_ok = 1;
    int msg[2];
    while (read(p[0], msg, sizeof msg) == sizeof msg) {
        if (msg[0] >= 0 && msg[0] < NCHILD) {
            seen[msg[0]]++;
            pid_ok &= msg[1] == pids[msg[0]];
        }
        msgs++;
    }
    close(p[0]);
    int all_once = msgs == NCHILD;
    for (int i = 0; i < NCHILD; i++)
        all_once &= seen[i] == 1;
    CHECK("every exec'd child wrote exactly once", all_once);
    CHECK("exec keeps the pid", pid_ok);
    int reaped = 0, statuses_ok = 1;
    for (;;) {
        int status;
        pid_t w = waitpid(-1, &status, 0);
        if (w < 0)
            break;
        int i = -1;
        for (int k = 0; k < NCHILD; k++)
            if (pids[k] == w)
                i = k;
        if (i < 0) { statuses_ok = 0; continue; }
        reaped++;
        if (i % 3 == 0) statuses_ok &= WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
        else if (i % 3 == 1) statuses_ok &= WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1;
        else statuses_ok &= WIFEXITED(status) && WEXITSTATUS(status) == i;
    }
    CHECK_EQ("reaped all 50", reaped, NCHILD);
    CHECK("each child's status matches (signal or exit code)", statuses_ok);
    CHECK_EQ("no children left -> ECHILD", errno, ECHILD);
}

static void test_pidfd(void)
{
    int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
    CHECK("pidfd_open of the caller", self >= 0);
    CHECK_EQ("it is close-on-exec", fcntl(self, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    struct pollfd pf = {.fd = self, .events = POLLIN};
    CHECK_EQ("a live process's pidfd is not readable", poll(&pf, 1, 0), 0);
    int dupd = (int)syscall(SYS_pidfd_getfd, self, 1, 0);
    CHECK("pidfd_getfd copies a descriptor", dupd >= 0 && dupd != 1);
    if (dupd >= 0) {
        CHECK_EQ("the copy is close-on-exec", fcntl(dupd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        close(dupd);
    }
    CHECK_ERR("pidfd_getfd flags -> EINVAL", syscall(SYS_pidfd_getfd, self, 1, 1), EINVAL);
    CHECK_ERR("pidfd_getfd closed target fd -> EBADF", syscall(SYS_pidfd_getfd, self, 900, 0), EBADF);
    CHECK_ERR("pidfd_getfd on a non-pidfd -> EBADF", syscall(SYS_pidfd_getfd, 1, 1, 0), EBADF);
    close(self);
    CHECK_ERR("pidfd_open unknown flags -> EINVAL", syscall(SYS_pidfd_open, getpid(), 1), EINVAL);
    CHECK_ERR("pidfd_open pid -1 -> EINVAL", syscall(SYS_pidfd_open, -1, 0), EINVAL);
    CHECK_ERR("pidfd_open no such pid -> ESRCH", syscall(SYS_pidfd_open, 999999, 0), ESRCH);

    int go[2];
    CHECK_OK("pipe", pipe(go));
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        _exit(7);
    }
    int fd = (int)syscall(SYS_pidfd_open, pid, O_NONBLOCK);
    CHECK("pidfd_open of a child, O_NONBLOCK", fd >= 0);
    CHECK("F_GETFL shows O_NONBLOCK", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK_ERR("waitid(P_PIDFD) of a running child, O_NONBLOCK -> EAGAIN", waitid(P_PIDFD, fd, &si, WEXITED), EAGAIN);
    CHECK_EQ("let it exit", write(go[1], "x", 1), 1);
    pf.fd = fd;
    pf.revents = 0;
    CHECK_EQ("the pidfd polls readable once it exits", poll(&pf, 1, 5000), 1);
    CHECK("POLLIN", (pf.revents & POLLIN) != 0);
    memset(&si, 0, sizeof si);
    CHECK_OK("waitid(P_PIDFD) reaps it", waitid(P_PIDFD, fd, &si, WEXITED));
    CHECK("siginfo: that child, exit status 7", si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 7);
    close(fd);
    CHECK_ERR("waitid(P_PIDFD) on a pipe -> EBADF", waitid(P_PIDFD, go[0], &si, WEXITED), EBADF);
    close(go[0]);
    close(go[1]);
}

int main(int argc, char **argv)
{
    exec_mode(argc, argv);
    kt_init(argc, argv, "t_proc");
    test_fork_wait();
    test_vfork();
    test_waitid();
    test_ids();
    test_execve();
    test_stress();
    test_pidfd();
    kt_finish();
}
