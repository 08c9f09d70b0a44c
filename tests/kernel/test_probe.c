// In-kernel tests of probing user pointers: what a system service is told
// about a range before it touches it, checked from a thread that runs in
// the address space of a process with one read-only and one writable page.

#include "tests/kernel/ktest.h"
#include "tests/kernel/test_dispatcher.h"
#include "ps/ps.h"
#include "mm/mm.h"

#define KT_READONLY_PAGE 0x600000ULL
#define KT_WRITABLE_PAGE 0x601000ULL

typedef struct _KT_PROBE_RESULTS {
    NTSTATUS WriteReadOnly, WriteWritable, ReadWritable, ReadUnmapped, ReadKernel;
    NTSTATUS Misaligned, Wrapping, CopyToReadOnly, CopyToWritable;
} KT_PROBE_RESULTS;

static void KtProbeInProcess(void *context)
{
    KT_PROBE_RESULTS *results = context;
    ULONG64 value = 42;

    results->WriteReadOnly = ProbeForWrite((void *)KT_READONLY_PAGE, 8, 8);
    results->WriteWritable = ProbeForWrite((void *)KT_WRITABLE_PAGE, PAGE_SIZE, 8);
    results->ReadWritable = MmCopyFromUser(&value, (void *)KT_WRITABLE_PAGE, sizeof(value));
    results->ReadUnmapped = MmCopyFromUser(&value, (void *)(KT_WRITABLE_PAGE + PAGE_SIZE),
                                           sizeof(value));
    results->ReadKernel = MmCopyFromUser(&value, &results, sizeof(value));
    results->Misaligned = ProbeForRead((void *)(KT_WRITABLE_PAGE + 1), 8, 8);
    results->Wrapping = ProbeForRead((void *)KT_WRITABLE_PAGE, ~0ULL - PAGE_SIZE, 1);
    results->CopyToReadOnly = MmCopyToUser((void *)KT_READONLY_PAGE, &value, sizeof(value));
    results->CopyToWritable = MmCopyToUser((void *)KT_WRITABLE_PAGE, &value, sizeof(value));
}

KTEST(ProbesRefuseKernelMissingReadOnlyAndMisalignedUserRanges)
{
    KT_PROBE_RESULTS results;
    EPROCESS *process = NULL;
    ETHREAD *thread = NULL;

    memset(&results, 0xFF, sizeof(results));
    KT_EXPECT_EQ(PspCreateProcess("KtProbe", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process), STATUS_SUCCESS);
    MmAllocateUserMemory(process->Pcb.DirectoryTableBase, KT_READONLY_PAGE, PAGE_SIZE,
                         PAGE_READONLY);
    MmAllocateUserMemory(process->Pcb.DirectoryTableBase, KT_WRITABLE_PAGE, PAGE_SIZE,
                         PAGE_READWRITE);
    PsCreateSystemThreadEx(process, KtProbeInProcess, &results, 0, NULL, &thread);
    if (thread)
        KtJoinThread(thread);
    ObDereferenceObject(process);

    KT_EXPECT(thread != NULL);
    KT_EXPECT_EQ(results.WriteReadOnly, STATUS_ACCESS_VIOLATION);
    KT_EXPECT_EQ(results.WriteWritable, STATUS_SUCCESS);
    KT_EXPECT_EQ(results.ReadWritable, STATUS_SUCCESS);
    KT_EXPECT_EQ(results.ReadUnmapped, STATUS_ACCESS_VIOLATION);
    KT_EXPECT_EQ(results.ReadKernel, STATUS_ACCESS_VIOLATION);
    KT_EXPECT_EQ(results.Misaligned, STATUS_DATATYPE_MISALIGNMENT);
    KT_EXPECT_EQ(results.Wrapping, STATUS_ACCESS_VIOLATION);
    KT_EXPECT_EQ(results.CopyToReadOnly, STATUS_ACCESS_VIOLATION);
    KT_EXPECT_EQ(results.CopyToWritable, STATUS_SUCCESS);
}
