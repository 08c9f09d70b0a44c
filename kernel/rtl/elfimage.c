// Driver images: checking an ELF64 shared object, laying it out, relocating
// it and reading its symbols. Pure code over bytes (the kernel's loader,
// mm/sysload.c, supplies the memory and the export table); every size,
// offset and index comes from the file and is checked before it is used.

#include "rtl/elf.h"

static BOOLEAN RtlpRangeInside(ULONG64 offset, ULONG64 length, ULONG64 limit)
{
    return offset <= limit && length <= limit - offset;
}

static ULONG64 RtlpPageDown(ULONG64 value)
{
    return value & ~(ULONG64)(PAGE_SIZE - 1);
}

static ULONG64 RtlpPageUp(ULONG64 value)
{
    return (value + PAGE_SIZE - 1) & ~(ULONG64)(PAGE_SIZE - 1);
}

static NTSTATUS RtlpCheckHeader(const UCHAR *file, SIZE_T size, const ELF64_EHDR **header)
{
    const ELF64_EHDR *h = (const ELF64_EHDR *)file;

    if (!file || size < sizeof(*h) || h->Magic != ELF_MAGIC || h->Class != ELFCLASS64 ||
        h->Data != ELFDATA2LSB || h->Version != EV_CURRENT || h->Type != ET_DYN ||
        h->Machine != EM_X86_64 || h->PhEntSize != sizeof(ELF64_PHDR) || h->PhNum == 0 ||
        !RtlpRangeInside(h->PhOff, (ULONG64)h->PhNum * sizeof(ELF64_PHDR), size))
        return STATUS_INVALID_IMAGE_FORMAT;
    *header = h;
    return STATUS_SUCCESS;
}

// Two segments may not share a page unless their protections agree: a page
// has one protection.
static BOOLEAN RtlpSegmentsConflict(const RTL_ELF_SEGMENT *a, const RTL_ELF_SEGMENT *b)
{
    ULONG64 aEnd = a->VirtualAddress + a->MemorySize;
    ULONG64 bEnd = b->VirtualAddress + b->MemorySize;

    if (a->VirtualAddress < bEnd && b->VirtualAddress < aEnd)
        return TRUE;                // overlapping bytes
    if (a->Flags == b->Flags)
        return FALSE;
    return RtlpPageDown(a->VirtualAddress) < RtlpPageUp(bEnd) &&
           RtlpPageDown(b->VirtualAddress) < RtlpPageUp(aEnd);
}

static NTSTATUS RtlpAddSegment(RTL_ELF_IMAGE_INFO *info, const ELF64_PHDR *phdr, SIZE_T size)
{
    RTL_ELF_SEGMENT *segment;

    if (phdr->MemSize == 0)
        return STATUS_SUCCESS;
    if (info->SegmentCount == RTL_ELF_MAXIMUM_SEGMENTS || phdr->FileSize > phdr->MemSize ||
        !RtlpRangeInside(phdr->Offset, phdr->FileSize, size) ||
        !RtlpRangeInside(phdr->VAddr, phdr->MemSize, RTL_ELF_MAXIMUM_IMAGE_SIZE) ||
        (phdr->Flags & ~(ULONG)(PF_R | PF_W | PF_X)))
        return STATUS_INVALID_IMAGE_FORMAT;
    segment = &info->Segments[info->SegmentCount];
    segment->VirtualAddress = phdr->VAddr;
    segment->FileOffset = phdr->Offset;
    segment->FileSize = phdr->FileSize;
    segment->MemorySize = phdr->MemSize;
    segment->Flags = phdr->Flags;
    for (ULONG i = 0; i < info->SegmentCount; i++) {
        if (RtlpSegmentsConflict(&info->Segments[i], segment))
            return STATUS_INVALID_IMAGE_FORMAT;
    }
    info->SegmentCount++;
    if (RtlpPageUp(phdr->VAddr + phdr->MemSize) > info->SizeOfImage)
        info->SizeOfImage = RtlpPageUp(phdr->VAddr + phdr->MemSize);
    return STATUS_SUCCESS;
}

// The loaded segment holding [offset, offset + length), or NULL.
static const RTL_ELF_SEGMENT *RtlpFindSegment(const RTL_ELF_IMAGE_INFO *info, ULONG64 offset,
                                              ULONG64 length)
{
    for (ULONG i = 0; i < info->SegmentCount; i++) {
        const RTL_ELF_SEGMENT *segment = &info->Segments[i];

        if (offset >= segment->VirtualAddress &&
            RtlpRangeInside(offset - segment->VirtualAddress, length, segment->MemorySize))
            return segment;
    }
    return NULL;
}

NTSTATUS RtlElfParseImage(const UCHAR *file, SIZE_T size, RTL_ELF_IMAGE_INFO *info)
{
    const ELF64_EHDR *header;
    const ELF64_PHDR *phdrs;
    const RTL_ELF_SEGMENT *entrySegment;
    NTSTATUS status;

    memset(info, 0, sizeof(*info));
    status = RtlpCheckHeader(file, size, &header);
    if (!NT_SUCCESS(status))
        return status;
    phdrs = (const ELF64_PHDR *)(file + header->PhOff);
    for (ULONG i = 0; i < header->PhNum; i++) {
        if (phdrs[i].Type != PT_LOAD)
            continue;
        status = RtlpAddSegment(info, &phdrs[i], size);
        if (!NT_SUCCESS(status))
            return status;
    }
    // The image is laid out from 0, where the linker put its first byte.
    if (info->SegmentCount == 0)
        return STATUS_INVALID_IMAGE_FORMAT;
    for (ULONG i = 0; i < info->SegmentCount; i++) {
        if (info->Segments[i].VirtualAddress < PAGE_SIZE)
            break;
        if (i + 1 == info->SegmentCount)
            return STATUS_INVALID_IMAGE_FORMAT;
    }
    for (ULONG i = 0; i < header->PhNum; i++) {
        const ELF64_PHDR *phdr = &phdrs[i];

        if (phdr->Type == PT_DYNAMIC) {
            if (info->DynamicSize || phdr->MemSize == 0 || phdr->MemSize % sizeof(ELF64_DYN) ||
                (phdr->VAddr & 7) ||
                !RtlpFindSegment(info, phdr->VAddr, phdr->MemSize))
                return STATUS_INVALID_IMAGE_FORMAT;
            info->DynamicOffset = phdr->VAddr;
            info->DynamicSize = phdr->MemSize;
        } else if (phdr->Type == PT_GNU_RELRO && phdr->MemSize) {
            if (!RtlpFindSegment(info, phdr->VAddr, phdr->MemSize))
                return STATUS_INVALID_IMAGE_FORMAT;
            info->RelroStart = phdr->VAddr;
            info->RelroEnd = phdr->VAddr + phdr->MemSize;
        }
    }
    entrySegment = RtlpFindSegment(info, header->Entry, 1);
    if (!entrySegment || !(entrySegment->Flags & PF_X))
        return STATUS_INVALID_IMAGE_FORMAT;
    info->EntryPoint = header->Entry;
    return STATUS_SUCCESS;
}

void RtlElfCopyImage(const UCHAR *file, const RTL_ELF_IMAGE_INFO *info, UCHAR *image)
{
    memset(image, 0, info->SizeOfImage);
    for (ULONG i = 0; i < info->SegmentCount; i++) {
        const RTL_ELF_SEGMENT *segment = &info->Segments[i];

        memcpy(image + segment->VirtualAddress, file + segment->FileOffset, segment->FileSize);
    }
}

// ---- Relocation ---------------------------------------------------------------------

typedef struct _RTLP_DYNAMIC_TABLES {
    ULONG64 Rela, RelaSize;
    ULONG64 JmpRel, JmpRelSize;
    ULONG64 SymTab, SymbolCount;
    ULONG64 StrTab, StrSize;
} RTLP_DYNAMIC_TABLES;

// Reads the dynamic section of the copied image into `tables`, checking that
// each table lies inside the image.
static NTSTATUS RtlpReadDynamic(const UCHAR *image, const RTL_ELF_IMAGE_INFO *info,
                                RTLP_DYNAMIC_TABLES *tables)
{
    const ELF64_DYN *dynamic = (const ELF64_DYN *)(image + info->DynamicOffset);
    ULONG64 count = info->DynamicSize / sizeof(ELF64_DYN);
    ULONG64 hash = 0, pltRel = DT_RELA;
    BOOLEAN hasHash = FALSE;

    memset(tables, 0, sizeof(*tables));
    for (ULONG64 i = 0; i < count && dynamic[i].Tag != DT_NULL; i++) {
        ULONG64 value = dynamic[i].Value;

        switch (dynamic[i].Tag) {
        case DT_RELA: tables->Rela = value; break;
        case DT_RELASZ: tables->RelaSize = value; break;
        case DT_JMPREL: tables->JmpRel = value; break;
        case DT_PLTRELSZ: tables->JmpRelSize = value; break;
        case DT_PLTREL: pltRel = value; break;
        case DT_SYMTAB: tables->SymTab = value; break;
        case DT_STRTAB: tables->StrTab = value; break;
        case DT_STRSZ: tables->StrSize = value; break;
        case DT_HASH: hash = value; hasHash = TRUE; break;
        case DT_RELAENT:
            if (value != sizeof(ELF64_RELA))
                return STATUS_INVALID_IMAGE_FORMAT;
            break;
        case DT_SYMENT:
            if (value != sizeof(ELF64_SYM))
                return STATUS_INVALID_IMAGE_FORMAT;
            break;
        case DT_REL:
        case DT_TEXTREL:
            return STATUS_INVALID_IMAGE_FORMAT;     // x86-64 uses RELA; code stays read-only
        default:
            break;
        }
    }
    if (pltRel != DT_RELA || tables->RelaSize % sizeof(ELF64_RELA) ||
        tables->JmpRelSize % sizeof(ELF64_RELA) || (tables->Rela & 7) || (tables->JmpRel & 7) ||
        !RtlpRangeInside(tables->Rela, tables->RelaSize, info->SizeOfImage) ||
        !RtlpRangeInside(tables->JmpRel, tables->JmpRelSize, info->SizeOfImage) ||
        !RtlpRangeInside(tables->StrTab, tables->StrSize, info->SizeOfImage))
        return STATUS_INVALID_IMAGE_FORMAT;
    // The symbol count is the hash table's nchain (its second word).
    if (hasHash) {
        const ULONG *words = (const ULONG *)(image + hash);

        if (!RtlpRangeInside(hash, 2 * sizeof(ULONG), info->SizeOfImage) || (hash & 3))
            return STATUS_INVALID_IMAGE_FORMAT;
        tables->SymbolCount = words[1];
        if (!RtlpRangeInside(tables->SymTab, tables->SymbolCount * sizeof(ELF64_SYM),
                             info->SizeOfImage) || (tables->SymTab & 7))
            return STATUS_INVALID_IMAGE_FORMAT;
    }
    return STATUS_SUCCESS;
}

typedef struct _RTLP_RELOCATION_CONTEXT {
    UCHAR *Image;
    const RTL_ELF_IMAGE_INFO *Info;
    const RTLP_DYNAMIC_TABLES *Tables;
    ULONG64 Base;
    RTL_ELF_IMPORT_RESOLVER Resolve;
    void *ResolverContext;
    const char **FailedName;
} RTLP_RELOCATION_CONTEXT;

// The address symbol `index` stands for: in the image, or bound by name.
static NTSTATUS RtlpSymbolValue(RTLP_RELOCATION_CONTEXT *c, ULONG index, ULONG64 *value)
{
    const RTLP_DYNAMIC_TABLES *t = c->Tables;
    const ELF64_SYM *symbol;
    const char *name;
    NTSTATUS status;

    if (index == 0 || index >= t->SymbolCount)
        return STATUS_INVALID_IMAGE_FORMAT;
    symbol = (const ELF64_SYM *)(c->Image + t->SymTab) + index;
    if (symbol->SectionIndex != SHN_UNDEF) {
        if (symbol->Value >= c->Info->SizeOfImage)
            return STATUS_INVALID_IMAGE_FORMAT;
        *value = c->Base + symbol->Value;
        return STATUS_SUCCESS;
    }
    name = (const char *)c->Image + t->StrTab + symbol->Name;
    if (symbol->Name >= t->StrSize ||
        strnlen(name, t->StrSize - symbol->Name) == t->StrSize - symbol->Name || !*name)
        return STATUS_INVALID_IMAGE_FORMAT;
    status = c->Resolve(c->ResolverContext, name, value);
    if (!NT_SUCCESS(status) && c->FailedName)
        *c->FailedName = name;
    return status;
}

static NTSTATUS RtlpApplyRelocations(RTLP_RELOCATION_CONTEXT *c, ULONG64 table, ULONG64 size)
{
    const ELF64_RELA *relocations = (const ELF64_RELA *)(c->Image + table);

    for (ULONG64 i = 0; i < size / sizeof(ELF64_RELA); i++) {
        const ELF64_RELA *r = &relocations[i];
        ULONG type = ELF64_R_TYPE(r->Info);
        ULONG64 value = 0;
        NTSTATUS status;

        if (type == R_X86_64_NONE)
            continue;
        if (!RtlpRangeInside(r->Offset, sizeof(ULONG64), c->Info->SizeOfImage))
            return STATUS_INVALID_IMAGE_FORMAT;
        switch (type) {
        case R_X86_64_RELATIVE:
            if (ELF64_R_SYM(r->Info) != 0)
                return STATUS_INVALID_IMAGE_FORMAT;
            value = c->Base + (ULONG64)r->Addend;
            break;
        case R_X86_64_64:
        case R_X86_64_GLOB_DAT:
        case R_X86_64_JUMP_SLOT:
            status = RtlpSymbolValue(c, ELF64_R_SYM(r->Info), &value);
            if (!NT_SUCCESS(status))
                return status;
            if (type == R_X86_64_64)
                value += (ULONG64)r->Addend;
            break;
        default:
            return STATUS_INVALID_IMAGE_FORMAT;
        }
        memcpy(c->Image + r->Offset, &value, sizeof(value));
    }
    return STATUS_SUCCESS;
}

NTSTATUS RtlElfRelocateImage(UCHAR *image, const RTL_ELF_IMAGE_INFO *info, ULONG64 base,
                             RTL_ELF_IMPORT_RESOLVER resolve, void *context,
                             const char **failedName)
{
    RTLP_DYNAMIC_TABLES tables;
    RTLP_RELOCATION_CONTEXT c = { image, info, &tables, base, resolve, context, failedName };
    NTSTATUS status;

    if (failedName)
        *failedName = NULL;
    if (info->DynamicSize == 0)
        return STATUS_SUCCESS;      // nothing to relocate, nothing imported
    status = RtlpReadDynamic(image, info, &tables);
    if (NT_SUCCESS(status))
        status = RtlpApplyRelocations(&c, tables.Rela, tables.RelaSize);
    if (NT_SUCCESS(status))
        status = RtlpApplyRelocations(&c, tables.JmpRel, tables.JmpRelSize);
    return status;
}

NTSTATUS RtlElfFindDynamicSymbol(const UCHAR *image, const RTL_ELF_IMAGE_INFO *info,
                                 const char *name, ULONG64 *offset)
{
    RTLP_DYNAMIC_TABLES tables;
    NTSTATUS status;

    if (info->DynamicSize == 0)
        return STATUS_NOT_FOUND;
    status = RtlpReadDynamic(image, info, &tables);
    if (!NT_SUCCESS(status))
        return status;
    for (ULONG64 i = 1; i < tables.SymbolCount; i++) {
        const ELF64_SYM *symbol = (const ELF64_SYM *)(image + tables.SymTab) + i;
        const char *symbolName = (const char *)image + tables.StrTab + symbol->Name;

        if (symbol->SectionIndex == SHN_UNDEF || symbol->Name >= tables.StrSize ||
            ELF64_ST_BIND(symbol->Info) != STB_GLOBAL)
            continue;
        if (strncmp(symbolName, name, tables.StrSize - symbol->Name) == 0 &&
            strlen(name) < tables.StrSize - symbol->Name) {
            if (symbol->Value >= info->SizeOfImage)
                return STATUS_INVALID_IMAGE_FORMAT;
            *offset = symbol->Value;
            return STATUS_SUCCESS;
        }
    }
    return STATUS_NOT_FOUND;
}

// ---- Symbols ------------------------------------------------------------------------

ULONG RtlElfEnumerateSymbols(const UCHAR *file, SIZE_T size, ULONG64 imageSize,
                             RTL_ELF_SYMBOL_CALLBACK callback, void *context)
{
    const ELF64_EHDR *header = (const ELF64_EHDR *)file;
    const ELF64_SHDR *sections;
    ULONG reported = 0;

    if (!file || size < sizeof(*header) || header->Magic != ELF_MAGIC ||
        header->ShEntSize != sizeof(ELF64_SHDR) ||
        !RtlpRangeInside(header->ShOff, (ULONG64)header->ShNum * sizeof(ELF64_SHDR), size))
        return 0;
    sections = (const ELF64_SHDR *)(file + header->ShOff);
    for (ULONG i = 0; i < header->ShNum; i++) {
        const ELF64_SHDR *symtab = &sections[i];
        const ELF64_SHDR *strtab;
        const ELF64_SYM *symbols;

        if (symtab->Type != SHT_SYMTAB || symtab->EntSize != sizeof(ELF64_SYM) ||
            symtab->Link >= header->ShNum || !RtlpRangeInside(symtab->Offset, symtab->Size, size))
            continue;
        strtab = &sections[symtab->Link];
        if (!RtlpRangeInside(strtab->Offset, strtab->Size, size))
            continue;
        symbols = (const ELF64_SYM *)(file + symtab->Offset);
        for (ULONG64 j = 0; j < symtab->Size / sizeof(ELF64_SYM); j++) {
            const ELF64_SYM *symbol = &symbols[j];
            ULONG type = ELF64_ST_TYPE(symbol->Info);
            BOOLEAN global = ELF64_ST_BIND(symbol->Info) != STB_LOCAL;
            const char *name = (const char *)file + strtab->Offset + symbol->Name;
            char kind;

            if ((type != STT_FUNC && type != STT_OBJECT) || symbol->SectionIndex == SHN_UNDEF ||
                symbol->Value >= imageSize || symbol->Name >= strtab->Size || !*name ||
                strnlen(name, strtab->Size - symbol->Name) == strtab->Size - symbol->Name)
                continue;
            kind = type == STT_FUNC ? 'T' : 'D';
            callback(context, name, symbol->Value, symbol->Size, global ? kind : kind + 32);
            reported++;
        }
    }
    return reported;
}
