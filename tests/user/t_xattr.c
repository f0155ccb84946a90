/* t_xattr: extended attributes. setxattr/getxattr/listxattr/removexattr and their l* and f* forms:
 * values read back, size 0 asks for the length, ERANGE for a small buffer, ENODATA for a missing
 * name, XATTR_CREATE/XATTR_REPLACE, EINVAL for unknown flags, ERANGE for an empty or long name,
 * E2BIG past 64 KiB, EOPNOTSUPP for an unknown namespace, EPERM for user. names on a symlink,
 * EACCES without write permission, trusted. names for root only. */
#include "kt.h"
#include <sys/wait.h>
#include <sys/xattr.h>

static void test_basics(void)
{
    CHECK_OK("create a file", kt_write_file("xf", "x", 1));
    char buf[256];
    CHECK_OK("setxattr user.a", setxattr("xf", "user.a", "hello", 5, 0));
    CHECK_EQ("getxattr size 0 -> length", getxattr("xf", "user.a", NULL, 0), 5);
    memset(buf, 0, sizeof buf);
    CHECK_EQ("getxattr", getxattr("xf", "user.a", buf, sizeof buf), 5);
    CHECK("value read back", memcmp(buf, "hello", 5) == 0);
    CHECK_ERR("getxattr small buffer -> ERANGE", getxattr("xf", "user.a", buf, 2), ERANGE);
    CHECK_ERR("getxattr missing -> ENODATA", getxattr("xf", "user.nope", buf, sizeof buf), ENODATA);
    CHECK_ERR("XATTR_CREATE on an existing name -> EEXIST", setxattr("xf", "user.a", "z", 1, XATTR_CREATE), EEXIST);
    CHECK_ERR("XATTR_REPLACE on a missing name -> ENODATA", setxattr("xf", "user.b", "z", 1, XATTR_REPLACE),
              ENODATA);
    CHECK_OK("XATTR_REPLACE", setxattr("xf", "user.a", "bye", 3, XATTR_REPLACE));
    CHECK_EQ("replaced value", getxattr("xf", "user.a", buf, sizeof buf), 3);
    CHECK_OK("empty value", setxattr("xf", "user.empty", "", 0, XATTR_CREATE));
    CHECK_EQ("empty value reads back empty", getxattr("xf", "user.empty", buf, sizeof buf), 0);
    CHECK_ERR("unknown flags -> EINVAL", setxattr("xf", "user.c", "z", 1, 4), EINVAL);
    CHECK_ERR("empty name -> ERANGE", setxattr("xf", "", "z", 1, 0), ERANGE);
    char longname[300];
    memset(longname, 'n', sizeof longname);
    memcpy(longname, "user.", 5);
    longname[299] = 0;
    CHECK_ERR("name over 255 bytes -> ERANGE", setxattr("xf", longname, "z", 1, 0), ERANGE);
    CHECK_ERR("unknown namespace -> EOPNOTSUPP", setxattr("xf", "bogus.a", "z", 1, 0), EOPNOTSUPP);
    static char big[65537];
    CHECK_ERR("value over 64 KiB -> E2BIG", setxattr("xf", "user.big", big, sizeof big, 0), E2BIG);

    ssize_t n = listxattr("xf", NULL, 0);
    CHECK("listxattr size 0 counts both names", n >= (ssize_t)(sizeof "user.a" + sizeof "user.empty"));
    memset(buf, 0, sizeof buf);
    CHECK_EQ("listxattr", listxattr("xf", buf, sizeof buf), n);
    int seen_a = 0, seen_empty = 0;
    for (char *q = buf; q < buf + n; q += strlen(q) + 1) {
        seen_a |= strcmp(q, "user.a") == 0;
        seen_empty |= strcmp(q, "user.empty") == 0;
    }
    CHECK("the list names both", seen_a && seen_empty);
    CHECK_ERR("listxattr small buffer -> ERANGE", listxattr("xf", buf, 3), ERANGE);

    CHECK_OK("removexattr", removexattr("xf", "user.empty"));
    CHECK_ERR("removed -> ENODATA", getxattr("xf", "user.empty", buf, sizeof buf), ENODATA);
    CHECK_ERR("removexattr missing -> ENODATA", removexattr("xf", "user.empty"), ENODATA);
    CHECK_ERR("getxattr missing file -> ENOENT", getxattr("nofile", "user.a", buf, sizeof buf), ENOENT);

    int fd = open("xf", O_RDONLY);
    CHECK_OK("fsetxattr", fsetxattr(fd, "user.f", "ff", 2, 0));
    CHECK_EQ("fgetxattr", fgetxattr(fd, "user.f", buf, sizeof buf), 2);
    CHECK("flistxattr counts it", flistxattr(fd, NULL, 0) == n - (ssize_t)sizeof "user.empty" + (ssize_t)sizeof "user.f");
    CHECK_OK("fremovexattr", fremovexattr(fd, "user.f"));
    close(fd);
    CHECK_ERR("fgetxattr bad fd -> EBADF", fgetxattr(-1, "user.a", buf, sizeof buf), EBADF);

    CHECK_OK("symlink", symlink("xf", "xl"));
    CHECK_EQ("getxattr follows a symlink", getxattr("xl", "user.a", buf, sizeof buf), 3);
    CHECK_ERR("lsetxattr user. on a symlink -> EPERM", lsetxattr("xl", "user.a", "z", 1, 0), EPERM);
    CHECK_ERR("lgetxattr user. on a symlink -> ENODATA", lgetxattr("xl", "user.a", buf, sizeof buf), ENODATA);
    CHECK_EQ("llistxattr of the link has no user. names", llistxattr("xl", buf, sizeof buf) >= 0, 1);
    unlink("xl");

    CHECK_OK("a directory takes user. names", setxattr(".", "user.d", "d", 1, 0));
    CHECK_OK("and drops them", removexattr(".", "user.d"));
}

static void test_privilege(void)
{
    if (geteuid() != 0) {
        SKIP("trusted. names and permission checks", "not root");
        return;
    }
    char buf[16];
    CHECK_OK("root sets trusted.t", setxattr("xf", "trusted.t", "tt", 2, 0));
    CHECK_EQ("root reads it", getxattr("xf", "trusted.t", buf, sizeof buf), 2);
    chmod("xf", 0644);
    chmod(".", 0755);               /* the scratch directory: let the other user in */
    pid_t pid = fork();
    if (pid == 0) {
        int rc = 0;
        if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(1);
        if (setxattr("xf", "user.a", "q", 1, 0) != -1 || errno != EACCES) rc |= 2;   /* no write permission */
        if (getxattr("xf", "user.a", buf, sizeof buf) != 3) rc |= 4;                 /* read is allowed */
        if (setxattr("xf", "trusted.t", "q", 1, 0) != -1 || errno != EPERM) rc |= 8;
        if (getxattr("xf", "trusted.t", buf, sizeof buf) != -1 || errno != ENODATA) rc |= 16;
        ssize_t n = listxattr("xf", buf, sizeof buf);
        if (n < 0 || memmem(buf, (size_t)n, "trusted.", 8) != NULL) rc |= 32;      /* hidden */
        _exit(rc);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK_EQ("an unprivileged user: EACCES, EPERM, ENODATA, trusted. hidden",
             WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
    CHECK_OK("root removes trusted.t", removexattr("xf", "trusted.t"));
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_xattr");
    test_basics();
    test_privilege();
    kt_finish();
}
