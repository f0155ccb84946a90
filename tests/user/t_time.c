/* t_time: clock_gettime (MONOTONIC, REALTIME, BOOTTIME, *_COARSE, CPU clocks),
 * clock_getres, gettimeofday, time, nanosleep, clock_nanosleep (relative, TIMER_ABSTIME),
 * and EINVAL/EFAULT for bad clock ids, bad nanoseconds, negative times and bad pointers. */
#include "kt.h"
#include <sys/time.h>

static long long ns_of(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

static long long mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return ns_of(t);
}

static void test_clocks(void)
{
    struct timespec a, b;
    CHECK_EQ("clock_gettime MONOTONIC", clock_gettime(CLOCK_MONOTONIC, &a), 0);
    CHECK("MONOTONIC nsec in range", a.tv_nsec >= 0 && a.tv_nsec < 1000000000);
    int mono_ok = 1;
    for (int i = 0; i < 1000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        mono_ok &= ns_of(b) >= ns_of(a);
        a = b;
    }
    CHECK("MONOTONIC never goes backwards", mono_ok);
    CHECK_EQ("raw clock_gettime MONOTONIC", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b), 0);
    CHECK("raw and libc MONOTONIC agree", ns_of(b) >= ns_of(a) && ns_of(b) - ns_of(a) < 1000000000LL);
    CHECK_EQ("clock_gettime REALTIME", clock_gettime(CLOCK_REALTIME, &a), 0);
    CHECK("REALTIME after 2020", a.tv_sec > 1577836800);
    time_t t1 = time(NULL);
    CHECK("time() close to REALTIME", t1 >= a.tv_sec && t1 - a.tv_sec <= 2);
    time_t t2 = 0;
    CHECK("time(&t) stores too", time(&t2) == t2 && t2 >= t1);
#ifdef SYS_time
    CHECK("raw SYS_time", labs((long)syscall(SYS_time, NULL) - (long)t1) <= 2);
#endif
    struct timeval tv;
    CHECK_EQ("gettimeofday", gettimeofday(&tv, NULL), 0);
    CHECK("gettimeofday close to REALTIME", tv.tv_sec >= a.tv_sec && tv.tv_sec - a.tv_sec <= 2 && tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    CHECK_EQ("raw gettimeofday", syscall(SYS_gettimeofday, &tv, NULL), 0);
    CHECK_EQ("clock_gettime BOOTTIME", clock_gettime(CLOCK_BOOTTIME, &b), 0);
    CHECK_EQ("clock_gettime MONOTONIC_COARSE", clock_gettime(CLOCK_MONOTONIC_COARSE, &b), 0);
    CHECK_EQ("clock_gettime REALTIME_COARSE", clock_gettime(CLOCK_REALTIME_COARSE, &b), 0);
    CHECK_EQ("clock_gettime MONOTONIC_RAW", clock_gettime(CLOCK_MONOTONIC_RAW, &b), 0);
    CHECK_EQ("clock_gettime PROCESS_CPUTIME_ID", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b), 0);
    CHECK_EQ("clock_gettime THREAD_CPUTIME_ID", clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b), 0);
    CHECK("CPU time is small", b.tv_sec < 5);
    CHECK_EQ("clock_getres MONOTONIC", clock_getres(CLOCK_MONOTONIC, &b), 0);
    CHECK("MONOTONIC resolution <= 1ms", b.tv_sec == 0 && b.tv_nsec > 0 && b.tv_nsec <= 1000000);
    /* raw syscalls: the vDSO paths of the libcs would crash on a bad pointer */
    CHECK_ERR("clock_gettime bad clock -> EINVAL", syscall(SYS_clock_gettime, 12345, &b), EINVAL);
    CHECK_ERR("clock_gettime negative clock -> EINVAL", syscall(SYS_clock_gettime, -100, &b), EINVAL);
    CHECK_ERR("clock_gettime bad pointer -> EFAULT", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, KT_BADPTR), EFAULT);
    CHECK_ERR("clock_getres bad clock -> EINVAL", syscall(SYS_clock_getres, 12345, &b), EINVAL);
    CHECK_ERR("gettimeofday bad pointer -> EFAULT", syscall(SYS_gettimeofday, KT_BADPTR, NULL), EFAULT);
#ifdef SYS_time
    CHECK_ERR("time bad pointer -> EFAULT", syscall(SYS_time, KT_BADPTR), EFAULT);
#endif
}

static void test_sleep(void)
{
    long long t0 = mono_ns();
    struct timespec req = {0, 20 * 1000 * 1000}, rem = {9, 9};
    CHECK_EQ("nanosleep 20ms", nanosleep(&req, &rem), 0);
    long long dt = mono_ns() - t0;
    CHECK("nanosleep slept at least 20ms", dt >= 20000000LL);
    CHECK("nanosleep not absurdly long", dt < 2000000000LL);
    struct timespec zero = {0, 0};
    CHECK_EQ("nanosleep zero", nanosleep(&zero, NULL), 0);
    struct timespec bad = {0, 1000000000};
    CHECK_ERR("nanosleep nsec >= 1e9 -> EINVAL", nanosleep(&bad, NULL), EINVAL);
    struct timespec neg = {0, -1};
    CHECK_ERR("nanosleep negative nsec -> EINVAL", nanosleep(&neg, NULL), EINVAL);
    struct timespec negs = {-1, 0};
    CHECK_ERR("nanosleep negative sec -> EINVAL", nanosleep(&negs, NULL), EINVAL);
    CHECK_ERR("nanosleep bad pointer -> EFAULT", syscall(SYS_nanosleep, KT_BADPTR, NULL), EFAULT);

    /* clock_nanosleep returns the error number instead of setting errno */
    t0 = mono_ns();
    req.tv_nsec = 10 * 1000 * 1000;
    CHECK_RC("clock_nanosleep relative 10ms", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), 0);
    CHECK("clock_nanosleep slept >= 10ms", mono_ns() - t0 >= 10000000LL);
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 15 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    CHECK_RC("clock_nanosleep TIMER_ABSTIME", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL), 0);
    CHECK("TIMER_ABSTIME reached the deadline", mono_ns() >= ns_of(abs));
    struct timespec past = {1, 0};
    CHECK_RC("TIMER_ABSTIME in the past returns at once", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0);
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 5 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    CHECK_RC("clock_nanosleep REALTIME TIMER_ABSTIME", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL), 0);
    CHECK_ERR("clock_nanosleep bad clock -> EINVAL", syscall(SYS_clock_nanosleep, 12345, 0, &req, NULL), EINVAL);
    CHECK_ERR("clock_nanosleep bad nsec -> EINVAL", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL);
    CHECK_ERR("clock_nanosleep negative sec -> EINVAL", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &negs, NULL), EINVAL);
    CHECK_ERR("clock_nanosleep bad pointer -> EFAULT", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, KT_BADPTR, NULL), EFAULT);
    CHECK_ERR("clock_nanosleep THREAD_CPUTIME -> EOPNOTSUPP", syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL), EOPNOTSUPP);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_time");
    test_clocks();
    test_sleep();
    kt_finish();
}
