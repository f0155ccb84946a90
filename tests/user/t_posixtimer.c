/* t_posixtimer: timer_create (default sigevent, SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID),
 * timer_settime (relative, TIMER_ABSTIME, periodic, disarm, old value), timer_gettime,
 * timer_getoverrun, timer_delete, si_code/si_value/si_timerid seen by a handler and a signalfd,
 * and the error cases. The raw syscalls are used: libc's wrappers map SIGEV_THREAD and ids. */
#include "kt.h"
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

/* sigev_notify_thread_id: the int after sigev_notify (glibc and musl name it differently). */
static void set_tid(struct sigevent *ev, int tid)
{
    memcpy((char *)ev + 16, &tid, sizeof tid);
}

static struct itimerspec its(long v_ms, long i_ms)
{
    struct itimerspec t;
    t.it_value.tv_sec = v_ms / 1000;
    t.it_value.tv_nsec = (v_ms % 1000) * 1000000L;
    t.it_interval.tv_sec = i_ms / 1000;
    t.it_interval.tv_nsec = (i_ms % 1000) * 1000000L;
    return t;
}

static volatile int h_count, h_code, h_value, h_sig;
static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    h_count++;
    h_sig = sig;
    h_code = si->si_code;
    h_value = si->si_value.sival_int;
}

static void sleep_ms(long ms)
{
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&d, &d) == -1 && errno == EINTR)
        ;
}

static void test_default_and_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    int id = -1;
    CHECK_OK("create default sigevent", syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &id));
    CHECK("id >= 0", id >= 0);
    struct itimerspec cur;
    CHECK_OK("gettime disarmed", syscall(SYS_timer_gettime, id, &cur));
    CHECK_EQ("disarmed", cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    struct itimerspec t = its(30, 0);
    h_count = 0;
    CHECK_OK("settime 30ms", syscall(SYS_timer_settime, id, 0, &t, NULL));
    CHECK_OK("gettime armed", syscall(SYS_timer_gettime, id, &cur));
    CHECK("armed value in (0, 30ms]", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
          cur.it_value.tv_nsec <= 30000000L);
    for (int i = 0; i < 100 && h_count == 0; i++)
        sleep_ms(10);
    CHECK_EQ("SIGALRM once", h_count, 1);
    CHECK_EQ("signal SIGALRM", h_sig, SIGALRM);
    CHECK_EQ("si_code SI_TIMER", h_code, SI_TIMER);
    CHECK_EQ("default si_value is the id", h_value, id);
    CHECK_EQ("getoverrun 0", syscall(SYS_timer_getoverrun, id), 0);
    CHECK_OK("gettime expired", syscall(SYS_timer_gettime, id, &cur));
    CHECK_EQ("expired: value 0", cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    CHECK_OK("delete", syscall(SYS_timer_delete, id));
    CHECK_ERR("deleted: gettime EINVAL", syscall(SYS_timer_gettime, id, &cur), EINVAL);
    CHECK_ERR("deleted: delete EINVAL", syscall(SYS_timer_delete, id), EINVAL);

    /* SIGEV_SIGNAL with a value; periodic; TIMER_ABSTIME. */
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 99;
    CHECK_OK("create SIGEV_SIGNAL", syscall(SYS_timer_create, CLOCK_REALTIME, &ev, &id));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    t = its(0, 20);
    t.it_value = now;
    t.it_value.tv_nsec += 20000000L;
    if (t.it_value.tv_nsec >= 1000000000L) {
        t.it_value.tv_sec++;
        t.it_value.tv_nsec -= 1000000000L;
    }
    h_count = 0;
    CHECK_OK("settime abstime periodic", syscall(SYS_timer_settime, id, TIMER_ABSTIME, &t, NULL));
    for (int i = 0; i < 200 && h_count < 3; i++)
        sleep_ms(10);
    CHECK("periodic: 3 signals", h_count >= 3);
    CHECK_EQ("SIGUSR1", h_sig, SIGUSR1);
    CHECK_EQ("si_value 99", h_value, 99);
    struct itimerspec z = its(0, 0), old;
    CHECK_OK("disarm", syscall(SYS_timer_settime, id, 0, &z, &old));
    CHECK_EQ("old interval 20ms", old.it_interval.tv_nsec, 20000000L);
    CHECK("old value in (0, 20ms]", old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0 &&
          old.it_value.tv_nsec <= 20000000L);
    int c = h_count;
    sleep_ms(60);
    CHECK_EQ("disarmed: no more signals", h_count, c);
    syscall(SYS_timer_delete, id);
    signal(SIGALRM, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
}

static void test_overrun_signalfd(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int fd = signalfd(-1, &m, SFD_NONBLOCK);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR2;
    ev.sigev_value.sival_int = 5;
    set_tid(&ev, (int)syscall(SYS_gettid));
    int id = -1;
    CHECK_OK("create SIGEV_THREAD_ID", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id));
    struct itimerspec t = its(10, 10);
    syscall(SYS_timer_settime, id, 0, &t, NULL);
    sleep_ms(120);
    /* While the signal waited (blocked), the later expirations became overruns. */
    struct signalfd_siginfo si;
    CHECK_EQ("read the timer signal", read(fd, &si, sizeof si), 128);
    CHECK_EQ("ssi_signo", si.ssi_signo, SIGUSR2);
    CHECK_EQ("ssi_code SI_TIMER", si.ssi_code, SI_TIMER);
    CHECK_EQ("ssi_tid is the timer id", si.ssi_tid, id);
    CHECK_EQ("ssi_int", si.ssi_int, 5);
    CHECK("overruns counted", si.ssi_overrun >= 3);
    CHECK_EQ("getoverrun of the delivered signal", syscall(SYS_timer_getoverrun, id), si.ssi_overrun);
    syscall(SYS_timer_delete, id);
    /* SIGEV_NONE: no signal, but the time runs. */
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_NONE;
    CHECK_OK("create SIGEV_NONE", syscall(SYS_timer_create, CLOCK_BOOTTIME, &ev, &id));
    t = its(20, 0);
    syscall(SYS_timer_settime, id, 0, &t, NULL);
    sleep_ms(50);
    CHECK_ERR("SIGEV_NONE sent nothing", read(fd, &si, sizeof si), EAGAIN);
    struct itimerspec cur;
    syscall(SYS_timer_gettime, id, &cur);
    CHECK_EQ("SIGEV_NONE expired", cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    syscall(SYS_timer_delete, id);
    close(fd);
    sigprocmask(SIG_UNBLOCK, &m, NULL);
}

static void test_errors(void)
{
    int id = -1;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL | 54321;
    ev.sigev_signo = SIGALRM;
    CHECK_ERR("bad notify", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), EINVAL);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = 0;
    CHECK_ERR("signal 0", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), EINVAL);
    ev.sigev_signo = 65;
    CHECK_ERR("signal 65", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), EINVAL);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGALRM;
    set_tid(&ev, 999999);
    CHECK_ERR("SIGEV_THREAD_ID no such thread", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), EINVAL);
    CHECK_ERR("bad clock", syscall(SYS_timer_create, 12345, NULL, &id), EINVAL);
    CHECK_ERR("negative clock", syscall(SYS_timer_create, -1, NULL, &id), EINVAL);
    CHECK_OK("CLOCK_PROCESS_CPUTIME_ID", syscall(SYS_timer_create, CLOCK_PROCESS_CPUTIME_ID, NULL, &id));
    CHECK_OK("delete the CPU-time timer", syscall(SYS_timer_delete, id));
    CHECK_OK("CLOCK_THREAD_CPUTIME_ID", syscall(SYS_timer_create, CLOCK_THREAD_CPUTIME_ID, NULL, &id));
    CHECK_OK("delete the thread CPU-time timer", syscall(SYS_timer_delete, id));
    CHECK_ERR("CLOCK_MONOTONIC_RAW", syscall(SYS_timer_create, CLOCK_MONOTONIC_RAW, NULL, &id), EOPNOTSUPP);
    CHECK_ERR("sigevent EFAULT", syscall(SYS_timer_create, CLOCK_MONOTONIC, KT_BADPTR, &id), EFAULT);
    CHECK_ERR("delete -1", syscall(SYS_timer_delete, -1), EINVAL);
    CHECK_ERR("delete unknown", syscall(SYS_timer_delete, 4000), EINVAL);
    CHECK_ERR("getoverrun unknown", syscall(SYS_timer_getoverrun, 4000), EINVAL);
    struct itimerspec t = its(10, 0), cur;
    CHECK_ERR("settime unknown", syscall(SYS_timer_settime, 4000, 0, &t, NULL), EINVAL);
    CHECK_ERR("gettime unknown", syscall(SYS_timer_gettime, 4000, &cur), EINVAL);
    CHECK_OK("create", syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &id));
    CHECK_ERR("settime NULL", syscall(SYS_timer_settime, id, 0, NULL, NULL), EINVAL);
    t.it_value.tv_nsec = 1000000000L;
    CHECK_ERR("settime bad nsec", syscall(SYS_timer_settime, id, 0, &t, NULL), EINVAL);
    CHECK_ERR("settime EFAULT", syscall(SYS_timer_settime, id, 0, KT_BADPTR, NULL), EFAULT);
    CHECK_ERR("gettime EFAULT", syscall(SYS_timer_gettime, id, KT_BADPTR), EFAULT);
    /* Ids are per process: a child starts with none (timers are not inherited). */
    pid_t c = fork();
    if (c == 0) {
        struct itimerspec cc;
        _exit(syscall(SYS_timer_gettime, id, &cc) == -1 && errno == EINVAL ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    CHECK("child has no timers", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* An armed timer is gone after exec (the exec'd shell would die of SIGALRM otherwise). */
    c = fork();
    if (c == 0) {
        int cid;
        syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &cid);
        struct itimerspec a = its(30, 0);
        syscall(SYS_timer_settime, cid, 0, &a, NULL);
        execl(kt_self, kt_self, "--sleep", (char *)NULL);
        _exit(3);
    }
    waitpid(c, &st, 0);
    CHECK("timer deleted at exec", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    syscall(SYS_timer_delete, id);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--sleep") == 0) {
        sleep_ms(100);
        return 0;
    }
    kt_init(argc, argv, "t_posixtimer");
    test_default_and_handler();
    test_overrun_signalfd();
    test_errors();
    kt_finish();
}
