/* t_blockdev: a block special file (/dev/vda) through read/write/pread64/pwrite64/lseek/fsync/ioctl:
 * unaligned offsets and lengths, reads and writes at and across the end, BLKGETSIZE64/BLKSSZGET/
 * BLKGETSIZE. It writes to the disk, so it runs only on a scratch disk: $KT_BLOCKDEV names the
 * device and its first 16 bytes must be "ASTERPY-SCRATCH\n" (tests/boot/test_boot_virtio_blk.py makes
 * one). Otherwise every case is skipped with the reason (the host's Linux has no such disk). */
#include "kt.h"
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>

#define MARKER "ASTERPY-SCRATCH\n"

static unsigned char pat(long long off)
{
    return (unsigned char)((off * 131 + 7) ^ (off >> 9));
}

static void fill(unsigned char *b, size_t n, long long off)
{
    for (size_t i = 0; i < n; i++)
        b[i] = pat(off + (long long)i);
}

static int check_pattern(const unsigned char *b, size_t n, long long off)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != pat(off + (long long)i))
            return 0;
    return 1;
}

static void run(int fd)
{
    struct stat st;
    CHECK_OK("fstat", fstat(fd, &st));
    CHECK("S_ISBLK", S_ISBLK(st.st_mode));
    CHECK("st_rdev has a major", major(st.st_rdev) != 0);

    unsigned long long size = 0;
    CHECK_OK("ioctl BLKGETSIZE64", ioctl(fd, BLKGETSIZE64, &size));
    CHECK("size is a positive multiple of 512", size > 0 && size % 512 == 0);
    int ssz = 0;
    CHECK_OK("ioctl BLKSSZGET", ioctl(fd, BLKSSZGET, &ssz));
    CHECK_EQ("sector size 512", ssz, 512);
    unsigned long sectors = 0;
    CHECK_OK("ioctl BLKGETSIZE", ioctl(fd, BLKGETSIZE, &sectors));
    CHECK_EQ("BLKGETSIZE is size / 512", (long long)sectors, (long long)(size / 512));
    CHECK_ERR("unknown ioctl -> ENOTTY", ioctl(fd, 0x5401 /* TCGETS */, &sectors), ENOTTY);
    CHECK_EQ("lseek SEEK_END is the size", (long long)lseek(fd, 0, SEEK_END), (long long)size);

    /* An unaligned write across sector boundaries keeps the bytes around it. */
    static unsigned char before[8192], buf[8192], after[8192];
    long long off = 1000;
    CHECK_EQ("pread around the target", pread(fd, before, sizeof before, 0), (long)sizeof before);
    fill(buf, 3000, off);
    CHECK_EQ("pwrite 3000 bytes at 1000", pwrite(fd, buf, 3000, off), 3000);
    CHECK_EQ("pread it back", pread(fd, after, sizeof after, 0), (long)sizeof after);
    CHECK("written bytes read back", check_pattern(after + off, 3000, off));
    CHECK("bytes before kept", memcmp(after, before, (size_t)off) == 0);
    CHECK("bytes after kept", memcmp(after + off + 3000, before + off + 3000, sizeof after - (size_t)off - 3000) == 0);

    /* Inside one sector, and one byte at a sector's last position. */
    unsigned char one = 0x5A, got = 0;
    CHECK_EQ("pwrite 1 byte at 511", pwrite(fd, &one, 1, 511), 1);
    CHECK_EQ("pread 1 byte at 511", pread(fd, &got, 1, 511), 1);
    CHECK_EQ("that byte", got, 0x5A);
    CHECK_EQ("pread 1 byte at 510 (kept)", pread(fd, &got, 1, 510), 1);
    CHECK_EQ("byte 510 unchanged", got, before[510]);

    /* A large unaligned transfer (several requests, more than the kernel's bounce buffer). */
    size_t big = 200 * 1024 + 13;
    long long boff = 3 * 4096 + 7;
    if ((unsigned long long)boff + big < size) {
        unsigned char *w = malloc(big), *r = malloc(big);
        fill(w, big, boff);
        CHECK_EQ("pwrite 200 KiB unaligned", pwrite(fd, w, big, boff), (long)big);
        memset(r, 0, big);
        CHECK_EQ("pread 200 KiB unaligned", pread(fd, r, big, boff), (long)big);
        CHECK("200 KiB read back", memcmp(w, r, big) == 0);
        free(w);
        free(r);
    } else {
        SKIP("200 KiB transfer", "disk too small");
    }

    /* write/read move the file offset. */
    CHECK_EQ("lseek SEEK_SET 700", (long long)lseek(fd, 700, SEEK_SET), 700);
    fill(buf, 100, 700);
    CHECK_EQ("write 100 at the offset", write(fd, buf, 100), 100);
    CHECK_EQ("offset moved to 800", (long long)lseek(fd, 0, SEEK_CUR), 800);
    CHECK_EQ("lseek back to 700", (long long)lseek(fd, -100, SEEK_CUR), 700);
    memset(buf, 0, 100);
    CHECK_EQ("read 100", read(fd, buf, 100), 100);
    CHECK("read what was written", check_pattern(buf, 100, 700));

    /* The end of the disk: reads return what is left, then 0; writes are cut, then ENOSPC. */
    CHECK_EQ("pread at the end -> 0", pread(fd, buf, 100, (off_t)size), 0);
    CHECK_EQ("pread past the end -> 0", pread(fd, buf, 100, (off_t)size + 4096), 0);
    CHECK_EQ("pread across the end -> the rest", pread(fd, buf, 100, (off_t)size - 10), 10);
    fill(buf, 20, (long long)size - 5);
    CHECK_EQ("pwrite across the end -> the rest", pwrite(fd, buf, 20, (off_t)size - 5), 5);
    memset(buf, 0, 20);
    CHECK_EQ("pread the last 5", pread(fd, buf, 5, (off_t)size - 5), 5);
    CHECK("last 5 bytes written", check_pattern(buf, 5, (long long)size - 5));
    CHECK_ERR("pwrite at the end -> ENOSPC", pwrite(fd, buf, 1, (off_t)size), ENOSPC);
    CHECK_EQ("lseek to the end", (long long)lseek(fd, 0, SEEK_END), (long long)size);
    CHECK_EQ("read at the end -> 0", read(fd, buf, 10), 0);
    CHECK_ERR("lseek before 0 -> EINVAL", lseek(fd, -1, SEEK_SET), EINVAL);

    CHECK_ERR("pread into a bad pointer -> EFAULT", pread(fd, KT_BADPTR, 512, 0), EFAULT);
    CHECK_ERR("pwrite from a bad pointer -> EFAULT", pwrite(fd, KT_BADPTR, 512, 4096), EFAULT);
    CHECK_OK("fsync flushes the device", fsync(fd));
    CHECK_OK("fdatasync", fdatasync(fd));

    /* The marker is still there. */
    char m[16];
    CHECK_EQ("pread the marker", pread(fd, m, 16, 0), 16);
    CHECK("marker unchanged", memcmp(m, MARKER, 16) == 0);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_blockdev");
    const char *dev = getenv("KT_BLOCKDEV");
    int fd = -1;
    char m[16] = {0};
    if (!dev || !*dev) {
        SKIP("block device cases", "KT_BLOCKDEV not set (no scratch disk)");
    } else if ((fd = open(dev, O_RDWR)) < 0) {
        SKIP("block device cases", "KT_BLOCKDEV cannot be opened read-write");
    } else if (pread(fd, m, 16, 0) != 16 || memcmp(m, MARKER, 16) != 0) {
        SKIP("block device cases", "the disk does not start with the scratch marker");
    } else {
        run(fd);
    }
    if (fd >= 0)
        close(fd);
    kt_finish();
}
