// usbhub.sys: USB 2.0 hubs, on xhci.sys. Takes each device with a hub
// interface (class 9), reads its hub descriptor, tells the controller it is
// a hub (UsbConfigureHub), keeps its status change pipe polled, powers its
// ports and watches them: a device plugged into a port is debounced, the
// port reset, and xhci.sys gives it a slot and an address behind the hub
// and offers it to the class drivers (a keyboard to kbdhid.sys, a hub to
// this driver again); an unplugged one is removed. Facts from the USB 2.0
// specification, chapter 11 (11.23.2.1 the hub descriptor, 11.24 the
// requests, 11.12.3 the status change endpoint, 7.1.7.3 the timings).
//
// Everything runs on xhci.sys's hub thread (DeviceArrived, DeviceWork) or
// from the debugger's poll with the system frozen; the status change
// pipe's completion only records the bitmap and asks for DeviceWork. So,
// as in kbdhid.sys, hubs live in a fixed table rather than pool.

#include "io/io.h"
#include "arch/x86_64/x86.h"
#include "drivers/xhci/usbdi.h"

#define USB_CLASS_HUB 0x09
#define USB_RECIPIENT_OTHER 0x03
#define USB_REQUEST_GET_STATUS 0x00
#define USB_REQUEST_CLEAR_FEATURE 0x01
#define USB_REQUEST_SET_FEATURE 0x03
#define USB_DESCRIPTOR_HUB 0x29

// Port features (11.24.2, table 11-17); a change feature is 16 + its bit.
#define HUB_PORT_RESET 4
#define HUB_PORT_POWER 8
#define HUB_C_PORT_CONNECTION 16
#define HUB_C_PORT_RESET 20
// wPortStatus (11.24.2.7.1) and wPortChange (11.24.2.7.2) bits
#define HUB_PORT_STATUS_CONNECTION 0x0001
#define HUB_PORT_STATUS_ENABLE 0x0002
#define HUB_PORT_STATUS_OVER_CURRENT 0x0008
#define HUB_PORT_STATUS_LOW_SPEED 0x0200
#define HUB_PORT_STATUS_HIGH_SPEED 0x0400
#define HUB_PORT_CHANGE_CONNECTION 0x0001
#define HUB_PORT_CHANGE_OVER_CURRENT 0x0008
#define HUB_PORT_CHANGE_RESET 0x0010
#define HUB_PORT_CHANGE_BITS 0x001F
// The hub's own changes (11.24.2.6): C_HUB_LOCAL_POWER, C_HUB_OVER_CURRENT.
#define HUB_CHANGE_BITS 0x0003

#define USBHUB_DEBOUNCE_MS 100          // a connection settles (tATTDB, 7.1.7.3)
#define USBHUB_RESET_TIMEOUT_MS 500
#define USBHUB_RESET_RECOVERY_MS 10     // TRSTRCY
#define USBHUB_MIN_POWER_GOOD_MS 20

typedef struct _USBHUB_HUB {
    USB_DEVICE *Device;                 // NULL: a free entry
    DEVICE_OBJECT *DeviceObject;        // \Device\UsbHubN, kept with the entry
    ULONG Ports;
    volatile ULONG Changes;             // the status change bitmap: bit 0 the hub, N port N
    volatile BOOLEAN Gone;              // removed, or never set up
    USB_DEVICE *Children[USB_HUB_MAX_PORTS + 1];
    BOOLEAN Failed[USB_HUB_MAX_PORTS + 1];  // enumeration failed: wait for a replug
} USBHUB_HUB;

#define USBHUB_MAX_HUBS 8
static USBHUB_HUB UsbHubHubs[USBHUB_MAX_HUBS];
static DRIVER_OBJECT *UsbHubDriverObject;

// The status change pipe's completion: the controller's interrupt (or the
// debugger's poll), interrupts off.
static void UsbHubStatusChange(void *context, const UCHAR *data, ULONG length)
{
    USBHUB_HUB *hub = context;
    ULONG bitmap = 0;

    for (ULONG i = 0; i < length && i < 4; i++)
        bitmap |= (ULONG)data[i] << (8 * i);
    if (hub->Gone || !bitmap)
        return;
    __atomic_fetch_or(&hub->Changes, bitmap, __ATOMIC_SEQ_CST);
    UsbRequestDeviceWork(hub->Device);
}

static NTSTATUS UsbHubPortFeature(USBHUB_HUB *hub, UCHAR request, USHORT feature, ULONG port)
{
    return UsbControlTransfer(hub->Device, USB_TYPE_CLASS | USB_RECIPIENT_OTHER, request,
                              feature, (USHORT)port, NULL, 0, NULL);
}

static NTSTATUS UsbHubPortStatus(USBHUB_HUB *hub, ULONG port, USHORT *status, USHORT *change)
{
    UCHAR data[4];
    ULONG got = 0;
    NTSTATUS result;

    result = UsbControlTransfer(hub->Device, USB_DIR_IN | USB_TYPE_CLASS | USB_RECIPIENT_OTHER,
                                USB_REQUEST_GET_STATUS, 0, (USHORT)port, data, 4, &got);
    if (NT_SUCCESS(result) && got < 4)
        result = STATUS_DEVICE_DATA_ERROR;
    if (!NT_SUCCESS(result))
        return result;
    *status = data[0] | (data[1] << 8);
    *change = data[2] | (data[3] << 8);
    return STATUS_SUCCESS;
}

// Reset (11.24.2.13, 11.5.1.5), then the device gets its address from
// xhci.sys at the speed the port reports.
static NTSTATUS UsbHubResetAndEnumerate(USBHUB_HUB *hub, ULONG port)
{
    const char *where = UsbDeviceDescription(hub->Device);
    USHORT portStatus = 0, change = 0;
    ULONG speed, waited;
    NTSTATUS status;

    UsbDelay(USBHUB_DEBOUNCE_MS);
    status = UsbHubPortFeature(hub, USB_REQUEST_SET_FEATURE, HUB_PORT_RESET, port);
    for (waited = 0; NT_SUCCESS(status) && waited < USBHUB_RESET_TIMEOUT_MS; waited += 10) {
        UsbDelay(10);
        status = UsbHubPortStatus(hub, port, &portStatus, &change);
        if (NT_SUCCESS(status) && (change & HUB_PORT_CHANGE_RESET))
            break;
    }
    if (NT_SUCCESS(status) && (change & HUB_PORT_CHANGE_RESET))
        status = UsbHubPortFeature(hub, USB_REQUEST_CLEAR_FEATURE, HUB_C_PORT_RESET, port);
    else if (NT_SUCCESS(status))
        status = STATUS_IO_TIMEOUT;
    if (NT_SUCCESS(status) && !(portStatus & HUB_PORT_STATUS_ENABLE))
        status = STATUS_IO_TIMEOUT;
    if (!NT_SUCCESS(status)) {
        DbgPrint("usbhub: hub on %s, port %u: the device did not come out of reset "
                 "(status %08x)\n", where, port, status);
        return status;
    }
    UsbDelay(USBHUB_RESET_RECOVERY_MS);
    speed = (portStatus & HUB_PORT_STATUS_LOW_SPEED) ? USB_SPEED_LOW :
            (portStatus & HUB_PORT_STATUS_HIGH_SPEED) ? USB_SPEED_HIGH : USB_SPEED_FULL;
    return UsbEnumerateHubPort(hub->Device, port, speed, &hub->Children[port]);
}

// One port: its changes acknowledged, a device gone removed, a device come
// enumerated (once: a failure waits for the device to be plugged in again).
static void UsbHubCheckPort(USBHUB_HUB *hub, ULONG port)
{
    USHORT portStatus, change;
    BOOLEAN connected, replugged;

    if (!NT_SUCCESS(UsbHubPortStatus(hub, port, &portStatus, &change)))
        return;
    for (ULONG bit = 0; bit < 5; bit++) {
        if (change & (1U << bit))
            UsbHubPortFeature(hub, USB_REQUEST_CLEAR_FEATURE,
                              (USHORT)(HUB_C_PORT_CONNECTION + bit), port);
    }
    if ((change & HUB_PORT_CHANGE_OVER_CURRENT) && (portStatus & HUB_PORT_STATUS_OVER_CURRENT))
        DbgPrint("usbhub: hub on %s, port %u: over-current\n",
                 UsbDeviceDescription(hub->Device), port);
    connected = (portStatus & HUB_PORT_STATUS_CONNECTION) != 0;
    replugged = (change & HUB_PORT_CHANGE_CONNECTION) != 0;
    if (hub->Children[port] && (!connected || replugged)) {
        UsbRemoveHubPort(hub->Device, port);
        hub->Children[port] = NULL;
    }
    if (!connected || replugged)
        hub->Failed[port] = FALSE;
    if (connected && !hub->Children[port] && !hub->Failed[port] &&
        !NT_SUCCESS(UsbHubResetAndEnumerate(hub, port))) {
        hub->Children[port] = NULL;
        hub->Failed[port] = TRUE;
    }
}

// The hub's own local power and over-current changes are acknowledged.
static void UsbHubCheckHub(USBHUB_HUB *hub)
{
    UCHAR data[4];
    ULONG got = 0;
    USHORT change;

    if (!NT_SUCCESS(UsbControlTransfer(hub->Device, USB_DIR_IN | USB_TYPE_CLASS |
                                       USB_RECIPIENT_DEVICE, USB_REQUEST_GET_STATUS, 0, 0,
                                       data, 4, &got)) || got < 4)
        return;
    change = data[2] | (data[3] << 8);
    for (ULONG bit = 0; bit < 2; bit++) {
        if (change & HUB_CHANGE_BITS & (1U << bit))
            UsbControlTransfer(hub->Device, USB_TYPE_CLASS | USB_RECIPIENT_DEVICE,
                               USB_REQUEST_CLEAR_FEATURE, (USHORT)bit, 0, NULL, 0, NULL);
    }
}

// \Device\UsbHubN for entry N, made the first time the entry is used from
// a thread and kept for good, as the driver is: !devobj and !drvobj show
// the hubs there are. The debugger's poll takes no pool: a hub plugged in
// at the prompt asks for DeviceWork again, which the hub thread's timed
// round runs after `g` (asking for it at once would make every poll until
// then scan the ports again).
static void UsbHubCreateDeviceObject(USBHUB_HUB *hub)
{
    WCHAR name[] = u"\\Device\\UsbHub0";
    UNICODE_STRING deviceName;
    NTSTATUS status;

    if (hub->DeviceObject)
        return;
    if (!(__readeflags() & EFLAGS_IF)) {
        UsbDeferDeviceWork(hub->Device);
        return;
    }
    name[sizeof(name) / sizeof(name[0]) - 2] = (WCHAR)(u'0' + (hub - UsbHubHubs));
    RtlInitUnicodeString(&deviceName, name);
    status = IoCreateDevice(UsbHubDriverObject, 0, &deviceName, FILE_DEVICE_UNKNOWN, 0, FALSE,
                            &hub->DeviceObject);
    if (!NT_SUCCESS(status)) {
        hub->DeviceObject = NULL;
        DbgPrint("usbhub: no device object for the hub on %s: status %08x\n",
                 UsbDeviceDescription(hub->Device), status);
    }
}

static void UsbHubDeviceWork(USB_DEVICE *device, void *deviceContext)
{
    USBHUB_HUB *hub = deviceContext;
    ULONG changes;

    UsbHubCreateDeviceObject(hub);
    if (hub->Gone)
        return;
    changes = __atomic_exchange_n(&hub->Changes, 0, __ATOMIC_SEQ_CST);
    if (changes & 1)
        UsbHubCheckHub(hub);
    for (ULONG port = 1; port <= hub->Ports && !hub->Gone; port++) {
        if (changes & (1U << port))
            UsbHubCheckPort(hub, port);
    }
}

// The hub descriptor, the controller told, the status change pipe, the
// configuration, power to every port; then each port is looked at, so that
// a keyboard behind a hub at boot works at the first prompt.
static NTSTATUS UsbHubStart(USBHUB_HUB *hub, const USB_ENDPOINT_DESCRIPTOR *endpoint,
                            UCHAR configurationValue)
{
    USB_DEVICE *device = hub->Device;
    UCHAR descriptor[16];
    ULONG got = 0, powerGoodMs;
    NTSTATUS status;

    status = UsbControlTransfer(device, USB_DIR_IN | USB_TYPE_CLASS | USB_RECIPIENT_DEVICE,
                                USB_REQUEST_GET_DESCRIPTOR, USB_DESCRIPTOR_HUB << 8, 0,
                                descriptor, sizeof(descriptor), &got);
    if (NT_SUCCESS(status) && (got < 7 || descriptor[1] != USB_DESCRIPTOR_HUB || !descriptor[2]))
        status = STATUS_DEVICE_DATA_ERROR;
    if (!NT_SUCCESS(status))
        return status;
    hub->Ports = descriptor[2];
    if (hub->Ports > USB_HUB_MAX_PORTS) {
        DbgPrint("usbhub: hub on %s has %u ports; the first %u are used\n",
                 UsbDeviceDescription(device), hub->Ports, USB_HUB_MAX_PORTS);
        hub->Ports = USB_HUB_MAX_PORTS;
    }
    powerGoodMs = descriptor[5] * 2U;
    if (powerGoodMs < USBHUB_MIN_POWER_GOOD_MS)
        powerGoodMs = USBHUB_MIN_POWER_GOOD_MS;
    // wHubCharacteristics bits 6:5: the TT think time (11.23.2.1).
    status = UsbConfigureHub(device, hub->Ports, (descriptor[3] >> 5) & 3, FALSE);
    if (NT_SUCCESS(status))
        status = UsbOpenInterruptInPipe(device, endpoint, UsbHubStatusChange, hub);
    if (NT_SUCCESS(status))
        status = UsbControlTransfer(device, USB_TYPE_STANDARD | USB_RECIPIENT_DEVICE,
                                    USB_REQUEST_SET_CONFIGURATION, configurationValue, 0,
                                    NULL, 0, NULL);
    for (ULONG port = 1; NT_SUCCESS(status) && port <= hub->Ports; port++)
        status = UsbHubPortFeature(hub, USB_REQUEST_SET_FEATURE, HUB_PORT_POWER, port);
    if (!NT_SUCCESS(status))
        return status;
    UsbDelay(powerGoodMs);
    DbgPrint("usbhub: hub on %s: %u ports\n", UsbDeviceDescription(device), hub->Ports);
    hub->Gone = FALSE;
    hub->Changes = 0;
    for (ULONG port = 1; port <= hub->Ports && !hub->Gone; port++)
        UsbHubCheckPort(hub, port);
    return STATUS_SUCCESS;
}

static BOOLEAN UsbHubDeviceArrived(USB_DEVICE *device, const UCHAR *configuration,
                                   ULONG length, void **deviceContext)
{
    const USB_ENDPOINT_DESCRIPTOR *endpoint;
    USBHUB_HUB *hub;
    DEVICE_OBJECT *deviceObject;
    ULONG index;
    NTSTATUS status;

    // The hub interface's status change endpoint (11.12.3).
    endpoint = UsbFindInterruptInEndpoint(configuration, length, USB_CLASS_HUB, -1, -1, NULL);
    if (!endpoint || length < 9)
        return FALSE;
    if (UsbDeviceSpeed(device) == USB_SPEED_SUPER) {
        // Its USB 2 half, on the USB 2 port beside, carries the keyboards.
        DbgPrint("usbhub: %s: a SuperSpeed hub, not driven\n", UsbDeviceDescription(device));
        return FALSE;
    }
    for (index = 0; index < USBHUB_MAX_HUBS && UsbHubHubs[index].Device; index++)
        ;
    if (index == USBHUB_MAX_HUBS) {
        DbgPrint("usbhub: %s: a hub beyond the %u this driver takes; ignored\n",
                 UsbDeviceDescription(device), USBHUB_MAX_HUBS);
        return FALSE;
    }
    hub = &UsbHubHubs[index];
    deviceObject = hub->DeviceObject;
    memset(hub, 0, sizeof(*hub));
    hub->DeviceObject = deviceObject;
    hub->Device = device;
    hub->Gone = TRUE;                   // no work until it is set up
    *deviceContext = hub;
    UsbHubCreateDeviceObject(hub);
    status = UsbHubStart(hub, endpoint, configuration[5]);
    if (!NT_SUCCESS(status)) {
        // The pipe may already be open: the entry stays, gone, until
        // xhci.sys calls DeviceRemoved.
        hub->Gone = TRUE;
        DbgPrint("usbhub: hub on %s not set up: status %08x\n", UsbDeviceDescription(device),
                 status);
    }
    return TRUE;
}

// Its devices are gone already (xhci.sys removes them first).
static void UsbHubDeviceRemoved(USB_DEVICE *device, void *deviceContext)
{
    USBHUB_HUB *hub = deviceContext;

    hub->Gone = TRUE;
    DbgPrint("usbhub: hub on %s removed\n", UsbDeviceDescription(device));
    hub->Device = NULL;
}

static const USB_CLASS_DRIVER UsbHubClassDriver = {
    .DeviceArrived = UsbHubDeviceArrived,
    .DeviceRemoved = UsbHubDeviceRemoved,
    .DeviceWork = UsbHubDeviceWork,
};

// No DriverUnload: xhci.sys keeps the class driver it was given for good.
NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    NTSTATUS status;

    UsbHubDriverObject = driverObject;
    status = UsbRegisterClassDriver(&UsbHubClassDriver);
    // No xHCI controller: loaded and idle, not a failed boot driver.
    return status == STATUS_NO_SUCH_DEVICE ? STATUS_SUCCESS : status;
}
