// Semaphore objects: a KSEMAPHORE with a name and handles.

#include "ex/ex.h"
#include "mm/mm.h"

#define SEMAPHORE_TAG POOL_TAG('S', 'e', 'm', 'a')

OBJECT_TYPE *ExSemaphoreObjectType;

void ExpInitializeSemaphoreImplementation(void)
{
    static const OBJECT_TYPE_INITIALIZER initializer = {
        .PoolTag = SEMAPHORE_TAG,
        .ValidAccessMask = SEMAPHORE_ALL_ACCESS,
        .GenericMapping = {STANDARD_RIGHTS_READ | SEMAPHORE_QUERY_STATE,
                           STANDARD_RIGHTS_WRITE | SEMAPHORE_MODIFY_STATE,
                           STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, SEMAPHORE_ALL_ACCESS},
        .Waitable = TRUE,
    };

    if (!NT_SUCCESS(ObCreateObjectType("Semaphore", &initializer, &ExSemaphoreObjectType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x0E, 2, 0, 0);
}

// A limit of at least 1 and a starting count between 0 and the limit,
// else STATUS_INVALID_PARAMETER, as on NT.
NTSTATUS NtCreateSemaphore(HANDLE *semaphoreHandle, ACCESS_MASK desiredAccess,
                           OBJECT_ATTRIBUTES *objectAttributes, LONG initialCount,
                           LONG maximumCount)
{
    OB_CAPTURED_ATTRIBUTES captured;
    KSEMAPHORE *semaphore;
    NTSTATUS status = ObProbeHandleOut(semaphoreHandle);

    if (!NT_SUCCESS(status))
        return status;
    if (maximumCount <= 0 || initialCount < 0 || initialCount > maximumCount)
        return STATUS_INVALID_PARAMETER;
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (NT_SUCCESS(status))
        status = ObCreateObject(ExSemaphoreObjectType, sizeof(KSEMAPHORE), (void **)&semaphore);
    if (NT_SUCCESS(status)) {
        KeInitializeSemaphore(semaphore, initialCount, maximumCount);
        status = ObInsertObjectForUser(semaphore, &captured, desiredAccess, semaphoreHandle);
    }
    ObReleaseObjectAttributes(&captured);
    return status;
}

NTSTATUS NtOpenSemaphore(HANDLE *semaphoreHandle, ACCESS_MASK desiredAccess,
                         OBJECT_ATTRIBUTES *objectAttributes)
{
    return ObOpenObjectForUser(semaphoreHandle, ExSemaphoreObjectType, desiredAccess,
                               objectAttributes);
}

// Releasing past the limit changes nothing: STATUS_SEMAPHORE_LIMIT_EXCEEDED.
NTSTATUS NtReleaseSemaphore(HANDLE semaphoreHandle, LONG releaseCount, LONG *previousCount)
{
    KSEMAPHORE *semaphore;
    LONG previous = 0;
    NTSTATUS status;

    if (releaseCount <= 0)
        return STATUS_INVALID_PARAMETER;
    status = ExpProbeOptionalOut(previousCount, sizeof(LONG));
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(semaphoreHandle, SEMAPHORE_MODIFY_STATE,
                                       ExSemaphoreObjectType, (void **)&semaphore, NULL);
    if (!NT_SUCCESS(status))
        return status;
    status = KeReleaseSemaphoreEx(semaphore, SEMAPHORE_INCREMENT, releaseCount, &previous);
    ObDereferenceObject(semaphore);
    if (NT_SUCCESS(status) && previousCount)
        status = MmCopyToUser(previousCount, &previous, sizeof(previous));
    return status;
}

NTSTATUS NtQuerySemaphore(HANDLE semaphoreHandle, ULONG semaphoreInformationClass,
                          void *semaphoreInformation, ULONG semaphoreInformationLength,
                          ULONG *returnLength)
{
    SEMAPHORE_BASIC_INFORMATION info;
    KSEMAPHORE *semaphore;
    NTSTATUS status = ExpCheckQueryBuffer(semaphoreInformationClass, semaphoreInformationLength,
                                          sizeof(info), semaphoreInformation, returnLength);

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(semaphoreHandle, SEMAPHORE_QUERY_STATE,
                                       ExSemaphoreObjectType, (void **)&semaphore, NULL);
    if (!NT_SUCCESS(status))
        return status;
    info.CurrentCount = KeReadStateSemaphore(semaphore);
    info.MaximumCount = semaphore->Limit;
    ObDereferenceObject(semaphore);
    return ExpReturnQueryBuffer(semaphoreInformation, &info, sizeof(info), returnLength);
}
