// NtQuerySystemInformation: SystemBasicInformation (the machine) and
// SystemProcessInformation (every process and its threads, in NT's packed
// layout). NtSetSystemInformation: SystemSessionCreate.
//
// The process list changes while it is read: processes come and go, and
// threads with them. The snapshot is therefore taken in kernel memory with
// the list held still (the active-process lock, then the dispatcher lock
// for the thread lists), sized first, then filled in one pass, and only then
// copied to the caller. When the list grew between sizing and filling, it is
// sized again.

#include "ex/ex.h"
#include "mm/mm.h"
#include "se/se.h"

#define EXP_SYSTEM_INFORMATION_TAG POOL_TAG('E', 'x', 'S', 'i')
#define EXP_ALLOCATION_GRANULARITY 0x10000      // NT's 64 KB

static NTSTATUS ExpQueryBasicInformation(SYSTEM_BASIC_INFORMATION *basic)
{
    MM_STATISTICS statistics;

    MmQueryStatistics(&statistics);
    memset(basic, 0, sizeof(*basic));
    basic->TimerResolution = KeMaximumIncrement;
    basic->PageSize = PAGE_SIZE;
    basic->NumberOfPhysicalPages = (ULONG)statistics.TotalRamPages;
    basic->LowestPhysicalPageNumber = 1;        // page 0 is never handed out
    basic->HighestPhysicalPageNumber = (ULONG)statistics.HighestPhysicalPage;
    basic->AllocationGranularity = EXP_ALLOCATION_GRANULARITY;
    basic->MinimumUserModeAddress = MM_LOWEST_USER_ADDRESS;
    basic->MaximumUserModeAddress = MM_HIGHEST_USER_ADDRESS;
    basic->ActiveProcessorsAffinityMask = KeQueryActiveProcessors();
    basic->NumberOfProcessors = (CHAR)KeNumberProcessors;
    return STATUS_SUCCESS;
}

// The image name as NT gives it: UTF-16 with a terminator; the Idle process
// has none at all (an empty string with no buffer).
static ULONG ExpImageNameBytes(const EPROCESS *process)
{
    if (process == PsIdleProcess)
        return 0;
    return (ULONG)(strlen(process->ImageFileName) + 1) * sizeof(WCHAR);
}

static ULONG ExpThreadCount(const EPROCESS *process)
{
    ULONG count = 0;

    for (LIST_ENTRY *entry = process->ThreadListHead.Flink; entry != &process->ThreadListHead;
         entry = entry->Flink)
        count++;
    return count;
}

// One process's entry: the record, its threads, its name, 8-byte aligned.
static ULONG ExpProcessEntrySize(const EPROCESS *process)
{
    return (ULONG)ALIGN_UP_BY(sizeof(SYSTEM_PROCESS_INFORMATION) +
                              ExpThreadCount(process) * sizeof(SYSTEM_THREAD_INFORMATION) +
                              ExpImageNameBytes(process), sizeof(ULONG64));
}

// Caller holds the list locks.
static ULONG ExpProcessListSize(void)
{
    ULONG size = 0;

    for (LIST_ENTRY *entry = PsActiveProcessHead.Flink; entry != &PsActiveProcessHead;
         entry = entry->Flink)
        size += ExpProcessEntrySize(CONTAINING_RECORD(entry, EPROCESS, ActiveProcessLinks));
    return size;
}

static LONG64 ExpTicksToTime(ULONG64 ticks)
{
    return (LONG64)(ticks * KeMaximumIncrement);
}

static void ExpFillThread(SYSTEM_THREAD_INFORMATION *information, const ETHREAD *thread)
{
    information->KernelTime.QuadPart = ExpTicksToTime(thread->Tcb.KernelTime);
    information->UserTime.QuadPart = ExpTicksToTime(thread->Tcb.UserTime);
    information->CreateTime = thread->CreateTime;
    information->WaitTime = (ULONG)thread->Tcb.WaitTime;
    information->StartAddress = thread->Win32StartAddress;
    information->ClientId = thread->Cid;
    information->Priority = thread->Tcb.Priority;
    information->BasePriority = thread->Tcb.BasePriority;
    information->ContextSwitches = thread->Tcb.ContextSwitches;
    information->ThreadState = thread->Tcb.State;
    information->WaitReason = thread->Tcb.WaitReason;
}

// Fills one entry at `buffer` (offset `offset` in the caller's buffer, which
// user mode sees at userBase). Returns its size. Caller holds the list locks.
static ULONG ExpFillProcess(UCHAR *buffer, ULONG offset, UCHAR *userBase,
                            const EPROCESS *process)
{
    SYSTEM_PROCESS_INFORMATION *information = (SYSTEM_PROCESS_INFORMATION *)(buffer + offset);
    SYSTEM_THREAD_INFORMATION *threads = (SYSTEM_THREAD_INFORMATION *)(information + 1);
    ULONG nameBytes = ExpImageNameBytes(process);
    WCHAR *name;
    ULONG count = 0;

    for (LIST_ENTRY *entry = process->ThreadListHead.Flink; entry != &process->ThreadListHead;
         entry = entry->Flink) {
        const ETHREAD *thread = CONTAINING_RECORD(entry, ETHREAD, ThreadListEntry);

        ExpFillThread(&threads[count++], thread);
    }
    information->NumberOfThreads = count;
    information->NumberOfThreadsHighWatermark = count;
    information->CreateTime = process->CreateTime;
    // The process's own counts: its ended threads' time included, as NT's.
    information->KernelTime.QuadPart = ExpTicksToTime(process->Pcb.KernelTime);
    information->UserTime.QuadPart = ExpTicksToTime(process->Pcb.UserTime);
    information->BasePriority = process->Pcb.BasePriority;
    information->UniqueProcessId = process->UniqueProcessId;
    information->InheritedFromUniqueProcessId = process->InheritedFromUniqueProcessId;
    information->HandleCount = ObGetProcessHandleCount((EPROCESS *)process);
    information->SessionId = process->SessionId;
    // Its pool quota (ps/quota.c): what its objects cost now and at most.
    if (process->QuotaBlock) {
        const EPROCESS_QUOTA_ENTRY *entry = process->QuotaBlock->QuotaEntry;

        information->QuotaPagedPoolUsage = entry[PsPagedPool].Usage;
        information->QuotaPeakPagedPoolUsage = entry[PsPagedPool].Peak;
        information->QuotaNonPagedPoolUsage = entry[PsNonPagedPool].Usage;
        information->QuotaPeakNonPagedPoolUsage = entry[PsNonPagedPool].Peak;
    }
    information->UniqueProcessKey = (ULONG_PTR)process->UniqueProcessId;

    // The name follows the threads; its Buffer is where the caller will
    // find it, in its own buffer.
    name = (WCHAR *)(threads + count);
    if (nameBytes) {
        ULONG characters = nameBytes / sizeof(WCHAR) - 1;

        for (ULONG i = 0; i < characters; i++)
            name[i] = (UCHAR)process->ImageFileName[i];
        name[characters] = 0;
        information->ImageName.Length = (USHORT)(characters * sizeof(WCHAR));
        information->ImageName.MaximumLength = (USHORT)nameBytes;
        information->ImageName.Buffer = (WCHAR *)(userBase + ((UCHAR *)name - buffer));
    }
    return ExpProcessEntrySize(process);
}

// Sizes (and, given a buffer of `capacity` bytes, fills) the process list
// under the locks. Returns the size the list needs now.
static ULONG ExpSnapshotProcessList(UCHAR *buffer, ULONG capacity, UCHAR *userBase)
{
    KIRQL oldIrql;
    ULONG size;

    KeAcquireSpinLock(&PspActiveProcessLock, &oldIrql);
    KiAcquireDispatcherLockAtDpcLevel();
    size = ExpProcessListSize();
    if (buffer && size <= capacity) {
        SYSTEM_PROCESS_INFORMATION *previous = NULL;
        ULONG offset = 0;

        memset(buffer, 0, size);
        for (LIST_ENTRY *entry = PsActiveProcessHead.Flink; entry != &PsActiveProcessHead;
             entry = entry->Flink) {
            ULONG entrySize = ExpFillProcess(buffer, offset, userBase,
                                             CONTAINING_RECORD(entry, EPROCESS,
                                                               ActiveProcessLinks));

            if (previous)
                previous->NextEntryOffset = (ULONG)((UCHAR *)(buffer + offset) -
                                                    (UCHAR *)previous);
            previous = (SYSTEM_PROCESS_INFORMATION *)(buffer + offset);
            offset += entrySize;
        }
    }
    KiReleaseDispatcherLockFromDpcLevel();
    KeReleaseSpinLock(&PspActiveProcessLock, oldIrql);
    return size;
}

// Copies the snapshot to the caller; STATUS_INFO_LENGTH_MISMATCH with the
// size it needs in *needed when its buffer is too small.
static NTSTATUS ExpQueryProcessInformation(void *information, ULONG informationLength,
                                           ULONG *needed)
{
    ULONG size = ExpSnapshotProcessList(NULL, 0, NULL);

    for (;;) {
        UCHAR *buffer;
        ULONG filled;
        NTSTATUS status;

        *needed = size;
        if (size > informationLength)
            return STATUS_INFO_LENGTH_MISMATCH;
        buffer = ExAllocatePoolWithTag(NonPagedPool, size, EXP_SYSTEM_INFORMATION_TAG);
        if (!buffer)
            return STATUS_INSUFFICIENT_RESOURCES;
        filled = ExpSnapshotProcessList(buffer, size, information);
        if (filled > size) {
            // The list grew between sizing and filling: size it again.
            ExFreePoolWithTag(buffer, EXP_SYSTEM_INFORMATION_TAG);
            size = filled;
            continue;
        }
        *needed = filled;
        status = MmCopyToUser(information, buffer, filled);
        ExFreePoolWithTag(buffer, EXP_SYSTEM_INFORMATION_TAG);
        return status;
    }
}

// NT's order: probe the buffer and ReturnLength, then the class and the
// length. ReturnLength receives the size written, or the size needed with
// STATUS_INFO_LENGTH_MISMATCH.
NTSTATUS NtQuerySystemInformation(SYSTEM_INFORMATION_CLASS informationClass,
                                  void *information, ULONG informationLength,
                                  ULONG *returnLength)
{
    NTSTATUS status = ProbeForWrite(information, informationLength, sizeof(ULONG));
    SYSTEM_BASIC_INFORMATION basic;
    ULONG length;

    if (NT_SUCCESS(status) && returnLength)
        status = ProbeForWrite(returnLength, sizeof(*returnLength), sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    switch (informationClass) {
    case SystemBasicInformation:
        length = sizeof(basic);
        if (informationLength != sizeof(basic)) {
            status = STATUS_INFO_LENGTH_MISMATCH;
            break;
        }
        status = ExpQueryBasicInformation(&basic);
        if (NT_SUCCESS(status))
            status = MmCopyToUser(information, &basic, sizeof(basic));
        break;
    case SystemProcessInformation:
        status = ExpQueryProcessInformation(information, informationLength, &length);
        break;
    default:
        return STATUS_INVALID_INFO_CLASS;
    }
    if ((NT_SUCCESS(status) || status == STATUS_INFO_LENGTH_MISMATCH) && returnLength) {
        NTSTATUS copyStatus = MmCopyToUser(returnLength, &length, sizeof(length));

        if (!NT_SUCCESS(copyStatus))
            status = copyStatus;
    }
    return status;
}

// SystemSessionCreate: the calling process leaves its session for a new one
// (MmSessionCreate), whose id goes back in the ULONG buffer; what it then
// creates is in that session. Its primary token follows it there (the
// token's SessionId is its process's). NT's smss does this once per logon.
NTSTATUS NtSetSystemInformation(SYSTEM_INFORMATION_CLASS informationClass, void *information,
                                ULONG informationLength)
{
    NTSTATUS status;
    ULONG sessionId;

    if (informationClass != SystemSessionCreate)
        return STATUS_INVALID_INFO_CLASS;
    if (informationLength != sizeof(ULONG))
        return STATUS_INFO_LENGTH_MISMATCH;
    status = ProbeForWrite(information, sizeof(ULONG), sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    if (!SeSinglePrivilegeCheck(SE_TCB_PRIVILEGE))
        return STATUS_PRIVILEGE_NOT_HELD;
    status = MmSessionCreate(PsGetCurrentProcess(), &sessionId);
    if (NT_SUCCESS(status))
        SeSetProcessTokenSessionId(PsGetCurrentProcess());
    if (NT_SUCCESS(status))
        status = MmCopyToUser(information, &sessionId, sizeof(sessionId));
    return status;
}
