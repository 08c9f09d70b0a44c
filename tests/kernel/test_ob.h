// Shared by the object manager's tests: a test object type whose delete
// routine counts deletions, and small helpers.
#pragma once

#include "tests/kernel/ktest.h"
#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"

#define KTOB_TAG    POOL_TAG('K', 't', 'O', 'b')
#define KTOB_QUERY  0x0001
#define KTOB_MODIFY 0x0002
#define KTOB_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)

typedef struct _KTOB_OBJECT {
    ULONG Value;
} KTOB_OBJECT;

extern ULONG KtObDeletions;

OBJECT_TYPE *KtObType(void);
KTOB_OBJECT *KtObCreate(void);
ULONG KtObPoolAllocations(ULONG tag);
// Inserts a fresh test object under `name` (NULL: unnamed).
NTSTATUS KtObInsert(const WCHAR *name, ULONG attributes, ACCESS_MASK access,
                    KTOB_OBJECT **object, HANDLE *handle);
NTSTATUS KtObLookup(const WCHAR *name, void **object);
