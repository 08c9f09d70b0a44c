// Symbolic-link objects: a name whose target is another name. The lookup
// in obname.c follows them; these are the services that make, open and
// read them. The target's characters live in the object's own body.

#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"

NTSTATUS NtCreateSymbolicLinkObject(HANDLE *linkHandle, ACCESS_MASK desiredAccess,
                                    OBJECT_ATTRIBUTES *objectAttributes,
                                    UNICODE_STRING *linkTarget)
{
    OB_CAPTURED_ATTRIBUTES captured;
    OBJECT_SYMBOLIC_LINK *link;
    UNICODE_STRING target;
    NTSTATUS status = ObProbeHandleOut(linkHandle);

    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&target, linkTarget, sizeof(target));
    if (!NT_SUCCESS(status))
        return status;
    if ((target.Length & 1) || (target.MaximumLength & 1) || target.Length > target.MaximumLength)
        return STATUS_INVALID_PARAMETER;
    status = ProbeForRead(target.Buffer, target.Length, sizeof(WCHAR));
    if (!NT_SUCCESS(status))
        return status;
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (NT_SUCCESS(status))
        status = ObCreateObject(ObpSymbolicLinkObjectType,
                                sizeof(*link) + target.Length + sizeof(WCHAR), (void **)&link);
    if (NT_SUCCESS(status)) {
        link->CreationTime = KeQuerySystemTime();
        link->LinkTarget.Buffer = (WCHAR *)(link + 1);
        link->LinkTarget.Length = target.Length;
        link->LinkTarget.MaximumLength = target.Length + sizeof(WCHAR);
        status = MmCopyFromUser(link->LinkTarget.Buffer, target.Buffer, target.Length);
        if (NT_SUCCESS(status))
            status = ObInsertObjectForUser(link, &captured, desiredAccess, linkHandle);
        else
            ObDereferenceObject(link);
    }
    ObReleaseObjectAttributes(&captured);
    return status;
}

// Opening a link by name opens the link itself, not what it names.
NTSTATUS NtOpenSymbolicLinkObject(HANDLE *linkHandle, ACCESS_MASK desiredAccess,
                                  OBJECT_ATTRIBUTES *objectAttributes)
{
    return ObOpenObjectForUser(linkHandle, ObpSymbolicLinkObjectType, desiredAccess,
                               objectAttributes);
}

// Copies the target into the caller's string: Length bytes, and the NUL
// too when the caller asks for ReturnedLength (NT's convention). A buffer
// too small is STATUS_BUFFER_TOO_SMALL with *ReturnedLength the size needed.
NTSTATUS NtQuerySymbolicLinkObject(HANDLE linkHandle, UNICODE_STRING *linkTarget,
                                   ULONG *returnedLength)
{
    OBJECT_SYMBOLIC_LINK *link;
    UNICODE_STRING target;
    ULONG needed;
    NTSTATUS status = ProbeForWrite(linkTarget, sizeof(*linkTarget), sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&target, linkTarget, sizeof(target));
    if (NT_SUCCESS(status))
        status = ProbeForWrite(target.Buffer, target.MaximumLength, sizeof(WCHAR));
    if (NT_SUCCESS(status) && returnedLength)
        status = ProbeForWrite(returnedLength, sizeof(ULONG), sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(linkHandle, SYMBOLIC_LINK_QUERY,
                                       ObpSymbolicLinkObjectType, (void **)&link, NULL);
    if (!NT_SUCCESS(status))
        return status;
    needed = returnedLength ? link->LinkTarget.MaximumLength : link->LinkTarget.Length;
    if (target.MaximumLength < needed) {
        status = STATUS_BUFFER_TOO_SMALL;
    } else {
        target.Length = link->LinkTarget.Length;
        status = MmCopyToUser(target.Buffer, link->LinkTarget.Buffer, needed);
        if (NT_SUCCESS(status))
            status = MmCopyToUser(&linkTarget->Length, &target.Length, sizeof(USHORT));
    }
    ObDereferenceObject(link);
    if (returnedLength && (NT_SUCCESS(status) || status == STATUS_BUFFER_TOO_SMALL)) {
        NTSTATUS copyStatus = MmCopyToUser(returnedLength, &needed, sizeof(needed));

        if (!NT_SUCCESS(copyStatus))
            status = copyStatus;
    }
    return status;
}
