// The clean-up of the namespace: objects the fuzzer created with
// OBJ_PERMANENT outlive its handles, and would read as a leak. Every name
// it uses begins with "fz" (structs.c), so the clean-up walks the whole
// namespace, opens each fz* object (and anything inside an fz* directory)
// by its type, takes its permanence away, and goes into directories first.

#include "tests/user/tfuzz/fuzz.h"

#define FZ_PATH_CHARS 256
#define FZ_MAX_DEPTH 6

typedef NTSTATUS (NTAPI *FZ_OPEN)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES);

static BOOLEAN FzIsOurs(const UNICODE_STRING *name)
{
    return name->Length >= 4 && name->Buffer[0] == u'f' && name->Buffer[1] == u'z';
}

static BOOLEAN FzTypeIs(const UNICODE_STRING *type, const char *text)
{
    ULONG count = type->Length / sizeof(WCHAR);

    for (ULONG i = 0; i < count; i++) {
        if (!text[i] || type->Buffer[i] != (WCHAR)text[i])
            return FALSE;
    }
    return text[count] == 0;
}

static FZ_OPEN FzOpenRoutine(const UNICODE_STRING *type)
{
    if (FzTypeIs(type, "Event"))
        return NtOpenEvent;
    if (FzTypeIs(type, "Semaphore"))
        return NtOpenSemaphore;
    if (FzTypeIs(type, "Mutant"))
        return NtOpenMutant;
    if (FzTypeIs(type, "Timer"))
        return NtOpenTimer;
    if (FzTypeIs(type, "Section"))
        return NtOpenSection;
    if (FzTypeIs(type, "SymbolicLink"))
        return NtOpenSymbolicLinkObject;
    if (FzTypeIs(type, "Directory"))
        return NtOpenDirectoryObject;
    return NULL;
}

// TRUE when the object was permanent and no longer is.
static BOOLEAN FzMakeTemporary(WCHAR *path, FZ_OPEN open)
{
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING name;
    HANDLE handle;

    RtlInitUnicodeString(&name, path);
    // OBJ_OPENLINK: the link itself, not what it names.
    InitializeObjectAttributes(&attributes, &name, OBJ_OPENLINK, NULL, NULL);
    NTSTATUS status = open(&handle, DELETE, &attributes);

    if (status == STATUS_ACCESS_DENIED) {
        // A worker gave it a descriptor that denies DELETE: as its owner,
        // give it one that allows everything, then try again.
        SECURITY_DESCRIPTOR everyone;

        RtlCreateSecurityDescriptor(&everyone, SECURITY_DESCRIPTOR_REVISION);
        RtlSetDaclSecurityDescriptor(&everyone, TRUE, NULL, FALSE);
        if (NT_SUCCESS(open(&handle, WRITE_DAC, &attributes))) {
            NtSetSecurityObject(handle, DACL_SECURITY_INFORMATION, &everyone);
            NtClose(handle);
        }
        status = open(&handle, DELETE, &attributes);
    }

    if (NT_SUCCESS(status)) {
        OBJECT_BASIC_INFORMATION basic;

        // Only a permanent one counts: a temporary one still named (one of
        // our handles is open) would be found again on every pass.
        if (NT_SUCCESS(NtQueryObject(handle, ObjectBasicInformation, &basic, sizeof(basic),
                                     NULL)) &&
            !(basic.Attributes & OBJ_PERMANENT)) {
            NtClose(handle);
            return FALSE;
        }
        status = NtMakeTemporaryObject(handle);
        NtClose(handle);
        if (NT_SUCCESS(status))
            return TRUE;
    }
    {
        char text[FZ_PATH_CHARS];
        ULONG i;

        for (i = 0; path[i] && i < FZ_PATH_CHARS - 1; i++)
            text[i] = (char)path[i];
        text[i] = 0;
        printf("FUZZ note: %s stays permanent: %08x\n", text, (ULONG)status);
    }
    return FALSE;
}

// Returns how many objects it made temporary. Each of those whose last
// handle is closed leaves the directory at once, which moves the entries
// after it down by one under the enumeration's index: the next one is
// skipped in this pass (FzCleanNames makes another).
static ULONG FzCleanDirectory(WCHAR *path, ULONG length, ULONG depth, BOOLEAN ours)
{
    ULONG made = 0;

    static UCHAR buffers[FZ_MAX_DEPTH][1024] __attribute__((aligned(8)));
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING name;
    HANDLE directory;
    ULONG context = 0;

    if (depth >= FZ_MAX_DEPTH)
        return 0;
    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    if (!NT_SUCCESS(NtOpenDirectoryObject(&directory, DIRECTORY_QUERY | DIRECTORY_TRAVERSE,
                                          &attributes)))
        return 0;
    for (;;) {
        OBJECT_DIRECTORY_INFORMATION *entry = (OBJECT_DIRECTORY_INFORMATION *)buffers[depth];
        ULONG at = length, returned;
        FZ_OPEN open;

        if (!NT_SUCCESS(NtQueryDirectoryObject(directory, entry, sizeof(buffers[depth]), TRUE,
                                               FALSE, &context, &returned)))
            break;
        if (!(open = FzOpenRoutine(&entry->TypeName)))
            continue;
        if (!ours && !FzIsOurs(&entry->Name) && open != NtOpenDirectoryObject)
            continue;
        if (at > 1)
            path[at++] = u'\\';
        for (ULONG i = 0; i < entry->Name.Length / sizeof(WCHAR) && at < FZ_PATH_CHARS - 2; i++)
            path[at++] = entry->Name.Buffer[i];
        path[at] = 0;
        // Into every directory (a directory handle may have been the root
        // of a relative name anywhere); only fz* objects lose permanence.
        if (open == NtOpenDirectoryObject)
            made += FzCleanDirectory(path, at, depth + 1, ours || FzIsOurs(&entry->Name));
        if ((ours || FzIsOurs(&entry->Name)) && FzMakeTemporary(path, open))
            made++;
        path[length] = 0;
    }
    NtClose(directory);
    return made;
}

// Passes until one finds no permanent fz* object left (each pass makes at
// least one temporary, or stops; the bound is only a safety net).
void FzCleanNames(void)
{
    static WCHAR path[FZ_PATH_CHARS];

    for (ULONG pass = 0; pass < 64; pass++) {
        path[0] = u'\\';
        path[1] = 0;
        if (!FzCleanDirectory(path, 1, 0, FALSE))
            break;
    }
}

// `tfuzz names`: the clean-up's own test. Permanent objects with no handle
// open, many of them in one directory: each one made temporary leaves the
// directory at once and moves the entries after it under the enumeration's
// index. A single pass (or three) left some of them permanent for good, a
// leak of one object at the end of some campaigns. Returns how many stay.
int FzNamesTest(void)
{
    enum { COUNT = 24 };
    OBJECT_ATTRIBUTES attributes;
    UNICODE_STRING name;
    WCHAR path[40];
    ULONG left = 0;

    for (ULONG pass = 0; pass < 2; pass++) {
        for (ULONG i = 0; i < COUNT; i++) {
            static const WCHAR prefix[] = u"\\BaseNamedObjects\\fzq";
            HANDLE handle;
            NTSTATUS status;
            ULONG at = 0;

            for (; prefix[at]; at++)
                path[at] = prefix[at];
            path[at++] = (WCHAR)(u'0' + i / 10);
            path[at++] = (WCHAR)(u'0' + i % 10);
            path[at] = 0;
            RtlInitUnicodeString(&name, path);
            if (pass == 0) {
                InitializeObjectAttributes(&attributes, &name, OBJ_PERMANENT, NULL, NULL);
                status = NtCreateEvent(&handle, EVENT_ALL_ACCESS, &attributes,
                                       NotificationEvent, FALSE);
                if (!NT_SUCCESS(status)) {
                    printf("FUZZ NAMES FAIL: creating %u: %08x\n", i, (ULONG)status);
                    return COUNT;
                }
                NtClose(handle);
                continue;
            }
            InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
            status = NtOpenEvent(&handle, DELETE, &attributes);
            if (NT_SUCCESS(status)) {
                printf("FUZZ NAMES FAIL: fzq%u%u is still there\n", i / 10, i % 10);
                NtMakeTemporaryObject(handle);
                NtClose(handle);
                left++;
            }
        }
        if (pass == 0)
            FzCleanNames();
    }
    printf("FUZZ NAMES %s: %u of %u permanent names left\n", left ? "FAIL" : "PASS", left,
           (ULONG)COUNT);
    return (int)left;
}
