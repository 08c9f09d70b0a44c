// KdpTypeFieldOffset over dt's hand-written tables (cmdtype.c, typeio.c),
// for `!list -t Type.Field`. The types lane's DWARF tables provide the same
// function over every type; when they arrive, this file goes.

#include "kd/kdtype.h"

static const KD_TYPE *KdpFindFieldType(const char *name)
{
    static const KD_TYPE *const sets[] = { KdpTypes, KdpIoTypes };

    if (name[0] == 'n' && name[1] == 't' && name[2] == '!')
        name += 3;
    for (ULONG set = 0; set < ARRAYSIZE(sets); set++) {
        for (const KD_TYPE *type = sets[set]; type->Name; type++) {
            if (RtlCompareStringInsensitive(type->Name, name) == 0)
                return type;
        }
    }
    return NULL;
}

BOOLEAN KdpTypeFieldOffset(const char *TypeName, const char *FieldPath, ULONG *Offset)
{
    const KD_TYPE *type = KdpFindFieldType(TypeName);
    ULONG offset = 0;

    while (type && *FieldPath) {
        const char *dot = strchr(FieldPath, '.');
        size_t length = dot ? (size_t)(dot - FieldPath) : strlen(FieldPath);
        const KD_FIELD *field = NULL;

        for (ULONG i = 0; i < type->FieldCount; i++) {
            if (strlen(type->Fields[i].Name) == length &&
                !strncmp(type->Fields[i].Name, FieldPath, length)) {
                field = &type->Fields[i];
                break;
            }
        }
        if (!field)
            return FALSE;
        offset += field->Offset;
        if (!dot) {
            *Offset = offset;
            return TRUE;
        }
        // Only a structure (or a LIST_ENTRY) has fields of its own.
        if (field->Kind != KdFieldStruct && field->Kind != KdFieldListEntry)
            return FALSE;
        type = KdpFindFieldType(field->TypeName);
        FieldPath = dot + 1;
    }
    return FALSE;
}
