// The TLB shootdown for a user address: a thread of a process, spinning
// on another processor, has cached the translation of one of its pages;
// the page is decommitted from processor 0. Once the decommit has
// returned, no read there may still see the page (KeFlushTb sends the
// flush to every processor running in that address space, and only then
// is the frame freed). The reader is a System-style thread of the test's
// own process, so it runs in that address space (CR3), and reads through
// KiCopyMemorySafe, so the fault it must get costs it nothing.
//
// Against a kernel whose KeFlushTb did not reach the other processors the
// reader keeps reading the old frame (the check was made so: see
// docs/scheduler.md). Under -smp 1 reader and decommit share processor 0,
// and the local invlpg is what is checked.

#include "tests/kernel/test_smp.h"
#include "mm/mi.h"
#include "arch/x86_64/x86.h"

#define KT_TB_VA 0x20000000ULL
#define KT_TB_VALUE 0x7B5D0C0FFEE7B5D0ULL

typedef struct _KT_TB_READER {
    ULONG Processor;
    volatile LONG Stage;            // 1: the reader has the translation; 2: decommitted
    volatile LONG Stop;
    volatile ULONG64 Reads;         // progress, for the join
    volatile ULONG64 FirstValue;
    volatile ULONG64 StaleReads;    // the old value read after the decommit returned
    volatile LONG Faulted;
    volatile ULONG RanOn;
} KT_TB_READER;

static void KtTbReader(void *context)
{
    KT_TB_READER *reader = context;
    ULONG64 value = 0;

    KeSetSystemAffinityThread(1ULL << reader->Processor);
    reader->RanOn = KeGetCurrentProcessorNumber();
    if (KiCopyMemorySafe(&value, (const void *)KT_TB_VA, sizeof(value)) == 0)
        reader->FirstValue = value;
    __atomic_store_n(&reader->Stage, 1, __ATOMIC_RELEASE);
    while (!reader->Stop && reader->StaleReads < 1000) {
        // Read the stage first: when it says 2, the flush had been done
        // on every processor before this read began.
        BOOLEAN decommitted = __atomic_load_n(&reader->Stage, __ATOMIC_ACQUIRE) == 2;

        value = 0;
        if (KiCopyMemorySafe(&value, (const void *)KT_TB_VA, sizeof(value)) != 0) {
            reader->Faulted = 1;
            break;
        }
        if (decommitted && value == KT_TB_VALUE)
            reader->StaleReads++;
        else if (decommitted)
            break;          // not the old page (a fresh one): not stale either
        reader->Reads++;
    }
    KeRevertToUserAffinityThread();
    PsTerminateSystemThread(STATUS_SUCCESS);
}

KTEST(SmpDecommittedUserPageIsNotReadStale)
{
    KT_TB_READER *reader = KtSmpAllocate(sizeof(*reader));
    EPROCESS *process = NULL;
    ETHREAD *thread = NULL;
    ULONG64 space, value = KT_TB_VALUE, seen;
    KIRQL oldIrql;

    if (!reader)
        return;
    KT_EXPECT(NT_SUCCESS(PspCreateProcess("KtSmpTb", PsInitialSystemProcess,
                                          NORMAL_BASE_PRIORITY, &process)));
    space = process->Pcb.DirectoryTableBase;
    KT_CHECK_EQ(MmAllocateUserMemory(space, KT_TB_VA, PAGE_SIZE, PAGE_READWRITE),
                STATUS_SUCCESS);
    KT_CHECK_EQ(MmWriteProcessMemory(space, KT_TB_VA, &value, sizeof(value)), STATUS_SUCCESS);
    reader->Processor = KeNumberProcessors - 1;
    if (!NT_SUCCESS(PsCreateSystemThreadEx(process, KtTbReader, reader, NORMAL_BASE_PRIORITY,
                                           NULL, &thread)))
        KtFail(__FILE__, __LINE__, "the reader thread to start");
    // Wait (by progress) until the reader has read the page.
    seen = KeTickCount;
    while (thread && __atomic_load_n(&reader->Stage, __ATOMIC_ACQUIRE) != 1 &&
           KeTickCount - seen < (ULONG64)KT_SMP_STALL_MS * 64 / 1000)
        KtSleepTicks(1);
    KT_CHECK_EQ(reader->Stage, 1);
    oldIrql = MiLockAddressSpaces();
    MiDecommitPages(space, KT_TB_VA, KT_TB_VA + PAGE_SIZE);
    MiUnlockAddressSpaces(oldIrql);
    __atomic_store_n(&reader->Stage, 2, __ATOMIC_RELEASE);
    if (thread && !KtSmpJoinThreads(&thread, 1, &reader->Reads, &reader->Stop))
        return;         // the process and the state stay with the reader
    KT_CHECK_EQ(reader->RanOn, reader->Processor);
    KT_CHECK_EQ(reader->FirstValue, KT_TB_VALUE);
    KT_CHECK_EQ(reader->StaleReads, 0);
    KT_CHECK_EQ(reader->Faulted, 1);
    ObDereferenceObject(process);
    ExFreePoolWithTag(reader, KT_SMP_TAG);
}
