// KiUserApcDispatcher: where the kernel sends a thread to run a user-mode
// APC (kernel/ke/userapc.c). Sleuth has no ntdll, so every program carries
// its own copy in the runtime; the kernel finds it by name in the program's
// symbol table when it loads the image (kernel/ps/userentry.c).
//
// On entry rsp points at a CONTEXT (16-byte aligned) holding the registers
// the thread had, and, in its home slots, the APC: P1Home..P3Home are the
// routine's three arguments and P4Home the routine. The routine is called
// with NT's calling convention, the CONTEXT's home slots serving as its
// home area; then NtContinue(context, TRUE) returns the thread to where it
// was, running the next queued APC first if there is one.

#include "user/include/runtime.h"

// NtContinue returns only when it refuses the context: the thread cannot go
// back, so the process ends with that status, as an exception would end it.
void __attribute__((noreturn, used)) RtlpApcContinueFailed(NTSTATUS status)
{
    printf("KiUserApcDispatcher: NtContinue failed, status %08x\n", (ULONG)status);
    exit(status);
}

__asm__(".text\n"
        ".globl KiUserApcDispatcher\n"
        ".type KiUserApcDispatcher, @function\n"
        "KiUserApcDispatcher:\n"
        "    mov 0x00(%rsp), %rcx\n"        // P1Home: first argument
        "    mov 0x08(%rsp), %rdx\n"        // P2Home: second
        "    mov 0x10(%rsp), %r8\n"         // P3Home: third
        "    mov 0x18(%rsp), %rax\n"        // P4Home: the routine
        "    call *%rax\n"
        "    mov %rsp, %rcx\n"              // the CONTEXT
        "    mov $1, %edx\n"                // TestAlert: deliver the next APC
        "    call NtContinue\n"
        "    mov %eax, %edi\n"
        "    call RtlpApcContinueFailed\n"
        "    ud2\n"
        ".size KiUserApcDispatcher, . - KiUserApcDispatcher\n");
