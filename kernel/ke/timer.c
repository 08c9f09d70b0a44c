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

// Ticks from now until `dueTime` (NT's convention: negative relative,
// positive absolute system time); at least one tick, since "now" is already
// part way through the current tick.
static ULONG64 KiDueTimeToTick(LARGE_INTEGER dueTime)
{
    LONG64 relative;

    if (dueTime.QuadPart < 0) {
        relative = -dueTime.QuadPart;
    } else {
        LONG64 now = KiBootSystemTime + (LONG64)KeTickCount * HUNDRED_NS_PER_TICK;

        relative = dueTime.QuadPart > now ? dueTime.QuadPart - now : 0;
    }
    return KeTickCount + (ULONG64)(relative + HUNDRED_NS_PER_TICK - 1) / HUNDRED_NS_PER_TICK +
           (relative ? 0 : 1);
}

// Caller holds the dispatcher lock.
static void KiInsertTimer(KTIMER *timer, ULONG64 dueTick)
{
    timer->DueTime = dueTick;
    InsertTailList(&KiTimerTable[dueTick % TIMER_TABLE_SIZE], &timer->TimerListEntry);
    timer->Header.Inserted = TRUE;
    KiTimerCount++;
}

void KiRemoveTimer(KTIMER *timer)
{
    RemoveEntryList(&timer->TimerListEntry);
    timer->Header.Inserted = FALSE;
    KiTimerCount--;
}

// Arms `timer` for `dueTick` (used by waits with a timeout). Caller holds the
// dispatcher lock.
void KiInsertWaitTimer(KTIMER *timer, LARGE_INTEGER timeout)
{
    timer->Header.SignalState = 0;
    timer->Period = 0;
    timer->Dpc = NULL;
    KiInsertTimer(timer, KiDueTimeToTick(timeout));
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

BOOLEAN KeSetTimerEx(KTIMER *timer, LARGE_INTEGER dueTime, LONG period, KDPC *dpc)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    BOOLEAN wasInserted = timer->Header.Inserted;

    if (wasInserted)
        KiRemoveTimer(timer);
    timer->Header.SignalState = 0;
    timer->Header.Absolute = dueTime.QuadPart > 0;
    timer->Dpc = dpc;
    timer->Period = period;
    KiInsertTimer(timer, KiDueTimeToTick(dueTime));
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

// A timer is due: signal it and wake whoever waits on it. A thread's own
// wait timer ends that wait with STATUS_TIMEOUT.
static void KiExpireTimer(KTIMER *timer, ULONG64 now)
{
    KDPC *dpc = timer->Dpc;

    KiRemoveTimer(timer);
    timer->Header.SignalState = 1;
    if (!IsListEmpty(&timer->Header.WaitListHead))
        KiWaitTest(&timer->Header, 0);
    if (timer->Period) {
        ULONG64 periodTicks = ((ULONG64)timer->Period * HUNDRED_NS_PER_MS + HUNDRED_NS_PER_TICK - 1)
                              / HUNDRED_NS_PER_TICK;

        KiInsertTimer(timer, now + (periodTicks ? periodTicks : 1));
    }
    if (dpc)
        KeInsertQueueDpc(dpc, (void *)now, NULL);
}

static void KiTimerExpiration(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    ULONG64 now = KeTickCount;

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
            if (timer->DueTime <= now)
                KiExpireTimer(timer, now);
        }
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
