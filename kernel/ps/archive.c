// The user-program archive: GRUB loads it as the multiboot2 module named
// `user`; tools/mkuserimg.py writes it (its docstring has the format).
// Lookups read it in place through the direct map; nothing is copied.

#include "ps/ps.h"
#include "mm/mm.h"
#include "arch/x86_64/hal.h"

#define PSP_ARCHIVE_MODULE_NAME "user"
#define PSP_ARCHIVE_NAME_LENGTH 32

typedef struct _PSP_ARCHIVE_HEADER {
    char Magic[8];                      // "SLEUTHAR"
    ULONG Count;
    ULONG Reserved;
} PSP_ARCHIVE_HEADER;

typedef struct _PSP_ARCHIVE_ENTRY {
    char Name[PSP_ARCHIVE_NAME_LENGTH];
    ULONG64 Offset;
    ULONG64 Size;
} PSP_ARCHIVE_ENTRY;

static const LOADER_MODULE *PspFindArchiveModule(void)
{
    for (ULONG i = 0; i < KeLoaderBlock.ModuleCount; i++) {
        if (!strcmp(KeLoaderBlock.Modules[i].Name, PSP_ARCHIVE_MODULE_NAME))
            return &KeLoaderBlock.Modules[i];
    }
    return NULL;
}

NTSTATUS PspFindUserProgram(const char *name, const UCHAR **image, SIZE_T *size)
{
    const LOADER_MODULE *module = PspFindArchiveModule();
    const PSP_ARCHIVE_HEADER *header;
    const PSP_ARCHIVE_ENTRY *entries;
    ULONG64 archiveSize;

    if (!module)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    header = (const void *)(MM_DIRECT_MAP_BASE + module->PhysicalStart);
    archiveSize = module->PhysicalEnd - module->PhysicalStart;
    // Every size and offset comes from a file: check each before use.
    if (archiveSize < sizeof(*header) || memcmp(header->Magic, "SLEUTHAR", 8) ||
        header->Count > (archiveSize - sizeof(*header)) / sizeof(PSP_ARCHIVE_ENTRY))
        return STATUS_INVALID_IMAGE_FORMAT;
    entries = (const PSP_ARCHIVE_ENTRY *)(header + 1);
    for (ULONG i = 0; i < header->Count; i++) {
        const PSP_ARCHIVE_ENTRY *entry = &entries[i];

        if (strncmp(entry->Name, name, PSP_ARCHIVE_NAME_LENGTH))
            continue;
        if (entry->Offset > archiveSize || entry->Size > archiveSize - entry->Offset)
            return STATUS_INVALID_IMAGE_FORMAT;
        *image = (const UCHAR *)header + entry->Offset;
        *size = entry->Size;
        return STATUS_SUCCESS;
    }
    return STATUS_OBJECT_NAME_NOT_FOUND;
}

// Whether the loader handed over the archive at all: GRUB leaves it out,
// and still boots the kernel, when it runs out of memory loading it (a
// 64 MiB machine under OVMF). Init says so in plain words at boot.
BOOLEAN PsBootArchivePresent(void)
{
    return PspFindArchiveModule() != NULL;
}

NTSTATUS PsGetBootArchiveFile(const char *name, const UCHAR **data, SIZE_T *size)
{
    return PspFindUserProgram(name, data, size);
}
