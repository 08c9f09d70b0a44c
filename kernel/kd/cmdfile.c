// !fileobj: a file object as WinDbg shows it (its name, the device it was
// opened on and that device's driver, its access and sharing, its flags by
// name, the file system's contexts), and the name `!object` and `!handle`
// give a file object, which has no name in the namespace: its FileName and,
// in braces, the name of the device it is open on.

#include "kd/kdio.h"

typedef struct _KD_FILE_FLAG {
    ULONG Flag;
    const char *Name;
} KD_FILE_FLAG;

static const KD_FILE_FLAG KdpFileFlagNames[] = {
    { FO_FILE_OPEN, "File Open" },
    { FO_SYNCHRONOUS_IO, "Synchronous IO" },
    { FO_ALERTABLE_IO, "Alertable IO" },
    { FO_NO_INTERMEDIATE_BUFFERING, "No Intermediate Buffering" },
    { FO_WRITE_THROUGH, "Write Through" },
    { FO_SEQUENTIAL_ONLY, "Sequential Only" },
    { FO_CACHE_SUPPORTED, "Cache Supported" },
    { FO_NAMED_PIPE, "Named Pipe" },
    { FO_STREAM_FILE, "Stream File" },
    { FO_MAILSLOT, "Mailslot" },
    { FO_GENERATE_AUDIT_ON_CLOSE, "Generate Audit On Close" },
    { FO_DIRECT_DEVICE_OPEN, "Direct Device Open" },
    { FO_FILE_MODIFIED, "File Modified" },
    { FO_FILE_SIZE_CHANGED, "Size Changed" },
    { FO_CLEANUP_COMPLETE, "Cleanup Complete" },
    { FO_TEMPORARY_FILE, "Temporary File" },
    { FO_DELETE_ON_CLOSE, "Delete On Close" },
    { FO_OPENED_CASE_SENSITIVE, "Opened Case Sensitive" },
    { FO_HANDLE_CREATED, "Handle Created" },
    { FO_FILE_FAST_IO_READ, "Fast IO Read" },
    { FO_RANDOM_ACCESS, "Random Access" },
    { FO_FILE_OPEN_CANCELLED, "Open Cancelled" },
    { FO_VOLUME_OPEN, "Volume Open" },
};

BOOLEAN KdpFormatFileObjectName(ULONG64 address, char *name, size_t size)
{
    FILE_OBJECT file;
    char fileName[KD_IO_NAME], device[KD_IO_NAME];

    if (!KdpReadFileObject(address, &file, TRUE))
        return FALSE;
    if (!KdpReadUnicodeText(&file.FileName, fileName, sizeof(fileName)))
        RtlStringPrintf(fileName, sizeof(fileName), "(FileName cannot be read)");
    if (!file.DeviceObject ||
        !KdpReadObjectName((ULONG64)(ULONG_PTR)file.DeviceObject, device, sizeof(device)))
        device[0] = '\0';
    RtlStringPrintf(name, size, device[0] ? "%s {%s}" : "%s", fileName, device);
    return TRUE;
}

static KD_COMMAND_RESULT KdpFileObj(int argc, char **argv)
{
    ULONG64 address;
    FILE_OBJECT file;
    char text[KD_IO_NAME];
    LONG signalled = 0;

    if (argc != 2) {
        KdpPrint("Usage: !fileobj FileObject\n");
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &address) || !KdpReadFileObject(address, &file, FALSE))
        return KdCommandContinue;
    if (!KdpReadUnicodeText(&file.FileName, text, sizeof(text)))
        RtlStringPrintf(text, sizeof(text), "(FileName at %016llx cannot be read)",
                        KD_P((ULONG_PTR)file.FileName.Buffer));
    KdpPrint("\n%s\n\n", text);
    if (file.RelatedFileObject)
        KdpPrint("Related File Object: 0x%016llx\n", KD_P((ULONG_PTR)file.RelatedFileObject));
    KdpDeviceDriverName((ULONG64)(ULONG_PTR)file.DeviceObject, text, sizeof(text));
    KdpPrint("Device Object: 0x%016llx   %s\n", KD_P((ULONG_PTR)file.DeviceObject), text);
    if (file.Vpb)
        KdpPrint("Vpb: 0x%016llx\n", KD_P((ULONG_PTR)file.Vpb));
    else
        KdpPrint("Vpb is NULL\n");
    memcpy(&signalled, &file.Event.Header.SignalState, sizeof(signalled));
    if (signalled)
        KdpPrint("Event signalled\n");
    KdpPrint("Access: %s%s%s%s%s%s\n", file.ReadAccess ? "Read " : "",
             file.WriteAccess ? "Write " : "", file.DeleteAccess ? "Delete " : "",
             file.SharedRead ? "SharedRead " : "", file.SharedWrite ? "SharedWrite " : "",
             file.SharedDelete ? "SharedDelete " : "");
    KdpPrint("\nFlags:  0x%x\n", file.Flags);
    for (ULONG i = 0; i < ARRAYSIZE(KdpFileFlagNames); i++) {
        if (file.Flags & KdpFileFlagNames[i].Flag)
            KdpPrint("\t%s\n", KdpFileFlagNames[i].Name);
    }
    if (file.DeletePending)
        KdpPrint("\tDelete Pending\n");
    KdpPrint("\nFsContext: 0x%016llx\tFsContext2: 0x%016llx\n", KD_P((ULONG_PTR)file.FsContext),
             KD_P((ULONG_PTR)file.FsContext2));
    KdpPrint("CurrentByteOffset: %llx\n", KD_P(file.CurrentByteOffset.QuadPart));
    if (file.FinalStatus)
        KdpPrint("FinalStatus: %08x\n", (ULONG)file.FinalStatus);
    if (file.SectionObjectPointer)
        KdpPrint("Cache Data:\n  Section Object Pointers: %016llx\n",
                 KD_P((ULONG_PTR)file.SectionObjectPointer));
    return KdCommandContinue;
}

const KD_COMMAND KdpFileCommands[] = {
    { "!fileobj", KdpFileObj, "!fileobj FileObject",
      "a file object: its name, device and driver, access, flags, file system contexts" },
    { NULL, NULL, NULL, NULL },
};
