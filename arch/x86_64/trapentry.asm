; Trap entry for every vector, the safe memory copy the debugger reads with,
; and the kernel's setjmp/longjmp.
;
; Every vector has a small stub that makes the stack look the same (a
; dummy error code where the CPU pushes none, then the vector number) and
; jumps to KiTrapCommon, which saves the general registers as a KTRAP_FRAME
; (see kernel/ke/ke.h) and calls KiDispatchTrap(frame).

bits 64

%include "arch/x86_64/ktrap.inc"
default rel

section .text

extern KiDispatchTrap

; Vectors for which the CPU pushes an error code.
%define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
                           (v) == 21 || (v) == 29 || (v) == 30)

%macro TRAP_STUB 1
align 16
KiTrapStub%1:
%if HAS_ERROR_CODE(%1) == 0
    push 0
%endif
    push %1
    jmp KiTrapCommon
%endmacro

%assign vector 0
%rep 256
    TRAP_STUB vector
%assign vector vector + 1
%endrep


global KiTrapCommon
KiTrapCommon:
    PUSH_TRAP_REGISTERS
    cld

    ; From user mode, GS still holds the user's base: switch to the KPCR.
    test qword [rsp + KTRAP_FRAME_SEGCS], 3
    jz .kernelEntry
    swapgs
.kernelEntry:

    ; A frame record that links the interrupted code into the chain of
    ; saved frame pointers, so a stack walk from a handler continues
    ; through the trap into what was interrupted.
    push qword [rsp + KTRAP_FRAME_RIP]
    push qword [rsp + 8 + KTRAP_FRAME_RBP]
    mov rbp, rsp
    lea rdi, [rsp + 16]
    call KiDispatchTrap
    add rsp, 16

; Leaves through the KTRAP_FRAME at rsp; the system-call path and a new user
; thread's first entry come here too.
global KiTrapReturn
KiTrapReturn:
    test qword [rsp + KTRAP_FRAME_SEGCS], 3
    jz .kernelExit
    swapgs
.kernelExit:
    pop rax
    pop rbx
    pop rcx
    pop rdx
    pop rsi
    pop rdi
    pop rbp
    pop r8
    pop r9
    pop r10
    pop r11
    pop r12
    pop r13
    pop r14
    pop r15
    add rsp, 16                 ; vector and error code
    iretq

section .rodata
global KiTrapStubTable
align 8
KiTrapStubTable:
%assign vector 0
%rep 256
    dq KiTrapStub %+ vector
%assign vector vector + 1
%endrep

section .text

; SIZE_T KiCopyMemorySafe(void *destination, const void *source, SIZE_T length)
; Returns how many bytes were left uncopied when a fault stopped the copy.
; Aligned copies move whole quadwords or doublewords: device registers (the
; APIC's, say) must be read at their own width.
global KiCopyMemorySafe
KiCopyMemorySafe:
    mov rax, rsi
    or rax, rdx
    test rax, 7
    jz KiCopySafeQuadwordsEntry
    test rax, 3
    jz KiCopySafeDoublewordsEntry
    mov rcx, rdx
KiCopySafeBytes:
    rep movsb
    xor eax, eax
    ret
KiCopySafeBytesFixup:
    mov rax, rcx
    ret
KiCopySafeQuadwordsEntry:
    mov rcx, rdx
    shr rcx, 3
KiCopySafeQwords:
    rep movsq
    xor eax, eax
    ret
KiCopySafeQwordsFixup:
    lea rax, [rcx * 8]
    ret
KiCopySafeDoublewordsEntry:
    mov rcx, rdx
    shr rcx, 2
KiCopySafeDwords:
    rep movsd
    xor eax, eax
    ret
KiCopySafeDwordsFixup:
    lea rax, [rcx * 4]
    ret

; ULONG KiProbeWriteByte(UCHAR *address)
; Reads the byte at `address` and writes it back: 0 when both worked, 1 when
; either faulted (a missing or read-only page). ProbeForWrite's touch of one
; page, in five instructions.
global KiProbeWriteByte
KiProbeWriteByte:
KiProbeWriteLoad:
    mov al, [rdi]
KiProbeWriteStore:
    mov [rdi], al
    xor eax, eax
    ret
KiProbeWriteFixup:
    mov eax, 1
    ret

; void DbgBreakPoint(void)
; A breakpoint with a frame record of its own, so the debugger's stack walk
; shows the caller.
global DbgBreakPoint
DbgBreakPoint:
    push rbp
    mov rbp, rsp
    int3
    pop rbp
    ret

; int KiSetJump(KJUMP_BUFFER *buffer)
global KiSetJump
KiSetJump:
    mov [rdi + 0x00], rbx
    mov [rdi + 0x08], rbp
    mov [rdi + 0x10], r12
    mov [rdi + 0x18], r13
    mov [rdi + 0x20], r14
    mov [rdi + 0x28], r15
    lea rax, [rsp + 8]          ; the stack as the caller will see it
    mov [rdi + 0x30], rax
    mov rax, [rsp]
    mov [rdi + 0x38], rax
    xor eax, eax
    ret

; void KiLongJump(KJUMP_BUFFER *buffer, int value)
global KiLongJump
KiLongJump:
    mov rbx, [rdi + 0x00]
    mov rbp, [rdi + 0x08]
    mov r12, [rdi + 0x10]
    mov r13, [rdi + 0x18]
    mov r14, [rdi + 0x20]
    mov r15, [rdi + 0x28]
    mov rsp, [rdi + 0x30]
    mov eax, esi
    test eax, eax
    jnz .nonZero
    inc eax
.nonZero:
    jmp [rdi + 0x38]

; void KiCaptureContext(KCONTEXT_RECORD *context)
; Fills the KTRAP_FRAME part as if the caller had been interrupted right
; after the call returned; rax is not preserved and reads as 0.
global KiCaptureContext
KiCaptureContext:
    mov qword [rdi + 0x00], 0
    mov [rdi + 0x08], rbx
    mov [rdi + 0x10], rcx
    mov [rdi + 0x18], rdx
    mov [rdi + 0x20], rsi
    mov [rdi + 0x28], rdi
    mov [rdi + 0x30], rbp
    mov [rdi + 0x38], r8
    mov [rdi + 0x40], r9
    mov [rdi + 0x48], r10
    mov [rdi + 0x50], r11
    mov [rdi + 0x58], r12
    mov [rdi + 0x60], r13
    mov [rdi + 0x68], r14
    mov [rdi + 0x70], r15
    mov qword [rdi + 0x78], 0   ; vector
    mov qword [rdi + 0x80], 0   ; error code
    mov rax, [rsp]
    mov [rdi + 0x88], rax       ; rip: the return address
    mov ax, cs
    movzx eax, ax
    mov [rdi + 0x90], rax
    pushfq
    pop rax
    mov [rdi + 0x98], rax
    lea rax, [rsp + 8]
    mov [rdi + 0xa0], rax       ; rsp after the return
    mov ax, ss
    movzx eax, ax
    mov [rdi + 0xa8], rax
    mov rax, cr0
    mov [rdi + 0xb0], rax
    mov rax, cr2
    mov [rdi + 0xb8], rax
    mov rax, cr3
    mov [rdi + 0xc0], rax
    mov rax, cr4
    mov [rdi + 0xc8], rax
    mov rax, cr8
    mov [rdi + 0xd0], rax
    ret

; Where a fault at a listed instruction resumes instead of being fatal.
section .extable
    dq KiCopySafeBytes, KiCopySafeBytesFixup
    dq KiCopySafeQwords, KiCopySafeQwordsFixup
    dq KiCopySafeDwords, KiCopySafeDwordsFixup
    dq KiProbeWriteLoad, KiProbeWriteFixup
    dq KiProbeWriteStore, KiProbeWriteFixup
