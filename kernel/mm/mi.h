// Memory manager internals shared between its files.
#pragma once

#include "mm/mm.h"

#define PTE_PRESENT   (1ULL << 0)
#define PTE_WRITE     (1ULL << 1)
#define PTE_USER      (1ULL << 2)
#define PTE_PWT       (1ULL << 3)
#define PTE_PCD       (1ULL << 4)
#define PTE_ACCESSED  (1ULL << 5)
#define PTE_DIRTY     (1ULL << 6)
#define PTE_LARGE     (1ULL << 7)
#define PTE_GLOBAL    (1ULL << 8)
#define PTE_NX        (1ULL << 63)
#define PTE_FRAME     0x000FFFFFFFFFF000ULL

void MiInitializePfnDatabase(ULONG64 kernelPhysicalStart, ULONG64 kernelPhysicalEnd);
void MiRelocatePfnDatabase(void);
PFN_NUMBER MiGetHighestPhysicalPage(void);
ULONG64 MiPoolVirtualPagesInUse(void);
void MiInitializeSystemPageTables(void);
void MiInitializeUserAddressSpaces(void);

// The kernel's PML4 (through the direct map once paging is up). Its upper
// half is copied into every process's PML4.
extern ULONG64 *MiKernelPml4;
// PTE_NX where the processor has it, else 0 (the bit would be reserved).
extern ULONG64 MiNxBit;
