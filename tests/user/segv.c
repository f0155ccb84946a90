/* Write through a NULL pointer: the kernel must end the process with SIGSEGV, not panic. */
#include <unistd.h>

int main(void)
{
    volatile int *p = (volatile int *)0;
    write(1, "about to fault\n", 15);
    *p = 42;
    write(1, "still alive?\n", 13);
    return 0;
}
