// The RAM file system core's host side: its allocator and test helpers.

#include <stdlib.h>
#include "ramfstest.h"

long RamFsTestBlocks;
long RamFsTestFailAfter = -1;

void *RamFsAllocate(SIZE_T size, ULONG tag)
{
    void *block;

    if (RamFsTestFailAfter == 0)
        return NULL;
    if (RamFsTestFailAfter > 0)
        RamFsTestFailAfter--;
    block = malloc(size ? size : 1);
    if (block) {
        // Garbage, not zeros: the core must initialise what it allocates.
        memset(block, 0xA5, size);
        RamFsTestBlocks++;
    }
    return block;
}

void RamFsFree(void *block, ULONG tag)
{
    RamFsTestBlocks--;
    free(block);
}

UNICODE_STRING *U(const char *ascii)
{
    static WCHAR buffers[4][512];
    static UNICODE_STRING strings[4];
    static int next;
    int slot = next++ % 4;
    size_t length = strlen(ascii);

    for (size_t i = 0; i < length && i < 512; i++)
        buffers[slot][i] = (UCHAR)ascii[i];
    strings[slot].Buffer = buffers[slot];
    strings[slot].Length = strings[slot].MaximumLength = (USHORT)(length * sizeof(WCHAR));
    return &strings[slot];
}

void RamFsTestVolume(RAMFS_VCB *vcb, ULONG64 limit)
{
    RamFsTestFailAfter = -1;
    if (!NT_SUCCESS(RamFsInitializeVcb(vcb, limit)))
        HostTestFail(__FILE__, __LINE__, "RamFsInitializeVcb failed");
}

void RamFsTestClose(RAMFS_VCB *vcb, RAMFS_FCB *fcb)
{
    RamFsCleanupFcb(vcb, fcb);
    RamFsCloseFcb(vcb, fcb);
}

NTSTATUS RamFsTestTouch(RAMFS_VCB *vcb, const char *path, ULONG disposition, ULONG options)
{
    RAMFS_FCB *fcb;
    ULONG_PTR information;
    NTSTATUS status = RamFsCreate(vcb, U(path), disposition, options, 0, &fcb, &information);

    if (NT_SUCCESS(status))
        RamFsTestClose(vcb, fcb);
    return status;
}

NTSTATUS RamFsTestWriteFile(RAMFS_VCB *vcb, const char *path, const char *text)
{
    RAMFS_FCB *fcb;
    ULONG_PTR information;
    ULONG written;
    NTSTATUS status = RamFsCreate(vcb, U(path), FILE_OVERWRITE_IF, FILE_NON_DIRECTORY_FILE, 0,
                                  &fcb, &information);

    if (!NT_SUCCESS(status))
        return status;
    status = RamFsWriteData(vcb, fcb, 0, text, (ULONG)strlen(text), &written);
    RamFsTestClose(vcb, fcb);
    return status;
}

RAMFS_FCB *RamFsTestFind(RAMFS_VCB *vcb, const char *path)
{
    RAMFS_FCB *fcb;

    return NT_SUCCESS(RamFsLookupPath(vcb, U(path), &fcb, NULL, NULL)) ? fcb : NULL;
}

const char *RamFsTestName(const UNICODE_STRING *name)
{
    static char text[4][300];
    static int next;
    int slot = next++ % 4;
    USHORT count = name->Length / sizeof(WCHAR);

    for (USHORT i = 0; i < count && i < 299; i++)
        text[slot][i] = (char)name->Buffer[i];
    text[slot][count < 299 ? count : 299] = 0;
    return text[slot];
}
