// Starting a user program: its static ELF64 image from the archive is mapped
// into a new process (each PT_LOAD segment with the protection its flags
// ask for; data no-execute), a stack is made, and the first thread enters
// user mode at the image's entry point.

#include "ps/ps.h"
#include "mm/mm.h"

#define ELF_MAGIC       0x464C457FU     // "\x7fELF"
#define ELFCLASS64      2
#define ELFDATA2LSB     1
#define ET_EXEC         2
#define EM_X86_64       62
#define PT_LOAD         1
#define PF_X            1
#define PF_W            2

#define PSP_USER_STACK_SIZE (64 * 1024)
// The stack's top, a guard gap below the end of the user half.
#define PSP_USER_STACK_TOP  (MM_USER_PROBE_ADDRESS - 16 * PAGE_SIZE)

typedef struct _ELF64_EHDR {
    ULONG Magic;
    UCHAR Class, Data, Version, OsAbi;
    UCHAR Padding[8];
    USHORT Type, Machine;
    ULONG VersionAgain;
    ULONG64 Entry, PhOff, ShOff;
    ULONG Flags;
    USHORT EhSize, PhEntSize, PhNum, ShEntSize, ShNum, ShStrNdx;
} ELF64_EHDR;

typedef struct _ELF64_PHDR {
    ULONG Type, Flags;
    ULONG64 Offset, VAddr, PAddr, FileSize, MemSize, Align;
} ELF64_PHDR;

NTSTATUS PspFindUserProgram(const char *name, const UCHAR **image, SIZE_T *size);

static ULONG PspSegmentProtection(ULONG flags)
{
    if (flags & PF_X)
        return (flags & PF_W) ? PAGE_EXECUTE_READWRITE : PAGE_EXECUTE_READ;
    return (flags & PF_W) ? PAGE_READWRITE : PAGE_READONLY;
}

// Copies file bytes into the (fresh, zeroed) pages of a segment, a page at
// a time since the pages need not be contiguous in physical memory.
static void PspCopyToProcess(ULONG64 space, ULONG64 va, const UCHAR *source, SIZE_T length)
{
    while (length) {
        SIZE_T chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));

        if (chunk > length)
            chunk = length;
        memcpy(MmGetUserPageAddress(space, va), source, chunk);
        va += chunk;
        source += chunk;
        length -= chunk;
    }
}

static NTSTATUS PspMapImage(ULONG64 space, const UCHAR *image, SIZE_T size, ULONG64 *entry)
{
    const ELF64_EHDR *header = (const ELF64_EHDR *)image;

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
        PspCopyToProcess(space, segment->VAddr, image + segment->Offset, segment->FileSize);
    }
    *entry = header->Entry;
    return STATUS_SUCCESS;
}

NTSTATUS PsStartUserProgram(const char *name, EPROCESS **result)
{
    const UCHAR *image;
    SIZE_T size;
    EPROCESS *process;
    ETHREAD *thread;
    ULONG64 entry;
    char imageName[PROCESS_IMAGE_NAME_LENGTH];
    NTSTATUS status;

    RtlStringPrintf(imageName, sizeof(imageName), "%s.exe", name);
    status = PspFindUserProgram(imageName, &image, &size);
    if (!NT_SUCCESS(status))
        return status;
    status = PspCreateProcess(imageName, PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                              &process);
    if (!NT_SUCCESS(status))
        return status;
    status = PspMapImage(process->Pcb.DirectoryTableBase, image, size, &entry);
    if (NT_SUCCESS(status))
        status = PspLookupUserEntryPoints(process, image, size);
    if (NT_SUCCESS(status))
        status = MmAllocateUserMemory(process->Pcb.DirectoryTableBase,
                                      PSP_USER_STACK_TOP - PSP_USER_STACK_SIZE,
                                      PSP_USER_STACK_SIZE, PAGE_READWRITE);
    if (NT_SUCCESS(status))
        status = PspCreateUserThread(process, (void *)entry, (void *)PSP_USER_STACK_TOP, NULL,
                                     &thread);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(process);
        return status;
    }
    ObDereferenceObject(thread);
    if (result)
        *result = process;
    else
        ObDereferenceObject(process);
    return STATUS_SUCCESS;
}
