/* t_epollnest: epoll instances watching epoll instances, within Linux's limits.
 *
 * Regression test for issue #24 item 4 (repro 04-epoll-loop-kernel-stack-overflow.c): epoll_ctl
 * accepted A-in-B-and-B-in-A and chains of 1000 instances, and epoll_wait then recursed off the
 * end of the kernel stack. Linux refuses a loop and nesting deeper than EPOLL_MAX_NESTS (4 levels
 * below the top: chains of at most 5 instances) with ELOOP, checking both how deep the added
 * instance reaches down and how deep the target already sits.
 */
#include "kt.h"
#include <sys/epoll.h>

static int add(int ep, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* A chain of n instances, each watching the previous one; fds in e[0..n-1], e[0] the innermost.
 * Returns how many links were accepted before the first refusal (errno then set). */
static int chain(int *e, int n)
{
    e[0] = epoll_create1(0);
    for (int i = 1; i < n; i++) {
        e[i] = epoll_create1(0);
        if (add(e[i], e[i - 1]) != 0)
            return i - 1;
    }
    return n - 1;
}

static void close_all(int *e, int n)
{
    for (int i = 0; i < n; i++)
        close(e[i]);
}

static void test_loops(void)
{
    int a = epoll_create1(0), b = epoll_create1(0), c = epoll_create1(0);
    CHECK_ERR("an instance watching itself -> EINVAL", add(a, a), EINVAL);
    CHECK_EQ("a in b", add(b, a), 0);
    CHECK_ERR("b in a closes a loop -> ELOOP", add(a, b), ELOOP);
    CHECK_EQ("b in c", add(c, b), 0);
    CHECK_ERR("c in a closes a longer loop -> ELOOP", add(a, c), ELOOP);
    int d = dup(c);
    CHECK_ERR("a dup of c in a is still a loop -> ELOOP", add(a, d), ELOOP);
    struct epoll_event out[4];
    CHECK_EQ("epoll_wait on the top of a refused loop", epoll_wait(c, out, 4, 0), 0);
    /* once the link is gone, the other direction is fine */
    CHECK_EQ("a out of b", epoll_ctl(b, EPOLL_CTL_DEL, a, 0), 0);
    CHECK_EQ("b in a after removing a from b", add(a, b), 0);
    close(a);
    close(b);
    close(c);
    close(d);
}

static void test_depth(void)
{
    int e[1000];
    errno = 0;
    int links = chain(e, 1000);
    CHECK_EQ("a chain stops at 4 links (5 instances)", links, 4);
    CHECK_EQ("the next link is refused with ELOOP", errno, ELOOP);
    /* the 5-instance chain reports readiness from its bottom to its top */
    int p[2];
    pipe(p);
    CHECK_EQ("a pipe under the innermost instance", add(e[0], p[0]), 0);
    struct epoll_event out[4];
    CHECK_EQ("top not ready while the pipe is empty", epoll_wait(e[4], out, 4, 0), 0);
    write(p[1], "x", 1);
    CHECK_EQ("top ready through 4 levels", epoll_wait(e[4], out, 4, 0), 1);
    CHECK_EQ("top reports the instance below it", out[0].data.fd, e[3]);
    close(p[0]);
    close(p[1]);
    /* the depth is the longest path through the new link: what the added instance reaches
     * down plus what already sits above the target */
    int x[4];
    CHECK_EQ("a chain of four", chain(x, 4), 3);
    CHECK_ERR("a chain of four under the fourth of five -> ELOOP", add(e[3], x[3]), ELOOP);
    CHECK_EQ("its lower three under it are fine", add(e[3], x[2]), 0);
    CHECK_ERR("nor may anything go under the bottom now", add(x[0], epoll_create1(0)), ELOOP);
    /* closing the top frees its level */
    close(e[4]);
    int f = epoll_create1(0);
    CHECK_EQ("after closing the top, a new top", add(f, e[3]), 0);
    close(f);
    close_all(e, 4);
    close_all(x, 4);
    /* and deleting a link does too */
    int g[5];
    CHECK_EQ("a new chain of five", chain(g, 5), 4);
    int h = epoll_create1(0);
    CHECK_ERR("a sixth on top -> ELOOP", add(h, g[4]), ELOOP);
    CHECK_EQ("unlink the bottom", epoll_ctl(g[1], EPOLL_CTL_DEL, g[0], 0), 0);
    CHECK_EQ("then a sixth on top is fine", add(h, g[4]), 0);
    close(h);
    close_all(g, 5);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv, "t_epollnest");
    test_loops();
    test_depth();
    kt_finish();
}
