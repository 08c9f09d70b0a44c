// The RAM file system through the Nt*File services (docs/filesystem.md):
// the tree unpacked from the boot archive, reads, writes, directory
// listings, rename and delete, the errors, and the encrypted file whose
// open asks KSecDD, which asks lsass (a child of this program, started
// and killed here) for the file's key. tests/kernel/test_ramfs.c loads the
// drivers and runs this program with the pool leak check: every file made
// here is deleted again.

#include "tests/user/tramfs/tramfs.h"

UTEST(ReadsAFileOfTheBootTree)
{
    char buffer[64] = {0};
    IO_STATUS_BLOCK io;
    HANDLE file;

    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\fox.txt", FILE_READ_DATA, FILE_OPEN, 0, &file),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrRead(file, 0, buffer, sizeof(buffer) - 1, &io), STATUS_SUCCESS);
    UT_EXPECT_EQ(io.Information, strlen(TR_FOX));
    UT_EXPECT(!strcmp(buffer, TR_FOX));
    // At the end: nothing more.
    UT_EXPECT_STATUS(TrRead(file, io.Information, buffer, 1, &io), STATUS_END_OF_FILE);
    NtClose(file);
    // The name ignores case, as NT's file systems do, and the device's own
    // name reaches the same file.
    UT_EXPECT_STATUS(TrOpen(u"\\Device\\RamVolume0\\TESTS\\Fox.TXT", FILE_READ_DATA, FILE_OPEN,
                            0, &file),
                     STATUS_SUCCESS);
    NtClose(file);
}

UTEST(SynchronousHandleReadsFromItsFilePointer)
{
    char first[5] = {0}, second[6] = {0};
    IO_STATUS_BLOCK io;
    HANDLE file;

    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\fox.txt", FILE_READ_DATA | SYNCHRONIZE, FILE_OPEN,
                            FILE_SYNCHRONOUS_IO_NONALERT, &file),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtReadFile(file, NULL, NULL, NULL, &io, first, 4, NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtReadFile(file, NULL, NULL, NULL, &io, second, 5, NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT(!strcmp(first, "The ") && !strcmp(second, "quick"));
    NtClose(file);
}

UTEST(WritesGrowAFileThatReadsBack)
{
    FILE_STANDARD_INFORMATION standard;
    char buffer[16] = {0};
    IO_STATUS_BLOCK io;
    HANDLE file;

    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\grow.txt", FILE_READ_DATA | FILE_WRITE_DATA | DELETE,
                            FILE_CREATE, FILE_NON_DIRECTORY_FILE, &file),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrWrite(file, 0, "hello", 5, &io), STATUS_SUCCESS);
    UT_EXPECT_EQ(io.Information, 5);
    // Past the end: the gap reads as zeros.
    UT_EXPECT_STATUS(TrWrite(file, 8, "end", 3, &io), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &io, &standard, sizeof(standard),
                                            FileStandardInformation),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(standard.EndOfFile.QuadPart, 11);
    UT_EXPECT(!standard.Directory);
    UT_EXPECT_STATUS(TrRead(file, 0, buffer, sizeof(buffer), &io), STATUS_SUCCESS);
    UT_EXPECT_EQ(io.Information, 11);
    UT_EXPECT(!memcmp(buffer, "hello\0\0\0end", 11));
    UT_EXPECT_STATUS(TrDelete(file), STATUS_SUCCESS);
    NtClose(file);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\grow.txt", FILE_READ_DATA, FILE_OPEN, 0, &file),
                     STATUS_OBJECT_NAME_NOT_FOUND);
}

UTEST(ListsADirectoryWithAPatternAndARestart)
{
    HANDLE directory;
    char names[128];

    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\listing", FILE_LIST_DIRECTORY, FILE_OPEN,
                            FILE_DIRECTORY_FILE, &directory),
                     STATUS_SUCCESS);
    // Sorted ignoring case, names as they were made.
    UT_EXPECT_STATUS(TrList(directory, NULL, TRUE, FALSE, names, sizeof(names)), STATUS_SUCCESS);
    UT_EXPECT(!strcmp(names, "alpha.txt,Beta.txt,gamma.log"));
    UT_EXPECT_STATUS(TrList(directory, NULL, FALSE, FALSE, names, sizeof(names)),
                     STATUS_NO_MORE_FILES);
    UT_EXPECT_STATUS(TrList(directory, u"*.TXT", TRUE, FALSE, names, sizeof(names)),
                     STATUS_SUCCESS);
    UT_EXPECT(!strcmp(names, "alpha.txt,Beta.txt"));
    // One at a time.
    UT_EXPECT_STATUS(TrList(directory, u"*", TRUE, TRUE, names, sizeof(names)), STATUS_SUCCESS);
    UT_EXPECT(!strcmp(names, "alpha.txt"));
    UT_EXPECT_STATUS(TrList(directory, NULL, FALSE, TRUE, names, sizeof(names)), STATUS_SUCCESS);
    UT_EXPECT(!strcmp(names, "Beta.txt"));
    UT_EXPECT_STATUS(TrList(directory, u"*.exe", TRUE, FALSE, names, sizeof(names)),
                     STATUS_NO_SUCH_FILE);
    NtClose(directory);
}

UTEST(RenamesAndDeletesAtTheLastClose)
{
    HANDLE file, second;
    IO_STATUS_BLOCK io;
    char buffer[8] = {0};

    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\old.txt", FILE_WRITE_DATA | DELETE, FILE_CREATE, 0,
                            &file),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrWrite(file, 0, "moved", 5, &io), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrRename(file, u"\\tests\\new.txt", FALSE), STATUS_SUCCESS);
    NtClose(file);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\old.txt", FILE_READ_DATA, FILE_OPEN, 0, &file),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\new.txt", FILE_READ_DATA | DELETE, FILE_OPEN, 0,
                            &file),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrRead(file, 0, buffer, 5, &io), STATUS_SUCCESS);
    UT_EXPECT(!strcmp(buffer, "moved"));
    // Onto a file that exists: only when asked to replace it.
    UT_EXPECT_STATUS(TrRename(file, u"\\tests\\fox.txt", FALSE), STATUS_OBJECT_NAME_COLLISION);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\new.txt", FILE_READ_DATA, FILE_OPEN, 0, &second),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrDelete(file), STATUS_SUCCESS);
    NtClose(file);
    // Still there while a handle is open, but no new open.
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\new.txt", FILE_READ_DATA, FILE_OPEN, 0, &file),
                     STATUS_DELETE_PENDING);
    NtClose(second);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\new.txt", FILE_READ_DATA, FILE_OPEN, 0, &file),
                     STATUS_OBJECT_NAME_NOT_FOUND);
}

UTEST(DirectoriesAreMadeAndMustBeEmptyToGo)
{
    HANDLE directory, file;

    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\made", FILE_LIST_DIRECTORY | DELETE, FILE_CREATE,
                            FILE_DIRECTORY_FILE, &directory),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\made\\inner.txt", FILE_WRITE_DATA | DELETE, FILE_CREATE,
                            0, &file),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrDelete(directory), STATUS_DIRECTORY_NOT_EMPTY);
    UT_EXPECT_STATUS(TrDelete(file), STATUS_SUCCESS);
    NtClose(file);
    UT_EXPECT_STATUS(TrDelete(directory), STATUS_SUCCESS);
    NtClose(directory);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\made", FILE_LIST_DIRECTORY, FILE_OPEN, 0, &directory),
                     STATUS_OBJECT_NAME_NOT_FOUND);
}

UTEST(BadRequestsGetTheirStatus)
{
    IO_STATUS_BLOCK io;
    HANDLE file;
    char buffer[4];

    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\fox.txt", FILE_READ_DATA, FILE_CREATE, 0, &file),
                     STATUS_OBJECT_NAME_COLLISION);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\nowhere\\x.txt", FILE_READ_DATA, FILE_OPEN, 0, &file),
                     STATUS_OBJECT_PATH_NOT_FOUND);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests", FILE_READ_DATA, FILE_OPEN,
                            FILE_NON_DIRECTORY_FILE, &file),
                     STATUS_FILE_IS_A_DIRECTORY);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\fox.txt", FILE_READ_DATA, FILE_OPEN,
                            FILE_DIRECTORY_FILE, &file),
                     STATUS_NOT_A_DIRECTORY);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\bad*name", FILE_READ_DATA, FILE_CREATE, 0, &file),
                     STATUS_OBJECT_NAME_INVALID);
    // A read-only file opens for reading only.
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\readonly.txt", FILE_WRITE_DATA, FILE_OPEN, 0,
                            &file),
                     STATUS_ACCESS_DENIED);
    // A directory has no bytes.
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests", FILE_READ_DATA, FILE_OPEN, 0, &file),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrRead(file, 0, buffer, sizeof(buffer), &io), STATUS_INVALID_DEVICE_REQUEST);
    NtClose(file);
}

// Buffers too short for what they are asked to hold, and lengths that lie.
UTEST(ShortBuffersAndBadLengthsGetAStatus)
{
    union {
        FILE_NAME_INFORMATION Name;
        FILE_DIRECTORY_INFORMATION Entry;
        FILE_RENAME_INFORMATION Rename;
        UCHAR Bytes[160];
    } buffer;
    IO_STATUS_BLOCK io;
    HANDLE file, directory;
    UNICODE_STRING alpha;

    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\fox.txt", FILE_READ_ATTRIBUTES | DELETE,
                            FILE_OPEN, 0, &file),
                     STATUS_SUCCESS);
    // The name cut short: what fits, and the whole name's length.
    memset(&buffer, 0, sizeof(buffer));
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &io, &buffer, sizeof(ULONG) + 3 * sizeof(WCHAR),
                                            FileNameInformation),
                     STATUS_BUFFER_OVERFLOW);
    UT_EXPECT_EQ(buffer.Name.FileNameLength, sizeof(u"\\tests\\fox.txt") - sizeof(WCHAR));
    UT_EXPECT(buffer.Name.FileName[0] == '\\' && buffer.Name.FileName[1] == 't');
    // A rename whose name runs past its buffer, and one to a bad name.
    memset(&buffer, 0, sizeof(buffer));
    buffer.Rename.FileNameLength = 0x1000;
    UT_EXPECT(NtSetInformationFile(file, &io, &buffer, sizeof(buffer), FileRenameInformation) !=
              STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrRename(file, u"\\tests\\bad|name", FALSE), STATUS_OBJECT_NAME_INVALID);
    // Relative to a directory handle: not read as a path from the root.
    memset(&buffer, 0, sizeof(buffer));
    buffer.Rename.RootDirectory = file;
    buffer.Rename.FileNameLength = 2 * sizeof(WCHAR);
    buffer.Rename.FileName[0] = 'z';
    buffer.Rename.FileName[1] = 'z';
    UT_EXPECT(NtSetInformationFile(file, &io, &buffer, sizeof(buffer), FileRenameInformation) !=
              STATUS_SUCCESS);
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\zz", FILE_READ_ATTRIBUTES, FILE_OPEN, 0, &directory),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(TrRename(file, u"\\nowhere\\fox.txt", FALSE),
                     STATUS_OBJECT_PATH_NOT_FOUND);
    NtClose(file);
    // A directory entry whose name does not fit: what fits of it, and the
    // listing goes on after it.
    UT_EXPECT_STATUS(TrOpen(u"\\??\\R:\\tests\\listing", FILE_LIST_DIRECTORY, FILE_OPEN,
                            FILE_DIRECTORY_FILE, &directory),
                     STATUS_SUCCESS);
    RtlInitUnicodeString(&alpha, u"alpha.txt");
    UT_EXPECT_STATUS(NtQueryDirectoryFile(directory, NULL, NULL, NULL, &io, &buffer,
                                          sizeof(FILE_DIRECTORY_INFORMATION),
                                          FileDirectoryInformation, FALSE, NULL, TRUE),
                     STATUS_BUFFER_OVERFLOW);
    UT_EXPECT_EQ(buffer.Entry.FileNameLength, 18);
    UT_EXPECT(buffer.Entry.FileName[0] == 'a' && buffer.Entry.FileName[1] == 'l');
    UT_EXPECT_STATUS(NtQueryDirectoryFile(directory, NULL, NULL, NULL, &io, &buffer,
                                          sizeof(buffer), FileDirectoryInformation, TRUE, NULL,
                                          FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT(buffer.Entry.FileName[0] == 'B');
    // Too short for even an entry's fixed part.
    UT_EXPECT(NtQueryDirectoryFile(directory, NULL, NULL, NULL, &io, &buffer, 8,
                                   FileDirectoryInformation, FALSE, &alpha, TRUE) !=
              STATUS_SUCCESS);
    NtClose(directory);
}

// Opens share a file as their share modes allow, NT's rules.
UTEST(ShareModesAreHonoured)
{
    UNICODE_STRING name = UT_NAME(u"\\??\\R:\\tests\\fox.txt");
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;
    HANDLE reader, other;

    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    UT_EXPECT_STATUS(NtOpenFile(&reader, FILE_READ_DATA, &attributes, &io, FILE_SHARE_READ, 0),
                     STATUS_SUCCESS);
    // Another reader may come; a writer may not, nor a reader that will not
    // share reading with the first.
    UT_EXPECT_STATUS(NtOpenFile(&other, FILE_READ_DATA, &attributes, &io, FILE_SHARE_READ, 0),
                     STATUS_SUCCESS);
    NtClose(other);
    UT_EXPECT_STATUS(NtOpenFile(&other, FILE_WRITE_DATA, &attributes, &io,
                                FILE_SHARE_READ | FILE_SHARE_WRITE, 0),
                     STATUS_SHARING_VIOLATION);
    UT_EXPECT_STATUS(NtOpenFile(&other, FILE_READ_DATA, &attributes, &io, FILE_SHARE_WRITE, 0),
                     STATUS_SHARING_VIOLATION);
    // Attributes only: no data access, no conflict.
    UT_EXPECT_STATUS(NtOpenFile(&other, FILE_READ_ATTRIBUTES, &attributes, &io, 0, 0),
                     STATUS_SUCCESS);
    NtClose(other);
    NtClose(reader);
    // The reader gone, the writer may come.
    UT_EXPECT_STATUS(NtOpenFile(&other, FILE_WRITE_DATA, &attributes, &io, 0, 0), STATUS_SUCCESS);
    NtClose(other);
}

static const UTEST TramfsTests[] = {
    UT_ENTRY(ReadsAFileOfTheBootTree),
    UT_ENTRY(SynchronousHandleReadsFromItsFilePointer),
    UT_ENTRY(WritesGrowAFileThatReadsBack),
    UT_ENTRY(ListsADirectoryWithAPatternAndARestart),
    UT_ENTRY(RenamesAndDeletesAtTheLastClose),
    UT_ENTRY(DirectoriesAreMadeAndMustBeEmptyToGo),
    UT_ENTRY(BadRequestsGetTheirStatus),
    UT_ENTRY(ShortBuffersAndBadLengthsGetAStatus),
    UT_ENTRY(ShareModesAreHonoured),
    // efs.c: before lsass runs, then with lsass.
    UT_ENTRY(EncryptedFileNeedsLsass),
    UT_ENTRY(EncryptedOpenWaitsForLsassOnBehalfOfTheOpener),
    UT_ENTRY(EncryptedFileOpensForItsUserOnly),
    UT_ENTRY(EncryptedFileGrowsWithZeros),
    UT_ENTRY(LsassGivesKeysToTheKernelOnly),
    UT_ENTRY(KsecddRefusesAProgramsDeviceControl),
};

int main(void)
{
    char line[32];
    int failed;

    UtCommandLineText(line, sizeof(line));
    if (!strcmp(line, "tramfs keywait"))
        return TrKeyWaitChild();
    if (!strcmp(line, "tramfs standin"))
        return TrLsaStandIn();
    failed = UT_RUN_ALL("tramfs", TramfsTests);
    TrStopLsass();
    return failed;
}
