// Where the kernel enters a process's user mode other than at its start:
// NT's kernel finds KiUserApcDispatcher (user APCs) and RtlUserThreadStart
// (every thread but the first) among ntdll's exports; Sleuth has no ntdll,
// and every program carries both in its own copy of the runtime
// (user/lib/apc.c, user/lib/thread.c), so the kernel finds them per
// process, by name, in the program's ELF symbol table when it loads it
// (remembered per image: the archive's images never change).

#include "ps/ps.h"
#include "ps/elf.h"
#include "mm/mm.h"

#define PSP_USER_APC_DISPATCHER_NAME "KiUserApcDispatcher"
#define PSP_USER_THREAD_START_NAME   "RtlUserThreadStart"

// The value of symbol `name` in the image's symbol table, or 0. Every offset
// and size comes from the file and is checked before use.
ULONG64 PspFindElfSymbol(const UCHAR *image, SIZE_T size, const char *name)
{
    const ELF64_EHDR *header = (const ELF64_EHDR *)image;
    const ELF64_SHDR *sections;
    SIZE_T nameLength = strlen(name);

    if (size < sizeof(*header) || header->Magic != ELF_MAGIC ||
        header->ShEntSize != sizeof(ELF64_SHDR) || header->ShOff > size ||
        header->ShNum > (size - header->ShOff) / sizeof(ELF64_SHDR))
        return 0;
    sections = (const ELF64_SHDR *)(image + header->ShOff);
    for (ULONG i = 0; i < header->ShNum; i++) {
        const ELF64_SHDR *symtab = &sections[i];
        const ELF64_SHDR *strtab;
        const ELF64_SYM *symbols;

        if (symtab->Type != SHT_SYMTAB || symtab->EntSize != sizeof(ELF64_SYM) ||
            symtab->Link >= header->ShNum || symtab->Offset > size ||
            symtab->Size > size - symtab->Offset)
            continue;
        strtab = &sections[symtab->Link];
        if (strtab->Offset > size || strtab->Size > size - strtab->Offset)
            continue;
        symbols = (const ELF64_SYM *)(image + symtab->Offset);
        for (ULONG64 j = 0; j < symtab->Size / sizeof(ELF64_SYM); j++) {
            const char *symbolName = (const char *)image + strtab->Offset + symbols[j].Name;

            // The name and its terminator must lie inside the string table.
            if (symbols[j].Name >= strtab->Size ||
                strtab->Size - symbols[j].Name <= nameLength)
                continue;
            if (!memcmp(symbolName, name, nameLength + 1))
                return symbols[j].Value;
        }
    }
    return 0;
}

// The two symbols of the images programs were started from lately: the
// boot archive's images never change, and a program started 30,000 times
// (exercise 002's jobs) would have its symbol table searched twice each
// time. A hit needs the same image at the same address and size.
#define PSP_ENTRY_CACHE_SIZE 16

typedef struct _PSP_USER_ENTRY_POINTS {
    const UCHAR *Image;
    SIZE_T Size;
    ULONG64 ApcDispatcher;
    ULONG64 ThreadStart;
} PSP_USER_ENTRY_POINTS;

static PSP_USER_ENTRY_POINTS PspEntryCache[PSP_ENTRY_CACHE_SIZE];
static ULONG PspEntryCacheNext;
static KSPIN_LOCK PspEntryCacheLock;

NTSTATUS PspLookupUserEntryPoints(EPROCESS *process, const UCHAR *image, SIZE_T size)
{
    PSP_USER_ENTRY_POINTS found = {NULL, 0, 0, 0};
    KIRQL oldIrql;

    KeAcquireSpinLock(&PspEntryCacheLock, &oldIrql);
    for (ULONG i = 0; i < PSP_ENTRY_CACHE_SIZE; i++) {
        if (PspEntryCache[i].Image == image && PspEntryCache[i].Size == size) {
            found = PspEntryCache[i];
            break;
        }
    }
    KeReleaseSpinLock(&PspEntryCacheLock, oldIrql);
    if (!found.Image) {
        found.Image = image;
        found.Size = size;
        found.ApcDispatcher = PspFindElfSymbol(image, size, PSP_USER_APC_DISPATCHER_NAME);
        found.ThreadStart = PspFindElfSymbol(image, size, PSP_USER_THREAD_START_NAME);
        KeAcquireSpinLock(&PspEntryCacheLock, &oldIrql);
        PspEntryCache[PspEntryCacheNext++ % PSP_ENTRY_CACHE_SIZE] = found;
        KeReleaseSpinLock(&PspEntryCacheLock, oldIrql);
    }
    if (found.ApcDispatcher < MM_LOWEST_USER_ADDRESS || found.ApcDispatcher >= MM_USER_PROBE_ADDRESS)
        return STATUS_INVALID_IMAGE_FORMAT;
    process->Pcb.UserApcDispatcher = (void *)found.ApcDispatcher;
    // Without it the image can still run, on its first thread only:
    // NtCreateThreadEx refuses.
    process->UserThreadStart = (void *)found.ThreadStart;
    return STATUS_SUCCESS;
}
