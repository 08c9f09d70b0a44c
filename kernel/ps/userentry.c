// Where the kernel enters a process's user mode other than at its start:
// NT's kernel finds KiUserApcDispatcher (user APCs) and RtlUserThreadStart
// (every thread but the first) among ntdll's exports; Sleuth has no ntdll,
// and every program carries both in its own copy of the runtime
// (user/lib/apc.c, user/lib/thread.c), so the kernel finds them per
// process, by name, in the program's ELF symbol table when it loads it.

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

NTSTATUS PspLookupUserEntryPoints(EPROCESS *process, const UCHAR *image, SIZE_T size)
{
    ULONG64 dispatcher = PspFindElfSymbol(image, size, PSP_USER_APC_DISPATCHER_NAME);

    if (dispatcher < MM_LOWEST_USER_ADDRESS || dispatcher >= MM_USER_PROBE_ADDRESS)
        return STATUS_INVALID_IMAGE_FORMAT;
    process->Pcb.UserApcDispatcher = (void *)dispatcher;
    // Without it the image can still run, on its first thread only:
    // NtCreateThreadEx refuses.
    process->UserThreadStart = (void *)PspFindElfSymbol(image, size, PSP_USER_THREAD_START_NAME);
    return STATUS_SUCCESS;
}
