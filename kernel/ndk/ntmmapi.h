// Memory as user mode sees it: page protections, allocation types and
// states, sections and views, and the virtual-memory and section services
// with NT's values and layouts. Part of the NT ABI (kernel/ndk/); the
// memory manager's own structures (MMVAD, SECTION...) are in kernel/mm/.
#pragma once

#include "ntdef.h"
#include "ntobapi.h"

// Page protections, NT's values.
#define PAGE_NOACCESS           0x01
#define PAGE_READONLY           0x02
#define PAGE_READWRITE          0x04
#define PAGE_WRITECOPY          0x08
#define PAGE_EXECUTE            0x10
#define PAGE_EXECUTE_READ       0x20
#define PAGE_EXECUTE_READWRITE  0x40
#define PAGE_GUARD              0x100
#define PAGE_NOCACHE            0x200

// Memory states and types (MEMORY_BASIC_INFORMATION), NT's values.
#define MEM_COMMIT   0x00001000
#define MEM_RESERVE  0x00002000
#define MEM_DECOMMIT 0x00004000
#define MEM_RELEASE  0x00008000
#define MEM_FREE     0x00010000
#define MEM_PRIVATE  0x00020000
#define MEM_MAPPED   0x00040000
#define MEM_TOP_DOWN 0x00100000
#define MEM_IMAGE    0x01000000

// ---- Virtual memory services (virtual.c) ------------------------------------
//
// Committed pages are allocated (zeroed) at commit time, not on first touch:
// there is no demand-zero fault path, so a page's state is always what its
// PTE says (see docs/memory.md).

typedef enum _MEMORY_INFORMATION_CLASS { MemoryBasicInformation = 0 } MEMORY_INFORMATION_CLASS;
typedef struct _MEMORY_BASIC_INFORMATION {
    void *BaseAddress;
    void *AllocationBase;
    ULONG AllocationProtect;
    SIZE_T RegionSize;
    ULONG State;
    ULONG Protect;
    ULONG Type;
} MEMORY_BASIC_INFORMATION;

NTSTATUS NTAPI NtAllocateVirtualMemory(HANDLE processHandle, void **baseAddress,
                                       ULONG_PTR zeroBits, SIZE_T *regionSize,
                                       ULONG allocationType, ULONG protect);
NTSTATUS NTAPI NtFreeVirtualMemory(HANDLE processHandle, void **baseAddress, SIZE_T *regionSize,
                                   ULONG freeType);
NTSTATUS NTAPI NtQueryVirtualMemory(HANDLE processHandle, void *baseAddress,
                                    MEMORY_INFORMATION_CLASS memoryInformationClass,
                                    void *memoryInformation, SIZE_T memoryInformationLength,
                                    SIZE_T *returnLength);
NTSTATUS NTAPI NtProtectVirtualMemory(HANDLE processHandle, void **baseAddress, SIZE_T *regionSize,
                                      ULONG newProtect, ULONG *oldProtect);

// ---- Sections and views (section.c) ------------------------------------------

#define SECTION_QUERY        0x0001
#define SECTION_MAP_WRITE    0x0002
#define SECTION_MAP_READ     0x0004
#define SECTION_MAP_EXECUTE  0x0008
#define SECTION_EXTEND_SIZE  0x0010
#define SECTION_ALL_ACCESS   (STANDARD_RIGHTS_REQUIRED | 0x1F)

#define SEC_IMAGE    0x01000000
#define SEC_RESERVE  0x04000000
#define SEC_COMMIT   0x08000000

typedef enum _SECTION_INHERIT { ViewShare = 1, ViewUnmap = 2 } SECTION_INHERIT;
typedef enum _SECTION_INFORMATION_CLASS { SectionBasicInformation = 0 } SECTION_INFORMATION_CLASS;
typedef struct _SECTION_BASIC_INFORMATION {
    void *BaseAddress;
    ULONG AllocationAttributes;
    LARGE_INTEGER MaximumSize;
} SECTION_BASIC_INFORMATION;

NTSTATUS NTAPI NtCreateSection(HANDLE *sectionHandle, ACCESS_MASK desiredAccess,
                               OBJECT_ATTRIBUTES *objectAttributes, LARGE_INTEGER *maximumSize,
                               ULONG sectionPageProtection, ULONG allocationAttributes,
                               HANDLE fileHandle);
NTSTATUS NTAPI NtOpenSection(HANDLE *sectionHandle, ACCESS_MASK desiredAccess,
                             OBJECT_ATTRIBUTES *objectAttributes);
NTSTATUS NTAPI NtMapViewOfSection(HANDLE sectionHandle, HANDLE processHandle, void **baseAddress,
                                  ULONG_PTR zeroBits, SIZE_T commitSize,
                                  LARGE_INTEGER *sectionOffset, SIZE_T *viewSize,
                                  SECTION_INHERIT inheritDisposition, ULONG allocationType,
                                  ULONG win32Protect);
NTSTATUS NTAPI NtUnmapViewOfSection(HANDLE processHandle, void *baseAddress);
NTSTATUS NTAPI NtQuerySection(HANDLE sectionHandle,
                              SECTION_INFORMATION_CLASS sectionInformationClass,
                              void *sectionInformation, SIZE_T sectionInformationLength,
                              SIZE_T *returnLength);
