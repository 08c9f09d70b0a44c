// What nt gives device drivers (arch/x86_64/haldrv.h, kernel/mm/contig.c):
// PCI configuration space, message interrupt vectors, DMA pages, console
// polls and keyboard scan codes. Bad input is a refusal, never a crash.

#include "tests/kernel/ktest.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/haldrv.h"
#include "arch/x86_64/x86.h"
#include "mm/mm.h"

static ULONG KtPciSlot(ULONG device, ULONG function)
{
    PCI_SLOT_NUMBER slot;

    slot.u.AsULONG = 0;
    slot.u.bits.DeviceNumber = device;
    slot.u.bits.FunctionNumber = function;
    return slot.u.AsULONG;
}

KTEST(HalBusDataReadsTheHostBridgeAndRefusesWhatItCannotReach)
{
    USHORT vendor = 0;
    UCHAR bytes[8];

    // Both QEMU machines have a host bridge at 00:00.0.
    KT_EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 0, KtPciSlot(0, 0), &vendor,
                                       PCI_VENDOR_ID, 2), 2);
    KT_EXPECT(vendor != PCI_INVALID_VENDORID && vendor != 0);
    // Nobody at bus 255, device 31, function 7: all ones.
    KT_EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 255, KtPciSlot(31, 7), &vendor,
                                       PCI_VENDOR_ID, 2), 2);
    KT_EXPECT_EQ(vendor, PCI_INVALID_VENDORID);
    KT_EXPECT_EQ(HalGetBusDataByOffset((BUS_DATA_TYPE)5, 0, 0, bytes, 0, 4), 0);
    KT_EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 256, 0, bytes, 0, 4), 0);
    KT_EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 0, 0x100, bytes, 0, 4), 0);
    KT_EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 0, 0, bytes, 256, 1), 0);
    KT_EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 0, 0, bytes, 250, 8), 0);
    KT_EXPECT_EQ(HalSetBusDataByOffset(PCIConfiguration, 0, 0, bytes, 252, 8), 0);
    KT_EXPECT_EQ(HalSetBusDataByOffset((BUS_DATA_TYPE)0, 0, 0, bytes, 0, 1), 0);
    // The last dword is reachable, byte by byte.
    KT_EXPECT_EQ(HalGetBusDataByOffset(PCIConfiguration, 0, 0, bytes, 252, 4), 4);
}

static BOOLEAN KtMessageRoutine(void *context)
{
    return context != NULL;
}

KTEST(HalMessageVectorsRunOutCleanly)
{
    ULONG vectors[16], count = 0, vector, data;
    ULONG64 address;
    NTSTATUS status;

    KT_EXPECT_EQ(HalConnectMessageInterrupt(NULL, NULL, &vector, &address, &data),
                 STATUS_INVALID_PARAMETER);
    KT_EXPECT_EQ(HalConnectMessageInterrupt(KtMessageRoutine, NULL, NULL, &address, &data),
                 STATUS_INVALID_PARAMETER);
    for (;;) {
        status = HalConnectMessageInterrupt(KtMessageRoutine, &count, &vector, &address,
                                            &data);
        if (!NT_SUCCESS(status))
            break;
        KT_EXPECT(count < 16);
        KT_EXPECT(vector >= 0x70 && vector <= 0x7F);
        KT_EXPECT_EQ(data, vector);
        KT_EXPECT_EQ(address, 0xFEE00000ULL | ((ULONG64)HalGetLocalApicId() << 12));
        for (ULONG i = 0; i < count; i++)
            KT_EXPECT(vectors[i] != vector);
        vectors[count++] = vector;
    }
    KT_EXPECT_EQ(status, STATUS_INSUFFICIENT_RESOURCES);
    KT_EXPECT(count > 0);
    for (ULONG i = 0; i < count; i++)
        HalDisconnectMessageInterrupt(vectors[i]);
    HalDisconnectMessageInterrupt(0x20);        // not a message vector: ignored
    // Every one given back can be had again.
    KT_EXPECT(NT_SUCCESS(HalConnectMessageInterrupt(KtMessageRoutine, &count, &vector,
                                                    &address, &data)));
    HalDisconnectMessageInterrupt(vector);
}

KTEST(ContiguousMemoryIsOneZeroedPageBelowTheLimit)
{
    MM_STATISTICS before, after;
    UCHAR *page;
    ULONG64 physical;

    MmQueryStatistics(&before);
    KT_EXPECT(MmAllocateContiguousMemory(0, ~0ULL) == NULL);
    KT_EXPECT(MmAllocateContiguousMemory(PAGE_SIZE + 1, ~0ULL) == NULL);
    // Below the first page nothing fits; the pages looked at go back.
    KT_EXPECT(MmAllocateContiguousMemory(64, PAGE_SIZE - 1) == NULL);
    MmQueryStatistics(&after);
    KT_EXPECT_EQ(after.AvailablePages, before.AvailablePages);

    page = MmAllocateContiguousMemory(100, 0xFFFFFFFFULL);
    KT_EXPECT(page != NULL);
    KT_EXPECT(((ULONG_PTR)page & (PAGE_SIZE - 1)) == 0);
    physical = MmGetPhysicalAddress(page);
    KT_EXPECT(physical != 0 && physical + PAGE_SIZE - 1 <= 0xFFFFFFFFULL);
    for (ULONG i = 0; i < PAGE_SIZE; i++)
        KT_EXPECT_EQ(page[i], 0);
    memset(page, 0xA5, PAGE_SIZE);
    MmFreeContiguousMemory(page);
    MmQueryStatistics(&after);
    KT_EXPECT_EQ(after.AvailablePages, before.AvailablePages);
}

static ULONG KtPollCalls;

static void KtPollRoutine(void *context)
{
    KtPollCalls++;
}

KTEST(ConsoleInputPollsAreBoundedAndCalledWhenFrozen)
{
    ULONG registered = 0;
    BOOLEAN enabled;
    UCHAR byte;

    KT_EXPECT_EQ(HalRegisterConsoleInputPoll(NULL, NULL), STATUS_INVALID_PARAMETER);
    while (NT_SUCCESS(HalRegisterConsoleInputPoll(KtPollRoutine, (void *)(ULONG_PTR)registered)))
        registered++;
    KT_EXPECT(registered > 0 && registered <= HAL_MAX_INPUT_POLLS);
    // Interrupts off, as when the debugger has the system frozen: each runs.
    KtPollCalls = 0;
    enabled = KiDisableInterrupts();
    HalConsoleGetByte(&byte);
    KiRestoreInterrupts(enabled);
    KT_EXPECT_EQ(KtPollCalls, registered);
    // With interrupts on, the devices' interrupts move input: no poll.
    HalConsoleGetByte(&byte);
    KT_EXPECT_EQ(KtPollCalls, registered);
    for (ULONG i = 0; i < registered; i++)
        HalDeregisterConsoleInputPoll(KtPollRoutine, (void *)(ULONG_PTR)i);
    KtPollCalls = 0;
    enabled = KiDisableInterrupts();
    HalConsoleGetByte(&byte);
    KiRestoreInterrupts(enabled);
    KT_EXPECT_EQ(KtPollCalls, 0);
}

KTEST(DriverScanCodesTypeIntoTheConsole)
{
    static const UCHAR typeA[] = { 0x1E, 0x9E };
    static const UCHAR ctrlC[] = { 0x1D, 0x2E, 0xAE, 0x9D };
    static const UCHAR up[] = { 0xE0, 0x48, 0xE0, 0xC8 };
    UCHAR bytes[4];
    BOOLEAN enabled, breakIn;
    ULONG got = 0;

    // Interrupts off throughout: the Ctrl-C's break-in request is taken
    // here, before an interrupt's return could act on it.
    enabled = KiDisableInterrupts();
    HalConsoleFlushInput();
    HalKeyboardInputScanCodes(typeA, sizeof(typeA));
    HalKeyboardInputScanCodes(ctrlC, sizeof(ctrlC));
    breakIn = HalpBreakInPending();
    HalKeyboardInputScanCodes(up, sizeof(up));
    while (got < sizeof(bytes) && HalConsoleGetByte(&bytes[got]))
        got++;
    HalConsoleFlushInput();
    KiRestoreInterrupts(enabled);
    KT_EXPECT(breakIn);
    KT_EXPECT_EQ(got, 4);
    KT_EXPECT_EQ(bytes[0], 'a');
    KT_EXPECT_EQ(bytes[1], 0x03);
    KT_EXPECT_EQ(bytes[2], 0x1B);
    KT_EXPECT_EQ(bytes[3], '[');
}
