// Local APIC registers (offsets into its 4 KiB page).
#pragma once

#include "rtl/rtl.h"

#define APIC_ID          0x020
#define APIC_TPR         0x080
#define APIC_EOI         0x0B0
#define APIC_SVR         0x0F0
#define APIC_LVT_TIMER   0x320
#define APIC_LVT_LINT0   0x350
#define APIC_LVT_LINT1   0x360
#define APIC_LVT_ERROR   0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE  0x3E0
#define APIC_IRR           0x200    // 8 registers, 16 bytes apart: 32 vectors each
#define APIC_ICR_LOW       0x300
#define APIC_ICR_HIGH      0x310    // destination APIC id in bits 24-31

#define APIC_ICR_SELF      (1U << 18)    // destination shorthand: this processor
#define APIC_ICR_PENDING   (1U << 12)    // delivery status: not yet accepted
#define APIC_ICR_ASSERT    (1U << 14)
#define APIC_ICR_LEVEL     (1U << 15)
#define APIC_ICR_FIXED     (0U << 8)
#define APIC_ICR_NMI       (4U << 8)
#define APIC_ICR_INIT      (5U << 8)
#define APIC_ICR_STARTUP   (6U << 8)

#define APIC_LVT_MASKED    (1U << 16)
#define APIC_TIMER_PERIODIC (1U << 17)
#define APIC_TIMER_DIVIDE_BY_16 0x3

// The local APIC's registers by their xAPIC offsets, in either mode.
ULONG HalpApicRead(ULONG reg);
void HalpApicWrite(ULONG reg, ULONG value);
void HalpApicWriteIcr(ULONG apicId, ULONG low);
BOOLEAN HalpApicIcrPending(void);
extern BOOLEAN HalpX2ApicMode;          // TRUE: MSRs 800h+, 32-bit APIC ids
