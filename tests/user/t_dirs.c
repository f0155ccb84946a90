/* t_dirs: mkdir/mkdirat/rmdir/unlink/unlinkat/rename/renameat/renameat2/link/linkat/
 * symlink/symlinkat/readlink/readlinkat/getdents64/getcwd/chdir/fchdir/stat/fstat/lstat/
 * newfstatat/statx/access/faccessat/chmod/fchmod/fchmodat/umask/truncate/ftruncate/utimensat. */
#include "kt.h"
#include <sys/time.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef AT_STATX_SYNC_AS_STAT
#define AT_STATX_SYNC_AS_STAT 0
#endif

/* The kernel's struct statx, declared here so both libcs' headers are irrelevant. */
struct kt_statx_ts { int64_t tv_sec; uint32_t tv_nsec; int32_t pad; };
struct kt_statx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, pad1;
    uint64_t ino, size, blocks, attributes_mask;
    struct kt_statx_ts atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t spare[14];
};
#define KT_STATX_TYPE 0x1U
#define KT_STATX_MODE 0x2U
#define KT_STATX_SIZE 0x200U
#define KT_STATX_BASIC_STATS 0x7ffU

/* The kernel's linux_dirent64. */
struct kt_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static void test_mkdir_rmdir(void)
{
    CHECK_EQ("mkdir", mkdir("d1", 0755), 0);
    CHECK_ERR("mkdir existing -> EEXIST", mkdir("d1", 0755), EEXIST);
    CHECK_ERR("mkdir missing parent -> ENOENT", mkdir("nope/d", 0755), ENOENT);
    CHECK_ERR("mkdir bad pointer -> EFAULT", syscall(SYS_mkdirat, AT_FDCWD, KT_BADPTR, 0755), EFAULT);
    int dfd = open("d1", O_RDONLY | O_DIRECTORY);
    CHECK_EQ("mkdirat", mkdirat(dfd, "d2", 0700), 0);
    CHECK("mkdirat result is a directory", ({ struct stat s; stat("d1/d2", &s) == 0 && S_ISDIR(s.st_mode); }));
    CHECK_ERR("mkdirat bad dirfd -> EBADF", mkdirat(999, "x", 0755), EBADF);
    kt_write_file("file", "x", 1);
    CHECK_ERR("mkdir under a file -> ENOTDIR", mkdir("file/x", 0755), ENOTDIR);
    CHECK_ERR("rmdir non-empty -> ENOTEMPTY", rmdir("d1"), ENOTEMPTY);
    CHECK_ERR("rmdir a file -> ENOTDIR", rmdir("file"), ENOTDIR);
    CHECK_ERR("rmdir missing -> ENOENT", rmdir("nope"), ENOENT);
    CHECK_ERR("rmdir . -> EINVAL", rmdir("d1/d2/."), EINVAL);
    CHECK_EQ("rmdir empty", rmdir("d1/d2"), 0);
    CHECK("rmdir removed", !exists("d1/d2"));
#ifdef SYS_mkdir
    CHECK_EQ("raw SYS_mkdir", syscall(SYS_mkdir, "rawdir", 0755), 0);
#else
    mkdir("rawdir", 0755);
#endif
#ifdef SYS_rmdir
    CHECK_EQ("raw SYS_rmdir", syscall(SYS_rmdir, "rawdir"), 0);
#else
    rmdir("rawdir");
#endif
    close(dfd);
}

static void test_unlink_link(void)
{
    kt_write_file("u1", "hello", 5);
    CHECK_EQ("link", link("u1", "u2"), 0);
    struct stat st;
    CHECK("link bumps nlink", stat("u1", &st) == 0 && st.st_nlink == 2);
    CHECK_ERR("link to existing -> EEXIST", link("u1", "u2"), EEXIST);
    CHECK_ERR("link missing source -> ENOENT", link("nope", "u3"), ENOENT);
    CHECK_ERR("link a directory -> EPERM", link("d1", "d1link"), EPERM);
    CHECK_EQ("linkat", linkat(AT_FDCWD, "u1", AT_FDCWD, "u3", 0), 0);
    CHECK_ERR("linkat bad flags -> EINVAL", linkat(AT_FDCWD, "u1", AT_FDCWD, "u4", 0x1), EINVAL);
    CHECK_EQ("unlink", unlink("u2"), 0);
    CHECK("unlink drops nlink", stat("u1", &st) == 0 && st.st_nlink == 2);
    CHECK_ERR("unlink missing -> ENOENT", unlink("u2"), ENOENT);
    CHECK_ERR("unlink directory -> EISDIR", unlink("d1"), EISDIR);
    CHECK_ERR("unlink through file -> ENOTDIR", unlink("u1/x"), ENOTDIR);
    int fd = open("u1", O_RDONLY);
    unlink("u1");
    unlink("u3");
    char buf[8] = {0};
    CHECK_EQ("unlinked file still readable through open fd", read(fd, buf, 5), 5);
    CHECK("unlinked file nlink 0", fstat(fd, &st) == 0 && st.st_nlink == 0);
    close(fd);
    mkdir("ud", 0755);
    kt_write_file("ud/f", "", 0);
    CHECK_EQ("unlinkat file", unlinkat(AT_FDCWD, "ud/f", 0), 0);
    CHECK_ERR("unlinkat dir without AT_REMOVEDIR -> EISDIR", unlinkat(AT_FDCWD, "ud", 0), EISDIR);
    CHECK_ERR("unlinkat bad flags -> EINVAL", unlinkat(AT_FDCWD, "ud", 0x1), EINVAL);
    CHECK_EQ("unlinkat AT_REMOVEDIR", unlinkat(AT_FDCWD, "ud", AT_REMOVEDIR), 0);
    CHECK_ERR("unlinkat bad dirfd -> EBADF", unlinkat(999, "x", 0), EBADF);
}

static void test_rename(void)
{
    kt_write_file("r1", "one", 3);
    kt_write_file("r2", "two", 3);
    CHECK_EQ("rename over existing file", rename("r1", "r2"), 0);
    char buf[8] = {0};
    int fd = open("r2", O_RDONLY);
    read(fd, buf, 3);
    close(fd);
    CHECK("rename replaced target", !exists("r1") && memcmp(buf, "one", 3) == 0);
    CHECK_ERR("rename missing -> ENOENT", rename("r1", "r3"), ENOENT);
    mkdir("rd", 0755);
    mkdir("rd2", 0755);
    kt_write_file("rd2/x", "", 0);
    CHECK_ERR("rename file over dir -> EISDIR", rename("r2", "rd"), EISDIR);
    CHECK_ERR("rename dir over file -> ENOTDIR", rename("rd", "r2"), ENOTDIR);
    CHECK_ERR("rename dir over non-empty dir -> ENOTEMPTY", rename("rd", "rd2"), ENOTEMPTY);
    CHECK_ERR("rename dir into itself -> EINVAL", rename("rd", "rd/sub"), EINVAL);
    CHECK_EQ("rename same file is no-op", rename("r2", "r2"), 0);
    CHECK_EQ("renameat", renameat(AT_FDCWD, "r2", AT_FDCWD, "rd/r2"), 0);
    kt_write_file("n1", "1", 1);
    kt_write_file("n2", "2", 1);
    CHECK_ERR("renameat2 RENAME_NOREPLACE existing -> EEXIST",
              syscall(SYS_renameat2, AT_FDCWD, "n1", AT_FDCWD, "n2", RENAME_NOREPLACE), EEXIST);
    CHECK_EQ("renameat2 RENAME_EXCHANGE",
             syscall(SYS_renameat2, AT_FDCWD, "n1", AT_FDCWD, "n2", RENAME_EXCHANGE), 0);
    fd = open("n1", O_RDONLY);
    read(fd, buf, 1);
    close(fd);
    CHECK("renameat2 exchanged contents", buf[0] == '2');
    CHECK_ERR("renameat2 EXCHANGE missing target -> ENOENT",
              syscall(SYS_renameat2, AT_FDCWD, "n1", AT_FDCWD, "n9", RENAME_EXCHANGE), ENOENT);
    CHECK_ERR("renameat2 NOREPLACE|EXCHANGE -> EINVAL",
              syscall(SYS_renameat2, AT_FDCWD, "n1", AT_FDCWD, "n2", RENAME_NOREPLACE | RENAME_EXCHANGE), EINVAL);
    CHECK_ERR("renameat2 unknown flag -> EINVAL",
              syscall(SYS_renameat2, AT_FDCWD, "n1", AT_FDCWD, "n2", 0x100), EINVAL);
    CHECK_EQ("renameat2 NOREPLACE to new name",
             syscall(SYS_renameat2, AT_FDCWD, "n1", AT_FDCWD, "n3", RENAME_NOREPLACE), 0);
#ifdef SYS_rename
    CHECK_EQ("raw SYS_rename", syscall(SYS_rename, "n3", "n4"), 0);
#endif
}

static void test_symlink(void)
{
    kt_write_file("target", "T", 1);
    CHECK_EQ("symlink", symlink("target", "sl"), 0);
    CHECK_ERR("symlink existing -> EEXIST", symlink("target", "sl"), EEXIST);
    CHECK_EQ("symlink dangling allowed", symlink("nowhere", "dangle"), 0);
    char buf[64];
    memset(buf, 'z', sizeof buf);
    CHECK_EQ("readlink returns length", readlink("sl", buf, sizeof buf), 6);
    CHECK("readlink no NUL terminator", memcmp(buf, "target", 6) == 0 && buf[6] == 'z');
    CHECK_EQ("readlink truncates", readlink("sl", buf, 3), 3);
    CHECK_ERR("readlink non-symlink -> EINVAL", readlink("target", buf, sizeof buf), EINVAL);
    CHECK_ERR("readlink missing -> ENOENT", readlink("nope", buf, sizeof buf), ENOENT);
    CHECK_ERR("readlink bufsize 0 -> EINVAL", syscall(SYS_readlinkat, AT_FDCWD, "sl", buf, 0), EINVAL);
    CHECK_ERR("readlink bad buffer -> EFAULT", syscall(SYS_readlinkat, AT_FDCWD, "sl", KT_BADPTR, 64), EFAULT);
    CHECK_EQ("symlinkat", symlinkat("target", AT_FDCWD, "sl2"), 0);
    CHECK_EQ("readlinkat", readlinkat(AT_FDCWD, "sl2", buf, sizeof buf), 6);
    struct stat st, lst;
    CHECK("stat follows symlink", stat("sl", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 1);
    CHECK("lstat does not follow", lstat("sl", &lst) == 0 && S_ISLNK(lst.st_mode) && lst.st_size == 6);
    CHECK_ERR("stat dangling symlink -> ENOENT", stat("dangle", &st), ENOENT);
    symlink("loop2", "loop1");
    symlink("loop1", "loop2");
    CHECK_ERR("symlink loop -> ELOOP", stat("loop1", &st), ELOOP);
    int fd = open("sl", O_RDONLY);
    CHECK("open through symlink", fd >= 0);
    close(fd);
}

static void test_getdents(void)
{
    mkdir("gd", 0755);
    kt_write_file("gd/a", "", 0);
    kt_write_file("gd/bb", "", 0);
    mkdir("gd/c", 0755);
    int fd = open("gd", O_RDONLY | O_DIRECTORY);
    char buf[4096];
    int seen = 0, dot = 0, dotdot = 0, types_ok = 1;
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct kt_dirent64 *d = (struct kt_dirent64 *)(buf + off);
            if (!strcmp(d->d_name, ".")) dot++;
            else if (!strcmp(d->d_name, "..")) dotdot++;
            else if (!strcmp(d->d_name, "a") || !strcmp(d->d_name, "bb")) { seen++; types_ok &= d->d_type == DT_REG || d->d_type == DT_UNKNOWN; }
            else if (!strcmp(d->d_name, "c")) { seen++; types_ok &= d->d_type == DT_DIR || d->d_type == DT_UNKNOWN; }
            off += d->d_reclen;
        }
    }
    CHECK_EQ("getdents64 ends with 0", n, 0);
    CHECK("getdents64 lists ., .. and 3 entries", seen == 3 && dot == 1 && dotdot == 1);
    CHECK("getdents64 d_type", types_ok);
    CHECK_EQ("getdents64 at end returns 0 again", syscall(SYS_getdents64, fd, buf, sizeof buf), 0);
    lseek(fd, 0, SEEK_SET);
    CHECK_ERR("getdents64 buffer too small -> EINVAL", syscall(SYS_getdents64, fd, buf, 8), EINVAL);
    CHECK_ERR("getdents64 bad buffer -> EFAULT", syscall(SYS_getdents64, fd, KT_BADPTR, 4096), EFAULT);
    close(fd);
    CHECK_ERR("getdents64 bad fd -> EBADF", syscall(SYS_getdents64, 999, buf, sizeof buf), EBADF);
    fd = open("gd/a", O_RDONLY);
    CHECK_ERR("getdents64 on file -> ENOTDIR", syscall(SYS_getdents64, fd, buf, sizeof buf), ENOTDIR);
    close(fd);
    /* Small buffer: entries come one or two at a time but all arrive. */
    fd = open("gd", O_RDONLY | O_DIRECTORY);
    int total = 0;
    while ((n = syscall(SYS_getdents64, fd, buf, 48)) > 0)
        for (long off = 0; off < n; off += ((struct kt_dirent64 *)(buf + off))->d_reclen)
            total++;
    CHECK_EQ("getdents64 small buffer sees all 5", total, 5);
    close(fd);
}

static void test_cwd(void)
{
    char cwd[PATH_MAX], buf[PATH_MAX];
    CHECK("getcwd", getcwd(cwd, sizeof cwd) != NULL);
    CHECK("getcwd is the test dir", strcmp(cwd, kt_dir) == 0);
    CHECK_EQ("raw getcwd returns length incl NUL", syscall(SYS_getcwd, buf, sizeof buf), (long)strlen(kt_dir) + 1);
    CHECK_ERR("getcwd too small -> ERANGE", syscall(SYS_getcwd, buf, 2), ERANGE);
    CHECK_ERR("getcwd bad buffer -> EFAULT", syscall(SYS_getcwd, KT_BADPTR, sizeof buf), EFAULT);
    mkdir("cd", 0755);
    CHECK_EQ("chdir", chdir("cd"), 0);
    getcwd(buf, sizeof buf);
    CHECK("getcwd after chdir", strlen(buf) == strlen(cwd) + 3 && !strcmp(buf + strlen(cwd), "/cd"));
    CHECK_EQ("chdir ..", chdir(".."), 0);
    CHECK_ERR("chdir missing -> ENOENT", chdir("nope"), ENOENT);
    kt_write_file("cdfile", "", 0);
    CHECK_ERR("chdir to file -> ENOTDIR", chdir("cdfile"), ENOTDIR);
    CHECK_ERR("chdir bad pointer -> EFAULT", syscall(SYS_chdir, KT_BADPTR), EFAULT);
    int dfd = open("cd", O_RDONLY | O_DIRECTORY);
    CHECK_EQ("fchdir", fchdir(dfd), 0);
    getcwd(buf, sizeof buf);
    CHECK("getcwd after fchdir", !strcmp(buf + strlen(cwd), "/cd"));
    chdir(cwd);
    close(dfd);
    CHECK_ERR("fchdir bad fd -> EBADF", fchdir(999), EBADF);
    int ffd = open("cdfile", O_RDONLY);
    CHECK_ERR("fchdir on file -> ENOTDIR", fchdir(ffd), ENOTDIR);
    close(ffd);
}

static void test_stat(void)
{
    kt_write_file("s", "12345", 5);
    struct stat st, st2;
    CHECK_EQ("stat", stat("s", &st), 0);
    CHECK("stat regular, size 5", S_ISREG(st.st_mode) && st.st_size == 5 && st.st_nlink == 1);
    int fd = open("s", O_RDONLY);
    CHECK_EQ("fstat", fstat(fd, &st2), 0);
    CHECK("fstat same inode", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
    CHECK_ERR("fstat bad fd -> EBADF", fstat(999, &st), EBADF);
    CHECK_ERR("stat missing -> ENOENT", stat("nope", &st), ENOENT);
    CHECK_ERR("stat empty path -> ENOENT", stat("", &st), ENOENT);
    CHECK("stat directory", stat(".", &st) == 0 && S_ISDIR(st.st_mode));
#ifdef SYS_stat
    CHECK_EQ("raw SYS_stat", syscall(SYS_stat, "s", &st), 0);
    CHECK_ERR("raw SYS_stat bad buf -> EFAULT", syscall(SYS_stat, "s", KT_BADPTR), EFAULT);
#endif
#ifdef SYS_lstat
    CHECK_EQ("raw SYS_lstat", syscall(SYS_lstat, "s", &st), 0);
#endif
#ifdef SYS_fstat
    CHECK_EQ("raw SYS_fstat", syscall(SYS_fstat, fd, &st), 0);
    CHECK_ERR("raw SYS_fstat bad buf -> EFAULT", syscall(SYS_fstat, fd, KT_BADPTR), EFAULT);
#endif
#ifdef SYS_newfstatat
    CHECK_EQ("newfstatat", syscall(SYS_newfstatat, AT_FDCWD, "s", &st, 0), 0);
    CHECK_EQ("newfstatat AT_EMPTY_PATH on fd", syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH), 0);
    CHECK("newfstatat AT_EMPTY_PATH is the file", st.st_ino == st2.st_ino);
    CHECK_ERR("newfstatat bad flags -> EINVAL", syscall(SYS_newfstatat, AT_FDCWD, "s", &st, 0x1), EINVAL);
    CHECK_ERR("newfstatat empty path without flag -> ENOENT", syscall(SYS_newfstatat, fd, "", &st, 0), ENOENT);
    symlink("s", "s_link");
    CHECK("newfstatat AT_SYMLINK_NOFOLLOW", syscall(SYS_newfstatat, AT_FDCWD, "s_link", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode));
#endif
    CHECK("fstatat", fstatat(AT_FDCWD, "s", &st, 0) == 0 && st.st_size == 5);
    struct kt_statx sx;
    memset(&sx, 0, sizeof sx);
    CHECK_EQ("statx", syscall(SYS_statx, AT_FDCWD, "s", AT_STATX_SYNC_AS_STAT, KT_STATX_BASIC_STATS, &sx), 0);
    CHECK("statx fields", (sx.mask & (KT_STATX_TYPE | KT_STATX_MODE | KT_STATX_SIZE)) == (KT_STATX_TYPE | KT_STATX_MODE | KT_STATX_SIZE)
          && S_ISREG(sx.mode) && sx.size == 5 && sx.ino == (uint64_t)st2.st_ino);
    CHECK_EQ("statx AT_EMPTY_PATH", syscall(SYS_statx, fd, "", AT_EMPTY_PATH, KT_STATX_BASIC_STATS, &sx), 0);
    CHECK_ERR("statx bad flags -> EINVAL", syscall(SYS_statx, AT_FDCWD, "s", 0x80000000, KT_STATX_BASIC_STATS, &sx), EINVAL);
    CHECK_ERR("statx reserved mask bit -> EINVAL", syscall(SYS_statx, AT_FDCWD, "s", 0, 0x80000000U, &sx), EINVAL);
    CHECK_ERR("statx missing -> ENOENT", syscall(SYS_statx, AT_FDCWD, "nope", 0, KT_STATX_BASIC_STATS, &sx), ENOENT);
    CHECK_ERR("statx bad buffer -> EFAULT", syscall(SYS_statx, AT_FDCWD, "s", 0, KT_STATX_BASIC_STATS, KT_BADPTR), EFAULT);
    close(fd);
}

static void test_access_chmod(void)
{
    kt_write_file("ac", "", 0);
    CHECK_EQ("access F_OK", access("ac", F_OK), 0);
    CHECK_EQ("access R_OK|W_OK", access("ac", R_OK | W_OK), 0);
    CHECK_ERR("access missing -> ENOENT", access("nope", F_OK), ENOENT);
    CHECK_ERR("access bad mode -> EINVAL", syscall(SYS_faccessat, AT_FDCWD, "ac", 0x10), EINVAL);
    CHECK_EQ("chmod", chmod("ac", 0640), 0);
    struct stat st;
    stat("ac", &st);
    CHECK_EQ("chmod sets mode", st.st_mode & 07777, 0640);
    if (geteuid() != 0) {
        CHECK_ERR("access X_OK on 0640 -> EACCES", access("ac", X_OK), EACCES);
    } else {
        /* root: X_OK still needs at least one x bit */
        CHECK_ERR("access X_OK on 0640 (root) -> EACCES", access("ac", X_OK), EACCES);
    }
    chmod("ac", 0750);
    CHECK_EQ("access X_OK after chmod +x", access("ac", X_OK), 0);
    CHECK_EQ("faccessat", faccessat(AT_FDCWD, "ac", R_OK, 0), 0);
    CHECK_ERR("faccessat bad dirfd -> EBADF", faccessat(999, "ac", R_OK, 0), EBADF);
    CHECK_ERR("chmod missing -> ENOENT", chmod("nope", 0600), ENOENT);
    int fd = open("ac", O_RDONLY);
    CHECK_EQ("fchmod", fchmod(fd, 0604), 0);
    fstat(fd, &st);
    CHECK_EQ("fchmod sets mode", st.st_mode & 07777, 0604);
    CHECK_ERR("fchmod bad fd -> EBADF", fchmod(999, 0600), EBADF);
    CHECK_EQ("fchmodat", fchmodat(AT_FDCWD, "ac", 0600, 0), 0);
    close(fd);
#ifdef SYS_access
    CHECK_EQ("raw SYS_access", syscall(SYS_access, "ac", R_OK), 0);
#endif
#ifdef SYS_chmod
    CHECK_EQ("raw SYS_chmod", syscall(SYS_chmod, "ac", 0644), 0);
#endif
    mode_t old = umask(077);
    CHECK_EQ("umask returns previous", old, 022);
    int c = open("um", O_CREAT | O_WRONLY, 0666);
    fstat(c, &st);
    close(c);
    CHECK_EQ("umask applied on create", st.st_mode & 0777, 0600);
    mkdir("umd", 0777);
    stat("umd", &st);
    CHECK_EQ("umask applied on mkdir", st.st_mode & 0777, 0700);
    CHECK_EQ("umask only keeps 0777", (umask(022), umask(0177777)) , 022);
    CHECK_EQ("umask masked to 0777", umask(022), 0777);
}

static void test_truncate_times(void)
{
    kt_write_file("tr", "0123456789", 10);
    struct stat st;
    CHECK_EQ("truncate shrink", truncate("tr", 4), 0);
    stat("tr", &st);
    CHECK_EQ("truncate size", st.st_size, 4);
    CHECK_EQ("truncate grow", truncate("tr", 100), 0);
    stat("tr", &st);
    CHECK_EQ("truncate grown size", st.st_size, 100);
    CHECK_ERR("truncate negative -> EINVAL", truncate("tr", -1), EINVAL);
    CHECK_ERR("truncate missing -> ENOENT", truncate("nope", 0), ENOENT);
    CHECK_ERR("truncate directory -> EISDIR", truncate(".", 0), EISDIR);
    int fd = open("tr", O_RDWR);
    CHECK_EQ("ftruncate", ftruncate(fd, 2), 0);
    fstat(fd, &st);
    CHECK_EQ("ftruncate size", st.st_size, 2);
    char buf[4];
    pread(fd, buf, 4, 0);
    CHECK("ftruncate keeps prefix", buf[0] == '0' && buf[1] == '1');
    CHECK_ERR("ftruncate negative -> EINVAL", ftruncate(fd, -5), EINVAL);
    close(fd);
    CHECK_ERR("ftruncate bad fd -> EBADF", ftruncate(999, 0), EBADF);
    fd = open("tr", O_RDONLY);
    CHECK_ERR("ftruncate read-only fd -> EINVAL", ftruncate(fd, 0), EINVAL);
    close(fd);

    struct timespec ts[2] = {{1000000000, 123456789}, {1200000000, 5}};
    CHECK_EQ("utimensat sets times", utimensat(AT_FDCWD, "tr", ts, 0), 0);
    stat("tr", &st);
    CHECK("utimensat atime", st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789);
    CHECK("utimensat mtime", st.st_mtim.tv_sec == 1200000000 && st.st_mtim.tv_nsec == 5);
    struct timespec om[2] = {{0, UTIME_OMIT}, {7, 0}};
    CHECK_EQ("utimensat UTIME_OMIT", utimensat(AT_FDCWD, "tr", om, 0), 0);
    stat("tr", &st);
    CHECK("UTIME_OMIT keeps atime", st.st_atim.tv_sec == 1000000000 && st.st_mtim.tv_sec == 7);
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    CHECK_EQ("utimensat UTIME_NOW", utimensat(AT_FDCWD, "tr", now, 0), 0);
    stat("tr", &st);
    CHECK("UTIME_NOW is recent", st.st_mtim.tv_sec > 1600000000);
    CHECK_EQ("utimensat NULL times", utimensat(AT_FDCWD, "tr", NULL, 0), 0);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    CHECK_ERR("utimensat bad nsec -> EINVAL", utimensat(AT_FDCWD, "tr", bad, 0), EINVAL);
    CHECK_ERR("utimensat bad flags -> EINVAL", utimensat(AT_FDCWD, "tr", ts, 0x4), EINVAL);
    CHECK_ERR("utimensat missing -> ENOENT", utimensat(AT_FDCWD, "nope", ts, 0), ENOENT);
    fd = open("tr", O_RDONLY);
    CHECK_EQ("futimens (utimensat NULL path)", futimens(fd, ts), 0);
    close(fd);
    CHECK_ERR("utimensat bad times pointer -> EFAULT", syscall(SYS_utimensat, AT_FDCWD, "tr", KT_BADPTR, 0), EFAULT);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_dirs");
    umask(022);
    test_mkdir_rmdir();
    test_unlink_link();
    test_rename();
    test_symlink();
    test_getdents();
    test_cwd();
    test_stat();
    test_access_chmod();
    test_truncate_times();
    kt_finish();
}
