// The xHCI host controller driver's own declarations. Register layouts and
// bit positions from the xHCI specification (1.2), chapters 5 and 6.
#pragma once

#include "io/io.h"
#include "mm/mm.h"
#include "arch/x86_64/haldrv.h"
#include "drivers/xhci/ring.h"
#include "drivers/xhci/usbdi.h"

#define XHCI_MAX_CONTROLLERS 4
#define XHCI_MAX_SLOTS 32               // slots enabled (CONFIG.MaxSlotsEn) at most
#define XHCI_MAX_PORTS 64
#define XHCI_MAX_SCRATCHPADS (PAGE_SIZE / sizeof(ULONG64))
#define XHCI_RING_TRBS (PAGE_SIZE / sizeof(XHCI_TRB))
#define USB_CONTROL_BUFFER_SIZE 1024    // a device's page: control data first
#define USB_CONFIGURATION_OFFSET 1024   // then its configuration descriptor
#define USB_INTERRUPT_BUFFER_OFFSET 2048    // then its interrupt transfers' data
#define XHCI_MAX_DEPTH 5                // hubs below a root port (a route string's nibbles)

// Capability registers (5.3)
#define XHCI_CAPLENGTH 0x00
#define XHCI_HCSPARAMS1 0x04
#define XHCI_HCSPARAMS2 0x08
#define XHCI_HCCPARAMS1 0x10
#define XHCI_DBOFF 0x14
#define XHCI_RTSOFF 0x18
#define HCSPARAMS1_MAX_SLOTS(v) ((v) & 0xFF)
#define HCSPARAMS1_MAX_PORTS(v) (((v) >> 24) & 0xFF)
#define HCSPARAMS2_SCRATCHPADS(v) ((((v) >> 21) & 0x1F) << 5 | (((v) >> 27) & 0x1F))
#define HCCPARAMS1_AC64 0x1
#define HCCPARAMS1_CSZ 0x4              // 64-byte contexts
#define HCCPARAMS1_PPC 0x8              // port power control
#define HCCPARAMS1_XECP(v) (((v) >> 16) & 0xFFFF)

// Operational registers (5.4), from CAPLENGTH
#define XHCI_USBCMD 0x00
#define XHCI_USBSTS 0x04
#define XHCI_PAGESIZE 0x08
#define XHCI_CRCR 0x18
#define XHCI_DCBAAP 0x30
#define XHCI_CONFIG 0x38
#define XHCI_PORTSC(port) (0x400 + 0x10 * ((port) - 1))
#define USBCMD_RUN 0x1
#define USBCMD_HCRST 0x2
#define USBCMD_INTE 0x4
#define USBSTS_HCH 0x1                  // halted
#define USBSTS_HSE 0x4
#define USBSTS_EINT 0x8
#define USBSTS_PCD 0x10
#define USBSTS_CNR 0x800                // controller not ready
#define USBSTS_HCE 0x1000
#define CRCR_RCS 0x1

#define PORTSC_CCS (1U << 0)            // a device is connected
#define PORTSC_PED (1U << 1)            // enabled (write 1: disable)
#define PORTSC_PR (1U << 4)             // reset
#define PORTSC_PP (1U << 9)             // powered
#define PORTSC_SPEED(v) (((v) >> 10) & 0xF)
#define PORTSC_CSC (1U << 17)
#define PORTSC_PEC (1U << 18)
#define PORTSC_WRC (1U << 19)
#define PORTSC_OCC (1U << 20)
#define PORTSC_PRC (1U << 21)
#define PORTSC_PLC (1U << 22)
#define PORTSC_CEC (1U << 23)
#define PORTSC_CHANGE_BITS (PORTSC_CSC | PORTSC_PEC | PORTSC_WRC | PORTSC_OCC | PORTSC_PRC | \
                            PORTSC_PLC | PORTSC_CEC)
// Bits written back as read when changing others: power, indicator and wake
// enables. PED and the change bits clear on a 1 and so are written as 0.
#define PORTSC_PRESERVE ((1U << 9) | (3U << 14) | (7U << 25))

// Runtime registers (5.5), from RTSOFF: interrupter 0
#define XHCI_IMAN 0x20
#define XHCI_IMOD 0x24
#define XHCI_ERSTSZ 0x28
#define XHCI_ERSTBA 0x30
#define XHCI_ERDP 0x38
#define IMAN_IP 0x1
#define IMAN_IE 0x2
#define ERDP_EHB 0x8

// Extended capabilities (7): USB legacy support (7.1)
#define XECP_ID(v) ((v) & 0xFF)
#define XECP_NEXT(v) (((v) >> 8) & 0xFF)
#define XECP_LEGACY_SUPPORT 1
#define USBLEGSUP_BIOS_OWNED (1U << 16)
#define USBLEGSUP_OS_OWNED (1U << 24)
#define USBLEGCTLSTS_SMI_ENABLES ((1U << 0) | (1U << 4) | (1U << 13) | (1U << 14) | (1U << 15))
#define USBLEGCTLSTS_SMI_EVENTS ((1U << 29) | (1U << 30) | (1U << 31))

// Completion codes (6.4.5)
#define XHCI_CC_SUCCESS 1
#define XHCI_CC_SHORT_PACKET 13
#define TRB_COMPLETION_CODE(status) ((status) >> 24)
#define TRB_SLOT_ID(control) ((control) >> 24)
#define TRB_ENDPOINT_ID(control) (((control) >> 16) & 0x1F)

// Endpoint types (6.2.3)
#define XHCI_EP_CONTROL 4
#define XHCI_EP_INTERRUPT_IN 7

typedef struct _XHCI_CONTROLLER XHCI_CONTROLLER;

// A device on a root port or behind a hub: its slot, rings, place in the
// tree and the class driver holding it.
struct _USB_DEVICE {
    XHCI_CONTROLLER *Controller;
    ULONG Port;                         // the root hub port it is under
    ULONG Slot;
    ULONG Speed;
    USB_DEVICE *Parent;                 // the hub it is on; NULL on a root port
    ULONG ParentPort;                   // its port on that hub
    ULONG Depth;                        // hubs between it and the root port
    ULONG RouteString;                  // 6.2.2: a hub port a nibble, tier 1 lowest
    ULONG TtSlot, TtPort;               // the high-speed hub translating for it (4.3.3)
    ULONG HubPorts;                     // a hub: its ports (UsbConfigureHub)
    volatile BOOLEAN WorkPending;       // UsbRequestDeviceWork was called
    volatile BOOLEAN Gone;              // unplugged: no transfer is queued again
    char Path[20];                      // "3", "3.1.4": root port, then hub ports
    char Description[48];
    void *DeviceContextPage;            // the controller's output contexts
    void *InputContextPage;
    XHCI_RING ControlRing;
    XHCI_RING InterruptRing;
    ULONG InterruptDci;                 // 0: no interrupt pipe
    ULONG InterruptLength;
    UCHAR *InterruptBuffer;             // a page, also the control transfers' buffer
    UCHAR *ControlBuffer;
    USB_INTERRUPT_COMPLETION Completion;
    void *CompletionContext;
    const USB_CLASS_DRIVER *ClassDriver;
    void *ClassContext;
    UCHAR *Configuration;               // the configuration descriptor, whole
    ULONG ConfigurationLength;
    volatile ULONG64 ControlStatusTrb;  // the status stage waited for
    volatile ULONG ControlCode;         // 0x100 | completion code; 0 while pending
    volatile ULONG ControlRemaining;    // bytes the data stage did not move
};

struct _XHCI_CONTROLLER {
    ULONG Bus, Slot;                    // PCI location (slot as PCI_SLOT_NUMBER)
    char Name[16];                      // "00:04.0"
    volatile UCHAR *Capability;
    volatile UCHAR *Operational;
    volatile UCHAR *Runtime;
    volatile ULONG *Doorbells;
    ULONG MaxSlots, MaxPorts, ContextSize;
    ULONG64 HighestAddress;             // what the controller can reach (AC64)
    ULONG64 *Dcbaa;
    ULONG64 *ScratchpadArray;
    XHCI_RING CommandRing;
    XHCI_EVENT_RING EventRing;
    void *ErstPage;
    KSPIN_LOCK Lock;                    // taken with interrupts off: rings, devices
    volatile BOOLEAN Processing;        // in XhcipProcessEvents (a fault in it, then the poll)
    volatile ULONG64 CommandTrb;        // the command waited for
    volatile ULONG CommandCode;         // its completion code, 0 while pending
    volatile ULONG CommandSlot;
    volatile LONG HubBusy;              // owned by whoever scans ports and issues commands
    KEVENT CompletionEvent;             // a command or control transfer finished
    KEVENT HubEvent;                    // a port changed
    KDPC Dpc;
    volatile ULONG PortChanges;         // set by the event processing
    ULONG Vector;                       // 0: polled
    const char *InterruptKind;          // "MSI" or "MSI-X"
    KTIMER PollTimer;
    KDPC PollDpc;
    USB_DEVICE *RootDevices[XHCI_MAX_PORTS + 1];    // by root port
    USB_DEVICE *Devices[XHCI_MAX_SLOTS + 1];        // by slot, hubs' devices too
    USB_DEVICE DeviceStore[XHCI_MAX_SLOTS + 1];     // no pool: the poll may enumerate
    BOOLEAN PortFailed[XHCI_MAX_PORTS + 1];         // enumeration failed: wait for a replug
    volatile BOOLEAN OfferPending;      // a class driver registered: offer the devices
};

// xhcihw.c
void XhcipProcessEvents(XHCI_CONTROLLER *controller);
void XhcipLockedProcessEvents(XHCI_CONTROLLER *controller);
// Issues a command and waits for its completion (at most a second);
// returns the completion code (0 on a timeout), the slot in *slot.
ULONG XhcipCommand(XHCI_CONTROLLER *controller, ULONG64 parameter, ULONG status,
                   ULONG control, ULONG *slot);
void XhcipRingDoorbell(XHCI_CONTROLLER *controller, ULONG slot, ULONG target);
ULONG XhcipReadPortsc(XHCI_CONTROLLER *controller, ULONG port);
void XhcipWritePortsc(XHCI_CONTROLLER *controller, ULONG port, ULONG value);
BOOLEAN XhcipLock(XHCI_CONTROLLER *controller);
void XhcipUnlock(XHCI_CONTROLLER *controller, BOOLEAN enabled);
void *XhcipAllocatePage(XHCI_CONTROLLER *controller);
void XhcipFreePage(void *page);
void XhcipDelay(ULONG milliseconds);
// Waits for *code to become non-zero, at most timeoutMs: blocking on the
// completion event from a thread, spinning on the event ring with
// interrupts off (the debugger's poll, while the system is frozen).
void XhcipWaitCompletion(XHCI_CONTROLLER *controller, volatile ULONG *code, ULONG timeoutMs);
BOOLEAN XhcipTryEnterHub(XHCI_CONTROLLER *controller);
void XhcipLeaveHub(XHCI_CONTROLLER *controller);

// transfer.c
// The Input Control Context is index 0 of an input context; the slot
// context index 1; endpoint context DCI at index DCI + 1 (6.2.5).
ULONG *XhcipInputContext(USB_DEVICE *device, ULONG index);
BOOLEAN XhcipTransferEvent(XHCI_CONTROLLER *controller, const XHCI_TRB *event);

// usbenum.c
NTSTATUS XhcipStartHubThread(XHCI_CONTROLLER *controller);
// Looks at every port, enumerates what was plugged in, removes what was
// pulled out, offers devices to a newly registered class driver. The
// caller owns the hub (XhcipTryEnterHub).
void XhcipHubScan(XHCI_CONTROLLER *controller);

// ehci.c: the USB 2 controllers beside xHCI, taken from the firmware.
void XhcipRouteIntelPorts(ULONG bus, ULONG slot);
void XhcipTakeEhciController(ULONG bus, ULONG slot);

extern XHCI_CONTROLLER *XhcipControllers[XHCI_MAX_CONTROLLERS];
extern ULONG XhcipControllerCount;
