// x86-64 processor primitives: port I/O, control registers, MSRs, CPUID.
// Everything here is a thin inline wrapper around one instruction.
#pragma once

#include "ndk/ntdef.h"

#define KGDT64_NULL      0x00
#define KGDT64_R0_CODE   0x10   // NT's selector values, so `r` shows cs=0010
#define KGDT64_R0_DATA   0x18
#define KGDT64_R3_CMCODE 0x20   // 32-bit user code (unused, keeps NT's layout)
#define KGDT64_R3_DATA   0x28
#define KGDT64_R3_CODE   0x30
#define KGDT64_SYS_TSS   0x40
#define RPL_MASK         0x03

#define EFLAGS_IF        0x200
#define EFLAGS_TF        0x100
#define EFLAGS_DF        0x400
#define EFLAGS_AC        0x40000
#define EFLAGS_RF        0x10000

#define CR0_WP           (1ULL << 16)
#define CR4_PGE          (1ULL << 7)
#define MSR_EFER         0xC0000080
#define MSR_GS_BASE      0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_APIC_BASE    0x1B
#define EFER_SCE         (1ULL << 0)
#define EFER_NXE         (1ULL << 11)
#define MSR_STAR         0xC0000081
#define MSR_LSTAR        0xC0000082
#define MSR_FMASK        0xC0000084

static inline void WRITE_PORT_UCHAR(USHORT port, UCHAR value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline UCHAR READ_PORT_UCHAR(USHORT port)
{
    UCHAR value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline void WRITE_PORT_USHORT(USHORT port, USHORT value)
{
    __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

static inline void WRITE_PORT_ULONG(USHORT port, ULONG value)
{
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline ULONG READ_PORT_ULONG(USHORT port)
{
    ULONG value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

// A write to an unused port takes about a microsecond: the classic I/O delay.
static inline void KeStallIoDelay(void)
{
    WRITE_PORT_UCHAR(0x80, 0);
}

static inline ULONG64 __readcr0(void)
{
    ULONG64 v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline void __writecr0(ULONG64 v)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline ULONG64 __readcr2(void)
{
    ULONG64 v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline ULONG64 __readcr3(void)
{
    ULONG64 v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void __writecr3(ULONG64 v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline ULONG64 __readcr4(void)
{
    ULONG64 v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline void __writecr4(ULONG64 v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

// On x64 NT the IRQL is the task-priority register, CR8.
static inline ULONG64 __readcr8(void)
{
    ULONG64 v;
    __asm__ volatile("mov %%cr8, %0" : "=r"(v));
    return v;
}

static inline void __writecr8(ULONG64 v)
{
    __asm__ volatile("mov %0, %%cr8" : : "r"(v) : "memory");
}

static inline ULONG64 __readmsr(ULONG msr)
{
    ULONG lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((ULONG64)hi << 32) | lo;
}

static inline void __writemsr(ULONG msr, ULONG64 value)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((ULONG)value), "d"((ULONG)(value >> 32)));
}

static inline ULONG64 __rdtsc(void)
{
    ULONG lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((ULONG64)hi << 32) | lo;
}

static inline void __cpuid(ULONG leaf, ULONG subleaf, ULONG regs[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
                     : "a"(leaf), "c"(subleaf));
}

static inline void _disable(void)
{
    __asm__ volatile("cli" : : : "memory");
}

static inline void _enable(void)
{
    __asm__ volatile("sti" : : : "memory");
}

static inline void __halt(void)
{
    __asm__ volatile("hlt" : : : "memory");
}

static inline void _mm_pause(void)
{
    __asm__ volatile("pause" : : : "memory");
}

static inline ULONG64 __readeflags(void)
{
    ULONG64 flags;
    __asm__ volatile("pushfq; popq %0" : "=r"(flags));
    return flags;
}

// The debug registers: DR0-DR3 hold breakpoint addresses, DR6 says which
// condition fired, DR7 arms them. The register number must be a constant.
#define __readdr(n) ({ ULONG64 value_; __asm__ volatile("mov %%dr" #n ", %0" : "=r"(value_)); \
                       value_; })
#define __writedr(n, v) __asm__ volatile("mov %0, %%dr" #n : : "r"((ULONG64)(v)) : "memory")

static inline void __invlpg(void *va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

// Disables interrupts and returns whether they were enabled, for a matching
// KiRestoreInterrupts. Used where a few instructions must not be interrupted.
static inline BOOLEAN KiDisableInterrupts(void)
{
    BOOLEAN wasEnabled = (__readeflags() & EFLAGS_IF) != 0;
    _disable();
    return wasEnabled;
}

static inline void KiRestoreInterrupts(BOOLEAN enable)
{
    if (enable)
        _enable();
}

static inline BOOLEAN KiIsCanonical(ULONG64 address)
{
    return ((LONG64)(address << 16) >> 16) == (LONG64)address;
}
