// xhci.sys: the devices, on the root hub's ports and behind hubs. A
// system thread per controller (the hub thread) looks at a root port when
// the controller reports a change (and every second anyway), resets it,
// gives the device a slot and an address (Enable Slot, Address Device),
// reads its descriptors and offers it to the class drivers; an unplugged
// device's class driver is told and its slot disabled. Behind a hub the
// hub driver (usbhub.sys) watches the ports and calls UsbEnumerateHubPort
// and UsbRemoveHubPort from its DeviceWork, which the same thread runs.
// xHCI 1.2, 4.3 (enumeration), 4.6 (commands), 6.2 (contexts); USB 2.0,
// chapters 9 and 11.

#include "drivers/xhci/xhci.h"
#include "arch/x86_64/x86.h"

#define XHCI_PORT_RESET_TIMEOUT_MS 500
#define XHCI_HUB_RESCAN_MS 1000
#define USB_MAX_CONFIGURATION 1024

static const USB_CLASS_DRIVER *volatile XhcipClassDrivers[USB_MAX_CLASS_DRIVERS];

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

static const char *XhcipSpeedName(ULONG speed)
{
    return speed == USB_SPEED_LOW ? "low" : speed == USB_SPEED_FULL ? "full" :
           speed == USB_SPEED_HIGH ? "high" : "super";
}

// Unlinks the device from the tables the event processing reads.
static void XhcipUnlinkDevice(XHCI_CONTROLLER *controller, USB_DEVICE *device)
{
    BOOLEAN enabled = XhcipLock(controller);

    device->Gone = TRUE;
    device->Completion = NULL;
    controller->Devices[device->Slot] = NULL;
    if (!device->Parent && controller->RootDevices[device->Port] == device)
        controller->RootDevices[device->Port] = NULL;
    XhcipUnlock(controller, enabled);
}

// Enable Slot, Address Device (4.3.2-4.3.4), descriptors: for the device
// on root port `port` (parent NULL) or on port `port` of hub `parent`,
// already reset. The slot context names where it is: the root port, the
// route string of hub ports below it (6.2.2: tier 1 in the lowest nibble),
// and for a low or full speed device behind a high speed hub that hub's
// transaction translator (its slot and port, 4.3.3).
static NTSTATUS XhcipAddressDevice(XHCI_CONTROLLER *controller, USB_DEVICE *parent, ULONG port,
                                   ULONG speed, USB_DEVICE **result)
{
    UCHAR deviceDescriptor[18];
    USB_DEVICE *device;
    ULONG slot = 0, code, *slotContext, *ep0, packet;
    BOOLEAN enabled;
    NTSTATUS status;

    code = XhcipCommand(controller, 0, 0, TRB_MAKE_TYPE(TRB_ENABLE_SLOT), &slot);
    if (code != XHCI_CC_SUCCESS || slot == 0 || slot > controller->MaxSlots ||
        controller->Devices[slot]) {
        DbgPrint("usb: port %s%s%u on %s: Enable Slot failed (completion code %u)\n",
                 parent ? parent->Path : "", parent ? "." : "", port, controller->Name, code);
        return STATUS_UNSUCCESSFUL;
    }
    device = &controller->DeviceStore[slot];
    memset(device, 0, sizeof(*device));
    device->Controller = controller;
    device->Slot = slot;
    device->Speed = speed;
    if (parent) {
        device->Port = parent->Port;
        device->Parent = parent;
        device->ParentPort = port;
        device->Depth = parent->Depth + 1;
        device->RouteString = parent->RouteString | (port << (4 * (device->Depth - 1)));
        if (parent->Speed == USB_SPEED_HIGH) {
            device->TtSlot = parent->Slot;
            device->TtPort = port;
        } else {
            device->TtSlot = parent->TtSlot;
            device->TtPort = parent->TtPort;
        }
        RtlStringPrintf(device->Path, sizeof(device->Path), "%s.%u", parent->Path, port);
    } else {
        device->Port = port;
        RtlStringPrintf(device->Path, sizeof(device->Path), "%u", port);
    }
    RtlStringPrintf(device->Description, sizeof(device->Description), "port %s on %s",
                    device->Path, controller->Name);
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

    packet = XhcipDefaultPacketSize(speed);
    XhcipInputContext(device, 0)[1] = 1U | (1U << 1);       // add the slot and EP0
    slotContext = XhcipInputContext(device, 1);
    slotContext[0] = (1U << 27) | (speed << 20) | device->RouteString;     // one entry
    slotContext[1] = device->Port << 16;                    // root hub port
    if (device->TtSlot && (speed == USB_SPEED_LOW || speed == USB_SPEED_FULL))
        slotContext[2] = device->TtSlot | (device->TtPort << 8);
    ep0 = XhcipInputContext(device, 2);
    ep0[1] = (3U << 1) | (XHCI_EP_CONTROL << 3) | (packet << 16);
    ep0[2] = (ULONG)device->ControlRing.Physical | 1;
    ep0[3] = (ULONG)(device->ControlRing.Physical >> 32);
    ep0[4] = 8;                                              // average TRB length

    // Visible to the event processing from here on.
    enabled = XhcipLock(controller);
    controller->Devices[slot] = device;
    if (!parent)
        controller->RootDevices[port] = device;
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
        XhcipUnlinkDevice(controller, device);
        XhcipDisableSlot(controller, device);
        return status;
    }
    DbgPrint("usb: %s: device %04x:%04x, %s speed, slot %u%s\n", device->Description,
             deviceDescriptor[8] | (deviceDescriptor[9] << 8),
             deviceDescriptor[10] | (deviceDescriptor[11] << 8), XhcipSpeedName(speed), slot,
             deviceDescriptor[4] == 9 ? ", a hub" : "");
    *result = device;
    return STATUS_SUCCESS;
}

// Port reset, then the device on it.
static NTSTATUS XhcipEnumeratePort(XHCI_CONTROLLER *controller, ULONG port)
{
    USB_DEVICE *device;

    if (!XhcipResetPort(controller, port)) {
        DbgPrint("usb: port %u on %s: the device did not come out of reset\n", port,
                 controller->Name);
        return STATUS_IO_TIMEOUT;
    }
    return XhcipAddressDevice(controller, NULL, port,
                              PORTSC_SPEED(XhcipReadPortsc(controller, port)), &device);
}

// What is behind a hub goes first, deepest first (at most XHCI_MAX_DEPTH
// levels of recursion); then the class driver is told and the slot disabled.
static void XhcipRemoveDevice(XHCI_CONTROLLER *controller, USB_DEVICE *device)
{
    for (ULONG slot = 1; slot <= controller->MaxSlots; slot++) {
        USB_DEVICE *child = controller->Devices[slot];

        if (child && child->Parent == device)
            XhcipRemoveDevice(controller, child);
    }
    XhcipUnlinkDevice(controller, device);
    DbgPrint("usb: %s: device removed\n", device->Description);
    if (device->ClassDriver)
        device->ClassDriver->DeviceRemoved(device, device->ClassContext);
    XhcipDisableSlot(controller, device);
}

// To each class driver in turn, until one takes it.
static void XhcipOfferDevice(USB_DEVICE *device)
{
    for (ULONG i = 0; i < USB_MAX_CLASS_DRIVERS && !device->ClassDriver && !device->Gone; i++) {
        const USB_CLASS_DRIVER *classDriver = XhcipClassDrivers[i];
        void *context = NULL;

        if (!classDriver)
            break;
        if (classDriver->DeviceArrived(device, device->Configuration,
                                       device->ConfigurationLength, &context)) {
            device->ClassContext = context;
            device->ClassDriver = classDriver;
        }
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
    if (controller->RootDevices[port] && (!connected || changed))
        XhcipRemoveDevice(controller, controller->RootDevices[port]);
    if (!connected || changed)
        controller->PortFailed[port] = FALSE;
    if (connected && !controller->RootDevices[port] && !controller->PortFailed[port]) {
        if (NT_SUCCESS(XhcipEnumeratePort(controller, port)))
            XhcipOfferDevice(controller->RootDevices[port]);
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
        for (ULONG slot = 1; slot <= controller->MaxSlots; slot++) {
            if (controller->Devices[slot])
                XhcipOfferDevice(controller->Devices[slot]);
        }
    }
    // The class drivers' work (a hub's port changes). A device removed
    // meanwhile is no longer in the table.
    for (ULONG slot = 1; slot <= controller->MaxSlots; slot++) {
        USB_DEVICE *device = controller->Devices[slot];

        if (device && device->WorkPending) {
            device->WorkPending = FALSE;
            if (device->ClassDriver && device->ClassDriver->DeviceWork)
                device->ClassDriver->DeviceWork(device, device->ClassContext);
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
    ULONG i;

    if (!classDriver || !classDriver->DeviceArrived || !classDriver->DeviceRemoved)
        return STATUS_INVALID_PARAMETER;
    if (XhcipControllerCount == 0)
        return STATUS_NO_SUCH_DEVICE;
    for (i = 0; i < USB_MAX_CLASS_DRIVERS; i++) {
        const USB_CLASS_DRIVER *expected = NULL;

        if (__atomic_compare_exchange_n(&XhcipClassDrivers[i], &expected, classDriver, FALSE,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            break;
        if (expected == classDriver)
            return STATUS_DEVICE_ALREADY_ATTACHED;
    }
    if (i == USB_MAX_CLASS_DRIVERS)
        return STATUS_INSUFFICIENT_RESOURCES;
    // Offered now, so that a keyboard there at boot works at the first
    // prompt (the system is frozen there: the hub thread would not run).
    for (i = 0; i < XhcipControllerCount; i++) {
        XHCI_CONTROLLER *controller = XhcipControllers[i];

        controller->OfferPending = TRUE;
        while (!XhcipTryEnterHub(controller))
            XhcipDelay(16);
        XhcipHubScan(controller);
        XhcipLeaveHub(controller);
    }
    return STATUS_SUCCESS;
}

static BOOLEAN XhcipInterfaceMatches(const USB_INTERFACE_DESCRIPTOR *interface, LONG class,
                                     LONG subClass, LONG protocol)
{
    return interface->bAlternateSetting == 0 && interface->bInterfaceClass == class &&
           (subClass == -1 || interface->bInterfaceSubClass == subClass) &&
           (protocol == -1 || interface->bInterfaceProtocol == protocol);
}

const USB_ENDPOINT_DESCRIPTOR *UsbFindInterruptInEndpoint(const UCHAR *configuration, ULONG length,
                                                          LONG interfaceClass,
                                                          LONG interfaceSubClass,
                                                          LONG interfaceProtocol,
                                                          const USB_INTERFACE_DESCRIPTOR **interface)
{
    const USB_INTERFACE_DESCRIPTOR *current = NULL;

    for (ULONG at = 0; configuration && at + 2 <= length;) {
        UCHAR size = configuration[at], type = configuration[at + 1];

        if (size < 2 || at + size > length)
            break;
        if (type == USB_DESCRIPTOR_INTERFACE && size >= sizeof(USB_INTERFACE_DESCRIPTOR)) {
            current = (const void *)(configuration + at);
            if (!XhcipInterfaceMatches(current, interfaceClass, interfaceSubClass,
                                       interfaceProtocol))
                current = NULL;
        } else if (type == USB_DESCRIPTOR_ENDPOINT && current &&
                   size >= sizeof(USB_ENDPOINT_DESCRIPTOR)) {
            const USB_ENDPOINT_DESCRIPTOR *endpoint = (const void *)(configuration + at);

            if ((endpoint->bEndpointAddress & USB_DIR_IN) &&
                (endpoint->bmAttributes & USB_ENDPOINT_TYPE_MASK) == USB_ENDPOINT_TYPE_INTERRUPT) {
                if (interface)
                    *interface = current;
                return endpoint;
            }
        }
        at += size;
    }
    return NULL;
}

void UsbRequestDeviceWork(USB_DEVICE *device)
{
    if (!device)
        return;
    device->WorkPending = TRUE;
    __atomic_fetch_add(&device->Controller->PortChanges, 1, __ATOMIC_SEQ_CST);
    KeInsertQueueDpc(&device->Controller->Dpc, NULL, NULL);
}

void UsbDeferDeviceWork(USB_DEVICE *device)
{
    if (device)
        device->WorkPending = TRUE;     // XhcipHubThread's next timed round runs it
}

void UsbDelay(ULONG milliseconds)
{
    XhcipDelay(milliseconds);
}

static USB_DEVICE *XhcipHubPortDevice(USB_DEVICE *hub, ULONG port)
{
    XHCI_CONTROLLER *controller = hub->Controller;

    for (ULONG slot = 1; slot <= controller->MaxSlots; slot++) {
        USB_DEVICE *device = controller->Devices[slot];

        if (device && device->Parent == hub && device->ParentPort == port)
            return device;
    }
    return NULL;
}

NTSTATUS UsbEnumerateHubPort(USB_DEVICE *hub, ULONG port, ULONG speed, USB_DEVICE **device)
{
    NTSTATUS status;

    if (!hub || !device || port == 0 || port > hub->HubPorts ||
        (speed != USB_SPEED_LOW && speed != USB_SPEED_FULL && speed != USB_SPEED_HIGH))
        return STATUS_INVALID_PARAMETER;
    *device = NULL;
    if (hub->Gone)
        return STATUS_DEVICE_NOT_CONNECTED;
    if (XhcipHubPortDevice(hub, port))
        return STATUS_DEVICE_ALREADY_ATTACHED;
    if (hub->Depth + 1 > XHCI_MAX_DEPTH) {
        DbgPrint("usb: port %s.%u on %s: more than %u hubs deep; not enumerated\n", hub->Path,
                 port, hub->Controller->Name, XHCI_MAX_DEPTH);
        return STATUS_NOT_SUPPORTED;
    }
    status = XhcipAddressDevice(hub->Controller, hub, port, speed, device);
    if (NT_SUCCESS(status))
        XhcipOfferDevice(*device);
    return status;
}

void UsbRemoveHubPort(USB_DEVICE *hub, ULONG port)
{
    USB_DEVICE *device = hub ? XhcipHubPortDevice(hub, port) : NULL;

    if (device)
        XhcipRemoveDevice(hub->Controller, device);
}
