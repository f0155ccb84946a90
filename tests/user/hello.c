/*
 * The first user program (tests/boot/test_user_hello.py): print "hello from user space" and
 * exit with status 3.  Before that it checks what the kernel handed it and a few syscall error
 * cases, printing "check failed: ..." for each problem (the test asserts there is none) and
 * "checks passed" otherwise.  It also passes on the host's Linux (musl and glibc builds).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void say(const char *s)
{
    write(1, s, strlen(s));
}

static void check(int ok, const char *what)
{
    if (!ok) {
        say("check failed: ");
        say(what);
        say("\n");
        failures++;
    }
}

int main(int argc, char **argv)
{
    static const char msg[] = "hello from user space\n";
    struct utsname u;
    struct timespec ts;
    const unsigned char *rnd;
    long r;

    check(argc >= 1 && argv[0] != 0 && argv[argc] == 0, "argc/argv");
    check(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ");
    check(getauxval(AT_PHDR) != 0 && getauxval(AT_PHNUM) != 0 && getauxval(AT_PHENT) == 56, "AT_PHDR");
    check(getauxval(AT_ENTRY) != 0, "AT_ENTRY");
    check(getauxval(AT_CLKTCK) == 100, "AT_CLKTCK");
    rnd = (const unsigned char *)getauxval(AT_RANDOM);
    check(rnd != 0, "AT_RANDOM");
    check(((uintptr_t)__builtin_frame_address(0) & 7) == 0, "stack alignment");
    check(uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0 && strcmp(u.machine, "x86_64") == 0, "uname");
    check(clock_gettime(CLOCK_MONOTONIC, &ts) == 0 && ts.tv_nsec < 1000000000L, "clock_gettime");
    check(clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec > 1600000000L, "CLOCK_REALTIME");
    r = syscall(SYS_write, 1, (void *)16, 4);
    check(r == -1 && errno == EFAULT, "write EFAULT");
    r = syscall(SYS_write, 99, msg, 1);
    check(r == -1 && errno == EBADF, "write EBADF");
    r = syscall(SYS_clock_gettime, 12345, &ts);
    check(r == -1 && errno == EINVAL, "clock_gettime EINVAL");
    r = syscall(SYS_getpid);
    check(r > 0, "getpid");
    /* Spin for 30 ms in user mode: timer interrupts arrive at CPL 3 (the TSS RSP0 path). */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) {
        struct timespec now;
        long long start = ts.tv_sec * 1000000000LL + ts.tv_nsec, t = start;
        while (t - start < 30000000LL && clock_gettime(CLOCK_MONOTONIC, &now) == 0)
            t = now.tv_sec * 1000000000LL + now.tv_nsec;
        check(t - start >= 30000000LL, "monotonic clock advances");
    }
    if (failures == 0)
        say("checks passed\n");
    write(1, msg, strlen(msg));
    return 3;
}
