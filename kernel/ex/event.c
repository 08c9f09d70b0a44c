// Event objects: a KEVENT with a name and handles. NtSetEvent and friends
// are the kernel's KeSetEvent family behind a handle check.

#include "ex/ex.h"
#include "mm/mm.h"

#define EVENT_TAG POOL_TAG('E', 'v', 'e', 'n')

OBJECT_TYPE *ExEventObjectType;

void ExpInitializeEventImplementation(void)
{
    static const OBJECT_TYPE_INITIALIZER initializer = {
        .PoolTag = EVENT_TAG,
        .ValidAccessMask = EVENT_ALL_ACCESS,
        .GenericMapping = {STANDARD_RIGHTS_READ | EVENT_QUERY_STATE,
                           STANDARD_RIGHTS_WRITE | EVENT_MODIFY_STATE,
                           STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, EVENT_ALL_ACCESS},
        .Waitable = TRUE,
    };

    if (!NT_SUCCESS(ObCreateObjectType("Event", &initializer, &ExEventObjectType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x0E, 1, 0, 0);
}

NTSTATUS NtCreateEvent(HANDLE *eventHandle, ACCESS_MASK desiredAccess,
                       OBJECT_ATTRIBUTES *objectAttributes, EVENT_TYPE eventType,
                       BOOLEAN initialState)
{
    OB_CAPTURED_ATTRIBUTES captured;
    KEVENT *event;
    NTSTATUS status = ObProbeHandleOut(eventHandle);

    if (!NT_SUCCESS(status))
        return status;
    if (eventType != NotificationEvent && eventType != SynchronizationEvent)
        return STATUS_INVALID_PARAMETER;
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (NT_SUCCESS(status))
        status = ObCreateObject(ExEventObjectType, sizeof(KEVENT), (void **)&event);
    if (NT_SUCCESS(status)) {
        KeInitializeEvent(event, eventType, initialState != FALSE);
        status = ObInsertObjectForUser(event, &captured, desiredAccess, eventHandle);
    }
    ObReleaseObjectAttributes(&captured);
    return status;
}

NTSTATUS NtOpenEvent(HANDLE *eventHandle, ACCESS_MASK desiredAccess,
                     OBJECT_ATTRIBUTES *objectAttributes)
{
    return ObOpenObjectForUser(eventHandle, ExEventObjectType, desiredAccess, objectAttributes);
}

typedef enum _EXP_EVENT_OPERATION { ExpSet, ExpReset, ExpPulse, ExpClear } EXP_EVENT_OPERATION;

// The four state changes share their checks: the optional previous state is
// probed first, then the handle must grant EVENT_MODIFY_STATE.
static NTSTATUS ExpChangeEvent(HANDLE eventHandle, LONG *previousState,
                               EXP_EVENT_OPERATION operation)
{
    KEVENT *event;
    LONG previous = 0;
    NTSTATUS status = ExpProbeOptionalOut(previousState, sizeof(LONG));

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(eventHandle, EVENT_MODIFY_STATE, ExEventObjectType,
                                       (void **)&event, NULL);
    if (!NT_SUCCESS(status))
        return status;
    switch (operation) {
    case ExpSet:
        previous = KeSetEvent(event, EVENT_INCREMENT, FALSE);
        break;
    case ExpReset:
        previous = KeResetEvent(event);
        break;
    case ExpPulse:
        previous = KePulseEvent(event, EVENT_INCREMENT, FALSE);
        break;
    case ExpClear:
        KeClearEvent(event);
        break;
    }
    ObDereferenceObject(event);
    if (previousState)
        status = MmCopyToUser(previousState, &previous, sizeof(previous));
    return status;
}

NTSTATUS NtSetEvent(HANDLE eventHandle, LONG *previousState)
{
    return ExpChangeEvent(eventHandle, previousState, ExpSet);
}

NTSTATUS NtResetEvent(HANDLE eventHandle, LONG *previousState)
{
    return ExpChangeEvent(eventHandle, previousState, ExpReset);
}

NTSTATUS NtPulseEvent(HANDLE eventHandle, LONG *previousState)
{
    return ExpChangeEvent(eventHandle, previousState, ExpPulse);
}

NTSTATUS NtClearEvent(HANDLE eventHandle)
{
    return ExpChangeEvent(eventHandle, NULL, ExpClear);
}

NTSTATUS NtQueryEvent(HANDLE eventHandle, ULONG eventInformationClass, void *eventInformation,
                      ULONG eventInformationLength, ULONG *returnLength)
{
    EVENT_BASIC_INFORMATION info;
    KEVENT *event;
    NTSTATUS status = ExpCheckQueryBuffer(eventInformationClass, eventInformationLength,
                                          sizeof(info), eventInformation, returnLength);

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(eventHandle, EVENT_QUERY_STATE, ExEventObjectType,
                                       (void **)&event, NULL);
    if (!NT_SUCCESS(status))
        return status;
    info.EventType = event->Header.Type == EventNotificationObject ? NotificationEvent
                                                                    : SynchronizationEvent;
    info.EventState = KeReadStateEvent(event);
    ObDereferenceObject(event);
    return ExpReturnQueryBuffer(eventInformation, &info, sizeof(info), returnLength);
}
