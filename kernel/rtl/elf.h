// The parts of the ELF64 format (the System V gABI and its x86-64 supplement)
// that the kernel reads: user programs (ps/ldr.c), driver images
// (mm/sysload.c) and the debugger's symbols. And the pure logic of loading a
// driver image (rtl/elfimage.c): checking it, laying it out, relocating it,
// reading its symbols. No state and no allocation, so the host tests run it.
#pragma once

#include "rtl/rtl.h"

#define ELF_MAGIC       0x464C457FU     // "\x7fELF"
#define ELFCLASS64      2
#define ELFDATA2LSB     1
#define EV_CURRENT      1
#define ET_EXEC         2
#define ET_DYN          3
#define EM_X86_64       62

#define PT_LOAD         1
#define PT_DYNAMIC      2
#define PT_GNU_RELRO    0x6474E552U
#define PF_X            1
#define PF_W            2
#define PF_R            4

#define SHN_UNDEF       0
#define SHT_SYMTAB      2
#define STT_OBJECT      1
#define STT_FUNC        2
#define STB_LOCAL       0
#define STB_GLOBAL      1
#define STB_WEAK        2
#define ELF64_ST_BIND(info) ((info) >> 4)
#define ELF64_ST_TYPE(info) ((info) & 0xF)

#define DT_NULL         0
#define DT_HASH         4
#define DT_STRTAB       5
#define DT_SYMTAB       6
#define DT_RELA         7
#define DT_RELASZ       8
#define DT_RELAENT      9
#define DT_STRSZ        10
#define DT_SYMENT       11
#define DT_REL          17
#define DT_PLTRELSZ     2
#define DT_PLTREL       20
#define DT_TEXTREL      22
#define DT_JMPREL       23

#define R_X86_64_NONE       0
#define R_X86_64_64         1
#define R_X86_64_GLOB_DAT   6
#define R_X86_64_JUMP_SLOT  7
#define R_X86_64_RELATIVE   8
#define ELF64_R_SYM(info)   ((ULONG)((info) >> 32))
#define ELF64_R_TYPE(info)  ((ULONG)(info))

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

typedef struct _ELF64_SHDR {
    ULONG Name, Type;
    ULONG64 Flags, Addr, Offset, Size;
    ULONG Link, Info;
    ULONG64 AddrAlign, EntSize;
} ELF64_SHDR;

typedef struct _ELF64_SYM {
    ULONG Name;
    UCHAR Info, Other;
    USHORT SectionIndex;
    ULONG64 Value, Size;
} ELF64_SYM;

typedef struct _ELF64_DYN {
    LONG64 Tag;
    ULONG64 Value;
} ELF64_DYN;

typedef struct _ELF64_RELA {
    ULONG64 Offset;
    ULONG64 Info;
    LONG64 Addend;
} ELF64_RELA;

_Static_assert(sizeof(ELF64_EHDR) == 64, "ELF64 file header");
_Static_assert(sizeof(ELF64_PHDR) == 56, "ELF64 program header");
_Static_assert(sizeof(ELF64_SHDR) == 64, "ELF64 section header");
_Static_assert(sizeof(ELF64_SYM) == 24, "ELF64 symbol");
_Static_assert(sizeof(ELF64_DYN) == 16, "ELF64 dynamic entry");
_Static_assert(sizeof(ELF64_RELA) == 24, "ELF64 relocation");

// ---- Driver images (elfimage.c) ----------------------------------------------------
//
// A driver image is an ELF64 x86-64 shared object linked at 0 (Makefile's
// DRIVER_LDFLAGS): its PT_LOAD segments laid out from 0 make the image, and
// its dynamic relocations (RELATIVE for its own pointers, GLOB_DAT,
// JUMP_SLOT and 64 for its imports) are applied where it is loaded.

#define RTL_ELF_MAXIMUM_SEGMENTS    16
#define RTL_ELF_MAXIMUM_IMAGE_SIZE  (64ULL * 1024 * 1024)

typedef struct _RTL_ELF_SEGMENT {
    ULONG64 VirtualAddress;         // offset in the image
    ULONG64 FileOffset;
    ULONG64 FileSize;
    ULONG64 MemorySize;
    ULONG Flags;                    // PF_R | PF_W | PF_X
} RTL_ELF_SEGMENT;

typedef struct _RTL_ELF_IMAGE_INFO {
    ULONG64 SizeOfImage;            // the segments' span, in whole pages
    ULONG64 EntryPoint;             // offset in the image
    ULONG SegmentCount;
    RTL_ELF_SEGMENT Segments[RTL_ELF_MAXIMUM_SEGMENTS];
    ULONG64 DynamicOffset;          // PT_DYNAMIC in the image; size 0: none
    ULONG64 DynamicSize;
    ULONG64 RelroStart;             // PT_GNU_RELRO: read-only once relocated
    ULONG64 RelroEnd;
} RTL_ELF_IMAGE_INFO;

// Checks the file and lays the image out. STATUS_INVALID_IMAGE_FORMAT for
// anything that is not such an image: not ELF, not 64-bit little-endian,
// not a shared object, another machine, a header or segment outside the
// file, segments that overlap or share a page with different protections,
// no executable segment holding the entry point, an image too large.
NTSTATUS RtlElfParseImage(const UCHAR *file, SIZE_T size, RTL_ELF_IMAGE_INFO *info);

// Copies the segments into `image` (SizeOfImage bytes) and zeroes the rest.
void RtlElfCopyImage(const UCHAR *file, const RTL_ELF_IMAGE_INFO *info, UCHAR *image);

// Binds an import by name: its address, or an error status.
typedef NTSTATUS (*RTL_ELF_IMPORT_RESOLVER)(void *context, const char *name, ULONG64 *address);

// Applies the dynamic relocations of the copied `image`, which will run at
// `base`, asking `resolve` for each undefined symbol. Every table, index and
// offset comes from the file and is checked against the image first
// (STATUS_INVALID_IMAGE_FORMAT; a relocation type other than the four, or
// text relocations, too). The resolver's failure is returned as is, with
// `failedName` (if given) pointing at the name, inside `image`.
NTSTATUS RtlElfRelocateImage(UCHAR *image, const RTL_ELF_IMAGE_INFO *info, ULONG64 base,
                             RTL_ELF_IMPORT_RESOLVER resolve, void *context,
                             const char **failedName);

// The offset in the copied `image` of the global symbol `name` its dynamic
// symbol table defines (a driver's DriverExportTable): STATUS_NOT_FOUND when
// it has none, STATUS_INVALID_IMAGE_FORMAT for damaged tables.
NTSTATUS RtlElfFindDynamicSymbol(const UCHAR *image, const RTL_ELF_IMAGE_INFO *info,
                                 const char *name, ULONG64 *offset);

// Calls back for each function and data symbol the file's symbol table
// defines inside the image (value = offset in the image), local ones
// included; `kind` is nm's letter (T/t code, D/d data). Symbols whose name
// or value is out of range are skipped. Returns how many were reported.
typedef void (*RTL_ELF_SYMBOL_CALLBACK)(void *context, const char *name, ULONG64 value,
                                        ULONG64 size, char kind);
ULONG RtlElfEnumerateSymbols(const UCHAR *file, SIZE_T size, ULONG64 imageSize,
                             RTL_ELF_SYMBOL_CALLBACK callback, void *context);
