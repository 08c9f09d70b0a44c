// Assembly helpers for the APC tests: they set registers a compiler would
// not let a test choose, make a system call, and report what came back.

#include "kernel/ex/services.h"

// The service number, for the assembly below (an enum, so not a macro).
const unsigned int TapcTestAlertService = SERVICE_NtTestAlert;

// void TapcTestAlertKeepingRegisters(const ULONG64 in[12], ULONG64 out[14])
// Loads rbx, rbp, r12-r15, rdx, rsi, rdi, r8, r9, r10 from in[0..11], fills
// the 128-byte red zone below rsp with a pattern, calls NtTestAlert by a
// bare syscall (a pending APC runs on its way back), and stores the same
// registers in out[0..11], NtTestAlert's status in out[12] and the number
// of red-zone quadwords that changed in out[13].
__asm__(".text\n"
        ".globl TapcTestAlertKeepingRegisters\n"
        ".type TapcTestAlertKeepingRegisters, @function\n"
        "TapcTestAlertKeepingRegisters:\n"
        "    push %rbx\n"
        "    push %rbp\n"
        "    push %r12\n"
        "    push %r13\n"
        "    push %r14\n"
        "    push %r15\n"
        "    push %rsi\n"                       // out
        "    mov $16, %ecx\n"
        "1:  movabs $0x0101010101010101, %rax\n"
        "    imul %rcx, %rax\n"
        "    neg %rcx\n"
        "    mov %rax, (%rsp, %rcx, 8)\n"
        "    neg %rcx\n"
        "    dec %ecx\n"
        "    jnz 1b\n"
        "    mov 0x00(%rdi), %rbx\n"
        "    mov 0x08(%rdi), %rbp\n"
        "    mov 0x10(%rdi), %r12\n"
        "    mov 0x18(%rdi), %r13\n"
        "    mov 0x20(%rdi), %r14\n"
        "    mov 0x28(%rdi), %r15\n"
        "    mov 0x30(%rdi), %rdx\n"
        "    mov 0x38(%rdi), %rsi\n"
        "    mov 0x48(%rdi), %r8\n"
        "    mov 0x50(%rdi), %r9\n"
        "    mov 0x58(%rdi), %r10\n"
        "    mov 0x40(%rdi), %rdi\n"
        "    mov TapcTestAlertService(%rip), %eax\n"
        "    syscall\n"
        "    mov %rax, %rcx\n"                  // the status
        "    mov (%rsp), %rax\n"                // out
        "    mov %rbx, 0x00(%rax)\n"
        "    mov %rbp, 0x08(%rax)\n"
        "    mov %r12, 0x10(%rax)\n"
        "    mov %r13, 0x18(%rax)\n"
        "    mov %r14, 0x20(%rax)\n"
        "    mov %r15, 0x28(%rax)\n"
        "    mov %rdx, 0x30(%rax)\n"
        "    mov %rsi, 0x38(%rax)\n"
        "    mov %rdi, 0x40(%rax)\n"
        "    mov %r8, 0x48(%rax)\n"
        "    mov %r9, 0x50(%rax)\n"
        "    mov %r10, 0x58(%rax)\n"
        "    mov %rcx, 0x60(%rax)\n"
        "    xor %edx, %edx\n"                  // changed red-zone quadwords
        "    mov $16, %ecx\n"
        "2:  movabs $0x0101010101010101, %rsi\n"
        "    imul %rcx, %rsi\n"
        "    neg %rcx\n"
        "    cmp %rsi, (%rsp, %rcx, 8)\n"
        "    setne %sil\n"
        "    movzbl %sil, %esi\n"
        "    add %rsi, %rdx\n"
        "    neg %rcx\n"
        "    dec %ecx\n"
        "    jnz 2b\n"
        "    mov %rdx, 0x68(%rax)\n"
        "    pop %rsi\n"
        "    pop %r15\n"
        "    pop %r14\n"
        "    pop %r13\n"
        "    pop %r12\n"
        "    pop %rbp\n"
        "    pop %rbx\n"
        "    ret\n"
        ".size TapcTestAlertKeepingRegisters, . - TapcTestAlertKeepingRegisters\n");

// ULONG64 TapcContinueHere(CONTEXT *context, ULONG eflags, ULONG64 rax)
// Fills `context` (CONTEXT_FULL) so that it resumes at the label below with
// this function's registers, `eflags` and `rax`, and calls NtContinue with
// it. Returns the rax the thread resumed with (NtContinue's status if it
// refused the context); the flags it resumed with land in P1Home.
__asm__(".text\n"
        ".globl TapcContinueHere\n"
        ".type TapcContinueHere, @function\n"
        "TapcContinueHere:\n"
        "    push %rbx\n"
        "    push %rbp\n"
        "    push %r12\n"
        "    push %r13\n"
        "    push %r14\n"
        "    push %r15\n"
        "    movl $0x100003, 0x30(%rdi)\n"      // ContextFlags: CONTEXT_FULL
        "    mov %esi, 0x44(%rdi)\n"            // EFlags
        "    mov %rdx, 0x78(%rdi)\n"            // Rax
        "    mov %rbx, 0x90(%rdi)\n"
        "    mov %rsp, 0x98(%rdi)\n"
        "    mov %rbp, 0xa0(%rdi)\n"
        "    mov %rdi, 0xb0(%rdi)\n"
        "    mov %r12, 0xd8(%rdi)\n"
        "    mov %r13, 0xe0(%rdi)\n"
        "    mov %r14, 0xe8(%rdi)\n"
        "    mov %r15, 0xf0(%rdi)\n"
        "    lea 3f(%rip), %rax\n"
        "    mov %rax, 0xf8(%rdi)\n"            // Rip
        "    mov %rdi, %rcx\n"                  // NtContinue(context, FALSE), ms_abi
        "    xor %edx, %edx\n"
        "    sub $40, %rsp\n"                   // home area; rsp 16-aligned at the call
        "    call NtContinue\n"
        "    add $40, %rsp\n"
        "    jmp 4f\n"
        "3:  pushfq\n"
        "    popq (%rdi)\n"                     // P1Home: the flags it resumed with
        "4:  pop %r15\n"
        "    pop %r14\n"
        "    pop %r13\n"
        "    pop %r12\n"
        "    pop %rbp\n"
        "    pop %rbx\n"
        "    ret\n"
        ".size TapcContinueHere, . - TapcContinueHere\n");
