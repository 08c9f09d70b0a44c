// Capturing a caller's OBJECT_ATTRIBUTES: the structure, its name string and
// the name's characters are copied into kernel memory once, so the caller
// cannot change them while the object manager uses them.

#include "ob/ob.h"
#include "mm/mm.h"

#define OBP_VALID_ATTRIBUTES (OBJ_INHERIT | OBJ_PERMANENT | OBJ_EXCLUSIVE | \
                              OBJ_CASE_INSENSITIVE | OBJ_OPENIF | OBJ_OPENLINK | \
                              OBJ_KERNEL_HANDLE)

NTSTATUS ObCaptureObjectAttributes(const OBJECT_ATTRIBUTES *userAttributes,
                                   OB_CAPTURED_ATTRIBUTES *captured)
{
    NTSTATUS status = MmCopyFromUser(&captured->Attributes, userAttributes,
                                     sizeof(captured->Attributes));

    if (!NT_SUCCESS(status))
        return status;
    if (captured->Attributes.Length != sizeof(OBJECT_ATTRIBUTES) ||
        (captured->Attributes.Attributes & ~OBP_VALID_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    if (!captured->Attributes.ObjectName)
        return STATUS_SUCCESS;
    status = MmCopyFromUser(&captured->Name, captured->Attributes.ObjectName,
                            sizeof(captured->Name));
    if (!NT_SUCCESS(status))
        return status;
    if ((captured->Name.Length & 1) || captured->Name.Length > captured->Name.MaximumLength ||
        captured->Name.Length > sizeof(captured->Buffer))
        return STATUS_OBJECT_NAME_INVALID;
    status = MmCopyFromUser(captured->Buffer, captured->Name.Buffer, captured->Name.Length);
    if (!NT_SUCCESS(status))
        return status;
    captured->Name.Buffer = captured->Buffer;
    captured->Name.MaximumLength = captured->Name.Length;
    captured->Attributes.ObjectName = &captured->Name;
    return STATUS_SUCCESS;
}
