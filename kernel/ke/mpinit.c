// Starting the application processors (NT's KeStartAllProcessors). For each
// processor the MADT lists besides this one: a KPCR/KPRCB, GDT and TSS with
// its own IST stacks, an idle thread and its stack; then the real-mode
// trampoline (arch/x86_64/apstart.asm), copied to a free page below 1 MiB,
// is pointed at them and the processor is woken with INIT-SIPI-SIPI. It
// comes up through protected mode into long mode on a temporary PML4 (the
// kernel's half, plus that page identity-mapped), and here, in
// KiSystemStartupAp, takes the kernel's page tables, its descriptor tables,
// its local APIC and clock, and runs its idle loop. One processor starts at
// a time; each is counted in KeNumberProcessors once it has said so.

#include "ke/ke.h"
#include "mm/mm.h"
#include "ps/ps.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define MSR_PAT 0x277
#define EFER_LME (1ULL << 8)
#define KI_LOW_MEMORY_PAGES 0xA0        // conventional memory ends at 640 KiB
#define KI_STARTUP_PAGES 4              // trampoline, PML4, PDPT, PD
#define KI_AP_STACK_SIZE (32 * 1024)
#define KI_AP_START_TIMEOUT_US 5000000  // a TCG processor on a busy host is slow
#define KI_AP_POLL_US 100
#define PTE_P_W 0x3ULL
#define PTE_PS 0x80ULL

// The trampoline's data block (apstart.asm, same layout).
typedef struct __attribute__((packed)) _KI_AP_STARTUP_BLOCK {
    USHORT GdtLimit;
    ULONG GdtBase;
    USHORT Reserved0;
    ULONG ProtectedOffset;
    USHORT ProtectedSelector;
    USHORT Reserved1;
    ULONG LongOffset;
    USHORT LongSelector;
    USHORT Reserved2;
    ULONG64 Cr3;
    ULONG64 Efer;
    ULONG64 Stack;
    ULONG64 Argument;
    ULONG64 Entry;
} KI_AP_STARTUP_BLOCK;

_Static_assert(sizeof(KI_AP_STARTUP_BLOCK) == 64, "the trampoline's block");

// What one application processor gets, in one pool block.
typedef struct _KI_PROCESSOR_START {
    KPCR Pcr;
    ULONG64 Gdt[KGDT_ENTRIES] __attribute__((aligned(16)));
    KTSS64 Tss __attribute__((aligned(16)));
    ULONG64 IstStackTops[3];
    ULONG64 StackTop;
    ULONG Number;
} KI_PROCESSOR_START;

extern UCHAR KiApStartup[], KiApStartupEnd[];
extern const ULONG64 KiApGdtOffset, KiApProtectedOffset, KiApLongOffset, KiApBlockOffset;

// The boot processor's control state, which every processor copies.
static ULONG64 KiBootCr0, KiBootCr4, KiBootEfer, KiBootPat, KiKernelCr3;
static volatile LONG KiApStarted;

void KiSystemStartupAp(KI_PROCESSOR_START *start) __attribute__((noreturn));
void KiSystemStartupAp(KI_PROCESSOR_START *start)
{
    __writecr3(KiKernelCr3);
    __writecr0(KiBootCr0);
    __writecr4(KiBootCr4);
    __writemsr(MSR_EFER, KiBootEfer);
    __writemsr(MSR_PAT, KiBootPat);
    KiInitializeProcessorControl(&start->Pcr, start->Gdt, &start->Tss, start->IstStackTops,
                                 start->StackTop, start->Number);
    HalInitializeProcessor();
    start->Pcr.Prcb.ApicId = HalGetLocalApicId();
    HalStartProcessorClock();
    __atomic_store_n(&KiApStarted, 1, __ATOMIC_RELEASE);
    // The processor is idle: it takes ready threads from here on (the
    // dispatch interrupt, vector 0x2F, switches its idle thread out).
    KiIdleLoop();
    KiIdleLoopReturned();
}

// KI_STARTUP_PAGES consecutive pages of conventional memory the memory map
// gives as RAM (Sleuth leaves the first MiB to firmware, so nobody else
// uses them), not page 0. 0 when there are none.
static ULONG KiFindStartupPages(void)
{
    for (ULONG i = 0; i < KeLoaderBlock.MemoryDescriptorCount; i++) {
        const MEMORY_DESCRIPTOR *md = &KeLoaderBlock.MemoryDescriptors[i];
        ULONG64 first = md->BasePage ? md->BasePage : 1;
        ULONG64 end = md->BasePage + md->PageCount;

        if (md->Type != LoaderFree)
            continue;
        if (end > KI_LOW_MEMORY_PAGES)
            end = KI_LOW_MEMORY_PAGES;
        if (first + KI_STARTUP_PAGES <= end)
            return (ULONG)(end - KI_STARTUP_PAGES);      // the highest: away from the IVT and BDA
    }
    return 0;
}

// The trampoline's page tables: the kernel's upper half, and the first
// 2 MiB identity-mapped (one large page) so that the trampoline's page is
// where it was when paging comes on.
static void KiBuildStartupPageTables(ULONG page)
{
    ULONG64 *pml4 = MmPfnToVirtual(page + 1);
    ULONG64 *pdpt = MmPfnToVirtual(page + 2);
    ULONG64 *pd = MmPfnToVirtual(page + 3);
    const ULONG64 *kernel = (const ULONG64 *)((ULONG64)MmPfnToVirtual(0) + KiKernelCr3);

    memset(pml4, 0, PAGE_SIZE);
    memset(pdpt, 0, PAGE_SIZE);
    memset(pd, 0, PAGE_SIZE);
    for (ULONG i = 256; i < 512; i++)
        pml4[i] = kernel[i];
    pml4[0] = ((ULONG64)(page + 2) << PAGE_SHIFT) | PTE_P_W;
    pdpt[0] = ((ULONG64)(page + 3) << PAGE_SHIFT) | PTE_P_W;
    pd[0] = 0 | PTE_P_W | PTE_PS;
}

static ULONG64 KiNewStack(SIZE_T size)
{
    void *top = MmCreateKernelStack(size);

    return (ULONG64)top;
}

// Prepares and starts processor `number` (MADT entry `apicId`); TRUE once
// it reports from KiSystemStartupAp.
static BOOLEAN KiStartProcessor(ULONG page, ULONG number, ULONG apicId)
{
    UCHAR *code = MmPfnToVirtual(page);
    KI_AP_STARTUP_BLOCK *block = (KI_AP_STARTUP_BLOCK *)(code + KiApBlockOffset);
    ULONG linear = page << PAGE_SHIFT;
    KI_PROCESSOR_START *start;
    KPRCB *prcb;
    KTHREAD *idle;

    start = ExAllocatePoolWithTag(NonPagedPool, sizeof(*start), POOL_TAG('K', 'e', 'P', 'r'));
    if (!start)
        return FALSE;
    memset(start, 0, sizeof(*start));
    start->Number = number;
    start->StackTop = KiNewStack(KI_AP_STACK_SIZE);
    for (ULONG i = 0; i < 3; i++)
        start->IstStackTops[i] = KiNewStack(IST_STACK_SIZE);
    if (!start->StackTop || !start->IstStackTops[0] || !start->IstStackTops[1] ||
        !start->IstStackTops[2])
        return FALSE;       // what was allocated stays: the processor is simply not started
    idle = PsCreateIdleThread((void *)start->StackTop,
                              (void *)(start->StackTop - KI_AP_STACK_SIZE));
    if (!idle)
        return FALSE;

    prcb = &start->Pcr.Prcb;
    prcb->Number = number;
    prcb->ApicId = apicId;
    prcb->CurrentThread = prcb->IdleThread = idle;
    idle->Affinity = idle->UserAffinity = 1ULL << number;
    idle->NextProcessor = (UCHAR)number;
    idle->State = Running;
    for (ULONG i = 0; i < MAXIMUM_PRIORITY; i++)
        InitializeListHead(&prcb->DispatcherReadyListHead[i]);
    InitializeListHead(&prcb->DpcListHead);

    memcpy(code, KiApStartup, (SIZE_T)(KiApStartupEnd - KiApStartup));
    block->GdtBase = linear + (ULONG)KiApGdtOffset;
    block->ProtectedOffset = linear + (ULONG)KiApProtectedOffset;
    block->LongOffset = linear + (ULONG)KiApLongOffset;
    block->Cr3 = (ULONG64)(page + 1) << PAGE_SHIFT;
    block->Efer = (KiBootEfer & (EFER_NXE | EFER_SCE)) | EFER_LME;
    block->Stack = start->StackTop - 16;
    block->Argument = (ULONG64)start;
    block->Entry = (ULONG64)KiSystemStartupAp;

    __atomic_store_n(&KiApStarted, 0, __ATOMIC_RELEASE);
    HalStartNextProcessor(apicId, page);
    for (ULONG waited = 0; waited < KI_AP_START_TIMEOUT_US; waited += KI_AP_POLL_US) {
        if (__atomic_load_n(&KiApStarted, __ATOMIC_ACQUIRE))
            return TRUE;
        KeStallExecutionProcessor(KI_AP_POLL_US);
    }
    HalResetProcessor(apicId);
    return FALSE;
}

// The new processor joins the scheduler: counted (KeQueryActiveProcessors
// now offers it to every thread whose affinity allows it) and idle, in one
// step under the dispatcher lock, so that no thread is readied while it is
// counted but not yet idle, or idle in KiIdleSummary while it runs a thread
// (a stale idle bit would let KiReadyThreadElsewhere make a thread stand by
// over one already standing by there). Until then it takes no thread
// (KiIdleLoop): its state is its idle thread's, nothing standing by.
static void KiCountProcessor(ULONG number)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    KPRCB *prcb = KiProcessorBlock[number];

    ASSERT(prcb->CurrentThread == prcb->IdleThread && !prcb->NextThread);
    __atomic_store_n(&KeNumberProcessors, number + 1, __ATOMIC_RELEASE);
    __atomic_or_fetch(&KiIdleSummary, prcb->SetMember, __ATOMIC_RELAXED);
    KiReleaseDispatcherLock(oldIrql);
}

void KeStartAllProcessors(void)
{
    ULONG count = HalGetProcessorCount();
    ULONG bootApicId = HalGetLocalApicId();
    ULONG page;

    KeGetCurrentPrcb()->ApicId = bootApicId;
    if (count <= 1)
        return;
    page = KiFindStartupPages();
    if (!page) {
        DbgPrint("Processors: no free page below 1 MiB for the startup code; "
                 "running on the boot processor only\n");
        return;
    }
    KiBootCr0 = __readcr0();
    KiBootCr4 = __readcr4();
    KiBootEfer = __readmsr(MSR_EFER);
    KiBootPat = __readmsr(MSR_PAT);
    KiKernelCr3 = PsIdleProcess->Pcb.DirectoryTableBase;
    KiBuildStartupPageTables(page);
    for (ULONG index = 0; index < count && KeNumberProcessors < MAXIMUM_PROCESSORS; index++) {
        ULONG apicId = HalGetProcessorApicId(index);
        ULONG number = KeNumberProcessors;

        if (apicId == bootApicId)
            continue;
        if (!KiStartProcessor(page, number, apicId)) {
            DbgPrint("Processor %u (APIC id %u) did not start\n", number, apicId);
            continue;
        }
        KiCountProcessor(number);
        DbgPrint("Processor %u started (APIC id %u), idle thread %016llx\n", number, apicId,
                 (unsigned long long)(ULONG64)KiProcessorBlock[number]->IdleThread);
    }
    // The startup pages are not handed back: Sleuth never allocates below
    // 1 MiB, and a processor that failed to start may still wake into them.
}
