// What xhci.sys offers USB class drivers (kbdhid.sys): the devices it has
// enumerated, control transfers on their default pipe and an interrupt-IN
// pipe kept polled. Imported from xhci.sys (xhci.exports), which must be
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
// no completion routine of that device runs again.
typedef struct _USB_CLASS_DRIVER {
    BOOLEAN (*DeviceArrived)(USB_DEVICE *device, const UCHAR *configuration, ULONG length,
                             void **deviceContext);
    void (*DeviceRemoved)(USB_DEVICE *device, void *deviceContext);
} USB_CLASS_DRIVER;

// STATUS_NO_SUCH_DEVICE when the machine has no xHCI controller. One class
// driver (STATUS_DEVICE_ALREADY_ATTACHED for a second), for
// good: it is never deregistered, as neither driver unloads. Devices
// already enumerated are offered to it at once, on the hub thread.
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

// "port 3 on 00:04.0": for console lines.
const char *UsbDeviceDescription(USB_DEVICE *device);
