/* t_fileio: open/openat/creat/close/read/write/readv/writev/pread64/pwrite64/lseek,
 * dup/dup2/dup3, fcntl F_DUPFD/F_DUPFD_CLOEXEC/F_GETFD/F_SETFD/F_GETFL/F_SETFL,
 * O_CLOEXEC, O_APPEND, O_TRUNC, O_EXCL, O_DIRECTORY, O_NOFOLLOW. */
#include "kt.h"
#include <sys/uio.h>

static off_t fsize(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_size : -1;
}

static void test_open_close(void)
{
    int fd = open("a.txt", O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK("open O_CREAT|O_EXCL creates", fd >= 0);
    CHECK_ERR("open O_EXCL on existing -> EEXIST", open("a.txt", O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
    CHECK_ERR("open missing without O_CREAT -> ENOENT", open("nope.txt", O_RDONLY), ENOENT);
    CHECK_ERR("open missing/dir/file -> ENOENT", open("nodir/x", O_RDWR | O_CREAT, 0600), ENOENT);
    CHECK_ERR("open file/x -> ENOTDIR", open("a.txt/x", O_RDONLY), ENOTDIR);
    CHECK_ERR("open O_DIRECTORY on file -> ENOTDIR", open("a.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERR("open dir O_WRONLY -> EISDIR", open(".", O_WRONLY), EISDIR);
    CHECK_ERR("open empty path -> ENOENT", open("", O_RDONLY), ENOENT);
    CHECK_ERR("open bad path pointer -> EFAULT", syscall(SYS_openat, AT_FDCWD, KT_BADPTR, O_RDONLY, 0), EFAULT);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    CHECK("open . O_DIRECTORY", dfd >= 0);
    if (symlink("a.txt", "lnk") == 0)
        CHECK_ERR("open O_NOFOLLOW on symlink -> ELOOP", open("lnk", O_RDONLY | O_NOFOLLOW), ELOOP);
    close(dfd);
    CHECK_EQ("close returns 0", close(fd), 0);
    CHECK_ERR("close twice -> EBADF", close(fd), EBADF);
    CHECK_ERR("close(-1) -> EBADF", close(-1), EBADF);
#ifdef SYS_open
    int r = (int)syscall(SYS_open, "raw.txt", O_WRONLY | O_CREAT, 0644);
    CHECK("raw SYS_open creates", r >= 0);
    close(r);
#endif
#ifdef SYS_creat
    int rc = (int)syscall(SYS_creat, "creat.txt", 0644);
    CHECK("raw SYS_creat", rc >= 0);
    CHECK_EQ("creat is O_WRONLY", fcntl(rc, F_GETFL) & O_ACCMODE, O_WRONLY);
    close(rc);
#endif
    int c = creat("creat2.txt", 0600);
    CHECK("creat", c >= 0);
    CHECK_EQ("creat write", write(c, "hello", 5), 5);
    close(c);
    c = creat("creat2.txt", 0600);
    CHECK_EQ("creat truncates existing", fsize(c), 0);
    close(c);
    struct stat st;
    CHECK("creat applies mode&~umask", stat("creat2.txt", &st) == 0 && (st.st_mode & 0777) == (0600 & ~022 & 0777));
}

static void test_openat(void)
{
    mkdir("sub", 0755);
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    int fd = openat(dfd, "f", O_RDWR | O_CREAT, 0644);
    CHECK("openat relative to dirfd", fd >= 0);
    close(fd);
    CHECK("openat file visible at sub/f", access("sub/f", F_OK) == 0);
    fd = openat(AT_FDCWD, "sub/f", O_RDONLY);
    CHECK("openat AT_FDCWD", fd >= 0);
    CHECK_ERR("openat relative with file fd -> ENOTDIR", openat(fd, "x", O_RDONLY), ENOTDIR);
    close(fd);
    CHECK_ERR("openat bad dirfd -> EBADF", openat(12345, "x", O_RDONLY), EBADF);
    char abs[PATH_MAX];
    snprintf(abs, sizeof abs, "%s/sub/f", kt_dir);
    fd = openat(12345, abs, O_RDONLY);
    CHECK("openat absolute ignores bad dirfd", fd >= 0);
    close(fd);
    close(dfd);
}

static void test_rw(void)
{
    int fd = open("rw.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK_EQ("write 10 bytes", write(fd, "0123456789", 10), 10);
    CHECK_EQ("file offset after write", lseek(fd, 0, SEEK_CUR), 10);
    char buf[32] = {0};
    CHECK_EQ("read at EOF returns 0", read(fd, buf, sizeof buf), 0);
    CHECK_EQ("lseek SEEK_SET", lseek(fd, 2, SEEK_SET), 2);
    CHECK_EQ("read 4", read(fd, buf, 4), 4);
    CHECK("read data", memcmp(buf, "2345", 4) == 0);
    CHECK_EQ("lseek SEEK_CUR", lseek(fd, -1, SEEK_CUR), 5);
    CHECK_EQ("lseek SEEK_END", lseek(fd, -3, SEEK_END), 7);
    CHECK_EQ("short read at tail", read(fd, buf, sizeof buf), 3);
    CHECK_ERR("lseek negative result -> EINVAL", lseek(fd, -100, SEEK_SET), EINVAL);
    CHECK_ERR("lseek bad whence -> EINVAL", lseek(fd, 0, 42), EINVAL);
    CHECK_ERR("lseek bad fd -> EBADF", lseek(999, 0, SEEK_SET), EBADF);
    CHECK_EQ("lseek past end", lseek(fd, 20, SEEK_SET), 20);
    CHECK_EQ("write past end makes hole", write(fd, "X", 1), 1);
    CHECK_EQ("size after hole write", fsize(fd), 21);
    CHECK_EQ("pread in hole", pread(fd, buf, 5, 12), 5);
    CHECK("hole reads zeros", memcmp(buf, "\0\0\0\0\0", 5) == 0);
    CHECK_EQ("pwrite64", pwrite(fd, "ab", 2, 0), 2);
    CHECK_EQ("pwrite does not move offset", lseek(fd, 0, SEEK_CUR), 21);
    CHECK_EQ("pread64", pread(fd, buf, 3, 0), 3);
    CHECK("pread data", memcmp(buf, "ab2", 3) == 0);
    CHECK_ERR("pread negative offset -> EINVAL", pread(fd, buf, 1, -1), EINVAL);
    CHECK_ERR("pwrite negative offset -> EINVAL", pwrite(fd, buf, 1, -5), EINVAL);
    CHECK_ERR("read bad buffer -> EFAULT", syscall(SYS_pread64, fd, KT_BADPTR, 4, 0), EFAULT);
    CHECK_ERR("write bad buffer -> EFAULT", syscall(SYS_write, fd, KT_BADPTR, 4), EFAULT);
    CHECK_ERR("read closed fd -> EBADF", read(777, buf, 1), EBADF);
    CHECK_ERR("write closed fd -> EBADF", write(777, buf, 1), EBADF);
    CHECK_ERR("read directory -> EISDIR", ({ int d = open(".", O_RDONLY); long r = read(d, buf, 4); int e = errno; close(d); errno = e; r; }), EISDIR);

    /* readv / writev */
    lseek(fd, 0, SEEK_SET);
    ftruncate(fd, 0);
    struct iovec iov[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
    CHECK_EQ("writev gathers", writev(fd, iov, 3), 8);
    lseek(fd, 0, SEEK_SET);
    char a[2], b[10];
    struct iovec riov[2] = {{a, 2}, {b, sizeof b}};
    CHECK_EQ("readv scatters", readv(fd, riov, 2), 8);
    CHECK("readv data", memcmp(a, "ab", 2) == 0 && memcmp(b, "cdefgh", 6) == 0);
    CHECK_ERR("readv negative iovcnt -> EINVAL", syscall(SYS_readv, fd, riov, -1), EINVAL);
    CHECK_ERR("writev iovcnt > IOV_MAX -> EINVAL", syscall(SYS_writev, fd, iov, 1025), EINVAL);
    CHECK_ERR("readv bad iov pointer -> EFAULT", syscall(SYS_readv, fd, KT_BADPTR, 1), EFAULT);
    struct iovec bad = {KT_BADPTR, 8};
    lseek(fd, 0, SEEK_SET);
    CHECK_ERR("readv bad iov_base -> EFAULT", syscall(SYS_readv, fd, &bad, 1), EFAULT);
    CHECK_EQ("writev iovcnt 0", writev(fd, iov, 0), 0);
    close(fd);

    fd = open("rw.txt", O_RDONLY);
    CHECK_ERR("write to O_RDONLY fd -> EBADF", write(fd, "x", 1), EBADF);
    close(fd);
    fd = open("rw.txt", O_WRONLY);
    CHECK_ERR("read from O_WRONLY fd -> EBADF", read(fd, buf, 1), EBADF);
    close(fd);
}

static void test_flags(void)
{
    kt_write_file("ap.txt", "12345", 5);
    int fd = open("ap.txt", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    CHECK_EQ("O_APPEND write", write(fd, "67", 2), 2);
    CHECK_EQ("O_APPEND writes at end", fsize(fd), 7);
    CHECK_EQ("O_APPEND offset at end", lseek(fd, 0, SEEK_CUR), 7);
    CHECK("F_GETFL has O_APPEND", fcntl(fd, F_GETFL) & O_APPEND);
    CHECK_EQ("F_SETFL clear O_APPEND", fcntl(fd, F_SETFL, 0), 0);
    lseek(fd, 0, SEEK_SET);
    write(fd, "A", 1);
    CHECK_EQ("write after clearing O_APPEND overwrites", fsize(fd), 7);
    CHECK_EQ("F_SETFL ignores access mode", fcntl(fd, F_SETFL, O_RDWR | O_NONBLOCK), 0);
    int fl = fcntl(fd, F_GETFL);
    CHECK("F_GETFL after F_SETFL", (fl & O_ACCMODE) == O_WRONLY && (fl & O_NONBLOCK));
    close(fd);
    fd = open("ap.txt", O_RDWR | O_TRUNC);
    CHECK_EQ("O_TRUNC empties file", fsize(fd), 0);
    close(fd);
    CHECK_ERR("open missing with O_TRUNC -> ENOENT", open("missing", O_RDONLY | O_TRUNC), ENOENT);

    /* O_CLOEXEC and FD_CLOEXEC */
    fd = open("ap.txt", O_RDONLY | O_CLOEXEC);
    CHECK_EQ("O_CLOEXEC sets FD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
    CHECK_EQ("F_SETFD 0", fcntl(fd, F_SETFD, 0), 0);
    CHECK_EQ("F_GETFD after clear", fcntl(fd, F_GETFD), 0);
    CHECK_EQ("F_SETFD FD_CLOEXEC", fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
    CHECK_EQ("F_GETFD after set", fcntl(fd, F_GETFD), FD_CLOEXEC);
    CHECK_ERR("fcntl bad fd -> EBADF", fcntl(4321, F_GETFD), EBADF);
    CHECK_ERR("fcntl bad cmd -> EINVAL", fcntl(fd, 0x7fff), EINVAL);
    close(fd);
}

static void test_dup(void)
{
    int fd = open("dup.txt", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int d = dup(fd);
    CHECK("dup", d >= 0 && d != fd);
    CHECK_EQ("dup clears FD_CLOEXEC", fcntl(d, F_GETFD), 0);
    write(fd, "abc", 3);
    CHECK_EQ("dup shares offset", lseek(d, 0, SEEK_CUR), 3);
    CHECK_ERR("dup bad fd -> EBADF", dup(-1), EBADF);
    CHECK_EQ("dup2 to chosen fd", dup2(fd, 100), 100);
    CHECK_EQ("dup2 target offset shared", lseek(100, 0, SEEK_CUR), 3);
    CHECK_EQ("dup2 same fd returns fd", dup2(fd, fd), fd);
#ifdef SYS_dup2
    /* raw: where there is no dup2 syscall (riscv64, loongarch64) zig's musl emulates it
     * and returns 555 here without asking the kernel */
    CHECK_ERR("dup2 same bad fd -> EBADF", syscall(SYS_dup2, 555, 555), EBADF);
#else
    SKIP("dup2 same bad fd -> EBADF", "no dup2 syscall on this architecture");
#endif
    CHECK_ERR("dup2 bad oldfd -> EBADF", dup2(555, 101), EBADF);
    CHECK_ERR("dup2 negative newfd -> EBADF", dup2(fd, -1), EBADF);
    int d2 = open("dup.txt", O_RDONLY);
    CHECK_EQ("dup2 over open fd closes it", dup2(fd, d2), d2);
    CHECK_EQ("dup2'd fd now writable", write(d2, "d", 1), 1);
    close(d2);
    CHECK_EQ("dup3 O_CLOEXEC", dup3(fd, 102, O_CLOEXEC), 102);
    CHECK_EQ("dup3 sets FD_CLOEXEC", fcntl(102, F_GETFD), FD_CLOEXEC);
    CHECK_ERR("dup3 same fd -> EINVAL", dup3(fd, fd, 0), EINVAL);
    CHECK_ERR("dup3 bad flags -> EINVAL", dup3(fd, 103, 0x4), EINVAL);
    CHECK_ERR("dup3 bad oldfd -> EBADF", dup3(555, 103, 0), EBADF);
    int f = fcntl(fd, F_DUPFD, 200);
    CHECK_EQ("F_DUPFD lowest >= arg", f, 200);
    CHECK_EQ("F_DUPFD clears cloexec", fcntl(f, F_GETFD), 0);
    CHECK_EQ("F_DUPFD next free", fcntl(fd, F_DUPFD, 200), 201);
    CHECK_EQ("F_DUPFD_CLOEXEC", fcntl(fcntl(fd, F_DUPFD_CLOEXEC, 300), F_GETFD), FD_CLOEXEC);
    CHECK_ERR("F_DUPFD negative -> EINVAL", fcntl(fd, F_DUPFD, -1), EINVAL);
    CHECK_ERR("F_DUPFD >= RLIMIT_NOFILE -> EINVAL", fcntl(fd, F_DUPFD, 1 << 30), EINVAL);
    CHECK_ERR("dup2 newfd >= RLIMIT_NOFILE -> EBADF", dup2(fd, 1 << 30), EBADF);
    close(100); close(102); close(200); close(201); close(300);
    close(fd); close(d);
#ifdef SYS_dup2
    CHECK_ERR("raw SYS_dup2 bad fd", syscall(SYS_dup2, 9999, 10), EBADF);
#endif
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_fileio");
    umask(022);
    test_open_close();
    test_openat();
    test_rw();
    test_flags();
    test_dup();
    kt_finish();
}

