// What the HAL learned from the ACPI tables.
#pragma once

#include "rtl/rtl.h"

#define HAL_MAX_PROCESSORS 64

typedef struct __attribute__((packed)) _ACPI_TABLE_HEADER {
    ULONG Signature;
    ULONG Length;
    UCHAR Revision;
    UCHAR Checksum;
    char OemId[6];
    char OemTableId[8];
    ULONG OemRevision;
    ULONG CreatorId;
    ULONG CreatorRevision;
} ACPI_TABLE_HEADER;

typedef struct _HAL_ACPI_INFO {
    BOOLEAN Present;
    ULONG64 LocalApicPhysical;
    ULONG64 IoApicPhysical;
    ULONG IoApicGsiBase;
    ULONG ProcessorCount;
    ULONG ApicIds[HAL_MAX_PROCESSORS];     // 32-bit: x2APIC ids may pass 255
    ULONG IsaGsi[16];           // ISA IRQ -> global system interrupt
    USHORT IsaFlags[16];        // MPS INTI flags: polarity (bits 0-1), trigger (2-3)
    BOOLEAN ResetSupported;
    UCHAR ResetSpace;
    ULONG64 ResetAddress;
    UCHAR ResetValue;
} HAL_ACPI_INFO;

extern HAL_ACPI_INFO HalpAcpi;
