// The USB keyboard's logic: boot reports to set 1 scan codes (kbdhid.sys's
// hidkbd.c) through the PS/2 decoder to the console's bytes, typematic
// repeat, and the xHCI ring bookkeeping (xhci.sys's ring.c).

#include "hosttest.h"
#include "arch/x86_64/kbdmap.h"
#include "drivers/kbdhid/hidkbd.h"
#include "drivers/xhci/ring.h"

#define ESC "\x1b"

typedef struct _USBKBD_TEST {
    HID_KEYBOARD_STATE State;
    KBD_DECODER Decoder;
    UCHAR Codes[HID_MAX_SCAN_CODES];
    ULONG CodeCount;                // the last report's scan codes
    char Text[64];                  // the console bytes they made
} USBKBD_TEST;

static void UsbKbdTestInit(USBKBD_TEST *test)
{
    memset(test, 0, sizeof(*test));
    HidKbdInitialize(&test->State);
    HalpKbdInitializeDecoder(&test->Decoder, FALSE);
}

static void UsbKbdTestDecode(USBKBD_TEST *test)
{
    ULONG length = 0;

    for (ULONG i = 0; i < test->CodeCount; i++) {
        UCHAR out[KBD_MAX_OUTPUT];
        ULONG produced = HalpKbdDecode(&test->Decoder, test->Codes[i], out);

        for (ULONG j = 0; j < produced && length + 1 < sizeof(test->Text); j++)
            test->Text[length++] = (char)out[j];
    }
    test->Text[length] = 0;
}

// One report: modifiers and up to six usages.
static void UsbKbdReport(USBKBD_TEST *test, ULONG64 nowMs, UCHAR modifiers, UCHAR k1, UCHAR k2,
                         UCHAR k3)
{
    UCHAR report[HID_BOOT_REPORT_LENGTH] = { modifiers, 0, k1, k2, k3, 0, 0, 0 };

    test->CodeCount = HidKbdTranslateReport(&test->State, report, sizeof(report), nowMs,
                                            test->Codes);
    UsbKbdTestDecode(test);
}

static void UsbKbdRepeat(USBKBD_TEST *test, ULONG64 nowMs)
{
    test->CodeCount = HidKbdRepeat(&test->State, nowMs, test->Codes);
    UsbKbdTestDecode(test);
}

#define USAGE_A 0x04
#define USAGE_B 0x05
#define USAGE_C 0x06
#define USAGE_1 0x1E
#define USAGE_ENTER 0x28
#define USAGE_UP 0x52
#define USAGE_DELETE 0x4C
#define MOD_LCTRL 0x01
#define MOD_LSHIFT 0x02
#define MOD_RSHIFT 0x20
#define MOD_RCTRL 0x10

TEST(UsbKbdPressAndReleaseTypeOnce)
{
    USBKBD_TEST t;

    UsbKbdTestInit(&t);
    UsbKbdReport(&t, 0, 0, USAGE_A, 0, 0);
    EXPECT_EQ(t.CodeCount, 1);
    EXPECT_EQ(t.Codes[0], 0x1E);
    EXPECT_STREQ(t.Text, "a");
    UsbKbdReport(&t, 10, 0, 0, 0, 0);
    EXPECT_EQ(t.CodeCount, 1);
    EXPECT_EQ(t.Codes[0], 0x9E);
    EXPECT_STREQ(t.Text, "");
    // The same report again (a keyboard without SET_IDLE resends): nothing.
    UsbKbdReport(&t, 20, 0, 0, 0, 0);
    EXPECT_EQ(t.CodeCount, 0);
}

TEST(UsbKbdLettersAndDigitsFollowTheUsageTable)
{
    USBKBD_TEST t;

    UsbKbdTestInit(&t);
    for (UCHAR i = 0; i < 26; i++) {
        char expected[2] = { (char)('a' + i), 0 };

        UsbKbdReport(&t, 0, 0, (UCHAR)(USAGE_A + i), 0, 0);
        EXPECT_STREQ(t.Text, expected);
        UsbKbdReport(&t, 0, 0, 0, 0, 0);
    }
    for (UCHAR i = 0; i < 10; i++) {
        char expected[2] = { i == 9 ? '0' : (char)('1' + i), 0 };

        UsbKbdReport(&t, 0, 0, (UCHAR)(USAGE_1 + i), 0, 0);
        EXPECT_STREQ(t.Text, expected);
        UsbKbdReport(&t, 0, 0, 0, 0, 0);
    }
    UsbKbdReport(&t, 0, 0, USAGE_ENTER, 0, 0);
    EXPECT_STREQ(t.Text, "\r");
}

TEST(UsbKbdModifierAndKeyInOneReportComeModifierFirst)
{
    USBKBD_TEST t;

    UsbKbdTestInit(&t);
    UsbKbdReport(&t, 0, MOD_LSHIFT, USAGE_A, 0, 0);
    EXPECT_EQ(t.CodeCount, 2);
    EXPECT_EQ(t.Codes[0], 0x2A);
    EXPECT_STREQ(t.Text, "A");
    // Both let go at once: the key's release, then the modifier's.
    UsbKbdReport(&t, 0, 0, 0, 0, 0);
    EXPECT_EQ(t.CodeCount, 2);
    EXPECT_EQ(t.Codes[0], 0x9E);
    EXPECT_EQ(t.Codes[1], 0xAA);
    UsbKbdReport(&t, 0, MOD_RSHIFT, USAGE_1, 0, 0);
    EXPECT_STREQ(t.Text, "!");
}

TEST(UsbKbdCtrlCIsTheBreakByte)
{
    USBKBD_TEST t;

    UsbKbdTestInit(&t);
    UsbKbdReport(&t, 0, MOD_LCTRL, USAGE_C, 0, 0);
    EXPECT_STREQ(t.Text, "\x03");
    UsbKbdReport(&t, 0, 0, 0, 0, 0);
    // The right Ctrl is a grey key: E0 1D.
    UsbKbdReport(&t, 0, MOD_RCTRL, 0, 0, 0);
    EXPECT_EQ(t.CodeCount, 2);
    EXPECT_EQ(t.Codes[0], 0xE0);
    EXPECT_EQ(t.Codes[1], 0x1D);
    UsbKbdReport(&t, 0, MOD_RCTRL, USAGE_C, 0, 0);
    EXPECT_STREQ(t.Text, "\x03");
}

TEST(UsbKbdGreyKeysGetTheirE0Prefix)
{
    USBKBD_TEST t;

    UsbKbdTestInit(&t);
    UsbKbdReport(&t, 0, 0, USAGE_UP, 0, 0);
    EXPECT_EQ(t.Codes[0], 0xE0);
    EXPECT_EQ(t.Codes[1], 0x48);
    EXPECT_STREQ(t.Text, ESC "[A");
    UsbKbdReport(&t, 0, 0, 0, 0, 0);
    EXPECT_EQ(t.Codes[0], 0xE0);
    EXPECT_EQ(t.Codes[1], 0xC8);
    UsbKbdReport(&t, 0, 0, USAGE_DELETE, 0, 0);
    EXPECT_STREQ(t.Text, ESC "[3~");
}

TEST(UsbKbdOnlyChangedKeysAreReported)
{
    USBKBD_TEST t;

    UsbKbdTestInit(&t);
    UsbKbdReport(&t, 0, 0, USAGE_A, 0, 0);
    UsbKbdReport(&t, 0, 0, USAGE_A, USAGE_B, 0);
    EXPECT_STREQ(t.Text, "b");
    EXPECT_EQ(t.CodeCount, 1);
    // a released, b held (it moved to the first slot): one release.
    UsbKbdReport(&t, 0, 0, USAGE_B, 0, 0);
    EXPECT_EQ(t.CodeCount, 1);
    EXPECT_EQ(t.Codes[0], 0x9E);
}

TEST(UsbKbdRolloverErrorChangesNothing)
{
    USBKBD_TEST t;
    UCHAR phantom[HID_BOOT_REPORT_LENGTH] = { 0, 0, 1, 1, 1, 1, 1, 1 };

    UsbKbdTestInit(&t);
    UsbKbdReport(&t, 0, 0, USAGE_A, 0, 0);
    EXPECT_EQ(HidKbdTranslateReport(&t.State, phantom, sizeof(phantom), 0, t.Codes), 0);
    // Still held: the next real report releases it, once.
    UsbKbdReport(&t, 0, 0, 0, 0, 0);
    EXPECT_EQ(t.CodeCount, 1);
    EXPECT_EQ(t.Codes[0], 0x9E);
}

TEST(UsbKbdShortOrDuplicateReports)
{
    USBKBD_TEST t;
    UCHAR shortReport[4] = { 0, 0, USAGE_A, 0 };

    UsbKbdTestInit(&t);
    EXPECT_EQ(HidKbdTranslateReport(&t.State, shortReport, sizeof(shortReport), 0, t.Codes), 0);
    EXPECT_EQ(HidKbdTranslateReport(&t.State, NULL, 8, 0, t.Codes), 0);
    UsbKbdReport(&t, 0, 0, USAGE_A, USAGE_A, 0);
    EXPECT_EQ(t.CodeCount, 1);
    EXPECT_STREQ(t.Text, "a");
    // Unknown usages (beyond the table, or reserved) type nothing.
    UsbKbdReport(&t, 0, 0, USAGE_A, 0xE0, 0x7F);
    EXPECT_EQ(t.CodeCount, 0);
}

TEST(UsbKbdHeldKeyRepeatsAfterTheDelay)
{
    USBKBD_TEST t;

    UsbKbdTestInit(&t);
    UsbKbdReport(&t, 1000, 0, USAGE_A, 0, 0);
    UsbKbdRepeat(&t, 1000 + HID_REPEAT_DELAY_MS - 1);
    EXPECT_EQ(t.CodeCount, 0);
    UsbKbdRepeat(&t, 1000 + HID_REPEAT_DELAY_MS);
    EXPECT_STREQ(t.Text, "a");
    UsbKbdRepeat(&t, 1000 + HID_REPEAT_DELAY_MS + HID_REPEAT_PERIOD_MS - 1);
    EXPECT_EQ(t.CodeCount, 0);
    UsbKbdRepeat(&t, 1000 + HID_REPEAT_DELAY_MS + HID_REPEAT_PERIOD_MS);
    EXPECT_STREQ(t.Text, "a");
    // A late call makes one repeat, not a burst of the missed ones.
    UsbKbdRepeat(&t, 5000);
    EXPECT_EQ(t.CodeCount, 1);
    UsbKbdRepeat(&t, 5001);
    EXPECT_EQ(t.CodeCount, 0);
    // Released: no more.
    UsbKbdReport(&t, 5002, 0, 0, 0, 0);
    UsbKbdRepeat(&t, 9000);
    EXPECT_EQ(t.CodeCount, 0);
}

TEST(UsbKbdTheLastKeyPressedRepeatsWithItsModifiers)
{
    USBKBD_TEST t;

    UsbKbdTestInit(&t);
    UsbKbdReport(&t, 0, MOD_LSHIFT, USAGE_A, 0, 0);
    UsbKbdReport(&t, 100, MOD_LSHIFT, USAGE_A, USAGE_B, 0);
    UsbKbdRepeat(&t, 100 + HID_REPEAT_DELAY_MS);
    EXPECT_STREQ(t.Text, "B");
    // Releasing the other key leaves b repeating; releasing b stops it.
    UsbKbdReport(&t, 700, MOD_LSHIFT, USAGE_B, 0, 0);
    UsbKbdRepeat(&t, 800);
    EXPECT_STREQ(t.Text, "B");
    UsbKbdReport(&t, 900, MOD_LSHIFT, USAGE_A, 0, 0);
    UsbKbdRepeat(&t, 1000);
    EXPECT_EQ(t.CodeCount, 0);
    // A modifier alone never repeats.
    UsbKbdReport(&t, 1000, MOD_LSHIFT, 0, 0, 0);
    UsbKbdRepeat(&t, 5000);
    EXPECT_EQ(t.CodeCount, 0);
}

TEST(UsbKbdReleaseAllLetsEveryKeyGo)
{
    USBKBD_TEST t;

    UsbKbdTestInit(&t);
    UsbKbdReport(&t, 0, MOD_LCTRL | MOD_RSHIFT, USAGE_A, 0, 0);
    t.CodeCount = HidKbdReleaseAll(&t.State, t.Codes);
    EXPECT_EQ(t.CodeCount, 3);
    EXPECT_EQ(t.Codes[0], 0x9E);
    EXPECT_EQ(t.Codes[1], 0x9D);
    EXPECT_EQ(t.Codes[2], 0xB6);
    UsbKbdTestDecode(&t);
    EXPECT_EQ(HidKbdRepeat(&t.State, 100000, t.Codes), 0);
    // The shared decoder has no Ctrl left down: c is c.
    UsbKbdReport(&t, 0, 0, USAGE_C, 0, 0);
    EXPECT_STREQ(t.Text, "c");
}

// ---- xHCI rings -------------------------------------------------------------------

#define RING_TEST_TRBS 8
#define RING_TEST_PHYSICAL 0x12345000ULL

TEST(XhciRingWritesCycleAndCrossesTheLink)
{
    static XHCI_TRB trbs[RING_TEST_TRBS];
    XHCI_RING ring;

    memset(trbs, 0, sizeof(trbs));
    XhciRingInitialize(&ring, trbs, RING_TEST_PHYSICAL, RING_TEST_TRBS);
    EXPECT_EQ(TRB_TYPE(trbs[7].Control), TRB_LINK);
    EXPECT_EQ(trbs[7].Parameter, RING_TEST_PHYSICAL);
    EXPECT_EQ(trbs[7].Control & (TRB_CYCLE | TRB_TOGGLE_CYCLE), TRB_TOGGLE_CYCLE);
    for (ULONG i = 0; i < RING_TEST_TRBS - 1; i++) {
        ULONG64 at = XhciRingEnqueue(&ring, i, 0, TRB_MAKE_TYPE(TRB_NORMAL) | TRB_CYCLE);

        EXPECT_EQ(at, RING_TEST_PHYSICAL + i * sizeof(XHCI_TRB));
        EXPECT_EQ(trbs[i].Control & TRB_CYCLE, 1);
        EXPECT_EQ(TRB_TYPE(trbs[i].Control), TRB_NORMAL);
    }
    // The link was handed over with cycle 1 and the producer wrapped to 0.
    EXPECT_EQ(trbs[7].Control & TRB_CYCLE, 1);
    EXPECT_EQ(ring.Enqueue, 0);
    EXPECT_EQ(ring.Cycle, 0);
    EXPECT_EQ(XhciRingEnqueue(&ring, 99, 5, TRB_MAKE_TYPE(TRB_NORMAL) | TRB_CYCLE),
              RING_TEST_PHYSICAL);
    EXPECT_EQ(trbs[0].Control & TRB_CYCLE, 0);      // the caller's cycle bit is ignored
    EXPECT_EQ(trbs[0].Parameter, 99);
    EXPECT_EQ(trbs[0].Status, 5);
    // Second lap: the link's cycle flips to 0, the producer's back to 1.
    for (ULONG i = 1; i < RING_TEST_TRBS - 1; i++)
        XhciRingEnqueue(&ring, i, 0, TRB_MAKE_TYPE(TRB_NORMAL));
    EXPECT_EQ(trbs[7].Control & TRB_CYCLE, 0);
    EXPECT_EQ(ring.Cycle, 1);
}

TEST(XhciRingLinkKeepsAChain)
{
    static XHCI_TRB trbs[4];
    XHCI_RING ring;

    memset(trbs, 0, sizeof(trbs));
    XhciRingInitialize(&ring, trbs, RING_TEST_PHYSICAL, 4);
    XhciRingEnqueue(&ring, 0, 0, TRB_MAKE_TYPE(TRB_SETUP_STAGE));
    XhciRingEnqueue(&ring, 0, 0, TRB_MAKE_TYPE(TRB_DATA_STAGE));
    XhciRingEnqueue(&ring, 0, 0, TRB_MAKE_TYPE(TRB_DATA_STAGE) | TRB_CHAIN);
    EXPECT_EQ(trbs[3].Control & TRB_CHAIN, TRB_CHAIN);
    XhciRingEnqueue(&ring, 0, 0, TRB_MAKE_TYPE(TRB_NORMAL));
    XhciRingEnqueue(&ring, 0, 0, TRB_MAKE_TYPE(TRB_NORMAL));
    XhciRingEnqueue(&ring, 0, 0, TRB_MAKE_TYPE(TRB_NORMAL));
    EXPECT_EQ(trbs[3].Control & TRB_CHAIN, 0);
}

TEST(XhciEventRingConsumesWhatTheControllerWrote)
{
    static XHCI_TRB trbs[4];
    XHCI_EVENT_RING ring;
    XHCI_TRB event;

    memset(trbs, 0, sizeof(trbs));
    XhciEventRingInitialize(&ring, trbs, RING_TEST_PHYSICAL, 4);
    EXPECT(!XhciEventRingNext(&ring, &event));
    // The controller writes three events with cycle 1.
    for (ULONG i = 0; i < 3; i++) {
        trbs[i].Parameter = 0x100 + i;
        trbs[i].Control = TRB_MAKE_TYPE(TRB_TRANSFER_EVENT) | 1;
    }
    for (ULONG i = 0; i < 3; i++) {
        EXPECT(XhciEventRingNext(&ring, &event));
        EXPECT_EQ(event.Parameter, 0x100 + i);
    }
    EXPECT(!XhciEventRingNext(&ring, &event));
    EXPECT_EQ(XhciEventRingDequeuePointer(&ring), RING_TEST_PHYSICAL + 3 * sizeof(XHCI_TRB));
    // The last slot, then the wrap: the next lap's events carry cycle 0, and
    // the old cycle-1 ones left in the ring are not read again.
    trbs[3].Control = TRB_MAKE_TYPE(TRB_PORT_STATUS_CHANGE_EVENT) | 1;
    EXPECT(XhciEventRingNext(&ring, &event));
    EXPECT_EQ(ring.Cycle, 0);
    EXPECT_EQ(XhciEventRingDequeuePointer(&ring), RING_TEST_PHYSICAL);
    EXPECT(!XhciEventRingNext(&ring, &event));
    trbs[0].Control = TRB_MAKE_TYPE(TRB_COMMAND_COMPLETION_EVENT);
    EXPECT(XhciEventRingNext(&ring, &event));
    EXPECT_EQ(TRB_TYPE(event.Control), TRB_COMMAND_COMPLETION_EVENT);
}
