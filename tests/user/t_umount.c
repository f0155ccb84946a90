/* t_umount: umount2 of a mount that has mounts inside it (found by tests/fuzz/sysfuzz.c: a lazily
 * unmounted tmpfs with a mount inside stayed alive, with all its files, for the rest of the boot).
 * Without MNT_DETACH it is EBUSY; with it the whole tree goes, the inner mounts first, and the
 * directory shows what it held before. Runs as root (inside asterpy as init; on the host as root). */
#include "kt.h"
#include <sys/mount.h>

/* Whether /proc/self/mounts has a mount point ending in `tail`. */
static int mounted(const char *tail)
{
    char buf[16384];
    int fd = open("/proc/self/mounts", O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = 0, r;
    while (n < (ssize_t)sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - (size_t)n)) > 0)
        n += r;
    close(fd);
    buf[n] = 0;
    char pat[PATH_MAX + 4];
    snprintf(pat, sizeof pat, "%s ", tail);
    return strstr(buf, pat) != NULL;
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_umount");
    if (getuid() != 0) {
        SKIP("umount2 cases", "not root");
        kt_finish();
    }
    char outer[PATH_MAX], inner[PATH_MAX];
    if (!getcwd(outer, sizeof outer - 16))
        outer[0] = 0;
    strcat(outer, "/outer");
    snprintf(inner, sizeof inner, "%s/in", outer);
    CHECK_OK("mkdir outer", mkdir("outer", 0755));
    CHECK_OK("a file under the mount point", kt_write_file("outer/under", "u", 1));
    CHECK_OK("mount tmpfs on outer", mount("kt-outer", "outer", "tmpfs", 0, NULL));
    CHECK_ERR("the file under it is hidden", access("outer/under", F_OK), ENOENT);
    CHECK_OK("mkdir outer/in", mkdir("outer/in", 0755));
    CHECK_OK("mount tmpfs on outer/in", mount("kt-inner", "outer/in", "tmpfs", 0, NULL));
    CHECK_OK("a file in the inner mount", kt_write_file("outer/in/f", "data", 4));
    CHECK_EQ("/proc/self/mounts lists the inner mount", mounted(inner), 1);
    CHECK_ERR("umount2(outer) with a mount inside: EBUSY", umount2("outer", 0), EBUSY);
    CHECK_OK("the inner mount still works", access("outer/in/f", F_OK));
    CHECK_OK("umount2(outer, MNT_DETACH)", umount2("outer", MNT_DETACH));
    CHECK_EQ("the inner mount is gone from /proc/self/mounts", mounted(inner), 0);
    CHECK_EQ("the outer mount is gone from /proc/self/mounts", mounted(outer), 0);
    CHECK_OK("the file under the mount point shows again", access("outer/under", F_OK));
    CHECK_ERR("outer/in is no longer there", access("outer/in", F_OK), ENOENT);
    CHECK_ERR("umount2 of a directory that is not a mount: EINVAL", umount2("outer", 0), EINVAL);
    /* Three deep, then detached from the middle: the innermost goes with it. */
    CHECK_OK("mount three deep", mount("a", "outer", "tmpfs", 0, NULL) | mkdir("outer/b", 0755) |
                                     mount("b", "outer/b", "tmpfs", 0, NULL) | mkdir("outer/b/c", 0755) |
                                     mount("c", "outer/b/c", "tmpfs", 0, NULL));
    CHECK_OK("umount2(outer/b, MNT_DETACH)", umount2("outer/b", MNT_DETACH));
    char deep[PATH_MAX + 8];
    snprintf(deep, sizeof deep, "%s/b/c", outer);
    CHECK_EQ("the innermost went with the middle one", mounted(deep), 0);
    CHECK_EQ("the outermost stays", mounted(outer), 1);
    CHECK_OK("umount2(outer)", umount2("outer", 0));
    kt_finish();
}
