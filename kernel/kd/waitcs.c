// The critical-section hop: a thread that waits in user mode on a
// synchronization event may be in RtlEnterCriticalSection, whose section
// names its owner by thread id (OwningThread) in the process's own memory.
// The section's address is in one of the thread's callee-saved registers
// (saved in its trap frame) or on its user stack; a section found there
// whose LockSemaphore is a handle of the process to the very event waited
// on is the one. Everything is read from the process's memory through its
// page tables, fault-safe, and bounded: the stack is scanned to a fixed
// depth, a fixed number of words are tried as sections, and a section that
// is found but cannot be right (its owner is no thread, its counts are
// impossible) ends the walk with an error line.

#include "kd/kdwait.h"
#include "ob/ob.h"
#include "ndk/ntrtl.h"

#define KD_CS_SCAN_BYTES     0x4000     // depth: of the user stack, from its Rsp
#define KD_CS_MAX_PROBES     256        // count: words read as a possible section
#define KD_CS_MAX_HANDLES    4          // handles of the process to the event
#define KD_CS_MAX_WAITERS    0x100000   // a LockCount beyond this is corrupt
#define KD_CS_CHUNK          64         // words read at a time


typedef struct _KD_CS_HANDLES {
    ULONG Count;
    ULONG Handles[KD_CS_MAX_HANDLES];
} KD_CS_HANDLES;

typedef struct _KD_CS_SEARCH {
    ULONG64 DirectoryTableBase;
    KD_CS_HANDLES Handles;
    ULONG Probes;               // words tried as a section
    ULONG64 Address;            // the section found
    RTL_CRITICAL_SECTION Section;
} KD_CS_SEARCH;

static BOOLEAN KdpWaitCollectHandle(void *context, ULONG64 process, ULONG handle)
{
    KD_CS_HANDLES *handles = context;

    (void)process;
    handles->Handles[handles->Count++] = handle;
    return handles->Count < KD_CS_MAX_HANDLES;
}

// Is the word at `address` a section a thread waits to enter on one of the
// handles? Only a plausible user address is read, and only KD_CS_MAX_PROBES
// of them per hop.
static BOOLEAN KdpWaitProbeSection(KD_CS_SEARCH *search, ULONG64 address)
{
    RTL_CRITICAL_SECTION section;

    if (address < PAGE_SIZE || address >= KD_USER_SPACE_END - sizeof(section) || (address & 7) ||
        search->Probes >= KD_CS_MAX_PROBES)
        return FALSE;
    search->Probes++;
    if (!KdpReadProcessMemory(search->DirectoryTableBase, address, &section, sizeof(section)) ||
        section.LockCount < 1)
        return FALSE;
    for (ULONG i = 0; i < search->Handles.Count; i++) {
        if ((ULONG64)section.LockSemaphore == search->Handles.Handles[i]) {
            search->Address = address;
            search->Section = section;
            return TRUE;
        }
    }
    return FALSE;
}

static BOOLEAN KdpWaitCsError(KD_WAIT_STEP *step, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static BOOLEAN KdpWaitCsError(KD_WAIT_STEP *step, const char *format, ...)
{
    va_list arguments;

    va_start(arguments, format);
    RtlStringPrintfV(step->Evidence, sizeof(step->Evidence), format, arguments);
    va_end(arguments);
    step->End = KdWaitError;
    return TRUE;
}

BOOLEAN KdpWaitCriticalSection(const KD_WAIT_THREAD *self, ULONG64 event, KD_WAIT_STEP *step)
{
    static KD_CS_SEARCH search;
    const RTL_CRITICAL_SECTION *section = &search.Section;
    KTRAP_FRAME frame;
    ULONG64 trap, registers[8], words[KD_CS_CHUNK], stack;
    BOOLEAN found = FALSE;

    memset(&search, 0, sizeof(search));
    if (self->WaitMode != UserMode ||
        !KdpReadMemory(self->Process + FIELD_OFFSET(EPROCESS, Pcb.DirectoryTableBase),
                       &search.DirectoryTableBase, sizeof(search.DirectoryTableBase)) ||
        !KdpReadUserTrapFrame(self->Address, &trap, &frame))
        return FALSE;
    KdpWaitHandlesTo(self->Process, event, KdpWaitCollectHandle, &search.Handles);
    if (!search.Handles.Count)
        return FALSE;       // a handle of no process of its own: no section's lock
    registers[0] = frame.Rbx;
    registers[1] = frame.Rbp;
    registers[2] = frame.R12;
    registers[3] = frame.R13;
    registers[4] = frame.R14;
    registers[5] = frame.R15;
    registers[6] = frame.Rdi;
    registers[7] = frame.Rsi;
    for (ULONG i = 0; i < ARRAYSIZE(registers) && !found; i++)
        found = KdpWaitProbeSection(&search, registers[i]);
    stack = frame.Rsp & ~7ULL;
    if (!found && (stack < PAGE_SIZE || stack >= KD_USER_SPACE_END ||
                   !KdpReadProcessMemory(search.DirectoryTableBase, stack, words, sizeof(ULONG64))))
        return KdpWaitCsError(step, "error: the user stack of the thread (Rsp %016llx) cannot "
                              "be read in its process: no critical section can be looked for "
                              "(corrupt trap frame?)", (unsigned long long)frame.Rsp);
    for (ULONG64 at = stack; !found && at < stack + KD_CS_SCAN_BYTES &&
                             search.Probes < KD_CS_MAX_PROBES; at += sizeof(words)) {
        // The end of the stack's mapping ends the scan (a page at a time).
        ULONG64 length = sizeof(words);

        if (PAGE_SIZE - (at & (PAGE_SIZE - 1)) < length)
            length = PAGE_SIZE - (at & (PAGE_SIZE - 1));
        if (!KdpReadProcessMemory(search.DirectoryTableBase, at, words, length))
            break;
        for (ULONG i = 0; i < length / sizeof(ULONG64) && !found; i++)
            found = KdpWaitProbeSection(&search, words[i]);
        at -= sizeof(words) - length;
    }
    if (!found)
        return FALSE;
    step->Object = search.Address;
    if (section->LockCount > KD_CS_MAX_WAITERS)
        return KdpWaitCsError(step, "error: critical section %016llx: LockCount %d is more "
                              "waiters than a process has threads (corrupt)",
                              (unsigned long long)search.Address, section->LockCount);
    if (!section->OwningThread)
        return KdpWaitCsError(step, "error: critical section %016llx (event handle %llx): a "
                              "thread waits on its lock but its OwningThread is 0 (left "
                              "without waking the waiter, or corrupt)",
                              (unsigned long long)search.Address,
                              (unsigned long long)section->LockSemaphore);
    if (section->RecursionCount < 1)
        return KdpWaitCsError(step, "error: critical section %016llx: owned by %llx with "
                              "RecursionCount %d (corrupt)", (unsigned long long)search.Address,
                              (unsigned long long)section->OwningThread,
                              section->RecursionCount);
    for (ULONG i = 0; i < KdpWaitIndex.Count; i++) {
        const KD_WAIT_THREAD *owner = &KdpWaitIndex.Threads[i];

        if (owner->Process != self->Process || owner->Cid != (ULONG64)section->OwningThread)
            continue;
        if (owner->Address == self->Address)
            return KdpWaitCsError(step, "error: critical section %016llx: its OwningThread "
                                  "%llx is the waiting thread itself (corrupt)",
                                  (unsigned long long)search.Address,
                                  (unsigned long long)section->OwningThread);
        step->End = KdWaitFollow;
        step->Next = owner->Address;
        RtlStringPrintf(step->Evidence, sizeof(step->Evidence),
                        "critical section %016llx (event handle %llx): its OwningThread is "
                        "%llx, THREAD %016llx", (unsigned long long)search.Address,
                        (unsigned long long)section->LockSemaphore,
                        (unsigned long long)section->OwningThread,
                        (unsigned long long)owner->Address);
        return TRUE;
    }
    return KdpWaitCsError(step, "error: critical section %016llx: its OwningThread %llx is no "
                          "thread of the process (ended without leaving it, or corrupt)",
                          (unsigned long long)search.Address,
                          (unsigned long long)section->OwningThread);
}
