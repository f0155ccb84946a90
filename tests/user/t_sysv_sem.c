/* t_sysv_sem: System V semaphores. semget (IPC_PRIVATE, keys, IPC_CREAT/IPC_EXCL, EEXIST, ENOENT,
 * EINVAL), semctl (IPC_STAT, IPC_SET, GETVAL/SETVAL/GETPID/GETALL/SETALL, GETNCNT/GETZCNT, IPC_RMID,
 * ERANGE, EINVAL), semop (all-or-nothing, IPC_NOWAIT, EFBIG, E2BIG, EINVAL, blocking until another
 * process changes the set, EINTR even with SA_RESTART, EIDRM when it is removed, SEM_UNDO at exit),
 * semtimedop (EAGAIN after the timeout). */
#include "kt.h"
#include <sys/ipc.h>
#include <sys/sem.h>
#include <signal.h>
#include <sys/wait.h>

union kt_semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static int child_status(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static int semop1(int id, unsigned short num, short op, short flg)
{
    struct sembuf b = {.sem_num = num, .sem_op = op, .sem_flg = flg};
    return semop(id, &b, 1);
}

static void test_basics(void)
{
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    CHECK("semget IPC_PRIVATE 3", id >= 0);
    struct semid_ds ds;
    union kt_semun arg;
    memset(&ds, 0, sizeof ds);
    arg.buf = &ds;
    CHECK_OK("IPC_STAT", semctl(id, 0, IPC_STAT, arg));
    CHECK_EQ("sem_nsems", ds.sem_nsems, 3);
    CHECK_EQ("sem_perm.cuid is the euid", ds.sem_perm.cuid, geteuid());
    CHECK_EQ("sem_perm.mode", ds.sem_perm.mode & 0777, 0600);
    CHECK("sem_ctime set", ds.sem_ctime > 0);
    CHECK_EQ("sem_otime 0 before any semop", ds.sem_otime, 0);
    CHECK_EQ("GETVAL starts at 0", semctl(id, 1, GETVAL), 0);
    arg.val = 5;
    CHECK_OK("SETVAL 5", semctl(id, 1, SETVAL, arg));
    CHECK_EQ("GETVAL 5", semctl(id, 1, GETVAL), 5);
    CHECK_EQ("GETPID is the setter", semctl(id, 1, GETPID), getpid());
    arg.val = 40000;
    CHECK_ERR("SETVAL above SEMVMX -> ERANGE", semctl(id, 1, SETVAL, arg), ERANGE);
    arg.val = -1;
    CHECK_ERR("SETVAL -1 -> ERANGE", semctl(id, 1, SETVAL, arg), ERANGE);
    CHECK_ERR("GETVAL of a counter past the end -> EINVAL", semctl(id, 3, GETVAL), EINVAL);
    CHECK_ERR("unknown command -> EINVAL", semctl(id, 0, 77), EINVAL);

    CHECK_OK("semop -2", semop1(id, 1, -2, 0));
    CHECK_EQ("counter is 3", semctl(id, 1, GETVAL), 3);
    struct sembuf two[2] = {{.sem_num = 0, .sem_op = 1, .sem_flg = 0},
                            {.sem_num = 2, .sem_op = -1, .sem_flg = IPC_NOWAIT}};
    CHECK_ERR("semop that cannot complete with IPC_NOWAIT -> EAGAIN", semop(id, two, 2), EAGAIN);
    CHECK_EQ("and it changed nothing", semctl(id, 0, GETVAL), 0);
    CHECK_ERR("wait-for-zero on a non-zero counter, IPC_NOWAIT -> EAGAIN", semop1(id, 1, 0, IPC_NOWAIT), EAGAIN);
    CHECK_OK("wait-for-zero on a zero counter", semop1(id, 0, 0, 0));
    CHECK_ERR("counter number past the end -> EFBIG", semop1(id, 3, 1, 0), EFBIG);
    struct sembuf many[501];
    memset(many, 0, sizeof many);
    CHECK_ERR("no operations -> EINVAL", semop(id, many, 0), EINVAL);
    CHECK_ERR("501 operations -> E2BIG", semop(id, many, 501), E2BIG);
    CHECK_ERR("bad sops pointer -> EFAULT", semop(id, KT_BADPTR, 1), EFAULT);
    arg.val = 32767;
    semctl(id, 2, SETVAL, arg);
    CHECK_ERR("semop past SEMVMX -> ERANGE", semop1(id, 2, 1, 0), ERANGE);
    memset(&ds, 0, sizeof ds);
    arg.buf = &ds;
    semctl(id, 0, IPC_STAT, arg);
    CHECK("sem_otime set by semop", ds.sem_otime > 0);

    unsigned short all[3] = {7, 8, 9}, back[3] = {0, 0, 0};
    arg.array = all;
    CHECK_OK("SETALL", semctl(id, 0, SETALL, arg));
    arg.array = back;
    CHECK_OK("GETALL", semctl(id, 0, GETALL, arg));
    CHECK("GETALL returns what SETALL set", back[0] == 7 && back[1] == 8 && back[2] == 9);

    struct timespec ts = {0, 50 * 1000 * 1000};
    struct sembuf dec = {.sem_num = 0, .sem_op = -100, .sem_flg = 0};
    CHECK_ERR("semtimedop times out -> EAGAIN", semtimedop(id, &dec, 1, &ts), EAGAIN);
    ts.tv_nsec = 2000000000L;
    CHECK_ERR("semtimedop bad timeout -> EINVAL", semtimedop(id, &dec, 1, &ts), EINVAL);

    memset(&ds, 0, sizeof ds);
    arg.buf = &ds;
    semctl(id, 0, IPC_STAT, arg);
    ds.sem_perm.mode = 0640;
    CHECK_OK("IPC_SET", semctl(id, 0, IPC_SET, arg));
    memset(&ds, 0, sizeof ds);
    semctl(id, 0, IPC_STAT, arg);
    CHECK_EQ("IPC_SET changed the mode", ds.sem_perm.mode & 0777, 0640);

    CHECK_OK("IPC_RMID", semctl(id, 0, IPC_RMID));
    CHECK_ERR("a removed set -> EINVAL", semctl(id, 0, GETVAL), EINVAL);
    CHECK_ERR("semop on it -> EINVAL", semop1(id, 0, 1, 0), EINVAL);
    CHECK_ERR("semget negative count -> EINVAL", semget(IPC_PRIVATE, -1, IPC_CREAT | 0600), EINVAL);
    CHECK_ERR("semget 0 counters -> EINVAL", semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
}

static void test_keys(void)
{
    key_t key = (key_t)(0x4b540000 | (getpid() & 0xffff));
    int id = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    CHECK("semget key IPC_CREAT|IPC_EXCL", id >= 0);
    CHECK_ERR("again with IPC_EXCL -> EEXIST", semget(key, 2, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    CHECK_EQ("without IPC_EXCL: the same set", semget(key, 2, 0600), id);
    CHECK_EQ("fewer counters: the same set", semget(key, 1, 0), id);
    CHECK_ERR("more counters than it has -> EINVAL", semget(key, 3, 0), EINVAL);
    CHECK_ERR("unknown key without IPC_CREAT -> ENOENT", semget(key + 1, 1, 0600), ENOENT);
    CHECK_OK("IPC_RMID", semctl(id, 0, IPC_RMID));
    CHECK_ERR("the key is gone -> ENOENT", semget(key, 1, 0600), ENOENT);
}

static void on_usr1(int sig)
{
    (void)sig;
}

static void test_blocking(void)
{
    int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    int go[2];
    CHECK_OK("pipe", pipe(go));
    pid_t pid = fork();
    if (pid == 0) {
        if (write(go[1], "r", 1) != 1)
            _exit(2);
        _exit(semop1(id, 0, -1, 0) == 0 ? 0 : 3);     /* waits for the parent's +1 */
    }
    char r;
    CHECK_EQ("child about to wait", read(go[0], &r, 1), 1);
    int n = 0;
    for (int i = 0; i < 100 && n != 1; i++) {
        usleep(20000);
        n = semctl(id, 0, GETNCNT);
    }
    CHECK_EQ("GETNCNT counts the waiting child", n, 1);
    CHECK_OK("semop +1 wakes it", semop1(id, 0, 1, 0));
    CHECK_EQ("the child's decrement went through", child_status(pid), 0);
    CHECK_EQ("counter back to 0", semctl(id, 0, GETVAL), 0);
    CHECK_EQ("GETNCNT 0 again", semctl(id, 0, GETNCNT), 0);

    /* A signal ends the wait with EINTR, even with SA_RESTART (semop is never restarted). */
    pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGUSR1, &sa, NULL);
        if (write(go[1], "r", 1) != 1)
            _exit(2);
        _exit(semop1(id, 0, -1, 0) == -1 && errno == EINTR ? 0 : 3);
    }
    CHECK_EQ("child about to wait again", read(go[0], &r, 1), 1);
    n = 0;
    for (int i = 0; i < 100 && n != 1; i++) {
        usleep(20000);
        n = semctl(id, 0, GETNCNT);
    }
    CHECK_EQ("GETNCNT counts it", n, 1);
    kill(pid, SIGUSR1);
    CHECK_EQ("a SA_RESTART handler still ends semop with EINTR", child_status(pid), 0);

    /* SEM_UNDO: the child's +3 is taken back when it exits. */
    pid = fork();
    if (pid == 0)
        _exit(semop1(id, 1, 3, SEM_UNDO) == 0 && semctl(id, 1, GETVAL) == 3 ? 0 : 1);
    CHECK_EQ("child raised counter 1 by 3 with SEM_UNDO", child_status(pid), 0);
    CHECK_EQ("its exit took the 3 back", semctl(id, 1, GETVAL), 0);

    /* Removing the set wakes a waiter with EIDRM. */
    union kt_semun arg;
    arg.val = 1;
    semctl(id, 1, SETVAL, arg);
    pid = fork();
    if (pid == 0) {
        if (write(go[1], "r", 1) != 1)
            _exit(2);
        _exit(semop1(id, 1, 0, 0) == -1 && errno == EIDRM ? 0 : 3);
    }
    CHECK_EQ("child about to wait for zero", read(go[0], &r, 1), 1);
    n = 0;
    for (int i = 0; i < 100 && n != 1; i++) {
        usleep(20000);
        n = semctl(id, 1, GETZCNT);
    }
    CHECK_EQ("GETZCNT counts it", n, 1);
    CHECK_OK("IPC_RMID", semctl(id, 0, IPC_RMID));
    CHECK_EQ("the waiter got EIDRM", child_status(pid), 0);
    close(go[0]);
    close(go[1]);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_sysv_sem");
    test_basics();
    test_keys();
    test_blocking();
    kt_finish();
}
