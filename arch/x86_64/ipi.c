// Interrupts from one processor to another through the local APIC's
// interrupt command register: the INIT-SIPI-SIPI that starts an
// application processor, the IPI_VECTOR interrupt and the NMI. Each send
// runs with interrupts off, so that nothing on this processor writes the
// command register between its two halves.

#include "arch/x86_64/hal.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/x86.h"
#include "ke/ke.h"

#define ICR_SPIN_LIMIT 1000000
#define INIT_DELAY_US 10000         // after INIT, before the first SIPI
#define SIPI_DELAY_US 200           // between the two SIPIs

static void HalpSendIcr(ULONG apicId, ULONG low)
{
    BOOLEAN enabled = KiDisableInterrupts();

    for (ULONG spin = 0; spin < ICR_SPIN_LIMIT && HalpApicIcrPending(); spin++)
        _mm_pause();
    HalpApicWriteIcr(apicId, low);
    for (ULONG spin = 0; spin < ICR_SPIN_LIMIT && HalpApicIcrPending(); spin++)
        _mm_pause();
    KiRestoreInterrupts(enabled);
}

void HalStartNextProcessor(ULONG apicId, ULONG startupPage)
{
    HalpSendIcr(apicId, APIC_ICR_INIT | APIC_ICR_LEVEL | APIC_ICR_ASSERT);
    HalpSendIcr(apicId, APIC_ICR_INIT | APIC_ICR_LEVEL);
    KeStallExecutionProcessor(INIT_DELAY_US);
    for (ULONG i = 0; i < 2; i++) {
        HalpSendIcr(apicId, APIC_ICR_STARTUP | (startupPage & 0xFF));
        KeStallExecutionProcessor(SIPI_DELAY_US);
    }
}

// INIT alone: the processor stops wherever it is and waits for a SIPI.
void HalResetProcessor(ULONG apicId)
{
    HalpSendIcr(apicId, APIC_ICR_INIT | APIC_ICR_LEVEL | APIC_ICR_ASSERT);
    HalpSendIcr(apicId, APIC_ICR_INIT | APIC_ICR_LEVEL);
}

void HalRequestIpi(ULONG apicId)
{
    HalpSendIcr(apicId, APIC_ICR_FIXED | APIC_ICR_ASSERT | IPI_VECTOR);
}

void HalRequestSoftwareInterruptProcessor(ULONG apicId, KIRQL level)
{
    HalpSendIcr(apicId, APIC_ICR_FIXED | APIC_ICR_ASSERT |
                            (level == APC_LEVEL ? APC_VECTOR : DISPATCH_VECTOR));
}

void HalRequestThaw(ULONG apicId)
{
    HalpSendIcr(apicId, APIC_ICR_FIXED | APIC_ICR_ASSERT | THAW_VECTOR);
}

void HalRequestNmi(ULONG apicId)
{
    HalpSendIcr(apicId, APIC_ICR_NMI | APIC_ICR_ASSERT);
}
