// Starting a user program: its static ELF64 image from the archive is mapped
// into a new process (each PT_LOAD segment with the protection its flags
// ask for; data no-execute), the PEB gets the image path and command line,
// and the first thread enters user mode at the image's entry point with a
// TEB and a stack of its own.

#include "ps/ps.h"
#include "ps/elf.h"
#include "mm/mm.h"
#include "kd/kd.h"

#define PSP_MAXIMUM_COMMAND_LINE 256    // PsStartUserProgram's, in characters

NTSTATUS PspFindUserProgram(const char *name, const UCHAR **image, SIZE_T *size);

static ULONG PspSegmentProtection(ULONG flags)
{
    if (flags & PF_X)
        return (flags & PF_W) ? PAGE_EXECUTE_READWRITE : PAGE_EXECUTE_READ;
    return (flags & PF_W) ? PAGE_READWRITE : PAGE_READONLY;
}

// Maps the image; *imageBase gets its lowest segment's address.
static NTSTATUS PspMapImage(ULONG64 space, const UCHAR *image, SIZE_T size, ULONG64 *entry,
                            ULONG64 *imageBase)
{
    const ELF64_EHDR *header = (const ELF64_EHDR *)image;

    *imageBase = MM_USER_PROBE_ADDRESS;

    if (size < sizeof(*header) || header->Magic != ELF_MAGIC || header->Class != ELFCLASS64 ||
        header->Data != ELFDATA2LSB || header->Type != ET_EXEC ||
        header->Machine != EM_X86_64 || header->PhEntSize != sizeof(ELF64_PHDR) ||
        header->PhOff > size || header->PhNum > (size - header->PhOff) / sizeof(ELF64_PHDR))
        return STATUS_INVALID_IMAGE_FORMAT;
    for (ULONG i = 0; i < header->PhNum; i++) {
        const ELF64_PHDR *segment = (const ELF64_PHDR *)(image + header->PhOff) + i;
        NTSTATUS status;

        if (segment->Type != PT_LOAD || segment->MemSize == 0)
            continue;
        if (segment->FileSize > segment->MemSize || segment->Offset > size ||
            segment->FileSize > size - segment->Offset ||
            segment->VAddr >= MM_USER_PROBE_ADDRESS ||
            segment->MemSize > MM_USER_PROBE_ADDRESS - segment->VAddr)
            return STATUS_INVALID_IMAGE_FORMAT;
        // Segments sharing a page would need one protection for both: the
        // user linker script keeps them apart, and an image that does not
        // is refused (STATUS_CONFLICTING_ADDRESSES) here.
        status = MmAllocateUserMemory(space, segment->VAddr, segment->MemSize,
                                      PspSegmentProtection(segment->Flags));
        if (!NT_SUCCESS(status))
            return status;
        status = MmWriteProcessMemory(space, segment->VAddr, image + segment->Offset,
                                      segment->FileSize);
        if (!NT_SUCCESS(status))
            return status;
        if (segment->VAddr < *imageBase)
            *imageBase = segment->VAddr;
    }
    *entry = header->Entry;
    return STATUS_SUCCESS;
}

// "hello" and "hello.exe" both name hello.exe.
static void PspArchiveName(const char *name, char *imageName, SIZE_T length)
{
    SIZE_T nameLength = strlen(name);

    if (nameLength >= 4 && !strcmp(name + nameLength - 4, ".exe"))
        RtlStringPrintf(imageName, length, "%s", name);
    else
        RtlStringPrintf(imageName, length, "%s.exe", name);
}

// NAME's image in the archive; imageName gets the name it has there.
static NTSTATUS PspFindArchiveImage(const char *name, char *imageName, SIZE_T length,
                                    const UCHAR **image, SIZE_T *size)
{
    SIZE_T nameLength = strlen(name);
    BOOLEAN hasExtension = nameLength >= 4 && !strcmp(name + nameLength - 4, ".exe");

    // No archive name is that long ("NAME.exe" and its NUL must fit).
    if (nameLength + (hasExtension ? 0 : 4) + 1 > length)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    PspArchiveName(name, imageName, length);
    return PspFindUserProgram(imageName, image, size);
}

NTSTATUS PsFindUserProgram(const char *name)
{
    char imageName[PROCESS_IMAGE_NAME_LENGTH];
    const UCHAR *image;
    SIZE_T size;

    return PspFindArchiveImage(name, imageName, sizeof(imageName), &image, &size);
}

NTSTATUS PspStartUserProgram(EPROCESS *parent, const char *name,
                             const UNICODE_STRING *commandLine, BOOLEAN suspended,
                             EPROCESS **result, ETHREAD **thread)
{
    const UCHAR *image;
    SIZE_T size;
    EPROCESS *process;
    ULONG64 entry, imageBase;
    char imageName[PROCESS_IMAGE_NAME_LENGTH];
    WCHAR pathBuffer[PROCESS_IMAGE_NAME_LENGTH];
    UNICODE_STRING imagePath = {0, sizeof(pathBuffer), pathBuffer};
    NTSTATUS status;

    status = PspFindArchiveImage(name, imageName, sizeof(imageName), &image, &size);
    if (!NT_SUCCESS(status))
        return status;
    status = PspCreateProcess(imageName, parent, NORMAL_BASE_PRIORITY, &process);
    if (!NT_SUCCESS(status))
        return status;
    RtlAsciiToUnicodeString(&imagePath, imageName);
    status = PspMapImage(process->Pcb.DirectoryTableBase, image, size, &entry, &imageBase);
    if (NT_SUCCESS(status))
        status = PspCreatePeb(process, &imagePath, commandLine ? commandLine : &imagePath,
                              (void *)imageBase);
    if (NT_SUCCESS(status))
        status = PspLookupUserEntryPoints(process, image, size);
    // Before any of its code runs: a bu on the program goes in now.
    if (NT_SUCCESS(status))
        KdNotifyUserImageMap((ULONG64)process, process->Pcb.DirectoryTableBase, imageName);
    if (NT_SUCCESS(status))
        status = PspCreateUserThreadEx(process, (void *)entry, 0, 0, 0, suspended, NULL, thread);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(process);
        return status;
    }
    *result = process;
    return STATUS_SUCCESS;
}

NTSTATUS PsStartUserProgramEx(const char *name, const UNICODE_STRING *commandLine,
                              BOOLEAN suspended, EPROCESS **process, ETHREAD **thread)
{
    return PspStartUserProgram(PsInitialSystemProcess, name, commandLine, suspended, process,
                               thread);
}

NTSTATUS PsStartUserProgram(const char *name, const char *commandLine, EPROCESS **result)
{
    WCHAR buffer[PSP_MAXIMUM_COMMAND_LINE];
    UNICODE_STRING line = {0, sizeof(buffer), buffer};
    EPROCESS *process;
    ETHREAD *thread;
    NTSTATUS status;

    if (commandLine && strlen(commandLine) >= ARRAYSIZE(buffer))
        return STATUS_INVALID_PARAMETER;
    if (commandLine)
        RtlAsciiToUnicodeString(&line, commandLine);
    status = PsStartUserProgramEx(name, commandLine ? &line : NULL, FALSE, &process, &thread);
    if (!NT_SUCCESS(status))
        return status;
    ObDereferenceObject(thread);
    if (result)
        *result = process;
    else
        ObDereferenceObject(process);
    return STATUS_SUCCESS;
}
