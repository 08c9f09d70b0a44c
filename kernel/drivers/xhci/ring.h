// xHCI rings (xHCI 1.2, section 4.9): the command and transfer rings the
// driver produces into, the event ring it consumes. Pure bookkeeping over
// memory: no register is touched here, so the host tests drive it.
#pragma once

#include "ndk/ntdef.h"

// A Transfer Request Block: 16 bytes, the last dword's bit 0 the cycle bit.
typedef struct _XHCI_TRB {
    ULONG64 Parameter;
    ULONG Status;
    ULONG Control;
} XHCI_TRB;

#define TRB_CYCLE 0x1U
#define TRB_TOGGLE_CYCLE 0x2U           // Link TRB: flip the producer's cycle state
#define TRB_INTERRUPT_ON_SHORT 0x4U
#define TRB_CHAIN 0x10U
#define TRB_IOC 0x20U                   // interrupt on completion
#define TRB_IDT 0x40U                   // immediate data (a Setup Stage's packet)
#define TRB_TYPE_SHIFT 10
#define TRB_TYPE(control) (((control) >> TRB_TYPE_SHIFT) & 0x3F)
#define TRB_MAKE_TYPE(type) ((ULONG)(type) << TRB_TYPE_SHIFT)

#define TRB_NORMAL 1
#define TRB_SETUP_STAGE 2
#define TRB_DATA_STAGE 3
#define TRB_STATUS_STAGE 4
#define TRB_LINK 6
#define TRB_ENABLE_SLOT 9
#define TRB_DISABLE_SLOT 10
#define TRB_ADDRESS_DEVICE 11
#define TRB_CONFIGURE_ENDPOINT 12
#define TRB_EVALUATE_CONTEXT 13
#define TRB_RESET_ENDPOINT 14
#define TRB_NOOP_COMMAND 23
#define TRB_TRANSFER_EVENT 32
#define TRB_COMMAND_COMPLETION_EVENT 33
#define TRB_PORT_STATUS_CHANGE_EVENT 34
#define TRB_HOST_CONTROLLER_EVENT 37

// A producer ring of one segment (one page: 256 TRBs) closed by a Link TRB
// back to its start that toggles the cycle state.
typedef struct _XHCI_RING {
    XHCI_TRB *Trbs;
    ULONG64 Physical;
    ULONG Count;            // TRBs in the segment, the Link TRB included
    ULONG Enqueue;          // the next TRB the driver writes
    ULONG Cycle;            // the producer cycle state (0 or 1)
} XHCI_RING;

// `trbs` zeroed; count >= 2.
void XhciRingInitialize(XHCI_RING *ring, XHCI_TRB *trbs, ULONG64 physical, ULONG count);
// Writes one TRB (its cycle bit last) and moves on, crossing the Link TRB
// when it is reached. Returns the physical address of the TRB written,
// which is what the controller's completion event names.
ULONG64 XhciRingEnqueue(XHCI_RING *ring, ULONG64 parameter, ULONG status, ULONG control);

// The event ring: one segment the controller produces into; the driver
// consumes while a TRB's cycle bit matches its consumer cycle state.
typedef struct _XHCI_EVENT_RING {
    XHCI_TRB *Trbs;
    ULONG64 Physical;
    ULONG Count;
    ULONG Dequeue;
    ULONG Cycle;            // the consumer cycle state, 1 at the start
} XHCI_EVENT_RING;

void XhciEventRingInitialize(XHCI_EVENT_RING *ring, XHCI_TRB *trbs, ULONG64 physical,
                             ULONG count);
// Copies the next event to *event and consumes it; FALSE when the ring holds
// none the controller has written since.
BOOLEAN XhciEventRingNext(XHCI_EVENT_RING *ring, XHCI_TRB *event);
// The address to write to ERDP: the next TRB the driver will read.
ULONG64 XhciEventRingDequeuePointer(const XHCI_EVENT_RING *ring);
