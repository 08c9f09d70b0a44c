// xhci.sys: the USB 3 (xHCI) host controller driver. Finds every xHCI
// controller on PCI (class 0C, subclass 03, interface 30), takes it from
// the firmware (USB legacy support handoff), resets it and brings up its
// command ring, event ring and device context array, and takes its events
// on a message-signalled interrupt (or, on a controller without MSI, from a
// timer's DPC every clock tick). Ports and devices: usbenum.c. Facts from
// the xHCI specification 1.2 (section numbers in the comments).

#include "drivers/xhci/xhci.h"
#include "arch/x86_64/x86.h"

#define XHCI_CLASS_SERIAL_BUS 0x0C
#define XHCI_SUBCLASS_USB 0x03
#define XHCI_INTERFACE_XHCI 0x30
#define XHCI_INTERFACE_EHCI 0x20
#define XHCI_MAX_EHCI 8

// Bounds on waiting for the hardware, in milliseconds.
#define XHCI_HANDOFF_TIMEOUT_MS 1000    // the firmware giving the controller up
#define XHCI_HALT_TIMEOUT_MS 100        // USBSTS.HCH after clearing Run (16 ms in the spec)
#define XHCI_RESET_TIMEOUT_MS 1000      // HCRST and CNR clearing
#define XHCI_COMMAND_TIMEOUT_MS 1000

#define MSI_CONTROL 2
#define MSI_ADDRESS_LOW 4
#define MSI_CONTROL_ENABLE 0x1
#define MSI_CONTROL_64BIT 0x80
#define MSI_CONTROL_MULTIPLE_ENABLE 0x70
#define PCI_CAPABILITY_MSIX 0x11
#define MSIX_TABLE 4
#define MSIX_BIR_MASK 0x7U
#define MSIX_ENTRY_SIZE 16
#define MSIX_CONTROL_FUNCTION_MASK 0x4000
#define MSIX_CONTROL_ENABLE 0x8000

XHCI_CONTROLLER *XhcipControllers[XHCI_MAX_CONTROLLERS];
ULONG XhcipControllerCount;

static ULONG XhcipRead32(volatile UCHAR *base, ULONG offset)
{
    return *(volatile ULONG *)(base + offset);
}

static void XhcipWrite32(volatile UCHAR *base, ULONG offset, ULONG value)
{
    *(volatile ULONG *)(base + offset) = value;
}

// 64-bit registers as two dword writes, low half first (5.1).
static void XhcipWrite64(volatile UCHAR *base, ULONG offset, ULONG64 value)
{
    XhcipWrite32(base, offset, (ULONG)value);
    XhcipWrite32(base, offset + 4, (ULONG)(value >> 32));
}

// Waits, a millisecond at a time, until (register & mask) == value.
static BOOLEAN XhcipWaitRegister(volatile UCHAR *base, ULONG offset, ULONG mask, ULONG value,
                                 ULONG timeoutMs)
{
    for (ULONG waited = 0; waited <= timeoutMs; waited++) {
        if ((XhcipRead32(base, offset) & mask) == value)
            return TRUE;
        KeStallExecutionProcessor(1000);
    }
    return FALSE;
}

// Interrupts off means the debugger's poll with the system frozen: no
// thread may block, so the wait spins.
void XhcipDelay(ULONG milliseconds)
{
    LARGE_INTEGER interval;

    if (!(__readeflags() & EFLAGS_IF)) {
        KeStallExecutionProcessor(milliseconds * 1000);
        return;
    }
    interval.QuadPart = -(LONG64)milliseconds * 10000;
    KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

BOOLEAN XhcipTryEnterHub(XHCI_CONTROLLER *controller)
{
    return __atomic_exchange_n(&controller->HubBusy, 1, __ATOMIC_ACQUIRE) == 0;
}

void XhcipLeaveHub(XHCI_CONTROLLER *controller)
{
    __atomic_store_n(&controller->HubBusy, 0, __ATOMIC_RELEASE);
}

void XhcipWaitCompletion(XHCI_CONTROLLER *controller, volatile ULONG *code, ULONG timeoutMs)
{
    LARGE_INTEGER tick;

    if (!(__readeflags() & EFLAGS_IF)) {
        for (ULONG waited = 0; waited < timeoutMs * 10 && !*code; waited++) {
            KeStallExecutionProcessor(100);
            if (KeTryToAcquireSpinLockAtDpcLevel(&controller->Lock)) {
                XhcipProcessEvents(controller);
                KeReleaseSpinLockFromDpcLevel(&controller->Lock);
            }
        }
        return;
    }
    tick.QuadPart = -10000LL * 16;
    for (ULONG waited = 0; waited < timeoutMs && !*code; waited += 16) {
        KeWaitForSingleObject(&controller->CompletionEvent, Executive, KernelMode, FALSE,
                              &tick);
        // An interrupt lost (or none, polled) must not lose the completion.
        XhcipLockedProcessEvents(controller);
    }
}

ULONG XhcipReadPortsc(XHCI_CONTROLLER *controller, ULONG port)
{
    return XhcipRead32(controller->Operational, XHCI_PORTSC(port));
}

void XhcipWritePortsc(XHCI_CONTROLLER *controller, ULONG port, ULONG value)
{
    XhcipWrite32(controller->Operational, XHCI_PORTSC(port), value);
}

void XhcipRingDoorbell(XHCI_CONTROLLER *controller, ULONG slot, ULONG target)
{
    controller->Doorbells[slot] = target;
}

// The controller's lock, with interrupts off: its interrupt, the debugger's
// poll and the hub thread all process events.
BOOLEAN XhcipLock(XHCI_CONTROLLER *controller)
{
    BOOLEAN enabled = KiDisableInterrupts();

    KeAcquireSpinLockAtDpcLevel(&controller->Lock);
    return enabled;
}

void XhcipUnlock(XHCI_CONTROLLER *controller, BOOLEAN enabled)
{
    KeReleaseSpinLockFromDpcLevel(&controller->Lock);
    KiRestoreInterrupts(enabled);
}

void *XhcipAllocatePage(XHCI_CONTROLLER *controller)
{
    return MmAllocateContiguousMemory(PAGE_SIZE, controller->HighestAddress);
}

void XhcipFreePage(void *page)
{
    if (page)
        MmFreeContiguousMemory(page);
}

// ---- Events (4.9.4) -----------------------------------------------------------

// Consumes every event the controller has written. Lock held, interrupts off.
void XhcipProcessEvents(XHCI_CONTROLLER *controller)
{
    BOOLEAN consumed = FALSE, wake = FALSE;
    XHCI_TRB event;

    if (controller->Processing)
        return;
    controller->Processing = TRUE;
    // Bounded: a ring's worth of events at a time (the rest come next call).
    for (ULONG i = 0; i < controller->EventRing.Count; i++) {
        if (!XhciEventRingNext(&controller->EventRing, &event))
            break;
        consumed = TRUE;
        switch (TRB_TYPE(event.Control)) {
        case TRB_COMMAND_COMPLETION_EVENT:
            if (event.Parameter == controller->CommandTrb) {
                controller->CommandSlot = TRB_SLOT_ID(event.Control);
                controller->CommandCode = 0x100 | TRB_COMPLETION_CODE(event.Status);
                wake = TRUE;
            }
            break;
        case TRB_TRANSFER_EVENT:
            // A keystroke's report wakes nobody: only a control transfer's end.
            wake |= XhcipTransferEvent(controller, &event);
            break;
        case TRB_PORT_STATUS_CHANGE_EVENT:
            controller->PortChanges++;
            wake = TRUE;
            break;
        default:
            break;
        }
    }
    if (consumed) {
        XhcipWrite64(controller->Runtime, XHCI_ERDP,
                     XhciEventRingDequeuePointer(&controller->EventRing) | ERDP_EHB);
    }
    controller->Processing = FALSE;
    if (wake)
        KeInsertQueueDpc(&controller->Dpc, NULL, NULL);
}

void XhcipLockedProcessEvents(XHCI_CONTROLLER *controller)
{
    BOOLEAN enabled = XhcipLock(controller);

    XhcipProcessEvents(controller);
    XhcipUnlock(controller, enabled);
}

// Waiters block on events, which only a DPC may signal.
static void XhcipDpc(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    XHCI_CONTROLLER *controller = context;

    KeSetEvent(&controller->CompletionEvent, 0, FALSE);
    if (controller->PortChanges)
        KeSetEvent(&controller->HubEvent, 0, FALSE);
}

static BOOLEAN XhcipInterrupt(void *context)
{
    XHCI_CONTROLLER *controller = context;
    ULONG iman = XhcipRead32(controller->Runtime, XHCI_IMAN);

    if (!(iman & IMAN_IP) && !(XhcipRead32(controller->Operational, XHCI_USBSTS) & USBSTS_EINT))
        return FALSE;
    // Both are cleared by writing one (5.4.2, 5.5.2.1).
    XhcipWrite32(controller->Operational, XHCI_USBSTS, USBSTS_EINT);
    XhcipWrite32(controller->Runtime, XHCI_IMAN, IMAN_IP | IMAN_IE);
    KeAcquireSpinLockAtDpcLevel(&controller->Lock);
    XhcipProcessEvents(controller);
    KeReleaseSpinLockFromDpcLevel(&controller->Lock);
    return TRUE;
}

// Without MSI, the events are taken every clock tick (15.6 ms): a key's
// latency grows by at most a tick, and each idle tick costs a DPC and a
// read of one TRB's cycle bit.
static void XhcipPollDpc(KDPC *dpc, void *context, void *argument1, void *argument2)
{
    XhcipLockedProcessEvents(context);
}

// The debugger has frozen the system: take keystrokes as the interrupt
// would, and enumerate a keyboard plugged in meanwhile (no thread runs).
// The lock and the hub are only tried: whoever holds them is stopped.
static void XhcipConsolePoll(void *context)
{
    XHCI_CONTROLLER *controller = context;

    if (!KeTryToAcquireSpinLockAtDpcLevel(&controller->Lock))
        return;
    XhcipProcessEvents(controller);
    KeReleaseSpinLockFromDpcLevel(&controller->Lock);
    if ((controller->PortChanges || controller->OfferPending) &&
        XhcipTryEnterHub(controller)) {
        XhcipHubScan(controller);
        XhcipLeaveHub(controller);
    }
}

// ---- Commands (4.6) -----------------------------------------------------------

ULONG XhcipCommand(XHCI_CONTROLLER *controller, ULONG64 parameter, ULONG status,
                   ULONG control, ULONG *slot)
{
    ULONG code = 0;
    BOOLEAN enabled;

    enabled = XhcipLock(controller);
    controller->CommandCode = 0;
    KeClearEvent(&controller->CompletionEvent);
    controller->CommandTrb = XhciRingEnqueue(&controller->CommandRing, parameter, status,
                                             control);
    XhcipRingDoorbell(controller, 0, 0);
    XhcipUnlock(controller, enabled);

    XhcipWaitCompletion(controller, &controller->CommandCode, XHCI_COMMAND_TIMEOUT_MS);
    if (controller->CommandCode)
        code = controller->CommandCode & 0xFF;
    if (slot)
        *slot = controller->CommandSlot;
    controller->CommandTrb = 0;
    return code;
}

// ---- Bring-up (4.2) -------------------------------------------------------------

// 4.22.1: the firmware owns the controller until it sees the OS Owned
// semaphore and drops its BIOS Owned one; then its SMIs are turned off.
static void XhcipTakeOwnership(XHCI_CONTROLLER *controller)
{
    ULONG hccparams = XhcipRead32(controller->Capability, XHCI_HCCPARAMS1);
    ULONG offset = HCCPARAMS1_XECP(hccparams) * 4;

    for (ULONG hops = 0; offset && hops < 64; hops++) {
        ULONG value = XhcipRead32(controller->Capability, offset);

        if (XECP_ID(value) == XECP_LEGACY_SUPPORT) {
            if (value & USBLEGSUP_BIOS_OWNED) {
                XhcipWrite32(controller->Capability, offset, value | USBLEGSUP_OS_OWNED);
                if (!XhcipWaitRegister(controller->Capability, offset, USBLEGSUP_BIOS_OWNED, 0,
                                       XHCI_HANDOFF_TIMEOUT_MS)) {
                    DbgPrint("xhci: %s: the firmware kept the controller %u ms; taking it\n",
                             controller->Name, XHCI_HANDOFF_TIMEOUT_MS);
                    value = XhcipRead32(controller->Capability, offset);
                    XhcipWrite32(controller->Capability, offset,
                                 (value & ~USBLEGSUP_BIOS_OWNED) | USBLEGSUP_OS_OWNED);
                }
            }
            value = XhcipRead32(controller->Capability, offset + 4);
            XhcipWrite32(controller->Capability, offset + 4,
                         (value & ~USBLEGCTLSTS_SMI_ENABLES) | USBLEGCTLSTS_SMI_EVENTS);
            return;
        }
        if (!XECP_NEXT(value))
            return;
        offset += XECP_NEXT(value) * 4;
    }
}

static BOOLEAN XhcipReset(XHCI_CONTROLLER *controller)
{
    volatile UCHAR *op = controller->Operational;

    if (!XhcipWaitRegister(op, XHCI_USBSTS, USBSTS_CNR, 0, XHCI_RESET_TIMEOUT_MS))
        return FALSE;
    XhcipWrite32(op, XHCI_USBCMD, XhcipRead32(op, XHCI_USBCMD) & ~(USBCMD_RUN | USBCMD_INTE));
    if (!XhcipWaitRegister(op, XHCI_USBSTS, USBSTS_HCH, USBSTS_HCH, XHCI_HALT_TIMEOUT_MS))
        return FALSE;
    XhcipWrite32(op, XHCI_USBCMD, USBCMD_HCRST);
    KeStallExecutionProcessor(1000);
    return XhcipWaitRegister(op, XHCI_USBCMD, USBCMD_HCRST, 0, XHCI_RESET_TIMEOUT_MS) &&
           XhcipWaitRegister(op, XHCI_USBSTS, USBSTS_CNR, 0, XHCI_RESET_TIMEOUT_MS);
}

// The device context array, the scratchpad pages the controller asks for,
// the command ring and a one-segment event ring (4.2, 6.5).
static NTSTATUS XhcipAllocateStructures(XHCI_CONTROLLER *controller)
{
    ULONG scratchpads = HCSPARAMS2_SCRATCHPADS(XhcipRead32(controller->Capability,
                                                           XHCI_HCSPARAMS2));
    XHCI_TRB *commands, *events;
    ULONG64 *erst;

    controller->Dcbaa = XhcipAllocatePage(controller);
    commands = XhcipAllocatePage(controller);
    events = XhcipAllocatePage(controller);
    erst = XhcipAllocatePage(controller);
    controller->ErstPage = erst;
    if (!controller->Dcbaa || !commands || !events || !erst)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (scratchpads > XHCI_MAX_SCRATCHPADS) {
        DbgPrint("xhci: %s asks for %u scratchpad pages, more than %u\n", controller->Name,
                 scratchpads, (ULONG)XHCI_MAX_SCRATCHPADS);
        return STATUS_NOT_SUPPORTED;
    }
    if (scratchpads) {
        controller->ScratchpadArray = XhcipAllocatePage(controller);
        if (!controller->ScratchpadArray)
            return STATUS_INSUFFICIENT_RESOURCES;
        for (ULONG i = 0; i < scratchpads; i++) {
            void *page = XhcipAllocatePage(controller);

            if (!page)
                return STATUS_INSUFFICIENT_RESOURCES;
            controller->ScratchpadArray[i] = MmGetPhysicalAddress(page);
        }
        controller->Dcbaa[0] = MmGetPhysicalAddress(controller->ScratchpadArray);
    }
    XhciRingInitialize(&controller->CommandRing, commands, MmGetPhysicalAddress(commands),
                       XHCI_RING_TRBS);
    XhciEventRingInitialize(&controller->EventRing, events, MmGetPhysicalAddress(events),
                            XHCI_RING_TRBS);
    // The segment table's one entry: base, then the size in TRBs (6.5).
    erst[0] = controller->EventRing.Physical;
    erst[1] = XHCI_RING_TRBS;
    return STATUS_SUCCESS;
}

// The physical address a memory BAR decodes (64-bit BARs take two).
static ULONG64 XhcipBarAddress(XHCI_CONTROLLER *controller, ULONG index)
{
    ULONG bar[2] = { 0, 0 };
    ULONG64 physical;

    if (index > 5)
        return 0;
    HalGetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, bar,
                          PCI_BASE_ADDRESS_0 + 4 * index, index < 5 ? 8 : 4);
    if (bar[0] & 1)
        return 0;                       // an I/O BAR
    physical = bar[0] & ~0xFULL;
    if (((bar[0] >> 1) & 3) == 2)
        physical |= (ULONG64)bar[1] << 32;
    return physical;
}

// The offset of the first capability with this ID in configuration space,
// 0 when there is none (the list is bounded: at most 48 entries).
static UCHAR XhcipFindCapability(XHCI_CONTROLLER *controller, UCHAR id)
{
    UCHAR pointer = 0, capability[2];
    USHORT status = 0;

    HalGetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &status,
                          PCI_STATUS, 2);
    if (!(status & PCI_STATUS_CAPABILITIES))
        return 0;
    HalGetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &pointer,
                          PCI_CAPABILITIES_POINTER, 1);
    for (ULONG hops = 0; pointer >= 0x40 && hops < 48; hops++) {
        pointer &= 0xFC;
        HalGetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot,
                              capability, pointer, 2);
        if (capability[0] == id)
            return pointer;
        pointer = capability[1];
    }
    return 0;
}

// MSI (PCI 3.0, 6.8.1): the message address and data in the capability.
static void XhcipProgramMsi(XHCI_CONTROLLER *controller, UCHAR pointer, ULONG64 address,
                            ULONG data)
{
    ULONG low = (ULONG)address, high = (ULONG)(address >> 32);
    USHORT data16 = (USHORT)data, control = 0;
    ULONG dataOffset;

    HalGetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &control,
                          pointer + MSI_CONTROL, 2);
    dataOffset = (control & MSI_CONTROL_64BIT) ? 12 : 8;
    HalSetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &low,
                          pointer + MSI_ADDRESS_LOW, 4);
    if (control & MSI_CONTROL_64BIT)
        HalSetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &high,
                              pointer + MSI_ADDRESS_LOW + 4, 4);
    HalSetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &data16,
                          pointer + dataOffset, 2);
    control = (control & ~MSI_CONTROL_MULTIPLE_ENABLE) | MSI_CONTROL_ENABLE;
    HalSetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &control,
                          pointer + MSI_CONTROL, 2);
}

// MSI-X (PCI 3.0, 6.8.2): entry 0 of the table in one of the function's
// BARs gets the message; the function is then switched to MSI-X.
static BOOLEAN XhcipProgramMsix(XHCI_CONTROLLER *controller, UCHAR pointer, ULONG64 address,
                                ULONG data)
{
    ULONG table = 0;
    USHORT control = 0;
    ULONG64 physical;
    volatile ULONG *entry;

    HalGetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &table,
                          pointer + MSIX_TABLE, 4);
    physical = XhcipBarAddress(controller, table & MSIX_BIR_MASK);
    if (!physical)
        return FALSE;
    entry = MmMapIoSpace(physical + (table & ~MSIX_BIR_MASK), MSIX_ENTRY_SIZE, MmNonCached);
    if (!entry)
        return FALSE;
    entry[0] = (ULONG)address;
    entry[1] = (ULONG)(address >> 32);
    entry[2] = data;
    entry[3] = 0;                       // unmasked
    HalGetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &control,
                          pointer + MSI_CONTROL, 2);
    control = (control & ~MSIX_CONTROL_FUNCTION_MASK) | MSIX_CONTROL_ENABLE;
    HalSetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &control,
                          pointer + MSI_CONTROL, 2);
    return TRUE;
}

// MSI where the function has it, else MSI-X (QEMU's qemu-xhci has only
// MSI-X); without either the events are polled (XhcipPollDpc).
static void XhcipEnableMessageInterrupt(XHCI_CONTROLLER *controller)
{
    UCHAR msi = XhcipFindCapability(controller, PCI_CAPABILITY_MSI);
    UCHAR msix = msi ? 0 : XhcipFindCapability(controller, PCI_CAPABILITY_MSIX);
    ULONG64 address;
    ULONG data;

    if (!msi && !msix)
        return;
    if (!NT_SUCCESS(HalConnectMessageInterrupt(XhcipInterrupt, controller, &controller->Vector,
                                               &address, &data))) {
        controller->Vector = 0;
        return;
    }
    if (msi) {
        XhcipProgramMsi(controller, msi, address, data);
        controller->InterruptKind = "MSI";
    } else if (XhcipProgramMsix(controller, msix, address, data)) {
        controller->InterruptKind = "MSI-X";
    } else {
        HalDisconnectMessageInterrupt(controller->Vector);
        controller->Vector = 0;
    }
}

static NTSTATUS XhcipStart(XHCI_CONTROLLER *controller)
{
    volatile UCHAR *op = controller->Operational;
    volatile UCHAR *rt = controller->Runtime;
    ULONG hcs1 = XhcipRead32(controller->Capability, XHCI_HCSPARAMS1);
    ULONG hcc1 = XhcipRead32(controller->Capability, XHCI_HCCPARAMS1);
    NTSTATUS status;

    XhcipTakeOwnership(controller);
    if (!XhcipReset(controller)) {
        DbgPrint("xhci: %s did not become ready in %u ms (USBSTS %08x); left alone\n",
                 controller->Name, XHCI_RESET_TIMEOUT_MS, XhcipRead32(op, XHCI_USBSTS));
        return STATUS_IO_TIMEOUT;
    }
    controller->MaxSlots = HCSPARAMS1_MAX_SLOTS(hcs1);
    if (controller->MaxSlots > XHCI_MAX_SLOTS)
        controller->MaxSlots = XHCI_MAX_SLOTS;
    controller->MaxPorts = HCSPARAMS1_MAX_PORTS(hcs1);
    if (controller->MaxPorts > XHCI_MAX_PORTS)
        controller->MaxPorts = XHCI_MAX_PORTS;
    controller->ContextSize = (hcc1 & HCCPARAMS1_CSZ) ? 64 : 32;
    controller->HighestAddress = (hcc1 & HCCPARAMS1_AC64) ? ~0ULL : 0xFFFFFFFFULL;
    if (!(XhcipRead32(op, XHCI_PAGESIZE) & 1)) {
        DbgPrint("xhci: %s does not take 4 KiB pages; left alone\n", controller->Name);
        return STATUS_NOT_SUPPORTED;
    }
    status = XhcipAllocateStructures(controller);
    if (!NT_SUCCESS(status))
        return status;

    XhcipWrite32(op, XHCI_CONFIG, controller->MaxSlots);
    XhcipWrite64(op, XHCI_DCBAAP, MmGetPhysicalAddress(controller->Dcbaa));
    XhcipWrite64(op, XHCI_CRCR, controller->CommandRing.Physical | CRCR_RCS);
    // Interrupter 0: the size, the dequeue pointer, then the table's base,
    // whose write starts the event ring (5.5.2.3.2).
    XhcipWrite32(rt, XHCI_ERSTSZ, 1);
    XhcipWrite64(rt, XHCI_ERDP, controller->EventRing.Physical);
    XhcipWrite64(rt, XHCI_ERSTBA, MmGetPhysicalAddress(controller->ErstPage));
    XhcipWrite32(rt, XHCI_IMOD, 4000);      // at most one interrupt per ms (250 ns units)
    XhcipEnableMessageInterrupt(controller);
    XhcipWrite32(rt, XHCI_IMAN, IMAN_IP | IMAN_IE);
    XhcipWrite32(op, XHCI_USBCMD, USBCMD_RUN | USBCMD_INTE);
    if (!XhcipWaitRegister(op, XHCI_USBSTS, USBSTS_HCH, 0, XHCI_HALT_TIMEOUT_MS)) {
        DbgPrint("xhci: %s did not start (USBSTS %08x); left alone\n", controller->Name,
                 XhcipRead32(op, XHCI_USBSTS));
        XhcipWrite32(op, XHCI_USBCMD, 0);
        return STATUS_IO_TIMEOUT;
    }
    if (hcc1 & HCCPARAMS1_PPC) {
        for (ULONG port = 1; port <= controller->MaxPorts; port++) {
            ULONG portsc = XhcipReadPortsc(controller, port);

            if (!(portsc & PORTSC_PP))
                XhcipWritePortsc(controller, port, (portsc & PORTSC_PRESERVE) | PORTSC_PP);
        }
        XhcipDelay(20);     // power to the ports settles (USB 2.0, 7.1.7.3: 20 ms)
    }
    return STATUS_SUCCESS;
}

// Maps BAR 0 (64-bit or 32-bit memory) uncached, with memory decoding and
// bus mastering on.
static NTSTATUS XhcipMapRegisters(XHCI_CONTROLLER *controller)
{
    ULONG64 physical = XhcipBarAddress(controller, 0);
    USHORT command;

    if (!physical)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    HalGetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &command,
                          PCI_COMMAND, 2);
    command |= PCI_COMMAND_MEMORY | PCI_COMMAND_BUS_MASTER | PCI_COMMAND_INTX_DISABLE;
    HalSetBusDataByOffset(PCIConfiguration, controller->Bus, controller->Slot, &command,
                          PCI_COMMAND, 2);
    // The capability, operational and runtime registers and the doorbells
    // fit in 64 KiB on every controller (QEMU's: 16 KiB).
    controller->Capability = MmMapIoSpace(physical, 0x10000, MmNonCached);
    if (!controller->Capability)
        return STATUS_INSUFFICIENT_RESOURCES;
    controller->Operational = controller->Capability +
                              (XhcipRead32(controller->Capability, XHCI_CAPLENGTH) & 0xFF);
    controller->Runtime = controller->Capability +
                          (XhcipRead32(controller->Capability, XHCI_RTSOFF) & ~0x1FU);
    controller->Doorbells = (volatile ULONG *)(controller->Capability +
                            (XhcipRead32(controller->Capability, XHCI_DBOFF) & ~0x3U));
    if ((UCHAR *)controller->Runtime >= (UCHAR *)controller->Capability + 0x10000 - 0x40 ||
        (UCHAR *)controller->Doorbells >= (UCHAR *)controller->Capability + 0x10000 - 0x400)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    return STATUS_SUCCESS;
}

static void XhcipAddController(ULONG bus, ULONG slot)
{
    XHCI_CONTROLLER *controller;
    PCI_SLOT_NUMBER slotNumber;
    NTSTATUS status;

    if (XhcipControllerCount == XHCI_MAX_CONTROLLERS)
        return;
    controller = ExAllocatePoolWithTag(NonPagedPool, sizeof(*controller),
                                       POOL_TAG('U', 's', 'b', 'X'));
    if (!controller)
        return;
    memset(controller, 0, sizeof(*controller));
    slotNumber.u.AsULONG = slot;
    controller->Bus = bus;
    controller->Slot = slot;
    RtlStringPrintf(controller->Name, sizeof(controller->Name), "%02x:%02x.%x", bus,
                    slotNumber.u.bits.DeviceNumber, slotNumber.u.bits.FunctionNumber);
    KeInitializeSpinLock(&controller->Lock);
    KeInitializeEvent(&controller->CompletionEvent, SynchronizationEvent, FALSE);
    KeInitializeEvent(&controller->HubEvent, SynchronizationEvent, FALSE);
    KeInitializeDpc(&controller->Dpc, XhcipDpc, controller);
    KeInitializeTimer(&controller->PollTimer);
    KeInitializeDpc(&controller->PollDpc, XhcipPollDpc, controller);

    status = XhcipMapRegisters(controller);
    if (NT_SUCCESS(status))
        status = XhcipStart(controller);
    if (!NT_SUCCESS(status)) {
        if (status != STATUS_IO_TIMEOUT && status != STATUS_NOT_SUPPORTED)
            DbgPrint("xhci: %s not started: status %08x\n", controller->Name, status);
        // Its pages stay: the controller may still hold their addresses.
        if (controller->Vector)
            HalDisconnectMessageInterrupt(controller->Vector);
        return;
    }
    if (!controller->Vector) {
        LARGE_INTEGER due;

        due.QuadPart = -10000LL * 16;
        KeSetTimerEx(&controller->PollTimer, due, 16, &controller->PollDpc);
    }
    HalRegisterConsoleInputPoll(XhcipConsolePoll, controller);
    XhcipControllers[XhcipControllerCount++] = controller;
    DbgPrint("xhci: %s: xHCI %x.%02x, %u ports, %u slots, %s\n", controller->Name,
             XhcipRead32(controller->Capability, XHCI_CAPLENGTH) >> 24,
             (XhcipRead32(controller->Capability, XHCI_CAPLENGTH) >> 16) & 0xFF,
             controller->MaxPorts, controller->MaxSlots,
             controller->Vector ? controller->InterruptKind : "polled every tick (no MSI)");
    // The devices there at boot are enumerated now, so that the keyboard
    // works at the first prompt; the hub thread takes later changes.
    XhcipTryEnterHub(controller);
    XhcipHubScan(controller);
    XhcipLeaveHub(controller);
    status = XhcipStartHubThread(controller);
    if (!NT_SUCCESS(status))
        DbgPrint("xhci: %s: no hub thread: status %08x\n", controller->Name, status);
}

typedef struct _XHCI_PCI_LOCATION {
    ULONG Bus, Slot;
} XHCI_PCI_LOCATION;

// Every function of every bus: 256 x 32 x 8 configuration reads of the
// vendor at most, skipping the other functions of single-function devices.
// Collects the xHCI and EHCI controllers.
static void XhcipScanPci(XHCI_PCI_LOCATION *xhci, ULONG *xhciCount,
                         XHCI_PCI_LOCATION *ehci, ULONG *ehciCount)
{
    for (ULONG bus = 0; bus < PCI_MAX_BUSES; bus++) {
        for (ULONG device = 0; device < PCI_MAX_DEVICES; device++) {
            for (ULONG function = 0; function < PCI_MAX_FUNCTION; function++) {
                PCI_SLOT_NUMBER slot;
                ULONG ids = 0xFFFFFFFF, classCode = 0;
                USHORT vendor;
                UCHAR headerType = 0;

                slot.u.AsULONG = 0;
                slot.u.bits.DeviceNumber = device;
                slot.u.bits.FunctionNumber = function;
                HalGetBusDataByOffset(PCIConfiguration, bus, slot.u.AsULONG, &ids,
                                      PCI_VENDOR_ID, 4);
                vendor = (USHORT)ids;
                if (vendor == PCI_INVALID_VENDORID || vendor == 0) {
                    if (function == 0)
                        break;
                    continue;
                }
                HalGetBusDataByOffset(PCIConfiguration, bus, slot.u.AsULONG, &classCode,
                                      PCI_REVISION_AND_CLASS, 4);
                HalGetBusDataByOffset(PCIConfiguration, bus, slot.u.AsULONG, &headerType,
                                      PCI_HEADER_TYPE, 1);
                if ((classCode >> 24) == XHCI_CLASS_SERIAL_BUS &&
                    ((classCode >> 16) & 0xFF) == XHCI_SUBCLASS_USB) {
                    ULONG interface = (classCode >> 8) & 0xFF;

                    if (interface == XHCI_INTERFACE_XHCI && *xhciCount < XHCI_MAX_CONTROLLERS) {
                        xhci[*xhciCount].Bus = bus;
                        xhci[(*xhciCount)++].Slot = slot.u.AsULONG;
                    } else if (interface == XHCI_INTERFACE_EHCI && *ehciCount < XHCI_MAX_EHCI) {
                        ehci[*ehciCount].Bus = bus;
                        ehci[(*ehciCount)++].Slot = slot.u.AsULONG;
                    }
                }
                if (function == 0 && !(headerType & PCI_HEADER_MULTIFUNCTION))
                    break;
            }
        }
    }
}

// No DriverUnload: the controllers keep DMA pointers to the driver's pages
// and a class driver may import from it; as with NT's USB port driver, the
// driver stays loaded.
NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    XHCI_PCI_LOCATION xhci[XHCI_MAX_CONTROLLERS], ehci[XHCI_MAX_EHCI];
    ULONG xhciCount = 0, ehciCount = 0;

    XhcipScanPci(xhci, &xhciCount, ehci, &ehciCount);
    // Without xHCI the firmware's emulation on EHCI may be the only
    // keyboard there is: the EHCI controllers are left to it then.
    if (xhciCount) {
        for (ULONG i = 0; i < xhciCount; i++)
            XhcipRouteIntelPorts(xhci[i].Bus, xhci[i].Slot);
        for (ULONG i = 0; i < ehciCount; i++)
            XhcipTakeEhciController(ehci[i].Bus, ehci[i].Slot);
    }
    for (ULONG i = 0; i < xhciCount; i++)
        XhcipAddController(xhci[i].Bus, xhci[i].Slot);
    if (XhcipControllerCount == 0)
        DbgPrint("xhci: no xHCI controller found\n");
    return STATUS_SUCCESS;
}
