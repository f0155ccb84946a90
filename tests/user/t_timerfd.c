/* t_timerfd: timerfd_create/settime/gettime on the three clocks, TFD_NONBLOCK/TFD_CLOEXEC,
 * relative and absolute (TFD_TIMER_ABSTIME) expirations, periodic counts, blocking and
 * non-blocking reads, poll and epoll readiness, and the error cases. */
#include "kt.h"
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

static long ms_since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
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

static void test_create(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    CHECK("create monotonic", fd >= 0);
    CHECK_EQ("no cloexec by default", fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    CHECK_EQ("blocking by default", fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    close(fd);
    fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
    CHECK("create realtime", fd >= 0);
    CHECK_EQ("TFD_CLOEXEC", fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    CHECK_EQ("TFD_NONBLOCK", fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    close(fd);
    fd = timerfd_create(CLOCK_BOOTTIME, 0);
    CHECK("create boottime", fd >= 0);
    close(fd);
    CHECK_ERR("bad clock", timerfd_create(-1, 0), EINVAL);
    CHECK_ERR("CLOCK_PROCESS_CPUTIME_ID", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
    CHECK_ERR("bad flags", timerfd_create(CLOCK_MONOTONIC, -1), EINVAL);
}

static void test_errors(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec t = its(100, 0), cur;
    CHECK_ERR("settime bad fd", timerfd_settime(-1, 0, &t, NULL), EBADF);
    CHECK_ERR("gettime bad fd", timerfd_gettime(12345, &cur), EBADF);
    int pfd[2];
    pipe(pfd);
    CHECK_ERR("settime on a pipe", timerfd_settime(pfd[0], 0, &t, NULL), EINVAL);
    CHECK_ERR("gettime on a pipe", timerfd_gettime(pfd[0], &cur), EINVAL);
    close(pfd[0]);
    close(pfd[1]);
    CHECK_ERR("settime bad flags", timerfd_settime(fd, 0x100, &t, NULL), EINVAL);
    t.it_value.tv_nsec = 1000000000L;
    CHECK_ERR("settime bad nsec", timerfd_settime(fd, 0, &t, NULL), EINVAL);
    t = its(100, 0);
    t.it_interval.tv_sec = -1;
    CHECK_ERR("settime negative interval", timerfd_settime(fd, 0, &t, NULL), EINVAL);
    CHECK_ERR("settime EFAULT", timerfd_settime(fd, 0, KT_BADPTR, NULL), EFAULT);
    CHECK_ERR("gettime EFAULT", timerfd_gettime(fd, KT_BADPTR), EFAULT);
    uint64_t v;
    CHECK_ERR("short read", read(fd, &v, 4), EINVAL);
    CHECK_ERR("write", write(fd, &v, 8), EINVAL);
    close(fd);
}

static void test_oneshot(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    uint64_t v = 0;
    struct itimerspec cur;
    CHECK_OK("gettime disarmed", timerfd_gettime(fd, &cur));
    CHECK_EQ("disarmed value 0", cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    CHECK_ERR("read disarmed nonblocking: EAGAIN", read(fd, &v, 8), EAGAIN);
    struct itimerspec t = its(50, 0), old;
    CHECK_OK("settime 50ms", timerfd_settime(fd, 0, &t, NULL));
    CHECK_OK("gettime armed", timerfd_gettime(fd, &cur));
    CHECK("armed value in (0, 50ms]", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
          cur.it_value.tv_nsec <= 50000000L);
    CHECK_ERR("read before expiry: EAGAIN", read(fd, &v, 8), EAGAIN);
    struct pollfd pf = { fd, POLLIN, 0 };
    CHECK_EQ("poll before expiry", poll(&pf, 1, 0), 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ("poll waits for expiry", poll(&pf, 1, 2000), 1);
    long ms = ms_since(&t0);
    CHECK("poll woke near 50ms", ms >= 30 && ms < 1500);
    CHECK_EQ("POLLIN", pf.revents & POLLIN, POLLIN);
    CHECK_EQ("read after expiry", read(fd, &v, 8), 8);
    CHECK_EQ("one expiration", (long)v, 1);
    CHECK_ERR("read again: EAGAIN", read(fd, &v, 8), EAGAIN);
    CHECK_OK("gettime expired", timerfd_gettime(fd, &cur));
    CHECK_EQ("expired value 0", cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    /* The old setting comes back from settime; a zero value disarms. */
    t = its(5000, 1000);
    timerfd_settime(fd, 0, &t, NULL);
    struct itimerspec z = its(0, 0);
    CHECK_OK("disarm", timerfd_settime(fd, 0, &z, &old));
    CHECK_EQ("old interval", old.it_interval.tv_sec, 1);
    CHECK("old value near 5s", old.it_value.tv_sec == 4 || old.it_value.tv_sec == 5);
    timerfd_gettime(fd, &cur);
    CHECK_EQ("disarmed again", cur.it_value.tv_sec + cur.it_value.tv_nsec, 0);
    close(fd);
}

static void test_blocking_periodic(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec t = its(20, 20);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK("settime periodic", timerfd_settime(fd, 0, &t, NULL));
    uint64_t v = 0;
    CHECK_EQ("blocking read", read(fd, &v, 8), 8);
    CHECK("blocking read waited", ms_since(&t0) >= 15);
    CHECK("at least one expiration", v >= 1);
    struct timespec d = { 0, 120000000L };
    nanosleep(&d, NULL);
    CHECK_EQ("read counts", read(fd, &v, 8), 8);
    CHECK("several expirations counted", v >= 4 && v <= 10);
    struct itimerspec cur;
    timerfd_gettime(fd, &cur);
    CHECK_EQ("interval reported", cur.it_interval.tv_nsec, 20000000L);
    CHECK("periodic value in (0, 20ms]", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
          cur.it_value.tv_nsec <= 20000000L);
    close(fd);
}

static void test_abstime(void)
{
    int fd = timerfd_create(CLOCK_REALTIME, 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct itimerspec t;
    memset(&t, 0, sizeof t);
    t.it_value.tv_sec = now.tv_sec;
    t.it_value.tv_nsec = now.tv_nsec + 30000000L;
    if (t.it_value.tv_nsec >= 1000000000L) {
        t.it_value.tv_sec++;
        t.it_value.tv_nsec -= 1000000000L;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK("settime abstime realtime", timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL));
    uint64_t v = 0;
    CHECK_EQ("read abstime", read(fd, &v, 8), 8);
    CHECK_EQ("abstime one expiration", (long)v, 1);
    CHECK("abstime waited", ms_since(&t0) >= 15);
    /* An absolute time in the past expires at once. */
    t.it_value.tv_sec = 1;
    t.it_value.tv_nsec = 0;
    CHECK_OK("settime in the past", timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL));
    CHECK_EQ("past read", read(fd, &v, 8), 8);
    CHECK_EQ("past: one expiration", (long)v, 1);
    close(fd);
    fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    clock_gettime(CLOCK_MONOTONIC, &now);
    t.it_value = now;
    CHECK_OK("settime abstime monotonic now", timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL));
    CHECK_EQ("expired at once", read(fd, &v, 8), 8);
    close(fd);
}

static void test_epoll(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 77 }, out;
    CHECK_OK("epoll add timerfd", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    CHECK_EQ("epoll not ready", epoll_wait(ep, &out, 1, 0), 0);
    struct itimerspec t = its(40, 0);
    timerfd_settime(fd, 0, &t, NULL);
    CHECK_EQ("epoll wakes on expiry", epoll_wait(ep, &out, 1, 2000), 1);
    CHECK_EQ("epoll data", (long)out.data.u64, 77);
    uint64_t v;
    CHECK_EQ("read", read(fd, &v, 8), 8);
    CHECK_EQ("epoll not ready after read", epoll_wait(ep, &out, 1, 0), 0);
    close(ep);
    close(fd);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_timerfd");
    test_create();
    test_errors();
    test_oneshot();
    test_blocking_periodic();
    test_abstime();
    test_epoll();
    kt_finish();
}
