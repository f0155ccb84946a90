/* t_thread: clone with CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|
 * CHILD_CLEARTID (through pthreads and through a raw libc clone()), thread-local storage,
 * tgkill to a thread, exit_group from a thread, set_robust_list (its list walked at thread
 * exit), futex WAIT/WAKE/timeouts/WAIT_BITSET/REQUEUE/CMP_REQUEUE and their errors, a futex mutex + condvar of our own
 * under contention, and arch_prctl ARCH_SET_FS/ARCH_GET_FS on x86_64. */
#include "kt.h"
#include <linux/futex.h>
#include <stddef.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#if defined(__x86_64__)
#include <asm/prctl.h>
#endif

static long futex(atomic_int *uaddr, int op, int val, const struct timespec *ts, atomic_int *uaddr2, int val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static long gettid_(void) { return syscall(SYS_gettid); }

/* ---- a mutex and condition variable built directly on futex ---- */
/* mutex word: 0 unlocked, 1 locked, 2 locked with (possible) waiters */
static void kmutex_lock_contended(atomic_int *m)
{
    while (atomic_exchange(m, 2) != 0)
        futex(m, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
}

static void kmutex_lock(atomic_int *m)
{
    int c = 0;
    if (atomic_compare_exchange_strong(m, &c, 1))
        return;
    kmutex_lock_contended(m);
}

static void kmutex_unlock(atomic_int *m)
{
    if (atomic_fetch_sub(m, 1) != 1) {
        atomic_store(m, 0);
        futex(m, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
}

struct kcond { atomic_int seq; };

static void kcond_wait(struct kcond *c, atomic_int *m)
{
    int s = atomic_load(&c->seq);
    kmutex_unlock(m);
    futex(&c->seq, FUTEX_WAIT_PRIVATE, s, NULL, NULL, 0);
    /* we may have been requeued onto the mutex: relock as "contended" so that the
     * unlocker always wakes the next requeued waiter */
    kmutex_lock_contended(m);
}

static void kcond_signal(struct kcond *c)
{
    atomic_fetch_add(&c->seq, 1);
    futex(&c->seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* broadcast: wake one waiter, move the rest onto the mutex (FUTEX_REQUEUE) */
static void kcond_broadcast(struct kcond *c, atomic_int *m)
{
    atomic_fetch_add(&c->seq, 1);
    futex(&c->seq, FUTEX_REQUEUE_PRIVATE, 1, (const struct timespec *)(uintptr_t)INT_MAX, m, 0);
}

static atomic_int mtx;
static long counter;
static struct kcond cv;
static int slot_full, slot_val, produced_sum, consumed_sum;
static atomic_int gate_open;

#define NTHREADS 4
#define NITER 20000

static void *counter_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < NITER; i++) {
        kmutex_lock(&mtx);
        counter++;
        kmutex_unlock(&mtx);
    }
    return NULL;
}

static void *consumer_thread(void *arg)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++) {
        kmutex_lock(&mtx);
        while (!slot_full)
            kcond_wait(&cv, &mtx);
        consumed_sum += slot_val;
        slot_full = 0;
        kcond_broadcast(&cv, &mtx);
        kmutex_unlock(&mtx);
    }
    return NULL;
}

static void *gate_thread(void *arg)
{
    (void)arg;
    kmutex_lock(&mtx);
    while (!atomic_load(&gate_open))
        kcond_wait(&cv, &mtx);
    counter++;
    kmutex_unlock(&mtx);
    return NULL;
}

static void test_futex_sync(void)
{
    pthread_t t[NTHREADS];
    counter = 0;
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, counter_thread, NULL);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ("futex mutex: no lost increments", counter, (long)NTHREADS * NITER);
    CHECK_EQ("futex mutex unlocked at the end", atomic_load(&mtx), 0);

    /* producer/consumer through a one-item slot */
    int n = 2000;
    pthread_t c;
    pthread_create(&c, NULL, consumer_thread, &n);
    for (int i = 1; i <= n; i++) {
        kmutex_lock(&mtx);
        while (slot_full)
            kcond_wait(&cv, &mtx);
        slot_val = i;
        produced_sum += i;
        slot_full = 1;
        kcond_signal(&cv);
        kmutex_unlock(&mtx);
    }
    pthread_join(c, NULL);
    CHECK_EQ("condvar producer/consumer sums match", consumed_sum, produced_sum);

    /* broadcast (wake 1 + REQUEUE the rest onto the mutex) releases every waiter */
    counter = 0;
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, gate_thread, NULL);
    struct timespec d = {0, 5 * 1000 * 1000};
    nanosleep(&d, NULL);
    kmutex_lock(&mtx);
    atomic_store(&gate_open, 1);
    kcond_broadcast(&cv, &mtx);
    kmutex_unlock(&mtx);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ("condvar broadcast with requeue wakes all", counter, NTHREADS);
}

/* ---- raw futex semantics ---- */
static atomic_int fw1, fw2, requeue_done;

static void *waiter_thread(void *arg)
{
    (void)arg;
    while (atomic_load(&requeue_done) == 0)
        futex(&fw1, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

static void test_futex_raw(void)
{
    atomic_int w = 5;
    CHECK_ERR("FUTEX_WAIT value mismatch -> EAGAIN", futex(&w, FUTEX_WAIT, 4, NULL, NULL, 0), EAGAIN);
    struct timespec ts = {0, 10 * 1000 * 1000};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_ERR("FUTEX_WAIT timeout -> ETIMEDOUT", futex(&w, FUTEX_WAIT, 5, &ts, NULL, 0), ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long el = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    CHECK("FUTEX_WAIT waited the timeout", el >= 10000000LL);
    CHECK_ERR("FUTEX_WAIT_PRIVATE timeout -> ETIMEDOUT", futex(&w, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0), ETIMEDOUT);
    CHECK_EQ("FUTEX_WAKE with no waiters", futex(&w, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 5 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    CHECK_ERR("FUTEX_WAIT_BITSET absolute timeout -> ETIMEDOUT", futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    CHECK_ERR("FUTEX_WAIT_BITSET bitset 0 -> EINVAL", futex(&w, FUTEX_WAIT_BITSET, 5, NULL, NULL, 0), EINVAL);
    struct timespec bad = {0, 1000000000};
    CHECK_ERR("FUTEX_WAIT bad timeout -> EINVAL", futex(&w, FUTEX_WAIT, 5, &bad, NULL, 0), EINVAL);
    struct timespec neg = {-1, 0};
    CHECK_ERR("FUTEX_WAIT negative timeout -> EINVAL", futex(&w, FUTEX_WAIT, 5, &neg, NULL, 0), EINVAL);
    CHECK_ERR("FUTEX_WAIT bad address -> EFAULT", futex((atomic_int *)KT_BADPTR, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
    CHECK_ERR("FUTEX_WAIT unaligned -> EINVAL", futex((atomic_int *)((char *)&w + 1), FUTEX_WAIT, 0, NULL, NULL, 0), EINVAL);
    CHECK_ERR("futex unknown op -> ENOSYS", futex(&w, 99, 0, NULL, NULL, 0), ENOSYS);
    CHECK_ERR("FUTEX_CMP_REQUEUE value mismatch -> EAGAIN", futex(&w, FUTEX_CMP_REQUEUE, 1, (const struct timespec *)1, &fw2, 4), EAGAIN);
    CHECK_ERR("FUTEX_CMP_REQUEUE negative count -> EINVAL", futex(&w, FUTEX_CMP_REQUEUE, -1, (const struct timespec *)1, &fw2, 5), EINVAL);

    /* two waiters on fw1 are requeued (not woken) onto fw2, then woken from fw2 */
    pthread_t a, b;
    pthread_create(&a, NULL, waiter_thread, NULL);
    pthread_create(&b, NULL, waiter_thread, NULL);
    long moved = 0;
    for (int tries = 0; tries < 5000 && moved < 2; tries++) {
        long r = futex(&fw1, FUTEX_CMP_REQUEUE_PRIVATE, 0, (const struct timespec *)(uintptr_t)INT_MAX, &fw2, 0);
        if (r > 0)
            moved += r;
        else {
            struct timespec d = {0, 200 * 1000};
            nanosleep(&d, NULL);
        }
    }
    CHECK_EQ("FUTEX_CMP_REQUEUE moved both waiters", moved, 2);
    atomic_store(&requeue_done, 1);
    long woke = 0;
    for (int tries = 0; tries < 100 && woke < 2; tries++)
        woke += futex(&fw2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    CHECK_EQ("FUTEX_WAKE on the requeue target wakes both", woke, 2);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    CHECK_EQ("FUTEX_REQUEUE with nobody waiting", futex(&fw1, FUTEX_REQUEUE_PRIVATE, 1, (const struct timespec *)1, &fw2, 0), 0);
}

/* ---- what clone shares ---- */
static __thread int tls_var = 11;
static atomic_long thread_tid;
static int thread_fd = -1;
static volatile sig_atomic_t sig_tid;
static atomic_int thread_go, thread_ready;

static void on_usr1(int sig) { (void)sig; sig_tid = (sig_atomic_t)gettid_(); }

static void *sharing_thread(void *arg)
{
    (void)arg;
    atomic_store(&thread_tid, gettid_());
    tls_var = 22; /* our own copy */
    thread_fd = open("from_thread", O_RDWR | O_CREAT, 0644); /* CLONE_FILES */
    umask(0077);                                            /* CLONE_FS */
    signal(SIGUSR1, on_usr1);                               /* CLONE_SIGHAND */
    atomic_store(&thread_ready, 1);
    while (!atomic_load(&thread_go))
        sched_yield();
    return (void *)(intptr_t)(getpid() * 0 + tls_var);
}

static void test_sharing(void)
{
    mode_t old_umask = umask(022);
    pthread_t t;
    CHECK_RC("pthread_create", pthread_create(&t, NULL, sharing_thread, NULL), 0);
    while (!atomic_load(&thread_ready))
        sched_yield();
    long tid = atomic_load(&thread_tid);
    CHECK("thread has its own tid", tid > 0 && tid != gettid_());
    CHECK_EQ("CLONE_THREAD: same tgid", syscall(SYS_getpid), getpid());
    CHECK_EQ("thread-local storage is per thread", tls_var, 11);
    CHECK("CLONE_FILES: fd opened by thread usable here", fcntl(thread_fd, F_GETFD) >= 0);
    mode_t m = umask(0022);
    CHECK_EQ("CLONE_FS: umask set by thread", m, 0077);
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    CHECK("CLONE_SIGHAND: handler set by thread", sa.sa_handler == on_usr1);
    sig_tid = 0;
    CHECK_EQ("tgkill to the thread", syscall(SYS_tgkill, getpid(), tid, SIGUSR1), 0);
    for (int i = 0; i < 100000 && !sig_tid; i++)
        sched_yield();
    CHECK_EQ("signal handled on the target thread", sig_tid, tid);
    atomic_store(&thread_go, 1);
    void *ret;
    CHECK_RC("pthread_join (CHILD_CLEARTID + futex wake)", pthread_join(t, &ret), 0);
    CHECK_EQ("thread return value", (intptr_t)ret, 22);
    /* the join can return (CHILD_CLEARTID fires) a moment before the task is gone */
    long r = 0;
    int e = 0;
    for (int i = 0; i < 2000 && (r = syscall(SYS_tgkill, getpid(), tid, 0)) == 0; i++) {
        struct timespec d = {0, 500 * 1000};
        nanosleep(&d, NULL);
    }
    e = errno;
    CHECK_ERR("tgkill exited thread -> ESRCH", (errno = e, r), ESRCH);
    close(thread_fd);
    signal(SIGUSR1, SIG_DFL);
    umask(old_umask);
}

/* Raw clone, not the libc clone() wrapper: musl's wrapper refuses CLONE_THREAD. */
static atomic_int raw_ran;

static int raw_child(void *arg)
{
    /* no libc calls here: we share the parent's TLS */
    atomic_store(&raw_ran, *(int *)arg);
    return 0;
}

#if defined(__x86_64__)
static atomic_int raw_ptid, raw_ctid;

/* clone(flags, stack, ptid, ctid, tls=0); the child pops fn and arg from its new stack,
 * calls fn(arg) and exits the thread with SYS_exit(fn's result). */
static long kt_clone(unsigned long flags, void *stack_top, atomic_int *ptid, atomic_int *ctid,
                     int (*fn)(void *), void *arg)
{
    unsigned long *sp = (unsigned long *)stack_top;
    *--sp = (unsigned long)arg;
    *--sp = (unsigned long)fn;
    long ret;
    register long r10 __asm__("r10") = (long)ctid;
    register long r8 __asm__("r8") = 0;
    __asm__ volatile(
        "syscall\n\t"
        "test %%rax, %%rax\n\t"
        "jnz 1f\n\t"
        "xor %%ebp, %%ebp\n\t"
        "pop %%rax\n\t"
        "pop %%rdi\n\t"
        "and $-16, %%rsp\n\t"
        "call *%%rax\n\t"
        "mov %%eax, %%edi\n\t"
        "mov $60, %%eax\n\t"
        "syscall\n\t"
        "hlt\n\t"
        "1:\n\t"
        : "=a"(ret)
        : "a"((long)SYS_clone), "D"(flags), "S"(sp), "d"(ptid), "r"(r10), "r"(r8)
        : "rcx", "r11", "memory");
    return ret;
}
#endif

static void test_raw_clone(void)
{
#if defined(__x86_64__)
    size_t sz = 64 * 1024;
    char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int val = 77;
    atomic_store(&raw_ctid, -1);
    unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                          CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    long tid = kt_clone(flags, stack + sz, &raw_ptid, &raw_ctid, raw_child, &val);
    CHECK("raw clone thread", tid > 0);
    CHECK_EQ("CLONE_PARENT_SETTID stored the tid", atomic_load(&raw_ptid), tid);
    /* CHILD_CLEARTID: the kernel zeroes raw_ctid and futex-wakes it at thread exit */
    int spins = 0, cur;
    while ((cur = atomic_load(&raw_ctid)) != 0 && spins++ < 1000) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        futex(&raw_ctid, FUTEX_WAIT, cur, &ts, NULL, 0);
    }
    CHECK_EQ("CLONE_CHILD_CLEARTID cleared at exit", atomic_load(&raw_ctid), 0);
    CHECK_EQ("clone child ran in shared memory", atomic_load(&raw_ran), 77);
    munmap(stack, sz);
#else
    (void)raw_child;
    SKIP("raw clone thread", "raw clone helper is x86_64 only; pthreads cover clone here");
#endif
    /* fork-like clone: no new stack, the child returns 0 like fork and exits at once */
    long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid == 0)
        syscall(SYS_exit_group, 5);
    int status = -1;
    CHECK("clone(SIGCHLD) acts like fork", pid > 0 && waitpid((pid_t)pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 5);
    CHECK_ERR("clone THREAD without SIGHAND -> EINVAL", syscall(SYS_clone, CLONE_VM | CLONE_THREAD, 0, 0, 0, 0), EINVAL);
    CHECK_ERR("clone SIGHAND without VM -> EINVAL", syscall(SYS_clone, CLONE_SIGHAND, 0, 0, 0, 0), EINVAL);

    /* static: the kernel walks this list when the thread exits */
    static struct { void *next; long off; void *pending; } head = {&head, 0, NULL};
    CHECK_EQ("set_robust_list", syscall(SYS_set_robust_list, &head, sizeof head), 0);
    CHECK_ERR("set_robust_list bad size -> EINVAL", syscall(SYS_set_robust_list, &head, 7), EINVAL);
}

static void *exiter_thread(void *arg)
{
    (void)arg;
    exit(7); /* exit_group: takes the whole process down */
}

static void test_exit_group(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, exiter_thread, NULL);
        for (;;)
            pause();
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK("exit_group from a thread ends the process", WIFEXITED(status) && WEXITSTATUS(status) == 7);
    /* libc pthread mutex/cond on top of futex, for good measure */
    pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
    CHECK_RC("pthread_mutex_lock", pthread_mutex_lock(&pm), 0);
    CHECK_RC("pthread_mutex_trylock busy -> EBUSY", pthread_mutex_trylock(&pm), EBUSY);
    CHECK_RC("pthread_mutex_unlock", pthread_mutex_unlock(&pm), 0);
    pthread_cond_t pc = PTHREAD_COND_INITIALIZER;
    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 5 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    pthread_mutex_lock(&pm);
    CHECK_RC("pthread_cond_timedwait -> ETIMEDOUT", pthread_cond_timedwait(&pc, &pm, &abs), ETIMEDOUT);
    pthread_mutex_unlock(&pm);
}

#if defined(__x86_64__)
/* Raw syscall with no libc involvement (nothing may touch TLS while %fs is swapped). */
static long raw_syscall2(long n, long a, long b)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return ret;
}

static unsigned long read_fs0(void)
{
    unsigned long v;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
    return v;
}

static void *fs_thread(void *arg)
{
    unsigned long fs = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    *(unsigned long *)arg = fs;
    return NULL;
}

static void test_arch_prctl(void)
{
    unsigned long fs = 0;
    CHECK_EQ("ARCH_GET_FS", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
    CHECK("FS base is the thread pointer", fs != 0 && fs == (unsigned long)pthread_self());
    unsigned long other = 0;
    pthread_t t;
    pthread_create(&t, NULL, fs_thread, &other);
    pthread_join(t, NULL);
    CHECK("CLONE_SETTLS: thread has its own FS base", other != 0 && other != fs && other == (unsigned long)t);
    /* swap %fs to a private block whose first word points to itself, read it, swap back */
    static unsigned long block[64];
    block[0] = (unsigned long)block;
    long r1 = raw_syscall2(SYS_arch_prctl, ARCH_SET_FS, (long)block);
    unsigned long seen = read_fs0();
    unsigned long got = 0;
    long r2 = raw_syscall2(SYS_arch_prctl, ARCH_GET_FS, (long)&got);
    long r3 = raw_syscall2(SYS_arch_prctl, ARCH_SET_FS, (long)fs);
    CHECK("ARCH_SET_FS switches %fs", r1 == 0 && seen == (unsigned long)block);
    CHECK("ARCH_GET_FS reads the new base", r2 == 0 && got == (unsigned long)block);
    CHECK_EQ("ARCH_SET_FS restore", r3, 0);
    CHECK_EQ("TLS works after restore", tls_var, 11);
    CHECK_ERR("ARCH_SET_FS non-canonical -> EPERM", syscall(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000UL), EPERM);
    CHECK_ERR("ARCH_GET_FS bad pointer -> EFAULT", syscall(SYS_arch_prctl, ARCH_GET_FS, KT_BADPTR), EFAULT);
    CHECK_ERR("arch_prctl bad code -> EINVAL", syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);
    unsigned long gs = 1;
    CHECK_EQ("ARCH_GET_GS", syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);
}
#endif

/* A robust list of our own (the kernel ABI's layout): the kernel walks it when the thread exits. */
struct kt_robust_entry { void *next; int lock; };
static struct { void *list; long futex_offset; void *pending; } kt_rhead;
static struct kt_robust_entry kt_rent[3];
static int kt_robust_tid;

static void *robust_thread(void *arg)
{
    (void)arg;
    int tid = (int)syscall(SYS_gettid);
    kt_robust_tid = tid;
    kt_rhead.list = &kt_rent[0];
    kt_rhead.futex_offset = (long)offsetof(struct kt_robust_entry, lock);
    kt_rent[0].next = &kt_rent[1];
    kt_rent[1].next = &kt_rhead;
    kt_rent[0].lock = tid | FUTEX_WAITERS;      /* held, with waiters */
    kt_rent[1].lock = tid + 1;                  /* held by someone else: left alone */
    kt_rhead.pending = &kt_rent[2];             /* being locked when the thread died */
    kt_rent[2].lock = tid;
    syscall(SYS_set_robust_list, &kt_rhead, sizeof kt_rhead);
    return NULL;    /* exits holding all three */
}

static void test_robust_list(void)
{
    pthread_t th;
    CHECK_RC("pthread_create (robust list holder)", pthread_create(&th, NULL, robust_thread, NULL), 0);
    CHECK_RC("pthread_join (robust list holder)", pthread_join(th, NULL), 0);
    CHECK_EQ("robust lock with waiters -> OWNER_DIED|WAITERS", (unsigned)kt_rent[0].lock,
             (unsigned)(FUTEX_OWNER_DIED | FUTEX_WAITERS));
    CHECK_EQ("robust lock of another owner untouched", kt_rent[1].lock, kt_robust_tid + 1);
    CHECK_EQ("list_op_pending lock -> OWNER_DIED", (unsigned)kt_rent[2].lock, (unsigned)FUTEX_OWNER_DIED);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_thread");
    test_robust_list();
    test_sharing();
    test_raw_clone();
    test_futex_raw();
    test_futex_sync();
    test_exit_group();
#if defined(__x86_64__)
    test_arch_prctl();
#else
    SKIP("arch_prctl ARCH_SET_FS/ARCH_GET_FS", "x86_64 only");
#endif
    kt_finish();
}
