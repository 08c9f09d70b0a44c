// Interrupt controllers: the legacy 8259 PICs are remapped out of the way and
// masked; the local APIC delivers the clock and end-of-interrupts; the I/O
// APIC routes ISA interrupts (keyboard, COM1) to vectors, following the
// MADT's interrupt source overrides.

#include "arch/x86_64/hal.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/x86.h"
#include "mm/mm.h"
#include "ke/ke.h"

#define PIC1_COMMAND 0x20
#define PIC1_DATA    0x21
#define PIC2_COMMAND 0xA0
#define PIC2_DATA    0xA1
#define PIC_ICW1_INIT_ICW4 0x11
#define PIC_ICW4_8086 0x01
#define PIC_MASK_ALL 0xFF
#define PIC_REMAP_BASE 0x20         // exceptions stay clear if one fires anyway

#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_DEFAULT_PHYSICAL 0xFEE00000ULL
#define APIC_SVR_ENABLE 0x100

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_VERSION 0x01
#define IOAPIC_REDIRECTION 0x10
#define IOREDTBL_MASKED (1U << 16)
#define IOREDTBL_LEVEL (1U << 15)
#define IOREDTBL_ACTIVE_LOW (1U << 13)
#define MPS_POLARITY_MASK 0x3
#define MPS_POLARITY_LOW 0x3
#define MPS_TRIGGER_MASK 0xC
#define MPS_TRIGGER_LEVEL 0xC

volatile ULONG *HalpLocalApic;
static ULONG64 HalpLocalApicPhysical;
static volatile ULONG *HalpIoApic;
static ULONG HalpIoApicEntries;

ULONG HalpApicRead(ULONG reg)
{
    return HalpLocalApic[reg / 4];
}

void HalpApicWrite(ULONG reg, ULONG value)
{
    HalpLocalApic[reg / 4] = value;
}

static ULONG HalpIoApicRead(ULONG reg)
{
    HalpIoApic[IOAPIC_REGSEL / 4] = reg;
    return HalpIoApic[IOAPIC_WINDOW / 4];
}

static void HalpIoApicWrite(ULONG reg, ULONG value)
{
    HalpIoApic[IOAPIC_REGSEL / 4] = reg;
    HalpIoApic[IOAPIC_WINDOW / 4] = value;
}

static void HalpDisablePic(void)
{
    WRITE_PORT_UCHAR(PIC1_COMMAND, PIC_ICW1_INIT_ICW4);
    WRITE_PORT_UCHAR(PIC2_COMMAND, PIC_ICW1_INIT_ICW4);
    WRITE_PORT_UCHAR(PIC1_DATA, PIC_REMAP_BASE);
    WRITE_PORT_UCHAR(PIC2_DATA, PIC_REMAP_BASE + 8);
    WRITE_PORT_UCHAR(PIC1_DATA, 4);         // slave on IRQ2
    WRITE_PORT_UCHAR(PIC2_DATA, 2);
    WRITE_PORT_UCHAR(PIC1_DATA, PIC_ICW4_8086);
    WRITE_PORT_UCHAR(PIC2_DATA, PIC_ICW4_8086);
    WRITE_PORT_UCHAR(PIC1_DATA, PIC_MASK_ALL);
    WRITE_PORT_UCHAR(PIC2_DATA, PIC_MASK_ALL);
}

// This processor's local APIC (every processor's is at the same address):
// enabled, nothing masked by priority, the local interrupt lines and the
// timer masked until they are wanted.
void HalInitializeProcessor(void)
{
    __writemsr(MSR_APIC_BASE, (__readmsr(MSR_APIC_BASE) & ~0xFFFULL & ~0xFFFFF000ULL) |
                                  HalpLocalApicPhysical | APIC_BASE_ENABLE);
    HalpApicWrite(APIC_TPR, 0);
    HalpApicWrite(APIC_LVT_LINT0, APIC_LVT_MASKED);
    HalpApicWrite(APIC_LVT_LINT1, APIC_LVT_MASKED);
    HalpApicWrite(APIC_LVT_ERROR, APIC_LVT_MASKED);
    HalpApicWrite(APIC_LVT_TIMER, APIC_LVT_MASKED);
    HalpApicWrite(APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
    HalpApicWrite(APIC_EOI, 0);
}

void HalInitializeInterruptControllers(void)
{
    ULONG64 apicPhysical = HalpAcpi.LocalApicPhysical ? HalpAcpi.LocalApicPhysical
                                                       : APIC_DEFAULT_PHYSICAL;

    HalpDisablePic();

    HalpLocalApicPhysical = apicPhysical;
    HalpLocalApic = MmMapIoSpace(apicPhysical, PAGE_SIZE, MmNonCached);
    if (!HalpLocalApic)
        KeBugCheckEx(HAL_INITIALIZATION_FAILED, 1, apicPhysical, 0, 0);
    HalInitializeProcessor();

    if (HalpAcpi.IoApicPhysical) {

        HalpIoApic = MmMapIoSpace(HalpAcpi.IoApicPhysical, PAGE_SIZE, MmNonCached);
        HalpIoApicEntries = ((HalpIoApicRead(IOAPIC_VERSION) >> 16) & 0xFF) + 1;
        for (ULONG i = 0; i < HalpIoApicEntries; i++) {
            HalpIoApicWrite(IOAPIC_REDIRECTION + 2 * i, IOREDTBL_MASKED);
            HalpIoApicWrite(IOAPIC_REDIRECTION + 2 * i + 1, 0);
        }
    }
}

// Routes an ISA IRQ to `vector` on this processor, honouring the MADT's
// override of its pin, polarity and trigger mode.
void HalEnableIrq(ULONG isaIrq, ULONG vector)
{
    ULONG gsi = HalpAcpi.IsaGsi[isaIrq];
    USHORT flags = HalpAcpi.IsaFlags[isaIrq];
    ULONG pin, low = vector;

    if (!HalpIoApic || gsi < HalpAcpi.IoApicGsiBase)
        return;
    pin = gsi - HalpAcpi.IoApicGsiBase;
    if (pin >= HalpIoApicEntries)
        return;
    if ((flags & MPS_POLARITY_MASK) == MPS_POLARITY_LOW)
        low |= IOREDTBL_ACTIVE_LOW;
    if ((flags & MPS_TRIGGER_MASK) == MPS_TRIGGER_LEVEL)
        low |= IOREDTBL_LEVEL;
    HalpIoApicWrite(IOAPIC_REDIRECTION + 2 * pin + 1, HalGetLocalApicId() << 24);
    HalpIoApicWrite(IOAPIC_REDIRECTION + 2 * pin, low);
}


void HalRequestSoftwareInterrupt(KIRQL level)
{
    HalpApicWrite(APIC_ICR_LOW, APIC_ICR_SELF | (level == APC_LEVEL ? APC_VECTOR
                                                                   : DISPATCH_VECTOR));
}

void HalEndOfInterrupt(void)
{
    HalpApicWrite(APIC_EOI, 0);
}

ULONG HalGetLocalApicId(void)
{
    return HalpApicRead(APIC_ID) >> 24;
}
