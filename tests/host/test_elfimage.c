// Driver image logic (rtl/elfimage.c) over a small hand-made image laid out
// as the Makefile's driver link lays one out: a read-only page of headers
// and dynamic tables, a code page, a data page with bss after it, the
// dynamic section and a symbol table for the debugger.

#include "hosttest.h"
#include "rtl/elf.h"

#define FILE_SIZE       0x3000
#define IMAGE_SIZE      0x4000      // the data segment's bss runs into a fourth page
#define LOAD_BASE       0xFFFFFFFFC0123000ULL
#define IMPORT_ADDRESS  0xFFFFFFFF80123450ULL

#define SYMTAB_OFFSET   0x200
#define STRTAB_OFFSET   0x300
#define HASH_OFFSET     0x340
#define RELA_OFFSET     0x400
#define RELA_COUNT      5
#define DYNAMIC_OFFSET  0x2000
#define DEBUG_SYMBOLS   0x2800
#define DEBUG_STRINGS   0x2900
#define SECTIONS        0x2A00

static UCHAR File[FILE_SIZE];
static UCHAR Image[IMAGE_SIZE];
static int ResolveCalls;

static void AddSegment(ELF64_PHDR *phdr, ULONG type, ULONG flags, ULONG64 at, ULONG64 fileSize,
                       ULONG64 memorySize)
{
    phdr->Type = type;
    phdr->Flags = flags;
    phdr->Offset = phdr->VAddr = phdr->PAddr = at;
    phdr->FileSize = fileSize;
    phdr->MemSize = memorySize;
    phdr->Align = 0x1000;
}

static void AddRelocation(ULONG index, ULONG64 offset, ULONG symbol, ULONG type, LONG64 addend)
{
    ELF64_RELA *r = (ELF64_RELA *)(File + RELA_OFFSET) + index;

    r->Offset = offset;
    r->Info = ((ULONG64)symbol << 32) | type;
    r->Addend = addend;
}

// Builds the image: dynamic symbols 1 "Imported" (undefined) and 2 "Local"
// (defined at 0x2100); five relocations into the data page.
static void BuildImage(void)
{
    ELF64_EHDR *h = (ELF64_EHDR *)File;
    ELF64_PHDR *p = (ELF64_PHDR *)(File + sizeof(*h));
    ELF64_SYM *dynsym = (ELF64_SYM *)(File + SYMTAB_OFFSET);
    ELF64_DYN *dynamic = (ELF64_DYN *)(File + DYNAMIC_OFFSET);
    ELF64_SYM *symtab = (ELF64_SYM *)(File + DEBUG_SYMBOLS);
    ELF64_SHDR *sections = (ELF64_SHDR *)(File + SECTIONS);
    static const char debugNames[] = "\0DriverEntry\0Counter\0Far\0Label";
    const ELF64_DYN tags[] = {
        { DT_RELA, RELA_OFFSET }, { DT_RELASZ, RELA_COUNT * sizeof(ELF64_RELA) },
        { DT_RELAENT, sizeof(ELF64_RELA) }, { DT_SYMTAB, SYMTAB_OFFSET },
        { DT_SYMENT, sizeof(ELF64_SYM) }, { DT_STRTAB, STRTAB_OFFSET }, { DT_STRSZ, 16 },
        { DT_HASH, HASH_OFFSET }, { DT_NULL, 0 },
    };

    memset(File, 0, sizeof(File));
    h->Magic = ELF_MAGIC;
    h->Class = ELFCLASS64;
    h->Data = ELFDATA2LSB;
    h->Version = EV_CURRENT;
    h->Type = ET_DYN;
    h->Machine = EM_X86_64;
    h->Entry = 0x1010;
    h->PhOff = sizeof(*h);
    h->PhEntSize = sizeof(ELF64_PHDR);
    h->PhNum = 5;
    AddSegment(&p[0], PT_LOAD, PF_R, 0, 0x500, 0x500);
    AddSegment(&p[1], PT_LOAD, PF_R | PF_X, 0x1000, 0x100, 0x100);
    AddSegment(&p[2], PT_LOAD, PF_R | PF_W, 0x2000, 0x200, 0x1800);
    AddSegment(&p[3], PT_DYNAMIC, PF_R | PF_W, DYNAMIC_OFFSET, sizeof(tags), sizeof(tags));
    AddSegment(&p[4], PT_GNU_RELRO, PF_R, DYNAMIC_OFFSET, 0x100, 0x100);
    memcpy(dynamic, tags, sizeof(tags));
    memcpy(File + STRTAB_OFFSET, "\0Imported\0Local", 16);
    dynsym[1].Name = 1;
    dynsym[1].Info = (STB_GLOBAL << 4) | STT_FUNC;
    dynsym[2].Name = 10;
    dynsym[2].Info = (STB_GLOBAL << 4) | STT_OBJECT;
    dynsym[2].SectionIndex = 5;
    dynsym[2].Value = 0x2100;
    ((ULONG *)(File + HASH_OFFSET))[0] = 1;     // nbucket
    ((ULONG *)(File + HASH_OFFSET))[1] = 3;     // nchain: the symbol count
    AddRelocation(0, 0x2100, 0, R_X86_64_RELATIVE, 0x1010);
    AddRelocation(1, 0x2108, 1, R_X86_64_GLOB_DAT, 0);
    AddRelocation(2, 0x2110, 1, R_X86_64_64, 8);
    AddRelocation(3, 0x2118, 1, R_X86_64_JUMP_SLOT, 0);
    AddRelocation(4, 0x2120, 2, R_X86_64_64, 4);
    // The debugger's symbol table (not loaded): a function, a local object,
    // one past the image and an untyped label, the last two skipped.
    memcpy(File + DEBUG_STRINGS, debugNames, sizeof(debugNames));
    symtab[1] = (ELF64_SYM){ 1, (STB_GLOBAL << 4) | STT_FUNC, 0, 2, 0x1010, 0x20 };
    symtab[2] = (ELF64_SYM){ 13, (STB_LOCAL << 4) | STT_OBJECT, 0, 3, 0x2100, 8 };
    symtab[3] = (ELF64_SYM){ 21, (STB_GLOBAL << 4) | STT_FUNC, 0, 2, 0x100000, 8 };
    symtab[4] = (ELF64_SYM){ 25, (STB_GLOBAL << 4) | 0, 0, 2, 0x1000, 0 };
    sections[1] = (ELF64_SHDR){ 0, SHT_SYMTAB, 0, 0, DEBUG_SYMBOLS, 5 * sizeof(ELF64_SYM), 2, 0,
                                8, sizeof(ELF64_SYM) };
    sections[2] = (ELF64_SHDR){ 0, 3, 0, 0, DEBUG_STRINGS, sizeof(debugNames), 0, 0, 1, 0 };
    h->ShOff = SECTIONS;
    h->ShEntSize = sizeof(ELF64_SHDR);
    h->ShNum = 3;
}

static NTSTATUS Resolve(void *context, const char *name, ULONG64 *address)
{
    ResolveCalls++;
    if (strcmp(name, "Imported"))
        return STATUS_DRIVER_ENTRYPOINT_NOT_FOUND;
    *address = IMPORT_ADDRESS;
    return STATUS_SUCCESS;
}

static NTSTATUS Load(RTL_ELF_IMAGE_INFO *info, const char **failedName)
{
    NTSTATUS status = RtlElfParseImage(File, sizeof(File), info);

    if (!NT_SUCCESS(status))
        return status;
    RtlElfCopyImage(File, info, Image);
    return RtlElfRelocateImage(Image, info, LOAD_BASE, Resolve, NULL, failedName);
}

static ULONG64 ImageWord(ULONG64 offset)
{
    ULONG64 value;

    memcpy(&value, Image + offset, sizeof(value));
    return value;
}

TEST(ElfImageIsLaidOutFromItsSegments)
{
    RTL_ELF_IMAGE_INFO info;

    BuildImage();
    EXPECT_EQ(RtlElfParseImage(File, sizeof(File), &info), STATUS_SUCCESS);
    EXPECT_EQ(info.SizeOfImage, IMAGE_SIZE);
    EXPECT_EQ(info.EntryPoint, 0x1010);
    EXPECT_EQ(info.SegmentCount, 3);
    EXPECT_EQ(info.DynamicOffset, DYNAMIC_OFFSET);
    EXPECT_EQ(info.RelroStart, DYNAMIC_OFFSET);
    EXPECT_EQ(info.RelroEnd, DYNAMIC_OFFSET + 0x100);
}

TEST(ElfImageRelocationsPointWhereItLoadsAndImportsAreBound)
{
    RTL_ELF_IMAGE_INFO info;
    const char *failed = "unset";

    BuildImage();
    memset(Image, 0xCC, sizeof(Image));
    ResolveCalls = 0;
    EXPECT_EQ(Load(&info, &failed), STATUS_SUCCESS);
    EXPECT(failed == NULL);
    EXPECT_EQ(ImageWord(0x2100), LOAD_BASE + 0x1010);      // RELATIVE
    EXPECT_EQ(ImageWord(0x2108), IMPORT_ADDRESS);          // GLOB_DAT
    EXPECT_EQ(ImageWord(0x2110), IMPORT_ADDRESS + 8);      // 64 with an addend
    EXPECT_EQ(ImageWord(0x2118), IMPORT_ADDRESS);          // JUMP_SLOT
    EXPECT_EQ(ImageWord(0x2120), LOAD_BASE + 0x2100 + 4);  // 64 against its own symbol
    EXPECT_EQ(ResolveCalls, 3);
    EXPECT_EQ(Image[0x3FFF], 0);                           // bss zeroed
    EXPECT_EQ(Image[0x1800], 0);                           // and the gaps
}

// A driver's export table is found by its global dynamic symbol: a
// defined one ("Local" here) is found at its offset, an undefined one
// (an import) or a name only a prefix of a symbol's is not.
TEST(ElfImageDynamicSymbolLookupFindsOnlyDefinedGlobals)
{
    RTL_ELF_IMAGE_INFO info;
    ULONG64 offset = 0;

    BuildImage();
    EXPECT_EQ(Load(&info, NULL), STATUS_SUCCESS);
    EXPECT_EQ(RtlElfFindDynamicSymbol(Image, &info, "Local", &offset), STATUS_SUCCESS);
    EXPECT_EQ(offset, 0x2100);
    EXPECT_EQ(RtlElfFindDynamicSymbol(Image, &info, "Imported", &offset), STATUS_NOT_FOUND);
    EXPECT_EQ(RtlElfFindDynamicSymbol(Image, &info, "Loca", &offset), STATUS_NOT_FOUND);
    EXPECT_EQ(RtlElfFindDynamicSymbol(Image, &info, "LocalX", &offset), STATUS_NOT_FOUND);
    // A defined symbol's value past the image is damage, not a find.
    ((ELF64_SYM *)(Image + SYMTAB_OFFSET))[2].Value = IMAGE_SIZE;
    EXPECT_EQ(RtlElfFindDynamicSymbol(Image, &info, "Local", &offset),
              STATUS_INVALID_IMAGE_FORMAT);
    // No dynamic section: nothing exported.
    info.DynamicSize = 0;
    EXPECT_EQ(RtlElfFindDynamicSymbol(Image, &info, "Local", &offset), STATUS_NOT_FOUND);
}

TEST(ElfImageImportTheResolverRefusesFailsWithItsName)
{
    RTL_ELF_IMAGE_INFO info;
    const char *failed = NULL;

    BuildImage();
    memcpy(File + STRTAB_OFFSET, "\0Missing\0\0Local", 16);
    EXPECT_EQ(Load(&info, &failed), STATUS_DRIVER_ENTRYPOINT_NOT_FOUND);
    EXPECT(failed != NULL);
    EXPECT_STREQ(failed, "Missing");
}

// Each damage, applied to a good image, must make it STATUS_INVALID_IMAGE_FORMAT.
typedef void (*DAMAGE)(void);

static ELF64_EHDR *Header(void) { return (ELF64_EHDR *)File; }
static ELF64_PHDR *Segment(ULONG i) { return (ELF64_PHDR *)(File + sizeof(ELF64_EHDR)) + i; }
static ELF64_RELA *Relocation(ULONG i) { return (ELF64_RELA *)(File + RELA_OFFSET) + i; }
static ELF64_DYN *Dynamic(ULONG i) { return (ELF64_DYN *)(File + DYNAMIC_OFFSET) + i; }

static void BadMagic(void) { File[0] = 0; }
static void BadClass(void) { Header()->Class = 1; }
static void BigEndian(void) { Header()->Data = 2; }
static void WrongMachine(void) { Header()->Machine = 40; }
static void NotShared(void) { Header()->Type = ET_EXEC; }
static void NoSegments(void) { Header()->PhNum = 0; }
static void HeadersPastEnd(void) { Header()->PhOff = FILE_SIZE - 8; }
static void HeaderSizeWrong(void) { Header()->PhEntSize = 32; }
static void SegmentPastFile(void) { Segment(1)->FileSize = FILE_SIZE; }
static void FileBiggerThanMemory(void) { Segment(2)->FileSize = 0x1900; }
static void OverlappingSegments(void) { Segment(1)->VAddr = 0x400; }
static void SharedPageDifferentFlags(void) { Segment(2)->VAddr = 0x1800; }
static void HugeSegment(void) { Segment(2)->MemSize = RTL_ELF_MAXIMUM_IMAGE_SIZE; }
static void EntryNotCode(void) { Header()->Entry = 0x2010; }
static void EntryOutside(void) { Header()->Entry = 0x9000; }
static void NotFromZero(void) { Segment(0)->VAddr = 0x5000; }
static void DynamicOutside(void) { Segment(3)->VAddr = 0x8000; }
static void RelocationOutside(void) { Relocation(0)->Offset = IMAGE_SIZE - 4; }
static void UnknownRelocation(void) { Relocation(1)->Info = (1ULL << 32) | 2; }   // PC32
static void SymbolPastTable(void) { Relocation(1)->Info = (3ULL << 32) | R_X86_64_GLOB_DAT; }
static void SymbolZero(void) { Relocation(3)->Info = R_X86_64_JUMP_SLOT; }
static void RelativeWithSymbol(void) { Relocation(0)->Info = (1ULL << 32) | R_X86_64_RELATIVE; }
static void TableOutside(void) { Dynamic(0)->Value = IMAGE_SIZE; }
static void EntrySizeWrong(void) { Dynamic(2)->Value = 16; }
static void TextRelocations(void) { Dynamic(8)->Tag = DT_TEXTREL; }
static void NameUnterminated(void) { memset(File + STRTAB_OFFSET + 1, 'x', 15); }

TEST(ElfImageDamagedImagesAreInvalidImageFormat)
{
    static const DAMAGE damages[] = {
        BadMagic, BadClass, BigEndian, WrongMachine, NotShared, NoSegments, HeadersPastEnd,
        HeaderSizeWrong, SegmentPastFile, FileBiggerThanMemory, OverlappingSegments,
        SharedPageDifferentFlags, HugeSegment, EntryNotCode, EntryOutside, NotFromZero,
        DynamicOutside, RelocationOutside, UnknownRelocation, SymbolPastTable, SymbolZero,
        RelativeWithSymbol, TableOutside, EntrySizeWrong, TextRelocations, NameUnterminated,
    };

    for (size_t i = 0; i < ARRAYSIZE(damages); i++) {
        RTL_ELF_IMAGE_INFO info;
        NTSTATUS status;

        BuildImage();
        damages[i]();
        status = Load(&info, NULL);
        if (status != STATUS_INVALID_IMAGE_FORMAT) {
            char message[64];

            snprintf(message, sizeof(message), "damage %zu gave %08x", i, (unsigned)status);
            HostTestFail(__FILE__, __LINE__, message);
            return;
        }
    }
}

TEST(ElfImageTruncatedAtEveryLengthIsRefusedOrComplete)
{
    RTL_ELF_IMAGE_INFO info;

    BuildImage();
    for (SIZE_T size = 0; size < 0x1200; size++)
        EXPECT_EQ(RtlElfParseImage(File, size, &info), STATUS_INVALID_IMAGE_FORMAT);
    EXPECT_EQ(RtlElfParseImage(NULL, 0, &info), STATUS_INVALID_IMAGE_FORMAT);
}

typedef struct _SEEN_SYMBOL {
    char Name[16];
    ULONG64 Value;
    char Kind;
} SEEN_SYMBOL;

static void CollectSymbol(void *context, const char *name, ULONG64 value, ULONG64 size,
                          char kind)
{
    SEEN_SYMBOL *seen = context;

    while (seen->Name[0])
        seen++;
    snprintf(seen->Name, sizeof(seen->Name), "%s", name);
    seen->Value = value;
    seen->Kind = kind;
}

TEST(ElfImageSymbolsAreFunctionsAndDataInsideTheImage)
{
    SEEN_SYMBOL seen[8];

    BuildImage();
    memset(seen, 0, sizeof(seen));
    EXPECT_EQ(RtlElfEnumerateSymbols(File, sizeof(File), IMAGE_SIZE, CollectSymbol, seen), 2);
    EXPECT_STREQ(seen[0].Name, "DriverEntry");
    EXPECT_EQ(seen[0].Value, 0x1010);
    EXPECT_EQ(seen[0].Kind, 'T');
    EXPECT_STREQ(seen[1].Name, "Counter");
    EXPECT_EQ(seen[1].Kind, 'd');
    // A string table running off the file's end: nothing is read past it.
    ((ELF64_SHDR *)(File + SECTIONS))[2].Size = FILE_SIZE;
    EXPECT_EQ(RtlElfEnumerateSymbols(File, sizeof(File), IMAGE_SIZE, CollectSymbol, seen), 0);
}
