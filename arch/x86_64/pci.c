// PCI configuration space through configuration mechanism #1 (the address
// port 0xCF8, the data port 0xCFC), which both QEMU machines (pc and q35) and
// every PC chipset decode for the first 256 bytes of each function. That is
// all the USB host controller driver needs (its capability list, MSI), so
// the memory-mapped extended space (ACPI's MCFG) is not used yet.
// Also here: the vectors handed to drivers for message-signalled interrupts.

#include "arch/x86_64/hal.h"
#include "arch/x86_64/haldrv.h"
#include "arch/x86_64/x86.h"
#include "ke/ke.h"

#define PCI_CONFIG_ADDRESS_PORT 0xCF8
#define PCI_CONFIG_DATA_PORT 0xCFC
#define PCI_CONFIG_ENABLE 0x80000000U

// Message vectors: 0x70-0x7F, IRQL 7, above the keyboard (5) and COM1,
// below the clock (13).
#define HAL_MESSAGE_VECTOR_FIRST 0x70
#define HAL_MESSAGE_VECTOR_COUNT 16
#define MSI_ADDRESS_BASE 0xFEE00000ULL
#define MSI_ADDRESS_DESTINATION_SHIFT 12

static KSPIN_LOCK HalpPciConfigLock;

typedef struct _HAL_MESSAGE_VECTOR {
    HAL_MESSAGE_INTERRUPT_ROUTINE Routine;
    void *Context;
} HAL_MESSAGE_VECTOR;

static HAL_MESSAGE_VECTOR HalpMessageVectors[HAL_MESSAGE_VECTOR_COUNT];
static KSPIN_LOCK HalpMessageVectorLock;

static BOOLEAN HalpPciCheckRange(BUS_DATA_TYPE type, ULONG bus, ULONG slot,
                                 ULONG offset, ULONG length)
{
    PCI_SLOT_NUMBER slotNumber;

    slotNumber.u.AsULONG = slot;
    return type == PCIConfiguration && bus < PCI_MAX_BUSES && slotNumber.u.bits.Reserved == 0 &&
           offset < PCI_CONFIG_SIZE && length <= PCI_CONFIG_SIZE - offset;
}

static ULONG HalpPciAddress(ULONG bus, ULONG slot, ULONG offset)
{
    PCI_SLOT_NUMBER slotNumber;

    slotNumber.u.AsULONG = slot;
    return PCI_CONFIG_ENABLE | (bus << 16) | (slotNumber.u.bits.DeviceNumber << 11) |
           (slotNumber.u.bits.FunctionNumber << 8) | (offset & 0xFC);
}

// Bytes one at a time through the data port's byte lanes: the address port
// selects the dword, and (offset & 3) picks the byte within it. Interrupts
// stay off so that nothing moves the address port between the two accesses.
ULONG HalGetBusDataByOffset(BUS_DATA_TYPE busDataType, ULONG busNumber, ULONG slotNumber,
                            void *buffer, ULONG offset, ULONG length)
{
    UCHAR *bytes = buffer;
    BOOLEAN enabled;

    if (!HalpPciCheckRange(busDataType, busNumber, slotNumber, offset, length))
        return 0;
    enabled = KiAcquireSpinLockDisableInterrupts(&HalpPciConfigLock);
    for (ULONG i = 0; i < length;) {
        ULONG at = offset + i;

        WRITE_PORT_ULONG(PCI_CONFIG_ADDRESS_PORT, HalpPciAddress(busNumber, slotNumber, at));
        // Whole aligned dwords in one access: a bus scan reads 8,192 of them.
        if ((at & 3) == 0 && length - i >= 4) {
            ULONG value = READ_PORT_ULONG(PCI_CONFIG_DATA_PORT);

            memcpy(bytes + i, &value, 4);
            i += 4;
            continue;
        }
        bytes[i] = READ_PORT_UCHAR((USHORT)(PCI_CONFIG_DATA_PORT + (at & 3)));
        i++;
    }
    KiReleaseSpinLockRestoreInterrupts(&HalpPciConfigLock, enabled);
    return length;
}

ULONG HalSetBusDataByOffset(BUS_DATA_TYPE busDataType, ULONG busNumber, ULONG slotNumber,
                            const void *buffer, ULONG offset, ULONG length)
{
    const UCHAR *bytes = buffer;
    BOOLEAN enabled;

    if (!HalpPciCheckRange(busDataType, busNumber, slotNumber, offset, length))
        return 0;
    enabled = KiAcquireSpinLockDisableInterrupts(&HalpPciConfigLock);
    for (ULONG i = 0; i < length; i++) {
        ULONG at = offset + i;

        WRITE_PORT_ULONG(PCI_CONFIG_ADDRESS_PORT, HalpPciAddress(busNumber, slotNumber, at));
        WRITE_PORT_UCHAR((USHORT)(PCI_CONFIG_DATA_PORT + (at & 3)), bytes[i]);
    }
    KiReleaseSpinLockRestoreInterrupts(&HalpPciConfigLock, enabled);
    return length;
}

static void HalpMessageInterruptDispatch(KTRAP_FRAME *trapFrame)
{
    ULONG index = (ULONG)trapFrame->Vector - HAL_MESSAGE_VECTOR_FIRST;

    if (index < HAL_MESSAGE_VECTOR_COUNT && HalpMessageVectors[index].Routine)
        HalpMessageVectors[index].Routine(HalpMessageVectors[index].Context);
}

NTSTATUS HalConnectMessageInterrupt(HAL_MESSAGE_INTERRUPT_ROUTINE routine, void *context,
                                    ULONG *vector, ULONG64 *messageAddress,
                                    ULONG *messageData)
{
    NTSTATUS status = STATUS_INSUFFICIENT_RESOURCES;
    BOOLEAN enabled;

    if (!routine || !vector || !messageAddress || !messageData)
        return STATUS_INVALID_PARAMETER;
    enabled = KiAcquireSpinLockDisableInterrupts(&HalpMessageVectorLock);
    for (ULONG i = 0; i < HAL_MESSAGE_VECTOR_COUNT; i++) {
        if (HalpMessageVectors[i].Routine)
            continue;
        HalpMessageVectors[i].Routine = routine;
        HalpMessageVectors[i].Context = context;
        *vector = HAL_MESSAGE_VECTOR_FIRST + i;
        // Fixed delivery, edge triggered, physical destination: processor 0,
        // as every device interrupt (the I/O APIC's pins are routed in phase
        // 0, there). Not "this processor": a driver's start runs in a thread
        // that may be on any of them.
        *messageAddress = MSI_ADDRESS_BASE | ((ULONG64)KiProcessorBlock[0]->ApicId
                                              << MSI_ADDRESS_DESTINATION_SHIFT);
        *messageData = *vector;
        KeConnectInterrupt(*vector, HalpMessageInterruptDispatch);
        status = STATUS_SUCCESS;
        break;
    }
    KiReleaseSpinLockRestoreInterrupts(&HalpMessageVectorLock, enabled);
    return status;
}

void HalDisconnectMessageInterrupt(ULONG vector)
{
    ULONG index = vector - HAL_MESSAGE_VECTOR_FIRST;
    BOOLEAN enabled;

    if (index >= HAL_MESSAGE_VECTOR_COUNT)
        return;
    enabled = KiAcquireSpinLockDisableInterrupts(&HalpMessageVectorLock);
    KeConnectInterrupt(vector, NULL);
    HalpMessageVectors[index].Routine = NULL;
    HalpMessageVectors[index].Context = NULL;
    KiReleaseSpinLockRestoreInterrupts(&HalpMessageVectorLock, enabled);
}
