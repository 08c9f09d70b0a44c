; The system-call entry. User mode executes `syscall` with the service
; number in eax and the first four arguments in r10, rdx, r8, r9 (NT's
; convention: the stub moves rcx to r10, since syscall takes rcx for the
; return address); arguments beyond four are on the user stack above the
; 32-byte home area. The CPU has left the user rip in rcx and rflags in
; r11, cleared IF/TF/DF/AC (FMASK), and done nothing else: the stack is
; still the user's, and GS still holds the user's base.
;
; KiSystemCall64 moves to the thread's kernel stack, saves a KTRAP_FRAME
; shaped exactly like the trap stubs' (so the debugger and the fault paths
; read both alike) and calls KiSystemServiceDispatch(frame), which leaves
; the NTSTATUS in frame->Rax. The way back is sysret when the return
; address allows it.

bits 64

%include "arch/x86_64/ktrap.inc"
default rel

section .text

extern KiSystemServiceDispatch
extern KiSystemServiceExit
extern KiTrapReturn
extern KiServiceTable
extern KiArgumentTable
extern KiServiceLimit

KPCR_USER_RSP equ 0x28          ; offsetof(KPCR, UserRsp), checked in ke.h
KPCR_RSP_BASE equ 0x30          ; offsetof(KPCR, RspBase)
KGDT64_R3_DATA equ 0x28
KGDT64_R3_CODE equ 0x30
RPL_USER equ 3
SYSCALL_VECTOR equ 0x2E         ; what the frame's Vector says: NT's old int 2e
KPCR_CURRENT_PRCB equ 0x08      ; offsetof(KPCR, CurrentPrcb), checked in syscall.c
KPRCB_CURRENT_THREAD equ 0x08   ; offsetof(KPRCB, CurrentThread), checked in syscall.c
KTHREAD_TRAP_FRAME equ 0x288    ; offsetof(KTHREAD, TrapFrame), checked in syscall.c
KTHREAD_USER_APC_PENDING equ 0x1AA ; offsetof(KTHREAD, ApcState.UserApcPending), the same

global KiSystemCall64
KiSystemCall64:
    swapgs
    mov [gs:KPCR_USER_RSP], rsp
    mov rsp, [gs:KPCR_RSP_BASE]
    push KGDT64_R3_DATA | RPL_USER      ; SegSs
    push qword [gs:KPCR_USER_RSP]       ; Rsp
    push r11                            ; EFlags
    push KGDT64_R3_CODE | RPL_USER      ; SegCs
    push rcx                            ; Rip
    push 0                              ; ErrorCode
    push SYSCALL_VECTOR                 ; Vector
    PUSH_TRAP_REGISTERS
    ; Interrupts are safe now that GS and the stack are the kernel's.
    sti
    xor ebp, ebp                        ; the user's rbp ends the kernel stack walk
%ifndef KE_PHASES
    ; The fast path: a valid service of at most four arguments (every LPC
    ; call) is called straight from here, its arguments still in the
    ; registers the user passed them in, with none of the C dispatcher's
    ; frame. It does what KiSystemServiceDispatch does for such a service,
    ; in the same order: the thread's TrapFrame, the call, the status in
    ; the frame's Rax; KiSystemServiceExit then runs only when there is
    ; something to do (an IRQL left raised, a user APC to deliver). Every
    ; register is in the frame, so rbx and r12 are free to keep the
    ; service and the thread across the call. Anything else (a bad number,
    ; more arguments to capture from the user stack) goes the general way.
    ; The phase build (KE_PHASES) always does, for its probes.
    mov ecx, [KiServiceLimit]
    cmp rax, rcx
    jae ..@KiSystemCall64.general
    lea rcx, [KiArgumentTable]
    cmp byte [rcx + rax], 4
    ja ..@KiSystemCall64.general
    lea rcx, [KiServiceTable]
    mov r11, [rcx + rax * 8]
    test r11, r11
    jz ..@KiSystemCall64.general
    mov rbx, rax                        ; the service number
    mov r12, [gs:KPCR_CURRENT_PRCB]
    mov r12, [r12 + KPRCB_CURRENT_THREAD]
    mov [r12 + KTHREAD_TRAP_FRAME], rsp
    mov rdi, r10                        ; the user's four arguments, as C takes them
    mov rsi, rdx
    mov rdx, r8
    mov rcx, r9
    call r11
..@KiSystemCall64ServiceReturn:         ; the debugger's stack walk knows this return
    movsxd rax, eax                     ; the NTSTATUS, sign-extended as the dispatcher does
    mov [rsp], rax                      ; frame->Rax
    mov rcx, cr8
    test cl, cl
    jnz ..@KiSystemCall64.exit_work
    cmp byte [r12 + KTHREAD_USER_APC_PENDING], 0
    je ..@KiSystemCall64.return
..@KiSystemCall64.exit_work:
    mov rdi, rsp
    mov rsi, rbx
    call KiSystemServiceExit
    jmp ..@KiSystemCall64.return
..@KiSystemCall64.general:
%endif
    mov rdi, rsp
    call KiSystemServiceDispatch
%ifdef KE_PHASES
..@KiSystemCall64ServiceReturn:         ; the phase build calls no service directly
%endif
..@KiSystemCall64.return:
    cli
    ; sysret trusts rcx: with a non-canonical return address it would fault
    ; in ring 0 on the user's stack. Only a lower-half rip goes back that
    ; way; anything else leaves through iretq, like a trap.
    mov rcx, [rsp + KTRAP_FRAME_RIP]
    shr rcx, 47
    jnz KiTrapReturn
    pop rax
    pop rbx
    add rsp, 8                          ; rcx: the return address, below
    pop rdx
    pop rsi
    pop rdi
    pop rbp
    pop r8
    pop r9
    pop r10
    add rsp, 8                          ; r11: the flags, below
    pop r12
    pop r13
    pop r14
    pop r15
    add rsp, 16                         ; vector and error code
    mov rcx, [rsp]                      ; Rip
    mov r11, [rsp + 16]                 ; EFlags (sysret restores IF from it)
    mov rsp, [rsp + 24]                 ; the user's Rsp
    swapgs
    o64 sysret

; void KiStartUserThread(KTRAP_FRAME *frame)
; Enters user mode for the first time with the registers in `frame`, which
; lies at the top of the current thread's kernel stack.
global KiStartUserThread
KiStartUserThread:
    cli
    mov rsp, rdi
    jmp KiTrapReturn

section .rodata
; Where KiSystemCall64's direct call of a service returns, for the debugger's
; stack walk (kernel/kd/stack.c). Its labels are NASM's ..@ kind, which the
; symbol table leaves out, so that frames read nt!KiSystemCall64+0x...
global KiSystemCall64ServiceReturn
KiSystemCall64ServiceReturn: dq ..@KiSystemCall64ServiceReturn
