// The USB 2 (EHCI) controllers beside an xHCI one. xhci.sys drives no EHCI
// controller, but the firmware may: its "legacy USB" emulation answers the
// i8042's ports for a USB keyboard through system management interrupts.
// When the machine has an xHCI controller, xhci.sys takes the EHCI ones
// from the firmware too, through the same kind of BIOS/OS semaphore as
// xHCI's (EHCI specification 1.0, 2.1.7-2.1.8, and appendix C), so that no
// SMI handler keeps driving them behind the kernel's back; and on Intel
// 7-, 8- and 9-series chipsets, whose USB 2 ports are wired to either
// controller, it first switches every switchable port to xHCI, so that a
// keyboard there reaches xhci.sys (Intel's datasheets: xHCI configuration
// registers XUSB2PR/XUSB2PRM, USB3_PSSEN/USB3PRM).

#include "drivers/xhci/xhci.h"

#define EHCI_BAR 0x10                   // BAR 0: the registers, memory
#define EHCI_HCCPARAMS 0x08             // capability register (2.2.4)
#define EHCI_HCCPARAMS_EECP(v) (((v) >> 8) & 0xFF)
#define EHCI_CAPABILITY_LEGACY_SUPPORT 0x01
#define EHCI_USBLEGSUP_BIOS_OWNED (1U << 16)
#define EHCI_USBLEGSUP_OS_OWNED_BYTE 3  // the byte of bit 24
#define EHCI_USBLEGCTLSTS 4             // after USBLEGSUP
// SMI enables (bits 0-5: USB events; 13-15: ownership change, PCI command,
// BAR writes) and the write-1-to-clear SMI events of 29-31.
#define EHCI_USBLEGCTLSTS_SMI_ENABLES 0x0000E03FU
#define EHCI_USBLEGCTLSTS_SMI_EVENTS 0xE0000000U
#define EHCI_HANDOFF_TIMEOUT_MS 1000
#define EHCI_MAX_EXTENDED_CAPABILITIES 16

#define INTEL_VENDOR 0x8086
#define INTEL_XUSB2PR 0xD0              // USB 2 port routing: 1 = xHCI
#define INTEL_XUSB2PRM 0xD4             // which ports may be routed
#define INTEL_USB3_PSSEN 0xD8           // SuperSpeed enable per port
#define INTEL_USB3PRM 0xDC              // which ports may have it

// The xHCI controllers with the port switch (7-series Panther Point,
// 8-series Lynx Point and its LP, 9-series and Wildcat Point LP).
static const USHORT XhcipIntelSwitchedDevices[] = { 0x1E31, 0x8C31, 0x9C31, 0x8CB1, 0x9CB1 };

static void XhcipName(char *name, size_t size, ULONG bus, ULONG slot)
{
    PCI_SLOT_NUMBER number;

    number.u.AsULONG = slot;
    RtlStringPrintf(name, size, "%02x:%02x.%x", bus, number.u.bits.DeviceNumber,
                    number.u.bits.FunctionNumber);
}

static ULONG XhcipConfigRead32(ULONG bus, ULONG slot, ULONG offset)
{
    ULONG value = 0;

    HalGetBusDataByOffset(PCIConfiguration, bus, slot, &value, offset, 4);
    return value;
}

static void XhcipConfigWrite32(ULONG bus, ULONG slot, ULONG offset, ULONG value)
{
    HalSetBusDataByOffset(PCIConfiguration, bus, slot, &value, offset, 4);
}

void XhcipRouteIntelPorts(ULONG bus, ULONG slot)
{
    ULONG ids = XhcipConfigRead32(bus, slot, PCI_VENDOR_ID);
    ULONG usb2Mask, usb3Mask;
    char name[16];

    if ((USHORT)ids != INTEL_VENDOR)
        return;
    for (ULONG i = 0; i < ARRAYSIZE(XhcipIntelSwitchedDevices); i++) {
        if ((USHORT)(ids >> 16) != XhcipIntelSwitchedDevices[i])
            continue;
        usb3Mask = XhcipConfigRead32(bus, slot, INTEL_USB3PRM);
        usb2Mask = XhcipConfigRead32(bus, slot, INTEL_XUSB2PRM);
        XhcipConfigWrite32(bus, slot, INTEL_USB3_PSSEN, usb3Mask);
        XhcipConfigWrite32(bus, slot, INTEL_XUSB2PR, usb2Mask);
        XhcipName(name, sizeof(name), bus, slot);
        DbgPrint("xhci: %s: USB 2 ports %x switched from EHCI to xHCI, SuperSpeed on ports %x\n",
                 name, XhcipConfigRead32(bus, slot, INTEL_XUSB2PR),
                 XhcipConfigRead32(bus, slot, INTEL_USB3_PSSEN));
        return;
    }
}

// The configuration-space offset of the legacy support capability, 0 when
// the controller has none.
static ULONG XhcipEhciLegacyCapability(ULONG bus, ULONG slot, const char *name)
{
    ULONG bar = XhcipConfigRead32(bus, slot, EHCI_BAR);
    volatile UCHAR *registers;
    ULONG eecp;

    if ((bar & 1) || (bar & ~0xFU) == 0)
        return 0;                       // an I/O BAR, or none assigned
    registers = MmMapIoSpace(bar & ~0xFULL, PAGE_SIZE, MmNonCached);
    if (!registers) {
        DbgPrint("ehci: %s: registers not mapped; left to the firmware\n", name);
        return 0;
    }
    eecp = EHCI_HCCPARAMS_EECP(*(volatile ULONG *)(registers + EHCI_HCCPARAMS));
    for (ULONG hops = 0; eecp >= 0x40 && (eecp & 3) == 0 &&
                         hops < EHCI_MAX_EXTENDED_CAPABILITIES; hops++) {
        ULONG value = XhcipConfigRead32(bus, slot, eecp);

        if ((value & 0xFF) == EHCI_CAPABILITY_LEGACY_SUPPORT)
            return eecp;
        eecp = (value >> 8) & 0xFF;
    }
    return 0;
}

void XhcipTakeEhciController(ULONG bus, ULONG slot)
{
    char name[16];
    ULONG legacy, value, waited = 0;
    UCHAR osOwned = 1;
    BOOLEAN biosOwned;

    XhcipName(name, sizeof(name), bus, slot);
    legacy = XhcipEhciLegacyCapability(bus, slot, name);
    if (!legacy) {
        DbgPrint("ehci: %s: no legacy support capability: the firmware cannot own it\n", name);
        return;
    }
    biosOwned = (XhcipConfigRead32(bus, slot, legacy) & EHCI_USBLEGSUP_BIOS_OWNED) != 0;
    HalSetBusDataByOffset(PCIConfiguration, bus, slot, &osOwned,
                          legacy + EHCI_USBLEGSUP_OS_OWNED_BYTE, 1);
    while ((XhcipConfigRead32(bus, slot, legacy) & EHCI_USBLEGSUP_BIOS_OWNED) &&
           waited < EHCI_HANDOFF_TIMEOUT_MS) {
        XhcipDelay(1);
        waited++;
    }
    value = XhcipConfigRead32(bus, slot, legacy);
    if (value & EHCI_USBLEGSUP_BIOS_OWNED) {
        // A firmware that never lets go: its semaphore is cleared for it.
        value &= ~EHCI_USBLEGSUP_BIOS_OWNED;
        XhcipConfigWrite32(bus, slot, legacy, value);
    }
    value = XhcipConfigRead32(bus, slot, legacy + EHCI_USBLEGCTLSTS);
    XhcipConfigWrite32(bus, slot, legacy + EHCI_USBLEGCTLSTS,
                       (value & ~EHCI_USBLEGCTLSTS_SMI_ENABLES) | EHCI_USBLEGCTLSTS_SMI_EVENTS);

    value = XhcipConfigRead32(bus, slot, legacy);
    if (!(value & (1U << (8 * EHCI_USBLEGSUP_OS_OWNED_BYTE))))
        DbgPrint("ehci: %s: the OS Owned semaphore (at %x) does not stick: the firmware "
                 "may go on emulating\n", name, legacy);
    else if (!biosOwned)
        DbgPrint("ehci: %s: taken from the firmware (legacy support at %x; the firmware "
                 "did not own it)\n", name, legacy);
    else if (waited >= EHCI_HANDOFF_TIMEOUT_MS)
        DbgPrint("ehci: %s: the firmware kept it %u ms; taken anyway (legacy support at %x)\n",
                 name, EHCI_HANDOFF_TIMEOUT_MS, legacy);
    else
        DbgPrint("ehci: %s: taken from the firmware, which let go in %u ms (legacy support "
                 "at %x)\n", name, waited, legacy);
}
