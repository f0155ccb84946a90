/* t_mm: brk, mmap (anonymous private/shared, shared across fork, file-backed private/shared,
 * MAP_FIXED, MAP_FIXED_NOREPLACE), munmap, mprotect (SIGSEGV on write to read-only), mremap,
 * madvise(MADV_DONTNEED) zeroing, msync; with their EINVAL/ENOMEM/EBADF/EACCES/EEXIST cases. */
#include "kt.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static long pg;
static sigjmp_buf jump;
static volatile sig_atomic_t got_sig;
static void *volatile fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(jump, 1);
}

/* Try to write one byte at p; return the signal it raised (0 if none). */
static int try_write(volatile char *p)
{
    got_sig = 0;
    if (sigsetjmp(jump, 1) == 0)
        *p = 'w';
    return got_sig;
}

static int try_read(volatile char *p)
{
    got_sig = 0;
    if (sigsetjmp(jump, 1) == 0)
        (void)*p;
    return got_sig;
}

static void test_brk(void)
{
    char *cur = (char *)syscall(SYS_brk, 0);
    CHECK("brk(0) returns current break", cur != NULL && cur != (char *)-1);
    char *want = cur + 16 * pg;
    char *got = (char *)syscall(SYS_brk, want);
    CHECK("brk grows", got == want);
    memset(cur, 0x5a, 16 * pg);
    CHECK("grown heap is writable", cur[16 * pg - 1] == 0x5a);
    got = (char *)syscall(SYS_brk, cur + pg);
    CHECK("brk shrinks", got == cur + pg);
    CHECK_EQ("brk shrink unmapped the tail", try_read(cur + 2 * pg), SIGSEGV);
    got = (char *)syscall(SYS_brk, (void *)0x1000);
    CHECK("brk below start fails by returning the old break", got == cur + pg);
    got = (char *)syscall(SYS_brk, (void *)0x7ffffffff000UL);
    CHECK("brk into the stack region fails by returning the old break", got == cur + pg);
    got = (char *)syscall(SYS_brk, cur + 2 * pg);
    CHECK("brk regrows", got == cur + 2 * pg);
    CHECK("regrown heap is zeroed", cur[pg + 5] == 0);
    syscall(SYS_brk, cur);
}

static void test_anon(void)
{
    char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap anonymous private", p != MAP_FAILED);
    CHECK("mmap page aligned", ((uintptr_t)p & (pg - 1)) == 0);
    CHECK("anonymous memory is zeroed", p[0] == 0 && p[4 * pg - 1] == 0);
    memset(p, 7, 4 * pg);
    pid_t pid = fork();
    if (pid == 0) {
        p[0] = 9;
        _exit(p[1] == 7 ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK("private mapping copied into child", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ("private mapping: child's write invisible", p[0], 7);
    CHECK_EQ("munmap", munmap(p + pg, pg), 0);
    CHECK_EQ("access to unmapped hole -> SIGSEGV", try_read(p + pg), SIGSEGV);
    CHECK("SIGSEGV address is the hole", fault_addr == p + pg && fault_code == SEGV_MAPERR);
    CHECK_EQ("pages around the hole still mapped", p[0] + p[2 * pg], 14);
    CHECK_EQ("munmap across a hole", munmap(p, 4 * pg), 0);
    CHECK_EQ("munmap unmapped range is ok", munmap(p, 4 * pg), 0);

    int *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap anonymous shared", s != MAP_FAILED);
    s[0] = 1;
    pid = fork();
    if (pid == 0) {
        s[0] = 42;
        s[1] = s[0] + 1;
        _exit(0);
    }
    waitpid(pid, &status, 0);
    CHECK("shared mapping: child's writes visible", s[0] == 42 && s[1] == 43);
    munmap(s, pg);

    CHECK_ERR("mmap length 0 -> EINVAL", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    CHECK_ERR("mmap neither PRIVATE nor SHARED -> EINVAL", mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
    CHECK_ERR("mmap MAP_FIXED unaligned -> EINVAL", mmap((void *)(0x10000000UL + 1), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    CHECK_ERR("mmap huge length -> ENOMEM", mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    CHECK_ERR("mmap bad fd -> EBADF", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
    CHECK_ERR("munmap unaligned -> EINVAL", munmap((void *)(0x10000000UL + 1), pg), EINVAL);
    CHECK_ERR("munmap length 0 -> EINVAL", munmap((void *)0x10000000UL, 0), EINVAL);
    CHECK_ERR("munmap kernel address -> EINVAL", munmap(KT_BADPTR, pg), EINVAL);
    /* an address hint that is free is honoured as a hint (without MAP_FIXED) */
    char *h = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap PROT_READ only", h != MAP_FAILED);
    CHECK_EQ("write to PROT_READ mapping -> SIGSEGV", try_write(h), SIGSEGV);
    CHECK_EQ("SIGSEGV si_code SEGV_ACCERR", fault_code, SEGV_ACCERR);
    munmap(h, pg);
    char *n = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_EQ("read PROT_NONE -> SIGSEGV", try_read(n), SIGSEGV);
    munmap(n, pg);
}

static void test_fixed(void)
{
    char *base = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(base, 1, 3 * pg);
    char *f = mmap(base + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK("MAP_FIXED maps at the address", f == base + pg);
    CHECK("MAP_FIXED replaced old contents with zeros", f[0] == 0 && base[0] == 1 && base[2 * pg] == 1);
    char *nr = mmap(base + pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK("MAP_FIXED_NOREPLACE over a mapping -> EEXIST", nr == MAP_FAILED && errno == EEXIST);
    munmap(base + pg, pg);
    nr = mmap(base + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK("MAP_FIXED_NOREPLACE into a hole", nr == base + pg);
    munmap(base, 3 * pg);
    char *hint = mmap(base, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("free hint address honoured", hint == base);
    munmap(hint, pg);
}

static void test_file(void)
{
    /* two pages, whatever the page size (4 KiB here, 16 KiB on some loongarch64 kernels) */
    size_t len = 2 * (size_t)pg;
    char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)('a' + i % 26);
    kt_write_file("map.bin", data, len);
    int fd = open("map.bin", O_RDWR);
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK("mmap file private", p != MAP_FAILED);
    CHECK("file mapping shows file data", memcmp(p, data, len) == 0);
    p[0] = 'X';
    char b;
    pread(fd, &b, 1, 0);
    CHECK_EQ("private file mapping writes stay private", b, 'a');
    munmap(p, len);
    p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, pg);
    CHECK("mmap file with page offset", p != MAP_FAILED && p[0] == data[pg]);
    munmap(p, pg);
    /* raw: both libcs reject an unaligned offset before the kernel sees it */
    CHECK_ERR("mmap unaligned offset -> EINVAL", syscall(SYS_mmap, NULL, pg, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);

    char *s = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK("mmap file shared", s != MAP_FAILED);
    s[1] = 'Y';
    pread(fd, &b, 1, 1);
    CHECK_EQ("shared file mapping writes reach the file", b, 'Y');
    pwrite(fd, "Z", 1, 2);
    CHECK_EQ("file writes reach a shared mapping", s[2], 'Z');
    CHECK_EQ("msync MS_SYNC", msync(s, len, MS_SYNC), 0);
    CHECK_ERR("msync bad flags -> EINVAL", msync(s, len, MS_SYNC | MS_ASYNC), EINVAL);
    CHECK_ERR("msync unaligned -> EINVAL", msync(s + 1, 100, MS_SYNC), EINVAL);
    munmap(s, len);

    /* a mapping beyond EOF: the partial page is zero-filled, whole pages past EOF SIGBUS */
    ftruncate(fd, 100);
    p = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK("map 2 pages of a 100-byte file", p != MAP_FAILED && p[0] == 'a' && p[100] == 0 && p[pg - 1] == 0);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, &old);
    CHECK_EQ("access past EOF page -> SIGBUS", try_read(p + pg), SIGBUS);
    sigaction(SIGBUS, &old, NULL);
    munmap(p, 2 * pg);
    close(fd);

    fd = open("map.bin", O_RDONLY);
    CHECK_ERR("MAP_SHARED PROT_WRITE on O_RDONLY fd -> EACCES", mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
    p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK("MAP_PRIVATE PROT_WRITE on O_RDONLY fd is fine", p != MAP_FAILED);
    munmap(p, pg);
    close(fd);
    fd = open("map.bin", O_WRONLY);
    CHECK_ERR("mmap write-only fd -> EACCES", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0), EACCES);
    close(fd);
    int dfd = open(".", O_RDONLY);
    CHECK_ERR("mmap a directory -> ENODEV", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, dfd, 0), ENODEV);
    close(dfd);
    int pp[2];
    pipe(pp);
    CHECK_ERR("mmap a pipe -> ENODEV", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, pp[0], 0), ENODEV);
    close(pp[0]);
    close(pp[1]);
    free(data);
}

static void test_mprotect(void)
{
    char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 1;
    CHECK_EQ("mprotect PROT_READ", mprotect(p, pg, PROT_READ), 0);
    CHECK_EQ("read still works", try_read(p), 0);
    CHECK_EQ("write to read-only page -> SIGSEGV", try_write(p), SIGSEGV);
    CHECK("SIGSEGV on read-only: address and SEGV_ACCERR", fault_addr == p && fault_code == SEGV_ACCERR);
    CHECK_EQ("neighbour page still writable", try_write(p + pg), 0);
    CHECK_EQ("mprotect back to RW", mprotect(p, pg, PROT_READ | PROT_WRITE), 0);
    CHECK_EQ("write after restoring", try_write(p), 0);
    CHECK_EQ("mprotect PROT_NONE", mprotect(p, 2 * pg, PROT_NONE), 0);
    CHECK_EQ("read PROT_NONE -> SIGSEGV", try_read(p + pg), SIGSEGV);
    /* raw: musl's mprotect() rounds the address down itself */
    CHECK_ERR("mprotect unaligned -> EINVAL", syscall(SYS_mprotect, p + 1, pg, PROT_READ), EINVAL);
    CHECK_ERR("mprotect bad prot bits -> EINVAL", mprotect(p, pg, 0x1000), EINVAL);
    munmap(p, 2 * pg);
    CHECK_ERR("mprotect unmapped -> ENOMEM", mprotect(p, pg, PROT_READ), ENOMEM);
}

static void test_mremap(void)
{
    char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 3, 2 * pg);
    /* a guard mapping right after p so that growing in place is impossible */
    char *guard = mmap(p + 2 * pg, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    int have_guard = guard == p + 2 * pg;
    if (have_guard)
        CHECK_ERR("mremap grow in place blocked -> ENOMEM", mremap(p, 2 * pg, 4 * pg, 0), ENOMEM);
    else
        SKIP("mremap grow in place blocked -> ENOMEM", "could not place guard page");
    char *q = mremap(p, 2 * pg, 8 * pg, MREMAP_MAYMOVE);
    CHECK("mremap MAYMOVE grows", q != MAP_FAILED);
    CHECK("mremap keeps contents", q[0] == 3 && q[2 * pg - 1] == 3);
    CHECK("mremap new part zeroed", q[8 * pg - 1] == 0);
    char *r = mremap(q, 8 * pg, pg, 0);
    CHECK("mremap shrink in place", r == q);
    CHECK_EQ("shrunk tail unmapped", try_read(q + 2 * pg), SIGSEGV);
    CHECK_ERR("mremap bad flags -> EINVAL", mremap(r, pg, 2 * pg, 0x80), EINVAL);
    CHECK_ERR("mremap FIXED without MAYMOVE -> EINVAL", syscall(SYS_mremap, r, pg, pg, MREMAP_FIXED, (void *)0x20000000UL), EINVAL);
    CHECK_ERR("mremap unaligned -> EINVAL", mremap(r + 1, pg, 2 * pg, MREMAP_MAYMOVE), EINVAL);
    CHECK_ERR("mremap new size 0 -> EINVAL", mremap(r, pg, 0, MREMAP_MAYMOVE), EINVAL);
    char *dst = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *m = (char *)syscall(SYS_mremap, r, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    CHECK("mremap MAYMOVE|FIXED moves to the target", m == dst && m[0] == 3);
    CHECK_EQ("old address unmapped after move", try_read(r), SIGSEGV);
    munmap(m, pg);
    if (have_guard)
        munmap(guard, pg);
    CHECK_ERR("mremap unmapped -> EFAULT", mremap(r, pg, 2 * pg, MREMAP_MAYMOVE), EFAULT);
}

static void test_madvise(void)
{
    char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 0x11, 2 * pg);
    CHECK_EQ("madvise MADV_DONTNEED", madvise(p, pg, MADV_DONTNEED), 0);
    CHECK("MADV_DONTNEED zeroes private anonymous pages", p[0] == 0 && p[pg - 1] == 0);
    CHECK_EQ("page outside range kept", p[pg], 0x11);
    CHECK_EQ("madvise MADV_NORMAL", madvise(p, 2 * pg, MADV_NORMAL), 0);
    CHECK_EQ("madvise MADV_WILLNEED", madvise(p, 2 * pg, MADV_WILLNEED), 0);
    CHECK_ERR("madvise bad advice -> EINVAL", madvise(p, pg, 12345), EINVAL);
    CHECK_ERR("madvise unaligned -> EINVAL", madvise(p + 1, pg, MADV_NORMAL), EINVAL);
    int *sh = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sh[0] = 5;
    madvise(sh, pg, MADV_DONTNEED);
    CHECK_EQ("MADV_DONTNEED keeps shared anonymous contents", sh[0], 5);
    munmap(sh, pg);
    munmap(p, 2 * pg);
    CHECK_ERR("madvise unmapped -> ENOMEM", madvise(p, pg, MADV_NORMAL), ENOMEM);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_mm");
    pg = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    test_brk();
    test_anon();
    test_fixed();
    test_file();
    test_mprotect();
    test_mremap();
    test_madvise();
    kt_finish();
}
