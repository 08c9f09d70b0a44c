// Loaded system images: the loaded-module list (PsLoadedModuleList of
// KLDR_DATA_TABLE_ENTRY, NT's name and x64 shape, nt itself first) and the
// loader that maps driver images into it (sysload.c, docs/drivers.md).
#pragma once

#include "rtl/rtl.h"
#include "ke/ke.h"
#include "kd/ksyms.h"

// KLDR_DATA_TABLE_ENTRY.Flags (NT's LDRP_ values).
#define LDRP_LOAD_IN_PROGRESS   0x00001000  // mapped, entry not yet called
#define LDRP_ENTRY_PROCESSED    0x00004000  // its entry point has run and succeeded

// Sleuth's debug information for a loaded module, where NT's entry points
// at its NON_PAGED_DEBUG_INFO: the module's symbols (from the image's ELF
// symbol table) sorted by address, for the debugger (one pool block, tag
// MmDb: this header, then the entries, then the names).
typedef struct _NON_PAGED_DEBUG_INFO {
    USHORT Signature;               // MI_DEBUG_INFO_SIGNATURE
    USHORT Flags;
    ULONG Size;                     // of the whole block
    ULONG SymbolCount;
    ULONG NamesSize;
    KSYM_ENTRY *Symbols;            // Address is the loaded address
    char *Names;
} NON_PAGED_DEBUG_INFO;

#define MI_DEBUG_INFO_SIGNATURE 0x4453  // "SD"

// NT's x64 layout (Windows Server 2003 to 7), offsets as `dt nt!_KLDR_DATA_TABLE_ENTRY`.
typedef struct _KLDR_DATA_TABLE_ENTRY {
    LIST_ENTRY InLoadOrderLinks;
    void *ExceptionTable;
    ULONG ExceptionTableSize;
    void *GpValue;
    NON_PAGED_DEBUG_INFO *NonPagedDebugInfo;
    void *DllBase;
    void *EntryPoint;
    ULONG SizeOfImage;
    UNICODE_STRING FullDllName;
    UNICODE_STRING BaseDllName;
    ULONG Flags;
    USHORT LoadCount;
    USHORT Unused5;
    void *SectionPointer;
    ULONG CheckSum;
    void *LoadedImports;
    void *PatchInformation;
} KLDR_DATA_TABLE_ENTRY;

_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, ExceptionTable) == 0x10, "KLDR");
_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, NonPagedDebugInfo) == 0x28, "KLDR");
_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, DllBase) == 0x30, "KLDR");
_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, EntryPoint) == 0x38, "KLDR");
_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, SizeOfImage) == 0x40, "KLDR");
_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, FullDllName) == 0x48, "KLDR");
_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, BaseDllName) == 0x58, "KLDR");
_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, Flags) == 0x68, "KLDR");
_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, LoadCount) == 0x6c, "KLDR");
_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, SectionPointer) == 0x70, "KLDR");
_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, CheckSum) == 0x78, "KLDR");
_Static_assert(__builtin_offsetof(KLDR_DATA_TABLE_ENTRY, LoadedImports) == 0x80, "KLDR");
_Static_assert(sizeof(KLDR_DATA_TABLE_ENTRY) == 0x90, "KLDR_DATA_TABLE_ENTRY");

// NT's LoadedImports block: the modules (other than nt) whose exports a
// module's imports were bound to. Each holds a load reference (LoadCount)
// on them for as long as the importing module is loaded.
typedef struct _LOAD_IMPORTS {
    SIZE_T Count;
    KLDR_DATA_TABLE_ENTRY *Entry[];
} LOAD_IMPORTS;

// Every loaded module in load order, nt first. Changed under
// PsLoadedModuleSpinLock (so it may be walked at DISPATCH_LEVEL holding it),
// by loads and unloads serialized by MmSystemLoadLock.
extern LIST_ENTRY PsLoadedModuleList;
extern KSPIN_LOCK PsLoadedModuleSpinLock;
extern KMUTEX MmSystemLoadLock;

// The pool tags: module entries (with their names) and their debug information.
#define MI_LOADED_MODULE_TAG POOL_TAG('M', 'm', 'L', 'd')
#define MI_DEBUG_INFO_TAG    POOL_TAG('M', 'm', 'D', 'b')
#define MI_LOADED_IMPORTS_TAG POOL_TAG('M', 'm', 'L', 'i')

// Builds the list with nt's entry; part of MmInitSystem.
void MiInitializeLoadedModuleList(void);

// Loads the driver image named by the last component of `imageFileName`
// ("\SystemRoot\System32\drivers\null.sys" or "null.sys") from the boot
// archive: maps it in the driver region, relocates it, binds its imports
// to nt's exports or to those of a driver already loaded (its NAME.exports),
// and links its entry (LoadCount 1, LDRP_LOAD_IN_PROGRESS)
// into PsLoadedModuleList. Its entry point is not called: that is the
// caller's (IopLoadDriver), which unloads it if the entry fails. At
// PASSIVE_LEVEL. Fails with STATUS_OBJECT_NAME_NOT_FOUND (no such file),
// STATUS_IMAGE_ALREADY_LOADED, STATUS_INVALID_IMAGE_FORMAT,
// STATUS_DRIVER_ENTRYPOINT_NOT_FOUND (an import neither nt nor a loaded
// driver exports),
// STATUS_INSUFFICIENT_RESOURCES; a failure leaves nothing behind.
NTSTATUS MmLoadSystemImage(const UNICODE_STRING *imageFileName, KLDR_DATA_TABLE_ENTRY **entry,
                           void **imageBase);
// The same for an image already in memory (`file`, `size` bytes), named
// `imageFileName`: the tests load damaged copies through it.
NTSTATUS MiLoadSystemImage(const UNICODE_STRING *imageFileName, const UCHAR *file, SIZE_T size,
                           KLDR_DATA_TABLE_ENTRY **entry, void **imageBase);
// Drops a load's reference; the last one unlinks the entry and frees the
// image's pages, its debug information and the entry. nt cannot be
// unloaded (STATUS_INVALID_PARAMETER), nor can an entry that is not on the
// list (STATUS_NOT_FOUND). At PASSIVE_LEVEL.
NTSTATUS MmUnloadSystemImage(KLDR_DATA_TABLE_ENTRY *entry);
// TRUE while another loaded module imports from `entry` (its LoadCount
// holds their references): the I/O manager then refuses to unload the
// driver. At PASSIVE_LEVEL.
BOOLEAN MmIsSystemImageImported(KLDR_DATA_TABLE_ENTRY *entry);

// The module whose image holds `address`, or NULL: for the bugcheck text
// and the tests. No reference is taken; the caller knows it stays loaded.
KLDR_DATA_TABLE_ENTRY *MmFindLoadedModule(ULONG64 address);
