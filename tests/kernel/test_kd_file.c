// !fileobj, dt nt!_FILE_OBJECT ADDR FileName (the third case study's line),
// and !handle and !object naming a file object by its FileName and its
// device, against a file opened through the I/O manager (IoCreateFile on
// the test drivers' sync device, tests/kernel/ktio.c).

#include "tests/kernel/ktkd.h"
#include "tests/kernel/ktio.h"

#define KT_KD_FILE_PATH u"\\Device\\KtIoSync\\DC005.contoso.com\\PIPE\\lsarpc"
#define KT_KD_FILE_NAME "\\DC005.contoso.com\\PIPE\\lsarpc"

static NTSTATUS KtKdOpenFile(HANDLE *handle, FILE_OBJECT **file)
{
    UNICODE_STRING path;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    NTSTATUS status;

    RtlInitUnicodeString(&path, KT_KD_FILE_PATH);
    InitializeObjectAttributes(&attributes, &path, 0, NULL, NULL);
    status = IoCreateFile(handle, GENERIC_READ | SYNCHRONIZE, &attributes, &ioStatus, NULL, 0,
                          FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                          FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, CreateFileTypeNone, NULL,
                          IO_NO_PARAMETER_CHECKING);
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(*handle, 0, IoFileObjectType, (void **)file, NULL);
    if (!NT_SUCCESS(status))
        ObCloseHandle(*handle);
    return status;
}

KTEST(KdFileCommandsNameTheFileAndItsDevice)
{
    HANDLE handle;
    FILE_OBJECT *file;

    KT_EXPECT_EQ(KtIoStartDrivers(), STATUS_SUCCESS);
    if (NT_SUCCESS(KtKdOpenFile(&handle, &file))) {
        unsigned long long address = KT_KD_ADDRESS(file);

        KtKdRunf("dt nt!_FILE_OBJECT %llx FileName", address);
        KtKdExpect("   +0x058 FileName : _UNICODE_STRING \"" KT_KD_FILE_NAME "\"\n");
        KT_CHECK(KtKdCount(KtKdOutput, "\n") == 1);

        KtKdRunf("!fileobj %llx", address);
        KtKdExpect("\n" KT_KD_FILE_NAME "\n\nDevice Object: 0x%016llx   \\Driver\\KtIoSync\n"
                   "Vpb is NULL\n", KT_KD_ADDRESS(file->DeviceObject));
        // What the file system granted and shares (the sync device sets none).
        KtKdExpect("Access: %s%s%s%s%s%s\n\nFlags:  0x%x\n", file->ReadAccess ? "Read " : "",
                   file->WriteAccess ? "Write " : "", file->DeleteAccess ? "Delete " : "",
                   file->SharedRead ? "SharedRead " : "", file->SharedWrite ? "SharedWrite " : "",
                   file->SharedDelete ? "SharedDelete " : "", file->Flags);
        KT_CHECK(file->Flags & FO_SYNCHRONOUS_IO);
        if (file->Flags & FO_SYNCHRONOUS_IO)
            KtKdExpect("\tSynchronous IO\n");
        if (file->Flags & FO_HANDLE_CREATED)
            KtKdExpect("\tHandle Created\n");
        KtKdExpect("\nFsContext: 0x%016llx\tFsContext2: 0x%016llx\nCurrentByteOffset: 0\n",
                   KT_KD_ADDRESS(file->FsContext), KT_KD_ADDRESS(file->FsContext2));

        // Named by its FileName and, in braces, the device it is open on.
        KtKdRunf("!handle %llx 3 -1", (unsigned long long)(ULONG_PTR)handle);
        KtKdExpect("Object: %016llx  Type: (%016llx) File\n", address,
                   KT_KD_ADDRESS(IoFileObjectType));
        KtKdExpect("        Directory Object: 00000000  Name: " KT_KD_FILE_NAME
                   " {KtIoSync}\n");
        KtKdRunf("!object %llx", address);
        KtKdExpect("Directory Object: 00000000  Name: " KT_KD_FILE_NAME " {KtIoSync}\n");
        // The device and its driver by name.
        KtKdRunf("!object %llx", KT_KD_ADDRESS(file->DeviceObject));
        KtKdExpect("Name: KtIoSync\n");
        KtKdRunf("!object %llx", KT_KD_ADDRESS(file->DeviceObject->DriverObject));
        KtKdExpect(") Driver\n");
        KtKdExpect("Name: KtIoSync\n");

        // A FileName whose buffer is gone is said so, not followed.
        {
            WCHAR *buffer = file->FileName.Buffer;

            file->FileName.Buffer = (WCHAR *)0x10;
            KtKdRunf("!fileobj %llx", address);
            KtKdExpect("(FileName at 0000000000000010 cannot be read)\n");
            KtKdRunf("dt nt!_FILE_OBJECT %llx FileName", address);
            KtKdExpect("_UNICODE_STRING \"(Buffer 0x0000000000000010 cannot be read)\"\n");
            KtKdRunf("!object %llx", address);
            KtKdExpect("Name: (FileName cannot be read) {KtIoSync}\n");
            file->FileName.Buffer = buffer;
        }
        ObDereferenceObject(file);
        KT_CHECK_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    } else {
        KtFail(__FILE__, __LINE__, "the file to be opened");
    }
    KtIoStopDrivers();
}
