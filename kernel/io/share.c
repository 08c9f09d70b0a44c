// Share access, for file systems: each open of a file says what it will do
// (read, write, delete) and what it lets later opens do; a file system
// keeps one SHARE_ACCESS per file and asks here whether a new open fits
// with the ones already counted (NT's rules). The file object records its
// own part, so that its cleanup can take it away again.

#include "io/iop.h"

static void IopShareParts(ACCESS_MASK desiredAccess, ULONG desiredShareAccess,
                          FILE_OBJECT *fileObject)
{
    fileObject->ReadAccess = (desiredAccess & (FILE_EXECUTE | FILE_READ_DATA)) != 0;
    fileObject->WriteAccess = (desiredAccess & (FILE_WRITE_DATA | FILE_APPEND_DATA)) != 0;
    fileObject->DeleteAccess = (desiredAccess & DELETE) != 0;
    fileObject->SharedRead = (desiredShareAccess & FILE_SHARE_READ) != 0;
    fileObject->SharedWrite = (desiredShareAccess & FILE_SHARE_WRITE) != 0;
    fileObject->SharedDelete = (desiredShareAccess & FILE_SHARE_DELETE) != 0;
}

static BOOLEAN IopUsesFile(const FILE_OBJECT *fileObject)
{
    return fileObject->ReadAccess || fileObject->WriteAccess || fileObject->DeleteAccess;
}

NTSTATUS IoCheckShareAccess(ACCESS_MASK desiredAccess, ULONG desiredShareAccess,
                            FILE_OBJECT *fileObject, SHARE_ACCESS *shareAccess, BOOLEAN update)
{
    IopShareParts(desiredAccess, desiredShareAccess, fileObject);
    // An open that neither reads, writes nor deletes shares with anything.
    if (!IopUsesFile(fileObject))
        return STATUS_SUCCESS;
    if ((fileObject->ReadAccess && shareAccess->SharedRead < shareAccess->OpenCount) ||
        (fileObject->WriteAccess && shareAccess->SharedWrite < shareAccess->OpenCount) ||
        (fileObject->DeleteAccess && shareAccess->SharedDelete < shareAccess->OpenCount) ||
        (shareAccess->Readers && !fileObject->SharedRead) ||
        (shareAccess->Writers && !fileObject->SharedWrite) ||
        (shareAccess->Deleters && !fileObject->SharedDelete))
        return STATUS_SHARING_VIOLATION;
    if (update) {
        shareAccess->OpenCount++;
        shareAccess->Readers += fileObject->ReadAccess;
        shareAccess->Writers += fileObject->WriteAccess;
        shareAccess->Deleters += fileObject->DeleteAccess;
        shareAccess->SharedRead += fileObject->SharedRead;
        shareAccess->SharedWrite += fileObject->SharedWrite;
        shareAccess->SharedDelete += fileObject->SharedDelete;
    }
    return STATUS_SUCCESS;
}

void IoSetShareAccess(ACCESS_MASK desiredAccess, ULONG desiredShareAccess,
                      FILE_OBJECT *fileObject, SHARE_ACCESS *shareAccess)
{
    memset(shareAccess, 0, sizeof(*shareAccess));
    IopShareParts(desiredAccess, desiredShareAccess, fileObject);
    if (!IopUsesFile(fileObject))
        return;
    shareAccess->OpenCount = 1;
    shareAccess->Readers = fileObject->ReadAccess;
    shareAccess->Writers = fileObject->WriteAccess;
    shareAccess->Deleters = fileObject->DeleteAccess;
    shareAccess->SharedRead = fileObject->SharedRead;
    shareAccess->SharedWrite = fileObject->SharedWrite;
    shareAccess->SharedDelete = fileObject->SharedDelete;
}

void IoRemoveShareAccess(FILE_OBJECT *fileObject, SHARE_ACCESS *shareAccess)
{
    if (!IopUsesFile(fileObject))
        return;
    shareAccess->OpenCount--;
    shareAccess->Readers -= fileObject->ReadAccess;
    shareAccess->Writers -= fileObject->WriteAccess;
    shareAccess->Deleters -= fileObject->DeleteAccess;
    shareAccess->SharedRead -= fileObject->SharedRead;
    shareAccess->SharedWrite -= fileObject->SharedWrite;
    shareAccess->SharedDelete -= fileObject->SharedDelete;
}
