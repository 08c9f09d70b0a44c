; Sleuth's first instructions: the multiboot2 header, the 32-bit entry that
; GRUB jumps to, the checks that this machine can run us, and the switch to
; long mode. Everything here runs from the kernel's physical load address
; (1 MiB) with paging off; the 64-bit kernel proper lives in the higher half.
;
; The page tables built here are temporary: an identity map of the first
; 4 GiB (so the multiboot2 information, wherever GRUB put it below 4 GiB, can
; be read) and the same first 1 GiB again at KERNEL_VIRTUAL_BASE. The kernel
; replaces them with its own as soon as it knows the memory map.

bits 32

MB2_MAGIC           equ 0xE85250D6
MB2_ARCH_I386       equ 0
MB2_BOOT_MAGIC      equ 0x36D76289
MB2_TAG_END         equ 0
MB2_TAG_INFO_REQ    equ 1
MB2_TAG_ENTRY       equ 3
MB2_TAG_MODULE_ALIGN equ 6
MB2_TAG_OPTIONAL    equ 1

MB2_INFO_CMDLINE    equ 1
MB2_INFO_MODULE     equ 3
MB2_INFO_MMAP       equ 6
MB2_INFO_FRAMEBUF   equ 8
MB2_INFO_ACPI_OLD   equ 14
MB2_INFO_ACPI_NEW   equ 15

KERNEL_VIRTUAL_BASE equ 0xFFFFFFFF80000000

CR0_PE              equ 1 << 0
CR0_WP              equ 1 << 16
CR0_PG              equ 1 << 31
CR4_PAE             equ 1 << 5
MSR_EFER            equ 0xC0000080
EFER_LME            equ 1 << 8
EFER_NXE            equ 1 << 11
PTE_PRESENT         equ 1 << 0
PTE_WRITE           equ 1 << 1
PTE_LARGE           equ 1 << 7
CPUID_EXT_FEATURES  equ 0x80000001
CPUID_EXT_LONG_MODE equ 1 << 29
CPUID_EXT_NX        equ 1 << 20

COM1                equ 0x3F8
VGA_TEXT            equ 0xB8000

section .multiboot2 progbits alloc noexec nowrite align=8
MultibootHeader:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd MultibootHeaderEnd - MultibootHeader
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (MultibootHeaderEnd - MultibootHeader))

    align 8
InfoRequestTag:
    dw MB2_TAG_INFO_REQ, MB2_TAG_OPTIONAL
    dd InfoRequestTagEnd - InfoRequestTag
    dd MB2_INFO_CMDLINE, MB2_INFO_MODULE, MB2_INFO_MMAP, MB2_INFO_FRAMEBUF
    dd MB2_INFO_ACPI_OLD, MB2_INFO_ACPI_NEW
InfoRequestTagEnd:

    align 8
    dw MB2_TAG_ENTRY, 0
    dd 12
    dd _start


    ; No framebuffer tag: with one, GRUB switches a BIOS machine into a
    ; graphics mode. Without it BIOS keeps VGA text and UEFI (which has no
    ; text mode) still reports the firmware's framebuffer.
    align 8
    dw MB2_TAG_MODULE_ALIGN, 0
    dd 8

    align 8
    dw MB2_TAG_END, 0
    dd 8
MultibootHeaderEnd:

section .boot.text progbits alloc exec nowrite align=16
global _start
extern KiSystemStartup
extern KiBootStackTop

_start:
    cli
    cld
    mov esp, BootStack32Top
    mov edi, eax                ; keep the loader's magic and info pointer
    mov esi, ebx

    cmp edi, MB2_BOOT_MAGIC
    jne .notMultiboot

    ; CPUID itself exists on every CPU that can run GRUB in 32-bit mode; ask
    ; whether the extended leaf that describes long mode is there.
    mov eax, 0x80000000
    cpuid
    cmp eax, CPUID_EXT_FEATURES
    jb .noLongMode
    mov eax, CPUID_EXT_FEATURES
    cpuid
    test edx, CPUID_EXT_LONG_MODE
    jz .noLongMode
    mov [BootHasNx], edx

    call BuildBootPageTables

    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, BootPml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    test dword [BootHasNx], CPUID_EXT_NX
    jz .noNx
    or eax, EFER_NXE
.noNx:
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_PE | CR0_WP
    mov cr0, eax

    lgdt [BootGdtPointer]
    jmp BOOT_CODE64:LongModeEntry

.notMultiboot:
    mov esi, MsgNotMultiboot
    jmp Fail32
.noLongMode:
    mov esi, MsgNoLongMode
    jmp Fail32

; Identity-maps 0-4 GiB with 2 MiB pages and maps 0-1 GiB again at
; KERNEL_VIRTUAL_BASE (PML4 slot 511, PDPT slot 510).
BuildBootPageTables:
    mov eax, BootPdpLow
    or eax, PTE_PRESENT | PTE_WRITE
    mov [BootPml4], eax
    mov eax, BootPdpHigh
    or eax, PTE_PRESENT | PTE_WRITE
    mov [BootPml4 + 511 * 8], eax

    xor ecx, ecx                ; four page directories for the low 4 GiB
.pdpLoop:
    mov eax, ecx
    shl eax, 12
    add eax, BootPd
    or eax, PTE_PRESENT | PTE_WRITE
    mov [BootPdpLow + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jb .pdpLoop

    mov eax, BootPd
    or eax, PTE_PRESENT | PTE_WRITE
    mov [BootPdpHigh + 510 * 8], eax

    xor ecx, ecx                ; 2048 large pages of 2 MiB
.pdLoop:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_PRESENT | PTE_WRITE | PTE_LARGE
    mov [BootPd + ecx * 8], eax
    mov eax, ecx
    shr eax, 11                 ; high half of the physical address
    mov [BootPd + ecx * 8 + 4], eax
    inc ecx
    cmp ecx, 2048
    jb .pdLoop
    ret

; Prints the message at esi on COM1 and on the VGA text screen, then stops.
; Nothing else is up yet, so both devices are driven directly.
Fail32:
    mov dx, COM1 + 3            ; 8N1, divisor 1 (115200 baud)
    mov al, 0x80
    out dx, al
    mov dx, COM1
    mov al, 1
    out dx, al
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 3
    out dx, al

    mov edi, VGA_TEXT
    mov ecx, 80 * 25
    mov ax, 0x4F20              ; white on red, blank
    rep stosw
    mov edi, VGA_TEXT
.next:
    lodsb
    test al, al
    jz .halt
    mov ah, 0x4F
    mov [edi], ax
    add edi, 2
    mov bl, al
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov dx, COM1
    mov al, bl
    out dx, al
    jmp .next
.halt:
    cli
    hlt
    jmp .halt

bits 64
LongModeEntry:
    mov ax, BOOT_DATA64
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rax, KiStartup64
    jmp rax

section .text
; Now running at the kernel's higher-half address.
KiStartup64:
    mov rsp, KiBootStackTop
    xor ebp, ebp                ; the end of every stack walk
    ; edi = multiboot2 magic, esi = physical address of the information
    mov edi, edi
    mov esi, esi
    call KiSystemStartup
.hang:
    cli
    hlt
    jmp .hang

section .boot.data progbits alloc noexec write align=16
BootGdt:
    dq 0
    dq 0x00AF9A000000FFFF       ; 64-bit code, ring 0
    dq 0x00CF92000000FFFF       ; data, ring 0
BootGdtEnd:
BOOT_CODE64 equ 0x08
BOOT_DATA64 equ 0x10

BootGdtPointer:
    dw BootGdtEnd - BootGdt - 1
    dd BootGdt

BootHasNx:
    dd 0

MsgNotMultiboot:
    db "Sleuth: not started by a Multiboot2 boot loader (use GRUB 2 with 'multiboot2').", 0
MsgNoLongMode:
    db "Sleuth needs a 64-bit x86 processor (long mode); this CPU does not have it.", 0

section .boot.bss nobits alloc noexec write align=4096
BootPml4:    resb 4096
BootPdpLow:  resb 4096
BootPdpHigh: resb 4096
BootPd:      resb 4096 * 4
BootStack32: resb 1024
BootStack32Top:
