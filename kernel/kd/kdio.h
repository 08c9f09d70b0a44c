// The debugger's I/O commands: the pool search they build on (poolscan.c)
// and what the driver, device, file and IRP commands share (cmddrv.c,
// cmdirp.c, cmdfile.c). Like every command, they read the I/O manager's
// structures through the fault-safe reader and call nothing of its.
#pragma once

#include "kd/kd.h"
#include "mm/mm.h"

// ---- Pool search (poolscan.c) ------------------------------------------------------------

// Called for each allocated block whose tag matches; `body` is what the
// allocator returned for it. FALSE stops the search.
typedef BOOLEAN (*KD_POOL_FOUND_CALLBACK)(void *context, const POOL_BLOCK_INFO *block,
                                          ULONG64 body);

typedef struct _KD_POOL_SCAN {
    const char *TagPattern;         // four characters, '?' and '*' match any ("Irp?")
    ULONG PoolIndex;                // POOL_INDEX_NONPAGED or POOL_INDEX_PAGED
    ULONG64 Start;                  // WinDbg's RestartAddress: blocks below it are skipped
    KD_POOL_FOUND_CALLBACK Callback;
    void *Context;
    BOOLEAN Quiet;                  // no headers and no progress lines (!waitchain's searches)
} KD_POOL_SCAN;

// Prints WinDbg's two headers ("Scanning large pool allocation table for
// Tag: ...", "Searching NonPaged pool (...) for Tag: ...") and calls back for
// every match: big-page allocations first, then page by page. Returns how
// many blocks matched.
ULONG KdpScanPool(const KD_POOL_SCAN *scan);
BOOLEAN KdpPoolTagMatches(const char *pattern, ULONG tag);
// A PoolType argument (0 NonPaged, 1 Paged); FALSE after an error line.
BOOLEAN KdpParsePoolType(const char *text, ULONG *poolIndex);

extern const KD_COMMAND KdpPoolFindCommands[];

// ---- Driver and device objects (cmddrv.c) ------------------------------------------------

#include "io/iotypes.h"

#define KD_IO_NAME 160              // a driver, device or file name as the commands show it

// Reads the structure at `address` once it has shown it is one: readable,
// its CSHORT Type the I/O manager's (IO_TYPE_DEVICE, _DRIVER, _FILE), and an
// object of the type of that name ("Device", "Driver", "File") when the I/O
// manager has made it. Unless `quiet`, says in one line why it is not.
BOOLEAN KdpReadDeviceObject(ULONG64 address, DEVICE_OBJECT *device, BOOLEAN quiet);
BOOLEAN KdpReadDriverObject(ULONG64 address, DRIVER_OBJECT *driver, BOOLEAN quiet);
BOOLEAN KdpReadFileObject(ULONG64 address, FILE_OBJECT *file, BOOLEAN quiet);
// A UNICODE_STRING's text as ASCII (anything else as '?'), cut to fit;
// FALSE (and "" ) when its buffer cannot be read.
BOOLEAN KdpReadUnicodeText(const UNICODE_STRING *string, char *text, size_t size);
// The DriverName of a driver object ("\Driver\Null"), or of a device's
// driver; "" when there is none to read.
void KdpDriverNameOf(ULONG64 driver, char *name, size_t size);
void KdpDeviceDriverName(ULONG64 device, char *name, size_t size);
// WinDbg's pointers in the I/O commands: at least eight digits, so that a
// NULL reads 00000000 and a kernel address all sixteen.
#define KD_PTR "%08llx"
#define KD_P(value) ((unsigned long long)(value))
// A !drvobj or !devobj argument: a path ("\Driver\Null"), a name taken under
// each of `prefixes` in turn ("Null" is "\Driver\Null", as WinDbg), else an
// expression.
// FALSE after an error line.
BOOLEAN KdpResolveIoArgument(const char *text, const char *const *prefixes, ULONG64 *address);

extern const KD_COMMAND KdpDriverCommands[];

// ---- IRPs (cmdirp.c) ------------------------------------------------------------------------

// `!irp ADDR [1]`; FALSE after an error line when `address` is not an IRP.
BOOLEAN KdpPrintIrp(ULONG64 address, BOOLEAN detail);

extern const KD_COMMAND KdpIrpCommands[];

// ---- File objects (cmdfile.c) ------------------------------------------------------------

extern const KD_COMMAND KdpFileCommands[];
