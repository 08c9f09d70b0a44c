// xHCI ring bookkeeping (ring.h). The controller reads a TRB as soon as its
// cycle bit matches, so that bit is written last, after a compiler barrier
// (x86 keeps stores in order for the device).

#include "drivers/xhci/ring.h"

#define XHCI_STORE_BARRIER() __asm__ __volatile__("" ::: "memory")

void XhciRingInitialize(XHCI_RING *ring, XHCI_TRB *trbs, ULONG64 physical, ULONG count)
{
    XHCI_TRB *link = &trbs[count - 1];

    ring->Trbs = trbs;
    ring->Physical = physical;
    ring->Count = count;
    ring->Enqueue = 0;
    ring->Cycle = 1;
    // The Link TRB's cycle bit stays 0 (not yet the controller's) until the
    // producer reaches it.
    link->Parameter = physical;
    link->Status = 0;
    link->Control = TRB_MAKE_TYPE(TRB_LINK) | TRB_TOGGLE_CYCLE;
}

ULONG64 XhciRingEnqueue(XHCI_RING *ring, ULONG64 parameter, ULONG status, ULONG control)
{
    XHCI_TRB *trb = &ring->Trbs[ring->Enqueue];
    ULONG64 physical = ring->Physical + (ULONG64)ring->Enqueue * sizeof(XHCI_TRB);

    trb->Parameter = parameter;
    trb->Status = status;
    XHCI_STORE_BARRIER();
    trb->Control = (control & ~TRB_CYCLE) | ring->Cycle;
    XHCI_STORE_BARRIER();
    ring->Enqueue++;
    if (ring->Enqueue == ring->Count - 1) {
        // Hand the Link TRB over with the current cycle, keeping a chain bit
        // the TRB before it set (a TD must not end at a link), then wrap.
        XHCI_TRB *link = &ring->Trbs[ring->Count - 1];
        ULONG chain = control & TRB_CHAIN;

        link->Control = TRB_MAKE_TYPE(TRB_LINK) | TRB_TOGGLE_CYCLE | chain | ring->Cycle;
        XHCI_STORE_BARRIER();
        ring->Enqueue = 0;
        ring->Cycle ^= 1;
    }
    return physical;
}

void XhciEventRingInitialize(XHCI_EVENT_RING *ring, XHCI_TRB *trbs, ULONG64 physical,
                             ULONG count)
{
    ring->Trbs = trbs;
    ring->Physical = physical;
    ring->Count = count;
    ring->Dequeue = 0;
    ring->Cycle = 1;
}

BOOLEAN XhciEventRingNext(XHCI_EVENT_RING *ring, XHCI_TRB *event)
{
    volatile XHCI_TRB *trb = &ring->Trbs[ring->Dequeue];

    if ((trb->Control & TRB_CYCLE) != ring->Cycle)
        return FALSE;
    XHCI_STORE_BARRIER();
    event->Parameter = trb->Parameter;
    event->Status = trb->Status;
    event->Control = trb->Control;
    ring->Dequeue++;
    if (ring->Dequeue == ring->Count) {
        ring->Dequeue = 0;
        ring->Cycle ^= 1;
    }
    return TRUE;
}

ULONG64 XhciEventRingDequeuePointer(const XHCI_EVENT_RING *ring)
{
    return ring->Physical + (ULONG64)ring->Dequeue * sizeof(XHCI_TRB);
}
