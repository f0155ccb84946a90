/* t_bigdir: one directory of 5,000 files: create (O_EXCL), stat, lookups of missing names,
 * getdents64 with small buffers while files are unlinked and created (every file present for
 * the whole listing is listed exactly once, none twice), lseek back to a returned d_off, and
 * emptying it again (rmdir succeeds). */
#include "kt.h"

#define NFILES 5000
#define NNEW 600

struct kt_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Names: "f<index>" for the first 5,000 files, "n<index>" for those created while listing. */
static int parse_name(const char *s, char *kind)
{
    if ((s[0] != 'f' && s[0] != 'n') || s[1] < '0' || s[1] > '9')
        return -1;
    char *end;
    long v = strtol(s + 1, &end, 10);
    if (*end != '\0' || v < 0 || v >= NFILES)
        return -1;
    *kind = s[0];
    return (int)v;
}

static unsigned char seen_f[NFILES], seen_n[NFILES];
static unsigned char gone_f[NFILES];

static int make(const char *name)
{
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* List "." to the end with a buffer of bufsz bytes; records what it saw; returns the number of
 * records, -1 on a getdents64 error, -2 on a malformed or unknown name. Between calls, when
 * churn is set, unlinks the odd-numbered f files (ahead of the listing and behind it) and
 * creates n files. */
static int list_all(size_t bufsz, int churn, int *dots, int *dups)
{
    char buf[4096];
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int count = 0, calls = 0, next_unlink = 1, next_new = 0;
    *dots = 0;
    *dups = 0;
    memset(seen_f, 0, sizeof seen_f);
    memset(seen_n, 0, sizeof seen_n);
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, bufsz);
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        calls++;
        for (long off = 0; off < n;) {
            struct kt_dirent64 *d = (struct kt_dirent64 *)(buf + off);
            off += d->d_reclen;
            count++;
            if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) {
                (*dots)++;
                continue;
            }
            char kind;
            int i = parse_name(d->d_name, &kind);
            if (i < 0) {
                close(fd);
                return -2;
            }
            unsigned char *seen = kind == 'f' ? seen_f : seen_n;
            if (seen[i])
                (*dups)++;
            seen[i] = 1;
        }
        if (churn) {
            /* Two unlinks and one creation per call: the unlinked ones spread over the whole
             * directory (both already listed and not yet listed entries). */
            for (int k = 0; k < 2 && next_unlink < NFILES; k++) {
                char name[16];
                snprintf(name, sizeof name, "f%d", next_unlink);
                if (unlink(name) == 0)
                    gone_f[next_unlink] = 1;
                next_unlink += 2;
            }
            if (next_new < NNEW && calls % 2 == 0) {
                char name[16];
                snprintf(name, sizeof name, "n%d", next_new);
                if (make(name) == 0)
                    next_new++;
            }
        }
    }
    close(fd);
    return count;
}

static void test_create_stat(void)
{
    int bad = 0;
    for (int i = 0; i < NFILES; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        if (make(name) != 0)
            bad++;
    }
    CHECK_EQ("create 5000 files", bad, 0);
    CHECK_ERR("create an existing name with O_EXCL -> EEXIST", open("f2500", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);

    struct stat st;
    int statbad = 0, missing = 0;
    ino_t first = 0;
    for (int i = 0; i < NFILES; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        if (stat(name, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0)
            statbad++;
        if (i == 0)
            first = st.st_ino;
        snprintf(name, sizeof name, "g%d", i);
        if (stat(name, &st) == 0 || errno != ENOENT)
            missing++;
    }
    CHECK_EQ("stat every file", statbad, 0);
    CHECK_EQ("missing names are ENOENT", missing, 0);
    CHECK("f0 keeps its inode", stat("f0", &st) == 0 && st.st_ino == first);
}

static void test_list_quiet(void)
{
    int dots, dups;
    int n = list_all(sizeof(struct kt_dirent64) + 16, 0, &dots, &dups);
    int all = 1;
    for (int i = 0; i < NFILES; i++)
        all &= seen_f[i];
    CHECK_EQ("one entry per getdents64 call: 5002 records", n, NFILES + 2);
    CHECK("every file listed", all);
    CHECK_EQ("no file listed twice", dups, 0);
    CHECK_EQ(". and .. once each", dots, 2);
}

static void test_seek_back(void)
{
    char buf[4096];
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    long n = syscall(SYS_getdents64, fd, buf, 600);
    CHECK("first chunk has at least 4 records", n > 0);
    /* Remember the third record's d_off and the fourth record's name. */
    long off = 0;
    struct kt_dirent64 *d = NULL;
    for (int k = 0; k < 3 && off < n; k++) {
        d = (struct kt_dirent64 *)(buf + off);
        off += d->d_reclen;
    }
    int ok = d != NULL && off < n;
    if (ok) {
        int64_t resume = d->d_off;
        char want[64];
        snprintf(want, sizeof want, "%s", ((struct kt_dirent64 *)(buf + off))->d_name);
        /* Read further, then go back. */
        syscall(SYS_getdents64, fd, buf, sizeof buf);
        CHECK_EQ("lseek to a returned d_off", lseek(fd, resume, SEEK_SET), resume);
        long m = syscall(SYS_getdents64, fd, buf, sizeof buf);
        ok = m > 0 && !strcmp(((struct kt_dirent64 *)buf)->d_name, want);
    }
    CHECK("getdents64 after lseek(d_off) resumes at the next entry", ok);
    close(fd);
}

static void test_list_churn(void)
{
    int dots, dups;
    memset(gone_f, 0, sizeof gone_f);
    int n = list_all(128, 1, &dots, &dups);
    CHECK("listing while unlinking and creating ends", n > 0);
    int stable_missing = 0, gone_count = 0;
    for (int i = 0; i < NFILES; i++) {
        if (i % 2 == 0 && !seen_f[i])
            stable_missing++;
        gone_count += gone_f[i];
    }
    CHECK_EQ("every file present throughout is listed", stable_missing, 0);
    CHECK_EQ("nothing listed twice", dups, 0);
    CHECK_EQ(". and .. once each", dots, 2);
    CHECK("files were unlinked during the listing", gone_count > 100);

    /* A quiet listing afterwards shows exactly what is there now. */
    int created = 0;
    for (int i = 0; i < NNEW; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        struct stat st;
        created += stat(name, &st) == 0;
    }
    int expect = NFILES - gone_count + created + 2;
    n = list_all(256, 0, &dots, &dups);
    CHECK_EQ("listing after the churn counts what remains", n, expect);
    int gone_listed = 0, n_listed = 0;
    for (int i = 0; i < NFILES; i++) {
        gone_listed += gone_f[i] && seen_f[i];
        n_listed += seen_n[i];
    }
    CHECK_EQ("unlinked files are not listed", gone_listed, 0);
    CHECK_EQ("created files are listed", n_listed, created);
}

static void test_empty_again(void)
{
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    char buf[2048];
    long n;
    int bad = 0, removed = 0;
    /* Unlink every entry as it is listed (the directory shrinks under the cursor). */
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct kt_dirent64 *d = (struct kt_dirent64 *)(buf + off);
            off += d->d_reclen;
            if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
                continue;
            if (unlink(d->d_name) != 0)
                bad++;
            else
                removed++;
        }
    }
    close(fd);
    CHECK_EQ("unlink each listed entry", bad, 0);
    CHECK("removed thousands of entries", removed > 2000);
    int dots, dups;
    CHECK_EQ("empty directory lists . and ..", list_all(4096, 0, &dots, &dups), 2);
    char cwd[PATH_MAX];
    CHECK("getcwd", getcwd(cwd, sizeof cwd) != NULL);
    CHECK_OK("rmdir the emptied directory", (chdir(".."), rmdir(cwd)));
    CHECK_OK("recreate it for kt_finish", mkdir(cwd, 0700));
    CHECK_OK("enter it again", chdir(cwd));
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_bigdir");
    test_create_stat();
    test_list_quiet();
    test_seek_back();
    test_list_churn();
    test_empty_again();
    kt_finish();
}
