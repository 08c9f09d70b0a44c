// The pool's block layout, shared by the allocator, the debugger's `!pool`
// and the host tests.
#pragma once

#include "rtl/rtl.h"

// NT's x64 POOL_HEADER: sizes in 16-byte units, header included. Sleuth
// bills no quota yet, so the ProcessBilled slot keeps the size the caller
// asked for, which is what the overrun check needs.
typedef struct _POOL_HEADER {
    UCHAR PreviousSize;
    UCHAR PoolIndex;            // POOL_INDEX_*: which pool the page belongs to
    UCHAR BlockSize;
    UCHAR PoolType;             // 0 when free, else PoolIndex + 1
    ULONG PoolTag;
    union {
        void *ProcessBilled;
        SIZE_T RequestedBytes;
    };
} POOL_HEADER;

_Static_assert(sizeof(POOL_HEADER) == 16, "POOL_HEADER is 16 bytes on x64");

typedef struct _POOL_TRACKER_BIG_PAGES {
    ULONG64 Va;                 // 0: empty slot; POOL_BIG_TOMBSTONE: freed slot
    ULONG Key;                  // tag
    ULONG PoolIndex;
    SIZE_T NumberOfBytes;       // as requested
} POOL_TRACKER_BIG_PAGES;

#define POOL_INDEX_NONPAGED    0
#define POOL_INDEX_PAGED       1
#define POOL_TYPES             2
#define POOL_PAGE_UNITS        (PAGE_SIZE / sizeof(POOL_HEADER))     // 256
#define POOL_LIST_HEADS        256
#define POOL_MIN_BLOCK_UNITS   2                                     // room for a LIST_ENTRY
#define POOL_MAX_SMALL_UNITS   (POOL_PAGE_UNITS - POOL_MIN_BLOCK_UNITS)  // 254: 4048 bytes
#define POOL_MAX_ALLOCATION    (256ULL * 1024 * 1024)
#define POOL_SLACK_PATTERN     0xCB
#define POOL_FREE_TAG          POOL_TAG('F', 'r', 'e', 'e')
#define POOL_BIG_TOMBSTONE     1ULL
#define POOL_BIG_TABLE_TAG     POOL_TAG('P', 'o', 'o', 'B')   // what !pool calls the table's pages
#define POOL_BIG_TABLE_INITIAL 1024
#define POOL_BUGCHECK_OVERRUN  0x21     // BAD_POOL_HEADER parameter 1: slack overwritten

extern POOL_TRACKER_BIG_PAGES *PoolBigPageTable;
extern SIZE_T PoolBigPageTableSize;

void ExpFormatTag(ULONG tag, char text[5]);
