// Object manager commands: !object (an object by address or by path in the
// namespace, a directory with its entries, every object of a type) and
// !handle (a process's handle table with the objects behind it), laid out
// as WinDbg's. Every structure is read through the fault-safe reader and
// checked before it is believed: an object is one only if its header's Type
// is a real type object, that is an object on the Type type's own list.

#include "kd/kd.h"
#include "ps/ps.h"

#define KD_OBJECT_SHOW_NAME     0x1     // WinDbg's !object flags
#define KD_OBJECT_SHOW_CONTENTS 0x8
#define KD_OBJECT_DEFAULT_FLAGS (KD_OBJECT_SHOW_NAME | KD_OBJECT_SHOW_CONTENTS)
#define KD_HANDLE_BASIC         0x1     // WinDbg's kernel-mode !handle flags
#define KD_HANDLE_OBJECT        0x2
#define KD_HANDLE_FREE          0x4
#define KD_HANDLE_DEFAULT_FLAGS (KD_HANDLE_BASIC | KD_HANDLE_OBJECT)
#define KD_ALL                  (~0ULL)  // -1: every handle, or the current process
#define KD_MAX_NAME             128
#define KD_MAX_TYPE_NAME        32
#define KD_MAX_HANDLE_ENTRIES   (1U << 20)
#define KD_OBJECT_BODY_OFFSET   FIELD_OFFSET(OBJECT_HEADER, Body)

typedef struct _KD_OBJECT_INFO {
    ULONG64 Object;
    ULONG64 HeaderAddress;
    OBJECT_HEADER Header;           // everything before Body
    char TypeName[KD_MAX_TYPE_NAME];
    char Name[KD_MAX_NAME];         // "" when unnamed
    ULONG64 Directory;              // the directory holding the name, or 0
} KD_OBJECT_INFO;

typedef struct _KD_TYPE_SEARCH {
    ULONG64 Type;
    BOOLEAN Found;
} KD_TYPE_SEARCH;

static BOOLEAN KdpMatchTypeEntry(void *context, ULONG64 entry)
{
    KD_TYPE_SEARCH *search = context;

    if (entry - FIELD_OFFSET(OBJECT_HEADER, TypeListEntry) + KD_OBJECT_BODY_OFFSET ==
        search->Type) {
        search->Found = TRUE;
        return FALSE;
    }
    return TRUE;
}

// A type object is an object of type Type: on the Type type's list of its
// objects. Process and Thread are made before the object manager, as
// statically allocated types, and are accepted by address.
static BOOLEAN KdpIsObjectType(ULONG64 type)
{
    KD_TYPE_SEARCH search = { type, FALSE };
    ULONG64 typeType = (ULONG64)ObpTypeObjectType;

    if (!type)
        return FALSE;
    if (type == (ULONG64)PsProcessType || type == (ULONG64)PsThreadType)
        return TRUE;
    if (!typeType)
        return FALSE;
    KdpWalkList(typeType + FIELD_OFFSET(OBJECT_TYPE, TypeList), "the Type type's TypeList",
                KdpMatchTypeEntry, &search);
    return search.Found;
}

// A NUL-terminated string at `address`, read a byte at a time so that it may
// end just before an unmapped page; unprintable bytes show as '?'.
static BOOLEAN KdpReadAsciiString(ULONG64 address, char *buffer, size_t size)
{
    size_t i;

    for (i = 0; i + 1 < size; i++) {
        char c;

        if (!KdpReadMemory(address + i, &c, 1))
            break;
        if (!c) {
            buffer[i] = '\0';
            return TRUE;
        }
        buffer[i] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    buffer[i] = '\0';
    return i > 0;
}

// A UNICODE_STRING as ASCII (anything else shows as '?'), cut to fit.
static BOOLEAN KdpReadUnicodeString(const UNICODE_STRING *string, char *buffer, size_t size)
{
    size_t count = string->Length / sizeof(WCHAR), i;

    buffer[0] = '\0';
    if (count >= size)
        count = size - 1;
    for (i = 0; i < count; i++) {
        WCHAR c;

        if (!KdpReadMemory((ULONG64)string->Buffer + i * sizeof(WCHAR), &c, sizeof(c)))
            return FALSE;
        buffer[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    buffer[i] = '\0';
    return TRUE;
}

// Reads and checks the object at `object`; unless `quiet`, says in one line
// why it is not one.
static BOOLEAN KdpReadObject(ULONG64 object, KD_OBJECT_INFO *info, BOOLEAN quiet)
{
    memset(info, 0, sizeof(*info));
    info->Object = object;
    info->HeaderAddress = object - KD_OBJECT_BODY_OFFSET;
    if (!KdpReadMemory(info->HeaderAddress, &info->Header, KD_OBJECT_BODY_OFFSET)) {
        if (!quiet)
            KdpPrint("%016llx is not an object: its header at %016llx cannot be read\n",
                     (unsigned long long)object, (unsigned long long)info->HeaderAddress);
        return FALSE;
    }
    if (!KdpIsObjectType((ULONG64)info->Header.Type)) {
        if (!quiet)
            KdpPrint("%016llx is not an object: its header's Type %016llx is not an object "
                     "type\n", (unsigned long long)object,
                     (unsigned long long)(ULONG_PTR)info->Header.Type);
        return FALSE;
    }
    {
        ULONG64 name;

        if (!KdpReadMemory((ULONG64)info->Header.Type + FIELD_OFFSET(OBJECT_TYPE, Name), &name,
                           sizeof(name)) ||
            !KdpReadAsciiString(name, info->TypeName, sizeof(info->TypeName)))
            RtlStringPrintf(info->TypeName, sizeof(info->TypeName), "?");
    }
    if (info->Header.NameInfo) {
        OBJECT_HEADER_NAME_INFO nameInfo;

        if (KdpReadMemory((ULONG64)info->Header.NameInfo, &nameInfo, sizeof(nameInfo))) {
            info->Directory = (ULONG64)nameInfo.Directory;
            if (!KdpReadUnicodeString(&nameInfo.Name, info->Name, sizeof(info->Name)))
                RtlStringPrintf(info->Name, sizeof(info->Name), "(name cannot be read)");
        }
    }
    if (!info->Name[0] && object == (ULONG64)ObpRootDirectoryObject)
        RtlStringPrintf(info->Name, sizeof(info->Name), "\\");
    // A file object has no name in the namespace: WinDbg shows its FileName
    // and the device it is open on.
    if (!info->Name[0] && !strcmp(info->TypeName, "File"))
        KdpFormatFileObjectName(object, info->Name, sizeof(info->Name));
    return TRUE;
}

// ---- Directories -----------------------------------------------------------------------

BOOLEAN KdpWalkDirectory(ULONG64 directory, KD_DIRECTORY_CALLBACK callback, void *context)
{
    for (ULONG bucket = 0; bucket < NUMBER_HASH_BUCKETS; bucket++) {
        ULONG64 link;
        ULONG count = 0;

        if (!KdpReadMemory(directory + FIELD_OFFSET(OBJECT_DIRECTORY, HashBuckets) +
                               bucket * sizeof(ULONG64), &link, sizeof(link))) {
            KdpPrint("Directory %016llx: hash bucket %u cannot be read\n",
                     (unsigned long long)directory, bucket);
            return FALSE;
        }
        for (; link; count++) {
            OBJECT_DIRECTORY_ENTRY entry;

            if (count == KD_MAX_LIST_ENTRIES || !KdpReadMemory(link, &entry, sizeof(entry))) {
                KdpPrint("Directory %016llx: hash chain %u is %s at %016llx\n",
                         (unsigned long long)directory, bucket,
                         count == KD_MAX_LIST_ENTRIES ? "endless" : "unreadable",
                         (unsigned long long)link);
                return FALSE;
            }
            if (!callback(context, (ULONG64)entry.Object, bucket, count == 0))
                return TRUE;
            link = (ULONG64)entry.ChainLink;
        }
    }
    return TRUE;
}

static BOOLEAN KdpPrintDirectoryEntry(void *context, ULONG64 object, ULONG bucket,
                                      BOOLEAN first)
{
    KD_OBJECT_INFO info;
    char index[4] = "  ";

    if (first)
        RtlStringPrintf(index, sizeof(index), "%02u", bucket);
    if (!KdpReadObject(object, &info, TRUE)) {
        KdpPrint("     %s  %016llx (not an object)\n", index, (unsigned long long)object);
        return TRUE;
    }
    KdpPrint("     %s  %016llx %-20s %s\n", index, (unsigned long long)object, info.TypeName,
             info.Name);
    return TRUE;
}

typedef struct _KD_NAME_SEARCH {
    const char *Name;
    ULONG64 Object;
} KD_NAME_SEARCH;

static BOOLEAN KdpMatchDirectoryEntry(void *context, ULONG64 object, ULONG bucket,
                                      BOOLEAN first)
{
    KD_NAME_SEARCH *search = context;
    KD_OBJECT_INFO info;

    if (KdpReadObject(object, &info, TRUE) &&
        RtlCompareStringInsensitive(info.Name, search->Name) == 0) {
        search->Object = object;
        return FALSE;
    }
    return TRUE;
}

BOOLEAN KdpLookupObjectPath(const char *path, ULONG64 *object, BOOLEAN quiet)
{
    ULONG64 current = (ULONG64)ObpRootDirectoryObject;
    const char *at = path + 1;

    if (!current) {
        if (!quiet)
            KdpPrint("The object namespace does not exist yet\n");
        return FALSE;
    }
    while (*at) {
        char component[KD_MAX_NAME];
        KD_NAME_SEARCH search = { component, 0 };
        KD_OBJECT_INFO info;
        size_t length = 0;

        while (at[length] && at[length] != '\\')
            length++;
        if (length == 0 || length >= sizeof(component)) {
            if (!quiet)
                KdpPrint("Bad object path '%s': %s\n", path,
                         length ? "a name is too long" : "an empty name between backslashes");
            return FALSE;
        }
        memcpy(component, at, length);
        component[length] = '\0';
        if (!KdpReadObject(current, &info, quiet))
            return FALSE;
        if (info.Header.Type != ObpDirectoryObjectType) {
            if (!quiet)
                KdpPrint("Object %.*s not found: %.*s is a %s, not a directory\n",
                         (int)(at - path + length), path, (int)(at - path - 1), path,
                         info.TypeName);
            return FALSE;
        }
        if (!KdpWalkDirectory(current, KdpMatchDirectoryEntry, &search))
            return FALSE;
        if (!search.Object) {
            if (!quiet)
                KdpPrint("Object %.*s not found\n", (int)(at - path + length), path);
            return FALSE;
        }
        current = search.Object;
        at += length;
        if (*at == '\\' && !*++at) {
            if (!quiet)
                KdpPrint("Bad object path '%s': it ends with a backslash\n", path);
            return FALSE;
        }
    }
    *object = current;
    return TRUE;
}

ULONG64 KdpFindObjectType(const char *name)
{
    KD_NAME_SEARCH search = { name, 0 };

    if (ObpTypeDirectoryObject)
        KdpWalkDirectory((ULONG64)ObpTypeDirectoryObject, KdpMatchDirectoryEntry, &search);
    return search.Object;
}

BOOLEAN KdpReadObjectName(ULONG64 object, char *name, size_t size)
{
    KD_OBJECT_INFO info;

    if (!KdpReadObject(object, &info, TRUE))
        return FALSE;
    RtlStringPrintf(name, size, "%s", info.Name);
    return TRUE;
}

// ---- Printing an object -------------------------------------------------------------

BOOLEAN KdpPrintObject(ULONG64 object, ULONG indent, ULONG countIndent, BOOLEAN contents)
{
    KD_OBJECT_INFO info;
    int in = (int)indent, counts = (int)countIndent;

    if (!KdpReadObject(object, &info, FALSE))
        return FALSE;
    KdpPrint("%*sObject: %016llx  Type: (%016llx) %s\n", in, "", (unsigned long long)object,
             (unsigned long long)(ULONG_PTR)info.Header.Type, info.TypeName);
    if (countIndent == 0)
        return TRUE;
    KdpPrint("%*sObjectHeader: %016llx\n", in + 4, "", (unsigned long long)info.HeaderAddress);
    KdpPrint("%*sHandleCount: %lld  PointerCount: %lld\n", counts, "",
             (long long)info.Header.HandleCount, (long long)info.Header.PointerCount);
    if (info.Name[0])
        KdpPrint("%*sDirectory Object: %08llx  Name: %s\n", counts, "",
                 (unsigned long long)info.Directory, info.Name);
    // The header's descriptor, for !sd (objects without one show nothing).
    if (info.Header.SecurityDescriptor)
        KdpPrint("%*sSecurityDescriptor: %016llx\n", counts, "",
                 (unsigned long long)(ULONG_PTR)info.Header.SecurityDescriptor);
    if (!contents)
        return TRUE;
    if (info.Header.Type == ObpDirectoryObjectType) {
        KdpPrint("\n%*s    Hash Address          Type                 Name\n", in, "");
        KdpPrint("%*s    ---- -------          ----                 ----\n", in, "");
        KdpWalkDirectory(object, KdpPrintDirectoryEntry, NULL);
    } else if (info.Header.Type == ObpSymbolicLinkObjectType) {
        OBJECT_SYMBOLIC_LINK link;
        char target[KD_MAX_NAME];

        if (KdpReadMemory(object, &link, sizeof(link)) &&
            KdpReadUnicodeString(&link.LinkTarget, target, sizeof(target)))
            KdpPrint("%*sTarget String is '%s'\n", in + 4, "", target);
        else
            KdpPrint("%*sTarget String cannot be read\n", in + 4, "");
    }
    return TRUE;
}

typedef struct _KD_TYPE_LISTING {
    ULONG Flags;
    ULONG Count;
} KD_TYPE_LISTING;

static BOOLEAN KdpPrintTypeListEntry(void *context, ULONG64 entry)
{
    KD_TYPE_LISTING *listing = context;
    ULONG64 object = entry - FIELD_OFFSET(OBJECT_HEADER, TypeListEntry) + KD_OBJECT_BODY_OFFSET;

    KdpPrintObject(object, 0, (listing->Flags & KD_OBJECT_SHOW_NAME) ? 4 : 0, FALSE);
    listing->Count++;
    return TRUE;
}

// `!object 0 TypeName`: every object of the type, from the type's list of
// its objects (NT keeps one only with the +otl global flag; Sleuth always).
static void KdpPrintObjectsOfType(const char *typeName, ULONG flags)
{
    char path[KD_MAX_NAME];
    ULONG64 type;
    KD_TYPE_LISTING listing = { flags, 0 };

    if (!RtlCompareStringInsensitive(typeName, "Process"))
        type = (ULONG64)PsProcessType;
    else if (!RtlCompareStringInsensitive(typeName, "Thread"))
        type = (ULONG64)PsThreadType;
    else {
        RtlStringPrintf(path, sizeof(path), "\\ObjectTypes\\%s", typeName);
        if (!KdpLookupObjectPath(path, &type, FALSE))
            return;
    }
    KdpPrint("Scanning %s objects\n", typeName);
    KdpWalkList(type + FIELD_OFFSET(OBJECT_TYPE, TypeList), "the type's TypeList",
                KdpPrintTypeListEntry, &listing);
    KdpPrint("%u %s object%s\n", listing.Count, typeName, listing.Count == 1 ? "" : "s");
}

static KD_COMMAND_RESULT KdpObject(int argc, char **argv)
{
    ULONG64 object, flags = KD_OBJECT_DEFAULT_FLAGS;

    if (argc < 2 || argc > 3) {
        KdpPrint("Usage: !object address|path [flags]  or  !object 0 TypeName\n");
        return KdCommandContinue;
    }
    if (argv[1][0] == '\\') {
        if (!KdpLookupObjectPath(argv[1], &object, FALSE))
            return KdCommandContinue;
    } else if (!KdpGetValue(argv[1], &object)) {
        return KdCommandContinue;
    }
    if (object == 0) {
        if (argc != 3)
            KdpPrint("Usage: !object 0 TypeName\n");
        else
            KdpPrintObjectsOfType(argv[2], KD_OBJECT_SHOW_NAME);
        return KdCommandContinue;
    }
    if (argc == 3 && !KdpGetValue(argv[2], &flags))
        return KdCommandContinue;
    KdpPrintObject(object, 0, (flags & KD_OBJECT_SHOW_NAME) ? 4 : 0,
                   (flags & KD_OBJECT_DEFAULT_FLAGS) == KD_OBJECT_DEFAULT_FLAGS);
    return KdCommandContinue;
}

// ---- Handles ----------------------------------------------------------------------------

typedef struct _KD_HANDLE_QUERY {
    ULONG64 Handle;                 // KD_ALL or 0: every handle
    ULONG Flags;
    const char *TypeName;           // only objects of this type, or NULL
} KD_HANDLE_QUERY;

ULONG KdpProcessHandleCount(ULONG64 objectTable)
{
    ULONG count = 0;

    if (objectTable)
        KdpReadMemory(objectTable + FIELD_OFFSET(HANDLE_TABLE, HandleCount), &count,
                      sizeof(count));
    return count;
}

static BOOLEAN KdpTypeNameMatches(ULONG64 objectHeader, const char *typeName)
{
    KD_OBJECT_INFO info;

    return !typeName ||
           (KdpReadObject(objectHeader + KD_OBJECT_BODY_OFFSET, &info, TRUE) &&
            RtlCompareStringInsensitive(info.TypeName, typeName) == 0);
}

static void KdpPrintHandleEntry(ULONG index, ULONG64 entryAddress,
                                const HANDLE_TABLE_ENTRY *entry, ULONG flags)
{
    ULONG handle = (index + 1) * HANDLE_INDEX_MULTIPLIER;
    // Without the entry's lock bit (a lookup may hold it as we stop).
    ULONG64 header = (ULONG64)ObpHandleEntryObject(entry);
    ULONG64 object = header + KD_OBJECT_BODY_OFFSET;

    if (!header) {
        KdpPrint("%04x: free handle, Entry address %016llx, Next Entry %08x\n", handle,
                 (unsigned long long)entryAddress,
                 (entry->NextFreeTableEntry + 1) * HANDLE_INDEX_MULTIPLIER);
        return;
    }
    if (flags & KD_HANDLE_BASIC)
        KdpPrint("%04x: Object: %016llx  GrantedAccess: %08x Entry: %016llx\n", handle,
                 (unsigned long long)object, entry->GrantedAccess,
                 (unsigned long long)entryAddress);
    if (flags & KD_HANDLE_OBJECT) {
        KdpPrintObject(object, 0, 8, FALSE);
        KdpPrint("\n");
    }
}

// One process's table: every entry in use (and the free ones with flag 4),
// or the one handle asked for.
static void KdpPrintHandleTable(ULONG64 process, const KD_HANDLE_QUERY *query)
{
    ULONG64 tableAddress;
    HANDLE_TABLE table;

    KdpPrintProcessSummary(process);
    if (!KdpReadMemory(process + FIELD_OFFSET(EPROCESS, ObjectTable), &tableAddress,
                       sizeof(tableAddress)))
        return;
    if (!tableAddress) {
        KdpPrint("The process has no handle table (Idle, or deleted)\n\n");
        return;
    }
    if (!KdpReadMemory(tableAddress, &table, sizeof(table))) {
        KdpPrint("Handle table at %016llx cannot be read\n\n", (unsigned long long)tableAddress);
        return;
    }
    if (table.TableSize > KD_MAX_HANDLE_ENTRIES) {
        KdpPrint("Handle table at %016llx claims %u entries: corrupt?\n\n",
                 (unsigned long long)tableAddress, table.TableSize);
        return;
    }
    KdpPrint("Handle table at %016llx with %u entries in use\n\n",
             (unsigned long long)tableAddress, table.HandleCount);
    for (ULONG index = 0; index < table.TableSize; index++) {
        ULONG64 entryAddress = (ULONG64)table.Table + index * sizeof(HANDLE_TABLE_ENTRY);
        HANDLE_TABLE_ENTRY entry;
        BOOLEAN one = query->Handle != KD_ALL && query->Handle != 0;

        if (one && query->Handle != (index + 1) * HANDLE_INDEX_MULTIPLIER)
            continue;
        if (!KdpReadMemory(entryAddress, &entry, sizeof(entry))) {
            KdpPrint("%04x: Entry %016llx cannot be read\n",
                     (index + 1) * HANDLE_INDEX_MULTIPLIER, (unsigned long long)entryAddress);
            return;
        }
        if ((entry.Value || one || (query->Flags & KD_HANDLE_FREE)) &&
            (!entry.Value ||
             KdpTypeNameMatches((ULONG64)ObpHandleEntryObject(&entry), query->TypeName)))
            KdpPrintHandleEntry(index, entryAddress, &entry, query->Flags);
        if (one)
            return;
    }
    if (query->Handle != KD_ALL && query->Handle != 0)
        KdpPrint("Invalid handle %04llx: %s\n\n", (unsigned long long)query->Handle,
                 query->Handle % HANDLE_INDEX_MULTIPLIER
                     ? "handles are multiples of 4"
                     : "beyond the end of the process's handle table");
}

static BOOLEAN KdpPrintProcessHandles(void *context, ULONG64 entry)
{
    KdpPrintHandleTable(entry - FIELD_OFFSET(EPROCESS, ActiveProcessLinks), context);
    return TRUE;
}

static KD_COMMAND_RESULT KdpHandle(int argc, char **argv)
{
    KD_HANDLE_QUERY query = { KD_ALL, KD_HANDLE_DEFAULT_FLAGS, NULL };
    ULONG64 flags = KD_HANDLE_DEFAULT_FLAGS, which = KD_ALL, process;

    if (argc > 5) {
        KdpPrint("Usage: !handle [handle [flags [process [TypeName]]]]\n");
        return KdCommandContinue;
    }
    if ((argc >= 2 && !KdpGetValue(argv[1], &query.Handle)) ||
        (argc >= 3 && !KdpGetValue(argv[2], &flags)) ||
        (argc >= 4 && !KdpGetValue(argv[3], &which)))
        return KdCommandContinue;
    query.Flags = (ULONG)flags;
    query.TypeName = argc == 5 ? argv[4] : NULL;
    if (which == 0) {
        KdpPrint("**** NT ACTIVE PROCESS HANDLE DUMP ****\n");
        KdpWalkList((ULONG64)&PsActiveProcessHead, "PsActiveProcessHead",
                    KdpPrintProcessHandles, &query);
    } else if (KdpResolveProcess(which, &process)) {
        KdpPrintHandleTable(process, &query);
    }
    return KdCommandContinue;
}

const KD_COMMAND KdpObjectCommands[] = {
    { "!object", KdpObject, "!object address|path [flags] | !object 0 TypeName",
      "an object: type, counts, name; a directory's entries (\\, \\ObjectTypes...)" },
    { "!handle", KdpHandle, "!handle [handle [flags [process [TypeName]]]]",
      "a process's handles and their objects: handle 0 = all, process 0 = every process" },
    { NULL, NULL, NULL, NULL },
};
