// The object manager: every kernel object exposed by name or handle lives
// behind an OBJECT_HEADER that counts references and knows its type. A
// process or thread object outlives its execution for as long as someone
// holds a reference (a "zombie", as the case studies call it).
#pragma once

#include "rtl/rtl.h"
#include "ke/ke.h"

typedef void (*OB_DELETE_METHOD)(void *object);

typedef struct _OBJECT_TYPE {
    const char *Name;
    ULONG PoolTag;
    OB_DELETE_METHOD DeleteProcedure;
    ULONG TotalNumberOfObjects;
    ULONG HighWaterNumberOfObjects;
    LIST_ENTRY TypeList;            // every object of the type, as NT's +otl flag keeps
    KSPIN_LOCK Lock;
} OBJECT_TYPE;

typedef struct _OBJECT_HEADER {
    LONG_PTR PointerCount;
    LONG_PTR HandleCount;
    OBJECT_TYPE *Type;
    LIST_ENTRY TypeListEntry;
    ULONG64 Body;                   // the object starts here
} OBJECT_HEADER;

#define OBJECT_TO_OBJECT_HEADER(o) CONTAINING_RECORD((o), OBJECT_HEADER, Body)
#define OBJECT_HEADER_TO_OBJECT(h) ((void *)&(h)->Body)

void ObInitializeType(OBJECT_TYPE *type, const char *name, ULONG poolTag,
                      OB_DELETE_METHOD deleteProcedure);
// A zeroed object with one pointer reference; STATUS_INSUFFICIENT_RESOURCES
// when the pool is exhausted.
NTSTATUS ObCreateObject(OBJECT_TYPE *type, ULONG bodySize, void **object);
void ObReferenceObject(void *object);
// Drops a reference; the last one runs the type's delete procedure and frees
// the object. Callable at DISPATCH_LEVEL and below.
void ObDereferenceObject(void *object);
LONG_PTR ObGetObjectPointerCount(void *object);
OBJECT_TYPE *ObGetObjectType(void *object);
