// What every object service does with its user-mode arguments before it
// touches an object: capture OBJECT_ATTRIBUTES and the name into the
// kernel, check the handle out-parameter, and write the handle back last.

#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"
#include "se/se.h"

static NTSTATUS ObpCaptureObjectAttributes(const OBJECT_ATTRIBUTES *objectAttributes,
                                           OB_CAPTURED_ATTRIBUTES *captured);

// On failure nothing stays captured, so a caller may return at once.
NTSTATUS ObCaptureObjectAttributes(const OBJECT_ATTRIBUTES *objectAttributes,
                                   OB_CAPTURED_ATTRIBUTES *captured)
{
    NTSTATUS status = ObpCaptureObjectAttributes(objectAttributes, captured);

    if (!NT_SUCCESS(status))
        ObReleaseObjectAttributes(captured);
    return status;
}

static NTSTATUS ObpCaptureObjectAttributes(const OBJECT_ATTRIBUTES *objectAttributes,
                                           OB_CAPTURED_ATTRIBUTES *captured)
{
    UNICODE_STRING *userName;
    const void *userDescriptor;
    NTSTATUS status;

    memset(captured, 0, sizeof(*captured));
    if (!objectAttributes)
        return STATUS_SUCCESS;
    status = ProbeForRead(objectAttributes, sizeof(*objectAttributes), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&captured->Attributes, objectAttributes,
                                sizeof(captured->Attributes));
    if (!NT_SUCCESS(status))
        return status;
    if (captured->Attributes.Length != sizeof(OBJECT_ATTRIBUTES) ||
        (captured->Attributes.Attributes & ~OBJ_VALID_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    // The descriptor is copied in and checked before the name, as NT's
    // ObpCaptureObjectCreateInformation does; from here on
    // SecurityDescriptor points at the kernel copy. The quality of service
    // is read by the services that use it (tokens), never through here.
    userDescriptor = captured->Attributes.SecurityDescriptor;
    captured->Attributes.SecurityDescriptor = NULL;
    captured->Attributes.SecurityQualityOfService = NULL;
    status = SeCaptureSecurityDescriptor(userDescriptor, OBP_CAPTURE_TAG,
                                         (SECURITY_DESCRIPTOR_RELATIVE **)&captured->Attributes
                                             .SecurityDescriptor);
    if (!NT_SUCCESS(status))
        return status;
    userName = captured->Attributes.ObjectName;
    captured->Attributes.ObjectName = NULL;
    if (!userName)
        return STATUS_SUCCESS;
    status = MmCopyFromUser(&captured->Name, userName, sizeof(captured->Name));
    if (!NT_SUCCESS(status))
        return status;
    if ((captured->Name.Length & 1) || captured->Name.Length > captured->Name.MaximumLength) {
        captured->Name.Buffer = NULL;
        return STATUS_OBJECT_NAME_INVALID;
    }
    if (captured->Name.Length == 0) {
        captured->Name.Buffer = NULL;
        // An empty name relative to a directory names the directory itself.
        if (captured->Attributes.RootDirectory)
            captured->Attributes.ObjectName = &captured->Name;
        return STATUS_SUCCESS;
    }
    {
        const WCHAR *userBuffer = captured->Name.Buffer;
        WCHAR *buffer = ExAllocatePoolWithTag(NonPagedPool, captured->Name.Length,
                                              OBP_CAPTURE_TAG);

        captured->Name.Buffer = NULL;
        if (!buffer)
            return STATUS_INSUFFICIENT_RESOURCES;
        status = MmCopyFromUser(buffer, userBuffer, captured->Name.Length);
        if (!NT_SUCCESS(status)) {
            ExFreePoolWithTag(buffer, OBP_CAPTURE_TAG);
            return status;
        }
        captured->Name.Buffer = buffer;
        captured->Name.MaximumLength = captured->Name.Length;
        captured->Attributes.ObjectName = &captured->Name;
    }
    return STATUS_SUCCESS;
}

void ObReleaseObjectAttributes(OB_CAPTURED_ATTRIBUTES *captured)
{
    if (captured->Name.Buffer)
        ExFreePoolWithTag(captured->Name.Buffer, OBP_CAPTURE_TAG);
    if (captured->Attributes.SecurityDescriptor)
        ExFreePoolWithTag(captured->Attributes.SecurityDescriptor, OBP_CAPTURE_TAG);
    captured->Name.Buffer = NULL;
    captured->Attributes.ObjectName = NULL;
    captured->Attributes.SecurityDescriptor = NULL;
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
        status = ObpOpenObjectByName(&captured.Attributes, objectType, desiredAccess, TRUE,
                                     &handle);
    ObReleaseObjectAttributes(&captured);
    if (!NT_SUCCESS(status))
        return status;
    return ObpReturnHandle(handle, userHandle, status);
}
