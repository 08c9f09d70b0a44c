// The file services in short forms, for the RAM file system's tests.

#include "tests/user/tramfs/tramfs.h"

NTSTATUS TrOpen(const WCHAR *path, ACCESS_MASK access, ULONG disposition, ULONG options,
                HANDLE *file)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;

    *file = NULL;
    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    return NtCreateFile(file, access, &attributes, &io, NULL, 0,
                        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, disposition,
                        options, NULL, 0);
}

NTSTATUS TrRead(HANDLE file, ULONG64 offset, void *buffer, ULONG length, IO_STATUS_BLOCK *io)
{
    LARGE_INTEGER at;

    at.QuadPart = (LONGLONG)offset;
    return NtReadFile(file, NULL, NULL, NULL, io, buffer, length, &at, NULL);
}

NTSTATUS TrWrite(HANDLE file, ULONG64 offset, const void *buffer, ULONG length,
                 IO_STATUS_BLOCK *io)
{
    LARGE_INTEGER at;

    at.QuadPart = (LONGLONG)offset;
    return NtWriteFile(file, NULL, NULL, NULL, io, (void *)buffer, length, &at, NULL);
}

NTSTATUS TrDelete(HANDLE file)
{
    FILE_DISPOSITION_INFORMATION disposition = {TRUE};
    IO_STATUS_BLOCK io;

    return NtSetInformationFile(file, &io, &disposition, sizeof(disposition),
                                FileDispositionInformation);
}

NTSTATUS TrRename(HANDLE file, const WCHAR *path, BOOLEAN replace)
{
    union {
        FILE_RENAME_INFORMATION Information;
        UCHAR Bytes[sizeof(FILE_RENAME_INFORMATION) + 256 * sizeof(WCHAR)];
    } rename;
    IO_STATUS_BLOCK io;
    ULONG length = 0;

    while (path[length] && length < 256)
        length++;
    memset(&rename, 0, sizeof(rename));
    rename.Information.ReplaceIfExists = replace;
    rename.Information.FileNameLength = length * sizeof(WCHAR);
    memcpy(rename.Information.FileName, path, length * sizeof(WCHAR));
    return NtSetInformationFile(file, &io, &rename,
                                offsetof(FILE_RENAME_INFORMATION, FileName) +
                                    length * sizeof(WCHAR),
                                FileRenameInformation);
}

NTSTATUS TrList(HANDLE directory, const WCHAR *pattern, BOOLEAN restart, BOOLEAN single,
                char *names, ULONG size)
{
    // Room for about two entries: the listing takes several calls.
    ULONG64 buffer[(sizeof(FILE_DIRECTORY_INFORMATION) * 2 + 32) / sizeof(ULONG64)];
    UNICODE_STRING expression;
    IO_STATUS_BLOCK io;
    ULONG used = 0;
    NTSTATUS status, first = STATUS_SUCCESS;
    BOOLEAN again = restart;

    names[0] = 0;
    if (pattern)
        RtlInitUnicodeString(&expression, pattern);
    for (ULONG call = 0;; call++) {
        UCHAR *entry = (UCHAR *)buffer;

        status = NtQueryDirectoryFile(directory, NULL, NULL, NULL, &io, buffer, sizeof(buffer),
                                      FileDirectoryInformation, single,
                                      pattern ? &expression : NULL, again);
        if (call == 0)
            first = status;
        if (!NT_SUCCESS(status))
            break;
        again = FALSE;
        for (;;) {
            FILE_DIRECTORY_INFORMATION *information = (FILE_DIRECTORY_INFORMATION *)entry;

            for (ULONG i = 0; i < information->FileNameLength / sizeof(WCHAR); i++) {
                if (used + 2 < size) {
                    if (i == 0 && used)
                        names[used++] = ',';
                    names[used++] = (char)information->FileName[i];
                }
            }
            names[used] = 0;
            if (!information->NextEntryOffset)
                break;
            entry += information->NextEntryOffset;
        }
        if (single)
            return status;
    }
    // A listing that returned entries ended well.
    return used ? STATUS_SUCCESS : first;
}
