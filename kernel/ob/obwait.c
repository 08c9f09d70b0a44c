// The wait services: a handle's object waited on with the kernel's waits,
// as a user-mode wait (UserRequest) that an APC or an alert may end when
// the caller asks for an alertable one. Timeouts are NT's: NULL waits for
// ever, negative is relative in 100 ns, positive an absolute system time.
//
// Only objects whose type is Waitable (their body starts with a
// DISPATCHER_HEADER) can be waited on; a handle to any other object is
// STATUS_OBJECT_TYPE_MISMATCH (NT waits on such objects' default event
// instead). The handle must grant SYNCHRONIZE.

#include "ob/ob.h"
#include "ex/ex.h"
#include "ps/ps.h"
#include "mm/mm.h"

// Captures an optional timeout; *timeout becomes NULL or `captured`.
static NTSTATUS ObpCaptureTimeout(LARGE_INTEGER **timeout, LARGE_INTEGER *captured)
{
    NTSTATUS status;

    if (!*timeout)
        return STATUS_SUCCESS;
    status = ProbeForRead(*timeout, sizeof(**timeout), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(captured, *timeout, sizeof(*captured));
    *timeout = captured;
    return status;
}

// What a wait on `object` waits on: the object itself, or the dispatcher
// object inside it its type names (OBJECT_TYPE_INITIALIZER.DefaultObjectOffset).
static void *ObpWaitObject(void *object)
{
    return (UCHAR *)object + ObGetObjectType(object)->TypeInfo.DefaultObjectOffset;
}

static NTSTATUS ObpReferenceWaitableObject(HANDLE handle, void **object)
{
    ACCESS_MASK granted;
    NTSTATUS status = ObReferenceObjectByHandle(handle, 0, NULL, object, &granted);

    if (!NT_SUCCESS(status))
        return status;
    if (!ObGetObjectType(*object)->TypeInfo.Waitable)
        status = STATUS_OBJECT_TYPE_MISMATCH;
    else if (!(granted & SYNCHRONIZE))
        status = STATUS_ACCESS_DENIED;
    if (!NT_SUCCESS(status))
        ObDereferenceObject(*object);
    return status;
}

NTSTATUS NtWaitForSingleObject(HANDLE handle, BOOLEAN alertable, LARGE_INTEGER *timeout)
{
    LARGE_INTEGER captured;
    void *object;
    NTSTATUS status = ObpCaptureTimeout(&timeout, &captured);

    if (!NT_SUCCESS(status))
        return status;
    status = ObpReferenceWaitableObject(handle, &object);
    if (!NT_SUCCESS(status))
        return status;
    status = KeWaitForSingleObject(ObpWaitObject(object), UserRequest, UserMode,
                                   alertable != FALSE, timeout);
    ObDereferenceObject(object);
    return status;
}

// Up to MAXIMUM_WAIT_OBJECTS handles. A thread has wait blocks built in for
// THREAD_WAIT_OBJECTS; a longer wait takes its blocks from pool for the
// length of the wait. In a WaitAll, the same object twice is
// STATUS_INVALID_PARAMETER_MIX, as NT checks.
NTSTATUS NtWaitForMultipleObjects(ULONG count, HANDLE handles[], WAIT_TYPE waitType,
                                  BOOLEAN alertable, LARGE_INTEGER *timeout)
{
    HANDLE captured[MAXIMUM_WAIT_OBJECTS];
    void *objects[MAXIMUM_WAIT_OBJECTS];
    void *waitObjects[MAXIMUM_WAIT_OBJECTS];
    KWAIT_BLOCK *waitBlocks = NULL;
    LARGE_INTEGER capturedTimeout;
    ULONG referenced = 0;
    NTSTATUS status;

    if (count == 0 || count > MAXIMUM_WAIT_OBJECTS)
        return STATUS_INVALID_PARAMETER_1;
    if (waitType != WaitAll && waitType != WaitAny)
        return STATUS_INVALID_PARAMETER_3;
    status = ProbeForRead(handles, count * sizeof(HANDLE), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(captured, handles, count * sizeof(HANDLE));
    if (NT_SUCCESS(status))
        status = ObpCaptureTimeout(&timeout, &capturedTimeout);
    if (!NT_SUCCESS(status))
        return status;
    for (; referenced < count; referenced++) {
        status = ObpReferenceWaitableObject(captured[referenced], &objects[referenced]);
        if (!NT_SUCCESS(status))
            goto out;
        waitObjects[referenced] = ObpWaitObject(objects[referenced]);
    }
    if (waitType == WaitAll) {
        for (ULONG i = 0; i < count; i++) {
            for (ULONG j = i + 1; j < count; j++) {
                if (objects[i] == objects[j]) {
                    status = STATUS_INVALID_PARAMETER_MIX;
                    goto out;
                }
            }
        }
    }
    if (count > THREAD_WAIT_OBJECTS) {
        waitBlocks = ExAllocatePoolWithTag(NonPagedPool, count * sizeof(KWAIT_BLOCK),
                                           OBP_WAIT_BLOCK_TAG);
        if (!waitBlocks) {
            status = STATUS_INSUFFICIENT_RESOURCES;
            goto out;
        }
    }
    status = KeWaitForMultipleObjects(count, waitObjects, waitType, UserRequest, UserMode,
                                      alertable != FALSE, timeout, waitBlocks);
out:
    if (waitBlocks)
        ExFreePoolWithTag(waitBlocks, OBP_WAIT_BLOCK_TAG);
    while (referenced)
        ObDereferenceObject(objects[--referenced]);
    return status;
}

// Signals one object and waits on another. What "signal" means depends on
// the type: an event is set (EVENT_MODIFY_STATE), a semaphore released by
// one (SEMAPHORE_MODIFY_STATE), a mutant released (by its owner); any other
// type is STATUS_OBJECT_TYPE_MISMATCH. Unlike NT, the signal and the start
// of the wait are two steps, not one under the dispatcher lock.
NTSTATUS NtSignalAndWaitForSingleObject(HANDLE signalHandle, HANDLE waitHandle,
                                        BOOLEAN alertable, LARGE_INTEGER *timeout)
{
    LARGE_INTEGER captured;
    ACCESS_MASK granted;
    void *signalObject, *waitObject;
    OBJECT_TYPE *type;
    NTSTATUS status = ObpCaptureTimeout(&timeout, &captured);

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(signalHandle, 0, NULL, &signalObject, &granted);
    if (!NT_SUCCESS(status))
        return status;
    status = ObpReferenceWaitableObject(waitHandle, &waitObject);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(signalObject);
        return status;
    }
    type = ObGetObjectType(signalObject);
    if (type == ExEventObjectType) {
        if (granted & EVENT_MODIFY_STATE)
            KeSetEvent(signalObject, EVENT_INCREMENT, TRUE);
        else
            status = STATUS_ACCESS_DENIED;
    } else if (type == ExSemaphoreObjectType) {
        if (granted & SEMAPHORE_MODIFY_STATE)
            status = KeReleaseSemaphoreEx(signalObject, SEMAPHORE_INCREMENT, 1, NULL);
        else
            status = STATUS_ACCESS_DENIED;
    } else if (type == ExMutantObjectType) {
        status = KeReleaseMutantEx(signalObject, MUTANT_INCREMENT, FALSE, NULL);
    } else {
        status = STATUS_OBJECT_TYPE_MISMATCH;
    }
    if (NT_SUCCESS(status))
        status = KeWaitForSingleObject(ObpWaitObject(waitObject), UserRequest, UserMode,
                                       alertable != FALSE, timeout);
    ObDereferenceObject(waitObject);
    ObDereferenceObject(signalObject);
    return status;
}
