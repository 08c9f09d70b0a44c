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
