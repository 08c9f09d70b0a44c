// Every processor's descriptor tables and control region: GDT with NT's
// selector layout, a TSS whose IST stacks catch double faults, NMIs and
// machine checks on known-good stacks, the IDT, and the KPCR at GS.

#include "ke/ke.h"
#include "arch/x86_64/x86.h"

#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define IST_MACHINE_CHECK 3
#define KERNEL_STACK_SIZE (32 * 1024)


#define IDT_PRESENT      0x80
#define IDT_INTERRUPT_GATE 0x0E
#define IDT_DPL3         0x60

typedef struct _KIDTENTRY64 {
    USHORT OffsetLow;
    USHORT Selector;
    USHORT IstIndex : 3;
    USHORT Reserved0 : 5;
    USHORT Type : 5;
    USHORT Dpl : 2;
    USHORT Present : 1;
    USHORT OffsetMiddle;
    ULONG OffsetHigh;
    ULONG Reserved1;
} KIDTENTRY64;

typedef struct __attribute__((packed)) _KDESCRIPTOR {
    USHORT Limit;
    ULONG64 Base;
} KDESCRIPTOR;

static ULONG64 KiGdt[KGDT_ENTRIES] __attribute__((aligned(16)));
static KIDTENTRY64 KiIdt[256] __attribute__((aligned(16)));
static KTSS64 KiTss __attribute__((aligned(16)));
static KPCR KiBootPcr;
static UCHAR KiIstStacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

// The boot processor's kernel stack. Its lowest page is unmapped once the
// kernel's own page tables are built, so an overflow faults (and becomes a
// double fault on the IST stack) instead of overwriting what lies below.
UCHAR KiBootStack[KERNEL_STACK_SIZE] __attribute__((aligned(4096)));
extern UCHAR KiBootStackTop[];
__asm__(".globl KiBootStackTop\n.set KiBootStackTop, KiBootStack + 32768");

extern const ULONG64 KiTrapStubTable[256];
ULONG KeNumberProcessors = 1;
KPRCB *KiProcessorBlock[MAXIMUM_PROCESSORS];

// Code and data descriptors: only the DPL, the L bit and "present" matter in
// long mode; the 32-bit user code keeps NT's slot so the numbering matches.
#define DESC_CODE64_R0 0x00209A0000000000ULL
#define DESC_DATA_R0   0x0000920000000000ULL
#define DESC_CODE32_R3 0x00CFFA000000FFFFULL
#define DESC_DATA_R3   0x0000F20000000000ULL
#define DESC_CODE64_R3 0x0020FA0000000000ULL
#define DESC_TSS_AVAILABLE 0x89ULL

static void KiSetTssDescriptor(ULONG64 *gdt, ULONG index, KTSS64 *tss)
{
    ULONG64 base = (ULONG64)tss;
    ULONG64 limit = sizeof(KTSS64) - 1;

    gdt[index] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (DESC_TSS_AVAILABLE << 40) |
                 (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    gdt[index + 1] = base >> 32;
}

static void KiSetIdtEntry(ULONG vector, ULONG64 handler, ULONG ist, ULONG dpl)
{
    KIDTENTRY64 *entry = &KiIdt[vector];

    entry->OffsetLow = (USHORT)handler;
    entry->OffsetMiddle = (USHORT)(handler >> 16);
    entry->OffsetHigh = (ULONG)(handler >> 32);
    entry->Selector = KGDT64_R0_CODE;
    entry->IstIndex = (USHORT)ist;
    entry->Type = IDT_INTERRUPT_GATE;
    entry->Dpl = (USHORT)dpl;
    entry->Present = 1;
}

static void KiLoadDescriptorTables(ULONG64 *gdt)
{
    KDESCRIPTOR gdtr = { KGDT_ENTRIES * sizeof(ULONG64) - 1, (ULONG64)gdt };
    KDESCRIPTOR idtr = { sizeof(KiIdt) - 1, (ULONG64)KiIdt };

    __asm__ volatile("lgdt %0" : : "m"(gdtr));
    // Reload CS with a far return, then the data segments.
    __asm__ volatile("pushq %0\n"
                     "leaq 1f(%%rip), %%rax\n"
                     "pushq %%rax\n"
                     "lretq\n"
                     "1:\n"
                     "movw %w1, %%ds\n"
                     "movw %w1, %%es\n"
                     "movw %w1, %%ss\n"
                     :
                     : "i"((ULONG64)KGDT64_R0_CODE), "r"(KGDT64_R0_DATA)
                     : "rax", "memory");
    __asm__ volatile("ltr %w0" : : "r"(KGDT64_SYS_TSS));
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

// One processor's GDT (NT's selector layout), TSS (kernel stack and the IST
// stacks), the shared IDT, and its KPCR at GS. The boot processor comes
// here first thing in KiSystemStartup; each application processor from
// KiSystemStartupAp (mpinit.c), with tables the boot processor allocated.
void KiInitializeProcessorControl(KPCR *pcr, ULONG64 *gdt, KTSS64 *tss,
                                  const ULONG64 istStackTops[3], ULONG64 stackTop, ULONG number)
{
    gdt[0] = 0;
    gdt[KGDT64_R0_CODE / 8] = DESC_CODE64_R0;
    gdt[KGDT64_R0_DATA / 8] = DESC_DATA_R0;
    gdt[KGDT64_R3_CMCODE / 8] = DESC_CODE32_R3;
    gdt[KGDT64_R3_DATA / 8] = DESC_DATA_R3;
    gdt[KGDT64_R3_CODE / 8] = DESC_CODE64_R3;
    KiSetTssDescriptor(gdt, KGDT64_SYS_TSS / 8, tss);

    tss->Rsp0 = stackTop;
    tss->Ist[IST_DOUBLE_FAULT] = istStackTops[0];
    tss->Ist[IST_NMI] = istStackTops[1];
    tss->Ist[IST_MACHINE_CHECK] = istStackTops[2];
    tss->IoMapBase = sizeof(KTSS64);

    KiLoadDescriptorTables(gdt);

    pcr->Self = pcr;
    pcr->CurrentPrcb = &pcr->Prcb;
    pcr->TssBase = tss;
    pcr->GdtBase = gdt;
    pcr->IdtBase = KiIdt;
    pcr->Prcb.Number = number;
    pcr->Prcb.SetMember = 1ULL << number;
    KeInitializeSpinLock(&pcr->Prcb.DpcLock);
    pcr->RspBase = stackTop;
    KiProcessorBlock[number] = &pcr->Prcb;
    __writemsr(MSR_GS_BASE, (ULONG64)pcr);
    __writemsr(MSR_KERNEL_GS_BASE, 0);
    __writecr8(PASSIVE_LEVEL);
    KiInitializeSystemCalls();
}

// Builds the IDT (shared by every processor: each one's IST indexes name
// stacks in its own TSS), then the boot processor's GDT, TSS and KPCR.
// Runs first thing in KiSystemStartup with interrupts off.
void KiInitializeProcessor(void)
{
    const ULONG64 istTops[3] = {
        (ULONG64)&KiIstStacks[0][IST_STACK_SIZE],
        (ULONG64)&KiIstStacks[1][IST_STACK_SIZE],
        (ULONG64)&KiIstStacks[2][IST_STACK_SIZE],
    };

    for (ULONG vector = 0; vector < 256; vector++) {
        ULONG ist = 0, dpl = 0;

        if (vector == 8)
            ist = IST_DOUBLE_FAULT;
        else if (vector == 2)
            ist = IST_NMI;
        else if (vector == 18)
            ist = IST_MACHINE_CHECK;
        if (vector == 3 || vector == 4)
            dpl = 3;    // int3 and into are allowed from user mode, as on NT
        KiSetIdtEntry(vector, KiTrapStubTable[vector], ist, dpl);
    }
    KiInitializeProcessorControl(&KiBootPcr, KiGdt, &KiTss, istTops,
                                 (ULONG64)KiBootStackTop, 0);
}

// SYSCALL loads CS from STAR[47:32] and SS from the next slot; SYSRET to
// 64-bit code loads CS from STAR[63:48] + 16 and SS from STAR[63:48] + 8.
// NT's layout (32-bit user code, then user data, then 64-bit user code) is
// the order SYSRET expects, so both land on KGDT64_R3_CODE/KGDT64_R3_DATA.
#define STAR_VALUE (((ULONG64)(KGDT64_R3_CMCODE | RPL_MASK) << 48) | \
                    ((ULONG64)KGDT64_R0_CODE << 32))
// What SYSCALL clears in RFLAGS: interrupts stay off until the kernel
// stack is in place; no single step, string direction up, no alignment check.
#define FMASK_VALUE (EFLAGS_IF | EFLAGS_TF | EFLAGS_DF | EFLAGS_AC)

extern UCHAR KiSystemCall64[];

void KiInitializeSystemCalls(void)
{
    __writemsr(MSR_STAR, STAR_VALUE);
    __writemsr(MSR_LSTAR, (ULONG64)KiSystemCall64);
    __writemsr(MSR_FMASK, FMASK_VALUE);
    __writemsr(MSR_EFER, __readmsr(MSR_EFER) | EFER_SCE);
}

// One gs-relative load: a thread moved meanwhile cannot read half of one
// processor's answer and half of another's.
ULONG KeGetCurrentProcessorNumber(void)
{
    ULONG number;

    __asm__ volatile("movl %%gs:%c1, %0"
                     : "=r"(number)
                     : "i"(offsetof(KPCR, Prcb) + offsetof(KPRCB, Number)));
    return number;
}
