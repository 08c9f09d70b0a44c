// The program entry point: the kernel starts the first thread here with rsp
// at the top of its stack. main's result becomes the process's exit status.

#include "user/include/runtime.h"

void RtlpInitializeProcessHeap(void);

void __attribute__((noreturn)) RtlpProcessStartup(void)
{
    RtlpInitializeProcessHeap();
    exit(main());
}

__asm__(".text\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"              // ends the stack walk
        "    and $-16, %rsp\n"
        "    call RtlpProcessStartup\n"
        "    ud2\n");

void exit(int status)
{
    NtTerminateProcess(NtCurrentProcess(), status);
    // NtTerminateProcess on the current process does not return.
    __builtin_trap();
}
