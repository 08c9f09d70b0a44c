// dt: display a type, as WinDbg's `dt [mod!]Type [Address] [Field[.Sub]...]`,
// over every type of the kernel and the drivers (the tables tools/gentypes.py
// generates from the build's DWARF, kdtype.h). Without an address dt shows
// the layout; with one, the values, each read fault-safe. -r[N] expands
// embedded structures, -y matches field names by prefix, -l walks a list.

#include "kd/kdcpp.h"

#define KD_DT_NAME_WIDTH 16     // WinDbg's column for a whole type
#define KD_DT_MAX_STRING 128    // a string's text, cut there
#define KD_DT_MAX_LIST   1000   // dt -l stops after this many elements
#define KD_DT_MAX_DEPTH  9      // -r9, as WinDbg's deepest

typedef struct _KD_DT {
    BOOLEAN HaveAddress;
    BOOLEAN Prefix;             // -y: field arguments are prefixes
    int Depth;                  // -r[N]: how many levels of embedded types to expand
    int Width;                  // the name column
    int FieldCount;
    char **Fields;
} KD_DT;

static BOOLEAN KdpIsAggregate(ULONG type)
{
    UCHAR kind = KdpTypeRecord(KdpTypeResolve(type))->Kind;

    return kind == KdTypeStruct || kind == KdTypeUnion;
}

static const char *KdpAggregateName(ULONG type)
{
    return KdpTypeString(KdpTypeRecord(KdpTypeResolve(type))->Name);
}

static void KdpPrintPointer(ULONG64 value)
{
    if (value == 0) {
        KdpPrint("(null)");
        return;
    }
    KdpPrint("0x");
    KdpPrintAddress(value);
}

// Reads a scalar of `size` bytes (at most 8), zero-extended.
static BOOLEAN KdpReadScalar(ULONG64 address, ULONG size, ULONG64 *value)
{
    *value = 0;
    if (size > sizeof(*value))
        size = sizeof(*value);
    return KdpReadMemory(address, value, size);
}

static LONG64 KdpSignExtend(ULONG64 value, ULONG bits)
{
    if (bits == 0 || bits >= 64)
        return (LONG64)value;
    if (value & (1ull << (bits - 1)))
        value |= ~0ull << bits;
    return (LONG64)value;
}

// A string's text in quotes, read element by element (1 or 2 bytes each)
// through `buffer`, at most `count` elements; with stopAtNul (the length is
// not known), up to its end.
static void KdpPrintText(ULONG64 buffer, ULONG count, ULONG elementSize, BOOLEAN stopAtNul)
{
    char text[KD_DT_MAX_STRING];
    ULONG i;

    if (count >= sizeof(text))
        count = sizeof(text) - 1;
    for (i = 0; i < count; i++) {
        ULONG64 c;

        if (!KdpReadScalar(buffer + (ULONG64)i * elementSize, elementSize, &c)) {
            KdpPrint("\"(Buffer 0x%016llx cannot be read)\"", (unsigned long long)buffer);
            return;
        }
        // A terminated string ends at its NUL, or where it stops being text
        // (a counted string's buffer is often not terminated at all).
        if (stopAtNul && (c == 0 || c < 0x20 || c >= 0x7f))
            break;
        text[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    text[i] = '\0';
    KdpPrint("\"%s\"", text);
}

static void KdpPrintEnumValue(const KD_TYPE_RECORD *record, ULONG64 raw)
{
    LONG64 value = record->Encoding == KdBaseSigned ? KdpSignExtend(raw, record->Size * 8)
                                                     : (LONG64)raw;

    if (value < 0)
        KdpPrint("0n%lld", (long long)value);
    else
        KdpPrint(value ? "0x%llx" : "0", (unsigned long long)value);
    for (ULONG i = 0; i < record->Count; i++) {
        const KD_TYPE_ENUMERATOR *e = &KdpTypeEnumerators[record->Target + i];

        if (e->Value == value) {
            KdpPrint(" ( %s )", KdpTypeString(e->Name));
            return;
        }
    }
}

static void KdpPrintBaseValue(const KD_TYPE_RECORD *record, ULONG64 raw)
{
    if (record->Size == 1 && record->Encoding != KdBaseBool) {
        char c = (char)raw;

        // WinDbg's CHAR and UCHAR: the number and, if printable, the character.
        if (record->Encoding == KdBaseSigned)
            KdpPrint("%d", (int)(CHAR)raw);
        else
            KdpPrint(raw ? "0x%x" : "0", (unsigned)(UCHAR)raw);
        if (c >= 0x20 && c < 0x7f)
            KdpPrint(" '%c'", c);
        else
            KdpPrint(" ''");
    } else if (record->Encoding == KdBaseSigned) {
        KdpPrint("0n%lld", (long long)KdpSignExtend(raw, record->Size * 8));
    } else {
        KdpPrint(raw ? "0x%llx" : "0", (unsigned long long)raw);
    }
}

// A routine's address and its symbol, as WinDbg shows a function pointer.
static void KdpPrintCodeValue(ULONG64 value)
{
    char symbol[128];

    KdpPrintPointer(value);
    if (!value)
        return;
    KdpFormatCode(value, symbol, sizeof(symbol));
    if (symbol[0])
        KdpPrint("     %s", symbol);
}

static BOOLEAN KdpIsNamed(ULONG type, const char *name)
{
    const KD_TYPE_RECORD *record = KdpTypeRecord(KdpTypeResolve(type));

    return (record->Kind == KdTypeStruct || record->Kind == KdTypeUnion) &&
           strcmp(KdpTypeString(record->Name), name) == 0;
}

// The value of a `type` at `address`, on the current line: what WinDbg's dt
// prints after the colon.
void KdpTypePrintValue(ULONG type, ULONG64 address)
{
    ULONG resolved = KdpTypeResolve(type);
    const KD_TYPE_RECORD *record = KdpTypeRecord(resolved);
    char name[96];
    ULONG64 raw = 0;

    KdpTypeFormatName(type, name, sizeof(name));
    switch (record->Kind) {
    case KdTypeBase:
    case KdTypeEnum:
    case KdTypePointer:
        if (!KdpReadScalar(address, record->Size, &raw)) {
            KdpPrint("Memory read error %016llx", (unsigned long long)address);
            return;
        }
        break;
    default:
        break;
    }
    switch (record->Kind) {
    case KdTypeBase:
        KdpPrintBaseValue(record, raw);
        break;
    case KdTypeEnum:
        KdpPrintEnumValue(record, raw);
        break;
    case KdTypePointer: {
        const KD_TYPE_RECORD *target = KdpTypeRecord(KdpTypeResolve(record->Target));

        if (target->Kind == KdTypeFunction)
            KdpPrintCodeValue(raw);
        else
            KdpPrintPointer(raw);
        // A pointer to characters: the text, as WinDbg adds it.
        if (raw && target->Kind == KdTypeBase && target->Size <= 2 &&
            (target->Size == 1 || strcmp(name, "Ptr64 Wchar") == 0)) {
            KdpPrint("  ");
            KdpPrintText(raw, KD_DT_MAX_STRING - 1, target->Size, TRUE);
        }
        break;
    }
    case KdTypeArray: {
        ULONG element = record->Target;
        const KD_TYPE_RECORD *e = KdpTypeRecord(KdpTypeResolve(element));

        KdpPrint("[%u] ", record->Count);
        if (e->Kind == KdTypeBase && e->Size <= 2 && e->Encoding != KdBaseFloat) {
            KdpPrint(" ");
            KdpPrintText(address, record->Count, e->Size, TRUE);
        } else {
            KdpTypePrintValue(element, address);
        }
        break;
    }
    case KdTypeStruct:
    case KdTypeUnion:
        if (KdpIsNamed(resolved, "_LIST_ENTRY")) {
            ULONG64 links[2];

            if (!KdpReadMemory(address, links, sizeof(links))) {
                KdpPrint("_LIST_ENTRY Memory read error %016llx", (unsigned long long)address);
                return;
            }
            // Both links in full, NULL ones too, as WinDbg shows them.
            KdpPrint("_LIST_ENTRY [ 0x");
            KdpPrintAddress(links[0]);
            KdpPrint(" - 0x");
            KdpPrintAddress(links[1]);
            KdpPrint(" ]");
        } else if (KdpIsNamed(resolved, "_UNICODE_STRING")) {
            UNICODE_STRING string;

            if (!KdpReadMemory(address, &string, sizeof(string))) {
                KdpPrint("_UNICODE_STRING Memory read error %016llx",
                         (unsigned long long)address);
                return;
            }
            KdpPrint("_UNICODE_STRING ");
            KdpPrintText((ULONG64)(ULONG_PTR)string.Buffer, string.Length / sizeof(WCHAR),
                         sizeof(WCHAR), FALSE);
        } else if (KdpIsNamed(resolved, "_LARGE_INTEGER") ||
                   KdpIsNamed(resolved, "_ULARGE_INTEGER")) {
            if (!KdpReadScalar(address, 8, &raw)) {
                KdpPrint("Memory read error %016llx", (unsigned long long)address);
                return;
            }
            KdpPrint("%s 0x%llx", name, (unsigned long long)raw);
        } else {
            KdpPrint("%s", name);
        }
        break;
    default:
        KdpPrint("%s", name);
        break;
    }
}

static void KdpPrintBitField(const KD_TYPE_MEMBER *member, ULONG64 address)
{
    ULONG64 unit;
    ULONG size = KdpTypeSize(member->Type);

    if (!KdpReadScalar(address, size ? size : 4, &unit)) {
        KdpPrint("Memory read error %016llx", (unsigned long long)address);
        return;
    }
    unit >>= member->BitPosition;
    KdpPrint("0y");
    for (int bit = member->BitSize - 1; bit >= 0; bit--)
        KdpPrint("%c", (unit >> bit) & 1 ? '1' : '0');
}

static BOOLEAN KdpFieldSelected(const KD_DT *dt, const char *name)
{
    if (dt->FieldCount == 0)
        return TRUE;
    for (int i = 0; i < dt->FieldCount; i++) {
        const char *field = dt->Fields[i];
        const char *dot = strchr(field, '.');
        size_t length = dot ? (size_t)(dot - field) : strlen(field);
        char head[128];

        if (length >= sizeof(head))
            continue;
        memcpy(head, field, length);
        head[length] = '\0';
        if (dt->Prefix && RtlCompareStringInsensitive(head, "") != 0) {
            size_t n = strlen(head);
            size_t k;

            for (k = 0; k < n && name[k]; k++) {
                if (RtlDowncaseChar(name[k]) != RtlDowncaseChar(head[k]))
                    break;
            }
            if (k == n)
                return TRUE;
        } else if (RtlMatchPattern(head, name)) {
            return TRUE;
        }
    }
    return FALSE;
}

// The field argument naming `name` with a path below it ("Name.Sub"), if any.
static const char *KdpSubPath(const KD_DT *dt, const char *name)
{
    size_t length = strlen(name);

    for (int i = 0; i < dt->FieldCount; i++) {
        const char *field = dt->Fields[i];

        if (strlen(field) > length && field[length] == '.' &&
            RtlCompareStringInsensitive(name, "") != 0) {
            char head[128];

            if (length >= sizeof(head))
                continue;
            memcpy(head, field, length);
            head[length] = '\0';
            if (RtlCompareStringInsensitive(head, name) == 0)
                return field + length + 1;
        }
    }
    return NULL;
}

static void KdpPrintMembers(const KD_DT *dt, ULONG type, ULONG64 address, ULONG base,
                            int indent, int level, BOOLEAN top);

static void KdpPrintMemberLine(const KD_DT *dt, const KD_TYPE_MEMBER *member, ULONG offset,
                               ULONG64 address, int indent, int level)
{
    const char *name = KdpTypeString(member->Name);
    char typeName[96];

    KdpPrint("%*s+0x%03x %-*s : ", indent + 3, "", offset, dt->Width, name);
    if (!dt->HaveAddress) {
        if (member->BitSize) {
            KdpPrint("Pos %u, %u Bit%s\n", member->BitPosition, member->BitSize,
                     member->BitSize == 1 ? "" : "s");
        } else {
            KdpTypeFormatName(member->Type, typeName, sizeof(typeName));
            KdpPrint("%s\n", typeName);
        }
    } else if (member->BitSize) {
        KdpPrintBitField(member, address + offset);
        KdpPrint("\n");
    } else {
        KdpTypePrintValue(member->Type, address + offset);
        KdpPrint("\n");
    }
    if (level < dt->Depth && KdpIsAggregate(member->Type)) {
        KD_DT inner = *dt;

        // An expanded type's own names align on WinDbg's column.
        inner.Width = KD_DT_NAME_WIDTH;
        KdpPrintMembers(&inner, member->Type, address + offset, 0, indent + 3, level + 1,
                        FALSE);
    }
}

// The step from a field into the next one of a path: into an embedded
// structure, or, as WinDbg's dt, through a pointer to the structure it
// points at (with an address, read fault-safe).
static BOOLEAN KdpStepInto(const KD_DT *dt, ULONG *type, ULONG64 *address)
{
    const KD_TYPE_RECORD *record = KdpTypeRecord(KdpTypeResolve(*type));
    ULONG64 pointer = 0;

    if (record->Kind != KdTypePointer)
        return TRUE;
    if (dt->HaveAddress && !KdpReadScalar(*address, 8, &pointer))
        return FALSE;
    *type = record->Target;
    *address = pointer;
    return TRUE;
}

// `Field.Sub.Sub2`: the line of each step, each inside the one before.
static void KdpPrintPath(const KD_DT *dt, ULONG type, const char *path, ULONG64 address,
                         int indent)
{
    KD_DT inner = *dt;
    char head[128];
    const char *dot = strchr(path, '.');
    size_t length = dot ? (size_t)(dot - path) : strlen(path);
    const KD_TYPE_MEMBER *member;
    ULONG offset;
    ULONG next;
    ULONG64 at;

    if (length == 0 || length >= sizeof(head) || indent > 3 * KD_DT_MAX_DEPTH)
        return;
    memcpy(head, path, length);
    head[length] = '\0';
    if (!KdpTypeFindField(type, head, &member, &offset))
        return;
    inner.Width = (int)strlen(KdpTypeString(member->Name));
    inner.Depth = dot ? 0 : dt->Depth;
    KdpPrintMemberLine(&inner, member, offset, address, indent, 0);
    next = member->Type;
    at = address + offset;
    if (dot && KdpStepInto(dt, &next, &at))
        KdpPrintPath(dt, next, dot + 1, at, indent + 3);
}

// The members of an aggregate at `address`; those of an unnamed structure or
// union are shown in place, at their offsets in the outer one (`base`), as
// WinDbg's PDB types show them.
static void KdpPrintMembers(const KD_DT *dt, ULONG type, ULONG64 address, ULONG base,
                            int indent, int level, BOOLEAN top)
{
    const KD_TYPE_RECORD *record = KdpTypeRecord(KdpTypeResolve(type));

    if (record->Kind != KdTypeStruct && record->Kind != KdTypeUnion)
        return;
    for (ULONG i = 0; i < record->Count; i++) {
        const KD_TYPE_MEMBER *member = &KdpTypeMembers[record->Target + i];
        const char *name = KdpTypeString(member->Name);
        const char *sub;

        if (!name[0]) {
            if (level < KD_DT_MAX_DEPTH + 4)
                KdpPrintMembers(dt, member->Type, address, base + member->Offset, indent,
                                level, top);
            continue;
        }
        if (top && !KdpFieldSelected(dt, name))
            continue;
        sub = top ? KdpSubPath(dt, name) : NULL;
        if (sub) {
            KD_DT inner = *dt;

            inner.Depth = 0;
            ULONG next = member->Type;
            ULONG64 at = address + base + member->Offset;

            KdpPrintMemberLine(&inner, member, base + member->Offset, address, indent, level);
            if (KdpStepInto(dt, &next, &at))
                KdpPrintPath(dt, next, sub, at, indent + 3);
        } else {
            KdpPrintMemberLine(dt, member, base + member->Offset, address, indent, level);
        }
    }
}

// Is `path` ("A.B.C") a path of fields, through embedded structures and
// pointers to structures?
static BOOLEAN KdpIsFieldPath(ULONG type, const char *path, int depth)
{
    const char *dot = strchr(path, '.');
    size_t length = dot ? (size_t)(dot - path) : strlen(path);
    const KD_TYPE_MEMBER *member;
    const KD_TYPE_RECORD *record;
    char head[128];
    ULONG offset;

    if (length == 0 || length >= sizeof(head) || depth > KD_DT_MAX_DEPTH)
        return FALSE;
    memcpy(head, path, length);
    head[length] = '\0';
    if (!KdpTypeFindField(type, head, &member, &offset))
        return FALSE;
    if (!dot)
        return TRUE;
    record = KdpTypeRecord(KdpTypeResolve(member->Type));
    return KdpIsFieldPath(record->Kind == KdTypePointer ? record->Target : member->Type,
                          dot + 1, depth + 1);
}

// Is `text` a field of `type` (a name, a pattern, a path, or with -y a
// prefix)?
static BOOLEAN KdpIsFieldArgument(ULONG type, const char *text, BOOLEAN prefix)
{
    const KD_TYPE_MEMBER *member;
    ULONG offset;
    char *argument = (char *)text;
    KD_DT probe = { FALSE, prefix, 0, 0, 1, &argument };
    const KD_TYPE_RECORD *record = KdpTypeRecord(KdpTypeResolve(type));

    if (KdpTypeFindField(type, text, &member, &offset))
        return TRUE;
    if (strchr(text, '.'))
        return KdpIsFieldPath(type, text, 0);
    // A pattern or a prefix: any member it selects, unnamed ones looked into.
    for (ULONG i = 0; i < record->Count && record->Kind != KdTypeEnum; i++) {
        const KD_TYPE_MEMBER *m = &KdpTypeMembers[record->Target + i];
        const char *name = KdpTypeString(m->Name);

        if (name[0] ? KdpFieldSelected(&probe, name) : KdpIsFieldArgument(m->Type, text,
                                                                            prefix))
            return TRUE;
    }
    return FALSE;
}

static int KdpLongestSelected(const KD_DT *dt, ULONG type, int level)
{
    const KD_TYPE_RECORD *record = KdpTypeRecord(KdpTypeResolve(type));
    int width = 0;

    if ((record->Kind != KdTypeStruct && record->Kind != KdTypeUnion) || level > 8)
        return 0;
    for (ULONG i = 0; i < record->Count; i++) {
        const KD_TYPE_MEMBER *member = &KdpTypeMembers[record->Target + i];
        const char *name = KdpTypeString(member->Name);
        int length = (int)strlen(name);

        if (!name[0])
            length = KdpLongestSelected(dt, member->Type, level + 1);
        else if (!KdpFieldSelected(dt, name))
            length = 0;
        if (length > width)
            width = length;
    }
    return width;
}

// dt of an enum: its names and values; of a base type, pointer or array: its
// name.
static void KdpPrintOtherType(ULONG type)
{
    const KD_TYPE_RECORD *record = KdpTypeRecord(KdpTypeResolve(type));
    char name[96];

    if (record->Kind == KdTypeEnum) {
        for (ULONG i = 0; i < record->Count; i++) {
            const KD_TYPE_ENUMERATOR *e = &KdpTypeEnumerators[record->Target + i];

            KdpPrint("   %s = 0n%lld\n", KdpTypeString(e->Name), (long long)e->Value);
        }
        return;
    }
    KdpTypeFormatName(type, name, sizeof(name));
    KdpPrint("%s\n", name);
}

// `dt nt!_K*` or `dt -y nt!_KT`: the names of the types that match.
static void KdpListTypes(const char *pattern, BOOLEAN prefix)
{
    const char *bang = strchr(pattern, '!');
    char module[64] = "";
    char match[130];
    ULONG shown = 0;

    if (bang) {
        size_t length = (size_t)(bang - pattern);

        if (length >= sizeof(module))
            return;
        memcpy(module, pattern, length);
        module[length] = '\0';
        pattern = bang + 1;
    }
    RtlStringPrintf(match, sizeof(match), prefix ? "%s*" : "%s", pattern);
    for (const KD_TYPE_MODULE *m = KdpTypeModules; m->Name; m++) {
        if (module[0] && RtlCompareStringInsensitive(m->Name, module) != 0)
            continue;
        for (ULONG i = 0; i < m->TypeCount; i++) {
            const char *name = KdpTypeString(KdpTypeRecord(m->Types[i])->Name);

            if (RtlMatchPattern(match, name)) {
                KdpPrint("          %s!%s\n", m->Name, name);
                shown++;
            }
        }
    }
    if (!shown)
        KdpPrint("Symbol %s not found.\n", match);
}

void KdpTypePrintFields(ULONG type, ULONG64 address)
{
    KD_DT dt = { TRUE, FALSE, 0, KD_DT_NAME_WIDTH, 0, NULL };
    UCHAR probe;

    if (!KdpReadMemory(address, &probe, 1)) {
        KdpPrint("Memory read error %016llx\n", (unsigned long long)address);
        return;
    }
    KdpPrintMembers(&dt, type, address, 0, 0, 0, TRUE);
}

static void KdpDisplayAt(KD_DT *dt, ULONG type, ULONG64 address)
{
    dt->Width = dt->FieldCount ? KdpLongestSelected(dt, type, 0) : KD_DT_NAME_WIDTH;
    if (!KdpIsAggregate(type))
        dt->Width = KD_DT_NAME_WIDTH;
    if (KdpIsAggregate(type))
        KdpPrintMembers(dt, type, address, 0, 0, 0, TRUE);
    else if (dt->HaveAddress) {
        KdpTypePrintValue(type, address);
        KdpPrint("\n");
    } else {
        KdpPrintOtherType(type);
    }
}

// dt -l Field TYPE ADDR: each element, then the one its Field points at
// (minus the field's offset), until the list returns to the first, a NULL,
// an unreadable element, a loop that skips the first (Brent's way: the
// element at each power of two is kept and met again), or KD_DT_MAX_LIST.
static void KdpDisplayList(KD_DT *dt, ULONG type, ULONG64 address, const char *field)
{
    const KD_TYPE_MEMBER *member;
    ULONG offset;
    ULONG64 element = address, mark = address;

    if (!KdpTypeFindField(type, field, &member, &offset) ||
        KdpTypeRecord(KdpTypeResolve(member->Type))->Kind != KdTypePointer) {
        KdpPrint("%s is no pointer field of %s\n", field, KdpAggregateName(type));
        return;
    }
    for (ULONG count = 1; count <= KD_DT_MAX_LIST; count++) {
        ULONG64 next;

        KdpPrint("%s at 0x", field);
        KdpPrintAddress(element);
        KdpPrint("\n---------------------------------------------\n");
        KdpDisplayAt(dt, type, element);
        KdpPrint("\n");
        if (!KdpReadScalar(element + offset, 8, &next)) {
            KdpPrint("Memory read error %016llx\n", (unsigned long long)(element + offset));
            return;
        }
        if (next == 0 || next - offset == address)
            return;
        element = next - offset;
        if (element == mark) {
            KdpPrint("(a loop: 0x");
            KdpPrintAddress(element);
            KdpPrint(" again, without the first element)\n");
            return;
        }
        if ((count & (count - 1)) == 0)
            mark = element;
        if (!KdpReadScalar(element + offset, 8, &next)) {
            KdpPrint("Memory read error %016llx\n", (unsigned long long)(element + offset));
            return;
        }
    }
    KdpPrint("(dt -l stops after %u elements)\n", KD_DT_MAX_LIST);
}

static BOOLEAN KdpParseDepth(const char *option, int *depth)
{
    if (!option[2]) {
        *depth = KD_DT_MAX_DEPTH;
        return TRUE;
    }
    if (option[2] >= '0' && option[2] <= '9' && !option[3]) {
        *depth = option[2] - '0';
        return TRUE;
    }
    return FALSE;
}

static KD_COMMAND_RESULT KdpDisplayType(int argc, char **argv)
{
    char *fields[KD_MAX_ARGUMENTS];
    KD_DT dt = { FALSE, FALSE, 0, 0, 0, fields };
    const char *typeName = NULL, *listField = NULL;
    BOOLEAN typePrefix = FALSE;
    ULONG type = KD_TYPE_NONE;
    ULONG64 address = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (arg[0] == '-' && arg[1]) {
            if ((arg[1] == 'r' || arg[1] == 'b') && KdpParseDepth(arg, &dt.Depth)) {
                continue;
            } else if (arg[1] == 'y' && !arg[2]) {
                if (typeName)
                    dt.Prefix = TRUE;
                else
                    typePrefix = TRUE;
                continue;
            } else if (arg[1] == 'l' && !arg[2] && i + 1 < argc) {
                listField = argv[++i];
                continue;
            }
            KdpPrint("dt: unknown option %s\n", arg);
            return KdCommandContinue;
        }
        if (!typeName) {
            typeName = arg;
            if (typePrefix || strchr(arg, '*') || strchr(arg, '?')) {
                KdpListTypes(arg, typePrefix);
                return KdCommandContinue;
            }
            type = KdpTypeLookup(arg);
            if (type == KD_TYPE_NONE) {
                KdpPrint("Symbol %s%s not found.\n", strchr(arg, '!') ? "" : "nt!", arg);
                return KdCommandContinue;
            }
            continue;
        }
        // As WinDbg: an argument is a field if the type has one of that
        // name (or -y prefix), else the address.
        if (KdpIsAggregate(type) && KdpIsFieldArgument(type, arg, dt.Prefix)) {
            fields[dt.FieldCount++] = (char *)arg;
        } else if (!dt.HaveAddress) {
            if (!KdpGetValue(arg, &address))
                return KdCommandContinue;
            dt.HaveAddress = TRUE;
        } else {
            KdpPrint("%s has no field %s\n", KdpAggregateName(type), arg);
            return KdCommandContinue;
        }
    }
    if (!typeName) {
        KdpPrint("Usage: dt [-r[N]] [-y] [-l Field] [mod!]Type [Field[.Sub]...] [Address]\n");
        return KdCommandContinue;
    }
    if (dt.HaveAddress && !KdpIsAggregate(type) && dt.FieldCount == 0) {
        KdpDisplayAt(&dt, type, address);
        return KdCommandContinue;
    }
    if (dt.HaveAddress) {
        UCHAR probe;

        if (!KdpReadMemory(address, &probe, 1)) {
            KdpPrint("Memory read error %016llx\n", (unsigned long long)address);
            return KdCommandContinue;
        }
    }
    if (listField) {
        if (!dt.HaveAddress) {
            KdpPrint("dt -l needs an address\n");
            return KdCommandContinue;
        }
        KdpDisplayList(&dt, type, address, listField);
        return KdCommandContinue;
    }
    KdpDisplayAt(&dt, type, address);
    return KdCommandContinue;
}

const KD_COMMAND KdpTypeCommands[] = {
    { "dt", KdpDisplayType,
      "dt [-r[N]] [-y] [-l Field] [mod!]Type [Field[.Sub]...] [Address]",
      "a type's layout, or its values at Address, for every structure, union, enum and "
      "typedef of nt, the drivers and the system's programs (from the build's DWARF; a "
      "user address is read in the current process); Field names, patterns or "
      "(-y) prefixes pick fields; -r[N] expands embedded types; -l walks a list by Field; "
      "dt mod!Prefix* lists type names" },
    { "??", KdpEvaluateCppCommand, "?? expression",
      "evaluate a C++ expression: sizeof(Type), casts ((nt!_KQUEUE *)addr)->Field, "
      "#FIELD_OFFSET(Type, Field), . -> [] * & + - * /, == != < <= > >= and ! && || "
      "(C's conversions and short circuit; a truth prints bool true/false)" },
    { NULL, NULL, NULL, NULL },
};
