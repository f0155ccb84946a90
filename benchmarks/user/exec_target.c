/* exec_target.c - the tiny static program that bench.c's fork_exec benchmark runs: exit at once. */
#include <unistd.h>

int main(void)
{
    _exit(0);
}
