// xhci.sys: transfers for class drivers (usbdi.h): control transfers on a
// device's default pipe, its interrupt-IN pipe kept polled, the transfer
// events that end them, and what a hub's slot context says of it. xHCI
// 1.2, 4.6.6 (Configure Endpoint), 4.11 (TRBs), 6.2 (contexts); USB 2.0,
// chapter 9 (requests).

#include "drivers/xhci/xhci.h"
#include "arch/x86_64/x86.h"

#define XHCI_CONTROL_TIMEOUT_MS 1000
#define USB_MAX_INTERRUPT_PACKET 64

#define XHCI_CC_STALL 6
#define TRB_SET_TR_DEQUEUE 16
#define TRB_DIR_IN (1U << 16)
#define TRB_TRT_SHIFT 16
#define XHCI_TRT_OUT 2
#define XHCI_TRT_IN 3

ULONG *XhcipInputContext(USB_DEVICE *device, ULONG index)
{
    return (ULONG *)((UCHAR *)device->InputContextPage + index * device->Controller->ContextSize);
}

// ---- Transfers -----------------------------------------------------------------

static void XhcipQueueInterruptTransfer(USB_DEVICE *device)
{
    XhciRingEnqueue(&device->InterruptRing, MmGetPhysicalAddress(device->InterruptBuffer),
                    device->InterruptLength,
                    TRB_MAKE_TYPE(TRB_NORMAL) | TRB_IOC | TRB_INTERRUPT_ON_SHORT);
    XhcipRingDoorbell(device->Controller, device->Slot, device->InterruptDci);
}

// A transfer event (6.4.2.1), from XhcipProcessEvents: lock held,
// interrupts off. Returns TRUE when it ended a control transfer someone
// waits for.
BOOLEAN XhcipTransferEvent(XHCI_CONTROLLER *controller, const XHCI_TRB *event)
{
    ULONG slot = TRB_SLOT_ID(event->Control);
    ULONG dci = TRB_ENDPOINT_ID(event->Control);
    ULONG code = TRB_COMPLETION_CODE(event->Status);
    ULONG remaining = event->Status & 0xFFFFFF;
    USB_DEVICE *device = slot <= controller->MaxSlots ? controller->Devices[slot] : NULL;

    if (!device || device->Gone)
        return FALSE;
    if (dci == 1) {
        if (code == XHCI_CC_SHORT_PACKET && event->Parameter != device->ControlStatusTrb) {
            device->ControlRemaining = remaining;   // the data stage came up short
            return FALSE;
        }
        device->ControlCode = 0x100 | code;
        return TRUE;
    }
    if (dci != device->InterruptDci || !device->Completion)
        return FALSE;
    if (code == XHCI_CC_SUCCESS || code == XHCI_CC_SHORT_PACKET) {
        ULONG length = remaining <= device->InterruptLength ?
                       device->InterruptLength - remaining : 0;

        device->Completion(device->CompletionContext, device->InterruptBuffer, length);
        XhcipQueueInterruptTransfer(device);
        return FALSE;
    }
    // A halted endpoint takes commands to restart; the keyboard is dead
    // until it is plugged in again.
    DbgPrint("usb: %s: interrupt transfer failed (completion code %u); pipe stopped\n",
             device->Description, code);
    device->Completion = NULL;
    return FALSE;
}

static NTSTATUS XhcipResetControlEndpoint(USB_DEVICE *device)
{
    XHCI_CONTROLLER *controller = device->Controller;
    ULONG64 dequeue;
    BOOLEAN enabled;

    if (XhcipCommand(controller, 0, 0, TRB_MAKE_TYPE(TRB_RESET_ENDPOINT) | (1U << 16) |
                     (device->Slot << 24), NULL) != XHCI_CC_SUCCESS)
        return STATUS_UNSUCCESSFUL;
    enabled = XhcipLock(controller);
    dequeue = device->ControlRing.Physical +
              (ULONG64)device->ControlRing.Enqueue * sizeof(XHCI_TRB);
    dequeue |= device->ControlRing.Cycle;
    XhcipUnlock(controller, enabled);
    if (XhcipCommand(controller, dequeue, 0, TRB_MAKE_TYPE(TRB_SET_TR_DEQUEUE) | (1U << 16) |
                     (device->Slot << 24), NULL) != XHCI_CC_SUCCESS)
        return STATUS_UNSUCCESSFUL;
    return STATUS_SUCCESS;
}

NTSTATUS UsbControlTransfer(USB_DEVICE *device, UCHAR requestType, UCHAR request,
                            USHORT value, USHORT index, void *buffer, USHORT length,
                            ULONG *transferred)
{
    XHCI_CONTROLLER *controller;
    BOOLEAN in = (requestType & USB_DIR_IN) != 0;
    NTSTATUS status = STATUS_IO_TIMEOUT;
    ULONG64 setup;
    ULONG code = 0;
    BOOLEAN enabled;

    if (transferred)
        *transferred = 0;
    if (!device || length > USB_CONTROL_BUFFER_SIZE || (length && !buffer))
        return STATUS_INVALID_PARAMETER;
    controller = device->Controller;
    setup = requestType | ((ULONG64)request << 8) | ((ULONG64)value << 16) |
            ((ULONG64)index << 32) | ((ULONG64)length << 48);

    enabled = XhcipLock(controller);
    if (device->Gone) {
        XhcipUnlock(controller, enabled);
        return STATUS_DEVICE_NOT_CONNECTED;
    }
    if (length && !in)
        memcpy(device->ControlBuffer, buffer, length);
    device->ControlCode = 0;
    device->ControlRemaining = 0;
    KeClearEvent(&controller->CompletionEvent);
    // Setup, data and status stages (4.11.2.2); the status stage goes the
    // other way from the data, IN when there is none.
    XhciRingEnqueue(&device->ControlRing, setup, 8,
                    TRB_MAKE_TYPE(TRB_SETUP_STAGE) | TRB_IDT |
                    ((ULONG)(length ? (in ? XHCI_TRT_IN : XHCI_TRT_OUT) : 0) << TRB_TRT_SHIFT));
    if (length)
        XhciRingEnqueue(&device->ControlRing, MmGetPhysicalAddress(device->ControlBuffer),
                        length, TRB_MAKE_TYPE(TRB_DATA_STAGE) | TRB_INTERRUPT_ON_SHORT |
                        (in ? TRB_DIR_IN : 0));
    device->ControlStatusTrb = XhciRingEnqueue(&device->ControlRing, 0, 0,
                                               TRB_MAKE_TYPE(TRB_STATUS_STAGE) | TRB_IOC |
                                               ((length && in) ? 0 : TRB_DIR_IN));
    XhcipRingDoorbell(controller, device->Slot, 1);
    XhcipUnlock(controller, enabled);

    XhcipWaitCompletion(controller, &device->ControlCode, XHCI_CONTROL_TIMEOUT_MS);
    if (device->ControlCode)
        code = device->ControlCode & 0xFF;
    if (code == XHCI_CC_SUCCESS || code == XHCI_CC_SHORT_PACKET) {
        ULONG moved = length - (device->ControlRemaining <= length ?
                                device->ControlRemaining : length);

        if (in)
            memcpy(buffer, device->ControlBuffer, moved);
        if (transferred)
            *transferred = moved;
        return STATUS_SUCCESS;
    }
    if (code) {
        // A stall halts the default pipe until it is reset (4.6.8).
        if (code == XHCI_CC_STALL)
            XhcipResetControlEndpoint(device);
        return STATUS_UNSUCCESSFUL;
    }
    return status;
}

// The xHCI interval is 2^Interval x 125 us (6.2.3.6): a full or low speed
// device's bInterval counts frames (1 ms), a faster one's is already an
// exponent plus one.
static ULONG XhcipEndpointInterval(ULONG speed, UCHAR bInterval)
{
    ULONG microframes, exponent = 0;

    if (speed == USB_SPEED_HIGH || speed == USB_SPEED_SUPER)
        return bInterval ? (bInterval > 16 ? 15 : bInterval - 1U) : 0;
    microframes = (bInterval ? bInterval : 1) * 8U;
    while ((2U << exponent) <= microframes && exponent < 10)
        exponent++;
    return exponent < 3 ? 3 : exponent;
}

NTSTATUS UsbOpenInterruptInPipe(USB_DEVICE *device, const USB_ENDPOINT_DESCRIPTOR *endpoint,
                                USB_INTERRUPT_COMPLETION completion, void *context)
{
    XHCI_CONTROLLER *controller;
    ULONG number, dci, packet, *icc, *slotContext, *ep;
    XHCI_TRB *trbs;
    BOOLEAN enabled;
    ULONG code;

    if (!device || !endpoint || !completion || !(endpoint->bEndpointAddress & USB_DIR_IN) ||
        (endpoint->bmAttributes & USB_ENDPOINT_TYPE_MASK) != USB_ENDPOINT_TYPE_INTERRUPT)
        return STATUS_INVALID_PARAMETER;
    number = endpoint->bEndpointAddress & 0x0F;
    packet = endpoint->wMaxPacketSize & 0x7FF;
    if (number == 0 || packet == 0 || packet > USB_MAX_INTERRUPT_PACKET)
        return STATUS_NOT_SUPPORTED;
    if (device->InterruptDci)
        return STATUS_DEVICE_ALREADY_ATTACHED;
    controller = device->Controller;
    dci = number * 2 + 1;
    trbs = XhcipAllocatePage(controller);
    if (!trbs)
        return STATUS_INSUFFICIENT_RESOURCES;
    XhciRingInitialize(&device->InterruptRing, trbs, MmGetPhysicalAddress(trbs),
                       XHCI_RING_TRBS);

    // Configure Endpoint (4.6.6): add the endpoint, keep the slot context
    // as Address Device left it (and UsbConfigureHub made it) but for the
    // number of context entries.
    memset(XhcipInputContext(device, 0), 0, controller->ContextSize);
    icc = XhcipInputContext(device, 0);
    icc[1] = 1U | (1U << dci);
    slotContext = XhcipInputContext(device, 1);
    slotContext[0] = (slotContext[0] & ~(0x1FU << 27)) | (dci << 27);
    ep = XhcipInputContext(device, dci + 1);
    memset(ep, 0, controller->ContextSize);
    ep[0] = XhcipEndpointInterval(device->Speed, endpoint->bInterval) << 16;
    ep[1] = (3U << 1) | (XHCI_EP_INTERRUPT_IN << 3) | (packet << 16);
    ep[2] = (ULONG)device->InterruptRing.Physical | 1;      // dequeue cycle state 1
    ep[3] = (ULONG)(device->InterruptRing.Physical >> 32);
    ep[4] = packet | (packet << 16);        // average TRB length, max ESIT payload
    code = XhcipCommand(controller, MmGetPhysicalAddress(device->InputContextPage), 0,
                        TRB_MAKE_TYPE(TRB_CONFIGURE_ENDPOINT) | (device->Slot << 24), NULL);
    if (code != XHCI_CC_SUCCESS) {
        XhcipFreePage(trbs);
        device->InterruptRing.Trbs = NULL;
        DbgPrint("usb: %s: Configure Endpoint failed (completion code %u)\n",
                 device->Description, code);
        return code ? STATUS_UNSUCCESSFUL : STATUS_IO_TIMEOUT;
    }
    enabled = XhcipLock(controller);
    device->InterruptLength = packet;
    device->Completion = completion;
    device->CompletionContext = context;
    device->InterruptDci = dci;
    if (!device->Gone)
        XhcipQueueInterruptTransfer(device);
    XhcipUnlock(controller, enabled);
    return STATUS_SUCCESS;
}

const char *UsbDeviceDescription(USB_DEVICE *device)
{
    return device ? device->Description : "";
}

ULONG UsbDeviceSpeed(USB_DEVICE *device)
{
    return device ? device->Speed : 0;
}

// The slot context's Hub, MTT, Number of Ports and TT Think Time (6.2.2),
// in the input context Configure Endpoint will carry.
NTSTATUS UsbConfigureHub(USB_DEVICE *hub, ULONG ports, ULONG thinkTime, BOOLEAN multipleTts)
{
    ULONG *slotContext;

    if (!hub || ports == 0 || ports > USB_HUB_MAX_PORTS || thinkTime > 3)
        return STATUS_INVALID_PARAMETER;
    if (hub->InterruptDci)
        return STATUS_INVALID_DEVICE_STATE;
    slotContext = XhcipInputContext(hub, 1);
    slotContext[0] |= (1U << 26) | (multipleTts ? 1U << 25 : 0);
    slotContext[1] = (slotContext[1] & 0x00FFFFFF) | (ports << 24);
    if (hub->Speed == USB_SPEED_HIGH)
        slotContext[2] = (slotContext[2] & ~(3U << 16)) | (thinkTime << 16);
    hub->HubPorts = ports;
    return STATUS_SUCCESS;
}
