// The handle services: NtClose, NtDuplicateObject, NtMakeTemporaryObject.

#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"

// The process right that lets a caller take handles out of a process or
// put them in (NT's value; the process manager may define it too).
#define PROCESS_DUP_HANDLE 0x0040

NTSTATUS NtClose(HANDLE handle)
{
    return ObCloseHandle(handle);
}

// NT's order: the target handle is probed first, then both processes are
// referenced (PROCESS_DUP_HANDLE), then the object is duplicated. With no
// target process, only DUPLICATE_CLOSE_SOURCE has an effect.
NTSTATUS NtDuplicateObject(HANDLE sourceProcessHandle, HANDLE sourceHandle,
                           HANDLE targetProcessHandle, HANDLE *targetHandle,
                           ACCESS_MASK desiredAccess, ULONG handleAttributes, ULONG options)
{
    EPROCESS *sourceProcess, *targetProcess = NULL;
    HANDLE handle = NULL;
    NTSTATUS status;

    if (targetHandle) {
        status = ObProbeHandleOut(targetHandle);
        if (!NT_SUCCESS(status))
            return status;
    }
    status = ObReferenceObjectByHandle(sourceProcessHandle, PROCESS_DUP_HANDLE, PsProcessType,
                                       (void **)&sourceProcess, NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (targetProcessHandle) {
        status = ObReferenceObjectByHandle(targetProcessHandle, PROCESS_DUP_HANDLE,
                                           PsProcessType, (void **)&targetProcess, NULL);
        if (!NT_SUCCESS(status)) {
            ObDereferenceObject(sourceProcess);
            return status;
        }
    }
    status = ObDuplicateObject(sourceProcess, sourceHandle, targetProcess,
                               targetHandle ? &handle : NULL, desiredAccess, options);
    if (NT_SUCCESS(status) && targetHandle) {
        NTSTATUS copyStatus = MmCopyToUser(targetHandle, &handle, sizeof(handle));

        // The duplicate lives in the target process: take it back from there.
        if (!NT_SUCCESS(copyStatus)) {
            ObDuplicateObject(targetProcess, handle, NULL, NULL, 0, DUPLICATE_CLOSE_SOURCE);
            status = copyStatus;
        }
    }
    if (targetProcess)
        ObDereferenceObject(targetProcess);
    ObDereferenceObject(sourceProcess);
    return status;
}

// Takes away OBJ_PERMANENT; needs DELETE on the handle, as on NT.
NTSTATUS NtMakeTemporaryObject(HANDLE handle)
{
    void *object;
    NTSTATUS status = ObReferenceObjectByHandle(handle, DELETE, NULL, &object, NULL);

    if (!NT_SUCCESS(status))
        return status;
    ObMakeTemporaryObject(object);
    ObDereferenceObject(object);
    return STATUS_SUCCESS;
}
