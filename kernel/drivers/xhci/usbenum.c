// xhci.sys: the root hub's ports and the devices on them. A system thread
// per controller (the hub thread) looks at a port when the controller
// reports a change (and every second anyway), resets it, gives the device
// a slot and an address (Enable Slot, Address Device), reads its
// descriptors and offers it to the class driver; an unplugged device's
// class driver is told and its slot disabled. Also the interface class
// drivers use (usbdi.h). xHCI 1.2, 4.3 (enumeration), 4.11 (TRBs), 6.2
// (contexts); USB 2.0, chapter 9 (requests).

#include "drivers/xhci/xhci.h"
#include "arch/x86_64/x86.h"

#define XHCI_PORT_RESET_TIMEOUT_MS 500
#define XHCI_CONTROL_TIMEOUT_MS 1000
#define XHCI_HUB_RESCAN_MS 1000
#define USB_MAX_CONFIGURATION 1024
#define USB_CONTROL_BUFFER_SIZE 1024
#define USB_CONFIGURATION_OFFSET 1024   // in the control buffer's page
#define USB_INTERRUPT_BUFFER_OFFSET 2048
#define USB_MAX_INTERRUPT_PACKET 64

#define XHCI_CC_STALL 6
#define TRB_SET_TR_DEQUEUE 16
#define TRB_DIR_IN (1U << 16)
#define TRB_TRT_SHIFT 16
#define XHCI_TRT_OUT 2
#define XHCI_TRT_IN 3

static const USB_CLASS_DRIVER *volatile XhcipClassDriver;

static void *XhcipContext(XHCI_CONTROLLER *controller, void *page, ULONG index)
{
    return (UCHAR *)page + index * controller->ContextSize;
}

// The Input Control Context is index 0 of an input context; the slot
// context index 1; endpoint context DCI at index DCI + 1 (6.2.5).
static ULONG *XhcipInputContext(USB_DEVICE *device, ULONG index)
{
    return XhcipContext(device->Controller, device->InputContextPage, index);
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
    USB_DEVICE *device = NULL;

    for (ULONG port = 1; port <= controller->MaxPorts; port++) {
        if (controller->Devices[port] && controller->Devices[port]->Slot == slot) {
            device = controller->Devices[port];
            break;
        }
    }
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
    // as Address Device left it but for the number of context entries.
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

// ---- Devices ----------------------------------------------------------------------

static void XhcipFreeDevice(USB_DEVICE *device)
{
    XhcipFreePage(device->DeviceContextPage);
    XhcipFreePage(device->InputContextPage);
    XhcipFreePage(device->ControlRing.Trbs);
    XhcipFreePage(device->InterruptRing.Trbs);
    XhcipFreePage(device->ControlBuffer);
    memset(device, 0, sizeof(*device));
}

// Disable Slot (4.6.4): the controller lets go of the device's contexts and
// rings, which may then be freed.
static void XhcipDisableSlot(XHCI_CONTROLLER *controller, USB_DEVICE *device)
{
    ULONG code = XhcipCommand(controller, 0, 0, TRB_MAKE_TYPE(TRB_DISABLE_SLOT) |
                              (device->Slot << 24), NULL);

    if (code != XHCI_CC_SUCCESS) {
        // Still the controller's, maybe: leak the pages rather than have it
        // write into memory someone else was given.
        DbgPrint("usb: %s: Disable Slot failed (completion code %u); its pages are kept\n",
                 device->Description, code);
        return;
    }
    controller->Dcbaa[device->Slot] = 0;
    XhcipFreeDevice(device);
}

static BOOLEAN XhcipResetPort(XHCI_CONTROLLER *controller, ULONG port)
{
    ULONG portsc = XhcipReadPortsc(controller, port);

    if (portsc & PORTSC_PED)
        return TRUE;        // a USB 3 port enables itself once the link trains
    XhcipWritePortsc(controller, port, (portsc & PORTSC_PRESERVE) | PORTSC_PR);
    for (ULONG waited = 0; waited < XHCI_PORT_RESET_TIMEOUT_MS; waited += 16) {
        XhcipDelay(16);
        portsc = XhcipReadPortsc(controller, port);
        if (portsc & PORTSC_PRC) {
            XhcipWritePortsc(controller, port, (portsc & PORTSC_PRESERVE) | PORTSC_PRC);
            XhcipDelay(16);     // reset recovery (USB 2.0, 7.1.7.5: 10 ms)
            return (XhcipReadPortsc(controller, port) & (PORTSC_PED | PORTSC_CCS)) ==
                   (PORTSC_PED | PORTSC_CCS);
        }
    }
    return FALSE;
}

static ULONG XhcipDefaultPacketSize(ULONG speed)
{
    switch (speed) {
    case USB_SPEED_HIGH:
        return 64;
    case USB_SPEED_SUPER:
        return 512;
    default:
        return 8;
    }
}

// Evaluate Context (4.6.7): a full speed device's default pipe learns the
// packet size its device descriptor gives.
static BOOLEAN XhcipSetControlPacketSize(USB_DEVICE *device, ULONG packet)
{
    ULONG *icc = XhcipInputContext(device, 0), *ep0 = XhcipInputContext(device, 2);

    icc[0] = 0;
    icc[1] = 1U << 1;
    ep0[1] = (ep0[1] & 0xFFFF) | (packet << 16);
    return XhcipCommand(device->Controller, MmGetPhysicalAddress(device->InputContextPage), 0,
                        TRB_MAKE_TYPE(TRB_EVALUATE_CONTEXT) | (device->Slot << 24),
                        NULL) == XHCI_CC_SUCCESS;
}

static NTSTATUS XhcipGetDescriptor(USB_DEVICE *device, UCHAR type, void *buffer,
                                   USHORT length, ULONG *transferred)
{
    return UsbControlTransfer(device, USB_DIR_IN | USB_TYPE_STANDARD | USB_RECIPIENT_DEVICE,
                              USB_REQUEST_GET_DESCRIPTOR, (USHORT)(type << 8), 0, buffer,
                              length, transferred);
}

// Reads the device and configuration descriptors once it has an address.
static NTSTATUS XhcipReadDescriptors(USB_DEVICE *device, UCHAR deviceDescriptor[18])
{
    UCHAR header[9];
    ULONG got = 0, total;
    NTSTATUS status;

    status = XhcipGetDescriptor(device, USB_DESCRIPTOR_DEVICE, deviceDescriptor, 8, &got);
    if (!NT_SUCCESS(status) || got < 8)
        return NT_SUCCESS(status) ? STATUS_DEVICE_DATA_ERROR : status;
    if (device->Speed == USB_SPEED_FULL && deviceDescriptor[7] != 8 &&
        (deviceDescriptor[7] == 16 || deviceDescriptor[7] == 32 || deviceDescriptor[7] == 64) &&
        !XhcipSetControlPacketSize(device, deviceDescriptor[7]))
        return STATUS_UNSUCCESSFUL;
    status = XhcipGetDescriptor(device, USB_DESCRIPTOR_DEVICE, deviceDescriptor, 18, &got);
    if (!NT_SUCCESS(status) || got < 18)
        return NT_SUCCESS(status) ? STATUS_DEVICE_DATA_ERROR : status;
    status = XhcipGetDescriptor(device, USB_DESCRIPTOR_CONFIGURATION, header, 9, &got);
    if (!NT_SUCCESS(status) || got < 9)
        return NT_SUCCESS(status) ? STATUS_DEVICE_DATA_ERROR : status;
    total = header[2] | (header[3] << 8);
    if (total < 9)
        return STATUS_DEVICE_DATA_ERROR;
    if (total > USB_MAX_CONFIGURATION)
        total = USB_MAX_CONFIGURATION;
    device->Configuration = device->ControlBuffer + USB_CONFIGURATION_OFFSET;
    status = XhcipGetDescriptor(device, USB_DESCRIPTOR_CONFIGURATION, device->ControlBuffer,
                                (USHORT)total, &got);
    if (!NT_SUCCESS(status))
        return status;
    memcpy(device->Configuration, device->ControlBuffer, got);
    device->ConfigurationLength = got;
    return STATUS_SUCCESS;
}

// Port reset, Enable Slot, Address Device (4.3), descriptors.
static NTSTATUS XhcipEnumeratePort(XHCI_CONTROLLER *controller, ULONG port)
{
    UCHAR deviceDescriptor[18];
    USB_DEVICE *device;
    ULONG slot = 0, code, *slotContext, *ep0, packet;
    BOOLEAN enabled;
    NTSTATUS status;

    if (!XhcipResetPort(controller, port)) {
        DbgPrint("usb: port %u on %s: the device did not come out of reset\n", port,
                 controller->Name);
        return STATUS_IO_TIMEOUT;
    }
    code = XhcipCommand(controller, 0, 0, TRB_MAKE_TYPE(TRB_ENABLE_SLOT), &slot);
    if (code != XHCI_CC_SUCCESS || slot == 0 || slot > controller->MaxSlots) {
        DbgPrint("usb: port %u on %s: Enable Slot failed (completion code %u)\n", port,
                 controller->Name, code);
        return STATUS_UNSUCCESSFUL;
    }
    device = &controller->DeviceStore[port];
    memset(device, 0, sizeof(*device));
    device->Controller = controller;
    device->Port = port;
    device->Slot = slot;
    device->Speed = PORTSC_SPEED(XhcipReadPortsc(controller, port));
    RtlStringPrintf(device->Description, sizeof(device->Description), "port %u on %s", port,
                    controller->Name);
    device->DeviceContextPage = XhcipAllocatePage(controller);
    device->InputContextPage = XhcipAllocatePage(controller);
    device->ControlRing.Trbs = XhcipAllocatePage(controller);
    device->ControlBuffer = XhcipAllocatePage(controller);
    if (!device->DeviceContextPage || !device->InputContextPage || !device->ControlRing.Trbs ||
        !device->ControlBuffer) {
        XhcipDisableSlot(controller, device);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    device->InterruptBuffer = device->ControlBuffer + USB_INTERRUPT_BUFFER_OFFSET;
    XhciRingInitialize(&device->ControlRing, device->ControlRing.Trbs,
                       MmGetPhysicalAddress(device->ControlRing.Trbs), XHCI_RING_TRBS);
    controller->Dcbaa[slot] = MmGetPhysicalAddress(device->DeviceContextPage);

    packet = XhcipDefaultPacketSize(device->Speed);
    XhcipInputContext(device, 0)[1] = 1U | (1U << 1);       // add the slot and EP0
    slotContext = XhcipInputContext(device, 1);
    slotContext[0] = (1U << 27) | (device->Speed << 20);     // one entry, route string 0
    slotContext[1] = port << 16;                             // root hub port
    ep0 = XhcipInputContext(device, 2);
    ep0[1] = (3U << 1) | (XHCI_EP_CONTROL << 3) | (packet << 16);
    ep0[2] = (ULONG)device->ControlRing.Physical | 1;
    ep0[3] = (ULONG)(device->ControlRing.Physical >> 32);
    ep0[4] = 8;                                              // average TRB length

    // Visible to the event processing from here on.
    enabled = XhcipLock(controller);
    controller->Devices[port] = device;
    XhcipUnlock(controller, enabled);

    code = XhcipCommand(controller, MmGetPhysicalAddress(device->InputContextPage), 0,
                        TRB_MAKE_TYPE(TRB_ADDRESS_DEVICE) | (slot << 24), NULL);
    if (code != XHCI_CC_SUCCESS) {
        DbgPrint("usb: %s: Address Device failed (completion code %u)\n",
                 device->Description, code);
        status = STATUS_UNSUCCESSFUL;
    } else {
        status = XhcipReadDescriptors(device, deviceDescriptor);
        if (!NT_SUCCESS(status))
            DbgPrint("usb: %s: descriptors not read: status %08x\n", device->Description,
                     status);
    }
    if (!NT_SUCCESS(status)) {
        enabled = XhcipLock(controller);
        device->Gone = TRUE;
        controller->Devices[port] = NULL;
        XhcipUnlock(controller, enabled);
        XhcipDisableSlot(controller, device);
        return status;
    }
    DbgPrint("usb: %s: device %04x:%04x, %s speed, slot %u\n", device->Description,
             deviceDescriptor[8] | (deviceDescriptor[9] << 8),
             deviceDescriptor[10] | (deviceDescriptor[11] << 8),
             device->Speed == USB_SPEED_LOW ? "low" : device->Speed == USB_SPEED_FULL ? "full" :
             device->Speed == USB_SPEED_HIGH ? "high" : "super", slot);
    return STATUS_SUCCESS;
}

static void XhcipRemoveDevice(XHCI_CONTROLLER *controller, ULONG port)
{
    USB_DEVICE *device = controller->Devices[port];
    BOOLEAN enabled;

    enabled = XhcipLock(controller);
    device->Gone = TRUE;
    device->Completion = NULL;
    controller->Devices[port] = NULL;
    XhcipUnlock(controller, enabled);
    DbgPrint("usb: %s: device removed\n", device->Description);
    if (device->ClassDriver)
        device->ClassDriver->DeviceRemoved(device, device->ClassContext);
    XhcipDisableSlot(controller, device);
}

static void XhcipOfferDevice(USB_DEVICE *device)
{
    const USB_CLASS_DRIVER *classDriver = XhcipClassDriver;
    void *context = NULL;

    if (!classDriver || device->ClassDriver || device->Gone)
        return;
    if (classDriver->DeviceArrived(device, device->Configuration, device->ConfigurationLength,
                                   &context)) {
        device->ClassContext = context;
        device->ClassDriver = classDriver;
    }
}

static void XhcipCheckPort(XHCI_CONTROLLER *controller, ULONG port)
{
    ULONG portsc = XhcipReadPortsc(controller, port);
    BOOLEAN connected = (portsc & PORTSC_CCS) != 0;
    BOOLEAN changed = (portsc & PORTSC_CSC) != 0;

    if (portsc & PORTSC_CHANGE_BITS)
        XhcipWritePortsc(controller, port,
                         (portsc & PORTSC_PRESERVE) | (portsc & PORTSC_CHANGE_BITS));
    if (controller->Devices[port] && (!connected || changed))
        XhcipRemoveDevice(controller, port);
    if (!connected || changed)
        controller->PortFailed[port] = FALSE;
    if (connected && !controller->Devices[port] && !controller->PortFailed[port]) {
        if (NT_SUCCESS(XhcipEnumeratePort(controller, port)))
            XhcipOfferDevice(controller->Devices[port]);
        else
            controller->PortFailed[port] = TRUE;
    }
}

void XhcipHubScan(XHCI_CONTROLLER *controller)
{
    controller->PortChanges = 0;
    for (ULONG port = 1; port <= controller->MaxPorts; port++)
        XhcipCheckPort(controller, port);
    if (controller->OfferPending) {
        controller->OfferPending = FALSE;
        for (ULONG port = 1; port <= controller->MaxPorts; port++) {
            if (controller->Devices[port])
                XhcipOfferDevice(controller->Devices[port]);
        }
    }
}

// Wakes on a port change, and every second anyway (a lost event costs a
// second, not the device). The debugger's poll may be scanning: then this
// round is skipped.
static void XhcipHubThread(void *context)
{
    XHCI_CONTROLLER *controller = context;
    LARGE_INTEGER timeout;

    timeout.QuadPart = -10000LL * XHCI_HUB_RESCAN_MS;
    for (;;) {
        KeWaitForSingleObject(&controller->HubEvent, Executive, KernelMode, FALSE, &timeout);
        if (XhcipTryEnterHub(controller)) {
            XhcipHubScan(controller);
            XhcipLeaveHub(controller);
        }
    }
}

NTSTATUS XhcipStartHubThread(XHCI_CONTROLLER *controller)
{
    return PsCreateSystemThread(NULL, 0, NULL, NULL, NULL, XhcipHubThread, controller);
}

NTSTATUS UsbRegisterClassDriver(const USB_CLASS_DRIVER *classDriver)
{
    const USB_CLASS_DRIVER *expected = NULL;

    if (!classDriver || !classDriver->DeviceArrived || !classDriver->DeviceRemoved)
        return STATUS_INVALID_PARAMETER;
    if (XhcipControllerCount == 0)
        return STATUS_NO_SUCH_DEVICE;
    if (!__atomic_compare_exchange_n(&XhcipClassDriver, &expected, classDriver, FALSE,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return STATUS_DEVICE_ALREADY_ATTACHED;
    // Offered now, so that a keyboard there at boot works at the first
    // prompt (the system is frozen there: the hub thread would not run).
    for (ULONG i = 0; i < XhcipControllerCount; i++) {
        XHCI_CONTROLLER *controller = XhcipControllers[i];

        controller->OfferPending = TRUE;
        while (!XhcipTryEnterHub(controller))
            XhcipDelay(16);
        XhcipHubScan(controller);
        XhcipLeaveHub(controller);
    }
    return STATUS_SUCCESS;
}
