// What every object service does with its user-mode arguments before it
// touches an object: capture OBJECT_ATTRIBUTES and the name into the
// kernel, check the handle out-parameter, and write the handle back last.

#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"
#include "se/se.h"

static NTSTATUS ObpCaptureObjectAttributes(const OBJECT_ATTRIBUTES *objectAttributes,
                                           OB_CAPTURED_ATTRIBUTES *captured);

// On failure nothing stays captured, so a caller may return at once (or
// release anyway: the structure is then all zero).
NTSTATUS ObCaptureObjectAttributes(const OBJECT_ATTRIBUTES *objectAttributes,
                                   OB_CAPTURED_ATTRIBUTES *captured)
{
    NTSTATUS status;

    memset(captured, 0, sizeof(*captured));
    status = ObpCaptureObjectAttributes(objectAttributes, captured);
    if (!NT_SUCCESS(status))
        ObReleaseObjectAttributes(captured);
    return status;
}

// The name's characters into pool; `name` is the caller's UNICODE_STRING as
// copied (its Buffer a user pointer, read only by copy).
static NTSTATUS ObpCaptureName(const UNICODE_STRING *name, OB_CAPTURED_ATTRIBUTES *captured)
{
    WCHAR *buffer;
    NTSTATUS status;

    if ((name->Length & 1) || name->Length > name->MaximumLength)
        return STATUS_OBJECT_NAME_INVALID;
    if (name->Length == 0) {
        // An empty name relative to a directory names the directory itself.
        if (captured->Attributes.RootDirectory)
            captured->Attributes.ObjectName = &captured->Name;
        return STATUS_SUCCESS;
    }
    buffer = ExAllocatePoolWithTag(NonPagedPool, name->Length, OBP_CAPTURE_TAG);
    if (!buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    captured->OwnedNameBuffer = buffer;
    status = MmCopyFromUser(buffer, name->Buffer, name->Length);
    if (!NT_SUCCESS(status))
        return status;
    captured->Name.Buffer = buffer;
    captured->Name.Length = captured->Name.MaximumLength = name->Length;
    captured->Attributes.ObjectName = &captured->Name;
    return STATUS_SUCCESS;
}

// The caller's structures are copied into locals, which are never freed;
// only a block this routine allocated is recorded in `captured` (Owned*),
// the moment it is allocated, so that a copy failing half-way (a structure
// ending in an unmapped page), a refused Length or attribute bits, or a
// pointer the caller changes meanwhile can never make the release free a
// pointer the caller chose.
static NTSTATUS ObpCaptureObjectAttributes(const OBJECT_ATTRIBUTES *objectAttributes,
                                           OB_CAPTURED_ATTRIBUTES *captured)
{
    OBJECT_ATTRIBUTES attributes;
    SECURITY_DESCRIPTOR_RELATIVE *descriptor;
    UNICODE_STRING name;
    NTSTATUS status;

    if (!objectAttributes)
        return STATUS_SUCCESS;
    status = ProbeForRead(objectAttributes, sizeof(*objectAttributes), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&attributes, objectAttributes, sizeof(attributes));
    if (!NT_SUCCESS(status))
        return status;
    if (attributes.Length != sizeof(OBJECT_ATTRIBUTES) ||
        (attributes.Attributes & ~OBJ_VALID_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    captured->Attributes.Length = attributes.Length;
    captured->Attributes.RootDirectory = attributes.RootDirectory;
    captured->Attributes.Attributes = attributes.Attributes;
    // The descriptor is copied in and checked before the name, as NT's
    // ObpCaptureObjectCreateInformation does; SecurityDescriptor points at
    // the kernel copy. The quality of service is read by the services that
    // use it (tokens), never through here.
    status = SeCaptureSecurityDescriptor(attributes.SecurityDescriptor, OBP_CAPTURE_TAG,
                                         &descriptor);
    if (!NT_SUCCESS(status))
        return status;
    captured->OwnedDescriptor = descriptor;
    captured->Attributes.SecurityDescriptor = descriptor;
    if (!attributes.ObjectName)
        return STATUS_SUCCESS;
    status = MmCopyFromUser(&name, attributes.ObjectName, sizeof(name));
    if (!NT_SUCCESS(status))
        return status;
    return ObpCaptureName(&name, captured);
}

// Frees only what the capture allocated (the Owned* fields, which nothing
// but the capture writes), never a pointer read from the caller.
void ObReleaseObjectAttributes(OB_CAPTURED_ATTRIBUTES *captured)
{
    if (captured->OwnedNameBuffer)
        ExFreePoolWithTag(captured->OwnedNameBuffer, OBP_CAPTURE_TAG);
    if (captured->OwnedDescriptor)
        ExFreePoolWithTag(captured->OwnedDescriptor, OBP_CAPTURE_TAG);
    memset(captured, 0, sizeof(*captured));
}

NTSTATUS ObProbeHandleOut(HANDLE *userHandle)
{
    return ProbeForWrite(userHandle, sizeof(HANDLE), sizeof(ULONG));
}

// The handle reaches the caller only once everything else has worked; if
// even that write fails, the handle is closed so that nothing is left open
// that the caller cannot name.
static NTSTATUS ObpReturnHandle(HANDLE handle, HANDLE *userHandle, NTSTATUS status)
{
    NTSTATUS copyStatus = MmCopyToUser(userHandle, &handle, sizeof(handle));

    if (!NT_SUCCESS(copyStatus)) {
        ObCloseHandle(handle);
        return copyStatus;
    }
    return status;
}

NTSTATUS ObInsertObjectForUser(void *object, OB_CAPTURED_ATTRIBUTES *captured,
                               ACCESS_MASK desiredAccess, HANDLE *userHandle)
{
    HANDLE handle;
    NTSTATUS status = ObpInsertObject(object, &captured->Attributes, desiredAccess, TRUE, NULL,
                                      &handle);

    if (!NT_SUCCESS(status))
        return status;
    return ObpReturnHandle(handle, userHandle, status);
}

NTSTATUS ObOpenObjectForUser(HANDLE *userHandle, OBJECT_TYPE *objectType,
                             ACCESS_MASK desiredAccess, const OBJECT_ATTRIBUTES *objectAttributes)
{
    OB_CAPTURED_ATTRIBUTES captured;
    HANDLE handle;
    NTSTATUS status = ObProbeHandleOut(userHandle);

    if (!NT_SUCCESS(status))
        return status;
    if (!objectAttributes)
        return STATUS_INVALID_PARAMETER;
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (NT_SUCCESS(status))
        status = ObOpenObjectByName(&captured.Attributes, objectType, UserMode, desiredAccess,
                                    NULL, &handle);
    ObReleaseObjectAttributes(&captured);
    if (!NT_SUCCESS(status))
        return status;
    return ObpReturnHandle(handle, userHandle, status);
}
