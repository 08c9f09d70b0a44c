// User-mode tests of the file services against the in-kernel test drivers
// (tests/kernel/ktio.c, loaded by the KTEST that runs this program): every
// service and its error paths (pointers, handles of other types, access,
// lengths, classes, names), synchronous and asynchronous file objects, the
// I/O status block, event and APC routine of a completed request, requests
// that pend, fail, are cancelled, and a process killed with I/O pending.
// Its child ("tio hold") is that process.

#include "tests/user/uthread.h"
#include "tests/kernel/ktiodev.h"

#define SENTINEL ((NTSTATUS)0x12345678)
#define SYNC_OPEN FILE_SYNCHRONOUS_IO_NONALERT

static HANDLE Open(const WCHAR *path, ACCESS_MASK access, ULONG options, NTSTATUS expected)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK iosb = {.Status = SENTINEL};
    HANDLE handle = NULL;
    NTSTATUS status;

    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = NtOpenFile(&handle, access, &attributes, &iosb, FILE_SHARE_READ, options);
    UT_EXPECT_STATUS(status, expected);
    if (NT_SUCCESS(status))
        UT_EXPECT_EQ(iosb.Information, FILE_OPENED);
    return NT_SUCCESS(status) ? handle : NULL;
}

static KTIO_CREATE_RECORD LastCreate(HANDLE anyOnSyncDevice)
{
    KTIO_CREATE_RECORD record;
    IO_STATUS_BLOCK iosb;

    memset(&record, 0, sizeof(record));
    UT_EXPECT_STATUS(NtDeviceIoControlFile(anyOnSyncDevice, NULL, NULL, NULL, &iosb,
                                           IOCTL_KTIO_LAST_CREATE, NULL, 0, &record,
                                           sizeof(record)),
                     STATUS_SUCCESS);
    return record;
}

static BOOLEAN NameIs(const KTIO_CREATE_RECORD *record, const WCHAR *expected)
{
    ULONG length = 0;

    while (expected[length])
        length++;
    return record->NameLength == length * sizeof(WCHAR) &&
           memcmp(record->Name, expected, record->NameLength) == 0;
}

static ULONG HeldCount(void)
{
    HANDLE control = Open(KTIO_PEND_DEVICE, FILE_READ_DATA | SYNCHRONIZE, SYNC_OPEN,
                          STATUS_SUCCESS);
    IO_STATUS_BLOCK iosb;
    ULONG count = 0xFFFFFFFF;

    UT_EXPECT_STATUS(NtDeviceIoControlFile(control, NULL, NULL, NULL, &iosb,
                                           IOCTL_KTIO_HELD_COUNT, NULL, 0, &count,
                                           sizeof(count)),
                     STATUS_SUCCESS);
    NtClose(control);
    return count;
}

static void CompleteHeld(NTSTATUS with)
{
    HANDLE control = Open(KTIO_PEND_DEVICE, FILE_READ_DATA | SYNCHRONIZE, SYNC_OPEN,
                          STATUS_SUCCESS);
    IO_STATUS_BLOCK iosb;

    UT_EXPECT_STATUS(NtDeviceIoControlFile(control, NULL, NULL, NULL, &iosb,
                                           IOCTL_KTIO_COMPLETE_HELD, &with, sizeof(with), NULL,
                                           0),
                     STATUS_SUCCESS);
    NtClose(control);
}

static BOOLEAN WaitForHeld(ULONG count)
{
    LARGE_INTEGER tick = UtMilliseconds(10);

    for (int i = 0; i < UT_THREAD_PATIENCE_MS / 10; i++) {
        if (HeldCount() >= count)
            return TRUE;
        NtDelayExecution(FALSE, &tick);
    }
    UtFail(__FILE__, __LINE__, "the pend device never held %u requests", count);
    return FALSE;
}

static HANDLE NewEvent(void)
{
    HANDLE event = NULL;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    return event;
}

static LONG EventState(HANDLE event)
{
    EVENT_BASIC_INFORMATION info;

    UT_EXPECT_STATUS(NtQueryEvent(event, EventBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    return info.EventState;
}

static volatile LONG ApcRuns;
static void *ApcContextSeen;
static IO_STATUS_BLOCK *ApcIosbSeen;

static void NTAPI CountingApc(void *context, IO_STATUS_BLOCK *iosb, ULONG reserved)
{
    ApcRuns++;
    ApcContextSeen = context;
    ApcIosbSeen = iosb;
}

// ---- Opening ---------------------------------------------------------------------------

UTEST(OpenSendsTheNameAfterTheDeviceAndTheCreateParameters)
{
    UNICODE_STRING name = UT_NAME(u"\\Device\\KtIoSync\\dir\\file.txt");
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK iosb = {.Status = SENTINEL};
    KTIO_CREATE_RECORD record;
    HANDLE handle = NULL;

    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    UT_EXPECT_STATUS(NtCreateFile(&handle, GENERIC_READ | SYNCHRONIZE, &attributes, &iosb, NULL,
                                  FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                  FILE_OPEN_IF, SYNC_OPEN | FILE_NON_DIRECTORY_FILE, NULL, 0),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(iosb.Status, STATUS_SUCCESS);
    UT_EXPECT_EQ(iosb.Information, FILE_OPENED);
    record = LastCreate(handle);
    UT_EXPECT(NameIs(&record, u"\\dir\\file.txt"));
    UT_EXPECT_EQ(record.Options, (FILE_OPEN_IF << 24) | SYNC_OPEN | FILE_NON_DIRECTORY_FILE);
    UT_EXPECT_EQ(record.FileAttributes, FILE_ATTRIBUTE_NORMAL);
    UT_EXPECT_EQ(record.ShareAccess, FILE_SHARE_READ | FILE_SHARE_WRITE);
    UT_EXPECT(record.DesiredAccess & GENERIC_READ);
    NtClose(handle);

    // The device itself: an empty name; through a link in \??: its rest.
    handle = Open(KTIO_SYNC_DEVICE, FILE_READ_DATA | SYNCHRONIZE, SYNC_OPEN, STATUS_SUCCESS);
    record = LastCreate(handle);
    UT_EXPECT_EQ(record.NameLength, 0);
    NtClose(handle);
    handle = Open(KTIO_SYNC_LINK u"\\linked", FILE_READ_DATA, 0, STATUS_SUCCESS);
    record = LastCreate(handle);
    UT_EXPECT(NameIs(&record, u"\\linked"));
    NtClose(handle);
}

UTEST(OpenRelativeToADirectoryFile)
{
    HANDLE directory = Open(KTIO_SYNC_DEVICE u"\\dir", FILE_LIST_DIRECTORY, 0, STATUS_SUCCESS);
    UNICODE_STRING name = UT_NAME(u"inner");
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK iosb;
    KTIO_CREATE_RECORD record;
    HANDLE handle = NULL;

    InitializeObjectAttributes(&attributes, &name, 0, directory, NULL);
    UT_EXPECT_STATUS(NtOpenFile(&handle, FILE_READ_DATA, &attributes, &iosb, 0, 0),
                     STATUS_SUCCESS);
    if (handle) {
        record = LastCreate(handle);
        UT_EXPECT(NameIs(&record, u"inner"));
        NtClose(handle);
    }
    // An absolute name with a root is refused before any driver sees it.
    name = UT_NAME(u"\\inner");
    UT_EXPECT_STATUS(NtOpenFile(&handle, FILE_READ_DATA, &attributes, &iosb, 0, 0),
                     STATUS_OBJECT_PATH_SYNTAX_BAD);
    NtClose(directory);
}

UTEST(OpenChecksParametersInNtOrder)
{
    UNICODE_STRING name = UT_NAME(KTIO_SYNC_DEVICE);
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK iosb;
    HANDLE handle;

    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
#define CREATE(access, attrs, share, disposition, options)                                   \
    NtCreateFile(&handle, access, &attributes, &iosb, NULL, attrs, share, disposition, options, \
                 NULL, 0)
    UT_EXPECT_STATUS(CREATE(FILE_READ_DATA, 0x10000000, 0, FILE_OPEN, 0),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(CREATE(FILE_READ_DATA, 0, 8, FILE_OPEN, 0), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(CREATE(FILE_READ_DATA, 0, 0, FILE_MAXIMUM_DISPOSITION + 1, 0),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(CREATE(FILE_READ_DATA, 0, 0, FILE_OPEN, 0x01000000),
                     STATUS_INVALID_PARAMETER);
    // Synchronous needs SYNCHRONIZE, and is alertable or not, not both.
    UT_EXPECT_STATUS(CREATE(FILE_READ_DATA, 0, 0, FILE_OPEN, SYNC_OPEN),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(CREATE(FILE_READ_DATA | SYNCHRONIZE, 0, 0, FILE_OPEN,
                            FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(CREATE(FILE_READ_DATA, 0, 0, FILE_OPEN, FILE_DELETE_ON_CLOSE),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(CREATE(FILE_READ_DATA, 0, 0, FILE_OPEN,
                            FILE_DIRECTORY_FILE | FILE_NON_DIRECTORY_FILE),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(CREATE(FILE_READ_DATA, 0, 0, FILE_OVERWRITE, FILE_DIRECTORY_FILE),
                     STATUS_INVALID_PARAMETER);
    // Then the pointers.
    UT_EXPECT_STATUS(NtCreateFile(UT_BAD_POINTER, FILE_READ_DATA, &attributes, &iosb, NULL, 0,
                                  0, FILE_OPEN, 0, NULL, 0),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateFile(&handle, FILE_READ_DATA, &attributes, UT_KERNEL_POINTER, NULL,
                                  0, 0, FILE_OPEN, 0, NULL, 0),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateFile(&handle, FILE_READ_DATA, &attributes, &iosb, UT_BAD_POINTER, 0,
                                  0, FILE_OPEN, 0, NULL, 0),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateFile(&handle, FILE_READ_DATA, UT_BAD_POINTER, &iosb, NULL, 0, 0,
                                  FILE_OPEN, 0, NULL, 0),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCreateFile(&handle, FILE_READ_DATA, &attributes, &iosb, NULL, 0, 0,
                                  FILE_OPEN, 0, UT_BAD_POINTER, 16),
                     STATUS_ACCESS_VIOLATION);
#undef CREATE
}

UTEST(OpenOfWhatIsNotAFileFails)
{
    UNICODE_STRING name = UT_NAME(KTIO_SYNC_DEVICE u"\\missing");
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK iosb = {.Status = SENTINEL};
    HANDLE handle;

    // The driver's answer reaches the status block too.
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtOpenFile(&handle, FILE_READ_DATA, &attributes, &iosb, 0, 0),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(iosb.Status, STATUS_OBJECT_NAME_NOT_FOUND);
    // Names the lookup settles alone leave the block alone.
    iosb.Status = SENTINEL;
    name = UT_NAME(u"\\Device\\KtIoNothere");
    UT_EXPECT_STATUS(NtOpenFile(&handle, FILE_READ_DATA, &attributes, &iosb, 0, 0),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    UT_EXPECT_STATUS(iosb.Status, SENTINEL);
    Open(u"\\BaseNamedObjects", FILE_READ_DATA, 0, STATUS_OBJECT_TYPE_MISMATCH);
    Open(u"\\Device", FILE_READ_DATA, 0, STATUS_OBJECT_TYPE_MISMATCH);
    Open(u"\\Nothere\\KtIoSync", FILE_READ_DATA, 0, STATUS_OBJECT_PATH_NOT_FOUND);
    Open(u"relative", FILE_READ_DATA, 0, STATUS_OBJECT_PATH_SYNTAX_BAD);
    UT_EXPECT_STATUS(NtOpenFile(&handle, FILE_READ_DATA, NULL, &iosb, 0, 0),
                     STATUS_INVALID_PARAMETER);
    // A device is not an event, whatever the name says.
    name = UT_NAME(KTIO_SYNC_DEVICE);
    UT_EXPECT_STATUS(NtOpenEvent(&handle, EVENT_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_TYPE_MISMATCH);
    name = UT_NAME(KTIO_SYNC_DEVICE u"\\x");
    UT_EXPECT_STATUS(NtOpenEvent(&handle, EVENT_ALL_ACCESS, &attributes),
                     STATUS_OBJECT_TYPE_MISMATCH);
}

// ---- Reading and writing ---------------------------------------------------------------

UTEST(SynchronousReadsFollowTheFilePointer)
{
    HANDLE file = Open(KTIO_SYNC_DEVICE u"\\f", FILE_READ_DATA | SYNCHRONIZE, SYNC_OPEN,
                       STATUS_SUCCESS);
    FILE_POSITION_INFORMATION position;
    LARGE_INTEGER offset;
    IO_STATUS_BLOCK iosb;
    UCHAR data[16];

    UT_EXPECT_STATUS(NtReadFile(file, NULL, NULL, NULL, &iosb, data, sizeof(data), NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(iosb.Information, sizeof(data));
    UT_EXPECT_EQ(data[0], 0);
    UT_EXPECT_EQ(data[15], 15);
    UT_EXPECT_STATUS(NtReadFile(file, NULL, NULL, NULL, &iosb, data, sizeof(data), NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(data[0], 16);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, &position, sizeof(position),
                                            FilePositionInformation),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(position.CurrentByteOffset.QuadPart, 32);
    position.CurrentByteOffset.QuadPart = 0x1F0;
    UT_EXPECT_STATUS(NtSetInformationFile(file, &iosb, &position, sizeof(position),
                                          FilePositionInformation),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtReadFile(file, NULL, NULL, NULL, &iosb, data, 4, NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(data[0], 0xF0);
    // An offset given wins; past the end: an error, and the block untouched.
    offset.QuadPart = KTIO_SYNC_END_OF_FILE;
    iosb.Status = SENTINEL;
    UT_EXPECT_STATUS(NtReadFile(file, NULL, NULL, NULL, &iosb, data, 4, &offset, NULL),
                     STATUS_END_OF_FILE);
    UT_EXPECT_STATUS(iosb.Status, SENTINEL);
    NtClose(file);
}

UTEST(AsynchronousReadNeedsAnOffsetAndTellsEventAndApc)
{
    HANDLE file = Open(KTIO_SYNC_DEVICE u"\\f", FILE_READ_DATA | SYNCHRONIZE, 0,
                       STATUS_SUCCESS);
    HANDLE unwaitable = Open(KTIO_SYNC_DEVICE u"\\f", FILE_READ_DATA, 0, STATUS_SUCCESS);
    LARGE_INTEGER patience = UtMilliseconds(UT_THREAD_PATIENCE_MS);
    HANDLE event = NewEvent();
    LARGE_INTEGER offset = {.QuadPart = 0x42};
    IO_STATUS_BLOCK iosb = {.Status = SENTINEL};
    UCHAR data[8];

    UT_EXPECT_STATUS(NtReadFile(file, NULL, NULL, NULL, &iosb, data, sizeof(data), NULL, NULL),
                     STATUS_INVALID_PARAMETER);
    ApcRuns = 0;
    UT_EXPECT_STATUS(NtReadFile(file, event, (PIO_APC_ROUTINE)CountingApc, (void *)0xC0FFEE,
                                &iosb, data, sizeof(data), &offset, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(iosb.Status, STATUS_SUCCESS);
    UT_EXPECT_EQ(data[0], 0x42);
    UT_EXPECT_EQ(EventState(event), 1);
    // The APC waits for an alertable moment.
    UT_EXPECT_EQ(ApcRuns, 0);
    NtTestAlert();
    UT_EXPECT_EQ(ApcRuns, 1);
    UT_EXPECT(ApcContextSeen == (void *)0xC0FFEE);
    UT_EXPECT(ApcIosbSeen == &iosb);
    // Without an event of its own, the caller waits on the file handle (it
    // takes SYNCHRONIZE, as on any object).
    UT_EXPECT_STATUS(NtReadFile(file, NULL, NULL, NULL, &iosb, data, sizeof(data), &offset,
                                NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(file, FALSE, &patience), STATUS_WAIT_0);
    UT_EXPECT_STATUS(NtWaitForSingleObject(unwaitable, FALSE, &patience), STATUS_ACCESS_DENIED);
    NtClose(unwaitable);
    NtClose(event);
    NtClose(file);
}

UTEST(ReadAndWriteCheckHandlesAccessAndPointers)
{
    HANDLE readOnly = Open(KTIO_SYNC_DEVICE u"\\f", FILE_READ_DATA | SYNCHRONIZE, SYNC_OPEN,
                           STATUS_SUCCESS);
    HANDLE noRead = Open(KTIO_SYNC_DEVICE u"\\f", FILE_READ_ATTRIBUTES | SYNCHRONIZE,
                         SYNC_OPEN, STATUS_SUCCESS);
    HANDLE appendOnly = Open(KTIO_SYNC_DEVICE u"\\f", FILE_APPEND_DATA | SYNCHRONIZE, SYNC_OPEN,
                             STATUS_SUCCESS);
    HANDLE event = NewEvent();
    IO_STATUS_BLOCK iosb;
    UCHAR data[8] = {0};

    UT_EXPECT_STATUS(NtReadFile(NULL, NULL, NULL, NULL, &iosb, data, 8, NULL, NULL),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtReadFile((HANDLE)0x1230, NULL, NULL, NULL, &iosb, data, 8, NULL, NULL),
                     STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtReadFile(event, NULL, NULL, NULL, &iosb, data, 8, NULL, NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtReadFile(noRead, NULL, NULL, NULL, &iosb, data, 8, NULL, NULL),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtReadFile(readOnly, NULL, NULL, NULL, UT_BAD_POINTER, data, 8, NULL, NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReadFile(readOnly, NULL, NULL, NULL, &iosb, UT_KERNEL_POINTER, 8, NULL,
                                NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReadFile(readOnly, NULL, NULL, NULL, &iosb, data, 8, UT_BAD_POINTER,
                                NULL),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtReadFile(readOnly, readOnly, NULL, NULL, &iosb, data, 8, NULL, NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtReadFile(readOnly, (HANDLE)0x1230, NULL, NULL, &iosb, data, 8, NULL,
                                NULL),
                     STATUS_INVALID_HANDLE);
    // Writing needs write or append access.
    UT_EXPECT_STATUS(NtWriteFile(readOnly, NULL, NULL, NULL, &iosb, data, 8, NULL, NULL),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtWriteFile(appendOnly, NULL, NULL, NULL, &iosb, data, 8, NULL, NULL),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(iosb.Information, 8);
    UT_EXPECT_STATUS(NtWriteFile(appendOnly, NULL, NULL, NULL, &iosb, UT_BAD_POINTER, 8, NULL,
                                 NULL),
                     STATUS_ACCESS_VIOLATION);
    NtClose(event);
    NtClose(appendOnly);
    NtClose(noRead);
    NtClose(readOnly);
}

// ---- Control requests ------------------------------------------------------------------

UTEST(DeviceControlBuffersOrPassesTheCallersAddresses)
{
    HANDLE file = Open(KTIO_SYNC_DEVICE, FILE_READ_DATA | SYNCHRONIZE, SYNC_OPEN,
                       STATUS_SUCCESS);
    HANDLE noAccess = Open(KTIO_SYNC_DEVICE, SYNCHRONIZE, SYNC_OPEN, STATUS_SUCCESS);
    char in[8] = "hello", out[16];
    IO_STATUS_BLOCK iosb;

    memset(out, 0, sizeof(out));
    UT_EXPECT_STATUS(NtDeviceIoControlFile(file, NULL, NULL, NULL, &iosb, IOCTL_KTIO_ECHO, in, 5,
                                           out, sizeof(out)),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(iosb.Information, 5);
    UT_EXPECT(memcmp(out, "hello", 5) == 0);
    memset(out, 0, sizeof(out));
    UT_EXPECT_STATUS(NtDeviceIoControlFile(file, NULL, NULL, NULL, &iosb,
                                           IOCTL_KTIO_ECHO_NEITHER, in, 5, out, sizeof(out)),
                     STATUS_SUCCESS);
    UT_EXPECT(memcmp(out, "hello", 5) == 0);
    // METHOD_NEITHER's bad addresses are the driver's to find.
    UT_EXPECT_STATUS(NtDeviceIoControlFile(file, NULL, NULL, NULL, &iosb,
                                           IOCTL_KTIO_ECHO_NEITHER, UT_KERNEL_POINTER, 5, out,
                                           sizeof(out)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtFsControlFile(file, NULL, NULL, NULL, &iosb, IOCTL_KTIO_ECHO, in, 5, out,
                                     sizeof(out)),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDeviceIoControlFile(file, NULL, NULL, NULL, &iosb, IOCTL_KTIO_DIRECT, in,
                                           5, out, sizeof(out)),
                     STATUS_NOT_SUPPORTED);
    UT_EXPECT_STATUS(NtDeviceIoControlFile(file, NULL, NULL, NULL, &iosb, 0x12345678, NULL, 0,
                                           NULL, 0),
                     STATUS_INVALID_DEVICE_REQUEST);
    UT_EXPECT_STATUS(NtDeviceIoControlFile(file, NULL, NULL, NULL, &iosb, IOCTL_KTIO_ECHO, in, 5,
                                           UT_KERNEL_POINTER, 16),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtDeviceIoControlFile(file, NULL, NULL, NULL, &iosb, IOCTL_KTIO_ECHO,
                                           UT_BAD_POINTER, 5, out, 16),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtDeviceIoControlFile(file, NULL, NULL, NULL, UT_BAD_POINTER,
                                           IOCTL_KTIO_ECHO, in, 5, out, 16),
                     STATUS_ACCESS_VIOLATION);
    // The code's access bits against the handle's.
    UT_EXPECT_STATUS(NtDeviceIoControlFile(file, NULL, NULL, NULL, &iosb, IOCTL_KTIO_NEEDS_READ,
                                           NULL, 0, NULL, 0),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtDeviceIoControlFile(noAccess, NULL, NULL, NULL, &iosb,
                                           IOCTL_KTIO_NEEDS_READ, NULL, 0, NULL, 0),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtDeviceIoControlFile(file, NULL, NULL, NULL, &iosb, IOCTL_KTIO_NEEDS_WRITE,
                                           NULL, 0, NULL, 0),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtDeviceIoControlFile(NtCurrentProcess(), NULL, NULL, NULL, &iosb,
                                           IOCTL_KTIO_ECHO, NULL, 0, NULL, 0),
                     STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(noAccess);
    NtClose(file);
}

// ---- Information --------------------------------------------------------------------

UTEST(QueryInformationChecksClassLengthAccessAndAnswers)
{
    HANDLE file = Open(KTIO_SYNC_DEVICE u"\\named", FILE_READ_DATA | SYNCHRONIZE, SYNC_OPEN,
                       STATUS_SUCCESS);
    HANDLE attributes = Open(KTIO_SYNC_DEVICE u"\\named", FILE_READ_ATTRIBUTES, 0,
                             STATUS_SUCCESS);
    FILE_STANDARD_INFORMATION standard;
    FILE_BASIC_INFORMATION basic;
    FILE_ACCESS_INFORMATION access;
    FILE_MODE_INFORMATION mode;
    union {
        FILE_NAME_INFORMATION Name;
        UCHAR Bytes[64];
    } name;
    IO_STATUS_BLOCK iosb;
    HANDLE event = NewEvent();

    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, &standard, sizeof(standard),
                                            FileStandardInformation),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(standard.EndOfFile.QuadPart, KTIO_SYNC_END_OF_FILE);
    UT_EXPECT_EQ(iosb.Information, sizeof(standard));
    UT_EXPECT_STATUS(NtQueryInformationFile(attributes, &iosb, &standard, sizeof(standard),
                                            FileStandardInformation),
                     STATUS_SUCCESS);       // an asynchronous handle waits just the same
    UT_EXPECT_STATUS(NtQueryInformationFile(attributes, &iosb, &basic, sizeof(basic),
                                            FileBasicInformation),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(basic.FileAttributes, FILE_ATTRIBUTE_NORMAL);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, &basic, sizeof(basic),
                                            FileBasicInformation),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, &access, sizeof(access),
                                            FileAccessInformation),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(access.AccessFlags, FILE_READ_DATA | SYNCHRONIZE);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, &mode, sizeof(mode),
                                            FileModeInformation),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(mode.Mode, FILE_SYNCHRONOUS_IO_NONALERT);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, &name, sizeof(name),
                                            FileNameInformation),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(name.Name.FileNameLength, 12);
    UT_EXPECT(memcmp(name.Name.FileName, u"\\named", 12) == 0);
    // What is wrong, in NT's order: class, length, pointers, handle.
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, &standard, sizeof(standard), 0),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, &standard, sizeof(standard),
                                            FileDirectoryInformation),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, &standard, sizeof(standard),
                                            (FILE_INFORMATION_CLASS)1000),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, &standard, 4, FileStandardInformation),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, UT_KERNEL_POINTER, sizeof(standard),
                                            FileStandardInformation),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, (UCHAR *)&standard + 1,
                                            sizeof(standard), FileStandardInformation),
                     STATUS_DATATYPE_MISALIGNMENT);
    UT_EXPECT_STATUS(NtQueryInformationFile(event, &iosb, &standard, sizeof(standard),
                                            FileStandardInformation),
                     STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(event);
    NtClose(attributes);
    NtClose(file);
}

UTEST(SetInformationChecksAndTheIoManagerKeepsModeAndPosition)
{
    HANDLE file = Open(KTIO_SYNC_DEVICE u"\\s", FILE_READ_DATA | FILE_WRITE_DATA | SYNCHRONIZE,
                       SYNC_OPEN, STATUS_SUCCESS);
    HANDLE readOnly = Open(KTIO_SYNC_DEVICE u"\\s", FILE_READ_DATA, 0, STATUS_SUCCESS);
    FILE_END_OF_FILE_INFORMATION end = {.EndOfFile.QuadPart = 10};
    FILE_MODE_INFORMATION mode = {.Mode = FILE_SYNCHRONOUS_IO_NONALERT | FILE_SEQUENTIAL_ONLY};
    FILE_POSITION_INFORMATION position = {.CurrentByteOffset.QuadPart = -1};
    IO_STATUS_BLOCK iosb;

    UT_EXPECT_STATUS(NtSetInformationFile(file, &iosb, &end, sizeof(end),
                                          FileEndOfFileInformation),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtSetInformationFile(readOnly, &iosb, &end, sizeof(end),
                                          FileEndOfFileInformation),
                     STATUS_ACCESS_DENIED);
    UT_EXPECT_STATUS(NtSetInformationFile(file, &iosb, &mode, sizeof(mode), FileModeInformation),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryInformationFile(file, &iosb, &mode, sizeof(mode),
                                            FileModeInformation),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(mode.Mode, FILE_SYNCHRONOUS_IO_NONALERT | FILE_SEQUENTIAL_ONLY);
    mode.Mode = FILE_SYNCHRONOUS_IO_ALERT;      // the open's mode cannot change
    UT_EXPECT_STATUS(NtSetInformationFile(file, &iosb, &mode, sizeof(mode), FileModeInformation),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtSetInformationFile(file, &iosb, &position, sizeof(position),
                                          FilePositionInformation),
                     STATUS_INVALID_PARAMETER);
    // A class the driver does not take, one that is not a set class, a short buffer.
    UT_EXPECT_STATUS(NtSetInformationFile(file, &iosb, &end, sizeof(end),
                                          FileAllocationInformation),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtSetInformationFile(file, &iosb, &end, sizeof(end),
                                          FileStandardInformation),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtSetInformationFile(file, &iosb, &end, 4, FileEndOfFileInformation),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtSetInformationFile(file, &iosb, UT_BAD_POINTER, sizeof(end),
                                          FileEndOfFileInformation),
                     STATUS_ACCESS_VIOLATION);
    NtClose(readOnly);
    NtClose(file);
}

// ---- Directories ------------------------------------------------------------------------

static ULONG ListNames(HANDLE directory, BOOLEAN single, UNICODE_STRING *pattern,
                       BOOLEAN restart, WCHAR names[][8], NTSTATUS *status)
{
    ULONG64 buffer[64];
    IO_STATUS_BLOCK iosb;
    ULONG count = 0;

    *status = NtQueryDirectoryFile(directory, NULL, NULL, NULL, &iosb, buffer, sizeof(buffer),
                                   FileNamesInformation, single, pattern, restart);
    if (!NT_SUCCESS(*status))
        return 0;
    for (UCHAR *entry = (UCHAR *)buffer;; count++) {
        FILE_NAMES_INFORMATION *names_ = (FILE_NAMES_INFORMATION *)entry;

        memset(names[count], 0, sizeof(names[count]));
        memcpy(names[count], names_->FileName, names_->FileNameLength);
        if (!names_->NextEntryOffset)
            return count + 1;
        entry += names_->NextEntryOffset;
    }
}

UTEST(QueryDirectoryListsEntriesThenNoMoreFiles)
{
    HANDLE directory = Open(KTIO_SYNC_DEVICE u"\\d", FILE_LIST_DIRECTORY | SYNCHRONIZE,
                            SYNC_OPEN, STATUS_SUCCESS);
    UNICODE_STRING pattern = UT_NAME(u"bb");
    WCHAR names[4][8];
    IO_STATUS_BLOCK iosb;
    ULONG64 small[2];
    NTSTATUS status;

    UT_EXPECT_EQ(ListNames(directory, FALSE, NULL, FALSE, names, &status), 3);
    UT_EXPECT(memcmp(names[0], u"a", 4) == 0);
    UT_EXPECT(memcmp(names[2], u"ccc", 8) == 0);
    UT_EXPECT_EQ(ListNames(directory, FALSE, NULL, FALSE, names, &status), 0);
    UT_EXPECT_STATUS(status, STATUS_NO_MORE_FILES);
    UT_EXPECT_EQ(ListNames(directory, TRUE, NULL, TRUE, names, &status), 1);
    UT_EXPECT(memcmp(names[0], u"a", 4) == 0);
    UT_EXPECT_EQ(ListNames(directory, FALSE, &pattern, TRUE, names, &status), 1);
    UT_EXPECT(memcmp(names[0], u"bb", 6) == 0);
    UT_EXPECT_STATUS(NtQueryDirectoryFile(directory, NULL, NULL, NULL, &iosb, small,
                                          sizeof(small), FileBasicInformation, FALSE, NULL,
                                          TRUE),
                     STATUS_INVALID_INFO_CLASS);
    UT_EXPECT_STATUS(NtQueryDirectoryFile(directory, NULL, NULL, NULL, &iosb, small, 4,
                                          FileNamesInformation, FALSE, NULL, TRUE),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtQueryDirectoryFile(directory, NULL, NULL, NULL, &iosb, small,
                                          sizeof(small), FileNamesInformation, FALSE,
                                          UT_BAD_POINTER, TRUE),
                     STATUS_ACCESS_VIOLATION);
    pattern.Length = 3;     // odd
    UT_EXPECT_STATUS(NtQueryDirectoryFile(directory, NULL, NULL, NULL, &iosb, small,
                                          sizeof(small), FileNamesInformation, FALSE, &pattern,
                                          TRUE),
                     STATUS_INVALID_PARAMETER);
    NtClose(directory);
}

// ---- Requests that pend, fail, are cancelled ----------------------------------------------

UTEST(PendingReadIsToldThroughBlockEventAndApc)
{
    HANDLE file = Open(KTIO_PEND_DEVICE, FILE_READ_DATA, 0, STATUS_SUCCESS);
    HANDLE event = NewEvent();
    LARGE_INTEGER offset = {.QuadPart = 0};
    IO_STATUS_BLOCK iosb = {.Status = SENTINEL};
    UCHAR data[16] = {0};

    ApcRuns = 0;
    UT_EXPECT_STATUS(NtReadFile(file, event, (PIO_APC_ROUTINE)CountingApc, NULL, &iosb, data,
                                sizeof(data), &offset, NULL),
                     STATUS_PENDING);
    UT_EXPECT_STATUS(iosb.Status, SENTINEL);
    UT_EXPECT_EQ(EventState(event), 0);
    UT_EXPECT_EQ(HeldCount(), 1);
    CompleteHeld(STATUS_SUCCESS);
    UT_EXPECT_STATUS(iosb.Status, STATUS_SUCCESS);
    UT_EXPECT_EQ(iosb.Information, sizeof(data));
    UT_EXPECT_EQ(data[0], 0x5A);
    UT_EXPECT_EQ(EventState(event), 1);
    UT_EXPECT_STATUS(NtWaitForSingleObject(event, TRUE, NULL), STATUS_USER_APC);
    UT_EXPECT_EQ(ApcRuns, 1);
    // Pended, then failed: the caller is told the failure the same way.
    iosb.Status = SENTINEL;
    UT_EXPECT_STATUS(NtReadFile(file, event, NULL, NULL, &iosb, data, sizeof(data), &offset,
                                NULL),
                     STATUS_PENDING);
    CompleteHeld(STATUS_DEVICE_NOT_READY);
    UT_EXPECT_STATUS(iosb.Status, STATUS_DEVICE_NOT_READY);
    UT_EXPECT_EQ(EventState(event), 1);
    NtClose(event);
    NtClose(file);
}

UTEST(RequestFailedAtOnceTellsOnlyTheStatus)
{
    HANDLE file = Open(KTIO_FAIL_DEVICE, FILE_READ_DATA, 0, STATUS_SUCCESS);
    HANDLE event = NewEvent();
    LARGE_INTEGER offset = {.QuadPart = 0};
    IO_STATUS_BLOCK iosb = {.Status = SENTINEL};
    UCHAR data[4];

    ApcRuns = 0;
    UT_EXPECT_STATUS(NtReadFile(file, event, (PIO_APC_ROUTINE)CountingApc, NULL, &iosb, data,
                                sizeof(data), &offset, NULL),
                     STATUS_DEVICE_NOT_READY);
    UT_EXPECT_STATUS(iosb.Status, SENTINEL);
    UT_EXPECT_EQ(EventState(event), 0);
    NtTestAlert();
    UT_EXPECT_EQ(ApcRuns, 0);
    NtClose(event);
    NtClose(file);
}

UTEST(CancelIoFileCancelsTheCallersRequestsOnTheFile)
{
    HANDLE file = Open(KTIO_PEND_DEVICE, FILE_READ_DATA, 0, STATUS_SUCCESS);
    HANDLE event = NewEvent();
    IO_STATUS_BLOCK first = {.Status = SENTINEL}, second = {.Status = SENTINEL}, cancel;
    LARGE_INTEGER offset = {.QuadPart = 0};
    UCHAR data[4];

    UT_EXPECT_STATUS(NtReadFile(file, NULL, NULL, NULL, &first, data, 4, &offset, NULL),
                     STATUS_PENDING);
    UT_EXPECT_STATUS(NtDeviceIoControlFile(file, event, NULL, NULL, &second, IOCTL_KTIO_HOLD,
                                           NULL, 0, NULL, 0),
                     STATUS_PENDING);
    UT_EXPECT_EQ(HeldCount(), 2);
    UT_EXPECT_STATUS(NtCancelIoFile(file, &cancel), STATUS_SUCCESS);
    UT_EXPECT_STATUS(cancel.Status, STATUS_SUCCESS);
    UT_EXPECT_STATUS(first.Status, STATUS_CANCELLED);
    UT_EXPECT_STATUS(second.Status, STATUS_CANCELLED);
    UT_EXPECT_EQ(EventState(event), 1);
    UT_EXPECT_EQ(HeldCount(), 0);
    UT_EXPECT_STATUS(NtCancelIoFile(file, UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtCancelIoFile(event, &cancel), STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtCancelIoFile(NULL, &cancel), STATUS_INVALID_HANDLE);
    NtClose(event);
    NtClose(file);
}

UTEST(ClosingTheLastHandleEndsHeldRequestsThroughCleanup)
{
    HANDLE file = Open(KTIO_PEND_DEVICE, FILE_READ_DATA, 0, STATUS_SUCCESS);
    HANDLE event = NewEvent();
    IO_STATUS_BLOCK iosb = {.Status = SENTINEL};
    LARGE_INTEGER offset = {.QuadPart = 0};
    UCHAR data[4];

    UT_EXPECT_STATUS(NtReadFile(file, event, NULL, NULL, &iosb, data, 4, &offset, NULL),
                     STATUS_PENDING);
    UT_EXPECT_STATUS(NtClose(file), STATUS_SUCCESS);
    UT_EXPECT_STATUS(iosb.Status, STATUS_CANCELLED);
    UT_EXPECT_EQ(EventState(event), 1);
    UT_EXPECT_EQ(HeldCount(), 0);
    NtClose(event);
}

static NTSTATUS NTAPI SynchronousReader(PVOID argument)
{
    HANDLE file = argument;
    IO_STATUS_BLOCK iosb;
    UCHAR data[8] = {0};
    NTSTATUS status = NtReadFile(file, NULL, NULL, NULL, &iosb, data, sizeof(data), NULL, NULL);

    if (status == STATUS_SUCCESS && (iosb.Information != sizeof(data) || data[7] != 0x5A))
        status = STATUS_UNSUCCESSFUL;
    return status;
}

UTEST(SynchronousHandleWaitsForAPendedRequest)
{
    HANDLE file = Open(KTIO_PEND_DEVICE, FILE_READ_DATA | SYNCHRONIZE, SYNC_OPEN,
                       STATUS_SUCCESS);
    HANDLE thread;

    UT_EXPECT_STATUS(UtStartThread(&thread, SynchronousReader, file), STATUS_SUCCESS);
    if (WaitForHeld(1)) {
        CompleteHeld(STATUS_SUCCESS);
        UT_EXPECT_STATUS(UtJoinThread(thread), STATUS_SUCCESS);
    }
    NtClose(file);
}

// The child: requests held on the pend device, synchronous and not, then
// a wait for the end that its parent brings.
static int HoldAndWait(void)
{
    HANDLE async = Open(KTIO_PEND_DEVICE, FILE_READ_DATA, 0, STATUS_SUCCESS);
    HANDLE sync = Open(KTIO_PEND_DEVICE, FILE_READ_DATA | SYNCHRONIZE, SYNC_OPEN,
                       STATUS_SUCCESS);
    static IO_STATUS_BLOCK iosb[3];
    static UCHAR data[3][64];
    LARGE_INTEGER offset = {.QuadPart = 0};

    for (int i = 0; i < 2; i++)
        NtReadFile(async, NULL, (PIO_APC_ROUTINE)CountingApc, NULL, &iosb[i], data[i], 64,
                   &offset, NULL);
    NtReadFile(sync, NULL, NULL, NULL, &iosb[2], data[2], 64, NULL, NULL);
    return 1;       // only if the sync read ever ended
}

UTEST(KilledProcessWithPendingIoLeavesNothing)
{
    UNICODE_STRING image = UT_NAME(u"tio");
    UNICODE_STRING line = UT_NAME(u"tio hold");
    LARGE_INTEGER patience = UtMilliseconds(UT_THREAD_PATIENCE_MS);
    HANDLE process;

    UT_EXPECT_STATUS(NtCreateProcessFromArchive(&process, NULL, PROCESS_ALL_ACCESS,
                                                THREAD_ALL_ACCESS, NULL, &image, &line, 0,
                                                NULL),
                     STATUS_SUCCESS);
    if (WaitForHeld(3)) {
        UT_EXPECT_STATUS(NtTerminateProcess(process, STATUS_CANCELLED), STATUS_SUCCESS);
        UT_EXPECT_STATUS(NtWaitForSingleObject(process, FALSE, &patience), STATUS_WAIT_0);
        // Its requests were cancelled with its thread, its files closed:
        // the program's leak check sees the rest (IRPs, file objects, buffers).
        UT_EXPECT_EQ(HeldCount(), 0);
    }
    NtClose(process);
}

static const UTEST Tests[] = {
    UT_ENTRY(OpenSendsTheNameAfterTheDeviceAndTheCreateParameters),
    UT_ENTRY(OpenRelativeToADirectoryFile),
    UT_ENTRY(OpenChecksParametersInNtOrder),
    UT_ENTRY(OpenOfWhatIsNotAFileFails),
    UT_ENTRY(SynchronousReadsFollowTheFilePointer),
    UT_ENTRY(AsynchronousReadNeedsAnOffsetAndTellsEventAndApc),
    UT_ENTRY(ReadAndWriteCheckHandlesAccessAndPointers),
    UT_ENTRY(DeviceControlBuffersOrPassesTheCallersAddresses),
    UT_ENTRY(QueryInformationChecksClassLengthAccessAndAnswers),
    UT_ENTRY(SetInformationChecksAndTheIoManagerKeepsModeAndPosition),
    UT_ENTRY(QueryDirectoryListsEntriesThenNoMoreFiles),
    UT_ENTRY(PendingReadIsToldThroughBlockEventAndApc),
    UT_ENTRY(RequestFailedAtOnceTellsOnlyTheStatus),
    UT_ENTRY(CancelIoFileCancelsTheCallersRequestsOnTheFile),
    UT_ENTRY(ClosingTheLastHandleEndsHeldRequestsThroughCleanup),
    UT_ENTRY(SynchronousHandleWaitsForAPendedRequest),
    UT_ENTRY(KilledProcessWithPendingIoLeavesNothing),
};

int main(void)
{
    char line[32];

    UtCommandLineText(line, sizeof(line));
    if (!strcmp(line, "tio hold"))
        return HoldAndWait();
    return UT_RUN_ALL("tio", Tests);
}
