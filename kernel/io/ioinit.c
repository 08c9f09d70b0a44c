// The I/O manager's start: its three object types and the directories
// drivers name their objects in.

#include "io/iop.h"

OBJECT_TYPE *IoDeviceObjectType;
OBJECT_TYPE *IoDriverObjectType;
OBJECT_TYPE *IoFileObjectType;
KSPIN_LOCK IopDatabaseLock;
OBJECT_DIRECTORY *IopDeviceDirectory;
OBJECT_DIRECTORY *IopDriverDirectory;

// Files and devices share the file rights (a device is opened as a file).
#define IOP_FILE_MAPPING                                                            \
    { FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS }

static const OBJECT_TYPE_INITIALIZER IopDeviceTypeInitializer = {
    .PoolTag = IO_DEVICE_TAG,
    .ValidAccessMask = FILE_ALL_ACCESS,
    .GenericMapping = IOP_FILE_MAPPING,
    .DeleteProcedure = IopDeleteDevice,
    .ParseProcedure = IopParseDevice,
};

static const OBJECT_TYPE_INITIALIZER IopDriverTypeInitializer = {
    .PoolTag = IO_DRIVER_TAG,
    .ValidAccessMask = FILE_ALL_ACCESS,
    .GenericMapping = IOP_FILE_MAPPING,
    .DeleteProcedure = IopDeleteDriver,
};

// A file handle can be waited on: FILE_OBJECT.Event is signalled when a
// request on it completes.
static const OBJECT_TYPE_INITIALIZER IopFileTypeInitializer = {
    .PoolTag = IO_FILE_TAG,
    .ValidAccessMask = FILE_ALL_ACCESS,
    .GenericMapping = IOP_FILE_MAPPING,
    .Waitable = TRUE,
    .DefaultObjectOffset = offsetof(FILE_OBJECT, Event),
    .CloseProcedure = IopCloseFile,
    .DeleteProcedure = IopDeleteFile,
    .ParseProcedure = IopParseFile,
};

void IoInitSystem(void)
{
    OBJECT_DIRECTORY *directory;

    KeInitializeSpinLock(&IopDatabaseLock);
    IopInitializeFsRegistration();
    if (!NT_SUCCESS(ObCreateObjectType("Device", &IopDeviceTypeInitializer,
                                       &IoDeviceObjectType)) ||
        !NT_SUCCESS(ObCreateObjectType("Driver", &IopDriverTypeInitializer,
                                       &IoDriverObjectType)) ||
        !NT_SUCCESS(ObCreateObjectType("File", &IopFileTypeInitializer, &IoFileObjectType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x10, 1, 0, 0);
    if (!NT_SUCCESS(ObpCreateDirectory(ObpRootDirectoryObject, "Device", &IopDeviceDirectory)) ||
        !NT_SUCCESS(ObpCreateDirectory(ObpRootDirectoryObject, "Driver", &IopDriverDirectory)) ||
        !NT_SUCCESS(ObpCreateDirectory(ObpRootDirectoryObject, "FileSystem", &directory)) ||
        !NT_SUCCESS(ObpCreateDirectory(ObpRootDirectoryObject, "??", &directory)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x10, 2, 0, 0);
    // \?? is every process's DosDevices: the system's device map names it.
    ObSetDeviceMap(directory);
}
