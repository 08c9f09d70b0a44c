// Timers. An armed timer sits in one of 256 buckets chosen by its due tick,
// so the clock looks only at the bucket for the current tick: arming,
// cancelling and expiring cost the same however many timers exist.
// Expiry runs in a DPC: signal the timer, wake its waiters, queue its DPC,
// and re-arm a periodic one.

#include "ke/ke.h"

#define TIMER_TABLE_SIZE 256
#define HUNDRED_NS_PER_TICK 156250
#define HUNDRED_NS_PER_MS 10000

static LIST_ENTRY KiTimerTable[TIMER_TABLE_SIZE];
static ULONG KiTimerCount;
static ULONG64 KiTimerLastTick;     // every bucket up to this tick has been expired
static KDPC KiTimerExpireDpc;

extern LONG64 KiBootSystemTime;     // 100-ns units since 1601, from the RTC

// The tick at which `dueTime` falls due (NT's convention: negative
// relative, positive absolute system time), or FALSE when it already has:
// an absolute time not after now, or 0, is in the past, and NT ends such a
// wait at once and signals such a timer at once. A relative time waits at
// least one tick, since "now" is already part way through the current tick.
static BOOLEAN KiDueTimeToTick(LARGE_INTEGER dueTime, ULONG64 *dueTick)
{
    ULONG64 tick = KeTickCount;     // once: the clock may tick meanwhile
    ULONG64 relative;

    if (dueTime.QuadPart < 0) {
        relative = 0 - (ULONG64)dueTime.QuadPart;   // no overflow for the most negative
    } else {
        LONG64 now = KiBootSystemTime + (LONG64)tick * HUNDRED_NS_PER_TICK;

        if (dueTime.QuadPart <= now)
            return FALSE;
        relative = (ULONG64)(dueTime.QuadPart - now);
    }
    *dueTick = tick + relative / HUNDRED_NS_PER_TICK + (relative % HUNDRED_NS_PER_TICK ? 1 : 0);
    return TRUE;
}

// Caller holds the dispatcher lock. KiTimerCount is the number of timers in
// the table, and the clock queues the expiry DPC only while it is not 0: a
// timer counted twice, or taken off twice, would stop every timeout in the
// system, so both are caught here.
static void KiInsertTimer(KTIMER *timer, ULONG64 dueTick)
{
    ASSERT(!timer->Header.Inserted);
    timer->DueTime = dueTick;
    InsertTailList(&KiTimerTable[dueTick % TIMER_TABLE_SIZE], &timer->TimerListEntry);
    timer->Header.Inserted = TRUE;
    KiTimerCount++;
}

void KiRemoveTimer(KTIMER *timer)
{
    ASSERT(timer->Header.Inserted);
    ASSERT(KiTimerCount != 0);
    RemoveEntryList(&timer->TimerListEntry);
    timer->Header.Inserted = FALSE;
    KiTimerCount--;
}

ULONG KiQueryTimerCount(void)
{
    return KiTimerCount;
}

// Arms a waiting thread's own timer for `timeout`. FALSE, and nothing armed,
// when the timeout has already passed: the wait ends at once with
// STATUS_TIMEOUT. Caller holds the dispatcher lock.
BOOLEAN KiInsertWaitTimer(KTIMER *timer, LARGE_INTEGER timeout)
{
    ULONG64 dueTick;

    if (!KiDueTimeToTick(timeout, &dueTick))
        return FALSE;
    timer->Header.SignalState = 0;
    timer->Period = 0;
    timer->Dpc = NULL;
    KiInsertTimer(timer, dueTick);
    return TRUE;
}

void KeInitializeTimerEx(KTIMER *timer, TIMER_TYPE type)
{
    timer->Header.Type = type == NotificationTimer ? TimerNotificationObject
                                                   : TimerSynchronizationObject;
    timer->Header.Size = sizeof(KTIMER) / sizeof(LONG64);
    timer->Header.SignalState = 0;
    timer->Header.Inserted = FALSE;
    timer->Header.Absolute = FALSE;
    InitializeListHead(&timer->Header.WaitListHead);
    timer->DueTime = 0;
    timer->Period = 0;
    timer->Dpc = NULL;
}

void KeInitializeTimer(KTIMER *timer)
{
    KeInitializeTimerEx(timer, NotificationTimer);
}

static void KiExpireTimer(KTIMER *timer, ULONG64 now);

// A due time already past signals the timer now, wakes its waiters and
// queues its DPC, as NT's does; a periodic one is then armed for its period.
// Returns whether the timer was armed before (its previous setting is lost).
BOOLEAN KeSetTimerEx(KTIMER *timer, LARGE_INTEGER dueTime, LONG period, KDPC *dpc)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    BOOLEAN wasInserted = timer->Header.Inserted;
    ULONG64 dueTick;

    if (wasInserted)
        KiRemoveTimer(timer);
    timer->Header.SignalState = 0;
    timer->Header.Absolute = dueTime.QuadPart > 0;
    timer->Dpc = dpc;
    timer->Period = period;
    if (KiDueTimeToTick(dueTime, &dueTick))
        KiInsertTimer(timer, dueTick);
    else
        KiExpireTimer(timer, KeTickCount);
    KiReleaseDispatcherLock(oldIrql);
    return wasInserted;
}

BOOLEAN KeSetTimer(KTIMER *timer, LARGE_INTEGER dueTime, KDPC *dpc)
{
    return KeSetTimerEx(timer, dueTime, 0, dpc);
}

BOOLEAN KeCancelTimer(KTIMER *timer)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    BOOLEAN wasInserted = timer->Header.Inserted;

    if (wasInserted)
        KiRemoveTimer(timer);
    KiReleaseDispatcherLock(oldIrql);
    return wasInserted;
}

BOOLEAN KeReadStateTimer(KTIMER *timer)
{
    return timer->Header.SignalState != 0;
}

// A timer is due, and already out of the table: signal it and wake whoever
// waits on it (a thread's own wait timer ends that wait with
// STATUS_TIMEOUT), arm a periodic one again and queue its DPC. Caller holds
// the dispatcher lock.
static void KiExpireTimer(KTIMER *timer, ULONG64 now)
{
    KDPC *dpc = timer->Dpc;

    timer->Header.SignalState = 1;
    if (!IsListEmpty(&timer->Header.WaitListHead))
        KiWaitTest(&timer->Header, 0);
    if (timer->Period) {
        ULONG64 period = (ULONG64)timer->Period * HUNDRED_NS_PER_MS;
        ULONG64 periodTicks = (period + HUNDRED_NS_PER_TICK - 1) / HUNDRED_NS_PER_TICK;

        KiInsertTimer(timer, now + (periodTicks ? periodTicks : 1));
    }
    if (dpc)
        KeInsertQueueDpc(dpc, (void *)now, NULL);
}

// NT's two steps: every due timer first leaves the table for a local list
// (no longer inserted, no longer counted), then each is expired. Expiring
// one wakes threads, and a woken thread's unwait cancels its own wait timer
// (KiUnwaitThread): if that timer is due on the same tick it is already on
// the local list, not inserted, and the cancel leaves it alone; it then
// expires with nobody waiting on it. Walking the table while expiring would
// find it a second time. The dispatcher lock is held from the first step to
// the end of the second, so nothing else reaches the local list.
static void KiTimerExpiration(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    ULONG64 now = KeTickCount;
    LIST_ENTRY expired;

    InitializeListHead(&expired);
    KiAcquireDispatcherLockAtDpcLevel();
    // Every bucket between the last pass and now: ticks may have gone by
    // unprocessed (the debugger froze the system, or the DPC was late).
    if (now - KiTimerLastTick > TIMER_TABLE_SIZE)
        KiTimerLastTick = now - TIMER_TABLE_SIZE;
    while (KiTimerLastTick < now) {
        LIST_ENTRY *bucket = &KiTimerTable[++KiTimerLastTick % TIMER_TABLE_SIZE];

        for (LIST_ENTRY *entry = bucket->Flink; entry != bucket;) {
            KTIMER *timer = CONTAINING_RECORD(entry, KTIMER, TimerListEntry);

            entry = entry->Flink;
            if (timer->DueTime <= now) {
                KiRemoveTimer(timer);
                InsertTailList(&expired, &timer->TimerListEntry);
            }
        }
    }
    while (!IsListEmpty(&expired)) {
        KTIMER *timer = CONTAINING_RECORD(RemoveHeadList(&expired), KTIMER, TimerListEntry);

        KiExpireTimer(timer, now);
    }
    KiReleaseDispatcherLockFromDpcLevel();
}

void KiQueryTimerCounts(ULONG *count, ULONG *armed)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    ULONG found = 0;

    for (ULONG i = 0; i < TIMER_TABLE_SIZE; i++) {
        for (LIST_ENTRY *entry = KiTimerTable[i].Flink; entry != &KiTimerTable[i];
             entry = entry->Flink)
            found++;
    }
    *count = KiTimerCount;
    *armed = found;
    KiReleaseDispatcherLock(oldIrql);
}

// The tick at which the first armed timer falls due; ~0 when none is armed.
// For the tickless idle (kernel/ke/idleclock.c), interrupts off on the only
// processor. Buckets are looked at in the order of the ticks they stand for,
// so a timer due soon ends the search at once.
ULONG64 KiNextTimerDueTick(void)
{
    ULONG64 now = KeTickCount, earliest = ~0ULL;

    if (!KiTimerCount)
        return earliest;
    for (ULONG64 tick = now + 1; tick <= now + TIMER_TABLE_SIZE; tick++) {
        LIST_ENTRY *bucket = &KiTimerTable[tick % TIMER_TABLE_SIZE];

        for (LIST_ENTRY *entry = bucket->Flink; entry != bucket; entry = entry->Flink) {
            KTIMER *timer = CONTAINING_RECORD(entry, KTIMER, TimerListEntry);

            if (timer->DueTime < earliest)
                earliest = timer->DueTime;
        }
        // Every timer due by `tick` is in a bucket already looked at.
        if (earliest <= tick)
            break;
    }
    return earliest;
}

// From the clock interrupt: hand expiry to the DPC when any timer is armed.
void KiTimerTick(void)
{
    if (KiTimerCount)
        KeInsertQueueDpc(&KiTimerExpireDpc, NULL, NULL);
    else
        KiTimerLastTick = KeTickCount;
}

void KiInitializeTimers(void)
{
    for (ULONG i = 0; i < TIMER_TABLE_SIZE; i++)
        InitializeListHead(&KiTimerTable[i]);
    KeInitializeDpc(&KiTimerExpireDpc, KiTimerExpiration, NULL);
    KiTimerLastTick = KeTickCount;
}
