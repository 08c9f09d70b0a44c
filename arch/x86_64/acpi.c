// The ACPI tables we need: the MADT (interrupt controllers and processors)
// and the FADT (the reset register). Tables are reached through
// MmMapIoSpace because firmware puts them in memory that is not RAM to us.

#include "arch/x86_64/hal.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/x86.h"
#include "mm/mm.h"
#include "ke/ke.h"

#define SIG(a, b, c, d) POOL_TAG(a, b, c, d)

typedef struct __attribute__((packed)) _RSDP {
    char Signature[8];
    UCHAR Checksum;
    char OemId[6];
    UCHAR Revision;
    ULONG RsdtAddress;
    ULONG Length;
    ULONG64 XsdtAddress;
    UCHAR ExtendedChecksum;
    UCHAR Reserved[3];
} RSDP;

typedef struct __attribute__((packed)) _MADT_ENTRY {
    UCHAR Type;
    UCHAR Length;
} MADT_ENTRY;

#define MADT_LOCAL_APIC        0
#define MADT_IO_APIC           1
#define MADT_INTERRUPT_OVERRIDE 2
#define MADT_LOCAL_X2APIC      9
#define MADT_LAPIC_ENABLED     1

#define FADT_RESET_REG_SUPPORTED (1U << 10)
#define FADT_RESET_REG_OFFSET  116
#define FADT_RESET_VALUE_OFFSET 128
#define ACPI_SPACE_MEMORY      0
#define ACPI_SPACE_IO          1

HAL_ACPI_INFO HalpAcpi;

static BOOLEAN HalpChecksumOk(const void *table, ULONG length)
{
    const UCHAR *bytes = table;
    UCHAR sum = 0;

    for (ULONG i = 0; i < length; i++)
        sum += bytes[i];
    return sum == 0;
}

static const ACPI_TABLE_HEADER *HalpMapTable(ULONG64 physical)
{
    const ACPI_TABLE_HEADER *header = MmMapIoSpace(physical, sizeof(*header), MmCached);

    if (!header || header->Length < sizeof(*header) || header->Length > 1024 * 1024)
        return NULL;
    header = MmMapIoSpace(physical, header->Length, MmCached);
    if (!header || !HalpChecksumOk(header, header->Length))
        return NULL;
    return header;
}

// Once each: a firmware may list a processor in both kinds of entry.
static void HalpAddProcessor(ULONG apicId)
{
    for (ULONG i = 0; i < HalpAcpi.ProcessorCount; i++) {
        if (HalpAcpi.ApicIds[i] == apicId)
            return;
    }
    if (HalpAcpi.ProcessorCount < HAL_MAX_PROCESSORS)
        HalpAcpi.ApicIds[HalpAcpi.ProcessorCount++] = apicId;
}

static void HalpParseMadt(const ACPI_TABLE_HEADER *madt)
{
    const UCHAR *at = (const UCHAR *)madt + sizeof(*madt) + 8;
    const UCHAR *end = (const UCHAR *)madt + madt->Length;

    HalpAcpi.LocalApicPhysical = *(const ULONG *)((const UCHAR *)madt + sizeof(*madt));
    while (at + sizeof(MADT_ENTRY) <= end) {
        const MADT_ENTRY *entry = (const MADT_ENTRY *)at;

        if (entry->Length < sizeof(MADT_ENTRY) || at + entry->Length > end)
            break;
        switch (entry->Type) {
        case MADT_LOCAL_APIC:
            if (at[4] & MADT_LAPIC_ENABLED)
                HalpAddProcessor(at[3]);
            break;
        case MADT_LOCAL_X2APIC:
            // ACPI 6.5, 5.2.12.12: the 32-bit id at 4, the flags at 8; how
            // a firmware lists processors whose APIC id is 255 or more.
            if (entry->Length >= 16 && (*(const ULONG *)(at + 8) & MADT_LAPIC_ENABLED))
                HalpAddProcessor(*(const ULONG *)(at + 4));
            break;
        case MADT_IO_APIC:
            if (!HalpAcpi.IoApicPhysical) {
                HalpAcpi.IoApicPhysical = *(const ULONG *)(at + 4);
                HalpAcpi.IoApicGsiBase = *(const ULONG *)(at + 8);
            }
            break;
        case MADT_INTERRUPT_OVERRIDE: {
            UCHAR source = at[3];

            if (source < 16) {
                HalpAcpi.IsaGsi[source] = *(const ULONG *)(at + 4);
                HalpAcpi.IsaFlags[source] = *(const USHORT *)(at + 8);
            }
            break;
        }
        default:
            break;
        }
        at += entry->Length;
    }
}

static void HalpParseFadt(const ACPI_TABLE_HEADER *fadt)
{
    const UCHAR *bytes = (const UCHAR *)fadt;
    ULONG flags;

    if (fadt->Length < FADT_RESET_VALUE_OFFSET + 1 || fadt->Revision < 2)
        return;
    flags = *(const ULONG *)(bytes + 112);
    if (!(flags & FADT_RESET_REG_SUPPORTED))
        return;
    HalpAcpi.ResetSpace = bytes[FADT_RESET_REG_OFFSET];
    HalpAcpi.ResetAddress = *(const ULONG64 *)(bytes + FADT_RESET_REG_OFFSET + 4);
    HalpAcpi.ResetValue = bytes[FADT_RESET_VALUE_OFFSET];
    HalpAcpi.ResetSupported = TRUE;
}

void HalInitializeAcpi(void)
{
    const RSDP *rsdp = (const RSDP *)KeLoaderBlock.Rsdp;
    const ACPI_TABLE_HEADER *root;
    BOOLEAN xsdt;
    ULONG entries;

    for (ULONG irq = 0; irq < 16; irq++)
        HalpAcpi.IsaGsi[irq] = irq;
    if (!KeLoaderBlock.RsdpPhysical || memcmp(rsdp->Signature, "RSD PTR ", 8) != 0)
        return;
    xsdt = rsdp->Revision >= 2 && rsdp->XsdtAddress;
    root = HalpMapTable(xsdt ? rsdp->XsdtAddress : rsdp->RsdtAddress);
    if (!root)
        return;
    HalpAcpi.Present = TRUE;
    entries = (root->Length - sizeof(*root)) / (xsdt ? 8 : 4);
    for (ULONG i = 0; i < entries; i++) {
        const UCHAR *slot = (const UCHAR *)root + sizeof(*root) + i * (xsdt ? 8 : 4);
        ULONG64 physical = xsdt ? *(const ULONG64 *)slot : *(const ULONG *)slot;
        const ACPI_TABLE_HEADER *table = HalpMapTable(physical);

        if (!table)
            continue;
        if (table->Signature == SIG('A', 'P', 'I', 'C'))
            HalpParseMadt(table);
        else if (table->Signature == SIG('F', 'A', 'C', 'P'))
            HalpParseFadt(table);
    }
}

ULONG HalGetProcessorCount(void)
{
    return HalpAcpi.ProcessorCount ? HalpAcpi.ProcessorCount : 1;
}

ULONG HalGetProcessorApicId(ULONG index)
{
    return index < HalpAcpi.ProcessorCount ? HalpAcpi.ApicIds[index] : 0;
}

// ACPI reset register, then the keyboard controller's reset line, then a
// triple fault by loading an empty IDT: one of them works on every PC.
void HalReboot(void)
{
    static const UCHAR emptyIdt[10];

    _disable();
    if (HalpAcpi.ResetSupported) {
        if (HalpAcpi.ResetSpace == ACPI_SPACE_IO) {
            WRITE_PORT_UCHAR((USHORT)HalpAcpi.ResetAddress, HalpAcpi.ResetValue);
        } else if (HalpAcpi.ResetSpace == ACPI_SPACE_MEMORY) {
            volatile UCHAR *reg = MmMapIoSpace(HalpAcpi.ResetAddress, 1, MmNonCached);

            if (reg)
                *reg = HalpAcpi.ResetValue;
        }
        KeStallExecutionProcessor(50000);
    }
    for (ULONG spin = 0; spin < 100000 && (READ_PORT_UCHAR(0x64) & 0x02); spin++)
        KeStallIoDelay();
    WRITE_PORT_UCHAR(0x64, 0xFE);
    KeStallExecutionProcessor(50000);
    __asm__ volatile("lidt (%0); int3" : : "r"(emptyIdt));
    for (;;)
        __halt();
}

void HalExitEmulator(ULONG code)
{
    WRITE_PORT_ULONG(0xF4, code);
}
