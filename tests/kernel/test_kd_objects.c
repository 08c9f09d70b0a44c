// The debugger's object, handle and process-memory helpers: they must tell
// objects from look-alikes, find processes by Cid, and read another
// process's memory through its own page tables, failing cleanly (never
// faulting) on anything unmapped.

#include "tests/kernel/test_ob.h"
#include "kd/kd.h"

#define KT_KD_USER_PAGE    0x20000000ULL
#define KT_KD_UNMAPPED     (KT_KD_USER_PAGE + 2 * PAGE_SIZE)
#define KT_KD_NONCANONICAL 0x0000900000000000ULL
#define KT_KD_UNREADABLE   0x10ULL
#define KT_KD_NO_SUCH_CID  0x7ffcULL

// A fake object: a header whose Type is a well-formed OBJECT_TYPE that is
// not on the Type type's list, then a body.
typedef struct _KT_FAKE_OBJECT {
    OBJECT_TYPE Type;
    OBJECT_HEADER Header;
} KT_FAKE_OBJECT;

KTEST(KdReadProcessMemoryReadsAnotherAddressSpace)
{
    EPROCESS *process;
    ULONG64 dtb;
    UCHAR *pages[2];
    UCHAR buffer[32];
    static const ULONG64 kernelValue = 0x5EEDF00DCAFEULL;
    ULONG64 value = 0;

    // A process that never runs: only its address space matters here.
    KT_EXPECT_EQ(PspCreateProcess("ktkd.exe", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &process),
                 STATUS_SUCCESS);
    dtb = process->Pcb.DirectoryTableBase;
    KT_EXPECT_EQ(MmAllocateUserMemory(dtb, KT_KD_USER_PAGE, 2 * PAGE_SIZE, PAGE_READWRITE),
                 STATUS_SUCCESS);
    pages[0] = MmGetUserPageAddress(dtb, KT_KD_USER_PAGE);
    pages[1] = MmGetUserPageAddress(dtb, KT_KD_USER_PAGE + PAGE_SIZE);
    KT_EXPECT(pages[0] != NULL && pages[1] != NULL);
    for (ULONG i = 0; i < sizeof(buffer); i++)
        (i < 16 ? pages[0] + PAGE_SIZE - 16 : pages[1] - 16)[i] = (UCHAR)(0xA0 + i);

    // The address space is not the current one: the plain reader sees
    // nothing there, the process reader sees the bytes, across the page edge.
    KT_EXPECT(!KdpReadMemory(KT_KD_USER_PAGE, buffer, 1));
    memset(buffer, 0, sizeof(buffer));
    KT_EXPECT(KdpReadProcessMemory(dtb, KT_KD_USER_PAGE + PAGE_SIZE - 16, buffer,
                                   sizeof(buffer)));
    for (ULONG i = 0; i < sizeof(buffer); i++)
        KT_EXPECT_EQ(buffer[i], 0xA0 + i);

    // Unmapped, partly unmapped, non-canonical: FALSE, no fault.
    KT_EXPECT(!KdpReadProcessMemory(dtb, KT_KD_UNMAPPED, buffer, 1));
    KT_EXPECT(!KdpReadProcessMemory(dtb, KT_KD_UNMAPPED - 8, buffer, 16));
    KT_EXPECT(!KdpReadProcessMemory(dtb, KT_KD_NONCANONICAL, buffer, 1));
    KT_EXPECT(!KdpReadProcessMemory(dtb, 0, buffer, 1));
    // The kernel half is shared, large pages included.
    KT_EXPECT(KdpReadProcessMemory(dtb, (ULONG64)&kernelValue, &value, sizeof(value)));
    KT_EXPECT_EQ(value, kernelValue);
    ObDereferenceObject(process);
}

KTEST(KdPrintObjectAcceptsObjectsAndRefusesLookAlikes)
{
    static const OBJECT_TYPE_INITIALIZER initializer = {.PoolTag = KTOB_TAG};
    static KT_FAKE_OBJECT fake;
    KTOB_OBJECT *object = KtObCreate();

    KT_EXPECT(object != NULL);
    KT_EXPECT(KdpPrintObject((ULONG64)object, 0, 4, TRUE));
    KT_EXPECT(KdpPrintObject((ULONG64)ObpRootDirectoryObject, 0, 4, TRUE));
    KT_EXPECT(KdpPrintObject((ULONG64)KtObType(), 0, 4, TRUE));
    KT_EXPECT(KdpPrintObject((ULONG64)PsInitialSystemProcess, 0, 4, TRUE));

    ObInitializeType(&fake.Type, "Fake", &initializer);
    fake.Header.Type = &fake.Type;
    fake.Header.PointerCount = 1;
    KT_EXPECT(!KdpPrintObject((ULONG64)&fake.Header.Body, 0, 4, TRUE));
    // A header whose Type is an object, but not a type.
    fake.Header.Type = (OBJECT_TYPE *)ObpRootDirectoryObject;
    KT_EXPECT(!KdpPrintObject((ULONG64)&fake.Header.Body, 0, 4, TRUE));
    fake.Header.Type = NULL;
    KT_EXPECT(!KdpPrintObject((ULONG64)&fake.Header.Body, 0, 4, TRUE));
    KT_EXPECT(!KdpPrintObject(KT_KD_UNREADABLE, 0, 4, TRUE));
    ObDereferenceObject(object);
}

KTEST(KdResolveProcessTakesCidsAddressesAndTheCurrentProcess)
{
    ULONG64 process = 0;

    KT_EXPECT(KdpResolveProcess(4, &process));
    KT_EXPECT(process == (ULONG64)PsInitialSystemProcess);
    process = 0;
    KT_EXPECT(KdpResolveProcess((ULONG64)PsInitialSystemProcess, &process));
    KT_EXPECT(process == (ULONG64)PsInitialSystemProcess);
    KT_EXPECT(KdpResolveProcess(~0ULL, &process));
    KT_EXPECT(process == (ULONG64)PsGetCurrentProcess());
    KT_EXPECT(!KdpResolveProcess(KT_KD_NO_SUCH_CID, &process));
    KT_EXPECT(!KdpResolveProcess((ULONG64)ObpRootDirectoryObject, &process));
    KT_EXPECT(!KdpResolveProcess(0xffffffffffff0000ULL, &process));
}

KTEST(KdHandleCountIsTheTablesCount)
{
    KTOB_OBJECT *object;
    HANDLE handle;
    EPROCESS *system = PsInitialSystemProcess;
    ULONG before = KdpProcessHandleCount((ULONG64)system->ObjectTable);

    KT_EXPECT_EQ(before, ObGetProcessHandleCount(system));
    KT_EXPECT_EQ(KtObInsert(NULL, 0, KTOB_QUERY, &object, &handle), STATUS_SUCCESS);
    KT_EXPECT_EQ(KdpProcessHandleCount((ULONG64)system->ObjectTable), before + 1);
    KT_EXPECT_EQ(KdpProcessHandleCount(0), 0);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
    KT_EXPECT_EQ(KdpProcessHandleCount((ULONG64)system->ObjectTable), before);
}

KTEST(KdSystemThreadsHaveNoUserStack)
{
    KD_STACK_START start = { 0 };
    KTRAP_FRAME frame;
    ULONG64 trap;

    KT_EXPECT(!KdpGetUserStackStart((ULONG64)PsGetCurrentThread(), &start));
    KT_EXPECT(start.UserTrapFrame == 0);
    KT_EXPECT(!KdpReadUserTrapFrame((ULONG64)PsGetCurrentThread(), &trap, &frame));
    KT_EXPECT(!KdpGetUserStackStart(KT_KD_UNREADABLE, &start));
}

KTEST(KdObjectAndHandleCommandsSurviveBadArguments)
{
    static char lines[][64] = {
        "!object", "!object \\Nope", "!object \\\\", "!object \\ObjectTypes\\", "!object zz",
        "!object 10", "!object nt!KeTickCount", "!object \\ObjectTypes\\Type\\x",
        "!object 0 NoSuchType", "!object 0 Directory", "!object \\ 0", "!object 1 2 3",
        "!handle 1", "!handle 4 3 4", "!handle 0 7 4", "!handle 0 3 7ffc",
        "!handle 0 3 0 Directory",
        "!handle 0 3 ffffffff`ffff0000", "!handle 1 2 3 4 5",
    };
    KTOB_OBJECT *object;
    HANDLE handle;

    KT_EXPECT_EQ(KtObInsert(u"\\BaseNamedObjects\\KtKdShown", 0, KTOB_QUERY, &object, &handle),
                 STATUS_SUCCESS);
    for (ULONG i = 0; i < ARRAYSIZE(lines); i++)
        KT_EXPECT_EQ(KdpExecuteLine(lines[i]), KdCommandContinue);
    KT_EXPECT_EQ(ObCloseHandle(handle), STATUS_SUCCESS);
    ObDereferenceObject(object);
}
