/* initargs: run as init (PID 1), print what the kernel handed over, then power off.
 *
 * tests/boot/test_cmdline_linux.py boots it as init under Debian's Linux and under asterpy with
 * the same initramfs and the same kernel command line and compares the lines:
 *   argc N / argv[i] TEXT / envp[i] TEXT   init's arguments and environment
 *   fd N chr MAJOR:MINOR                  what fds 0-2 are (5:1 is /dev/console), or "fd N closed"
 *   pid N                                 getpid()
 *   initargs done
 * Then reboot(RB_POWER_OFF) (Linux needs it: init must not exit); if that fails it exits 0.
 */
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp) {
    char line[4096];
    int n = 0;
    /* One write per line: the kernels' own messages may come between lines, never inside one. */
    n = snprintf(line, sizeof line, "argc %d\n", argc);
    write(1, line, n);
    for (int i = 0; i < argc; i++) {
        n = snprintf(line, sizeof line, "argv[%d] %s\n", i, argv[i]);
        write(1, line, n);
    }
    for (int i = 0; envp[i]; i++) {
        n = snprintf(line, sizeof line, "envp[%d] %s\n", i, envp[i]);
        write(1, line, n);
    }
    for (int fd = 0; fd < 3; fd++) {
        struct stat st;
        if (fstat(fd, &st) != 0)
            n = snprintf(line, sizeof line, "fd %d closed\n", fd);
        else if (S_ISCHR(st.st_mode))
            n = snprintf(line, sizeof line, "fd %d chr %u:%u\n", fd, major(st.st_rdev), minor(st.st_rdev));
        else
            n = snprintf(line, sizeof line, "fd %d mode %o\n", fd, (unsigned)(st.st_mode & S_IFMT));
        write(2, line, n);
    }
    n = snprintf(line, sizeof line, "pid %d\ninitargs done\n", (int)getpid());
    write(1, line, n);
    if (getpid() == 1) {
        sync();
        reboot(RB_POWER_OFF);
        n = snprintf(line, sizeof line, "initargs: reboot failed\n");
        write(1, line, n);
    }
    return 0;
}
