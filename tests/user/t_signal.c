/* t_signal: rt_sigaction (SA_SIGINFO, SA_RESETHAND, SA_ONSTACK, SA_RESTART), rt_sigprocmask,
 * rt_sigreturn (every handler return), kill/tgkill, rt_sigpending, rt_sigsuspend,
 * rt_sigtimedwait, sigaltstack, pause, alarm/setitimer/getitimer, EINTR vs SA_RESTART on a
 * blocking pipe read, SIGCHLD, SIGSEGV on a NULL write (si_addr), SIGFPE on division by zero. */
#include "kt.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

#define KSIGSET 8 /* the kernel's sigset_t size in bytes on our 64-bit targets */

/* The kernel's struct sigaction layout (for raw rt_sigaction error cases only). */
struct kt_ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

static volatile sig_atomic_t got_sig, got_code, got_pid, handler_blocked, on_altstack;
static volatile sig_atomic_t chld_pid, chld_code, chld_status;
static char *alt_base;
static size_t alt_size;
static sigjmp_buf jump;
static void *volatile fault_addr;
static volatile int fault_code;
static int restart_fd = -1;

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_pid = si->si_pid;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    handler_blocked = sigismember(&cur, sig);
}

static void on_simple(int sig) { got_sig = sig; }

static void on_alt(int sig)
{
    char local;
    got_sig = sig;
    on_altstack = (&local >= alt_base && &local < alt_base + alt_size);
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK))
        on_altstack |= 2;
    /* changing the alternate stack while running on it must fail with EPERM */
    stack_t ns = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
    if (sigaltstack(&ns, NULL) == -1 && errno == EPERM)
        on_altstack |= 4;
}

static void on_alarm_write(int sig)
{
    got_sig = sig;
    if (restart_fd >= 0)
        write(restart_fd, "!", 1); /* lets a restarted read complete */
}

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    chld_pid = si->si_pid;
    chld_code = si->si_code;
    chld_status = si->si_status;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(jump, 1);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void install_simple(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void timer_ms(long ms)
{
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void test_sigaction(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ("sigaction install", sigaction(SIGUSR1, &sa, &old), 0);
    CHECK("initial disposition is SIG_DFL", old.sa_handler == SIG_DFL);
    CHECK_EQ("sigaction query", sigaction(SIGUSR1, NULL, &old), 0);
    CHECK("query returns our handler", old.sa_sigaction == on_info && (old.sa_flags & SA_SIGINFO));
    got_sig = 0;
    CHECK_EQ("kill self", kill(getpid(), SIGUSR1), 0);
    CHECK_EQ("handler ran for kill", got_sig, SIGUSR1);
    CHECK_EQ("kill si_code SI_USER", got_code, SI_USER);
    CHECK_EQ("kill si_pid is sender", got_pid, getpid());
    CHECK_EQ("signal blocked inside its handler", handler_blocked, 1);
    got_sig = 0;
    CHECK_EQ("tgkill self", syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1), 0);
    CHECK("tgkill delivers with SI_TKILL", got_sig == SIGUSR1 && got_code == SI_TKILL);
    CHECK_ERR("sigaction SIGKILL -> EINVAL", sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_ERR("sigaction SIGSTOP -> EINVAL", sigaction(SIGSTOP, &sa, NULL), EINVAL);
    CHECK_EQ("query SIGKILL allowed", sigaction(SIGKILL, NULL, &old), 0);
    CHECK_ERR("rt_sigaction signal 0 -> EINVAL", syscall(SYS_rt_sigaction, 0, NULL, NULL, KSIGSET), EINVAL);
    CHECK_ERR("rt_sigaction signal 65 -> EINVAL", syscall(SYS_rt_sigaction, 65, NULL, NULL, KSIGSET), EINVAL);
    struct kt_ksigaction ka = {SIG_IGN, 0, NULL, 0}, kold;
    CHECK_ERR("rt_sigaction bad sigsetsize -> EINVAL", syscall(SYS_rt_sigaction, SIGUSR2, &ka, NULL, 4), EINVAL);
    CHECK_ERR("rt_sigaction bad act pointer -> EFAULT", syscall(SYS_rt_sigaction, SIGUSR2, KT_BADPTR, NULL, KSIGSET), EFAULT);
    CHECK_ERR("rt_sigaction bad oldact pointer -> EFAULT", syscall(SYS_rt_sigaction, SIGUSR2, NULL, KT_BADPTR, KSIGSET), EFAULT);
    CHECK_EQ("raw rt_sigaction SIG_IGN", syscall(SYS_rt_sigaction, SIGUSR2, &ka, &kold, KSIGSET), 0);
    CHECK_EQ("ignored signal does nothing", raise(SIGUSR2), 0);
    syscall(SYS_rt_sigaction, SIGUSR2, NULL, &kold, KSIGSET);
    CHECK("raw query sees SIG_IGN", kold.handler == SIG_IGN);
    signal(SIGUSR2, SIG_DFL);

    /* SA_RESETHAND: one delivery, then back to SIG_DFL */
    install_simple(SIGUSR2, on_simple, SA_RESETHAND);
    got_sig = 0;
    raise(SIGUSR2);
    sigaction(SIGUSR2, NULL, &old);
    CHECK("SA_RESETHAND resets to SIG_DFL", got_sig == SIGUSR2 && old.sa_handler == SIG_DFL);

    /* default action of SIGUSR1 terminates; SIG_IGN survives fork */
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGUSR1, SIG_DFL);
        raise(SIGUSR1);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK("default SIGUSR1 terminates", WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
    signal(SIGUSR2, SIG_IGN);
    pid = fork();
    if (pid == 0) {
        raise(SIGUSR2);
        _exit(3);
    }
    waitpid(pid, &status, 0);
    CHECK("SIG_IGN inherited across fork", WIFEXITED(status) && WEXITSTATUS(status) == 3);
    signal(SIGUSR2, SIG_DFL);
}

static void test_kill_errors(void)
{
    CHECK_EQ("kill sig 0 probes", kill(getpid(), 0), 0);
    CHECK_ERR("kill bad signal -> EINVAL", kill(getpid(), 1000), EINVAL);
    CHECK_ERR("kill missing pid -> ESRCH", kill(0x3fffffff, SIGUSR1), ESRCH);
    CHECK_ERR("tgkill wrong tgid -> ESRCH", syscall(SYS_tgkill, 0x3fffffff, syscall(SYS_gettid), SIGUSR1), ESRCH);
    CHECK_ERR("tgkill missing tid -> ESRCH", syscall(SYS_tgkill, getpid(), 0x3fffffff, SIGUSR1), ESRCH);
    CHECK_ERR("tgkill bad signal -> EINVAL", syscall(SYS_tgkill, getpid(), getpid(), 1000), EINVAL);
    CHECK_ERR("tgkill tid 0 -> EINVAL", syscall(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
    /* kill(0, sig) hits our process group: do it in a child with its own group */
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        install_simple(SIGUSR1, on_simple, 0);
        got_sig = 0;
        kill(0, SIGUSR1);
        _exit(got_sig == SIGUSR1 ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK("kill(0, sig) signals own group", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    CHECK_EQ("kill child", kill(pid, SIGTERM), 0);
    waitpid(pid, &status, 0);
    CHECK("killed child reports SIGTERM", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK_ERR("kill reaped child -> ESRCH", kill(pid, 0), ESRCH);
}

static void test_mask_pending(void)
{
    install(SIGUSR1, on_info, 0);
    sigset_t set, old, pend, cur;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK_EQ("sigprocmask SIG_BLOCK", sigprocmask(SIG_BLOCK, &set, &old), 0);
    got_sig = 0;
    raise(SIGUSR1);
    CHECK_EQ("blocked signal not delivered", got_sig, 0);
    sigemptyset(&pend);
    CHECK_EQ("sigpending", sigpending(&pend), 0);
    CHECK_EQ("blocked signal is pending", sigismember(&pend, SIGUSR1), 1);
    raise(SIGUSR1); /* standard signals do not queue */
    CHECK_EQ("sigprocmask SIG_UNBLOCK", sigprocmask(SIG_UNBLOCK, &set, NULL), 0);
    CHECK_EQ("delivered on unblock", got_sig, SIGUSR1);
    sigpending(&pend);
    CHECK_EQ("no longer pending", sigismember(&pend, SIGUSR1), 0);
    sigfillset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK("SIGKILL/SIGSTOP cannot be blocked", !sigismember(&cur, SIGKILL) && !sigismember(&cur, SIGSTOP) && sigismember(&cur, SIGUSR2));
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK_ERR("sigprocmask bad how -> EINVAL", syscall(SYS_rt_sigprocmask, 99, &(uint64_t){0}, NULL, KSIGSET), EINVAL);
    CHECK_ERR("rt_sigprocmask bad sigsetsize -> EINVAL", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &(uint64_t){0}, NULL, 16), EINVAL);
    CHECK_ERR("rt_sigprocmask bad set pointer -> EFAULT", syscall(SYS_rt_sigprocmask, SIG_BLOCK, KT_BADPTR, NULL, KSIGSET), EFAULT);
    CHECK_ERR("rt_sigpending bad pointer -> EFAULT", syscall(SYS_rt_sigpending, KT_BADPTR, KSIGSET), EFAULT);
    CHECK_ERR("rt_sigpending bad size -> EINVAL", syscall(SYS_rt_sigpending, &(uint64_t){0}, 16), EINVAL);

    /* pending signals are not inherited by fork, the mask is */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t p2, m2;
        sigpending(&p2);
        sigprocmask(SIG_BLOCK, NULL, &m2);
        _exit((sigismember(&p2, SIGUSR1) ? 1 : 0) | (sigismember(&m2, SIGUSR1) ? 0 : 2));
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK_EQ("fork: mask inherited, pending cleared", WEXITSTATUS(status), 0);

    /* rt_sigsuspend: pending + unblocked by the temporary mask -> handler, EINTR */
    got_sig = 0;
    sigset_t empty;
    sigemptyset(&empty);
    CHECK_ERR("sigsuspend returns EINTR", sigsuspend(&empty), EINTR);
    CHECK_EQ("sigsuspend ran handler", got_sig, SIGUSR1);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK_EQ("sigsuspend restores mask", sigismember(&cur, SIGUSR1), 1);
    CHECK_ERR("rt_sigsuspend bad size -> EINVAL", syscall(SYS_rt_sigsuspend, &(uint64_t){0}, 4), EINVAL);
    CHECK_ERR("rt_sigsuspend bad pointer -> EFAULT", syscall(SYS_rt_sigsuspend, KT_BADPTR, KSIGSET), EFAULT);

    /* rt_sigtimedwait */
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    struct timespec ts = {1, 0};
    /* raw syscall: glibc's wrapper rewrites the kernel's SI_TKILL to SI_USER */
    uint64_t kset = (1ULL << (SIGUSR1 - 1)) | (1ULL << (SIGUSR2 - 1));
    CHECK_EQ("rt_sigtimedwait returns pending signal", syscall(SYS_rt_sigtimedwait, &kset, &si, &ts, KSIGSET), SIGUSR2);
    CHECK_EQ("sigtimedwait si_signo", si.si_signo, SIGUSR2);
    CHECK_EQ("sigtimedwait si_code SI_TKILL (raise)", si.si_code, SI_TKILL);
    sigpending(&pend);
    CHECK_EQ("sigtimedwait consumed it", sigismember(&pend, SIGUSR2), 0);
    struct timespec shortts = {0, 10 * 1000 * 1000};
    CHECK_ERR("sigtimedwait timeout -> EAGAIN", sigtimedwait(&set, &si, &shortts), EAGAIN);
    struct timespec zero = {0, 0};
    CHECK_ERR("sigtimedwait zero timeout -> EAGAIN", sigtimedwait(&set, &si, &zero), EAGAIN);
    struct timespec badts = {0, 1000000000};
    CHECK_ERR("sigtimedwait bad timeout -> EINVAL", sigtimedwait(&set, &si, &badts), EINVAL);
    CHECK_ERR("rt_sigtimedwait bad size -> EINVAL", syscall(SYS_rt_sigtimedwait, &(uint64_t){0}, NULL, &zero, 4), EINVAL);
    kill(getpid(), SIGUSR1);
    CHECK_EQ("sigwaitinfo on pending", sigwaitinfo(&set, &si), SIGUSR1);
    CHECK_EQ("sigwaitinfo si_pid", si.si_pid, getpid());
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_altstack(void)
{
    stack_t ss, old;
    CHECK_EQ("sigaltstack query", sigaltstack(NULL, &old), 0);
    CHECK("initially disabled", old.ss_flags & SS_DISABLE);
    alt_size = 64 * 1024;
    alt_base = malloc(alt_size);
    ss.ss_sp = alt_base;
    ss.ss_size = alt_size;
    ss.ss_flags = 0;
    CHECK_EQ("sigaltstack set", sigaltstack(&ss, NULL), 0);
    sigaltstack(NULL, &old);
    CHECK("sigaltstack reads back", old.ss_sp == alt_base && old.ss_size == alt_size && old.ss_flags == 0);
    install_simple(SIGUSR2, on_alt, SA_ONSTACK);
    on_altstack = 0;
    raise(SIGUSR2);
    CHECK("SA_ONSTACK handler runs on the alternate stack", on_altstack & 1);
    CHECK("SS_ONSTACK reported inside handler", on_altstack & 2);
    CHECK("sigaltstack change while on it -> EPERM", on_altstack & 4);
    install_simple(SIGUSR2, on_alt, 0);
    on_altstack = 0;
    raise(SIGUSR2);
    CHECK_EQ("without SA_ONSTACK handler uses normal stack", on_altstack & 1, 0);
    stack_t small = {.ss_sp = alt_base, .ss_size = 512, .ss_flags = 0};
    CHECK_ERR("sigaltstack too small -> ENOMEM", sigaltstack(&small, NULL), ENOMEM);
    stack_t badflags = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0x1234};
    CHECK_ERR("sigaltstack bad flags -> EINVAL", sigaltstack(&badflags, NULL), EINVAL);
    CHECK_ERR("sigaltstack bad pointer -> EFAULT", syscall(SYS_sigaltstack, KT_BADPTR, NULL), EFAULT);
    stack_t dis = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    CHECK_EQ("sigaltstack disable", sigaltstack(&dis, NULL), 0);
    sigaltstack(NULL, &old);
    CHECK("disabled again", old.ss_flags & SS_DISABLE);
    signal(SIGUSR2, SIG_DFL);
    free(alt_base);
}

static void test_eintr_restart(void)
{
    int p[2];
    pipe(p);
    char buf[4];
    restart_fd = p[1];

    /* without SA_RESTART the blocking read fails with EINTR */
    install_simple(SIGALRM, on_alarm_write, 0);
    long r = 0;
    int e = 0;
    /* If the timer fires before read() blocks (a slow emulator), the handler's byte makes
     * read() succeed: retry with a later timer rather than report a false failure. */
    for (long ms = 30; ms <= 810; ms *= 3) {
        got_sig = 0;
        timer_ms(ms);
        errno = 0;
        r = read(p[0], buf, 1);
        e = errno;
        if (r == -1)
            break;
    }
    CHECK_ERR("read interrupted without SA_RESTART -> EINTR", (errno = e, r), EINTR);
    CHECK_EQ("SIGALRM handler ran (setitimer)", got_sig, SIGALRM);
    read(p[0], buf, 1); /* the byte the handler wrote */

    /* with SA_RESTART the read is restarted and returns the handler's byte */
    install_simple(SIGALRM, on_alarm_write, SA_RESTART);
    got_sig = 0;
    timer_ms(30);
    CHECK_EQ("read restarted with SA_RESTART", read(p[0], buf, 1), 1);
    CHECK("restarted read got handler's byte", got_sig == SIGALRM && buf[0] == '!');

    /* nanosleep is never restarted: EINTR even with SA_RESTART */
    restart_fd = -1;
    struct timespec req = {2, 0}, rem = {0, 0};
    for (long ms = 20; ms <= 540; ms *= 3) { /* same early-signal retry as above */
        timer_ms(ms);
        errno = 0;
        r = nanosleep(&req, &rem);
        e = errno;
        if (r == -1)
            break;
    }
    CHECK_ERR("nanosleep interrupted -> EINTR", (errno = e, r), EINTR);
    CHECK("nanosleep reports remaining time", rem.tv_sec >= 1 && rem.tv_sec <= 2);

    /* a repeating timer, so a tick that lands before pause() cannot leave it blocked */
    struct itimerval rep = {{0, 10000}, {0, 10000}}, off = {{0, 0}, {0, 0}};
    got_sig = 0;
    setitimer(ITIMER_REAL, &rep, NULL);
    CHECK_ERR("pause returns EINTR", pause(), EINTR);
    setitimer(ITIMER_REAL, &off, NULL);
    CHECK_EQ("pause woke by SIGALRM", got_sig, SIGALRM);
#ifdef SYS_pause
    setitimer(ITIMER_REAL, &rep, NULL);
    CHECK_ERR("raw SYS_pause returns EINTR", syscall(SYS_pause), EINTR);
    setitimer(ITIMER_REAL, &off, NULL);
#endif
#ifdef SYS_alarm
    /* raw: musl implements alarm() with setitimer */
    CHECK_EQ("raw SYS_alarm none pending", syscall(SYS_alarm, 7), 0);
    long left7 = syscall(SYS_alarm, 0);
    CHECK("raw SYS_alarm(0) returns remaining", left7 >= 6 && left7 <= 7);
#endif

    struct itimerval it = {{0, 0}, {5, 0}}, cur;
    setitimer(ITIMER_REAL, &it, NULL);
    CHECK_EQ("getitimer", getitimer(ITIMER_REAL, &cur), 0);
    CHECK("getitimer remaining <= 5s", cur.it_value.tv_sec <= 5 && (cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0));
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
    getitimer(ITIMER_REAL, &cur);
    CHECK("setitimer zero disarms", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
    CHECK_ERR("getitimer bad which -> EINVAL", syscall(SYS_getitimer, 99, &cur), EINVAL);
    struct itimerval badit = {{0, 0}, {0, 2000000}};
    CHECK_ERR("setitimer bad usec -> EINVAL", setitimer(ITIMER_REAL, &badit, NULL), EINVAL);
    CHECK_EQ("alarm returns 0 when none pending", alarm(5), 0);
    unsigned left = alarm(0);
    CHECK("alarm(0) returns remaining seconds", left >= 4 && left <= 5);
    close(p[0]);
    close(p[1]);
    signal(SIGALRM, SIG_DFL);
}

static void test_sigchld(void)
{
    install(SIGCHLD, on_chld, 0);
    sigset_t set, old, empty;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &set, &old);
    chld_pid = 0;
    pid_t pid = fork();
    if (pid == 0)
        _exit(12);
    while (!chld_pid)
        sigsuspend(&empty);
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK_EQ("SIGCHLD si_pid", chld_pid, pid);
    CHECK_EQ("SIGCHLD si_code CLD_EXITED", chld_code, CLD_EXITED);
    CHECK_EQ("SIGCHLD si_status", chld_status, 12);
    int status;
    CHECK_EQ("child still reapable", waitpid(pid, &status, 0), pid);
    signal(SIGCHLD, SIG_DFL);
}

static void test_faults(void)
{
    install(SIGSEGV, on_fault, 0);
    got_sig = 0;
    if (sigsetjmp(jump, 1) == 0) {
        volatile int *volatile np = NULL;
        *np = 1;
    }
    CHECK_EQ("NULL write raises SIGSEGV", got_sig, SIGSEGV);
    CHECK("SIGSEGV si_addr is NULL", fault_addr == NULL);
    CHECK_EQ("SIGSEGV si_code SEGV_MAPERR", fault_code, SEGV_MAPERR);
    got_sig = 0;
    if (sigsetjmp(jump, 1) == 0) {
        volatile char *bad = (volatile char *)0x1000;
        (void)*bad;
    }
    CHECK("read of unmapped page: SIGSEGV with its address", got_sig == SIGSEGV && fault_addr == (void *)0x1000);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK_EQ("siglongjmp restored mask", sigismember(&cur, SIGSEGV), 0);
    signal(SIGSEGV, SIG_DFL);
    pid_t pid = fork();
    if (pid == 0) {
        volatile int *volatile np = NULL;
        *np = 1;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK("uncaught SIGSEGV kills", WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
#if defined(__x86_64__)
    install(SIGFPE, on_fault, 0);
    got_sig = 0;
    if (sigsetjmp(jump, 1) == 0) {
        volatile int a = 1, b = 0;
        volatile int c = a / b;
        (void)c;
    }
    CHECK_EQ("integer division by zero raises SIGFPE", got_sig, SIGFPE);
    CHECK_EQ("SIGFPE si_code FPE_INTDIV", fault_code, FPE_INTDIV);
    signal(SIGFPE, SIG_DFL);
#else
    SKIP("integer division by zero raises SIGFPE", "does not trap on this architecture");
    SKIP("SIGFPE si_code FPE_INTDIV", "does not trap on this architecture");
#endif
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_signal");
    test_sigaction();
    test_kill_errors();
    test_mask_pending();
    test_altstack();
    test_eintr_restart();
    test_sigchld();
    test_faults();
    kt_finish();
}
