// kbdhid.sys: USB keyboards in the HID boot protocol, on xhci.sys. Takes
// each device with a boot keyboard interface (class 3, subclass 1,
// protocol 1: HID 1.11, 4.2 and 4.3), configures it, switches it to the
// boot protocol, and turns its 8-byte reports into set 1 scan codes for
// the console (nt's HalKeyboardInputScanCodes), as the PS/2 keyboard's
// arrive. USB keyboards do not repeat keys themselves: the held key's
// repeats come from a timer here (and from the debugger's poll while the
// system is frozen, when no timer runs).

#include "io/io.h"
#include "arch/x86_64/haldrv.h"
#include "arch/x86_64/x86.h"
#include "drivers/xhci/usbdi.h"
#include "drivers/kbdhid/hidkbd.h"

#define USB_CLASS_HID 0x03
#define HID_SUBCLASS_BOOT 0x01
#define HID_PROTOCOL_KEYBOARD 0x01
#define HID_REQUEST_SET_IDLE 0x0A
#define HID_REQUEST_SET_PROTOCOL 0x0B
#define HID_BOOT_PROTOCOL 0
typedef struct _KBDHID_KEYBOARD {
    USB_DEVICE *Device;             // NULL: a free entry
    HID_KEYBOARD_STATE State;       // interrupts off while it changes
    volatile BOOLEAN Gone;
} KBDHID_KEYBOARD;

// The keyboards, in a fixed table rather than pool: a keyboard plugged in
// while the debugger has the system frozen is set up from its poll, where
// no lock a frozen thread may hold can be taken.
#define KBDHID_MAX_KEYBOARDS 8
static KBDHID_KEYBOARD KbdHidKeyboards[KBDHID_MAX_KEYBOARDS];
static ULONG64 KbdHidTscPerMs;
// One timer for every keyboard's repeats: about 30 DPCs a second, each a
// look at eight entries, whether a key is held or not.
static KTIMER KbdHidRepeatTimer;
static KDPC KbdHidRepeatDpc;

static ULONG64 KbdHidNowMs(void)
{
    return KbdHidTscPerMs ? KeQueryPerformanceCounter(NULL).QuadPart / KbdHidTscPerMs : 0;
}

// A report arrived: the controller's interrupt (or the debugger's poll),
// interrupts off.
static void KbdHidReport(void *context, const UCHAR *data, ULONG length)
{
    KBDHID_KEYBOARD *keyboard = context;
    UCHAR codes[HID_MAX_SCAN_CODES];
    ULONG count;

    if (keyboard->Gone)
        return;
    count = HidKbdTranslateReport(&keyboard->State, data, length, KbdHidNowMs(), codes);
    if (count)
        HalKeyboardInputScanCodes(codes, count);
}

static void KbdHidRepeatKeyboard(KBDHID_KEYBOARD *keyboard)
{
    UCHAR codes[HID_MAX_SCAN_CODES];
    BOOLEAN enabled = KiDisableInterrupts();
    ULONG count = keyboard->Gone ? 0 : HidKbdRepeat(&keyboard->State, KbdHidNowMs(), codes);

    if (count)
        HalKeyboardInputScanCodes(codes, count);
    KiRestoreInterrupts(enabled);
}

// The timer's DPC, and the debugger's poll with the system frozen.
static void KbdHidRepeatAll(void)
{
    for (ULONG i = 0; i < KBDHID_MAX_KEYBOARDS; i++) {
        if (KbdHidKeyboards[i].Device && KbdHidKeyboards[i].State.RepeatUsage)
            KbdHidRepeatKeyboard(&KbdHidKeyboards[i]);
    }
}

static void KbdHidRepeatTimerDpc(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    KbdHidRepeatAll();
}

static void KbdHidConsolePoll(void *context)
{
    KbdHidRepeatAll();
}

static BOOLEAN KbdHidDeviceArrived(USB_DEVICE *device, const UCHAR *configuration,
                                   ULONG length, void **deviceContext)
{
    const USB_ENDPOINT_DESCRIPTOR *endpoint;
    KBDHID_KEYBOARD *keyboard;
    const USB_INTERFACE_DESCRIPTOR *interface = NULL;
    UCHAR interfaceNumber;
    NTSTATUS status;
    ULONG slot;

    // The boot keyboard interface's interrupt-IN endpoint.
    endpoint = UsbFindInterruptInEndpoint(configuration, length, USB_CLASS_HID,
                                          HID_SUBCLASS_BOOT, HID_PROTOCOL_KEYBOARD, &interface);
    if (!endpoint || length < 9)
        return FALSE;
    interfaceNumber = interface->bInterfaceNumber;
    for (slot = 0; slot < KBDHID_MAX_KEYBOARDS && KbdHidKeyboards[slot].Device; slot++)
        ;
    if (slot == KBDHID_MAX_KEYBOARDS) {
        DbgPrint("kbdhid: %s: a keyboard beyond the %u this driver takes; ignored\n",
                 UsbDeviceDescription(device), KBDHID_MAX_KEYBOARDS);
        return FALSE;
    }
    keyboard = &KbdHidKeyboards[slot];
    memset(keyboard, 0, sizeof(*keyboard));
    HidKbdInitialize(&keyboard->State);
    keyboard->Gone = TRUE;              // no report until it is set up
    keyboard->Device = device;

    // The endpoint first, then the configuration that makes it live (xHCI
    // 4.3.5), then the boot protocol and no reports while nothing changes.
    status = UsbOpenInterruptInPipe(device, endpoint, KbdHidReport, keyboard);
    if (NT_SUCCESS(status))
        status = UsbControlTransfer(device, USB_TYPE_STANDARD | USB_RECIPIENT_DEVICE,
                                    USB_REQUEST_SET_CONFIGURATION, configuration[5], 0,
                                    NULL, 0, NULL);
    if (NT_SUCCESS(status))
        status = UsbControlTransfer(device, USB_TYPE_CLASS | USB_RECIPIENT_INTERFACE,
                                    HID_REQUEST_SET_PROTOCOL, HID_BOOT_PROTOCOL,
                                    interfaceNumber, NULL, 0, NULL);
    if (!NT_SUCCESS(status)) {
        DbgPrint("kbdhid: %s: keyboard not set up: status %08x\n",
                 UsbDeviceDescription(device), status);
        // The pipe may already be open: the entry stays, gone, until
        // xhci.sys calls DeviceRemoved.
        *deviceContext = keyboard;
        return TRUE;
    }
    // A keyboard that does not know SET_IDLE stalls it; that is all.
    UsbControlTransfer(device, USB_TYPE_CLASS | USB_RECIPIENT_INTERFACE, HID_REQUEST_SET_IDLE,
                       0, interfaceNumber, NULL, 0, NULL);
    keyboard->Gone = FALSE;
    DbgPrint("kbdhid: USB keyboard on %s\n", UsbDeviceDescription(device));
    *deviceContext = keyboard;
    return TRUE;
}

static void KbdHidDeviceRemoved(USB_DEVICE *device, void *deviceContext)
{
    KBDHID_KEYBOARD *keyboard = deviceContext;
    UCHAR codes[HID_MAX_SCAN_CODES];
    BOOLEAN enabled;
    ULONG count;

    enabled = KiDisableInterrupts();
    // Keys held when it went are released: no Shift or Ctrl stays down.
    count = keyboard->Gone ? 0 : HidKbdReleaseAll(&keyboard->State, codes);
    keyboard->Gone = TRUE;
    if (count)
        HalKeyboardInputScanCodes(codes, count);
    DbgPrint("kbdhid: USB keyboard on %s removed\n", UsbDeviceDescription(device));
    keyboard->Device = NULL;
    KiRestoreInterrupts(enabled);
}

static const USB_CLASS_DRIVER KbdHidClassDriver = {
    .DeviceArrived = KbdHidDeviceArrived,
    .DeviceRemoved = KbdHidDeviceRemoved,
};

// No DriverUnload: xhci.sys keeps the class driver it was given for good.
NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    LARGE_INTEGER frequency, due;
    NTSTATUS status;

    KeQueryPerformanceCounter(&frequency);
    KbdHidTscPerMs = frequency.QuadPart / 1000;
    // The poll and the timer first: a keyboard may be offered (and typed
    // on) before UsbRegisterClassDriver returns.
    status = HalRegisterConsoleInputPoll(KbdHidConsolePoll, NULL);
    if (!NT_SUCCESS(status))
        return status;
    KeInitializeTimer(&KbdHidRepeatTimer);
    KeInitializeDpc(&KbdHidRepeatDpc, KbdHidRepeatTimerDpc, NULL);
    due.QuadPart = -10000LL * HID_REPEAT_PERIOD_MS;
    KeSetTimerEx(&KbdHidRepeatTimer, due, HID_REPEAT_PERIOD_MS, &KbdHidRepeatDpc);
    status = UsbRegisterClassDriver(&KbdHidClassDriver);
    if (!NT_SUCCESS(status)) {
        KeCancelTimer(&KbdHidRepeatTimer);
        KeRemoveQueueDpc(&KbdHidRepeatDpc);
        HalDeregisterConsoleInputPoll(KbdHidConsolePoll, NULL);
    }
    // No xHCI controller: loaded and idle (no timer, no poll), not a
    // failed boot driver.
    return status == STATUS_NO_SUCH_DEVICE ? STATUS_SUCCESS : status;
}
