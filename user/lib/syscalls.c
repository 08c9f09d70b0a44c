// System-call stubs and the program entry point, as file-scope assembly so
// the service numbers come from the kernel's own header. Each stub is what
// NT's ntdll has: the first argument moves from rcx to r10 (syscall
// overwrites rcx with the return address), the service number goes in eax.

#include "user/lib/ntuser.h"
#include "kernel/ex/services.h"

#define STRINGIFY(x) #x
#define EXPAND_STRINGIFY(x) STRINGIFY(x)

#define SYSTEM_SERVICE(name)                                                               \
    __asm__(".text\n"                                                                      \
            ".globl " #name "\n"                                                           \
            ".type " #name ", @function\n"                                                 \
            #name ":\n"                                                                    \
            "    mov %rcx, %r10\n"                                                         \
            "    mov $" EXPAND_STRINGIFY(SERVICE_##name) ", %eax\n"                        \
            "    syscall\n"                                                                \
            "    ret\n")

SYSTEM_SERVICE(NtTerminateProcess);
SYSTEM_SERVICE(NtDisplayString);

// The kernel starts a program here with rsp at the top of its stack; main's
// result becomes the exit status.
__asm__(".text\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"              // ends the stack walk
        "    and $-16, %rsp\n"
        "    call main\n"
        "    mov $-1, %rcx\n"               // NtCurrentProcess()
        "    mov %eax, %edx\n"
        "    sub $32, %rsp\n"               // the callee's home area
        "    call NtTerminateProcess\n"
        "    ud2\n");
