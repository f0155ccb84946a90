/* t_proc_fs: /proc as programs parse it. /proc/self/{stat,statm,status,comm,cmdline,environ,
 * maps,limits,fd/,exe,cwd,root,task/}, /proc/{self,thread-self} links, system files (meminfo,
 * uptime, loadavg, stat, version, filesystems, mounts, sys/kernel/...), statfs's
 * PROC_SUPER_MAGIC, mount-point crossing (getcwd inside /proc, ".." out of it), snapshots and
 * seeks, mount(2)/umount2(2) of tmpfs and proc, and the errors: ENOENT for a reaped pid and for creating names, EACCES for another
 * user's environ (after dropping privileges). Linux's RSS counters are approximate for small
 * processes (they may read 0), so only their format is checked. */
#include "kt.h"
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define PROC_SUPER_MAGIC 0x9fa0
#define TMPFS_MAGIC 0x01021994

static char text[65536];

/* The whole file at path into text (NUL-terminated); its length, or -1 with errno. */
static long slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = 0;
    for (;;) {
        ssize_t r = read(fd, text + n, 100); /* small reads: the offset must walk the snapshot */
        if (r < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        n += r;
        if (n >= (long)sizeof text - 101)
            break;
    }
    close(fd);
    text[n] = 0;
    return n;
}

/* The value after "Key:" on its own line of text ("" if absent), tabs and spaces skipped. */
static const char *field(const char *key)
{
    static char out[256];
    size_t k = strlen(key);
    out[0] = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (!strncmp(p, key, k) && p[k] == ':') {
            const char *v = p + k + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t n = strcspn(v, "\n");
            if (n >= sizeof out)
                n = sizeof out - 1;
            memcpy(out, v, n);
            out[n] = 0;
            return out;
        }
    }
    return out;
}

static void test_stat(void)
{
    CHECK("read /proc/self/stat", slurp("/proc/self/stat") > 0);
    char *open_paren = strchr(text, '('), *close_paren = strrchr(text, ')');
    CHECK("stat has (comm)", open_paren && close_paren && close_paren > open_paren);
    if (!open_paren || !close_paren)
        return;
    CHECK_EQ("stat field 1 is the pid", atol(text), getpid());
    *close_paren = 0;
    CHECK("stat comm is the program name", !strcmp(open_paren + 1, "t_proc_fs"));
    /* The fields after ") ": field 3 on. */
    char *rest = close_paren + 2;
    long f[64] = {0};
    char state = rest[0];
    int n = 3;
    char *save = NULL;
    for (char *tok = strtok_r(rest + 2, " \n", &save); tok && n < 64; tok = strtok_r(NULL, " \n", &save))
        f[++n] = strtol(tok, NULL, 10);
    CHECK_EQ("stat has 52 fields", n, 52);
    CHECK("stat state is R (running)", state == 'R');
    CHECK_EQ("stat field 4 is ppid", f[4], getppid());
    CHECK_EQ("stat field 5 is the process group", f[5], getpgrp());
    CHECK_EQ("stat field 6 is the session", f[6], getsid(0));
    CHECK_EQ("stat field 20 is the thread count", f[20], 1);
    CHECK("stat field 23 (vsize) is positive", f[23] > 0);
    CHECK_EQ("stat field 38 is the exit signal (SIGCHLD)", f[38], SIGCHLD);

    CHECK("read /proc/self/statm", slurp("/proc/self/statm") > 0);
    long size = -1, res = -1, shared = -1, txt = -1, lib = -1, data = -1, dt = -1;
    CHECK_EQ("statm has 7 numbers", sscanf(text, "%ld %ld %ld %ld %ld %ld %ld", &size, &res, &shared, &txt, &lib,
                                           &data, &dt), 7);
    CHECK("statm resident <= size", res >= 0 && size > 0 && res <= size);

    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", getpid());
    CHECK("read /proc/self/task/TID/stat", slurp(path) > 0);
    CHECK_EQ("task stat names the thread", atol(text), getpid());
}

static void test_status(void)
{
    CHECK("read /proc/self/status", slurp("/proc/self/status") > 0);
    CHECK("status Name", !strcmp(field("Name"), "t_proc_fs"));
    CHECK("status State", !strcmp(field("State"), "R (running)"));
    CHECK_EQ("status Pid", atol(field("Pid")), getpid());
    CHECK_EQ("status Tgid", atol(field("Tgid")), getpid());
    CHECK_EQ("status PPid", atol(field("PPid")), getppid());
    CHECK_EQ("status Threads", atol(field("Threads")), 1);
    char want[128];
    snprintf(want, sizeof want, "%u\t%u\t%u\t%u", getuid(), geteuid(), geteuid(), geteuid());
    CHECK("status Uid: real effective saved fs", !strcmp(field("Uid"), want));
    snprintf(want, sizeof want, "%u\t%u\t%u\t%u", getgid(), getegid(), getegid(), getegid());
    CHECK("status Gid: real effective saved fs", !strcmp(field("Gid"), want));
    CHECK("status VmRSS in kB", strstr(field("VmRSS"), " kB") != NULL && atol(field("VmRSS")) > 0);
    CHECK_EQ("status SigBlk is 16 hex digits", (long)strspn(field("SigBlk"), "0123456789abcdef"), 16);
    mode_t old = umask(027);
    slurp("/proc/self/status");
    CHECK("status Umask follows umask()", !strcmp(field("Umask"), "0027"));
    umask(old);

    CHECK("read /proc/self/comm", slurp("/proc/self/comm") > 0 && !strcmp(text, "t_proc_fs\n"));
}

static void test_cmdline_environ(int argc, char **argv)
{
    long n = slurp("/proc/self/cmdline");
    long want = 0;
    for (int i = 0; i < argc; i++)
        want += (long)strlen(argv[i]) + 1;
    CHECK_EQ("cmdline length is argv's with NULs", n, want);
    CHECK("cmdline starts with argv[0]", n > 0 && !strcmp(text, argv[0]));
    setenv("KT_PROC_FS_UNUSED", "x", 1); /* environ shows the initial environment, not this */
    n = slurp("/proc/self/environ");
    CHECK("environ readable by its owner", n >= 0);
    int found_path = 0, found_new = 0;
    for (long off = 0; off < n; off += (long)strlen(text + off) + 1) {
        if (!strncmp(text + off, "KT_PROC_FS_UNUSED=", 18))
            found_new = 1;
        if (strchr(text + off, '='))
            found_path = 1;
    }
    CHECK("environ has NAME=value strings", n == 0 || found_path);
    CHECK("environ is the exec-time environment", !found_new);
}

static void test_links(void)
{
    char buf[PATH_MAX], want[PATH_MAX];
    ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
    CHECK("readlink /proc/self is the pid", n > 0 && (buf[n] = 0, atol(buf) == getpid()));
    n = readlink("/proc/thread-self", buf, sizeof buf - 1);
    snprintf(want, sizeof want, "%d/task/%ld", getpid(), (long)syscall(SYS_gettid));
    CHECK("readlink /proc/thread-self is pid/task/tid", n > 0 && (buf[n] = 0, !strcmp(buf, want)));
    n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    char *real = realpath(kt_self, NULL);
    CHECK("readlink /proc/self/exe is the program", n > 0 && real && (buf[n] = 0, !strcmp(buf, real)));
    n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
    char *dir = realpath(kt_dir, NULL);
    CHECK("readlink /proc/self/cwd is the cwd", n > 0 && dir && (buf[n] = 0, !strcmp(buf, dir)));
    n = readlink("/proc/self/root", buf, sizeof buf - 1);
    CHECK("readlink /proc/self/root is /", n == 1 && buf[0] == '/');
    struct stat a, b;
    CHECK("/proc/self/exe leads to the program file",
          stat("/proc/self/exe", &a) == 0 && real && stat(real, &b) == 0 && a.st_ino == b.st_ino);
    CHECK("lstat /proc/self is a link", lstat("/proc/self", &a) == 0 && S_ISLNK(a.st_mode));

    /* maps: the stack and the program's executable mapping. */
    slurp("/proc/self/maps");
    int stack = 0, prog_x = 0, well_formed = 1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long lo, hi, off, ino;
        char perms[8], dev[16];
        int name_at = 0;
        if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &lo, &hi, perms, &off, dev, &ino, &name_at) < 6 ||
            lo >= hi || strlen(perms) != 4)
            well_formed = 0;
        const char *name = name_at ? line + name_at : "";
        if (!strcmp(name, "[stack]") && perms[0] == 'r' && perms[1] == 'w') {
            unsigned long sp = (unsigned long)&lo;
            stack = sp >= lo && sp < hi;
        }
        if (real && !strcmp(name, real) && perms[2] == 'x')
            prog_x = 1;
    }
    CHECK("maps lines are start-end perms offset dev inode [name]", well_formed);
    CHECK("maps has the [stack] holding a local variable", stack);
    CHECK("maps names the program's executable mapping", prog_x);
    free(real);
    free(dir);
}

static void test_fds(void)
{
    int p[2];
    CHECK_OK("pipe", pipe(p));
    int f = open("file", O_CREAT | O_RDWR, 0600);
    CHECK("open a file", f >= 0);
    DIR *d = opendir("/proc/self/fd");
    CHECK("opendir /proc/self/fd", d != NULL);
    int seen_p0 = 0, seen_p1 = 0, seen_f = 0, bad = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            int fd = atoi(e->d_name);
            if (e->d_type != DT_LNK && e->d_type != DT_UNKNOWN)
                bad = 1;
            if (fd != dirfd(d) && fcntl(fd, F_GETFD) < 0)
                bad = 1; /* a listed fd must be open */
            seen_p0 |= fd == p[0];
            seen_p1 |= fd == p[1];
            seen_f |= fd == f;
        }
        closedir(d);
    }
    CHECK("/proc/self/fd lists the open fds", seen_p0 && seen_p1 && seen_f);
    CHECK("/proc/self/fd lists only open fds, as links", !bad);
    char path[64], buf[PATH_MAX], want[PATH_MAX];
    struct stat st;
    fstat(p[0], &st);
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)st.st_ino);
    CHECK("fd link of a pipe is pipe:[ino]", n > 0 && (buf[n] = 0, !strcmp(buf, want)));
    snprintf(path, sizeof path, "/proc/self/fd/%d", f);
    n = readlink(path, buf, sizeof buf - 1);
    char *dir = realpath(kt_dir, NULL);
    snprintf(want, sizeof want, "%s/file", dir ? dir : "?");
    CHECK("fd link of a file is its path", n > 0 && (buf[n] = 0, !strcmp(buf, want)));
    free(dir);
    /* Opening the link reaches the open file, even after the name is gone. */
    CHECK_EQ("write through the fd", write(f, "abc", 3), 3);
    unlink("file");
    int g = open(path, O_RDONLY);
    CHECK("open /proc/self/fd/N of an unlinked file", g >= 0 && read(g, buf, 8) == 3 && !memcmp(buf, "abc", 3));
    if (g >= 0)
        close(g);
    snprintf(path, sizeof path, "/proc/self/fd/%d", 1000);
    CHECK_ERR("readlink of a closed fd -> ENOENT", readlink(path, buf, sizeof buf), ENOENT);
    close(p[0]);
    close(p[1]);
    close(f);
}

static void test_system_files(void)
{
    CHECK("read /proc/meminfo", slurp("/proc/meminfo") > 0);
    long total = atol(field("MemTotal")), mfree = atol(field("MemFree"));
    CHECK("meminfo MemTotal in kB", total > 0 && strstr(field("MemTotal"), " kB"));
    CHECK("meminfo 0 < MemFree <= MemTotal", mfree > 0 && mfree <= total);
    CHECK("meminfo has MemAvailable, SwapTotal", field("MemAvailable")[0] && field("SwapTotal")[0]);
    CHECK("meminfo starts with MemTotal:", !strncmp(text, "MemTotal:", 9));

    double up = -1, idle = -1;
    CHECK("read /proc/uptime", slurp("/proc/uptime") > 0 && sscanf(text, "%lf %lf", &up, &idle) == 2 && up > 0);
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    CHECK("uptime agrees with CLOCK_BOOTTIME", up <= ts.tv_sec + 1.0 && up >= ts.tv_sec - 1.0);
    double l1, l5, l15;
    int run, all, last;
    CHECK("loadavg: 3 averages, running/total, last pid",
          slurp("/proc/loadavg") > 0 &&
          sscanf(text, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &all, &last) == 6 && run >= 1 && all >= run);
    CHECK("read /proc/stat", slurp("/proc/stat") > 0 && !strncmp(text, "cpu ", 4));
    CHECK("stat has btime and processes", atol(field("btime") - 0) == 0 && strstr(text, "\nbtime ") &&
          strstr(text, "\nprocesses "));
    CHECK("version starts Linux version", slurp("/proc/version") > 0 && !strncmp(text, "Linux version ", 14));
    CHECK("filesystems lists proc", slurp("/proc/filesystems") > 0 && strstr(text, "\tproc\n"));
    CHECK("mounts has /proc as proc", slurp("/proc/mounts") > 0 && strstr(text, " /proc proc "));
    long m1 = slurp("/proc/self/mounts");
    CHECK("self/mounts has /proc too", m1 > 0 && strstr(text, " /proc proc "));
    CHECK("cpuinfo has a processor", slurp("/proc/cpuinfo") > 0 && !strncmp(text, "processor", 9));

    struct utsname u;
    uname(&u);
    CHECK("sys/kernel/ostype", slurp("/proc/sys/kernel/ostype") > 0 && !strncmp(text, u.sysname, strlen(u.sysname)));
    CHECK("sys/kernel/osrelease is uname's release",
          slurp("/proc/sys/kernel/osrelease") > 0 && (text[strcspn(text, "\n")] = 0, !strcmp(text, u.release)));
    CHECK("sys/kernel/hostname is uname's nodename",
          slurp("/proc/sys/kernel/hostname") > 0 && (text[strcspn(text, "\n")] = 0, !strcmp(text, u.nodename)));
    CHECK("sys/kernel/pid_max is a number", slurp("/proc/sys/kernel/pid_max") > 0 && atol(text) >= 32768);
    CHECK("sys/kernel/tainted is a number", slurp("/proc/sys/kernel/tainted") > 0 && text[0] >= '0' && text[0] <= '9');
    CHECK("sys/vm/overcommit_memory is 0, 1 or 2",
          slurp("/proc/sys/vm/overcommit_memory") == 2 && text[0] >= '0' && text[0] <= '2');
    CHECK("sys/fs/pipe-max-size", slurp("/proc/sys/fs/pipe-max-size") > 0 && atol(text) >= 4096);
    char id1[64] = "", id2[64] = "";
    if (slurp("/proc/sys/kernel/random/boot_id") == 37)
        memcpy(id1, text, 37);
    if (slurp("/proc/sys/kernel/random/boot_id") == 37)
        memcpy(id2, text, 37);
    CHECK("boot_id is a stable UUID", id1[0] && id1[8] == '-' && id1[14] == '4' && !strcmp(id1, id2));
    slurp("/proc/sys/kernel/random/uuid");
    CHECK("uuid is a fresh UUID", strlen(text) == 37 && strcmp(text, id1));

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    slurp("/proc/self/limits");
    char *line = strstr(text, "\nMax open files");
    unsigned long soft = 0, hard = 0;
    CHECK("limits: Max open files matches getrlimit",
          line && sscanf(line + 26, "%lu %lu", &soft, &hard) == 2 && soft == rl.rlim_cur && hard == rl.rlim_max);
    CHECK("limits header", !strncmp(text, "Limit                     Soft Limit           Hard Limit           Units", 71));
}

static void test_fs_behaviour(void)
{
    struct statfs sf;
    CHECK("statfs /proc is PROC_SUPER_MAGIC", statfs("/proc", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC);
    CHECK("statfs /proc/self/status too", statfs("/proc/self/status", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC);
    CHECK("statfs /proc/.. is not procfs", statfs("/proc/..", &sf) == 0 && sf.f_type != PROC_SUPER_MAGIC);
    struct stat a, b;
    CHECK("/proc/.. is /", stat("/proc/..", &a) == 0 && stat("/", &b) == 0 && a.st_ino == b.st_ino &&
          a.st_dev == b.st_dev);
    CHECK("/proc is another device than /", stat("/proc", &a) == 0 && a.st_dev != b.st_dev);

    char cwd[PATH_MAX], want[64];
    CHECK_OK("chdir /proc/self/fd", chdir("/proc/self/fd"));
    snprintf(want, sizeof want, "/proc/%d/fd", getpid());
    CHECK("getcwd inside /proc", getcwd(cwd, sizeof cwd) && !strcmp(cwd, want));
    CHECK_OK("chdir ../../..", chdir("../../.."));
    CHECK("getcwd back at /", getcwd(cwd, sizeof cwd) && !strcmp(cwd, "/"));
    CHECK_OK("chdir back", chdir(kt_dir));

    CHECK_ERR("mkdir in /proc -> ENOENT", mkdir("/proc/kt_new", 0755), ENOENT);
    CHECK_ERR("create in /proc -> ENOENT", open("/proc/kt_new", O_CREAT | O_WRONLY, 0644), ENOENT);
    CHECK_ERR("unknown /proc name -> ENOENT", open("/proc/no_such_file", O_RDONLY), ENOENT);

    /* A snapshot: read, seek back, read the same. */
    int fd = open("/proc/self/status", O_RDONLY);
    char x[64], y[64];
    CHECK("read status twice through lseek",
          fd >= 0 && read(fd, x, 64) == 64 && lseek(fd, 0, SEEK_SET) == 0 && read(fd, y, 64) == 64 &&
          !memcmp(x, y, 64));
    CHECK_EQ("pread at an offset", pread(fd, y, 10, 6), 10);
    CHECK("pread reads the same bytes", !memcmp(x + 6, y, 10));
    if (fd >= 0)
        close(fd);
}

static void test_other_processes(void)
{
    /* A reaped child's pid has no directory. */
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", c);
    int st;
    waitpid(c, &st, 0);
    CHECK_ERR("status of a reaped pid -> ENOENT", open(path, O_RDONLY), ENOENT);
    CHECK_ERR("a pid that never was -> ENOENT", open("/proc/999999999/stat", O_RDONLY), ENOENT);

    /* A live child is listed, and its stat shows us as its parent. */
    int p[2];
    pipe(p);
    c = fork();
    if (c == 0) {
        char ch;
        close(p[1]);
        read(p[0], &ch, 1);
        _exit(0);
    }
    close(p[0]);
    DIR *d = opendir("/proc");
    int listed = 0, self_listed = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        listed |= atoi(e->d_name) == c;
        self_listed |= atoi(e->d_name) == getpid();
    }
    if (d)
        closedir(d);
    CHECK("/proc lists the child and us", listed && self_listed);
    snprintf(path, sizeof path, "/proc/%d/stat", c);
    long ppid = -1;
    char state = 0;
    /* The child may not have reached its read yet: look again for up to two seconds. */
    for (int tries = 0; tries < 200 && state != 'S'; tries++) {
        if (tries)
            usleep(10000);
        if (slurp(path) > 0) {
            char *r = strrchr(text, ')');
            if (r)
                sscanf(r + 2, "%c %ld", &state, &ppid);
        }
    }
    CHECK_EQ("child's stat names us as parent", ppid, getpid());
    CHECK("child's state is S (sleeping in read)", state == 'S');
    write(p[1], "x", 1);
    close(p[1]);
    waitpid(c, &st, 0);

    /* Another user's environ is EACCES; its own is not. */
    if (geteuid() != 0) {
        SKIP("another user's environ -> EACCES", "needs root to drop privileges");
        return;
    }
    c = fork();
    if (c == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(10);
        char ppath[64];
        snprintf(ppath, sizeof ppath, "/proc/%d/environ", getppid());
        int fd = open(ppath, O_RDONLY);
        if (fd >= 0 || errno != EACCES)
            _exit(11);
        snprintf(ppath, sizeof ppath, "/proc/%d/status", getppid());
        if (open(ppath, O_RDONLY) < 0)
            _exit(13);
        _exit(0);
    }
    waitpid(c, &st, 0);
    CHECK_EQ("as nobody: parent's environ EACCES, its status readable",
             WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
}

static void test_mount(void)
{
    if (geteuid() != 0) {
        SKIP("mount tmpfs and proc, umount2", "needs root");
        return;
    }
    char *dir = realpath(kt_dir, NULL);
    char m[PATH_MAX], pdir[PATH_MAX], file[PATH_MAX + 8], line[PATH_MAX + 32], buf[64];
    snprintf(m, sizeof m, "%s/m", dir ? dir : ".");
    snprintf(pdir, sizeof pdir, "%s/p", dir ? dir : ".");
    free(dir);
    mkdir(m, 0755);
    mkdir(pdir, 0755);
    CHECK_OK("mount tmpfs", mount("none", m, "tmpfs", MS_NOSUID | MS_NODEV, NULL));
    struct statfs sf;
    CHECK("statfs of the mount is TMPFS_MAGIC", statfs(m, &sf) == 0 && sf.f_type == TMPFS_MAGIC);
    snprintf(file, sizeof file, "%s/f", m);
    CHECK("create a file on the tmpfs", kt_write_file(file, "data", 4) == 0);
    CHECK_ERR("rename out of the tmpfs -> EXDEV", rename(file, "moved"), EXDEV);
    struct stat a, b;
    CHECK("the tmpfs is another device", stat(file, &a) == 0 && stat(kt_dir, &b) == 0 && a.st_dev != b.st_dev);
    snprintf(line, sizeof line, "none %s tmpfs rw,nosuid,nodev", m);
    CHECK("/proc/mounts shows the tmpfs", slurp("/proc/mounts") > 0 && strstr(text, line));
    CHECK_ERR("rmdir of a mount point -> EBUSY", rmdir(m), EBUSY);
    CHECK_OK("mount proc", mount("proc", pdir, "proc", 0, NULL));
    snprintf(file, sizeof file, "%s/self", pdir);
    ssize_t n = readlink(file, buf, sizeof buf - 1);
    CHECK("the second procfs shows us too", n > 0 && (buf[n] = 0, atol(buf) == getpid()));
    CHECK_OK("umount2 proc", umount2(pdir, 0));
    CHECK_ERR("self is gone after umount", readlink(file, buf, sizeof buf), ENOENT);
    CHECK_ERR("mount of an unknown type -> ENODEV", mount("x", pdir, "no_such_fs_type", 0, NULL), ENODEV);
    CHECK_ERR("umount2 of a plain directory -> EINVAL", umount2(pdir, 0), EINVAL);
    pid_t c = fork();
    if (c == 0) {
        if (setuid(65534) != 0)
            _exit(10);
        _exit(umount2("/proc", 0) == -1 && errno == EPERM ? 0 : 11);
    }
    int st;
    waitpid(c, &st, 0);
    CHECK_EQ("umount2 as a user -> EPERM", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
    CHECK_OK("umount2 tmpfs", umount2(m, 0));
    snprintf(file, sizeof file, "%s/f", m);
    CHECK_ERR("the tmpfs's file is gone", access(file, F_OK), ENOENT);
    rmdir(m);
    rmdir(pdir);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_proc_fs");
    test_stat();
    test_status();
    test_cmdline_environ(argc, argv);
    test_links();
    test_fds();
    test_system_files();
    test_fs_behaviour();
    test_other_processes();
    test_mount();
    kt_finish();
}
