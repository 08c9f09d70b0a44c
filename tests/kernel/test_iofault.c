// Faults in driver code under a recovery frame (kernel/ke/recover.c): the
// frame's rules with routines of the test itself, then the driver
// tldrfault.sys faulting in its DriverEntry (the load fails with
// STATUS_ACCESS_VIOLATION and leaves no module, driver, device, link or
// pool) and in its DriverUnload (the driver goes all the same).

#include "tests/kernel/ktest.h"
#include "tests/kernel/ktldr.h"
#include "io/io.h"
#include "mm/sysload.h"
#include "ob/ob.h"

#define KT_TLDRFAULT_TAG POOL_TAG('T', 'l', 'd', 'F')

static volatile ULONG *volatile KtFaultPointer = (volatile ULONG *)0x18;

static NTSTATUS __attribute__((noinline)) KtFaultingRoutine(void *argument1, void *argument2)
{
    *KtFaultPointer = (ULONG)(ULONG_PTR)argument1;
    return STATUS_SUCCESS;
}

static NTSTATUS __attribute__((noinline)) KtFaultingAtDispatch(void *argument1, void *argument2)
{
    KIRQL oldIrql;

    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    *KtFaultPointer = 1;
    KeLowerIrql(oldIrql);
    return STATUS_SUCCESS;
}

static NTSTATUS KtAllocatingRoutine(void *argument1, void *argument2)
{
    *(void **)argument1 = ExAllocatePoolWithTag(NonPagedPool, 32, KT_TLDRFAULT_TAG);
    return STATUS_SUCCESS;
}

static ULONG KtTagCount(ULONG tag)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(tag, &allocations, &bytes);
    return allocations;
}

static BOOLEAN KtNameExists(const WCHAR *path, OBJECT_TYPE *type)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    void *object;

    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_OPENLINK, NULL,
                               NULL);
    if (!NT_SUCCESS(ObReferenceObjectByName(&attributes, type, &object)))
        return FALSE;
    ObDereferenceObject(object);
    return TRUE;
}

KTEST(RecoveryFrameReturnsTheFaultsCode)
{
    KRECOVERY_FRAME frame;
    NTSTATUS status;

    status = KeCallWithRecovery(&frame, (ULONG_PTR)KtFaultingRoutine, 0x100, KtFaultingRoutine,
                                (void *)7, NULL);
    KT_EXPECT_EQ(status, STATUS_ACCESS_VIOLATION);
    KT_EXPECT_EQ(frame.FaultingAddress, 0x18);
    KT_EXPECT(frame.ExceptionAddress >= (ULONG64)KtFaultingRoutine &&
              frame.ExceptionAddress < (ULONG64)KtFaultingRoutine + 0x100);
    KT_EXPECT(KeGetCurrentThread()->RecoveryFrame == NULL);
    KT_EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    // And again: the frame leaves nothing behind that a second call trips on.
    status = KeCallWithRecovery(&frame, (ULONG_PTR)KtFaultingRoutine, 0x100, KtFaultingRoutine,
                                NULL, NULL);
    KT_EXPECT_EQ(status, STATUS_ACCESS_VIOLATION);
}

KTEST(RecoveryFrameRecordsOnlyLivePoolOfItsCode)
{
    KRECOVERY_FRAME frame;
    ULONG before = KtTagCount(KT_TLDRFAULT_TAG);
    void *block = NULL;

    KT_EXPECT_EQ(KeCallWithRecovery(&frame, (ULONG_PTR)KtAllocatingRoutine, 0x100,
                                    KtAllocatingRoutine, &block, NULL), STATUS_SUCCESS);
    KT_EXPECT(block != NULL);
    KT_EXPECT_EQ(frame.PoolCount, 1);
    KT_EXPECT(frame.Pool[0] == block);
    KeFreeRecoveredPool(&frame);
    KT_EXPECT_EQ(KtTagCount(KT_TLDRFAULT_TAG), before);
    // Code outside the range is not the guarded code's.
    KT_EXPECT_EQ(KeCallWithRecovery(&frame, (ULONG_PTR)KtFaultingRoutine, 0x10,
                                    KtAllocatingRoutine, &block, NULL), STATUS_SUCCESS);
    KT_EXPECT_EQ(frame.PoolCount, 0);
    ExFreePoolWithTag(block, KT_TLDRFAULT_TAG);
}

// Outside the frame's range, or inside it holding the processor at
// DISPATCH_LEVEL, a fault still stops the system.
KTEST(FaultsOutsideARecoveryFrameStillBugcheck)
{
    KJUMP_BUFFER resume;
    KRECOVERY_FRAME frame;

    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(PAGE_FAULT_IN_NONPAGED_AREA, &resume);
        KeCallWithRecovery(&frame, (ULONG_PTR)KtAllocatingRoutine, 0x10, KtFaultingRoutine,
                           NULL, NULL);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a fault outside the frame's code was recovered");
    }
    KeGetCurrentThread()->RecoveryFrame = NULL;     // the bugcheck's jump left it set
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], 0x18);
    if (KiSetJump(&resume) == 0) {
        KiExpectBugCheck(IRQL_NOT_LESS_OR_EQUAL, &resume);
        KeCallWithRecovery(&frame, (ULONG_PTR)KtFaultingAtDispatch, 0x100,
                           KtFaultingAtDispatch, NULL, NULL);
        KiClearExpectedBugCheck();
        KtFail(__FILE__, __LINE__, "a fault at DISPATCH_LEVEL was recovered");
    }
    KeGetCurrentThread()->RecoveryFrame = NULL;
    KT_EXPECT_EQ(KiBugCheckData.Parameter[0], 0x18);
    KT_EXPECT_EQ(KiBugCheckData.Parameter[1], DISPATCH_LEVEL);
}

KTEST(DriverEntryThatFaultsLeavesNothingLoaded)
{
    ULONG modules = KtTagCount(MI_LOADED_MODULE_TAG);
    ULONG64 pages = MiSystemImagePagesInUse();
    ULONG devices = IoDeviceObjectType->TotalNumberOfObjects;
    ULONG drivers = IoDriverObjectType->TotalNumberOfObjects;
    ULONG links = ObpSymbolicLinkObjectType->TotalNumberOfObjects;

    for (ULONG round = 0; round < 2; round++) {
        KT_EXPECT_EQ(IopLoadDriver("tldrfault"), STATUS_ACCESS_VIOLATION);
        KT_EXPECT(!KtNameExists(u"\\Driver\\tldrfault", IoDriverObjectType));
        KT_EXPECT(!KtNameExists(u"\\Device\\TldrFault", IoDeviceObjectType));
        KT_EXPECT(!KtNameExists(u"\\??\\TldrFault", ObpSymbolicLinkObjectType));
        KT_EXPECT(KtFindLoadedModule("tldrfault.sys") == NULL);
        KT_EXPECT_EQ(KtTagCount(KT_TLDRFAULT_TAG), 0);
        KT_EXPECT_EQ(KtTagCount(MI_LOADED_MODULE_TAG), modules);
        KT_EXPECT_EQ(MiSystemImagePagesInUse(), pages);
        KT_EXPECT_EQ(IoDeviceObjectType->TotalNumberOfObjects, devices);
        KT_EXPECT_EQ(IoDriverObjectType->TotalNumberOfObjects, drivers);
        KT_EXPECT_EQ(ObpSymbolicLinkObjectType->TotalNumberOfObjects, links);
        KT_EXPECT(KeGetCurrentThread()->RecoveryFrame == NULL);
    }
}

KTEST(DriverUnloadThatFaultsStillUnloads)
{
    ULONG modules = KtTagCount(MI_LOADED_MODULE_TAG);
    ULONG64 pages = MiSystemImagePagesInUse();
    ULONG devices = IoDeviceObjectType->TotalNumberOfObjects;

    KT_EXPECT_EQ(IopLoadDriver("tldrfaultu"), STATUS_SUCCESS);
    KT_EXPECT(KtNameExists(u"\\Device\\TldrFault", IoDeviceObjectType));
    KT_EXPECT(KtNameExists(u"\\??\\TldrFault", ObpSymbolicLinkObjectType));
    KT_EXPECT(KtFindLoadedModule("tldrfault.sys") != NULL);
    KT_EXPECT_EQ(IopUnloadDriverByName("tldrfaultu"), STATUS_SUCCESS);
    KT_EXPECT(!KtNameExists(u"\\Driver\\tldrfaultu", IoDriverObjectType));
    KT_EXPECT(!KtNameExists(u"\\Device\\TldrFault", IoDeviceObjectType));
    KT_EXPECT(!KtNameExists(u"\\??\\TldrFault", ObpSymbolicLinkObjectType));
    KT_EXPECT(KtFindLoadedModule("tldrfault.sys") == NULL);
    KT_EXPECT_EQ(KtTagCount(KT_TLDRFAULT_TAG), 0);
    KT_EXPECT_EQ(KtTagCount(MI_LOADED_MODULE_TAG), modules);
    KT_EXPECT_EQ(MiSystemImagePagesInUse(), pages);
    KT_EXPECT_EQ(IoDeviceObjectType->TotalNumberOfObjects, devices);
}
