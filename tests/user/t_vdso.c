/* t_vdso: the vDSO. AT_SYSINFO_EHDR points at an ELF shared object (ET_DYN, PT_DYNAMIC,
 * DT_HASH/DT_GNU_HASH) that exports __vdso_clock_gettime, __vdso_gettimeofday, __vdso_time,
 * __vdso_clock_getres and __vdso_getcpu at version LINUX_2.6; calling them directly and through
 * libc agrees with the system calls; monotonic never goes backwards; realtime follows
 * clock_settime and settimeofday (as root, restored); [vdso] and [vvar] are in /proc/self/maps;
 * fork keeps the vDSO working and execve maps a fresh one. */
#include "kt.h"
#include <elf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>

typedef int (*cgt_fn)(clockid_t, struct timespec *);
typedef int (*gtod_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef int (*getres_fn)(clockid_t, struct timespec *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

static long long ns_of(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

static long long sys_ns(clockid_t clk)
{
    struct timespec t = {0, 0};
    syscall(SYS_clock_gettime, clk, &t);
    return ns_of(t);
}

/* The vDSO's dynamic tables, found from its program headers. */
struct vdso {
    uintptr_t base, bias;
    const Elf64_Sym *sym;
    const char *str;
    const Elf64_Word *hash;
    const Elf64_Half *versym;
    const Elf64_Verdef *verdef;
    int has_gnu_hash;
};

static int vdso_open(struct vdso *v, uintptr_t base)
{
    memset(v, 0, sizeof *v);
    v->base = base;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_type != ET_DYN)
        return 0;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
    const Elf64_Dyn *dyn = NULL;
    int have_load = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && !have_load) {
            v->bias = base + ph[i].p_offset - ph[i].p_vaddr;
            have_load = 1;
        } else if (ph[i].p_type == PT_DYNAMIC) {
            dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
        }
    }
    if (!have_load || !dyn)
        return 0;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t a = v->bias + dyn->d_un.d_ptr;
        switch (dyn->d_tag) {
        case DT_SYMTAB: v->sym = (const Elf64_Sym *)a; break;
        case DT_STRTAB: v->str = (const char *)a; break;
        case DT_HASH: v->hash = (const Elf64_Word *)a; break;
        case DT_GNU_HASH: v->has_gnu_hash = 1; break;
        case DT_VERSYM: v->versym = (const Elf64_Half *)a; break;
        case DT_VERDEF: v->verdef = (const Elf64_Verdef *)a; break;
        }
    }
    return v->sym && v->str && v->hash;
}

/* The version name of symbol i (NULL without version tables). */
static const char *vdso_version(const struct vdso *v, unsigned i)
{
    if (!v->versym || !v->verdef)
        return NULL;
    unsigned want = v->versym[i] & 0x7fff;
    const Elf64_Verdef *d = v->verdef;
    for (;;) {
        if (d->vd_ndx == want && !(d->vd_flags & VER_FLG_BASE)) {
            const Elf64_Verdaux *aux = (const Elf64_Verdaux *)((const char *)d + d->vd_aux);
            return v->str + aux->vda_name;
        }
        if (!d->vd_next)
            return NULL;
        d = (const Elf64_Verdef *)((const char *)d + d->vd_next);
    }
}

/* The address of a defined function symbol at version ver, or NULL. */
static void *vdso_sym(const struct vdso *v, const char *name, const char *ver)
{
    unsigned n = v->hash[1]; /* nchain: the number of symbols */
    for (unsigned i = 1; i < n; i++) {
        const Elf64_Sym *s = &v->sym[i];
        if (s->st_shndx == SHN_UNDEF || ELF64_ST_TYPE(s->st_info) != STT_FUNC)
            continue;
        if (strcmp(v->str + s->st_name, name) != 0)
            continue;
        const char *sv = vdso_version(v, i);
        if (sv && strcmp(sv, ver) == 0)
            return (void *)(v->bias + s->st_value);
    }
    return NULL;
}

static cgt_fn cgt;
static gtod_fn gtod;
static time_fn vtime;
static getres_fn getres;
static getcpu_fn getcpu_v;

static int find_all(uintptr_t base)
{
    struct vdso v;
    if (!vdso_open(&v, base))
        return 0;
    cgt = (cgt_fn)vdso_sym(&v, "__vdso_clock_gettime", "LINUX_2.6");
    gtod = (gtod_fn)vdso_sym(&v, "__vdso_gettimeofday", "LINUX_2.6");
    vtime = (time_fn)vdso_sym(&v, "__vdso_time", "LINUX_2.6");
    getres = (getres_fn)vdso_sym(&v, "__vdso_clock_getres", "LINUX_2.6");
    getcpu_v = (getcpu_fn)vdso_sym(&v, "__vdso_getcpu", "LINUX_2.6");
    return cgt && gtod && vtime && getres && getcpu_v;
}

/* Child of the execve case: the fresh image has its own vDSO, and it works. */
static int exec_child(void)
{
    uintptr_t base = getauxval(AT_SYSINFO_EHDR);
    if (!base || !find_all(base))
        return 3;
    struct timespec t;
    return cgt(CLOCK_MONOTONIC, &t) == 0 && t.tv_sec >= 0 ? 0 : 4;
}

static void test_image(uintptr_t base)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    CHECK("AT_SYSINFO_EHDR is page aligned", (base & 4095) == 0);
    CHECK("vDSO is an ELF shared object (ET_DYN)", memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_type == ET_DYN);
    struct vdso v;
    CHECK("vDSO has PT_DYNAMIC, DT_SYMTAB, DT_STRTAB and DT_HASH", vdso_open(&v, base));
    CHECK("vDSO has DT_GNU_HASH", v.has_gnu_hash);
    CHECK("vDSO has version tables", v.versym != NULL && v.verdef != NULL);
    CHECK("all five __vdso_* symbols at LINUX_2.6", find_all(base));
}

static void test_agrees_with_syscalls(void)
{
    static const clockid_t fine[] = {CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME, CLOCK_MONOTONIC_RAW};
    static const char *names[] = {"MONOTONIC", "REALTIME", "BOOTTIME", "MONOTONIC_RAW"};
    char name[96];
    for (unsigned i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        struct timespec t;
        long long a = sys_ns(fine[i]);
        int rc = cgt(fine[i], &t);
        long long c = sys_ns(fine[i]);
        snprintf(name, sizeof name, "vDSO %s between two system calls", names[i]);
        CHECK(name, rc == 0 && a <= ns_of(t) && ns_of(t) <= c && t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
        a = sys_ns(fine[i]);
        rc = clock_gettime(fine[i], &t);
        c = sys_ns(fine[i]);
        snprintf(name, sizeof name, "libc clock_gettime %s between two system calls", names[i]);
        CHECK(name, rc == 0 && a <= ns_of(t) && ns_of(t) <= c);
    }
    /* The coarse clocks lag the fine ones by at most their resolution (a tick). */
    struct timespec res, t;
    CHECK_EQ("vDSO clock_getres MONOTONIC_COARSE", getres(CLOCK_MONOTONIC_COARSE, &res), 0);
    struct timespec sres;
    syscall(SYS_clock_getres, CLOCK_MONOTONIC_COARSE, &sres);
    CHECK("vDSO and syscall clock_getres agree", res.tv_sec == sres.tv_sec && res.tv_nsec == sres.tv_nsec);
    long long fine_now = sys_ns(CLOCK_MONOTONIC);
    CHECK_EQ("vDSO MONOTONIC_COARSE", cgt(CLOCK_MONOTONIC_COARSE, &t), 0);
    long long slack = 2 * ns_of(res) + 1000000;
    CHECK("MONOTONIC_COARSE within two ticks of MONOTONIC",
          ns_of(t) <= sys_ns(CLOCK_MONOTONIC) && ns_of(t) + slack >= fine_now);
    CHECK_EQ("vDSO clock_getres MONOTONIC", getres(CLOCK_MONOTONIC, &res), 0);
    syscall(SYS_clock_getres, CLOCK_MONOTONIC, &sres);
    CHECK("clock_getres MONOTONIC agrees", res.tv_sec == sres.tv_sec && res.tv_nsec == sres.tv_nsec);

    /* gettimeofday and time, directly and through libc. */
    struct timeval tv;
    long long a = sys_ns(CLOCK_REALTIME) / 1000;
    int rc = gtod(&tv, NULL);
    long long c = sys_ns(CLOCK_REALTIME) / 1000;
    long long us = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
    CHECK("vDSO gettimeofday between two system calls", rc == 0 && a <= us && us <= c);
    a = sys_ns(CLOCK_REALTIME) / 1000;
    rc = gettimeofday(&tv, NULL);
    c = sys_ns(CLOCK_REALTIME) / 1000;
    us = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
    CHECK("libc gettimeofday between two system calls", rc == 0 && a <= us && us <= c);
    time_t s0 = (time_t)(sys_ns(CLOCK_REALTIME) / 1000000000);
    time_t stored = 0;
    time_t s1 = vtime(&stored);
    time_t s2 = (time_t)(sys_ns(CLOCK_REALTIME) / 1000000000);
    CHECK("vDSO time between two system calls, stored too", s0 <= s1 && s1 <= s2 && stored == s1);
    CHECK("libc time agrees", time(NULL) >= s1);

    /* What the vDSO cannot answer goes to the kernel: the CPU clocks work, a bad clock is EINVAL. */
    CHECK_EQ("vDSO PROCESS_CPUTIME_ID (system call fallback)", cgt(CLOCK_PROCESS_CPUTIME_ID, &t), 0);
    CHECK_EQ("vDSO bad clock id is -EINVAL", cgt((clockid_t)1000, &t), -EINVAL);
    unsigned cpu = 99999, node = 99999;
    CHECK("vDSO getcpu", getcpu_v(&cpu, &node, NULL) == 0 && cpu < 4096 && node < 1024);
}

static void test_monotonic_loop(void)
{
    struct timespec t;
    long long prev = 0;
    int ok = 1;
    for (int i = 0; i < 20000; i++) {
        long long now;
        if (i % 3 == 0) {
            cgt(CLOCK_MONOTONIC, &t);
            now = ns_of(t);
        } else if (i % 3 == 1) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            now = ns_of(t);
        } else {
            now = sys_ns(CLOCK_MONOTONIC);
        }
        if (now < prev)
            ok = 0;
        prev = now;
    }
    CHECK("MONOTONIC never goes backwards (vDSO, libc and syscall mixed, 20000 reads)", ok);
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC through the vDSO, in ns. */
static long long rt_offset_vdso(void)
{
    struct timespec r, m;
    cgt(CLOCK_MONOTONIC, &m);
    cgt(CLOCK_REALTIME, &r);
    return ns_of(r) - ns_of(m);
}

static long long rt_offset_sys(void)
{
    long long m = sys_ns(CLOCK_MONOTONIC);
    return sys_ns(CLOCK_REALTIME) - m;
}

/* Set CLOCK_REALTIME to MONOTONIC + offset. */
static int set_offset(long long off)
{
    long long ns = sys_ns(CLOCK_MONOTONIC) + off;
    struct timespec t = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    return clock_settime(CLOCK_REALTIME, &t);
}

static void test_settime(void)
{
    if (geteuid() != 0) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        CHECK_ERR("clock_settime needs privilege", clock_settime(CLOCK_REALTIME, &t), EPERM);
        return;
    }
    /* A small step (50 ms) and back: this also moves the host's clock when run there. */
    const long long step = 50000000;
    long long off0 = rt_offset_sys();
    int rc = set_offset(off0 + step);
    long long off1 = rt_offset_vdso();
    long long off1s = rt_offset_sys();
    int restored = set_offset(off0);
    long long off2 = rt_offset_vdso();
    CHECK_EQ("clock_settime REALTIME", rc, 0);
    CHECK("vDSO REALTIME follows clock_settime", off1 - off0 >= step - 5000000 && off1 - off0 <= step + 5000000);
    CHECK("syscall REALTIME follows clock_settime", off1s - off0 >= step - 5000000 && off1s - off0 <= step + 5000000);
    CHECK("vDSO REALTIME follows the restore", restored == 0 && off2 - off0 > -5000000 && off2 - off0 < 5000000);
    /* settimeofday, the same way (microseconds). */
    long long ns = sys_ns(CLOCK_MONOTONIC) + off0 + step;
    struct timeval tv = {(time_t)(ns / 1000000000), (suseconds_t)(ns % 1000000000 / 1000)};
    rc = settimeofday(&tv, NULL);
    long long off3 = rt_offset_vdso();
    restored = set_offset(off0);
    CHECK_EQ("settimeofday", rc, 0);
    CHECK("vDSO REALTIME follows settimeofday", off3 - off0 >= step - 5000000 && off3 - off0 <= step + 5000000);
    CHECK_EQ("REALTIME restored", restored, 0);
    struct timespec bad = {0, 1000000000};
    CHECK_ERR("clock_settime bad nsec is EINVAL", clock_settime(CLOCK_REALTIME, &bad), EINVAL);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    CHECK_ERR("clock_settime MONOTONIC is EINVAL", clock_settime(CLOCK_MONOTONIC, &t), EINVAL);
}

/* The [vvar] and [vdso] areas, from /proc/self/maps (test_maps). */
static unsigned long vvar_lo, vvar_hi, vdso_lo, vdso_hi;

static void test_maps(uintptr_t base)
{
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK("open /proc/self/maps", f != NULL);
    if (!f)
        return;
    char line[512];
    int vdso_ok = 0, vvar_ok = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
            continue;
        if (strstr(line, "[vdso]")) {
            vdso_ok = lo == base && perms[0] == 'r' && perms[1] == '-' && perms[2] == 'x';
            vdso_lo = lo, vdso_hi = hi;
        }
        if (strstr(line, "[vvar]")) {
            vvar_ok = perms[0] == 'r' && perms[1] == '-' && hi <= base;
            vvar_lo = lo, vvar_hi = hi;
        }
    }
    fclose(f);
    CHECK("[vdso] in /proc/self/maps at AT_SYSINFO_EHDR, r-x", vdso_ok);
    CHECK("[vvar] in /proc/self/maps, read-only, below [vdso]", vvar_ok);
}

/* mremap of [vvar] and [vdso] together (as CRIU does: the code finds its data at a fixed distance),
 * in a child: the vDSO works at its new address. */
static void test_mremap(void)
{
    if (!vvar_hi || !vdso_hi)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        size_t vv = vvar_hi - vvar_lo, vd = vdso_hi - vdso_lo, gap = vdso_lo - vvar_lo;
        char *to = mmap(NULL, gap + vd + 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (to == MAP_FAILED)
            _exit(2);
        if (mremap((void *)vvar_lo, vv, vv, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to)
            _exit(3);
        if (mremap((void *)vdso_lo, vd, vd, MREMAP_MAYMOVE | MREMAP_FIXED, to + gap) != to + gap)
            _exit(4);
        cgt_fn moved = (cgt_fn)((uintptr_t)cgt - vdso_lo + (uintptr_t)(to + gap));
        struct timespec t;
        long long a = sys_ns(CLOCK_MONOTONIC);
        int rc = moved(CLOCK_MONOTONIC, &t);
        long long c = sys_ns(CLOCK_MONOTONIC);
        _exit(rc == 0 && a <= ns_of(t) && ns_of(t) <= c ? 0 : 5);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    CHECK("mremap of [vvar] and [vdso]: the vDSO works where it moved", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_fork_exec(const char *self)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec t;
        _exit(getauxval(AT_SYSINFO_EHDR) != 0 && cgt(CLOCK_MONOTONIC, &t) == 0 ? 0 : 2);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    CHECK("vDSO works in a forked child", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)self, (char *)"--exec-child", NULL};
        execv(self, argv);
        _exit(5);
    }
    st = -1;
    waitpid(pid, &st, 0);
    CHECK("execve maps a fresh vDSO that works", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* `t_vdso --loop N` (tests/boot/test_vdso.py, with asterpy.strace=1): N clock_gettime calls through
 * libc between two getppid system calls that mark the loop in the trace; none may enter the kernel. */
static int loop(int n)
{
    struct timespec t;
    long long prev = 0;
    int ok = 1;
    syscall(SYS_getppid);
    for (int i = 0; i < n; i++) {
        ok &= clock_gettime(CLOCK_MONOTONIC, &t) == 0 && ns_of(t) >= prev;
        prev = ns_of(t);
    }
    syscall(SYS_getppid);
    kt_out("loop of %d clock_gettime calls: %s\n", n, ok ? "monotonic" : "WENT BACKWARDS");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--exec-child") == 0)
        return exec_child();
    if (argc > 2 && strcmp(argv[1], "--loop") == 0)
        return loop(atoi(argv[2]));
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    kt_init(argc, argv, "t_vdso");
    uintptr_t base = getauxval(AT_SYSINFO_EHDR);
    CHECK("AT_SYSINFO_EHDR in the auxv", base != 0);
    if (base == 0) {
        kt_finish();
        return 1;
    }
    test_image(base);
    if (!cgt || !gtod || !vtime || !getres || !getcpu_v) {
        kt_finish();
        return 1;
    }
    test_agrees_with_syscalls();
    test_monotonic_loop();
    test_settime();
    test_maps(base);
    test_mremap();
    test_fork_exec(self);
    kt_finish();
    return 0;
}
