; The application processors' first instructions. An AP wakes from
; INIT-SIPI-SIPI in real mode at the page the SIPI names (below 1 MiB);
; the boot processor copies this code there (KiApStartup..KiApStartupEnd)
; and fills in the data block at its end (KI_AP_STARTUP_BLOCK in
; kernel/ke/mpinit.c, same layout). The code runs from any page: it finds
; its own linear address from CS, and every far jump goes through a pointer
; the boot processor wrote with that address in it.
;
; Real mode -> 32-bit protected mode (our own little GDT) -> PAE paging with
; a temporary PML4 (the kernel's upper half, and this page identity-mapped
; so the instruction after the paging switch is still there) -> long mode ->
; the kernel's entry for the processor, on the stack the block gives.

bits 16

CR0_PE              equ 1 << 0
CR0_WP              equ 1 << 16
CR0_PG              equ 1 << 31
CR4_PAE             equ 1 << 5
MSR_EFER            equ 0xC0000080

AP_CODE32           equ 0x08
AP_DATA32           equ 0x10
AP_CODE64           equ 0x18

%define OFS(label) ((label) - KiApStartup)

section .rodata
align 16
global KiApStartup
global KiApStartupEnd
global KiApStartupBlock

KiApStartup:
    cli
    cld
    mov ax, cs
    mov ds, ax
    xor ebx, ebx
    mov bx, ax
    shl ebx, 4                  ; ebx: this page's linear address, kept throughout
    o32 lgdt [OFS(ApGdtPointer)]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    o32 jmp far [OFS(ApProtectedJump)]

bits 32
ApProtected:
    mov ax, AP_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, [ebx + OFS(ApCr3)]
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, [ebx + OFS(ApEfer)]     ; LME, and NXE/SCE as the boot processor has them
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_PE | CR0_WP
    mov cr0, eax
    jmp far [ebx + OFS(ApLongJump)]

bits 64
ApLong:
    mov ebx, ebx                ; the upper half was not ours to set before
    mov ax, AP_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, [rbx + OFS(ApStack)]
    mov rdi, [rbx + OFS(ApArgument)]
    mov rax, [rbx + OFS(ApEntry)]
    xor ebp, ebp
    push rbp                    ; a null return address ends every stack walk here
    jmp rax                     ; into the kernel's half; it loads the kernel's CR3

align 8
ApGdt:
    dq 0
    dq 0x00CF9A000000FFFF       ; 0x08: 32-bit code, flat
    dq 0x00CF92000000FFFF       ; 0x10: data, flat
    dq 0x00209A0000000000       ; 0x18: 64-bit code
ApGdtEnd:

; The block the boot processor fills (offsets fixed: see mpinit.c).
align 8
KiApStartupBlock:
ApGdtPointer:
    dw ApGdtEnd - ApGdt - 1
    dd 0                        ; + 2: linear address of ApGdt
    dw 0
ApProtectedJump:
    dd 0                        ; + 8: linear address of ApProtected
    dw AP_CODE32
    dw 0
ApLongJump:
    dd 0                        ; + 16: linear address of ApLong
    dw AP_CODE64
    dw 0
ApCr3:
    dq 0                        ; + 24: temporary PML4 (below 4 GiB)
ApEfer:
    dq 0                        ; + 32: EFER bits to set
ApStack:
    dq 0                        ; + 40: the processor's first stack
ApArgument:
    dq 0                        ; + 48: its KPCR
ApEntry:
    dq 0                        ; + 56: KiSystemStartupAp
KiApStartupEnd:

global KiApGdtOffset
global KiApProtectedOffset
global KiApLongOffset
global KiApBlockOffset
section .rodata
align 8
KiApGdtOffset:        dq OFS(ApGdt)
KiApProtectedOffset:  dq OFS(ApProtected)
KiApLongOffset:       dq OFS(ApLong)
KiApBlockOffset:      dq OFS(KiApStartupBlock)
