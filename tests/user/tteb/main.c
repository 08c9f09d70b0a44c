// User-mode tests of threads' TEBs and stacks as user memory: a thread's
// TEB and the stack the kernel made for it are fresh reservations, released
// when it ends (its pages come back); a program that frees, decommits or
// reserves where the next TEB or stack would go gets a thread placed
// elsewhere, or an error when no room is left, never a crash; and a process
// can have thousands of threads at once.

#include "tests/user/utest.h"
#include "tests/user/uthread.h"

#define PAGE 0x1000ULL
#define KB64 0x10000ULL
#define MANY_THREADS 2000
#define MAX_RESERVATIONS 512

// What a thread saw of itself.
typedef struct _SEEN {
    TEB *Teb;
    PVOID StackBase;
    PVOID StackLimit;
    BOOLEAN TebLooksRight;
} SEEN;

static NTSTATUS NTAPI Record(PVOID argument)
{
    SEEN *seen = argument;
    TEB *teb = NtCurrentTeb();

    seen->Teb = teb;
    seen->StackBase = teb->NtTib.StackBase;
    seen->StackLimit = teb->NtTib.StackLimit;
    seen->TebLooksRight = teb->NtTib.Self == &teb->NtTib &&
                          (ULONG_PTR)teb->NtTib.StackLimit < (ULONG_PTR)&teb &&
                          (ULONG_PTR)&teb < (ULONG_PTR)teb->NtTib.StackBase &&
                          teb->ClientId.UniqueThread != NULL &&
                          teb->ProcessEnvironmentBlock != NULL;
    return 0;
}

static NTSTATUS StartWithStack(PHANDLE thread, PUSER_THREAD_START_ROUTINE routine,
                               PVOID argument, SIZE_T stackSize)
{
    return NtCreateThreadEx(thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                            (PVOID)routine, argument, 0, 0, stackSize, 0, NULL);
}

// Runs Record in a new thread and waits for it to end.
static NTSTATUS RunRecord(SEEN *seen, SIZE_T stackSize)
{
    HANDLE thread;
    NTSTATUS status;

    memset(seen, 0, sizeof(*seen));
    status = StartWithStack(&thread, Record, seen, stackSize);
    if (!NT_SUCCESS(status))
        return status;
    return UtJoinThreadWithin(thread, UT_THREAD_PATIENCE_MS);
}

static MEMORY_BASIC_INFORMATION Query(ULONG_PTR address)
{
    MEMORY_BASIC_INFORMATION info;

    memset(&info, 0, sizeof(info));
    UT_EXPECT_STATUS(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)address,
                                          MemoryBasicInformation, &info, sizeof(info), NULL),
                     STATUS_SUCCESS);
    return info;
}

// The process's committed private bytes and its count of allocations,
// region by region over the whole user half.
static void CountUserMemory(ULONG64 *committed, ULONG *allocations)
{
    ULONG_PTR address = 0;
    PVOID lastBase = NULL;

    *committed = 0;
    *allocations = 0;
    for (;;) {
        MEMORY_BASIC_INFORMATION info;

        if (!NT_SUCCESS(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)address,
                                             MemoryBasicInformation, &info, sizeof(info),
                                             NULL)))
            return;
        if (info.State == MEM_COMMIT && info.Type == MEM_PRIVATE)
            *committed += info.RegionSize;
        if (info.State != MEM_FREE && info.AllocationBase != lastBase) {
            (*allocations)++;
            lastBase = info.AllocationBase;
        }
        if (address + info.RegionSize <= address)
            return;
        address += info.RegionSize;
    }
}

static NTSTATUS Reserve(ULONG_PTR *base, SIZE_T size, ULONG type)
{
    PVOID address = (PVOID)*base;
    NTSTATUS status = NtAllocateVirtualMemory(NtCurrentProcess(), &address, 0, &size, type,
                                              PAGE_READWRITE);

    *base = (ULONG_PTR)address;
    return status;
}

static NTSTATUS Free(ULONG_PTR base, SIZE_T size, ULONG type)
{
    PVOID address = (PVOID)base;

    return NtFreeVirtualMemory(NtCurrentProcess(), &address, &size, type);
}

static BOOLEAN Inside(PVOID address, ULONG_PTR start, ULONG_PTR end)
{
    return (ULONG_PTR)address >= start && (ULONG_PTR)address < end;
}

UTEST(EndedThreadsGiveTheirTebAndStackBack)
{
    ULONG64 committedBefore, committedAfter;
    ULONG allocationsBefore, allocationsAfter;
    SEEN seen;

    CountUserMemory(&committedBefore, &allocationsBefore);
    UT_EXPECT_STATUS(RunRecord(&seen, 0), STATUS_SUCCESS);
    UT_EXPECT(seen.TebLooksRight);
    // Both were released with the thread.
    UT_EXPECT_EQ(Query((ULONG_PTR)seen.Teb).State, MEM_FREE);
    UT_EXPECT_EQ(Query((ULONG_PTR)seen.StackLimit).State, MEM_FREE);
    UT_EXPECT_EQ(Query((ULONG_PTR)seen.StackBase - 1).State, MEM_FREE);
    // Many threads, one after the other, with stacks of every size.
    for (ULONG i = 0; i < 300; i++)
        UT_EXPECT_STATUS(RunRecord(&seen, (i % 16) * 16 * PAGE), STATUS_SUCCESS);
    CountUserMemory(&committedAfter, &allocationsAfter);
    UT_EXPECT_EQ(committedAfter, committedBefore);
    UT_EXPECT_EQ(allocationsAfter, allocationsBefore);
}

// Where an ended thread's TEB was, the program decommits: the page is
// already gone with the thread, and the next thread gets a good TEB.
UTEST(DecommittingAnEndedThreadsTebPageHurtsNothing)
{
    SEEN first, second;

    UT_EXPECT_STATUS(RunRecord(&first, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Free((ULONG_PTR)first.Teb, PAGE, MEM_DECOMMIT),
                     STATUS_MEMORY_NOT_ALLOCATED);
    UT_EXPECT_STATUS(Free((ULONG_PTR)first.StackLimit, PAGE, MEM_DECOMMIT),
                     STATUS_MEMORY_NOT_ALLOCATED);
    UT_EXPECT_STATUS(RunRecord(&second, 0), STATUS_SUCCESS);
    UT_EXPECT(second.TebLooksRight);
}

// The program takes the place the next TEB and the next stack would get
// (reserved only, then committed with the top page decommitted): new
// threads are placed elsewhere, and the program's memory is left alone.
UTEST(ReservingWhereTheNextTebAndStackWouldGoMovesThem)
{
    TEB *self = NtCurrentTeb();
    MEMORY_BASIC_INFORMATION stack = Query((ULONG_PTR)self->NtTib.StackLimit);
    ULONG_PTR tebFree = 0, tebBase, stackBase;
    SEEN seen;

    // The next TEB: the first free page below this thread's.
    for (ULONG_PTR page = (ULONG_PTR)self - PAGE; page > (ULONG_PTR)self - 64 * PAGE;
         page -= PAGE) {
        if (Query(page).State == MEM_FREE) {
            tebFree = page;
            break;
        }
    }
    UT_EXPECT(tebFree != 0);
    tebBase = tebFree & ~(KB64 - 1);
    UT_EXPECT_STATUS(Reserve(&tebBase, tebFree + PAGE - tebBase, MEM_RESERVE), STATUS_SUCCESS);
    // The next stack: the 64K-aligned space just below this thread's.
    stackBase = (ULONG_PTR)stack.AllocationBase - 4 * KB64;
    UT_EXPECT_STATUS(Reserve(&stackBase, 4 * KB64, MEM_RESERVE), STATUS_SUCCESS);

    for (int round = 0; round < 2; round++) {
        UT_EXPECT_STATUS(RunRecord(&seen, 0), STATUS_SUCCESS);
        UT_EXPECT(seen.TebLooksRight);
        UT_EXPECT(!Inside(seen.Teb, tebBase, tebFree + PAGE));
        UT_EXPECT(!Inside(seen.StackLimit, stackBase, stackBase + 4 * KB64));
        UT_EXPECT(!Inside((PVOID)((ULONG_PTR)seen.StackBase - 1), stackBase,
                          stackBase + 4 * KB64));
        if (round == 0) {
            // Now committed, their top pages decommitted again.
            UT_EXPECT_STATUS(Reserve(&tebBase, tebFree + PAGE - tebBase, MEM_COMMIT),
                             STATUS_SUCCESS);
            UT_EXPECT_STATUS(Reserve(&stackBase, 4 * KB64, MEM_COMMIT), STATUS_SUCCESS);
            UT_EXPECT_STATUS(Free(tebFree, PAGE, MEM_DECOMMIT), STATUS_SUCCESS);
            UT_EXPECT_STATUS(Free(stackBase + 4 * KB64 - PAGE, PAGE, MEM_DECOMMIT),
                             STATUS_SUCCESS);
        }
    }
    // Still the program's, as it left them.
    UT_EXPECT_EQ(Query(tebFree).State, MEM_RESERVE);
    UT_EXPECT_EQ(Query(tebBase).State, MEM_COMMIT);
    UT_EXPECT_EQ(Query(stackBase + 4 * KB64 - PAGE).State, MEM_RESERVE);
    UT_EXPECT_STATUS(Free(tebBase, 0, MEM_RELEASE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Free(stackBase, 0, MEM_RELEASE), STATUS_SUCCESS);
}

// With the whole user half reserved, a new thread has no room for its stack:
// an error, no thread, and creation works again once the room is back.
UTEST(NoRoomLeftFailsTheCreationCleanly)
{
    static ULONG_PTR reservations[MAX_RESERVATIONS];
    ULONG count = 0;
    ULONG64 committedBefore, committedAfter;
    ULONG allocationsBefore, allocationsAfter;
    HANDLE thread = NULL;
    SEEN seen;

    CountUserMemory(&committedBefore, &allocationsBefore);
    for (SIZE_T size = 1ULL << 46; size >= KB64 && count < MAX_RESERVATIONS;) {
        ULONG_PTR base = 0;

        if (NT_SUCCESS(Reserve(&base, size, MEM_RESERVE)))
            reservations[count++] = base;
        else
            size /= 2;
    }
    UT_EXPECT(count < MAX_RESERVATIONS);
    UT_EXPECT_STATUS(StartWithStack(&thread, Record, &seen, 0), STATUS_NO_MEMORY);
    UT_EXPECT(thread == NULL);
    while (count)
        UT_EXPECT_STATUS(Free(reservations[--count], 0, MEM_RELEASE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(RunRecord(&seen, 0), STATUS_SUCCESS);
    UT_EXPECT(seen.TebLooksRight);
    CountUserMemory(&committedAfter, &allocationsAfter);
    UT_EXPECT_EQ(committedAfter, committedBefore);
    UT_EXPECT_EQ(allocationsAfter, allocationsBefore);
}

static HANDLE Gate;
static volatile LONG Arrived;

static NTSTATUS NTAPI WaitAtTheGate(PVOID argument)
{
    __atomic_add_fetch(&Arrived, 1, __ATOMIC_SEQ_CST);
    return NtWaitForSingleObject(Gate, FALSE, NULL);
}

// The program releases a live thread's TEB and stack (the thread waits in
// the kernel) and allocates its own memory in their place: when the thread
// ends, the kernel releases nothing of it.
UTEST(ReleasingALiveThreadsTebAndStackLeavesTheNewMemoryAlone)
{
    THREAD_BASIC_INFORMATION information;
    MEMORY_BASIC_INFORMATION stack;
    ULONG_PTR teb, tebBase, stackBase;
    SIZE_T stackSize;
    HANDLE thread;

    Arrived = 0;
    UT_EXPECT_STATUS(NtCreateEvent(&Gate, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(StartWithStack(&thread, WaitAtTheGate, NULL, 0), STATUS_SUCCESS);
    UT_EXPECT(UtWaitUntilWaiting(thread));
    UT_EXPECT_STATUS(NtQueryInformationThread(thread, ThreadBasicInformation, &information,
                                              sizeof(information), NULL),
                     STATUS_SUCCESS);
    teb = (ULONG_PTR)information.TebBaseAddress;
    stack = Query((ULONG_PTR)information.TebBaseAddress->NtTib.StackLimit);
    stackBase = (ULONG_PTR)stack.AllocationBase;
    stackSize = (ULONG_PTR)information.TebBaseAddress->NtTib.StackBase - stackBase;
    UT_EXPECT_STATUS(Free(teb, 0, MEM_RELEASE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Free(stackBase, 0, MEM_RELEASE), STATUS_SUCCESS);
    // The program's own, where they were.
    tebBase = teb & ~(KB64 - 1);
    UT_EXPECT_STATUS(Reserve(&tebBase, teb + PAGE - tebBase, MEM_RESERVE | MEM_COMMIT),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(Reserve(&stackBase, stackSize, MEM_RESERVE | MEM_COMMIT), STATUS_SUCCESS);
    *(volatile ULONG *)teb = 0x7EB;
    *(volatile ULONG *)stackBase = 0x57AC;
    UT_EXPECT_STATUS(NtTerminateThread(thread, 0x1234), STATUS_SUCCESS);
    UT_EXPECT_EQ(UtJoinThreadWithin(thread, UT_THREAD_PATIENCE_MS), 0x1234);
    UT_EXPECT_EQ(Query(teb).State, MEM_COMMIT);
    UT_EXPECT_EQ(Query(stackBase).State, MEM_COMMIT);
    UT_EXPECT_EQ(*(volatile ULONG *)teb, 0x7EB);
    UT_EXPECT_EQ(*(volatile ULONG *)stackBase, 0x57AC);
    UT_EXPECT_STATUS(Free(tebBase, 0, MEM_RELEASE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(Free(stackBase, 0, MEM_RELEASE), STATUS_SUCCESS);
    NtClose(Gate);
}

// Thousands of threads alive at once (each with a one-page stack), then all
// released and ended: every one ran, and their memory came back.
UTEST(TwoThousandThreadsLiveAtOnce)
{
    static HANDLE threads[MANY_THREADS];
    ULONG64 committedBefore, committedAfter;
    ULONG allocationsBefore, allocationsAfter, created = 0;

    CountUserMemory(&committedBefore, &allocationsBefore);
    Arrived = 0;
    UT_EXPECT_STATUS(NtCreateEvent(&Gate, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    for (; created < MANY_THREADS; created++) {
        NTSTATUS status = StartWithStack(&threads[created], WaitAtTheGate, NULL, PAGE);

        if (!NT_SUCCESS(status)) {
            UT_EXPECT_STATUS(status, STATUS_SUCCESS);
            break;
        }
    }
    UT_EXPECT_EQ(created, MANY_THREADS);
    UT_EXPECT_STATUS(NtSetEvent(Gate, NULL), STATUS_SUCCESS);
    for (ULONG i = 0; i < created; i++)
        UT_EXPECT_STATUS(UtJoinThreadWithin(threads[i], 10 * UT_THREAD_PATIENCE_MS),
                         STATUS_SUCCESS);
    UT_EXPECT_EQ(Arrived, created);
    NtClose(Gate);
    CountUserMemory(&committedAfter, &allocationsAfter);
    UT_EXPECT_EQ(committedAfter, committedBefore);
    UT_EXPECT_EQ(allocationsAfter, allocationsBefore);
}

int main(void)
{
    static const UTEST tests[] = {
        UT_ENTRY(EndedThreadsGiveTheirTebAndStackBack),
        UT_ENTRY(DecommittingAnEndedThreadsTebPageHurtsNothing),
        UT_ENTRY(ReservingWhereTheNextTebAndStackWouldGoMovesThem),
        UT_ENTRY(NoRoomLeftFailsTheCreationCleanly),
        UT_ENTRY(ReleasingALiveThreadsTebAndStackLeavesTheNewMemoryAlone),
        UT_ENTRY(TwoThousandThreadsLiveAtOnce),
    };

    return UT_RUN_ALL("tteb", tests);
}
