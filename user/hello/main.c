// The first user program: says hello on the console and exits.

#include "user/include/runtime.h"

int main(void)
{
    printf("Hello from user mode: hello.exe is running in ring 3.\n");
    return 0;
}
