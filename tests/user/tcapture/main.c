// What a failed capture leaves behind (issue 11): OBJECT_ATTRIBUTES, their
// name, their security descriptor and the other counted strings a service
// reads, each ending in a hole (a page reserved but not committed, or
// decommitted) so that the kernel's copy stops part-way, refused for a bad
// Length or bad attribute bits, or carrying pointers the caller chose: the
// right NTSTATUS, and nothing freed but what the kernel allocated (before
// the fix, the release freed the half-copied or the caller's own pointer:
// a bugcheck). The in-kernel runner checks every pool tag after the
// program; every case runs against every service that takes attributes
// (services.c, from the service list).

#include "tcapture.h"

UCHAR *TcHoles[TC_HOLE_COUNT];
static PVOID TcRegions[TC_HOLE_COUNT];

NTSTATUS TcMakeHoles(void)
{
    for (int i = 0; i < TC_HOLE_COUNT; i++) {
        SIZE_T size = 2 * TC_PAGE_SIZE, one = TC_PAGE_SIZE;
        PVOID base = NULL, page;
        NTSTATUS status = NtAllocateVirtualMemory(NtCurrentProcess(), &base, 0, &size,
                                                  i == 0 ? MEM_RESERVE : MEM_RESERVE | MEM_COMMIT,
                                                  PAGE_READWRITE);

        if (!NT_SUCCESS(status))
            return status;
        TcRegions[i] = base;
        TcHoles[i] = (UCHAR *)base + TC_PAGE_SIZE;
        page = base;
        if (i == 0)
            status = NtAllocateVirtualMemory(NtCurrentProcess(), &page, 0, &one, MEM_COMMIT,
                                             PAGE_READWRITE);
        else
            status = NtFreeVirtualMemory(NtCurrentProcess(), (PVOID *)&TcHoles[i], &one,
                                         MEM_DECOMMIT);
        if (!NT_SUCCESS(status))
            return status;
        TcHoles[i] = (UCHAR *)base + TC_PAGE_SIZE;
    }
    return STATUS_SUCCESS;
}

void TcFreeHoles(void)
{
    for (int i = 0; i < TC_HOLE_COUNT; i++) {
        SIZE_T size = 0;

        NtFreeVirtualMemory(NtCurrentProcess(), &TcRegions[i], &size, MEM_RELEASE);
    }
}

// Pointers a caller might plant where the kernel keeps its own: a kernel
// address, a user buffer (16-byte aligned, as pool blocks are), the first
// page, a non-canonical address.
static __attribute__((aligned(64))) UCHAR TcDecoy[256];
#define TC_CHOSEN_COUNT 4
static void *TcChosen(int i)
{
    static void *const chosen[TC_CHOSEN_COUNT] = {
        UT_KERNEL_POINTER, TcDecoy + 32, UT_BAD_POINTER, (void *)0x8000000000001000ULL};

    return chosen[i];
}

static ULONG TcSystemSid[3] = {0x00000101, 0x05000000, 18};

// A valid absolute descriptor: SYSTEM may do anything.
static struct {
    SECURITY_DESCRIPTOR Sd;
    union {
        ACL Acl;
        UCHAR Bytes[64];
    } Dacl;
} TcGood;

static void TcInitGood(void)
{
    RtlCreateSecurityDescriptor(&TcGood.Sd, SECURITY_DESCRIPTOR_REVISION);
    RtlCreateAcl(&TcGood.Dacl.Acl, sizeof(TcGood.Dacl), ACL_REVISION);
    RtlAddAccessAllowedAce(&TcGood.Dacl.Acl, ACL_REVISION, GENERIC_ALL, (SID *)TcSystemSid);
    RtlSetDaclSecurityDescriptor(&TcGood.Sd, TRUE, &TcGood.Dacl.Acl, FALSE);
}

// Every service that takes attributes must answer `expected`.
static void TcExpectAll(OBJECT_ATTRIBUTES *attributes, NTSTATUS expected, const char *file,
                        int line, const char *what, ULONG detail)
{
    for (int i = 0; i < TcServiceCount; i++) {
        NTSTATUS status;

        if (!TcServices[i].Call)
            continue;
        status = TcServices[i].Call(attributes);
        if (status != expected)
            UtFail(file, line, "%s (%s %x): %x, expected %x", TcServices[i].Name, what, detail,
                   status, expected);
    }
}
#define TC_EXPECT_ALL(attributes, expected, what, detail) \
    TcExpectAll(attributes, expected, __FILE__, __LINE__, what, detail)

// Attributes whose copy stops after `readable` bytes (the rest lies in the
// hole) carrying the caller's pointers: the name and the descriptor
// already copied must not be freed.
UTEST(AttributesEndingInAHoleFreeNothingOfTheCallers)
{
    UNICODE_STRING name = UT_NAME(u"TcaptureX");

    for (int hole = 0; hole < TC_HOLE_COUNT; hole++) {
        for (ULONG readable = 4; readable < sizeof(OBJECT_ATTRIBUTES); readable += 4) {
            for (int c = 0; c < TC_CHOSEN_COUNT; c++) {
                OBJECT_ATTRIBUTES full, *placed = (void *)(TcHoles[hole] - readable);

                InitializeObjectAttributes(&full, &name, OBJ_CASE_INSENSITIVE, NULL,
                                           TcChosen(c));
                full.SecurityQualityOfService = TcChosen(c);
                memcpy(placed, &full, readable);
                TC_EXPECT_ALL(placed, STATUS_ACCESS_VIOLATION, "readable", readable);
            }
        }
    }
}

// The UNICODE_STRING ending in a hole: its Buffer, copied in part or in
// whole, is the caller's.
UTEST(NameEndingInAHoleFreesNothingOfTheCallers)
{
    for (int hole = 0; hole < TC_HOLE_COUNT; hole++) {
        for (ULONG readable = 2; readable < sizeof(UNICODE_STRING); readable += 2) {
            for (int c = 0; c < TC_CHOSEN_COUNT; c++) {
                UNICODE_STRING full = {8, 8, TcChosen(c)};
                UNICODE_STRING *placed = (void *)(TcHoles[hole] - readable);
                OBJECT_ATTRIBUTES attributes;

                memcpy(placed, &full, readable);
                InitializeObjectAttributes(&attributes, placed, 0, NULL, NULL);
                TC_EXPECT_ALL(&attributes, STATUS_ACCESS_VIOLATION, "readable", readable);
                attributes.SecurityDescriptor = &TcGood.Sd;
                TC_EXPECT_ALL(&attributes, STATUS_ACCESS_VIOLATION, "with descriptor", readable);
            }
        }
    }
}

// The characters in a hole, in part or whole, or in the kernel: the
// kernel's own buffer for them is freed (the leak check sees it).
UTEST(NameCharactersInAHole)
{
    for (int hole = 0; hole < TC_HOLE_COUNT; hole++) {
        WCHAR *buffers[3] = {(WCHAR *)(TcHoles[hole] - 4), (WCHAR *)TcHoles[hole],
                             (WCHAR *)UT_KERNEL_POINTER};

        for (int b = 0; b < 3; b++) {
            UNICODE_STRING name = {8, 8, buffers[b]};
            OBJECT_ATTRIBUTES attributes;

            InitializeObjectAttributes(&attributes, &name, 0, NULL, &TcGood.Sd);
            TC_EXPECT_ALL(&attributes, STATUS_ACCESS_VIOLATION, "buffer", b);
        }
    }
}

// Descriptors in a hole: the pointer itself, a header cut short, a SID or
// an ACL of a descriptor (self-relative or absolute) lying in the hole.
UTEST(DescriptorInAHole)
{
    for (int hole = 0; hole < TC_HOLE_COUNT; hole++) {
        UCHAR *end = TcHoles[hole];
        SECURITY_DESCRIPTOR_RELATIVE *relative = (void *)(end - sizeof(*relative));
        SECURITY_DESCRIPTOR *cut = (void *)(end - 24), absolute;
        OBJECT_ATTRIBUTES attributes;

        InitializeObjectAttributes(&attributes, NULL, 0, NULL, end);
        TC_EXPECT_ALL(&attributes, STATUS_ACCESS_VIOLATION, "descriptor at the hole", 0);
        attributes.SecurityDescriptor = end - 4;
        TC_EXPECT_ALL(&attributes, STATUS_ACCESS_VIOLATION, "header cut", 4);
        // An absolute header (40 bytes) of which only 24 can be read.
        memset(cut, 0, 24);
        cut->Revision = SECURITY_DESCRIPTOR_REVISION;
        attributes.SecurityDescriptor = cut;
        TC_EXPECT_ALL(&attributes, STATUS_ACCESS_VIOLATION, "absolute header cut", 24);
        // Self-relative, whole header readable, its owner SID in the hole.
        memset(relative, 0, sizeof(*relative));
        relative->Revision = SECURITY_DESCRIPTOR_REVISION;
        relative->Control = SE_SELF_RELATIVE;
        relative->Owner = sizeof(*relative);
        attributes.SecurityDescriptor = relative;
        TC_EXPECT_ALL(&attributes, STATUS_ACCESS_VIOLATION, "relative owner", 0);
        relative->Owner = 0;
        relative->Control = SE_SELF_RELATIVE | SE_DACL_PRESENT;
        relative->Dacl = sizeof(*relative) + 16;
        TC_EXPECT_ALL(&attributes, STATUS_ACCESS_VIOLATION, "relative DACL", 0);
        // Absolute, readable, its parts half in the hole.
        RtlCreateSecurityDescriptor(&absolute, SECURITY_DESCRIPTOR_REVISION);
        absolute.Owner = (PSID)(end - 4);
        attributes.SecurityDescriptor = &absolute;
        TC_EXPECT_ALL(&attributes, STATUS_ACCESS_VIOLATION, "absolute owner", 0);
        absolute.Owner = NULL;
        RtlSetDaclSecurityDescriptor(&absolute, TRUE, (PACL)(end - 4), FALSE);
        TC_EXPECT_ALL(&attributes, STATUS_ACCESS_VIOLATION, "absolute DACL", 0);
    }
}

// Refused attributes keep no pointer of the caller's: neither the
// descriptor nor the name is the kernel's to free.
UTEST(BadLengthOrAttributesKeepNothingOfTheCallers)
{
    static const ULONG lengths[] = {0, 1, sizeof(OBJECT_ATTRIBUTES) - 1,
                                    sizeof(OBJECT_ATTRIBUTES) + 1, sizeof(OBJECT_ATTRIBUTES) + 8,
                                    0xFFFFFFFF};
    static const ULONG bits[] = {0x1, 0x800, 0x1000, 0x80000000, 0xFFFFFFFF};

    for (int c = 0; c < TC_CHOSEN_COUNT; c++) {
        UNICODE_STRING name = {8, 8, TcChosen(c)};
        OBJECT_ATTRIBUTES attributes;

        for (unsigned i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
            InitializeObjectAttributes(&attributes, &name, 0, NULL, TcChosen(c));
            attributes.Length = lengths[i];
            TC_EXPECT_ALL(&attributes, STATUS_INVALID_PARAMETER, "length", lengths[i]);
        }
        for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
            InitializeObjectAttributes(&attributes, &name, bits[i], NULL, TcChosen(c));
            TC_EXPECT_ALL(&attributes, STATUS_INVALID_PARAMETER, "attributes", bits[i]);
        }
    }
}

UTEST(MisalignedAttributes)
{
    OBJECT_ATTRIBUTES *odd = (void *)(TcDecoy + 2);

    InitializeObjectAttributes(odd, NULL, 0, NULL, TcDecoy + 32);
    TC_EXPECT_ALL(odd, STATUS_DATATYPE_MISALIGNMENT, "misaligned", 2);
}

// The capture succeeds and the service goes on: the kernel's copy of the
// descriptor is freed on every path, NtOpenProcess and NtOpenThread by
// client id included (they never freed it: pool tag ObCi).
UTEST(UnnamedAttributesWithADescriptorAreFreedOnEveryPath)
{
    OBJECT_ATTRIBUTES attributes;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, &TcGood.Sd);
    for (int i = 0; i < TcServiceCount; i++) {
        if (TcServices[i].Call)
            UT_EXPECT_EQ(TcServices[i].Call(&attributes), TcServices[i].UnnamedStatus);
    }
}

UTEST(OpenByClientIdWithADescriptor)
{
    CLIENT_ID process = {NtCurrentTeb()->ClientId.UniqueProcess, NULL};
    CLIENT_ID thread = NtCurrentTeb()->ClientId;
    UNICODE_STRING name = UT_NAME(u"TcaptureX");
    OBJECT_ATTRIBUTES attributes;
    HANDLE handle;

    InitializeObjectAttributes(&attributes, NULL, 0, NULL, &TcGood.Sd);
    for (int i = 0; i < 3; i++) {
        UT_EXPECT_STATUS(NtOpenProcess(&handle, PROCESS_QUERY_INFORMATION, &attributes, &process),
                         STATUS_SUCCESS);
        NtClose(handle);
        UT_EXPECT_STATUS(NtOpenThread(&handle, THREAD_QUERY_INFORMATION, &attributes, &thread),
                         STATUS_SUCCESS);
        NtClose(handle);
    }
    // A name and a client id, or neither: refused, the descriptor freed.
    UT_EXPECT_STATUS(NtOpenProcess(&handle, PROCESS_QUERY_INFORMATION, &attributes, NULL),
                     STATUS_INVALID_PARAMETER_MIX);
    UT_EXPECT_STATUS(NtOpenThread(&handle, THREAD_QUERY_INFORMATION, &attributes, NULL),
                     STATUS_INVALID_PARAMETER_MIX);
    attributes.ObjectName = &name;
    UT_EXPECT_STATUS(NtOpenProcess(&handle, PROCESS_QUERY_INFORMATION, &attributes, &process),
                     STATUS_INVALID_PARAMETER_MIX);
    UT_EXPECT_STATUS(NtOpenThread(&handle, THREAD_QUERY_INFORMATION, &attributes, &thread),
                     STATUS_INVALID_PARAMETER_MIX);
    // A client id no one has: the lookup fails after the capture.
    attributes.ObjectName = NULL;
    process.UniqueProcess = (HANDLE)0x7FFFFFF0;
    thread.UniqueThread = (HANDLE)0x7FFFFFF0;
    UT_EXPECT_STATUS(NtOpenProcess(&handle, PROCESS_QUERY_INFORMATION, &attributes, &process),
                     STATUS_INVALID_CID);
    UT_EXPECT_STATUS(NtOpenThread(&handle, THREAD_QUERY_INFORMATION, &attributes, &thread),
                     STATUS_INVALID_CID);
}

// The other counted strings services capture: image name and command
// line, port name, display string, link target.
UTEST(CountedStringsEndingInAHole)
{
    UNICODE_STRING image = UT_NAME(u"hello"), good = UT_NAME(u"\\BaseNamedObjects");
    UNICODE_STRING noPort = UT_NAME(u"\\TcaptureNoSuchPort");
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation,
                                       SECURITY_DYNAMIC_TRACKING, FALSE};
    HANDLE process, port, link;
    OBJECT_ATTRIBUTES attributes;

    // The port name is captured after the quality of service: with a
    // valid one, a name that names nothing is not found.
    UT_EXPECT_STATUS(NtConnectPort(&port, &noPort, &qos, NULL, NULL, NULL, NULL, NULL),
                     STATUS_OBJECT_NAME_NOT_FOUND);

    for (int hole = 0; hole < TC_HOLE_COUNT; hole++) {
        for (ULONG readable = 2; readable < sizeof(UNICODE_STRING); readable += 2) {
            UNICODE_STRING full = {8, 8, (WCHAR *)(TcDecoy + 32)};
            UNICODE_STRING *placed = (void *)(TcHoles[hole] - readable);

            memcpy(placed, &full, readable);
            UT_EXPECT_STATUS(NtCreateProcessFromArchive(&process, NULL, PROCESS_ALL_ACCESS, 0,
                                                        NULL, placed, NULL, 0, NULL),
                             STATUS_ACCESS_VIOLATION);
            UT_EXPECT_STATUS(NtCreateProcessFromArchive(&process, NULL, PROCESS_ALL_ACCESS, 0,
                                                        NULL, &image, placed, 0, NULL),
                             STATUS_ACCESS_VIOLATION);
            UT_EXPECT_STATUS(NtConnectPort(&port, placed, &qos, NULL, NULL, NULL, NULL, NULL),
                             STATUS_ACCESS_VIOLATION);
            UT_EXPECT_STATUS(NtDisplayString(placed), STATUS_ACCESS_VIOLATION);
            InitializeObjectAttributes(&attributes, NULL, 0, NULL, &TcGood.Sd);
            UT_EXPECT_STATUS(NtCreateSymbolicLinkObject(&link, SYMBOLIC_LINK_ALL_ACCESS,
                                                        &attributes, placed),
                             STATUS_ACCESS_VIOLATION);
        }
        // The characters cut by the hole.
        {
            UNICODE_STRING cut = {8, 8, (WCHAR *)(TcHoles[hole] - 4)};

            UT_EXPECT_STATUS(NtCreateProcessFromArchive(&process, NULL, PROCESS_ALL_ACCESS, 0,
                                                        NULL, &image, &cut, 0, NULL),
                             STATUS_ACCESS_VIOLATION);
            UT_EXPECT_STATUS(NtConnectPort(&port, &cut, &qos, NULL, NULL, NULL, NULL, NULL),
                             STATUS_ACCESS_VIOLATION);
            UT_EXPECT_STATUS(NtSecureConnectPort(&port, &cut, &qos, NULL, NULL, NULL, NULL,
                                                 NULL, NULL),
                             STATUS_ACCESS_VIOLATION);
            UT_EXPECT_STATUS(NtCreateSymbolicLinkObject(&link, SYMBOLIC_LINK_ALL_ACCESS,
                                                        &attributes, &cut),
                             STATUS_ACCESS_VIOLATION);
            UT_EXPECT_STATUS(NtCreateSymbolicLinkObject(&link, SYMBOLIC_LINK_ALL_ACCESS,
                                                        &attributes, &good),
                             STATUS_SUCCESS);
            NtClose(link);
        }
    }
}

// NtSetSecurityObject's descriptor in a hole: refused, the object's own
// descriptor unchanged and nothing kept.
UTEST(SetSecurityDescriptorInAHole)
{
    UNICODE_STRING name = UT_NAME(u"\\BaseNamedObjects\\TcaptureSet");
    OBJECT_ATTRIBUTES attributes;
    HANDLE event;

    // Named, so that it has a descriptor to change.
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, &attributes, NotificationEvent,
                                   FALSE),
                     STATUS_SUCCESS);
    for (int hole = 0; hole < TC_HOLE_COUNT; hole++) {
        UT_EXPECT_STATUS(NtSetSecurityObject(event, DACL_SECURITY_INFORMATION, TcHoles[hole]),
                         STATUS_ACCESS_VIOLATION);
        UT_EXPECT_STATUS(NtSetSecurityObject(event, DACL_SECURITY_INFORMATION,
                                             TcHoles[hole] - 4),
                         STATUS_ACCESS_VIOLATION);
    }
    UT_EXPECT_STATUS(NtSetSecurityObject(event, DACL_SECURITY_INFORMATION, &TcGood.Sd),
                     STATUS_SUCCESS);
    NtClose(event);
}

static const UTEST Tests[] = {
    UT_ENTRY(AttributesEndingInAHoleFreeNothingOfTheCallers),
    UT_ENTRY(NameEndingInAHoleFreesNothingOfTheCallers),
    UT_ENTRY(NameCharactersInAHole),
    UT_ENTRY(DescriptorInAHole),
    UT_ENTRY(BadLengthOrAttributesKeepNothingOfTheCallers),
    UT_ENTRY(MisalignedAttributes),
    UT_ENTRY(UnnamedAttributesWithADescriptorAreFreedOnEveryPath),
    UT_ENTRY(OpenByClientIdWithADescriptor),
    UT_ENTRY(CountedStringsEndingInAHole),
    UT_ENTRY(SetSecurityDescriptorInAHole),
};

int main(void)
{
    int failed;

    TcInitGood();
    if (!NT_SUCCESS(TcMakeHoles()) || !NT_SUCCESS(TcOpenHelpers())) {
        UtFail(__FILE__, __LINE__, "no holes or no token");
        return 1;
    }
    failed = UT_RUN_ALL("tcapture", Tests);
    failed += UtRunTests("tcapture", TcRaceTests, TcRaceTestCount);
    TcCloseHelpers();
    TcFreeHoles();
    return failed;
}
