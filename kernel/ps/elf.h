// What the process manager reads in a user program's ELF image (the format
// itself is in rtl/elf.h).
#pragma once

#include "rtl/elf.h"

// The value of symbol `name` in a user program's symbol table, or 0 when it
// has none (a stripped image). Every offset comes from the file and is
// checked before use.
ULONG64 PspFindElfSymbol(const UCHAR *image, SIZE_T size, const char *name);
