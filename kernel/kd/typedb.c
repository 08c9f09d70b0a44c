// Looking the generated type tables up (kdtype.h): names, sizes, field
// paths and the two ways of naming a type, dt's (WinDbg's PDB names: Uint4B,
// Ptr64 _KTHREAD) and the C++ evaluator's (unsigned long, struct _KQUEUE *).
// Pure code over the tables, so the host tests run it on the kernel's own.

#include "kd/kdtype.h"

#define KD_TYPE_MAX_DEPTH 16    // typedef and pointer chains, nested fields

const KD_TYPE_RECORD *KdpTypeRecord(ULONG type)
{
    return &KdpTypeRecords[type < KdpTypeRecordCount ? type : 0];
}

const char *KdpTypeString(ULONG offset)
{
    return KdpTypeNames + offset;
}

ULONG KdpTypeResolve(ULONG type)
{
    for (int depth = 0; depth < KD_TYPE_MAX_DEPTH && type < KdpTypeRecordCount; depth++) {
        if (KdpTypeRecords[type].Kind != KdTypeTypedef)
            return type;
        type = KdpTypeRecords[type].Target;
    }
    return 0;
}

ULONG KdpTypeSize(ULONG type)
{
    const KD_TYPE_RECORD *record = KdpTypeRecord(KdpTypeResolve(type));
    ULONG64 size;

    if (record->Kind != KdTypeArray)
        return record->Size;
    // Arrays nest at most a few deep: each one is its count of the next.
    size = (ULONG64)record->Count * KdpTypeSize(record->Target);
    return size > 0xffffffffull ? 0xffffffffu : (ULONG)size;
}

static ULONG KdpLookupInModule(const KD_TYPE_MODULE *module, const char *name)
{
    ULONG low = 0, high = module->TypeCount;

    // Sorted case-insensitively by the generator: a binary search.
    while (low < high) {
        ULONG middle = low + (high - low) / 2;
        ULONG type = module->Types[middle];
        int order = RtlCompareStringInsensitive(KdpTypeString(KdpTypeRecord(type)->Name),
                                                name);

        if (order == 0)
            return type;
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return KD_TYPE_NONE;
}

ULONG KdpTypeLookup(const char *name)
{
    const char *bang = strchr(name, '!');
    char module[64];

    if (bang) {
        size_t length = (size_t)(bang - name);

        if (length == 0 || length >= sizeof(module))
            return KD_TYPE_NONE;
        memcpy(module, name, length);
        module[length] = '\0';
        name = bang + 1;
    }
    if (!name[0])
        return KD_TYPE_NONE;
    for (const KD_TYPE_MODULE *m = KdpTypeModules; m->Name; m++) {
        ULONG type;

        if (bang && RtlCompareStringInsensitive(m->Name, module) != 0)
            continue;
        type = KdpLookupInModule(m, name);
        if (type != KD_TYPE_NONE)
            return type;
    }
    return KD_TYPE_NONE;
}

const KD_TYPE_FUNCTION *KdpTypeFindFunction(const char *moduleName, ULONG64 base,
                                            ULONG64 address, ULONG64 *offset)
{
    for (const KD_TYPE_MODULE *m = KdpTypeModules; m->Name; m++) {
        ULONG64 key = m->Relative ? address - base : address;
        ULONG low = 0, high = m->FunctionCount;

        if (RtlCompareStringInsensitive(m->Name, moduleName) != 0)
            continue;
        // The last function starting at or below the key.
        while (low < high) {
            ULONG middle = (low + high) / 2;

            if (m->Functions[middle].Start <= key)
                low = middle + 1;
            else
                high = middle;
        }
        if (low == 0 || key - m->Functions[low - 1].Start >= m->Functions[low - 1].Size)
            return NULL;
        *offset = key - m->Functions[low - 1].Start;
        return &m->Functions[low - 1];
    }
    return NULL;
}

static const char *KdpBaseName(const KD_TYPE_RECORD *record)
{
    BOOLEAN isSigned = record->Encoding == KdBaseSigned;

    if (strcmp(KdpTypeString(record->Name), "wchar_t") == 0)
        return "Wchar";
    if (record->Encoding == KdBaseFloat)
        return record->Size == 4 ? "Float" : "Double";
    if (record->Encoding == KdBaseBool)
        return "Bool";
    switch (record->Size) {
    case 1:
        return isSigned ? "Char" : "UChar";
    case 2:
        return isSigned ? "Int2B" : "Uint2B";
    case 4:
        return isSigned ? "Int4B" : "Uint4B";
    case 8:
        return isSigned ? "Int8B" : "Uint8B";
    default:
        return isSigned ? "Int16B" : "Uint16B";
    }
}

static const char *KdpBaseCName(const KD_TYPE_RECORD *record)
{
    BOOLEAN isSigned = record->Encoding == KdBaseSigned;

    if (strcmp(KdpTypeString(record->Name), "wchar_t") == 0)
        return "wchar_t";
    if (record->Encoding == KdBaseFloat)
        return record->Size == 4 ? "float" : "double";
    if (record->Encoding == KdBaseBool)
        return "bool";
    switch (record->Size) {
    case 1:
        return isSigned ? "char" : "unsigned char";
    case 2:
        return isSigned ? "short" : "unsigned short";
    case 4:
        return isSigned ? "long" : "unsigned long";
    default:
        return isSigned ? "int64" : "unsigned int64";
    }
}

// Appends to a bounded buffer; what does not fit is cut.
static void KdpAppend(char *buffer, size_t size, const char *text)
{
    size_t length = strlen(buffer);

    if (length + 1 < size)
        RtlStringPrintf(buffer + length, size - length, "%s", text);
}

static void KdpFormatNameInto(ULONG type, char *buffer, size_t size, int depth);

// An aggregate's or enum's name; one without is named, as WinDbg names
// it, by the typedef that gave it one, else "<unnamed-tag>".
static void KdpAggregateName(const KD_TYPE_RECORD *record, const char *alias, char *buffer,
                             size_t size)
{
    const char *name = KdpTypeString(record->Name);

    KdpAppend(buffer, size, name[0] ? name : alias ? alias : "<unnamed-tag>");
}

static void KdpFormatNameInto(ULONG type, char *buffer, size_t size, int depth)
{
    const KD_TYPE_RECORD *record = KdpTypeRecord(type);
    char number[16];

    if (depth > KD_TYPE_MAX_DEPTH) {
        KdpAppend(buffer, size, "...");
        return;
    }
    switch (record->Kind) {
    case KdTypeVoid:
        KdpAppend(buffer, size, "Void");
        break;
    case KdTypeBase:
        KdpAppend(buffer, size, KdpBaseName(record));
        break;
    case KdTypeStruct:
    case KdTypeUnion:
    case KdTypeEnum:
        KdpAggregateName(record, NULL, buffer, size);
        break;
    case KdTypeTypedef: {
        const KD_TYPE_RECORD *target = KdpTypeRecord(record->Target);
        const char *name = KdpTypeString(record->Name);

        if (strcmp(name, "WCHAR") == 0) {
            KdpAppend(buffer, size, "Wchar");
        } else if ((target->Kind == KdTypeStruct || target->Kind == KdTypeUnion ||
                    target->Kind == KdTypeEnum) && !KdpTypeString(target->Name)[0]) {
            KdpAppend(buffer, size, name);
        } else {
            KdpFormatNameInto(record->Target, buffer, size, depth + 1);
        }
        break;
    }
    case KdTypePointer: {
        const KD_TYPE_RECORD *target = KdpTypeRecord(KdpTypeResolve(record->Target));

        KdpAppend(buffer, size, "Ptr64 ");
        if (target->Kind == KdTypeFunction) {
            char returns[96] = "";

            // WinDbg's form for a routine: the return type after a gap.
            KdpTypeFormatCName(target->Target, returns, sizeof(returns));
            KdpAppend(buffer, size, "    ");
            KdpAppend(buffer, size, returns);
            KdpAppend(buffer, size, " ");
        } else {
            KdpFormatNameInto(record->Target, buffer, size, depth + 1);
        }
        break;
    }
    case KdTypeArray:
        RtlStringPrintf(number, sizeof(number), "[%u] ", record->Count);
        KdpAppend(buffer, size, number);
        KdpFormatNameInto(record->Target, buffer, size, depth + 1);
        break;
    case KdTypeFunction:
        KdpAppend(buffer, size, "Function");
        break;
    }
}

void KdpTypeFormatName(ULONG type, char *buffer, size_t size)
{
    buffer[0] = '\0';
    KdpFormatNameInto(type, buffer, size, 0);
}

static void KdpFormatCNameInto(ULONG type, char *buffer, size_t size, int depth)
{
    const KD_TYPE_RECORD *record = KdpTypeRecord(KdpTypeResolve(type));
    char number[16];

    if (depth > KD_TYPE_MAX_DEPTH) {
        KdpAppend(buffer, size, "...");
        return;
    }
    switch (record->Kind) {
    case KdTypeVoid:
        KdpAppend(buffer, size, "void");
        break;
    case KdTypeBase:
        KdpAppend(buffer, size, KdpBaseCName(record));
        break;
    case KdTypeStruct:
    case KdTypeUnion:
        KdpAppend(buffer, size, record->Kind == KdTypeStruct ? "struct " : "union ");
        KdpAggregateName(record, NULL, buffer, size);
        break;
    case KdTypeEnum:
        KdpAggregateName(record, NULL, buffer, size);
        break;
    case KdTypePointer:
        KdpFormatCNameInto(record->Target, buffer, size, depth + 1);
        KdpAppend(buffer, size, " *");
        break;
    case KdTypeArray:
        KdpFormatCNameInto(record->Target, buffer, size, depth + 1);
        RtlStringPrintf(number, sizeof(number), " [%u]", record->Count);
        KdpAppend(buffer, size, number);
        break;
    default:
        KdpFormatCNameInto(record->Target, buffer, size, depth + 1);
        KdpAppend(buffer, size, " ()");
        break;
    }
}

void KdpTypeFormatCName(ULONG type, char *buffer, size_t size)
{
    buffer[0] = '\0';
    KdpFormatCNameInto(type, buffer, size, 0);
}

// Is `name` (length characters, not terminated) the member's name?
static BOOLEAN KdpNameIs(const char *memberName, const char *name, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        if (RtlDowncaseChar(memberName[i]) != RtlDowncaseChar(name[i]))
            return FALSE;
    }
    return memberName[length] == '\0';
}

// One name inside an aggregate, through its unnamed members as C does.
static const KD_TYPE_MEMBER *KdpFindMember(ULONG type, const char *name, size_t length,
                                           ULONG *offset, int depth)
{
    const KD_TYPE_RECORD *record = KdpTypeRecord(KdpTypeResolve(type));

    if ((record->Kind != KdTypeStruct && record->Kind != KdTypeUnion) ||
        depth > KD_TYPE_MAX_DEPTH)
        return NULL;
    for (ULONG i = 0; i < record->Count; i++) {
        const KD_TYPE_MEMBER *member = &KdpTypeMembers[record->Target + i];
        const char *memberName = KdpTypeString(member->Name);

        if (!memberName[0]) {
            ULONG inner = 0;
            const KD_TYPE_MEMBER *found = KdpFindMember(member->Type, name, length, &inner,
                                                        depth + 1);

            if (found) {
                *offset += member->Offset + inner;
                return found;
            }
        } else if (KdpNameIs(memberName, name, length)) {
            *offset += member->Offset;
            return member;
        }
    }
    return NULL;
}

BOOLEAN KdpTypeFindField(ULONG type, const char *path, const KD_TYPE_MEMBER **member,
                         ULONG *offset)
{
    const KD_TYPE_MEMBER *found = NULL;
    ULONG total = 0;

    if (type >= KdpTypeRecordCount || !path[0])
        return FALSE;
    for (int depth = 0; *path; depth++) {
        const char *dot = strchr(path, '.');
        size_t length = dot ? (size_t)(dot - path) : strlen(path);

        if (length == 0 || depth > KD_TYPE_MAX_DEPTH)
            return FALSE;
        found = KdpFindMember(found ? found->Type : type, path, length, &total, 0);
        if (!found)
            return FALSE;
        path += length + (dot ? 1 : 0);
        if (dot && !*path)
            return FALSE;
    }
    *member = found;
    *offset = total;
    return TRUE;
}

BOOLEAN KdpTypeFieldOffset(const char *TypeName, const char *FieldPath, ULONG *Offset)
{
    const KD_TYPE_MEMBER *member;
    ULONG type = KdpTypeLookup(TypeName);

    if (type == KD_TYPE_NONE)
        return FALSE;
    return KdpTypeFindField(type, FieldPath, &member, Offset);
}
