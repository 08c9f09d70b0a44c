// dt: display a type, as WinDbg's `dt nt!_KQUEUE [address]`. Sleuth has no
// PDB: the types dt knows are described here, field by field, from the
// same structures the kernel uses (offsetof), so they cannot drift. Without
// an address dt shows the layout; with one, the values, read fault-safe.
//
// The types are those the worker-queue case study reads by hand: the
// dispatcher's KQUEUE and its header, the executive's EX_WORK_QUEUE and
// WORK_QUEUE_ITEM, the I/O manager's IO_WORKITEM, and LIST_ENTRY.

#include "kd/kdtype.h"
#include "ex/ex.h"
#include "io/io.h"

static const KD_FIELD KdpListEntryFields[] = {
    KD_FIELD_OF(LIST_ENTRY, Flink, KdFieldPointer, "Ptr64 _LIST_ENTRY"),
    KD_FIELD_OF(LIST_ENTRY, Blink, KdFieldPointer, "Ptr64 _LIST_ENTRY"),
};

static const KD_FIELD KdpDispatcherHeaderFields[] = {
    KD_FIELD_OF(DISPATCHER_HEADER, Type, KdFieldUchar, "UChar"),
    KD_FIELD_OF(DISPATCHER_HEADER, Absolute, KdFieldUchar, "UChar"),
    KD_FIELD_OF(DISPATCHER_HEADER, Size, KdFieldUchar, "UChar"),
    KD_FIELD_OF(DISPATCHER_HEADER, Inserted, KdFieldUchar, "UChar"),
    KD_FIELD_OF(DISPATCHER_HEADER, SignalState, KdFieldLong, "Int4B"),
    KD_FIELD_OF(DISPATCHER_HEADER, WaitListHead, KdFieldListEntry, "_LIST_ENTRY"),
};

static const KD_FIELD KdpQueueFields[] = {
    KD_FIELD_OF(KQUEUE, Header, KdFieldStruct, "_DISPATCHER_HEADER"),
    KD_FIELD_OF(KQUEUE, EntryListHead, KdFieldListEntry, "_LIST_ENTRY"),
    KD_FIELD_OF(KQUEUE, CurrentCount, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(KQUEUE, MaximumCount, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(KQUEUE, ThreadListHead, KdFieldListEntry, "_LIST_ENTRY"),
};

static const KD_FIELD KdpWorkQueueFields[] = {
    KD_FIELD_OF(EX_WORK_QUEUE, WorkerQueue, KdFieldStruct, "_KQUEUE"),
    KD_FIELD_OF(EX_WORK_QUEUE, DynamicThreadCount, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(EX_WORK_QUEUE, WorkItemsProcessed, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(EX_WORK_QUEUE, WorkItemsProcessedLastPass, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(EX_WORK_QUEUE, QueueDepthLastPass, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(EX_WORK_QUEUE, Info, KdFieldUlong, "EX_QUEUE_WORKER_INFO"),
};

static const KD_FIELD KdpWorkItemFields[] = {
    KD_FIELD_OF(WORK_QUEUE_ITEM, List, KdFieldListEntry, "_LIST_ENTRY"),
    KD_FIELD_OF(WORK_QUEUE_ITEM, WorkerRoutine, KdFieldCode, "Ptr64 void"),
    KD_FIELD_OF(WORK_QUEUE_ITEM, Parameter, KdFieldPointer, "Ptr64 Void"),
};

static const KD_FIELD KdpIoWorkItemFields[] = {
    KD_FIELD_OF(IO_WORKITEM, WorkItem, KdFieldStruct, "_WORK_QUEUE_ITEM"),
    KD_FIELD_OF(IO_WORKITEM, Routine, KdFieldCode, "Ptr64 void"),
    KD_FIELD_OF(IO_WORKITEM, IoObject, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(IO_WORKITEM, Context, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(IO_WORKITEM, Type, KdFieldUlong, "Uint4B"),
};

const KD_TYPE KdpTypes[] = {
    KD_TYPE_OF("_LIST_ENTRY", LIST_ENTRY, KdpListEntryFields),
    KD_TYPE_OF("_DISPATCHER_HEADER", DISPATCHER_HEADER, KdpDispatcherHeaderFields),
    KD_TYPE_OF("_KQUEUE", KQUEUE, KdpQueueFields),
    KD_TYPE_OF("_EX_WORK_QUEUE", EX_WORK_QUEUE, KdpWorkQueueFields),
    KD_TYPE_OF("_WORK_QUEUE_ITEM", WORK_QUEUE_ITEM, KdpWorkItemFields),
    KD_TYPE_OF("_IO_WORKITEM", IO_WORKITEM, KdpIoWorkItemFields),
    { NULL, 0, NULL, 0 },
};

#define KD_DT_NAME_WIDTH 16     // WinDbg's column for a whole type
#define KD_DT_MAX_SIZE   1024   // the largest type dt reads at once
#define KD_DT_MAX_STRING 128    // a UNICODE_STRING's text, cut there

// Each family's table ends with an entry without a name.
static const KD_TYPE *const KdpTypeSets[] = { KdpTypes, KdpIoTypes };

static const KD_TYPE *KdpFindType(const char *name)
{
    if (name[0] == 'n' && name[1] == 't' && name[2] == '!')
        name += 3;
    for (ULONG set = 0; set < ARRAYSIZE(KdpTypeSets); set++) {
        for (const KD_TYPE *type = KdpTypeSets[set]; type->Name; type++) {
            if (RtlCompareStringInsensitive(type->Name, name) == 0)
                return type;
        }
    }
    return NULL;
}

static void KdpPrintPointerValue(ULONG64 value)
{
    char text[18];

    RtlFormatAddress(text, value);
    KdpPrint("0x%s", text);
}

static void KdpPrintCodeValue(ULONG64 value)
{
    char symbol[128];

    KdpPrintPointerValue(value);
    KdpFormatCode(value, symbol, sizeof(symbol));
    if (symbol[0])
        KdpPrint("     %s", symbol);
}

// WinDbg's form of a UNICODE_STRING value: its text in quotes, read
// through its Buffer (a string that cannot be read says so).
static void KdpPrintUnicodeStringValue(const UNICODE_STRING *string)
{
    char text[KD_DT_MAX_STRING];
    ULONG count = string->Length / sizeof(WCHAR), i;

    if (count >= sizeof(text))
        count = sizeof(text) - 1;
    for (i = 0; i < count; i++) {
        WCHAR c;

        if (!KdpReadMemory((ULONG64)(ULONG_PTR)string->Buffer + i * sizeof(WCHAR), &c,
                           sizeof(c))) {
            KdpPrint("_UNICODE_STRING \"(Buffer 0x%016llx cannot be read)\"",
                     (unsigned long long)(ULONG_PTR)string->Buffer);
            return;
        }
        text[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    text[i] = '\0';
    KdpPrint("_UNICODE_STRING \"%s\"", text);
}

static void KdpPrintFieldValue(const KD_FIELD *field, const UCHAR *data)
{
    switch (field->Kind) {
    case KdFieldUchar:
        KdpPrint("0x%x", *data);
        break;
    case KdFieldChar:
        KdpPrint("%d ''", (CHAR)*data);
        break;
    case KdFieldShort: {
        SHORT value;

        memcpy(&value, data, sizeof(value));
        KdpPrint("0n%d", value);
        break;
    }
    case KdFieldUshort: {
        USHORT value;

        memcpy(&value, data, sizeof(value));
        KdpPrint(value ? "0x%x" : "0", value);
        break;
    }
    case KdFieldLong: {
        LONG value;

        memcpy(&value, data, sizeof(value));
        KdpPrint("0n%d", value);      // WinDbg's decimal for signed fields
        break;
    }
    case KdFieldUlong: {
        ULONG value;

        memcpy(&value, data, sizeof(value));
        KdpPrint(value ? "0x%x" : "0", value);
        break;
    }
    case KdFieldUlong64: {
        ULONG64 value;

        memcpy(&value, data, sizeof(value));
        KdpPrint(value ? "0x%llx" : "0", (unsigned long long)value);
        break;
    }
    case KdFieldLargeInteger: {
        ULONG64 value;

        memcpy(&value, data, sizeof(value));
        KdpPrint("_LARGE_INTEGER 0x%llx", (unsigned long long)value);
        break;
    }
    case KdFieldPointer:
    case KdFieldCode:
    case KdFieldCodeArray: {
        ULONG64 value;

        memcpy(&value, data, sizeof(value));
        if (field->Kind == KdFieldCodeArray)
            KdpPrint("[%u] ", field->Count);
        if (field->Kind == KdFieldPointer)
            KdpPrintPointerValue(value);
        else
            KdpPrintCodeValue(value);
        break;
    }
    case KdFieldListEntry: {
        LIST_ENTRY links;

        memcpy(&links, data, sizeof(links));
        KdpPrint("_LIST_ENTRY [ ");
        KdpPrintPointerValue((ULONG64)links.Flink);
        KdpPrint(" - ");
        KdpPrintPointerValue((ULONG64)links.Blink);
        KdpPrint(" ]");
        break;
    }
    case KdFieldUnicodeString: {
        UNICODE_STRING string;

        memcpy(&string, data, sizeof(string));
        KdpPrintUnicodeStringValue(&string);
        break;
    }
    case KdFieldStruct:
        KdpPrint("%s", field->TypeName);
        break;
    }
}

// Does the field match one of dt's field arguments (a name, or a pattern
// with * and ?)? With none, every field does.
static BOOLEAN KdpFieldSelected(const KD_FIELD *field, int count, char **patterns)
{
    if (count == 0)
        return TRUE;
    for (int i = 0; i < count; i++) {
        if (RtlMatchPattern(patterns[i], field->Name))
            return TRUE;
    }
    return FALSE;
}

static BOOLEAN KdpIsFieldArgument(const KD_TYPE *type, const char *text)
{
    char *pattern = (char *)text;

    for (ULONG i = 0; i < type->FieldCount; i++) {
        if (KdpFieldSelected(&type->Fields[i], 1, &pattern))
            return TRUE;
    }
    return FALSE;
}

static KD_COMMAND_RESULT KdpDisplayType(int argc, char **argv)
{
    static UCHAR data[KD_DT_MAX_SIZE];
    const KD_TYPE *type;
    ULONG64 address = 0;
    BOOLEAN haveAddress = FALSE;
    int width = 0, fieldCount, first = 2;

    if (argc < 2) {
        KdpPrint("Usage: dt [nt!]TypeName [address] [Field...]\n");
        return KdCommandContinue;
    }
    type = KdpFindType(argv[1]);
    if (!type) {
        KdpPrint("Symbol %s%s not found (dt knows:", strncmp(argv[1], "nt!", 3) ? "nt!" : "",
                 argv[1]);
        for (ULONG set = 0; set < ARRAYSIZE(KdpTypeSets); set++) {
            for (const KD_TYPE *known = KdpTypeSets[set]; known->Name; known++)
                KdpPrint(" %s", known->Name);
        }
        KdpPrint(")\n");
        return KdCommandContinue;
    }
    // As WinDbg: the argument after the type is a field if the type has one
    // of that name, else the address.
    if (argc >= 3 && !KdpIsFieldArgument(type, argv[2])) {
        if (!KdpGetValue(argv[2], &address))
            return KdCommandContinue;
        haveAddress = TRUE;
        first = 3;
    }
    fieldCount = argc - first;
    for (int i = first; i < argc; i++) {
        if (!KdpIsFieldArgument(type, argv[i])) {
            KdpPrint("%s has no field %s\n", type->Name, argv[i]);
            return KdCommandContinue;
        }
    }
    if (haveAddress) {
        if (type->Size > sizeof(data)) {
            KdpPrint("%s is 0x%x bytes: too large for dt to read\n", type->Name, type->Size);
            return KdCommandContinue;
        }
        if (!KdpReadMemory(address, data, type->Size)) {
            KdpPrint("Memory read error %016llx\n", (unsigned long long)address);
            return KdCommandContinue;
        }
    }
    // As WinDbg: the whole type aligns its names on a column of 16 that a
    // longer name overruns; chosen fields align on the longest of them.
    if (fieldCount == 0) {
        width = KD_DT_NAME_WIDTH;
    } else {
        for (ULONG i = 0; i < type->FieldCount; i++) {
            int length = (int)strlen(type->Fields[i].Name);

            if (KdpFieldSelected(&type->Fields[i], fieldCount, argv + first) && length > width)
                width = length;
        }
    }
    for (ULONG i = 0; i < type->FieldCount; i++) {
        const KD_FIELD *field = &type->Fields[i];

        if (!KdpFieldSelected(field, fieldCount, argv + first))
            continue;
        KdpPrint("   +0x%03x %-*s : ", field->Offset, width, field->Name);
        if (haveAddress)
            KdpPrintFieldValue(field, data + field->Offset);
        else if (field->Kind == KdFieldCodeArray)
            KdpPrint("[%u] %s", field->Count, field->TypeName);
        else
            KdpPrint("%s", field->TypeName);
        KdpPrint("\n");
    }
    return KdCommandContinue;
}

const KD_COMMAND KdpTypeCommands[] = {
    { "dt", KdpDisplayType, "dt [nt!]TypeName [address] [Field...]",
      "a structure's layout, or its fields at address; Field names (or patterns) pick fields "
      "(_FILE_OBJECT, _IRP, _IO_STACK_LOCATION, _DEVICE_OBJECT, _DRIVER_OBJECT, _KQUEUE, "
      "_EX_WORK_QUEUE, _WORK_QUEUE_ITEM, _IO_WORKITEM, _DISPATCHER_HEADER, _LIST_ENTRY)" },
    { NULL, NULL, NULL, NULL },
};
