// The types `dt` knows, described by hand from the structures the kernel
// uses (offsetof), so that they cannot drift. Each family of types lives
// beside its commands' files (cmdtype.c: dispatcher and worker queues;
// typeio.c: the I/O manager's); cmdtype.c holds the dt command itself.
#pragma once

#include "kd/kd.h"

typedef enum _KD_FIELD_KIND {
    KdFieldUchar,
    KdFieldChar,                // a CHAR/CCHAR: decimal and the character, "2 ''"
    KdFieldShort,               // signed: WinDbg's 0n decimal
    KdFieldUshort,
    KdFieldLong,
    KdFieldUlong,
    KdFieldUlong64,
    KdFieldPointer,
    KdFieldCode,                // a routine: the pointer and its symbol
    KdFieldListEntry,
    KdFieldUnicodeString,       // the string's text, read through its Buffer
    KdFieldLargeInteger,
    KdFieldCodeArray,           // an array of routines: the count and the first
    KdFieldStruct,              // shown by its type name
} KD_FIELD_KIND;

typedef struct _KD_FIELD {
    ULONG Offset;
    const char *Name;
    KD_FIELD_KIND Kind;
    const char *TypeName;       // for the layout: "Uint4B", "_LIST_ENTRY", ...
    ULONG Count;                // KdFieldCodeArray: the number of elements
} KD_FIELD;

typedef struct _KD_TYPE {
    const char *Name;
    ULONG Size;
    const KD_FIELD *Fields;
    ULONG FieldCount;
} KD_TYPE;

#define KD_FIELD_OF(type, field, kind, typeName) \
    { offsetof(type, field), #field, kind, typeName, 0 }
#define KD_FIELD_ARRAY_OF(type, field, typeName)                                              \
    { offsetof(type, field), #field, KdFieldCodeArray, typeName,                            \
      sizeof(((type *)0)->field) / sizeof(((type *)0)->field[0]) }
#define KD_TYPE_OF(name, type, fields) { name, sizeof(type), fields, ARRAYSIZE(fields) }

// The I/O manager's types (typeio.c), ending with an entry without a name.
extern const KD_TYPE KdpIoTypes[];
// The dispatcher's and worker queues' types (cmdtype.c), the same way.
extern const KD_TYPE KdpTypes[];

// The offset of `FieldPath` ("Flink", "EntryListHead.Flink") in the type
// `TypeName` ("nt!_KQUEUE" or "_KQUEUE"); FALSE when there is no such type
// or field (typefield.c, over the tables above; the DWARF types replace it).
BOOLEAN KdpTypeFieldOffset(const char *TypeName, const char *FieldPath, ULONG *Offset);
