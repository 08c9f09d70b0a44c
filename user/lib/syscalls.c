// System-call stubs, one per entry of the kernel's service list
// (kernel/ex/services.h), as file-scope assembly. Each is what NT's ntdll
// has: the first argument moves from rcx to r10 (syscall overwrites rcx
// with the return address), the service number goes in eax; the arguments
// beyond four are already on the stack where the kernel looks for them.
// The CFI directives give each stub an FDE (the CIE's rule holds throughout:
// the return address at rsp), so the debugger unwinds through a system call.

#include "kernel/ex/services.h"

#define STRINGIFY(x) #x

#define USER_SYSTEM_SERVICE_STUB(number, name, arguments)                                  \
    __asm__(".text\n"                                                                      \
            ".globl " #name "\n"                                                           \
            ".type " #name ", @function\n"                                                 \
            #name ":\n"                                                                    \
            "    .cfi_startproc\n"                                                         \
            "    mov %rcx, %r10\n"                                                         \
            "    mov $" STRINGIFY(number) ", %eax\n"                                       \
            "    syscall\n"                                                                \
            "    ret\n"                                                                    \
            "    .cfi_endproc\n"                                                           \
            ".size " #name ", . - " #name "\n");

SLEUTH_SYSTEM_SERVICES(USER_SYSTEM_SERVICE_STUB)
