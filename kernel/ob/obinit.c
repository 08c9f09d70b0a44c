// The object manager's start: its own types (Type, Directory,
// SymbolicLink) and the boot-time namespace.

#include "ob/ob.h"

OBJECT_TYPE *ObpDirectoryObjectType;
OBJECT_TYPE *ObpSymbolicLinkObjectType;
OBJECT_DIRECTORY *ObpRootDirectoryObject;
OBJECT_DIRECTORY *ObpTypeDirectoryObject;

NTSTATUS ObpNameEarlyTypes(void);

static const char *const ObpBootDirectories[] = {
    "BaseNamedObjects",
    "KernelObjects",
    "RPC Control",
    "Windows",
};

static const OBJECT_TYPE_INITIALIZER ObpDirectoryTypeInitializer = {
    .PoolTag = OBP_DIRECTORY_TAG,
    .ValidAccessMask = DIRECTORY_ALL_ACCESS,
    .GenericMapping = {STANDARD_RIGHTS_READ | DIRECTORY_QUERY | DIRECTORY_TRAVERSE,
                       STANDARD_RIGHTS_WRITE | DIRECTORY_CREATE_OBJECT |
                           DIRECTORY_CREATE_SUBDIRECTORY,
                       STANDARD_RIGHTS_EXECUTE | DIRECTORY_QUERY | DIRECTORY_TRAVERSE,
                       DIRECTORY_ALL_ACCESS},
    .DeleteProcedure = ObpDeleteDirectory,
};

static const OBJECT_TYPE_INITIALIZER ObpSymbolicLinkTypeInitializer = {
    .PoolTag = OBP_SYMBOLIC_LINK_TAG,
    .ValidAccessMask = SYMBOLIC_LINK_ALL_ACCESS,
    .GenericMapping = {STANDARD_RIGHTS_READ | SYMBOLIC_LINK_QUERY,
                       STANDARD_RIGHTS_WRITE,
                       STANDARD_RIGHTS_EXECUTE | SYMBOLIC_LINK_QUERY,
                       SYMBOLIC_LINK_ALL_ACCESS},
};

void ObInitSystem(void)
{
    OBJECT_DIRECTORY *directory;

    KeInitializeSpinLock(&ObpNameSpaceLock);
    ObpInitSecurity();
    if (!NT_SUCCESS(ObCreateObjectType("Directory", &ObpDirectoryTypeInitializer,
                                       &ObpDirectoryObjectType)) ||
        !NT_SUCCESS(ObCreateObjectType("SymbolicLink", &ObpSymbolicLinkTypeInitializer,
                                       &ObpSymbolicLinkObjectType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x0B, 1, 0, 0);
    if (!NT_SUCCESS(ObpCreateDirectory(NULL, NULL, &ObpRootDirectoryObject)) ||
        !NT_SUCCESS(ObpCreateDirectory(ObpRootDirectoryObject, "ObjectTypes", &directory)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x0B, 2, 0, 0);
    ObpTypeDirectoryObject = directory;
    if (!NT_SUCCESS(ObpNameEarlyTypes()))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x0B, 3, 0, 0);
    for (ULONG i = 0; i < ARRAYSIZE(ObpBootDirectories); i++) {
        if (!NT_SUCCESS(ObpCreateDirectory(ObpRootDirectoryObject, ObpBootDirectories[i],
                                           &directory)))
            KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x0B, 4, i, 0);
    }
}
