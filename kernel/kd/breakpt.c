// The breakpoint table and how its entries get into memory and the debug
// registers: int3 bytes written through the direct map (so a read-only
// code page takes one, and a user breakpoint goes into that process's own
// page only), taken out at every entry to the debugger and put back when
// the system resumes.

#include "kd/kdbp.h"
#include "ke/ke.h"
#include "arch/x86_64/x86.h"
#include "mm/mi.h"

#define KD_INT3_OPCODE 0xCC
#define KD_PAGE_TABLE_ENTRIES 512

// DR7: the local enable bit of register n, its condition and its length.
#define DR7_LOCAL_ENABLE(n)   (1ULL << ((n) * 2))
#define DR7_CONDITION_SHIFT(n) (16 + (n) * 4)
#define DR7_LENGTH_SHIFT(n)    (18 + (n) * 4)
#define DR7_LOCAL_EXACT       (1ULL << 8)    // LE: report data breakpoints exactly
#define DR7_CONDITION_EXECUTE 0ULL
#define DR7_CONDITION_WRITE   1ULL
#define DR7_CONDITION_ACCESS  3ULL
#define DR6_HIT_MASK          0xFULL

KD_BREAKPOINT KdpBreakpoints[KD_MAX_BREAKPOINTS];

// The linker gathers the code the debugger runs to stop and resume between
// these two symbols (linker.ld).
extern UCHAR __KdCodeStart[], __KdCodeEnd[];

BOOLEAN KdpIsDebuggerCode(ULONG64 address)
{
    return address >= (ULONG64)__KdCodeStart && address < (ULONG64)__KdCodeEnd;
}

ULONG64 KdpCurrentAddressSpace(void)
{
    return __readcr3() & PTE_FRAME;
}

// The leaf entry and physical address of `address` in the address space
// whose PML4 is at `directoryTableBase`, each table read fault-safe
// through the direct map.
static BOOLEAN KdpWalk(ULONG64 directoryTableBase, ULONG64 address, ULONG64 *physical,
                       ULONG64 *leaf)
{
    static const ULONG shifts[] = { 39, 30, 21, 12 };    // PML4, PDPT, PD, PT
    ULONG64 table = directoryTableBase & PTE_FRAME;

    if (!KiIsCanonical(address))
        return FALSE;
    for (ULONG level = 0; level < ARRAYSIZE(shifts); level++) {
        ULONG64 index = (address >> shifts[level]) & (KD_PAGE_TABLE_ENTRIES - 1);
        ULONG64 entry;

        if (!KdpReadMemory(MM_DIRECT_MAP_BASE + table + index * sizeof(ULONG64), &entry,
                           sizeof(entry)) || !(entry & PTE_PRESENT))
            return FALSE;
        if (level == ARRAYSIZE(shifts) - 1 || ((entry & PTE_LARGE) && level > 0)) {
            ULONG64 size = 1ULL << shifts[level];

            *physical = ((entry & PTE_FRAME) & ~(size - 1)) + (address & (size - 1));
            *leaf = entry;
            return TRUE;
        }
        table = entry & PTE_FRAME;
    }
    return FALSE;
}

// Kernel addresses are mapped alike in every address space: walk CR3's.
static ULONG64 KdpSpaceFor(ULONG64 directoryTableBase)
{
    return directoryTableBase ? directoryTableBase : KdpCurrentAddressSpace();
}

BOOLEAN KdpPatchCode(ULONG64 directoryTableBase, ULONG64 address, UCHAR byte, UCHAR *previous,
                     ULONG64 *physical)
{
    ULONG64 leaf;
    UCHAR *target;

    if (!KdpWalk(KdpSpaceFor(directoryTableBase), address, physical, &leaf))
        return FALSE;
    // A section's page is every mapping process's: an int3 there would stop
    // them all. Image pages are each process's own (ps/ldr.c copies them).
    if (directoryTableBase && (leaf & MM_PTE_SECTION_PAGE))
        return FALSE;
    target = (UCHAR *)(MM_DIRECT_MAP_BASE + *physical);
    if (KiCopyMemorySafe(previous, target, 1) != 0 || KiCopyMemorySafe(target, &byte, 1) != 0)
        return FALSE;
    return TRUE;
}

void KdpUnpatchCode(ULONG64 directoryTableBase, ULONG64 address, UCHAR original,
                    ULONG64 physical)
{
    ULONG64 now, leaf;
    UCHAR current;
    UCHAR *target = (UCHAR *)(MM_DIRECT_MAP_BASE + physical);

    if (!KdpWalk(KdpSpaceFor(directoryTableBase), address, &now, &leaf) || now != physical)
        return;
    if (KiCopyMemorySafe(&current, target, 1) == 0 && current == KD_INT3_OPCODE)
        KiCopyMemorySafe(target, &original, 1);
}

static void KdpTakeOut(KD_BREAKPOINT *breakpoint)
{
    if (!breakpoint->Inserted)
        return;
    KdpUnpatchCode(breakpoint->DirectoryTableBase, breakpoint->Address,
                   breakpoint->OriginalByte, breakpoint->InsertedPhysical);
    breakpoint->Inserted = FALSE;
}

void KdpRemoveBreakpoints(void)
{
    // First of all: a data breakpoint must not fire on the debugger's reads.
    __writedr(7, 0);
    for (ULONG i = 0; i < KD_MAX_BREAKPOINTS; i++)
        KdpTakeOut(&KdpBreakpoints[i]);
}

static BOOLEAN KdpIsLive(const KD_BREAKPOINT *breakpoint)
{
    return breakpoint->InUse && breakpoint->Enabled && !breakpoint->Deferred;
}

// Does a breakpoint for `directoryTableBase` apply in address space `space`?
static BOOLEAN KdpAppliesIn(const KD_BREAKPOINT *breakpoint, ULONG64 space)
{
    return breakpoint->DirectoryTableBase == 0 || breakpoint->DirectoryTableBase == space;
}

static ULONG64 KdpDr7Length(UCHAR size)
{
    switch (size) {
    case 2:
        return 1;
    case 8:
        return 2;
    case 4:
        return 3;
    default:
        return 0;
    }
}

static void KdpArmHardware(KD_BREAKPOINT *breakpoint, ULONG slot,
                           KSPECIAL_REGISTERS *registers)
{
    ULONG64 condition = breakpoint->Access == 'e' ? DR7_CONDITION_EXECUTE
                      : breakpoint->Access == 'w' ? DR7_CONDITION_WRITE
                                                  : DR7_CONDITION_ACCESS;

    switch (slot) {
    case 0:
        registers->KernelDr0 = breakpoint->Address;
        break;
    case 1:
        registers->KernelDr1 = breakpoint->Address;
        break;
    case 2:
        registers->KernelDr2 = breakpoint->Address;
        break;
    default:
        registers->KernelDr3 = breakpoint->Address;
        break;
    }
    registers->KernelDr7 |= DR7_LOCAL_ENABLE(slot) | (condition << DR7_CONDITION_SHIFT(slot)) |
                            (KdpDr7Length(breakpoint->Size) << DR7_LENGTH_SHIFT(slot));
}

// The debug register each live hardware breakpoint has, in table order.
static KD_BREAKPOINT *KdpHardwareSlots[KD_MAX_HARDWARE_BREAKPOINTS];
// What every processor's KPRCB.ProcessorState holds now.
static KSPECIAL_REGISTERS KdpArmedRegisters;

static ULONG_PTR KdpLoadDebugRegisters(ULONG_PTR context)
{
    KiRestoreProcessorControlState();
    return 0;
}

// Programs DR0-DR3 and DR7 of every processor from the table (DR7 0 when no
// ba is live), as NT's debugger does through each KPRCB's ProcessorState.
// At the kd> prompt the others are frozen and load theirs when thawed;
// while the system runs (a breakpoint command of the in-kernel tests, a
// process's or a module's breakpoints going) an IPI has each load them at
// once, and only when they changed.
static void KdpArmHardwareBreakpoints(KTRAP_FRAME *frame)
{
    KSPECIAL_REGISTERS registers = { 0 };
    ULONG slot = 0;
    BOOLEAN changed;

    for (ULONG i = 0; i < KD_MAX_BREAKPOINTS && slot < KD_MAX_HARDWARE_BREAKPOINTS; i++) {
        KD_BREAKPOINT *breakpoint = &KdpBreakpoints[i];

        if (!KdpIsLive(breakpoint) || !breakpoint->Hardware)
            continue;
        KdpHardwareSlots[slot] = breakpoint;
        KdpArmHardware(breakpoint, slot++, &registers);
        // An execute breakpoint is a fault: without RF it would fire again
        // on the instruction it stopped at (the debug register matches in
        // every process, the breakpoint's or not).
        if (frame && breakpoint->Access == 'e' && breakpoint->Address == frame->Rip)
            frame->EFlags |= EFLAGS_RF;
    }
    for (ULONG i = slot; i < KD_MAX_HARDWARE_BREAKPOINTS; i++)
        KdpHardwareSlots[i] = NULL;
    if (registers.KernelDr7)
        registers.KernelDr7 |= DR7_LOCAL_EXACT;
    changed = memcmp(&registers, &KdpArmedRegisters, sizeof(registers)) != 0;
    KdpArmedRegisters = registers;
    for (ULONG i = 0; i < KeNumberProcessors; i++)
        KiProcessorBlock[i]->ProcessorState.SpecialRegisters = registers;
    if (changed && !KdpState.Active && KeNumberProcessors > 1)
        (void)KeIpiGenericCall(KdpLoadDebugRegisters, 0);
    else
        KiRestoreProcessorControlState();
}

BOOLEAN KdpInsertBreakpoints(KTRAP_FRAME *frame)
{
    ULONG64 space = KdpCurrentAddressSpace();
    BOOLEAN atResume = FALSE;

    for (ULONG i = 0; i < KD_MAX_BREAKPOINTS; i++) {
        KD_BREAKPOINT *breakpoint = &KdpBreakpoints[i];

        if (!KdpIsLive(breakpoint) || breakpoint->Hardware)
            continue;
        if (frame && breakpoint->Address == frame->Rip && KdpAppliesIn(breakpoint, space)) {
            atResume = TRUE;
            continue;
        }
        if (KdpPatchCode(breakpoint->DirectoryTableBase, breakpoint->Address, KD_INT3_OPCODE,
                         &breakpoint->OriginalByte, &breakpoint->InsertedPhysical))
            breakpoint->Inserted = TRUE;
    }
    KdpArmHardwareBreakpoints(frame);
    return atResume;
}

KD_BREAKPOINT *KdpFindBreakpointAt(ULONG64 address, ULONG64 directoryTableBase)
{
    for (ULONG i = 0; i < KD_MAX_BREAKPOINTS; i++) {
        KD_BREAKPOINT *breakpoint = &KdpBreakpoints[i];

        if (KdpIsLive(breakpoint) && !breakpoint->Hardware && breakpoint->Address == address &&
            KdpAppliesIn(breakpoint, directoryTableBase))
            return breakpoint;
    }
    return NULL;
}

KD_BREAKPOINT *KdpFindHardwareHit(ULONG64 dr6)
{
    for (ULONG slot = 0; slot < KD_MAX_HARDWARE_BREAKPOINTS; slot++) {
        KD_BREAKPOINT *breakpoint = KdpHardwareSlots[slot];

        if ((dr6 & DR6_HIT_MASK & (1ULL << slot)) && breakpoint && breakpoint->InUse)
            return breakpoint;
    }
    return NULL;
}

// ---- Loader and process hooks --------------------------------------------------------
//
// These run while the system runs, on any processor, two at once on two
// (a program starting on one while a driver unloads on another): each
// takes the debugger's own lock, as NT's debugger notifications do, so
// they change the table one at a time and never while the debugger is
// reading it at the prompt. A processor that wants to enter the debugger
// meanwhile waits the few microseconds a hook takes; one waiting here while
// the debugger is in is frozen like the rest. At the prompt (a .start, a
// driver loaded from kd>) this processor owns the lock already.

typedef struct _KD_HOOK_STATE {
    BOOLEAN InterruptsWere;
    BOOLEAN Acquired;
} KD_HOOK_STATE;

static KD_HOOK_STATE KdpLockBreakpoints(void)
{
    KD_HOOK_STATE state;

    state.InterruptsWere = KiDisableInterrupts();
    state.Acquired = KiAcquireDebuggerLock(NULL);
    return state;
}

static void KdpUnlockBreakpoints(KD_HOOK_STATE state)
{
    if (state.Acquired)
        KiReleaseDebuggerLock();
    KiRestoreInterrupts(state.InterruptsWere);
}

// Does "mod!Name" name a loaded driver or nt (not a user program)?
static BOOLEAN KdpNamesKernelModule(const char *expression)
{
    const char *bang = strchr(expression, '!');
    KD_MODULE module;

    return bang && KdpFindModuleByName(expression, (size_t)(bang - expression), &module);
}

void KdNotifyImageLoad(void)
{
    KD_HOOK_STATE state = KdpLockBreakpoints();

    for (ULONG i = 0; i < KD_MAX_BREAKPOINTS; i++) {
        KD_BREAKPOINT *breakpoint = &KdpBreakpoints[i];
        ULONG64 address;

        if (!breakpoint->InUse || !breakpoint->Deferred ||
            !KdpNamesKernelModule(breakpoint->Expression) ||
            !KdpLookupSymbolValue(breakpoint->Expression, &address))
            continue;
        breakpoint->Address = address;
        breakpoint->Deferred = FALSE;
        if (breakpoint->Enabled && !breakpoint->Hardware &&
            KdpPatchCode(0, address, KD_INT3_OPCODE, &breakpoint->OriginalByte,
                         &breakpoint->InsertedPhysical))
            breakpoint->Inserted = TRUE;
    }
    KdpUnlockBreakpoints(state);
}

void KdNotifyImageUnload(ULONG64 base, ULONG64 end)
{
    KD_HOOK_STATE state = KdpLockBreakpoints();

    for (ULONG i = 0; i < KD_MAX_BREAKPOINTS; i++) {
        KD_BREAKPOINT *breakpoint = &KdpBreakpoints[i];

        if (!breakpoint->InUse || breakpoint->Deferred || breakpoint->DirectoryTableBase ||
            breakpoint->Address < base || breakpoint->Address >= end)
            continue;
        KdpTakeOut(breakpoint);
        // A bu names a symbol: it waits for the module's next load. A bp
        // set on an address has nothing left to stand on.
        if (breakpoint->Expression[0])
            breakpoint->Deferred = TRUE;
        else
            breakpoint->InUse = FALSE;
    }
    KdpArmHardwareBreakpoints(NULL);
    KdpUnlockBreakpoints(state);
}

void KdNotifyUserImageMap(ULONG64 process, ULONG64 directoryTableBase, const char *imageName)
{
    KD_HOOK_STATE state = KdpLockBreakpoints();

    for (ULONG i = 0; i < KD_MAX_BREAKPOINTS; i++) {
        KD_BREAKPOINT *breakpoint = &KdpBreakpoints[i];
        ULONG64 address;

        if (!breakpoint->InUse || !breakpoint->Deferred || breakpoint->Hardware ||
            !KdpLookupUserSymbol(imageName, breakpoint->Expression, &address, NULL))
            continue;
        // This process's from now on, and its only: another copy of the
        // program does not stop on it (it waits for this one to end).
        breakpoint->Address = address;
        breakpoint->DirectoryTableBase = directoryTableBase;
        breakpoint->Process = process;
        breakpoint->Deferred = FALSE;
        // At the kd> prompt (.start) the int3s are out: the resume puts it in.
        if (!KdpState.Active && breakpoint->Enabled &&
            KdpPatchCode(directoryTableBase, address, KD_INT3_OPCODE,
                         &breakpoint->OriginalByte, &breakpoint->InsertedPhysical))
            breakpoint->Inserted = TRUE;
    }
    KdpUnlockBreakpoints(state);
}

void KdNotifyProcessDelete(ULONG64 directoryTableBase)
{
    KD_HOOK_STATE state = KdpLockBreakpoints();

    for (ULONG i = 0; i < KD_MAX_BREAKPOINTS; i++) {
        KD_BREAKPOINT *breakpoint = &KdpBreakpoints[i];

        if (!breakpoint->InUse || breakpoint->DirectoryTableBase != directoryTableBase)
            continue;
        KdpTakeOut(breakpoint);
        // A bu names a symbol: it waits for the program's next process. A
        // bp set on an address has nothing left to stand on.
        if (breakpoint->Expression[0] && !breakpoint->Hardware) {
            breakpoint->Deferred = TRUE;
            breakpoint->DirectoryTableBase = 0;
            breakpoint->Process = 0;
        } else {
            breakpoint->InUse = FALSE;
        }
    }
    // A ba of the process must not fire in another one running the same
    // addresses once the process is gone.
    KdpArmHardwareBreakpoints(NULL);
    KdpUnlockBreakpoints(state);
}
