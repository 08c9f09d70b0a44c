// The kernel's symbol table, generated from the kernel's own ELF at build
// time (tools/gensyms.py), sorted by address.
#pragma once

#include "rtl/rtl.h"

typedef struct _KSYM_ENTRY {
    ULONG64 Address;
    ULONG Size;             // bytes, 0 when the assembler did not say
    ULONG NameOffset;       // into KdpSymbolNames
    char Kind;              // nm's letter: T/t code, D/d data, B/b bss, R/r read-only
} KSYM_ENTRY;

extern const ULONG KdpSymbolCount;
extern const KSYM_ENTRY KdpSymbolTable[];
extern const char KdpSymbolNames[];
extern const char KdpBuildTime[];     // when the kernel was linked
