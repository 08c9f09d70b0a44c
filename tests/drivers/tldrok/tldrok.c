// A driver image that exercises every kind of relocation the loader binds:
// pointers to its own code and data (R_X86_64_RELATIVE), calls to nt's
// routines (JUMP_SLOT), nt's data read through the GOT (GLOB_DAT), and an
// nt routine's address stored in its own data (R_X86_64_64 with a symbol).
// DriverEntry checks each and says which one is wrong; the in-kernel tests
// (tests/kernel/test_sysload.c) load it and read its globals by symbol.

#include "ke/ke.h"
#include "mm/mm.h"
#include "ob/ob.h"
#include "ps/ps.h"
#include "tldrok.h"

#define TLDR_TAG POOL_TAG('T', 'l', 'd', 'r')

struct _DRIVER_OBJECT;

static ULONG TldrAdd(ULONG a, ULONG b)
{
    return a + b;
}

static ULONG TldrMultiply(ULONG a, ULONG b)
{
    return a * b;
}

// Globals, not constants, so that the compiler cannot fold them away: each
// pointer into the image is a RELATIVE relocation.
ULONG (*TldrOperations[])(ULONG, ULONG) = { TldrAdd, TldrMultiply };
const char TldrGreeting[] = "tldrok: loaded";
const char *TldrGreetingPointer = TldrGreeting;
// An nt routine's address in the image's data: R_X86_64_64 against an import.
void *(*TldrAllocate)(POOL_TYPE, SIZE_T, ULONG) = ExAllocatePoolWithTag;

ULONG TldrEntryCount = 0x1000;          // .data: initialized, written by DriverEntry
ULONG TldrScratch[64];                  // .bss: must start zeroed
ULONG64 TldrTickAtEntry;                // nt's data, read through the GOT
NTSTATUS TldrLastCheck;

// The first check that fails, or STATUS_SUCCESS.
static NTSTATUS TldrCheck(void)
{
    KEVENT event;
    void *block;

    for (ULONG i = 0; i < ARRAYSIZE(TldrScratch); i++) {
        if (TldrScratch[i] != 0)
            return TLDR_STATUS_BSS;
    }
    if (TldrOperations[0](2, 3) != 5 || TldrOperations[1](2, 3) != 6)
        return TLDR_STATUS_CODE_POINTER;
    if (TldrGreetingPointer != TldrGreeting || strcmp(TldrGreetingPointer, "tldrok: loaded"))
        return TLDR_STATUS_DATA_POINTER;
    block = TldrAllocate(NonPagedPool, 64, TLDR_TAG);
    if (!block)
        return TLDR_STATUS_IMPORT_POINTER;
    ExFreePoolWithTag(block, TLDR_TAG);
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    KeSetEvent(&event, 0, FALSE);
    if (KeReadStateEvent(&event) != 1)
        return TLDR_STATUS_IMPORT_CALL;
    TldrTickAtEntry = KeTickCount;
    if (TldrTickAtEntry == 0)
        return TLDR_STATUS_IMPORT_DATA;
    // An object type, exported as data, against the header's in-line reader.
    if (ObGetObjectType(PsGetCurrentThread()) != PsThreadType)
        return TLDR_STATUS_IMPORT_DATA;
    return STATUS_SUCCESS;
}

NTSTATUS DriverEntry(struct _DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    TldrLastCheck = TldrCheck();
    TldrEntryCount++;
    for (ULONG i = 0; i < ARRAYSIZE(TldrScratch); i++)
        TldrScratch[i] = i;
    DbgPrint("%s (status %08x)\n", TldrGreeting, (unsigned)TldrLastCheck);
    return TldrLastCheck;
}
