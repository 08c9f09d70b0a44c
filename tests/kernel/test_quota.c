// Pool quota and device maps: an object is charged to the process that
// inserts it (its first handle, as NT charges) and exactly that comes back
// when it is freed, even after that process is gone; an object nobody
// inserted is nobody's to pay for; a limit reached is STATUS_QUOTA_EXCEEDED
// with nothing charged; every process shares its parent's DEVICE_MAP, which
// names \??; !process shows both as WinDbg does.

#include "tests/kernel/ktest.h"
#include "tests/kernel/ktkd.h"
#include "tests/kernel/ktuser.h"
#include "tests/kernel/test_dispatcher.h"
#include "ps/ps.h"
#include "ex/ex.h"

#define KT_EVENT_CHARGE (FIELD_OFFSET(OBJECT_HEADER, Body) + sizeof(KEVENT))

typedef struct _KT_QUOTA_PROBE {
    NTSTATUS Status;
    SIZE_T Before;              // the process's nonpaged usage before the object
    SIZE_T Charged;             // with the object
    SIZE_T After;               // once it is freed (Keep: not freed)
    BOOLEAN Keep;               // hand the object to the test instead
    void *Event;
} KT_QUOTA_PROBE;

static SIZE_T KtNonPagedUsage(EPROCESS *process)
{
    return process->QuotaBlock->QuotaEntry[PsNonPagedPool].Usage;
}

// Runs in the test's process: makes an event object there and inserts it
// (a handle in that process), then closes the handle and (unless Keep)
// drops the object.
static void KtMakeEventInProcess(void *context)
{
    KT_QUOTA_PROBE *probe = context;
    EPROCESS *process = PsGetCurrentProcess();
    HANDLE handle = NULL;
    void *event = NULL;
    SIZE_T created;

    probe->Before = KtNonPagedUsage(process);
    probe->Status = ObCreateObject(ExEventObjectType, sizeof(KEVENT), &event);
    if (!NT_SUCCESS(probe->Status))
        return;
    KeInitializeEvent(event, NotificationEvent, FALSE);
    created = KtNonPagedUsage(process);
    probe->Status = ObInsertObject(event, NULL, EVENT_ALL_ACCESS, &probe->Event, &handle);
    probe->Charged = KtNonPagedUsage(process);
    if (created != probe->Before)
        probe->Status = STATUS_UNSUCCESSFUL;    // charged before it was inserted
    if (!NT_SUCCESS(probe->Status))
        return;
    ObCloseHandle(handle);
    if (!probe->Keep) {
        ObDereferenceObject(probe->Event);
        probe->Event = NULL;
    }
    probe->After = KtNonPagedUsage(process);
}

static BOOLEAN KtRunInProcess(EPROCESS *process, KT_QUOTA_PROBE *probe)
{
    ETHREAD *thread = NULL;

    if (!NT_SUCCESS(PsCreateSystemThreadEx(process, KtMakeEventInProcess, probe, 8, NULL,
                                           &thread)))
        return FALSE;
    return KtJoinThread(thread);
}

KTEST(ObjectQuotaIsChargedToItsCreatorAndReturnedExactlyAtFree)
{
    KT_QUOTA_PROBE probe = { 0 };
    EPROCESS *process = NULL;

    KT_EXPECT_EQ(PspCreateProcess("KtQuota", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process), STATUS_SUCCESS);
    KT_CHECK(process->QuotaBlock != NULL);
    KT_CHECK_EQ(process->QuotaBlock->QuotaEntry[PsNonPagedPool].Limit, PS_QUOTA_UNLIMITED);
    KT_CHECK(KtRunInProcess(process, &probe));
    KT_CHECK_EQ(probe.Status, STATUS_SUCCESS);
    KT_CHECK_EQ(probe.Charged, probe.Before + KT_EVENT_CHARGE);
    KT_CHECK_EQ(probe.After, probe.Before);
    KT_CHECK(process->QuotaBlock->QuotaEntry[PsNonPagedPool].Peak >= probe.Charged);
    KT_CHECK_EQ(process->QuotaBlock->QuotaEntry[PsPagedPool].Usage, 0);
    KT_CHECK_EQ(process->QuotaBlock->ReferenceCount, 1);
    ObDereferenceObject(process);
}

// The object keeps the block it was charged to: its creator can go first.
KTEST(ObjectQuotaReturnsToTheBlockAfterItsCreatorIsGone)
{
    KT_QUOTA_PROBE probe = { .Keep = TRUE };
    EPROCESS *process = NULL;
    EPROCESS_QUOTA_BLOCK *block;
    OBJECT_HEADER *header;

    KT_EXPECT_EQ(PspCreateProcess("KtQuota", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process), STATUS_SUCCESS);
    block = process->QuotaBlock;
    KT_CHECK(KtRunInProcess(process, &probe));
    KT_EXPECT_EQ(probe.Status, STATUS_SUCCESS);
    header = OBJECT_TO_OBJECT_HEADER(probe.Event);
    KT_CHECK(header->QuotaBlockCharged == block);
    KT_CHECK_EQ(header->NonPagedPoolCharge, KT_EVENT_CHARGE);
    KT_CHECK_EQ(header->PagedPoolCharge, 0);
    KT_CHECK_EQ(block->ReferenceCount, 2);
    ObDereferenceObject(process);               // the process is deleted
    // ...once the thread that ran in it is gone too: on another processor
    // the reaper may still be dropping it.
    for (ULONG i = 0; i < 64 && block->ReferenceCount != 1; i++)
        KtSleepTicks(1);
    KT_CHECK_EQ(block->ReferenceCount, 1);
    KT_CHECK_EQ(block->QuotaEntry[PsNonPagedPool].Usage, probe.Before + KT_EVENT_CHARGE);
    ObDereferenceObject(probe.Event);           // the block goes with it
}

KTEST(ObjectCreationPastTheQuotaLimitIsQuotaExceeded)
{
    KT_QUOTA_PROBE probe = { 0 };
    EPROCESS *process = NULL, *other = NULL;
    SIZE_T usage;

    KT_EXPECT_EQ(PspCreateProcess("KtQuota", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process), STATUS_SUCCESS);
    usage = KtNonPagedUsage(process);
    // One byte short of an event: refused, and nothing charged.
    PsSetProcessPoolQuotaLimit(process, NonPagedPool, usage + KT_EVENT_CHARGE - 1);
    KT_CHECK(KtRunInProcess(process, &probe));
    KT_CHECK_EQ(probe.Status, STATUS_QUOTA_EXCEEDED);
    KT_CHECK_EQ(probe.Charged, probe.Before);
    KT_CHECK_EQ(PsChargeProcessPoolQuota(process, NonPagedPool, KT_EVENT_CHARGE),
                STATUS_QUOTA_EXCEEDED);
    KT_CHECK(PsChargeSharedPoolQuota(process, 0, KT_EVENT_CHARGE) == NULL);
    KT_CHECK_EQ(process->QuotaBlock->ReferenceCount, 1);
    KT_CHECK_EQ(KtNonPagedUsage(process), usage);
    // Exactly enough: made (in another process: this one has ended).
    KT_CHECK_EQ(PspCreateProcess("KtQuota", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                 &other), STATUS_SUCCESS);
    if (other) {
        PsSetProcessPoolQuotaLimit(other, NonPagedPool, KtNonPagedUsage(other) +
                                                            KT_EVENT_CHARGE);
        KT_CHECK(KtRunInProcess(other, &probe));
        KT_CHECK_EQ(probe.Status, STATUS_SUCCESS);
        KT_CHECK_EQ(probe.Charged, probe.Before + KT_EVENT_CHARGE);
        KT_CHECK_EQ(probe.After, probe.Before);
        ObDereferenceObject(other);
    }
    // The other pool type has its own limit.
    PsSetProcessPoolQuotaLimit(process, PagedPool, 10);
    KT_CHECK_EQ(PsChargeProcessPoolQuota(process, PagedPool, 10), STATUS_SUCCESS);
    KT_CHECK_EQ(PsChargeProcessPoolQuota(process, PagedPool, 1), STATUS_QUOTA_EXCEEDED);
    PsReturnProcessPoolQuota(process, PagedPool, 10);
    KT_CHECK_EQ(process->QuotaBlock->QuotaEntry[PsPagedPool].Usage, 0);
    KT_CHECK_EQ(process->QuotaBlock->QuotaEntry[PsPagedPool].Peak, 10);
    ObDereferenceObject(process);
}

// A child gets its parent's limits (in a block of its own) and device map.
KTEST(ChildInheritsQuotaLimitsAndDeviceMap)
{
    EPROCESS *parent = NULL, *child = NULL;
    ULONG references;

    KT_EXPECT_EQ(PspCreateProcess("KtQuota", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &parent), STATUS_SUCCESS);
    KT_CHECK(parent->DeviceMap != NULL && parent->DeviceMap == ObSystemDeviceMap);
    KT_CHECK(PsInitialSystemProcess->DeviceMap == ObSystemDeviceMap);
    KT_CHECK(ObSystemDeviceMap->DosDevicesDirectory != NULL);
    PsSetProcessPoolQuotaLimit(parent, NonPagedPool, 123456);
    references = ObSystemDeviceMap->ReferenceCount;
    KT_CHECK_EQ(PspCreateProcess("KtQuotaChild", parent, NORMAL_BASE_PRIORITY, &child),
                STATUS_SUCCESS);
    if (child) {
        KT_CHECK(child->QuotaBlock != parent->QuotaBlock);
        KT_CHECK_EQ(child->QuotaBlock->QuotaEntry[PsNonPagedPool].Limit, 123456);
        KT_CHECK_EQ(child->QuotaBlock->QuotaEntry[PsPagedPool].Limit, PS_QUOTA_UNLIMITED);
        KT_CHECK(child->DeviceMap == parent->DeviceMap);
        KT_CHECK_EQ(ObSystemDeviceMap->ReferenceCount, references + 1);
        ObDereferenceObject(child);
        KT_CHECK_EQ(ObSystemDeviceMap->ReferenceCount, references);
    }
    ObDereferenceObject(parent);
    KT_CHECK_EQ(ObSystemDeviceMap->ReferenceCount, references - 1);
}

// !process ADDR 1: DeviceMap after VadRoot, QuotaPoolUsage after
// KernelTime, with the kernel's numbers; dt shows the map.
KTEST(KdProcessShowsDeviceMapAndQuotaPoolUsage)
{
    KT_QUOTA_PROBE probe = { .Keep = TRUE };
    EPROCESS *process = NULL;
    const char *vadRoot, *deviceMap, *token, *kernelTime, *paged, *nonPaged, *virtualSize;

    KT_EXPECT_EQ(PspCreateProcess("KtQuota", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process), STATUS_SUCCESS);
    KT_CHECK(KtRunInProcess(process, &probe));
    KtKdRunf("!process %llx 1", KT_KD_ADDRESS(process));
    vadRoot = KtKdExpect("    VadRoot ");
    deviceMap = KtKdExpect("\n    %-34s%016llx\n", "DeviceMap", KT_KD_ADDRESS(ObSystemDeviceMap));
    token = KtKdExpect("\n    Token ");
    kernelTime = KtKdExpect("\n    KernelTime ");
    paged = KtKdExpect("\n    %-34s0\n", "QuotaPoolUsage[PagedPool]");
    nonPaged = KtKdExpect("\n    %-34s%llu\n", "QuotaPoolUsage[NonPagedPool]",
                          (unsigned long long)KtNonPagedUsage(process));
    virtualSize = KtKdExpect("\n    VirtualSize ");
    KT_CHECK(vadRoot && deviceMap && token && kernelTime && paged && nonPaged && virtualSize);
    KT_CHECK(vadRoot < deviceMap && deviceMap < token && token < kernelTime &&
             kernelTime < paged && paged < nonPaged && nonPaged < virtualSize);
    KT_CHECK(KtNonPagedUsage(process) >= KT_EVENT_CHARGE);
    KtKdRunf("dt nt!_DEVICE_MAP %llx", KT_KD_ADDRESS(ObSystemDeviceMap));
    KtKdExpect("+0x000 DosDevicesDirectory : 0x%08llx`%08llx",
               KT_KD_ADDRESS(ObSystemDeviceMap->DosDevicesDirectory) >> 32,
               KT_KD_ADDRESS(ObSystemDeviceMap->DosDevicesDirectory) & 0xFFFFFFFF);
    KtKdExpect("ReferenceCount");
    if (probe.Event)
        ObDereferenceObject(probe.Event);
    ObDereferenceObject(process);
}

// tests/user/tquota: the charges and limits as a program sees them.
KTEST(UserPoolQuota)
{
    KtExpectUserTestsPass("tquota");
}
