// Events. A notification event stays signaled until reset and releases every
// waiter; a synchronization (auto-reset) event releases exactly one waiter
// and resets itself as it does.

#include "ke/ke.h"

void KeInitializeEvent(KEVENT *event, EVENT_TYPE type, BOOLEAN state)
{
    event->Header.Type = type == NotificationEvent ? EventNotificationObject
                                                   : EventSynchronizationObject;
    event->Header.Size = sizeof(KEVENT) / sizeof(LONG64);
    event->Header.SignalState = state ? 1 : 0;
    InitializeListHead(&event->Header.WaitListHead);
}

// Returns the previous state. `wait` is NT's hint that a wait follows at
// once; this kernel simply releases the lock (the hint only saves a lock
// round trip on NT).
LONG KeSetEvent(KEVENT *event, KPRIORITY increment, BOOLEAN wait)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    LONG previous = event->Header.SignalState;

    event->Header.SignalState = 1;
    if (previous == 0 && !IsListEmpty(&event->Header.WaitListHead))
        KiWaitTest(&event->Header, increment);
    KiReleaseDispatcherLock(oldIrql);
    return previous;
}

LONG KeResetEvent(KEVENT *event)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    LONG previous = event->Header.SignalState;

    event->Header.SignalState = 0;
    KiReleaseDispatcherLock(oldIrql);
    return previous;
}

void KeClearEvent(KEVENT *event)
{
    event->Header.SignalState = 0;
}

// Signals the event just long enough to release whoever waits now, then
// leaves it not signaled: nobody who waits later sees it.
LONG KePulseEvent(KEVENT *event, KPRIORITY increment, BOOLEAN wait)
{
    KIRQL oldIrql = KiAcquireDispatcherLock();
    LONG previous = event->Header.SignalState;

    if (previous == 0 && !IsListEmpty(&event->Header.WaitListHead)) {
        event->Header.SignalState = 1;
        KiWaitTest(&event->Header, increment);
    }
    event->Header.SignalState = 0;
    KiReleaseDispatcherLock(oldIrql);
    return previous;
}

LONG KeReadStateEvent(KEVENT *event)
{
    return event->Header.SignalState;
}
