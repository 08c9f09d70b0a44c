// System-call stubs, one per entry of the kernel's service list
// (kernel/ex/services.h), as file-scope assembly. Each is what NT's ntdll
// has: the first argument moves from rcx to r10 (syscall overwrites rcx
// with the return address), the service number goes in eax; the arguments
// beyond four are already on the stack where the kernel looks for them.
// One FDE covers all the stubs (the CFI directives around them): the CIE's
// rule holds in every one of them (the return address at rsp), so the
// debugger unwinds through a system call, and an FDE per stub would cost
// 32 bytes times the services in every program.

#include "kernel/ex/services.h"

#define STRINGIFY(x) #x

#define USER_SYSTEM_SERVICE_STUB(number, name, arguments)                                  \
    __asm__(".text\n"                                                                      \
            ".globl " #name "\n"                                                           \
            ".type " #name ", @function\n"                                                 \
            #name ":\n"                                                                    \
            "    mov %rcx, %r10\n"                                                         \
            "    mov $" STRINGIFY(number) ", %eax\n"                                       \
            "    syscall\n"                                                                \
            "    ret\n"                                                                    \
            ".size " #name ", . - " #name "\n");

__asm__(".text\n"
        ".cfi_startproc\n");
SLEUTH_SYSTEM_SERVICES(USER_SYSTEM_SERVICE_STUB)
__asm__(".cfi_endproc\n");
