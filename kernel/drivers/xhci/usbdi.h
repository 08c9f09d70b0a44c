// What xhci.sys offers USB class drivers (kbdhid.sys, usbhub.sys): the
// devices it has enumerated, control transfers on their default pipe, an
// interrupt-IN pipe kept polled, and to the hub driver the addressing of
// the devices behind a hub's ports. Imported from xhci.sys (xhci.exports), which must be
// loaded first (services.txt). Facts from the USB 2.0 specification, ch. 9.
#pragma once

#include "ndk/ntdef.h"

// Standard requests and descriptors (USB 2.0, 9.4 and 9.6).
#define USB_REQUEST_GET_DESCRIPTOR 0x06
#define USB_REQUEST_SET_CONFIGURATION 0x09
#define USB_DESCRIPTOR_DEVICE 0x01
#define USB_DESCRIPTOR_CONFIGURATION 0x02
#define USB_DESCRIPTOR_INTERFACE 0x04
#define USB_DESCRIPTOR_ENDPOINT 0x05
#define USB_DIR_IN 0x80
#define USB_TYPE_STANDARD 0x00
#define USB_TYPE_CLASS 0x20
#define USB_RECIPIENT_DEVICE 0x00
#define USB_RECIPIENT_INTERFACE 0x01
#define USB_ENDPOINT_TYPE_MASK 0x03
#define USB_ENDPOINT_TYPE_INTERRUPT 0x03

// Speeds as xHCI's default protocol speed IDs number them (xHCI 1.2, 7.2.2.1.1).
#define USB_SPEED_FULL 1
#define USB_SPEED_LOW 2
#define USB_SPEED_HIGH 3
#define USB_SPEED_SUPER 4

#define USB_HUB_MAX_PORTS 15            // a hub's ports that xHCI's route string can name

typedef struct __attribute__((packed)) _USB_INTERFACE_DESCRIPTOR {
    UCHAR bLength;
    UCHAR bDescriptorType;
    UCHAR bInterfaceNumber;
    UCHAR bAlternateSetting;
    UCHAR bNumEndpoints;
    UCHAR bInterfaceClass;
    UCHAR bInterfaceSubClass;
    UCHAR bInterfaceProtocol;
    UCHAR iInterface;
} USB_INTERFACE_DESCRIPTOR;

typedef struct __attribute__((packed)) _USB_ENDPOINT_DESCRIPTOR {
    UCHAR bLength;
    UCHAR bDescriptorType;
    UCHAR bEndpointAddress;
    UCHAR bmAttributes;
    USHORT wMaxPacketSize;
    UCHAR bInterval;
} USB_ENDPOINT_DESCRIPTOR;

typedef struct _USB_DEVICE USB_DEVICE;      // xhci.sys's, opaque

// Called on xhci.sys's hub thread (PASSIVE_LEVEL). DeviceArrived gets each
// configured-to-be device with its whole configuration descriptor (the
// first configuration) and returns TRUE to take it; it may then make
// control transfers and open its interrupt pipe. DeviceRemoved says a taken
// device is gone (unplugged, or its controller stopped): once it returns,
// no completion routine of that device runs again (a hub's devices are
// removed before it). DeviceWork (optional) runs there too, once after one
// or more UsbRequestDeviceWork calls for a taken device. All three may also
// run from the debugger's poll with the system frozen and interrupts off:
// no pool, no blocking lock (waits spin, UsbDelay).
typedef struct _USB_CLASS_DRIVER {
    BOOLEAN (*DeviceArrived)(USB_DEVICE *device, const UCHAR *configuration, ULONG length,
                             void **deviceContext);
    void (*DeviceRemoved)(USB_DEVICE *device, void *deviceContext);
    void (*DeviceWork)(USB_DEVICE *device, void *deviceContext);
} USB_CLASS_DRIVER;

// STATUS_NO_SUCH_DEVICE when the machine has no xHCI controller. At most
// USB_MAX_CLASS_DRIVERS class drivers (STATUS_INSUFFICIENT_RESOURCES beyond,
// STATUS_DEVICE_ALREADY_ATTACHED for one registered twice), for good: none
// is deregistered, as no driver here unloads. A device is offered to each in
// the order they registered until one takes it; devices already enumerated
// are offered to a new one at once.
#define USB_MAX_CLASS_DRIVERS 4
NTSTATUS UsbRegisterClassDriver(const USB_CLASS_DRIVER *classDriver);

// A control transfer on the default pipe, waited for (at most a second):
// STATUS_SUCCESS, STATUS_IO_TIMEOUT, STATUS_DEVICE_NOT_CONNECTED,
// STATUS_UNSUCCESSFUL (a stall or error). `length` at most 1024 bytes;
// *transferred (if given) receives the bytes of the data stage moved.
// PASSIVE_LEVEL.
NTSTATUS UsbControlTransfer(USB_DEVICE *device, UCHAR requestType, UCHAR request,
                            USHORT value, USHORT index, void *buffer, USHORT length,
                            ULONG *transferred);

// Runs at the controller's interrupt level with interrupts disabled (or from
// the debugger's poll): `data` holds what the device sent for one transfer.
typedef void (*USB_INTERRUPT_COMPLETION)(void *context, const UCHAR *data, ULONG length);

// Configures the endpoint (xHCI Configure Endpoint) and keeps one transfer
// of wMaxPacketSize (at most 64) bytes queued on it: each completion calls
// `completion` and queues the next. One interrupt-IN pipe per device.
// PASSIVE_LEVEL, from DeviceArrived or later.
NTSTATUS UsbOpenInterruptInPipe(USB_DEVICE *device, const USB_ENDPOINT_DESCRIPTOR *endpoint,
                                USB_INTERRUPT_COMPLETION completion, void *context);

// The interrupt-IN endpoint of the first interface (alternate setting 0)
// of class `interfaceClass` whose subclass and protocol match (-1: any), in
// a configuration descriptor of `length` bytes (USB 2.0, 9.6.3-9.6.6:
// descriptors one after the other, each starting with its length and
// type), as NT's USBD_ParseConfigurationDescriptorEx then the interface's
// endpoints; *interface (if given) receives that interface. NULL when
// there is none, or the descriptors end early or are malformed.
const USB_ENDPOINT_DESCRIPTOR *UsbFindInterruptInEndpoint(const UCHAR *configuration, ULONG length,
                                                          LONG interfaceClass,
                                                          LONG interfaceSubClass,
                                                          LONG interfaceProtocol,
                                                          const USB_INTERFACE_DESCRIPTOR **interface);

// "port 3 on 00:04.0": for console lines.
const char *UsbDeviceDescription(USB_DEVICE *device);

// The device's speed (USB_SPEED_*).
ULONG UsbDeviceSpeed(USB_DEVICE *device);

// Any IRQL (a completion routine's too): the class driver's DeviceWork for
// this device is called soon on the hub thread (or the debugger's poll).
void UsbRequestDeviceWork(USB_DEVICE *device);
// The same, but only on the hub thread's next round (within a second),
// without a scan now: for work the debugger's poll cannot do (it takes
// pool), so that the poll does not scan the ports again and again until `g`.
void UsbDeferDeviceWork(USB_DEVICE *device);

// Waits: blocking from a thread, spinning with interrupts off (the
// debugger's poll).
void UsbDelay(ULONG milliseconds);

// ---- For the hub driver (usbhub.sys); USB 2.0, chapter 11 -----------------------

// Tells the controller the device is a hub with `ports` downstream ports
// (at most 15: a route string's nibble), its TT think time (0-3, in units
// of 8 full-speed bit times) and whether it has a TT per port. Before its
// interrupt pipe is opened, whose Configure Endpoint carries it (xHCI 6.2.2).
NTSTATUS UsbConfigureHub(USB_DEVICE *hub, ULONG ports, ULONG thinkTime, BOOLEAN multipleTts);

// From DeviceArrived or DeviceWork of the hub: port `port` of the hub has
// been reset and enabled with a device of `speed` (USB_SPEED_*) on it; gives
// it a slot and an address (its route string, root port and translator in
// the slot context), reads its descriptors and offers it to the class
// drivers. *device receives it. STATUS_NOT_SUPPORTED beyond five hubs deep.
NTSTATUS UsbEnumerateHubPort(USB_DEVICE *hub, ULONG port, ULONG speed, USB_DEVICE **device);

// From DeviceArrived or DeviceWork of the hub: the device on the port (and
// whatever is behind it) was unplugged or is to be dropped: its class driver
// is told, its slot disabled. Nothing when the port has no device.
void UsbRemoveHubPort(USB_DEVICE *hub, ULONG port);
