// The parts of the ELF64 format the process manager reads in a user program:
// the file header, section headers and symbols (the System V gABI's layout).
#pragma once

#include "rtl/rtl.h"

#define ELF_MAGIC       0x464C457FU     // "\x7fELF"
#define SHT_SYMTAB      2

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

_Static_assert(sizeof(ELF64_EHDR) == 64, "ELF64 file header");
_Static_assert(sizeof(ELF64_SHDR) == 64, "ELF64 section header");
_Static_assert(sizeof(ELF64_SYM) == 24, "ELF64 symbol");

// The value of symbol `name` in a user program's symbol table, or 0 when it
// has none (a stripped image). Every offset comes from the file and is
// checked before use.
ULONG64 PspFindElfSymbol(const UCHAR *image, SIZE_T size, const char *name);
