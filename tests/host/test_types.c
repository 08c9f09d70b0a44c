// The generated type tables (tools/gentypes.py over the kernel's and the
// drivers' DWARF, built into build/ktypes.c) against the real headers: every
// offset and size dt and ?? show must be what offsetof and sizeof say here.
// Then the two evaluators over them: MASM's #FIELD_OFFSET, and the C++
// subset of `??` reading real structures in this process's memory.

#include "hosttest.h"
#include "kd/kdcpp.h"
#include "ke/ketypes.h"
#include "ps/ps.h"
#include "lpc/lpcp.h"
#include "io/iotypes.h"
#include "ex/ex.h"

static ULONG FieldOffset(const char *type, const char *path)
{
    ULONG offset = 0xdead;

    return KdpTypeFieldOffset(type, path, &offset) ? offset : 0xffffffffu;
}

static ULONG SizeOf(const char *type)
{
    ULONG index = KdpTypeLookup(type);

    return index == KD_TYPE_NONE ? 0xffffffffu : KdpTypeSize(index);
}

// The name dt shows for a field's type.
static const char *FieldTypeName(const char *type, const char *path)
{
    static char name[128];
    const KD_TYPE_MEMBER *member;
    ULONG offset;

    name[0] = '\0';
    if (KdpTypeFindField(KdpTypeLookup(type), path, &member, &offset))
        KdpTypeFormatName(member->Type, name, sizeof(name));
    return name;
}

TEST(TypeTablesHoldTheKernelsOffsetsAndSizes)
{
    EXPECT_EQ(FieldOffset("nt!_KTHREAD", "WaitListEntry"), offsetof(KTHREAD, WaitListEntry));
    EXPECT_EQ(FieldOffset("_KTHREAD", "ApcState.Process"), offsetof(KTHREAD, ApcState.Process));
    EXPECT_EQ(FieldOffset("nt!_ETHREAD", "Tcb.ApcState.Process"),
              offsetof(ETHREAD, Tcb.ApcState.Process));
    EXPECT_EQ(FieldOffset("nt!_ETHREAD", "LpcReplyChain"), offsetof(ETHREAD, LpcReplyChain));
    EXPECT_EQ(FieldOffset("nt!_EPROCESS", "ActiveProcessLinks"),
              offsetof(EPROCESS, ActiveProcessLinks));
    EXPECT_EQ(FieldOffset("nt!_LPCP_PORT_OBJECT", "MsgQueue.ReceiveHead"),
              offsetof(LPCP_PORT_OBJECT, MsgQueue.ReceiveHead));
    EXPECT_EQ(FieldOffset("nt!_LPCP_PORT_OBJECT", "LpcReplyChainHead"),
              offsetof(LPCP_PORT_OBJECT, LpcReplyChainHead));
    EXPECT_EQ(FieldOffset("nt!_FILE_OBJECT", "FileName"), offsetof(FILE_OBJECT, FileName));
    EXPECT_EQ(FieldOffset("nt!_FILE_OBJECT", "FileName"), 0x58);
    EXPECT_EQ(FieldOffset("nt!_KQUEUE", "CurrentCount"), offsetof(KQUEUE, CurrentCount));
    // Through unnamed unions and structures, as C finds the names.
    EXPECT_EQ(FieldOffset("nt!_IRP", "Tail.Overlay.CurrentStackLocation"),
              offsetof(IRP, Tail.Overlay.CurrentStackLocation));
    EXPECT_EQ(FieldOffset("nt!_LARGE_INTEGER", "HighPart"), offsetof(LARGE_INTEGER, HighPart));
    EXPECT_EQ(FieldOffset("nt!_EX_WORK_QUEUE", "Info.WorkerCount"),
              offsetof(EX_WORK_QUEUE, Info));

    EXPECT_EQ(SizeOf("nt!_ETHREAD"), sizeof(ETHREAD));
    EXPECT_EQ(SizeOf("_EPROCESS"), sizeof(EPROCESS));
    EXPECT_EQ(SizeOf("nt!_LPCP_PORT_OBJECT"), sizeof(LPCP_PORT_OBJECT));
    EXPECT_EQ(SizeOf("nt!_IRP"), sizeof(IRP));
    EXPECT_EQ(SizeOf("nt!_KQUEUE"), 0x40);
    // A typedef is its type; an array its elements.
    EXPECT_EQ(SizeOf("nt!KTHREAD"), sizeof(KTHREAD));
    EXPECT_EQ(SizeOf("nt!ULONG"), 4);
}

TEST(TypeTablesNameTypesAsWinDbg)
{
    EXPECT_STREQ(FieldTypeName("nt!_KQUEUE", "CurrentCount"), "Uint4B");
    EXPECT_STREQ(FieldTypeName("nt!_KQUEUE", "Header"), "_DISPATCHER_HEADER");
    EXPECT_STREQ(FieldTypeName("nt!_KQUEUE", "EntryListHead"), "_LIST_ENTRY");
    EXPECT_STREQ(FieldTypeName("nt!_LIST_ENTRY", "Flink"), "Ptr64 _LIST_ENTRY");
    EXPECT_STREQ(FieldTypeName("nt!_UNICODE_STRING", "Buffer"), "Ptr64 Wchar");
    EXPECT_STREQ(FieldTypeName("nt!_UNICODE_STRING", "Length"), "Uint2B");
    EXPECT_STREQ(FieldTypeName("nt!_FILE_OBJECT", "FsContext"), "Ptr64 Void");
    EXPECT_STREQ(FieldTypeName("nt!_FILE_OBJECT", "Type"), "Int2B");
    EXPECT_STREQ(FieldTypeName("nt!_IRP", "StackCount"), "Char");
    EXPECT_STREQ(FieldTypeName("nt!_IRP", "Tail"), "<unnamed-tag>");
    EXPECT_STREQ(FieldTypeName("nt!_DRIVER_OBJECT", "MajorFunction"), "[28] Ptr64     long ");
    EXPECT_STREQ(FieldTypeName("nt!_IO_STACK_LOCATION", "CompletionRoutine"),
                 "Ptr64     long ");
    EXPECT_STREQ(FieldTypeName("nt!_ETHREAD", "CreateTime"), "_LARGE_INTEGER");
    EXPECT_STREQ(FieldTypeName("nt!_DISPATCHER_HEADER", "SignalState"), "Int4B");
}

TEST(TypeTablesHoldBitFieldsAndEnums)
{
    const KD_TYPE_MEMBER *member;
    const KD_TYPE_RECORD *record;
    ULONG offset;
    ULONG type = KdpTypeLookup("nt!_EX_QUEUE_WORKER_INFO");
    BOOLEAN found = FALSE;

    EXPECT(type != KD_TYPE_NONE);
    EXPECT(KdpTypeFindField(type, "WorkerCount", &member, &offset));
    EXPECT_EQ(offset, 0);
    EXPECT_EQ(member->BitPosition, 3);
    EXPECT_EQ(member->BitSize, 29);
    EXPECT(KdpTypeFindField(type, "WaitMode", &member, &offset));
    EXPECT_EQ(member->BitPosition, 2);
    EXPECT_EQ(member->BitSize, 1);

    record = KdpTypeRecord(KdpTypeResolve(KdpTypeLookup("nt!_KWAIT_REASON")));
    EXPECT_EQ(record->Kind, KdTypeEnum);
    for (ULONG i = 0; i < record->Count; i++) {
        const KD_TYPE_ENUMERATOR *e = &KdpTypeEnumerators[record->Target + i];

        if (strcmp(KdpTypeString(e->Name), "WrLpcReceive") == 0) {
            EXPECT_EQ(e->Value, WrLpcReceive);
            found = TRUE;
        }
    }
    EXPECT(found);
}

TEST(TypeLookupByModuleAndCase)
{
    ULONG nt = KdpTypeLookup("nt!_IRP");

    EXPECT(nt != KD_TYPE_NONE);
    // A driver's image describes the NDK's _IRP alike: the same record.
    EXPECT_EQ(KdpTypeLookup("mup!_IRP"), nt);
    EXPECT_EQ(KdpTypeLookup("NT!_irp"), nt);
    EXPECT_EQ(KdpTypeLookup("_IRP"), nt);
    EXPECT_EQ(KdpTypeLookup("nosuch!_IRP"), KD_TYPE_NONE);
    EXPECT_EQ(KdpTypeLookup("nt!"), KD_TYPE_NONE);
    EXPECT_EQ(KdpTypeLookup("!_IRP"), KD_TYPE_NONE);
    EXPECT_EQ(KdpTypeLookup(""), KD_TYPE_NONE);
    EXPECT_EQ(KdpTypeLookup("nt!_NoSuchType"), KD_TYPE_NONE);
    EXPECT_STREQ(KdpTypeModules[0].Name, "nt");

    EXPECT_EQ(FieldOffset("nt!_KTHREAD", "NoSuchField"), 0xffffffffu);
    EXPECT_EQ(FieldOffset("nt!_KTHREAD", "ApcState."), 0xffffffffu);
    EXPECT_EQ(FieldOffset("nt!_KTHREAD", ".ApcState"), 0xffffffffu);
    EXPECT_EQ(FieldOffset("nt!_KTHREAD", ""), 0xffffffffu);
    EXPECT_EQ(FieldOffset("nt!_KTHREAD", "WaitListEntry.Flink.Flink"), 0xffffffffu);
    EXPECT_EQ(FieldOffset("nt!_NoSuchType", "Flink"), 0xffffffffu);
    EXPECT_EQ(FieldOffset("nt!ULONG", "Flink"), 0xffffffffu);
}

// The system's programs have their types too, from their own DWARF:
// lpcdemo's message layout (a PORT_MESSAGE header, then its own fields) is
// lpcdemo's, not nt's; a type the NDK gives both is the one record.
TEST(TypeLookupFindsAUserProgramsOwnTypes)
{
    ULONG demo = KdpTypeLookup("lpcdemo!_DEMO_MESSAGE");
    const KD_TYPE_MEMBER *member;
    ULONG offset = 0;

    EXPECT(demo != KD_TYPE_NONE);
    EXPECT_EQ(KdpTypeLookup("_DEMO_MESSAGE"), demo);
    EXPECT_EQ(KdpTypeLookup("nt!_DEMO_MESSAGE"), KD_TYPE_NONE);
    EXPECT_EQ(KdpTypeLookup("smss!_DEMO_MESSAGE"), KD_TYPE_NONE);
    EXPECT_EQ(KdpTypeSize(demo), sizeof(PORT_MESSAGE) + 4 * sizeof(ULONG) + 64);
    EXPECT(KdpTypeFindField(demo, "Request", &member, &offset));
    EXPECT_EQ(offset, sizeof(PORT_MESSAGE));
    EXPECT(KdpTypeFindField(demo, "h.MessageId", &member, &offset));
    EXPECT_EQ(offset, offsetof(PORT_MESSAGE, MessageId));
    EXPECT_EQ(KdpTypeLookup("lpcdemo!_PORT_MESSAGE"), KdpTypeLookup("nt!_PORT_MESSAGE"));
    EXPECT(KdpTypeLookup("smss!_SM_API_MESSAGE") != KD_TYPE_NONE);
}

// kp's tables: each function with its parameters' names and types in
// order, and a place for each value over the function's code (the first
// five arrive in registers, rdi rsi rdx rcx r8).
TEST(FunctionTablesListParametersInOrderWithTheirPlaces)
{
    const KD_TYPE_MODULE *nt = &KdpTypeModules[0];
    const KD_TYPE_FUNCTION *wait = NULL, *found;
    static const char *const names[] = { "object", "waitReason", "waitMode", "alertable",
                                         "timeout" };
    char type[64];
    ULONG64 offset = 1;

    for (ULONG i = 0; i < nt->FunctionCount; i++) {
        if (strcmp(KdpTypeString(nt->Functions[i].Name), "KeWaitForSingleObject") == 0)
            wait = &nt->Functions[i];
        if (i > 0)
            EXPECT(nt->Functions[i - 1].Start < nt->Functions[i].Start);
    }
    EXPECT(!nt->Relative);
    EXPECT(wait != NULL);
    if (!wait)
        return;
    EXPECT_EQ(wait->ParameterCount, ARRAYSIZE(names));
    for (ULONG i = 0; i < wait->ParameterCount && i < ARRAYSIZE(names); i++) {
        const KD_TYPE_PARAMETER *p = &KdpTypeParameters[wait->FirstParameter + i];
        const KD_TYPE_LOCATION *first = &KdpTypeLocations[p->FirstLocation];
        static const UCHAR arrival[] = { 5, 4, 1, 2, 8 };

        EXPECT_STREQ(KdpTypeString(p->Name), names[i]);
        // At the function's first instruction each is still in its register.
        EXPECT(p->LocationCount > 0);
        EXPECT(first->Begin == 0 && first->Kind == KdParameterRegister &&
               first->Register == arrival[i]);
    }
    KdpTypeFormatCName(KdpTypeParameters[wait->FirstParameter].Type, type, sizeof(type));
    EXPECT_STREQ(type, "void *");
    // Found by an address inside it; not past its end, nor in another module.
    found = KdpTypeFindFunction("NT", 0, wait->Start + 3, &offset);
    EXPECT(found == wait && offset == 3);
    found = KdpTypeFindFunction("nt", 0, wait->Start + wait->Size, &offset);
    EXPECT(found != wait);
    EXPECT(KdpTypeFindFunction("nosuch", 0, wait->Start, &offset) == NULL);
    EXPECT(KdpTypeFindFunction("nt", 0, 0x10, &offset) == NULL);
}

// ---- The evaluators ----------------------------------------------------------------------

// Memory is this process's: the tests hand the evaluators addresses of real
// structures. Address 0x10 and below, and 0xdead0000, fault.
static BOOLEAN HostReadMemory(ULONG64 address, void *buffer, SIZE_T length)
{
    if (address < 0x1000 || (address & ~0xffffull) == 0xdead0000ull)
        return FALSE;
    memcpy(buffer, (const void *)(ULONG_PTR)address, length);
    return TRUE;
}

static const KD_EXPRESSION_ENVIRONMENT HostMachine = { NULL, HostReadMemory, NULL, NULL };
static char Error[160];

static BOOLEAN Masm(const char *text, ULONG64 *value)
{
    return KdpEvaluate(&HostMachine, text, value, Error, sizeof(Error));
}

static BOOLEAN Cpp(const char *format, KD_CPP_VALUE *value, ...)
{
    char text[256];
    va_list args;

    va_start(args, value);
    vsnprintf(text, sizeof(text), format, args);
    va_end(args);
    if (!KdpEvaluateCpp(&HostMachine, text, value, Error, sizeof(Error)))
        return FALSE;
    return KdpCppLoad(&HostMachine, value);
}

static const char *CName(const KD_CPP_VALUE *value)
{
    static char name[128];

    if (value->Type == KD_TYPE_NONE)
        return "unsigned int64";
    KdpTypeFormatCName(value->Type, name, sizeof(name));
    return name;
}

TEST(MasmFieldOffsetMacro)
{
    ULONG64 value = 0;

    EXPECT(Masm("#FIELD_OFFSET(nt!_KTHREAD, WaitListEntry)", &value));
    EXPECT_EQ(value, offsetof(KTHREAD, WaitListEntry));
    EXPECT(Masm("10 + #FIELD_OFFSET( _ETHREAD , Tcb.ApcState.Process )", &value));
    EXPECT_EQ(value, 0x10 + offsetof(ETHREAD, Tcb.ApcState.Process));
    EXPECT(!Masm("#FIELD_OFFSET(nt!_KTHREAD, NoSuchField)", &value));
    EXPECT(strstr(Error, "No such field") != NULL);
    EXPECT(!Masm("#FIELD_OFFSET(nt!_NoSuchType, Flink)", &value));
    EXPECT(strstr(Error, "Couldn't resolve type") != NULL);
    EXPECT(!Masm("#FIELD_OFFSET(nt!_KTHREAD WaitListEntry)", &value));
    EXPECT(!Masm("#FIELD_OFFSET(nt!_KTHREAD,", &value));
    EXPECT(!Masm("#FIELD_OFFSET", &value));
    EXPECT(!Masm("#SIZEOF(nt!_KTHREAD)", &value));
    EXPECT(!Masm("#", &value));
}

TEST(CppSizeofCastsAndMembers)
{
    static KQUEUE queue;
    static KQUEUE *pointer = &queue;
    static EX_WORK_QUEUE work;
    static KTHREAD thread;
    KD_CPP_VALUE v;

    queue.CurrentCount = 7;
    queue.MaximumCount = 0x10;
    queue.Header.SignalState = -3;
    EXPECT(Cpp("sizeof(nt!_ETHREAD)", &v));
    EXPECT_EQ(v.Value, sizeof(ETHREAD));
    EXPECT_STREQ(CName(&v), "unsigned int64");
    EXPECT(Cpp("sizeof(nt!_KQUEUE *)", &v));
    EXPECT_EQ(v.Value, 8);
    EXPECT(Cpp("((nt!_KQUEUE *)0x%llx)->CurrentCount", &v, (unsigned long long)&queue));
    EXPECT_EQ(v.Value, 7);
    EXPECT_STREQ(CName(&v), "unsigned long");
    EXPECT(Cpp("((struct _KQUEUE*)0x%llx)->Header.SignalState", &v,
               (unsigned long long)&queue));
    EXPECT_EQ(v.Value, (ULONG64)-3);
    EXPECT_STREQ(CName(&v), "long");
    EXPECT(Cpp("(*(nt!_KQUEUE **)0x%llx)->MaximumCount + 1", &v,
               (unsigned long long)&pointer));
    EXPECT_EQ(v.Value, 0x11);
    EXPECT(Cpp("((nt!_KQUEUE *)0x%llx)->Header", &v, (unsigned long long)&queue));
    EXPECT(v.IsLValue);
    EXPECT_EQ(v.Address, (ULONG64)&queue.Header);
    EXPECT_STREQ(CName(&v), "struct _DISPATCHER_HEADER");
    EXPECT(Cpp("&((nt!_KQUEUE *)0)->ThreadListHead", &v));
    EXPECT_EQ(v.Value, offsetof(KQUEUE, ThreadListHead));
    EXPECT_STREQ(CName(&v), "struct _LIST_ENTRY");
    EXPECT_EQ(v.Pointers, 1);
    // C's pointer arithmetic, and #FIELD_OFFSET here too.
    EXPECT(Cpp("(nt!_KQUEUE *)0x1000 + 2", &v));
    EXPECT_EQ(v.Value, 0x1000 + 2 * sizeof(KQUEUE));
    EXPECT(Cpp("#FIELD_OFFSET(nt!_KQUEUE, ThreadListHead) * 2", &v));
    EXPECT_EQ(v.Value, 2 * offsetof(KQUEUE, ThreadListHead));
    // A bit field reads its bits.
    work.Info.WorkerCount = 21;
    work.Info.WaitMode = 1;
    EXPECT(Cpp("((nt!_EX_WORK_QUEUE *)0x%llx)->Info.WorkerCount", &v,
               (unsigned long long)&work));
    EXPECT_EQ(v.Value, 21);
    EXPECT(Cpp("((nt!_EX_WORK_QUEUE *)0x%llx)->Info.WaitMode", &v, (unsigned long long)&work));
    EXPECT_EQ(v.Value, 1);
    // An array indexes; a pointer compares as its address.
    thread.ApcState.ApcListHead[1].Flink = (LIST_ENTRY *)0x1234;
    EXPECT(Cpp("((nt!_KTHREAD *)0x%llx)->ApcState.ApcListHead[1].Flink", &v,
               (unsigned long long)&thread));
    EXPECT_EQ(v.Value, 0x1234);
    EXPECT_STREQ(CName(&v), "struct _LIST_ENTRY *");
}

TEST(CppComparisonsAndLogicalOperators)
{
    static KQUEUE queue;
    static const struct { const char *Text; ULONG64 Truth; } cases[] = {
        { "1 == 1", 1 }, { "1 != 1", 0 }, { "2 < 3", 1 }, { "3 <= 3", 1 }, { "4 > 5", 0 },
        { "5 >= 6", 0 }, { "!0", 1 }, { "!7", 0 }, { "!!7", 1 }, { "1 && 0", 0 },
        { "1 || 0", 1 }, { "0 || 0", 0 }, { "2 && 3", 1 },
        // C's precedence: < over ==, == over &&, && over ||, + over <.
        { "1 < 2 == 1", 1 }, { "0 && 0 || 1", 1 }, { "1 || 0 && 0", 1 },
        { "1 + 1 < 2", 0 }, { "(1 < 2) + 1 == 2", 1 }, { "!(3 > 2) || 4 >= 4", 1 },
        // A plain number is unsigned int64: -1 is the largest.
        { "-1 > 1", 1 },
        // Short circuit: the unread side may not be readable (or even divide by 0).
        { "0 && ((nt!_KQUEUE *)0x10)->CurrentCount", 0 },
        { "1 || *(nt!_KQUEUE **)0x10 == 0", 1 }, { "0 && 1 / 0", 0 },
    };
    KD_CPP_VALUE v;

    for (size_t i = 0; i < ARRAYSIZE(cases); i++) {
        if (!Cpp("%s", &v, cases[i].Text) || !v.IsBool || v.Value != cases[i].Truth) {
            HostTestFail(__FILE__, __LINE__, cases[i].Text);
            return;
        }
    }
    // A signed field compares signed against another signed one, and widens to
    // unsigned against a plain (unsigned int64) number.
    queue.Header.SignalState = -3;
    queue.CurrentCount = 2;
    EXPECT(Cpp("((nt!_KQUEUE *)0x%llx)->Header.SignalState < (long)0", &v,
               (unsigned long long)&queue));
    EXPECT(v.IsBool && v.Value == 1);
    EXPECT(Cpp("((nt!_KQUEUE *)0x%llx)->Header.SignalState < 0", &v,
               (unsigned long long)&queue));
    EXPECT(v.IsBool && v.Value == 0);
    // Unsigned 32-bit against signed 32-bit: unsigned, as in C.
    EXPECT(Cpp("((nt!_KQUEUE *)0x%llx)->CurrentCount < ((nt!_KQUEUE *)0x%llx)->Header.SignalState",
               &v, (unsigned long long)&queue, (unsigned long long)&queue));
    EXPECT(v.IsBool && v.Value == 1);
    // A pointer against 0, and through && as a guard.
    EXPECT(Cpp("(nt!_KQUEUE *)0x%llx != 0 && ((nt!_KQUEUE *)0x%llx)->CurrentCount == 2",
               &v, (unsigned long long)&queue, (unsigned long long)&queue));
    EXPECT(v.IsBool && v.Value == 1);
    // The evaluated side of && still fails on unreadable memory.
    EXPECT(!Cpp("1 && ((nt!_KQUEUE *)0x10)->CurrentCount", &v));
    // Arithmetic on a truth value is a number again.
    EXPECT(Cpp("(2 > 1) * 5", &v));
    EXPECT(!v.IsBool && v.Value == 5);
}

TEST(CppRefusesWhatItCannotEvaluate)
{
    KD_CPP_VALUE v;
    static const char *bad[] = {
        "sizeof(nt!_NoSuchType)", "((nt!_KQUEUE *)0x1000)->NoSuchField", "1/0", "5 % 0",
        "((((((", "->x", "(nt!_KQUEUE)5", "*5", "&5", "5->x", "5.x", "5[1]",
        "#FIELD_OFFSET(nt!_KQUEUE, Nope)", "#NOPE(1)", "sizeof(", "1 +", "nosuchsymbol",
        "((nt!_KQUEUE *)0x10)->CurrentCount", "@rax", "",
        "((nt!_KQUEUE *)0xdead0000)->Header.Type + 1", "1 <", "1 == ", "&& 1", "1 &&",
        "1 ||", "!", "1 =! 2", "1 = 2", "1 << 2", "1 & 2", "1 | 2", "(1 < 2",
    };

    for (size_t i = 0; i < ARRAYSIZE(bad); i++) {
        BOOLEAN parsed = KdpEvaluateCpp(&HostMachine, bad[i], &v, Error, sizeof(Error));

        // Refused by the parser with a reason, or an object that cannot be read.
        if ((parsed && KdpCppLoad(&HostMachine, &v)) || (!parsed && !Error[0])) {
            HostTestFail(__FILE__, __LINE__, bad[i]);
            return;
        }
    }
    // Deep nesting stops with an error, not a stack overflow.
    {
        char deep[600];

        memset(deep, '(', sizeof(deep) - 2);
        deep[sizeof(deep) - 2] = '1';
        deep[sizeof(deep) - 1] = '\0';
        EXPECT(!KdpEvaluateCpp(&HostMachine, deep, &v, Error, sizeof(Error)));
        memset(deep, '-', sizeof(deep) - 2);
        EXPECT(!KdpEvaluateCpp(&HostMachine, deep, &v, Error, sizeof(Error)));
    }
}
