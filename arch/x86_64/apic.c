// Interrupt controllers: the legacy 8259 PICs are remapped out of the way and
// masked; the local APIC delivers the clock and end-of-interrupts; the I/O
// APIC routes ISA interrupts (keyboard, COM1) to vectors, following the
// MADT's interrupt source overrides.
//
// The local APIC is driven in x2APIC mode where the processor offers it
// (CPUID.1:ECX bit 21), else in xAPIC mode. xAPIC: registers in a 4 KiB
// page, the ICR as two 32-bit halves, 8-bit APIC ids. x2APIC: the same
// registers as MSRs 800h + offset / 16 (Intel SDM vol. 3, 10.12), the ICR
// one 64-bit MSR (830h) with a 32-bit destination, 32-bit APIC ids, which
// is what starts a processor whose APIC id is above 255.

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

#define APIC_BASE_X2APIC (1ULL << 10)
#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_ADDRESS_MASK 0xFFFFFF000ULL
#define MSR_X2APIC_FIRST 0x800
#define CPUID_1_ECX_X2APIC (1U << 21)
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
BOOLEAN HalpX2ApicMode;
static ULONG64 HalpLocalApicPhysical;
static volatile ULONG *HalpIoApic;
static ULONG HalpIoApicEntries;

ULONG HalpApicRead(ULONG reg)
{
    if (HalpX2ApicMode)
        return (ULONG)__readmsr(MSR_X2APIC_FIRST + reg / 16);
    return HalpLocalApic[reg / 4];
}

void HalpApicWrite(ULONG reg, ULONG value)
{
    if (HalpX2ApicMode)
        __writemsr(MSR_X2APIC_FIRST + reg / 16, value);
    else
        HalpLocalApic[reg / 4] = value;
}

// The interrupt command register: in x2APIC mode one MSR write, the
// destination in the high half; in xAPIC mode the destination (8 bits)
// first, then the low half, whose write sends. Interrupts off (the caller's).
void HalpApicWriteIcr(ULONG apicId, ULONG low)
{
    if (HalpX2ApicMode) {
        // WRMSR to an x2APIC register does not serialize (10.12.3): the
        // stores the target will read must be visible before it is told.
        __asm__ volatile("mfence; lfence" ::: "memory");
        __writemsr(MSR_X2APIC_FIRST + APIC_ICR_LOW / 16, ((ULONG64)apicId << 32) | low);
        return;
    }
    HalpLocalApic[APIC_ICR_HIGH / 4] = apicId << 24;
    HalpLocalApic[APIC_ICR_LOW / 4] = low;
}

// x2APIC has no delivery status bit: a write to the ICR is taken at once.
BOOLEAN HalpApicIcrPending(void)
{
    return !HalpX2ApicMode && (HalpLocalApic[APIC_ICR_LOW / 4] & APIC_ICR_PENDING);
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
// In x2APIC mode: enabled first, then extended (xAPIC to x2APIC is the one
// way there, 10.12.5); a processor the firmware left in x2APIC mode stays.
void HalInitializeProcessor(void)
{
    ULONG64 base = __readmsr(MSR_APIC_BASE);

    if (!(base & APIC_BASE_X2APIC)) {
        base = (base & ~APIC_BASE_ADDRESS_MASK & ~0xFFFULL) | HalpLocalApicPhysical |
               APIC_BASE_ENABLE;
        __writemsr(MSR_APIC_BASE, base);
        if (HalpX2ApicMode)
            __writemsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
    }
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

    ULONG regs[4];

    HalpDisablePic();

    __cpuid(1, 0, regs);
    // A firmware that left the APIC in x2APIC mode is followed there too:
    // it cannot be switched back to xAPIC but through disabled.
    HalpX2ApicMode = (regs[2] & CPUID_1_ECX_X2APIC) ||
                     (__readmsr(MSR_APIC_BASE) & APIC_BASE_X2APIC);
    HalpLocalApicPhysical = apicPhysical;
    HalpLocalApic = MmMapIoSpace(apicPhysical, PAGE_SIZE, MmNonCached);
    if (!HalpLocalApic)
        KeBugCheckEx(HAL_INITIALIZATION_FAILED, 1, apicPhysical, 0, 0);
    HalInitializeProcessor();
    if (HalpX2ApicMode)
        DbgPrint("APIC: x2APIC mode (MSRs), boot processor's APIC id %u\n", HalGetLocalApicId());
    else
        DbgPrint("APIC: xAPIC mode (registers at %llx; the processor has no x2APIC), "
                 "boot processor's APIC id %u\n", (unsigned long long)apicPhysical,
                 HalGetLocalApicId());

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
    return HalpX2ApicMode ? HalpApicRead(APIC_ID) : HalpApicRead(APIC_ID) >> 24;
}
