// The types `dt` and `??` know: every structure, union, enum and typedef of
// the kernel and of each driver image, generated at build time from the
// build's own DWARF (tools/gentypes.py writes them into .ksyms after the
// first link, as the symbol table). A type is a record; aggregates point at
// their members, enums at their enumerators, pointers, arrays and typedefs
// at the type they refer to. Record 0 is void.
#pragma once

#include "rtl/rtl.h"

typedef enum _KD_TYPE_KIND {
    KdTypeVoid,
    KdTypeBase,
    KdTypeStruct,
    KdTypeUnion,
    KdTypeEnum,
    KdTypeTypedef,
    KdTypePointer,
    KdTypeArray,
    KdTypeFunction,
} KD_TYPE_KIND;

typedef enum _KD_BASE_ENCODING {
    KdBaseSigned,
    KdBaseUnsigned,
    KdBaseBool,
    KdBaseFloat,
} KD_BASE_ENCODING;

typedef struct _KD_TYPE_RECORD {
    UCHAR Kind;                 // KD_TYPE_KIND
    UCHAR Encoding;             // KD_BASE_ENCODING: base types and enums
    USHORT Reserved;
    ULONG Name;                 // into KdpTypeNames; 0 is "" (no name)
    ULONG Size;                 // bytes (for arrays and typedefs: KdpTypeSize)
    ULONG Target;               // pointer, typedef, array, function (its return):
                                // the type; struct/union: first member; enum:
                                // first enumerator
    ULONG Count;                // members, enumerators, or an array's elements
} KD_TYPE_RECORD;

typedef struct _KD_TYPE_MEMBER {
    ULONG Name;
    ULONG Type;
    ULONG Offset;               // a bit field: its storage unit's offset
    UCHAR BitPosition;          // within that unit
    UCHAR BitSize;              // 0: not a bit field
} KD_TYPE_MEMBER;

typedef struct _KD_TYPE_ENUMERATOR {
    LONG64 Value;
    ULONG Name;
} KD_TYPE_ENUMERATOR;

// A function of a module, for kp/kP: where its code is (an offset from the
// module's base when the module is Relative, a driver; else the address),
// its name and its parameters (KdpTypeParameters[FirstParameter...]).
typedef struct _KD_TYPE_FUNCTION {
    ULONG64 Start;
    ULONG Size;
    ULONG Name;
    ULONG FirstParameter;
    ULONG ParameterCount;
} KD_TYPE_FUNCTION;

typedef struct _KD_TYPE_PARAMETER {
    ULONG Name;
    ULONG Type;
    ULONG FirstLocation;        // KdpTypeLocations[...]: where its value is
    ULONG LocationCount;        // 0: nowhere the debugger can follow
} KD_TYPE_PARAMETER;

typedef enum _KD_PARAMETER_KIND {
    KdParameterRegister,        // in Register
    KdParameterMemory,          // in memory at Register + Offset
    KdParameterValue,           // the value is Register + Offset
    KdParameterConstant,        // the value is Offset
} KD_PARAMETER_KIND;

#define KD_PARAMETER_CFA 0xFF   // Register: the frame's CFA (DW_OP_fbreg)

// Over [Begin, End) of the function's code (offsets from its start), the
// parameter is where Kind, Register (a DWARF number) and Offset say.
typedef struct _KD_TYPE_LOCATION {
    ULONG Begin;
    ULONG End;
    UCHAR Kind;
    UCHAR Register;
    LONG Offset;
} KD_TYPE_LOCATION;

typedef struct _KD_TYPE_MODULE {
    const char *Name;           // "nt", a driver's image name without .sys, or a
                                // system program's without .exe
    const ULONG *Types;         // its named types, sorted by name
    ULONG TypeCount;
    const KD_TYPE_FUNCTION *Functions;  // sorted by Start
    ULONG FunctionCount;
    ULONG Relative;             // TRUE: Start is an offset from the module's base
} KD_TYPE_MODULE;

// The generated tables (tools/gentypes.py); KdpTypeModules ends with an
// entry without a name, nt first.
extern const KD_TYPE_RECORD KdpTypeRecords[];
extern const KD_TYPE_MEMBER KdpTypeMembers[];
extern const KD_TYPE_ENUMERATOR KdpTypeEnumerators[];
extern const KD_TYPE_MODULE KdpTypeModules[];
extern const KD_TYPE_PARAMETER KdpTypeParameters[];
extern const KD_TYPE_LOCATION KdpTypeLocations[];
extern const ULONG KdpTypeRecordCount;
extern const char KdpTypeNames[];

#define KD_TYPE_NONE 0xffffffffu

// ---- Looking types up (typedb.c; pure code, also built for the host tests) ----

// A type by name, "[module!]Name", case-insensitive; without a module, nt's
// first, then each driver's. KD_TYPE_NONE when no module has it.
ULONG KdpTypeLookup(const char *name);
const KD_TYPE_RECORD *KdpTypeRecord(ULONG type);
const char *KdpTypeString(ULONG offset);
// The type with its typedefs looked through.
ULONG KdpTypeResolve(ULONG type);
ULONG KdpTypeSize(ULONG type);
// WinDbg's name of a type as dt shows it: "Uint4B", "Ptr64 _KTHREAD",
// "[16] UChar", "_LIST_ENTRY", "<unnamed-tag>", "Ptr64     long ".
void KdpTypeFormatName(ULONG type, char *buffer, size_t size);
// The C++ evaluator's name of a type: "unsigned long", "struct _KQUEUE *".
void KdpTypeFormatCName(ULONG type, char *buffer, size_t size);
// A field path "Field[.Sub...]" inside `type`: the last member, its offset
// from the start of `type`, and the type it is in. The members of unnamed
// structures and unions are found as C finds them.
BOOLEAN KdpTypeFindField(ULONG type, const char *path, const KD_TYPE_MEMBER **member,
                         ULONG *offset);
// The function of module `moduleName` ("nt", "mup", "lpcdemo") holding
// `address` (the code's address; `base` is the module's, for a driver), and
// how far into it the address is; NULL when the module's debug information
// has none there.
const KD_TYPE_FUNCTION *KdpTypeFindFunction(const char *moduleName, ULONG64 base,
                                            ULONG64 address, ULONG64 *offset);
// Other commands' way to a field's offset (`!list -t Type.Field`): TypeName
// may carry "nt!" or a driver's module, FieldPath may be "Field.Sub".
BOOLEAN KdpTypeFieldOffset(const char *TypeName, const char *FieldPath, ULONG *Offset);

// ---- The debugger's side (cmdtype.c, cmdcpp.c) ----------------------------------------

// What dt prints after a field's colon for a `type` at `address`, read
// fault-safe: a number, a pointer, a list entry's links, a string's text...
void KdpTypePrintValue(ULONG type, ULONG64 address);
// dt's field lines of the aggregate `type` at `address` (?? shows a
// structure so).
void KdpTypePrintFields(ULONG type, ULONG64 address);
