// dt: display a type, as WinDbg's `dt nt!_KQUEUE [address]`. Sleuth has no
// PDB: the types dt knows are described here, field by field, from the
// same structures the kernel uses (offsetof), so they cannot drift. Without
// an address dt shows the layout; with one, the values, read fault-safe.
//
// The types are those the worker-queue case study reads by hand: the
// dispatcher's KQUEUE and its header, the executive's EX_WORK_QUEUE and
// WORK_QUEUE_ITEM, the I/O manager's IO_WORKITEM, and LIST_ENTRY.

#include "kd/kd.h"
#include "ex/ex.h"
#include "io/io.h"

typedef enum _KD_FIELD_KIND {
    KdFieldUchar,
    KdFieldLong,
    KdFieldUlong,
    KdFieldPointer,
    KdFieldCode,                // a routine: the pointer and its symbol
    KdFieldListEntry,
    KdFieldStruct,              // shown by its type name
} KD_FIELD_KIND;

typedef struct _KD_FIELD {
    ULONG Offset;
    const char *Name;
    KD_FIELD_KIND Kind;
    const char *TypeName;       // for the layout: "Uint4B", "_LIST_ENTRY", ...
} KD_FIELD;

typedef struct _KD_TYPE {
    const char *Name;
    ULONG Size;
    const KD_FIELD *Fields;
    ULONG FieldCount;
} KD_TYPE;

#define KD_FIELD_OF(type, field, kind, typeName) { offsetof(type, field), #field, kind, typeName }

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

#define KD_TYPE_OF(name, type, fields) { name, sizeof(type), fields, ARRAYSIZE(fields) }

static const KD_TYPE KdpTypes[] = {
    KD_TYPE_OF("_LIST_ENTRY", LIST_ENTRY, KdpListEntryFields),
    KD_TYPE_OF("_DISPATCHER_HEADER", DISPATCHER_HEADER, KdpDispatcherHeaderFields),
    KD_TYPE_OF("_KQUEUE", KQUEUE, KdpQueueFields),
    KD_TYPE_OF("_EX_WORK_QUEUE", EX_WORK_QUEUE, KdpWorkQueueFields),
    KD_TYPE_OF("_WORK_QUEUE_ITEM", WORK_QUEUE_ITEM, KdpWorkItemFields),
    KD_TYPE_OF("_IO_WORKITEM", IO_WORKITEM, KdpIoWorkItemFields),
};

#define KD_DT_NAME_WIDTH 16     // WinDbg's column, wider for a type with longer names

static const KD_TYPE *KdpFindType(const char *name)
{
    if (name[0] == 'n' && name[1] == 't' && name[2] == '!')
        name += 3;
    for (ULONG i = 0; i < ARRAYSIZE(KdpTypes); i++) {
        if (RtlCompareStringInsensitive(KdpTypes[i].Name, name) == 0)
            return &KdpTypes[i];
    }
    return NULL;
}

static void KdpPrintPointerValue(ULONG64 value)
{
    char text[18];

    RtlFormatAddress(text, value);
    KdpPrint("0x%s", text);
}

static void KdpPrintFieldValue(const KD_FIELD *field, const UCHAR *data)
{
    switch (field->Kind) {
    case KdFieldUchar:
        KdpPrint("0x%x", *data);
        break;
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
    case KdFieldPointer:
    case KdFieldCode: {
        ULONG64 value;
        char symbol[128];

        memcpy(&value, data, sizeof(value));
        KdpPrintPointerValue(value);
        if (field->Kind == KdFieldCode && KdpFormatModuleAddress(value, symbol, sizeof(symbol)))
            KdpPrint("     %s", symbol);
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
    case KdFieldStruct:
        KdpPrint("%s", field->TypeName);
        break;
    }
}

static KD_COMMAND_RESULT KdpDisplayType(int argc, char **argv)
{
    const KD_TYPE *type;
    ULONG64 address = 0;
    UCHAR data[sizeof(EX_WORK_QUEUE)];
    int width = KD_DT_NAME_WIDTH;

    if (argc < 2 || argc > 3) {
        KdpPrint("Usage: dt [nt!]TypeName [address]\n");
        return KdCommandContinue;
    }
    type = KdpFindType(argv[1]);
    if (!type) {
        KdpPrint("Symbol %s%s not found (dt knows:", strncmp(argv[1], "nt!", 3) ? "nt!" : "",
                 argv[1]);
        for (ULONG i = 0; i < ARRAYSIZE(KdpTypes); i++)
            KdpPrint(" %s", KdpTypes[i].Name);
        KdpPrint(")\n");
        return KdCommandContinue;
    }
    if (argc == 3) {
        if (!KdpGetValue(argv[2], &address))
            return KdCommandContinue;
        if (!KdpReadMemory(address, data, type->Size)) {
            KdpPrint("Memory read error %016llx\n", (unsigned long long)address);
            return KdCommandContinue;
        }
    }
    for (ULONG i = 0; i < type->FieldCount; i++) {
        int length = (int)strlen(type->Fields[i].Name);

        if (length > width)
            width = length;
    }
    for (ULONG i = 0; i < type->FieldCount; i++) {
        const KD_FIELD *field = &type->Fields[i];

        KdpPrint("   +0x%03x %-*s : ", field->Offset, width, field->Name);
        if (argc == 3)
            KdpPrintFieldValue(field, data + field->Offset);
        else
            KdpPrint("%s", field->TypeName);
        KdpPrint("\n");
    }
    return KdCommandContinue;
}

const KD_COMMAND KdpTypeCommands[] = {
    { "dt", KdpDisplayType, "dt [nt!]TypeName [address]",
      "a structure's layout, or its fields at address (_KQUEUE, _EX_WORK_QUEUE, "
      "_WORK_QUEUE_ITEM, _IO_WORKITEM, _DISPATCHER_HEADER, _LIST_ENTRY)" },
    { NULL, NULL, NULL, NULL },
};
