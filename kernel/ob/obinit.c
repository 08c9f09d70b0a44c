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
    "RPC Control",
    "Windows",
};

void ObInitSystem(void)
{
    OBJECT_DIRECTORY *directory;

    KeInitializeSpinLock(&ObpNameSpaceLock);
    if (!NT_SUCCESS(ObCreateObjectType("Directory", OBP_DIRECTORY_TAG, ObpDeleteDirectory,
                                       DIRECTORY_ALL_ACCESS, &ObpDirectoryObjectType)) ||
        !NT_SUCCESS(ObCreateObjectType("SymbolicLink", OBP_SYMBOLIC_LINK_TAG, NULL,
                                       SYMBOLIC_LINK_ALL_ACCESS, &ObpSymbolicLinkObjectType)))
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
