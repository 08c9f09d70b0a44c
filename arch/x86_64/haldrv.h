// What nt's hardware layer offers device drivers loaded from their own images
// (the USB drivers first): PCI configuration space, message-signalled
// interrupts, the console's keyboard input and its polling while the
// debugger has the system frozen. Every routine here is on nt's export list.
#pragma once

#include "rtl/rtl.h"

// ---- PCI configuration space (arch/x86_64/pci.c) -----------------------------

// NT's bus data types; Sleuth has the PCI one only.
typedef enum _BUS_DATA_TYPE {
    PCIConfiguration = 4,
} BUS_DATA_TYPE;

// NT's slot number: device and function on a bus.
typedef struct _PCI_SLOT_NUMBER {
    union {
        struct {
            ULONG DeviceNumber : 5;
            ULONG FunctionNumber : 3;
            ULONG Reserved : 24;
        } bits;
        ULONG AsULONG;
    } u;
} PCI_SLOT_NUMBER;

#define PCI_MAX_BUSES 256
#define PCI_MAX_DEVICES 32
#define PCI_MAX_FUNCTION 8
#define PCI_CONFIG_SIZE 256             // what configuration mechanism #1 reaches
#define PCI_INVALID_VENDORID 0xFFFF

// Offsets in the common header (type 0).
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_AND_CLASS 0x08     // revision, prog-if, subclass, class
#define PCI_HEADER_TYPE 0x0E
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_CAPABILITIES_POINTER 0x34
#define PCI_INTERRUPT_LINE 0x3C

#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_BUS_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_CAPABILITIES 0x0010
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_CAPABILITY_MSI 0x05

// Reads (writes) `length` bytes of a function's configuration space from
// `offset`. Returns the bytes moved: 0 for a bus type other than PCI, a bus
// or slot out of range or a range beyond the 256 bytes mechanism #1 reaches.
// A function that is not there reads as all ones (vendor 0xFFFF), as on NT.
ULONG HalGetBusDataByOffset(BUS_DATA_TYPE busDataType, ULONG busNumber, ULONG slotNumber,
                            void *buffer, ULONG offset, ULONG length);
ULONG HalSetBusDataByOffset(BUS_DATA_TYPE busDataType, ULONG busNumber, ULONG slotNumber,
                            const void *buffer, ULONG offset, ULONG length);

// ---- Message-signalled interrupts --------------------------------------------

// Runs at the vector's IRQL with interrupts disabled; returns whether its
// device had interrupted.
typedef BOOLEAN (*HAL_MESSAGE_INTERRUPT_ROUTINE)(void *context);

// Gives the caller a free vector, connected to `routine`, and the message
// (address and data) its device must write to raise it on processor 0,
// where every device interrupt goes.
// STATUS_INSUFFICIENT_RESOURCES when every message vector is taken.
NTSTATUS HalConnectMessageInterrupt(HAL_MESSAGE_INTERRUPT_ROUTINE routine, void *context,
                                    ULONG *vector, ULONG64 *messageAddress,
                                    ULONG *messageData);
void HalDisconnectMessageInterrupt(ULONG vector);

// ---- Console input from keyboard drivers (arch/x86_64/kbdclass.c) ------------

// Scan codes of set 1 (E0 prefixes, 0x80 on a release), as a PS/2 keyboard
// behind a translating i8042 sends them; decoded into the console's bytes
// as the PS/2 keyboard's are (US layout, modifiers, Ctrl-C's break-in).
// Callable at any IRQL.
void HalKeyboardInputScanCodes(const UCHAR *scanCodes, ULONG count);

// A routine the console calls while the debugger has the system frozen
// (interrupts off, nothing else running), to move a device's input to the
// console as its interrupt would. At most HAL_MAX_INPUT_POLLS.
typedef void (*HAL_INPUT_POLL_ROUTINE)(void *context);
#define HAL_MAX_INPUT_POLLS 4
NTSTATUS HalRegisterConsoleInputPoll(HAL_INPUT_POLL_ROUTINE routine, void *context);
void HalDeregisterConsoleInputPoll(HAL_INPUT_POLL_ROUTINE routine, void *context);
