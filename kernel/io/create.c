// Opening files: NtCreateFile and NtOpenFile -> IoCreateFile -> IopCreateFile
// -> ObOpenObjectByName, whose lookup hands the name to IopParseDevice when
// it reaches a device (the path the case studies' stacks show). The open
// packet carries the create's parameters there and brings its result back.

#include "io/iop.h"

#define IOP_MAXIMUM_EA_LENGTH 0x10000

// NT's checks of a create's parameters, in NT's order.
static NTSTATUS IopCheckCreateParameters(ACCESS_MASK desiredAccess, ULONG fileAttributes,
                                         ULONG shareAccess, ULONG disposition,
                                         ULONG createOptions, ULONG eaLength,
                                         CREATE_FILE_TYPE createFileType)
{
    ULONG synchronous = createOptions & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT);

    if ((fileAttributes & ~FILE_ATTRIBUTE_VALID_FLAGS) ||
        (shareAccess & ~FILE_SHARE_VALID_FLAGS) || disposition > FILE_MAXIMUM_DISPOSITION ||
        (createOptions & ~FILE_VALID_OPTION_FLAGS) ||
        (synchronous && !(desiredAccess & SYNCHRONIZE)) ||
        synchronous == (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT) ||
        ((createOptions & FILE_DELETE_ON_CLOSE) && !(desiredAccess & DELETE)) ||
        ((createOptions & FILE_DIRECTORY_FILE) && (createOptions & FILE_NON_DIRECTORY_FILE)) ||
        ((createOptions & FILE_DIRECTORY_FILE) && disposition != FILE_CREATE &&
         disposition != FILE_OPEN && disposition != FILE_OPEN_IF) ||
        eaLength > IOP_MAXIMUM_EA_LENGTH || createFileType != CreateFileTypeNone)
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

static NTSTATUS IopCreateFile(HANDLE *handle, ACCESS_MASK desiredAccess,
                              const OBJECT_ATTRIBUTES *objectAttributes,
                              KPROCESSOR_MODE accessMode, OPEN_PACKET *openPacket)
{
    return ObOpenObjectByName(objectAttributes, IoFileObjectType, accessMode, desiredAccess,
                              openPacket, handle);
}

NTSTATUS IoCreateFile(HANDLE *fileHandle, ACCESS_MASK desiredAccess,
                      OBJECT_ATTRIBUTES *objectAttributes, IO_STATUS_BLOCK *ioStatusBlock,
                      LARGE_INTEGER *allocationSize, ULONG fileAttributes, ULONG shareAccess,
                      ULONG disposition, ULONG createOptions, void *eaBuffer, ULONG eaLength,
                      CREATE_FILE_TYPE createFileType, void *internalParameters, ULONG options)
{
    BOOLEAN user = !(options & IO_NO_PARAMETER_CHECKING);
    OB_CAPTURED_ATTRIBUTES captured;
    const OBJECT_ATTRIBUTES *attributes = objectAttributes;
    OPEN_PACKET openPacket;
    IO_STATUS_BLOCK result;
    HANDLE handle;
    NTSTATUS status;

    memset(&openPacket, 0, sizeof(openPacket));
    memset(&captured, 0, sizeof(captured));
    if (user) {
        status = IopCheckCreateParameters(desiredAccess, fileAttributes, shareAccess,
                                          disposition, createOptions, eaLength, createFileType);
        if (NT_SUCCESS(status))
            status = ObProbeHandleOut(fileHandle);
        if (NT_SUCCESS(status))
            status = ProbeForWrite(ioStatusBlock, sizeof(*ioStatusBlock), sizeof(ULONG));
        if (NT_SUCCESS(status) && allocationSize)
            status = MmCopyFromUser(&openPacket.AllocationSize, allocationSize,
                                    sizeof(LARGE_INTEGER));
        if (NT_SUCCESS(status) && eaBuffer && eaLength) {
            openPacket.EaBuffer = ExAllocatePoolWithTag(NonPagedPool, eaLength,
                                                        IO_SYSTEM_BUFFER_TAG);
            status = openPacket.EaBuffer ? MmCopyFromUser(openPacket.EaBuffer, eaBuffer, eaLength)
                                         : STATUS_INSUFFICIENT_RESOURCES;
        }
        if (NT_SUCCESS(status))
            status = objectAttributes ? ObCaptureObjectAttributes(objectAttributes, &captured)
                                      : STATUS_INVALID_PARAMETER;
        if (!NT_SUCCESS(status))
            goto out;
        attributes = &captured.Attributes;
    } else {
        if (allocationSize)
            openPacket.AllocationSize = *allocationSize;
        openPacket.EaBuffer = eaLength ? eaBuffer : NULL;
    }
    openPacket.Type = IO_TYPE_OPEN_PACKET;
    openPacket.Size = sizeof(openPacket);
    openPacket.CreateOptions = createOptions;
    openPacket.FileAttributes = (USHORT)fileAttributes;
    openPacket.ShareAccess = (USHORT)shareAccess;
    openPacket.EaLength = openPacket.EaBuffer ? eaLength : 0;
    openPacket.Options = options;
    openPacket.Disposition = disposition;
    openPacket.DesiredAccess = desiredAccess;

    status = IopCreateFile(&handle, desiredAccess, attributes, user ? UserMode : KernelMode,
                           &openPacket);
    // What the create IRP said reaches the caller whether or not the open
    // then worked; a lookup that never reached a device says nothing.
    if (openPacket.ParseCheck == IOP_OPEN_PACKET_PATTERN) {
        result.Status = NT_SUCCESS(openPacket.FinalStatus) ? status : openPacket.FinalStatus;
        result.Information = openPacket.Information;
        if (user)
            MmCopyToUser(ioStatusBlock, &result, sizeof(result));
        else
            *ioStatusBlock = result;
    }
    if (!NT_SUCCESS(status))
        goto out;
    if (!user) {
        *fileHandle = handle;
    } else if (!NT_SUCCESS(MmCopyToUser(fileHandle, &handle, sizeof(handle)))) {
        ObCloseHandle(handle);
        status = STATUS_ACCESS_VIOLATION;
    }
out:
    if (user) {
        ObReleaseObjectAttributes(&captured);
        if (openPacket.EaBuffer)
            ExFreePoolWithTag(openPacket.EaBuffer, IO_SYSTEM_BUFFER_TAG);
    }
    return status;
}

NTSTATUS NtCreateFile(HANDLE *fileHandle, ACCESS_MASK desiredAccess,
                      OBJECT_ATTRIBUTES *objectAttributes, IO_STATUS_BLOCK *ioStatusBlock,
                      LARGE_INTEGER *allocationSize, ULONG fileAttributes, ULONG shareAccess,
                      ULONG createDisposition, ULONG createOptions, void *eaBuffer,
                      ULONG eaLength)
{
    return IoCreateFile(fileHandle, desiredAccess, objectAttributes, ioStatusBlock,
                        allocationSize, fileAttributes, shareAccess, createDisposition,
                        createOptions, eaBuffer, eaLength, CreateFileTypeNone, NULL, 0);
}

NTSTATUS NtOpenFile(HANDLE *fileHandle, ACCESS_MASK desiredAccess,
                    OBJECT_ATTRIBUTES *objectAttributes, IO_STATUS_BLOCK *ioStatusBlock,
                    ULONG shareAccess, ULONG openOptions)
{
    return IoCreateFile(fileHandle, desiredAccess, objectAttributes, ioStatusBlock, NULL, 0,
                        shareAccess, FILE_OPEN, openOptions, NULL, 0, CreateFileTypeNone, NULL,
                        0);
}

NTSTATUS IoGetDeviceObjectPointer(UNICODE_STRING *objectName, ACCESS_MASK desiredAccess,
                                  FILE_OBJECT **fileObject, DEVICE_OBJECT **deviceObject)
{
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    FILE_OBJECT *file;
    HANDLE handle;
    NTSTATUS status;

    InitializeObjectAttributes(&attributes, objectName, OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = IoCreateFile(&handle, desiredAccess, &attributes, &ioStatus, NULL, 0,
                          FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                          FILE_NON_DIRECTORY_FILE, NULL, 0, CreateFileTypeNone, NULL,
                          IO_NO_PARAMETER_CHECKING);
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(handle, 0, IoFileObjectType, (void **)&file, NULL);
    ObCloseHandle(handle);
    if (!NT_SUCCESS(status))
        return status;
    *fileObject = file;
    *deviceObject = IoGetRelatedDeviceObject(file);
    return STATUS_SUCCESS;
}
