/* dirscale: the cost of directory operations as one directory grows (250, 1,000, 4,000 files):
 * per create (open O_CREAT|O_EXCL + close), per lookup (stat of an existing name), per entry
 * listed (getdents64 with a 4 KiB buffer). Prints one line per size, in clock_gettime ns (under
 * QEMU -icount shift=0: instructions). Runs as init or from a shell; powers off nothing. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define OPS 200

static long long now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void make(const char *dir, const char *pfx, int i)
{
    char name[64];
    snprintf(name, sizeof name, "%s/%s%d", dir, pfx, i);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0)
        close(fd);
}

int main(void)
{
    static const int sizes[] = {250, 1000, 4000};
    char buf[4096];
    mkdir("/tmp", 01777);
    for (int s = 0; s < 3; s++) {
        int n = sizes[s];
        char dir[32];
        snprintf(dir, sizeof dir, "/tmp/dirscale%d", n);
        mkdir(dir, 0755);
        for (int i = 0; i < n; i++)
            make(dir, "f", i);
        long long t0 = now();
        for (int i = 0; i < OPS; i++)
            make(dir, "g", i);
        long long t1 = now();
        struct stat st;
        for (int i = 0; i < OPS; i++) {
            char name[64];
            snprintf(name, sizeof name, "%s/f%d", dir, (i * 7919) % n);
            stat(name, &st);
        }
        long long t2 = now();
        int fd = open(dir, O_RDONLY | O_DIRECTORY);
        long entries = 0, r;
        while ((r = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
            for (long off = 0; off < r; off += *(unsigned short *)(buf + off + 16))
                entries++;
        long long t3 = now();
        close(fd);
        printf("dirscale n=%d create %lld lookup %lld readdir_per_entry %lld (entries %ld)\n", n,
               (t1 - t0) / OPS, (t2 - t1) / OPS, (t3 - t2) / (entries ? entries : 1), entries);
    }
    fflush(stdout);
    return 0;
}
