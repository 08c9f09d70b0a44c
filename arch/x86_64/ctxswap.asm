; Switching threads. KiSwapContext saves the callee-saved registers and the
; flags on the old thread's stack, records its stack pointer, and resumes
; the new thread from its own saved stack. A thread that has never run has
; a stack prepared by KeInitializeThread that "returns" into KiThreadStartup.

bits 64
default rel

section .text

KTHREAD_KERNEL_STACK equ 0x30      ; offsetof(KTHREAD, KernelStack), checked in ketypes.h
KTHREAD_SWAP_BUSY equ 0x2B3        ; offsetof(KTHREAD, SwapBusy), checked in ketypes.h

extern KiStartThread

; void KiSwapContext(KTHREAD *oldThread, KTHREAD *newThread)
; Called at DISPATCH_LEVEL. Returns when oldThread is switched back in.
global KiSwapContext
KiSwapContext:
    pushfq
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi + KTHREAD_KERNEL_STACK], rsp
    ; The new thread may still be leaving another processor: wait (out of
    ; line, KiSwapContextSpin) until its registers are saved there. This
    ; processor is still on the old thread's stack (interrupts come in on
    ; it), so the old one stays busy meanwhile.
    cmp byte [rsi + KTHREAD_SWAP_BUSY], 0
    jne KiSwapContextSpin
    mov rsp, [rsi + KTHREAD_KERNEL_STACK]
global KiSwapContextResume
KiSwapContextResume:
    ; Off the old thread's stack: another processor may resume it now (it
    ; waits for this store). rdi is still the old thread here.
    mov byte [rdi + KTHREAD_SWAP_BUSY], 0
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    popfq
    ret

; KiSwapContext's wait for the new thread's SwapBusy, out of line so that
; no label falls between KiSwapContext and KiSwapContextResume (a switched-out
; thread's stack starts at nt!KiSwapContext+N, which the debugger shows).
KiSwapContextSpin:
    pause
    cmp byte [rsi + KTHREAD_SWAP_BUSY], 0
    jne KiSwapContextSpin
    mov rsp, [rsi + KTHREAD_KERNEL_STACK]
    jmp KiSwapContextResume

; A new thread's first instructions: r12 = start routine, r13 = its context.
; rbp is 0, which ends every stack walk here.
global KiThreadStartup
KiThreadStartup:
    mov rdi, r12
    mov rsi, r13
    xor ebp, ebp
    call KiStartThread
    ud2                         ; KiStartThread never returns
