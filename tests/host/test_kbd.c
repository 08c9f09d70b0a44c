// The keyboard decoder: scan code sets 1 and 2 in, a serial terminal's bytes out.

#include "hosttest.h"
#include "arch/x86_64/kbdmap.h"

#define ESC "\x1b"
#define KBD_TEST_MAX_OUTPUT 64

typedef struct _KBD_TEST_OUTPUT {
    UCHAR Bytes[KBD_TEST_MAX_OUTPUT + 1];   // NUL-terminated, for EXPECT_STREQ
    ULONG Count;
    BOOLEAN Overflowed;                     // a single decode claimed too much
} KBD_TEST_OUTPUT;

// Feeds `codes` one at a time, as the driver does, and collects the output.
static void KbdTestFeed(KBD_DECODER *decoder, const UCHAR *codes, size_t count,
                        KBD_TEST_OUTPUT *output)
{
    memset(output, 0, sizeof(*output));
    for (size_t i = 0; i < count; i++) {
        UCHAR bytes[KBD_MAX_OUTPUT];
        ULONG produced = HalpKbdDecode(decoder, codes[i], bytes);

        if (produced > KBD_MAX_OUTPUT || output->Count + produced > KBD_TEST_MAX_OUTPUT) {
            output->Overflowed = TRUE;
            return;
        }
        memcpy(output->Bytes + output->Count, bytes, produced);
        output->Count += produced;
    }
}

#define TYPE(decoder, output, ...)                                              \
    do {                                                                        \
        static const UCHAR codes_[] = { __VA_ARGS__ };                          \
        KbdTestFeed((decoder), codes_, sizeof(codes_), (output));               \
    } while (0)

#define TEXT(output) ((const char *)(output)->Bytes)

// Set 1 codes used by name below (release = code | 0x80).
#define S1_BREAK 0x80
#define S1_ESC 0x01
#define S1_2 0x03
#define S1_BACKSPACE 0x0E
#define S1_TAB 0x0F
#define S1_ENTER 0x1C
#define S1_CTRL 0x1D
#define S1_A 0x1E
#define S1_LSHIFT 0x2A
#define S1_Z 0x2C
#define S1_C 0x2E
#define S1_RSHIFT 0x36
#define S1_ALT 0x38
#define S1_SPACE 0x39
#define S1_CAPS 0x3A
#define S1_F1 0x3B
#define S1_E0 0xE0

// Set 2 codes used by name below (release = F0 code).
#define S2_BREAK 0xF0
#define S2_E0 0xE0
#define S2_1 0x16
#define S2_A 0x1C
#define S2_C 0x21
#define S2_CTRL 0x14
#define S2_LSHIFT 0x12
#define S2_CAPS 0x58
#define S2_F7 0x83

// Every key that types a character, told independently of the decoder's
// tables: its set 1 and set 2 make codes and what it types without and with
// Shift (Caps Lock off).
typedef struct _KBD_TEST_KEY {
    UCHAR Set1;
    UCHAR Set2;
    char Normal;
    char Shifted;
} KBD_TEST_KEY;

static const KBD_TEST_KEY KbdTestKeys[] = {
    { 0x29, 0x0E, '`', '~' },  { 0x02, 0x16, '1', '!' },  { 0x03, 0x1E, '2', '@' },
    { 0x04, 0x26, '3', '#' },  { 0x05, 0x25, '4', '$' },  { 0x06, 0x2E, '5', '%' },
    { 0x07, 0x36, '6', '^' },  { 0x08, 0x3D, '7', '&' },  { 0x09, 0x3E, '8', '*' },
    { 0x0A, 0x46, '9', '(' },  { 0x0B, 0x45, '0', ')' },  { 0x0C, 0x4E, '-', '_' },
    { 0x0D, 0x55, '=', '+' },
    { 0x10, 0x15, 'q', 'Q' },  { 0x11, 0x1D, 'w', 'W' },  { 0x12, 0x24, 'e', 'E' },
    { 0x13, 0x2D, 'r', 'R' },  { 0x14, 0x2C, 't', 'T' },  { 0x15, 0x35, 'y', 'Y' },
    { 0x16, 0x3C, 'u', 'U' },  { 0x17, 0x43, 'i', 'I' },  { 0x18, 0x44, 'o', 'O' },
    { 0x19, 0x4D, 'p', 'P' },  { 0x1A, 0x54, '[', '{' },  { 0x1B, 0x5B, ']', '}' },
    { 0x2B, 0x5D, '\\', '|' },
    { 0x1E, 0x1C, 'a', 'A' },  { 0x1F, 0x1B, 's', 'S' },  { 0x20, 0x23, 'd', 'D' },
    { 0x21, 0x2B, 'f', 'F' },  { 0x22, 0x34, 'g', 'G' },  { 0x23, 0x33, 'h', 'H' },
    { 0x24, 0x3B, 'j', 'J' },  { 0x25, 0x42, 'k', 'K' },  { 0x26, 0x4B, 'l', 'L' },
    { 0x27, 0x4C, ';', ':' },  { 0x28, 0x52, '\'', '"' },
    { 0x2C, 0x1A, 'z', 'Z' },  { 0x2D, 0x22, 'x', 'X' },  { 0x2E, 0x21, 'c', 'C' },
    { 0x2F, 0x2A, 'v', 'V' },  { 0x30, 0x32, 'b', 'B' },  { 0x31, 0x31, 'n', 'N' },
    { 0x32, 0x3A, 'm', 'M' },  { 0x33, 0x41, ',', '<' },  { 0x34, 0x49, '.', '>' },
    { 0x35, 0x4A, '/', '?' },
    { 0x39, 0x29, ' ', ' ' },
};

// The keypad with Num Lock on: 7 8 9 - 4 5 6 + 1 2 3 0 . *
static const KBD_TEST_KEY KbdTestKeypad[] = {
    { 0x47, 0x6C, '7', '7' },  { 0x48, 0x75, '8', '8' },  { 0x49, 0x7D, '9', '9' },
    { 0x4A, 0x7B, '-', '-' },  { 0x4B, 0x6B, '4', '4' },  { 0x4C, 0x73, '5', '5' },
    { 0x4D, 0x74, '6', '6' },  { 0x4E, 0x79, '+', '+' },  { 0x4F, 0x69, '1', '1' },
    { 0x50, 0x72, '2', '2' },  { 0x51, 0x7A, '3', '3' },  { 0x52, 0x70, '0', '0' },
    { 0x53, 0x71, '.', '.' },  { 0x37, 0x7C, '*', '*' },
};

// The grey keys (after E0) and the sequences they must send.
typedef struct _KBD_TEST_SEQUENCE {
    UCHAR Set1;
    UCHAR Set2;
    const char *Sequence;
} KBD_TEST_SEQUENCE;

static const KBD_TEST_SEQUENCE KbdTestGreyKeys[] = {
    { 0x48, 0x75, ESC "[A" },   // Up
    { 0x50, 0x72, ESC "[B" },   // Down
    { 0x4D, 0x74, ESC "[C" },   // Right
    { 0x4B, 0x6B, ESC "[D" },   // Left
    { 0x47, 0x6C, ESC "[H" },   // Home
    { 0x4F, 0x69, ESC "[F" },   // End
    { 0x53, 0x71, ESC "[3~" },  // Delete
    { 0x52, 0x70, ESC "[2~" },  // Insert
    { 0x49, 0x7D, ESC "[5~" },  // Page Up
    { 0x51, 0x7A, ESC "[6~" },  // Page Down
    { 0x1C, 0x5A, "\r" },       // keypad Enter
    { 0x35, 0x4A, "/" },        // keypad /
};

// Presses and releases one key in the given set, optionally under Shift.
static void KbdTestTapKey(KBD_DECODER *decoder, BOOLEAN set2, UCHAR code, BOOLEAN shift,
                          KBD_TEST_OUTPUT *output)
{
    UCHAR codes[8];
    size_t count = 0;

    if (shift)
        codes[count++] = set2 ? S2_LSHIFT : S1_LSHIFT;
    codes[count++] = code;
    if (set2) {
        codes[count++] = S2_BREAK;
        codes[count++] = code;
    } else {
        codes[count++] = code | S1_BREAK;
    }
    if (shift) {
        if (set2) {
            codes[count++] = S2_BREAK;
            codes[count++] = S2_LSHIFT;
        } else {
            codes[count++] = S1_LSHIFT | S1_BREAK;
        }
    }
    KbdTestFeed(decoder, codes, count, output);
}

// Checks every key of `keys` against its expected character in one set.
static BOOLEAN KbdTestEveryKey(const KBD_TEST_KEY *keys, size_t keyCount, BOOLEAN set2,
                               BOOLEAN shift, char *failure, size_t failureSize)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, set2);
    for (size_t i = 0; i < keyCount; i++) {
        UCHAR code = set2 ? keys[i].Set2 : keys[i].Set1;
        char expected = shift ? keys[i].Shifted : keys[i].Normal;

        KbdTestTapKey(&decoder, set2, code, shift, &output);
        if (output.Count != 1 || output.Bytes[0] != (UCHAR)expected) {
            snprintf(failure, failureSize, "code 0x%02x gave %u bytes (0x%02x), wanted '%c'",
                     code, output.Count, output.Bytes[0], expected);
            return FALSE;
        }
    }
    return TRUE;
}

#define EXPECT_EVERY_KEY(keys, set2, shift)                                     \
    do {                                                                        \
        char failure_[128];                                                     \
        if (!KbdTestEveryKey((keys), ARRAYSIZE(keys), (set2), (shift), failure_, \
                             sizeof(failure_))) {                               \
            HostTestFail(__FILE__, __LINE__, failure_);                         \
            return;                                                             \
        }                                                                       \
    } while (0)

// ---- Both sets: every key ------------------------------------------------------

TEST(Set1EveryKeyTypesItsCharacter)
{
    EXPECT_EVERY_KEY(KbdTestKeys, FALSE, FALSE);
}

TEST(Set1EveryShiftedKeyTypesItsShiftedCharacter)
{
    EXPECT_EVERY_KEY(KbdTestKeys, FALSE, TRUE);
}

TEST(Set2EveryKeyTypesItsCharacter)
{
    EXPECT_EVERY_KEY(KbdTestKeys, TRUE, FALSE);
}

TEST(Set2EveryShiftedKeyTypesItsShiftedCharacter)
{
    EXPECT_EVERY_KEY(KbdTestKeys, TRUE, TRUE);
}

TEST(Set1KeypadDigitsGiveDigits)
{
    EXPECT_EVERY_KEY(KbdTestKeypad, FALSE, FALSE);
}

TEST(Set2KeypadDigitsGiveDigits)
{
    EXPECT_EVERY_KEY(KbdTestKeypad, TRUE, FALSE);
}

TEST(KeypadIgnoresShift)
{
    EXPECT_EVERY_KEY(KbdTestKeypad, FALSE, TRUE);
}

TEST(Set1GreyKeysGiveAnsiSequences)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    for (size_t i = 0; i < ARRAYSIZE(KbdTestGreyKeys); i++) {
        UCHAR codes[] = { S1_E0, KbdTestGreyKeys[i].Set1,
                          S1_E0, KbdTestGreyKeys[i].Set1 | S1_BREAK };

        KbdTestFeed(&decoder, codes, sizeof(codes), &output);
        EXPECT_STREQ(TEXT(&output), KbdTestGreyKeys[i].Sequence);
    }
}

TEST(Set2GreyKeysGiveAnsiSequences)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    for (size_t i = 0; i < ARRAYSIZE(KbdTestGreyKeys); i++) {
        UCHAR codes[] = { S2_E0, KbdTestGreyKeys[i].Set2,
                          S2_E0, S2_BREAK, KbdTestGreyKeys[i].Set2 };

        KbdTestFeed(&decoder, codes, sizeof(codes), &output);
        EXPECT_STREQ(TEXT(&output), KbdTestGreyKeys[i].Sequence);
    }
}

// ---- Set 1 -----------------------------------------------------------------------

TEST(Set1LetterGivesLowercase)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_A);
    EXPECT_STREQ(TEXT(&output), "a");
}

TEST(Set1BreakCodeProducesNothing)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_A | S1_BREAK);
    EXPECT_EQ(output.Count, 0);
}

TEST(ShiftedDigitGivesSymbol)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_LSHIFT, S1_2, S1_2 | S1_BREAK, S1_LSHIFT | S1_BREAK);
    EXPECT_STREQ(TEXT(&output), "@");
}

TEST(RightShiftShiftsLikeLeftShift)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_RSHIFT, S1_A, S1_RSHIFT | S1_BREAK);
    EXPECT_STREQ(TEXT(&output), "A");
}

TEST(ShiftReleaseEndsShift)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_LSHIFT, S1_A, S1_LSHIFT | S1_BREAK, S1_A);
    EXPECT_STREQ(TEXT(&output), "Aa");
}

TEST(ShiftStaysWhileOtherShiftIsHeld)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_LSHIFT, S1_RSHIFT, S1_LSHIFT | S1_BREAK, S1_A);
    EXPECT_STREQ(TEXT(&output), "A");
}

TEST(EnterGivesCarriageReturn)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_ENTER);
    EXPECT_STREQ(TEXT(&output), "\r");
}

TEST(E0PrefixedKeypadEnterIsEnter)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_E0, S1_ENTER, S1_E0, S1_ENTER | S1_BREAK);
    EXPECT_STREQ(TEXT(&output), "\r");
}

TEST(BackspaceGivesDel)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_BACKSPACE);
    EXPECT_EQ(output.Count, 1);
    EXPECT_EQ(output.Bytes[0], 0x7f);
}

TEST(TabGivesTab)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_TAB);
    EXPECT_STREQ(TEXT(&output), "\t");
}

TEST(ShiftTabGivesBackTabSequence)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_LSHIFT, S1_TAB);
    EXPECT_STREQ(TEXT(&output), ESC "[Z");
}

TEST(EscapeGivesEsc)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_ESC);
    EXPECT_STREQ(TEXT(&output), ESC);
}

TEST(CtrlCGivesEtx)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CTRL, S1_C);
    EXPECT_EQ(output.Count, 1);
    EXPECT_EQ(output.Bytes[0], 0x03);
}

TEST(CtrlLettersGiveOneToTwentySix)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CTRL, S1_A, S1_Z);
    EXPECT_EQ(output.Count, 2);
    EXPECT_EQ(output.Bytes[0], 0x01);
    EXPECT_EQ(output.Bytes[1], 0x1a);
}

TEST(CtrlShiftLetterGivesSameControlCode)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CTRL, S1_LSHIFT, S1_C);
    EXPECT_EQ(output.Count, 1);
    EXPECT_EQ(output.Bytes[0], 0x03);
}

TEST(CtrlWithCapsLockGivesSameControlCode)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CAPS, S1_CAPS | S1_BREAK, S1_CTRL, S1_C);
    EXPECT_EQ(output.Count, 1);
    EXPECT_EQ(output.Bytes[0], 0x03);
}

TEST(RightCtrlControlsLikeLeftCtrl)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_E0, S1_CTRL, S1_C);
    EXPECT_EQ(output.Count, 1);
    EXPECT_EQ(output.Bytes[0], 0x03);
}

TEST(CtrlReleaseEndsControl)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CTRL, S1_CTRL | S1_BREAK, S1_C);
    EXPECT_STREQ(TEXT(&output), "c");
}

TEST(RightCtrlReleaseLeavesLeftCtrlHeld)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CTRL, S1_E0, S1_CTRL, S1_E0, S1_CTRL | S1_BREAK, S1_C);
    EXPECT_EQ(output.Count, 1);
    EXPECT_EQ(output.Bytes[0], 0x03);
}

TEST(CtrlDoesNotChangeDigits)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CTRL, S1_2);
    EXPECT_STREQ(TEXT(&output), "2");
}

TEST(CtrlSpaceGivesNul)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CTRL, S1_SPACE);
    EXPECT_EQ(output.Count, 1);
    EXPECT_EQ(output.Bytes[0], 0x00);
}

TEST(AltPrefixesCharacterWithEscape)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_ALT, S1_A, S1_ALT | S1_BREAK, S1_A);
    EXPECT_STREQ(TEXT(&output), ESC "aa");
}

TEST(AltDoesNotPrefixArrowSequence)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_ALT, S1_E0, 0x48);
    EXPECT_STREQ(TEXT(&output), ESC "[A");
}

TEST(CapsLockUppercasesLetters)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CAPS, S1_CAPS | S1_BREAK, S1_A);
    EXPECT_STREQ(TEXT(&output), "A");
}

TEST(CapsLockDoesNotShiftDigits)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CAPS, S1_CAPS | S1_BREAK, S1_2);
    EXPECT_STREQ(TEXT(&output), "2");
}

TEST(ShiftWithCapsLockGivesLowercase)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CAPS, S1_CAPS | S1_BREAK, S1_LSHIFT, S1_A, S1_2);
    EXPECT_STREQ(TEXT(&output), "a@");
}

TEST(SecondCapsLockPressTurnsItOff)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CAPS, S1_CAPS | S1_BREAK, S1_CAPS, S1_CAPS | S1_BREAK, S1_A);
    EXPECT_STREQ(TEXT(&output), "a");
}

// A held key repeats its make code; an even number of makes must not cancel out.
TEST(HeldCapsLockRepeatsToggleOnce)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_CAPS, S1_CAPS, S1_CAPS | S1_BREAK, S1_A);
    EXPECT_STREQ(TEXT(&output), "A");
}

TEST(ArrowUpGivesAnsiSequence)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_E0, 0x48);
    EXPECT_STREQ(TEXT(&output), ESC "[A");
}

TEST(DeleteGivesAnsiSequence)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_E0, 0x53);
    EXPECT_STREQ(TEXT(&output), ESC "[3~");
}

TEST(UnprefixedKeypadEightIsDigitNotArrow)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, 0x48);
    EXPECT_STREQ(TEXT(&output), "8");
}

TEST(ExtendedKeyReleaseProducesNothing)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_E0, 0x48 | S1_BREAK);
    EXPECT_EQ(output.Count, 0);
}

TEST(E0PrefixAppliesToOneCodeOnly)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_E0, 0x48, 0x48);
    EXPECT_STREQ(TEXT(&output), ESC "[A8");
}

// With Num Lock on, keyboards send E0 2A before a grey arrow and E0 AA after.
TEST(FakeShiftAroundGreyKeyDoesNotShift)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_E0, S1_LSHIFT, S1_E0, 0x48, S1_E0, 0x48 | S1_BREAK,
         S1_E0, S1_LSHIFT | S1_BREAK, S1_A);
    EXPECT_STREQ(TEXT(&output), ESC "[A" "a");
}

// With Shift held, keyboards send E0 AA before a grey key and E0 2A after.
TEST(FakeShiftReleaseKeepsRealShiftHeld)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_LSHIFT, S1_E0, S1_LSHIFT | S1_BREAK, S1_E0, 0x48,
         S1_E0, 0x48 | S1_BREAK, S1_E0, S1_LSHIFT, S1_A, S1_LSHIFT | S1_BREAK, S1_A);
    EXPECT_STREQ(TEXT(&output), ESC "[A" "Aa");
}

TEST(Set1PauseSequenceIsSwallowed)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5, S1_C);
    EXPECT_STREQ(TEXT(&output), "c");     // and Ctrl was not left held
}

TEST(FunctionKeyProducesNothing)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, S1_F1, S1_F1 | S1_BREAK);
    EXPECT_EQ(output.Count, 0);
}

TEST(KeyboardAckProducesNothing)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, FALSE);
    TYPE(&decoder, &output, 0xFA, 0xFE, 0xEE, 0x00, 0xFF, S1_A);
    EXPECT_STREQ(TEXT(&output), "a");
}

// ---- Set 2 -----------------------------------------------------------------------

TEST(Set2LetterGivesLowercase)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_A);
    EXPECT_STREQ(TEXT(&output), "a");
}

TEST(Set2BreakCodeProducesNothing)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_BREAK, S2_A);
    EXPECT_EQ(output.Count, 0);
}

TEST(Set2BreakPrefixAppliesToOneCodeOnly)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_BREAK, S2_A, S2_A);
    EXPECT_STREQ(TEXT(&output), "a");
}

TEST(Set2ShiftedDigitGivesSymbol)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_LSHIFT, S2_1, S2_BREAK, S2_1, S2_BREAK, S2_LSHIFT, S2_1);
    EXPECT_STREQ(TEXT(&output), "!1");
}

TEST(Set2CtrlCGivesEtx)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_CTRL, S2_C);
    EXPECT_EQ(output.Count, 1);
    EXPECT_EQ(output.Bytes[0], 0x03);
}

TEST(Set2CtrlReleaseEndsControl)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_CTRL, S2_BREAK, S2_CTRL, S2_C);
    EXPECT_STREQ(TEXT(&output), "c");
}

TEST(Set2RightCtrlControls)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_E0, S2_CTRL, S2_C, S2_E0, S2_BREAK, S2_CTRL, S2_C);
    EXPECT_EQ(output.Count, 2);
    EXPECT_EQ(output.Bytes[0], 0x03);
    EXPECT_EQ(output.Bytes[1], 'c');
}

TEST(Set2ArrowUpGivesAnsiSequence)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_E0, 0x75);
    EXPECT_STREQ(TEXT(&output), ESC "[A");
}

TEST(Set2ExtendedBreakProducesNothing)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_E0, S2_BREAK, 0x75);
    EXPECT_EQ(output.Count, 0);
}

TEST(Set2E0PrefixedKeypadEnterIsEnter)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_E0, 0x5A, S2_E0, S2_BREAK, 0x5A, 0x5A);
    EXPECT_STREQ(TEXT(&output), "\r\r");
}

TEST(Set2BackspaceTabEscapeGiveControlBytes)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, 0x66, 0x0D, 0x76);
    EXPECT_STREQ(TEXT(&output), "\x7f\t" ESC);
}

TEST(Set2CapsLockDoesNotShiftDigits)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_CAPS, S2_BREAK, S2_CAPS, S2_1, S2_A);
    EXPECT_STREQ(TEXT(&output), "1A");
}

TEST(Set2FakeShiftAroundGreyKeyDoesNotShift)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_E0, S2_LSHIFT, S2_E0, 0x75, S2_E0, S2_BREAK, 0x75,
         S2_E0, S2_BREAK, S2_LSHIFT, S2_A);
    EXPECT_STREQ(TEXT(&output), ESC "[A" "a");
}

TEST(Set2PauseSequenceIsSwallowed)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, 0xE1, 0x14, 0x77, 0xE1, S2_BREAK, 0x14, S2_BREAK, 0x77, S2_C);
    EXPECT_STREQ(TEXT(&output), "c");
}

TEST(Set2F7ProducesNothingAndLeavesNoPrefix)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, S2_F7, S2_BREAK, S2_F7, S2_A);
    EXPECT_STREQ(TEXT(&output), "a");
}

TEST(Set2CodeBeyondTableProducesNothing)
{
    KBD_DECODER decoder;
    KBD_TEST_OUTPUT output;

    HalpKbdInitializeDecoder(&decoder, TRUE);
    TYPE(&decoder, &output, 0x84, 0xAA, 0xD0, S2_A);
    EXPECT_STREQ(TEXT(&output), "a");
}

// ---- Robustness -----------------------------------------------------------------

// Any byte in any state stays within the caller's buffer (ASan checks the
// writes; the count is checked here).
TEST(AnyByteStreamFitsOutputBuffer)
{
    for (int set2 = 0; set2 <= 1; set2++) {
        KBD_DECODER decoder;
        ULONG seed = 12345;

        HalpKbdInitializeDecoder(&decoder, (BOOLEAN)set2);
        for (int i = 0; i < 200000; i++) {
            UCHAR out[KBD_MAX_OUTPUT];

            seed = seed * 1103515245u + 12345u;
            EXPECT(HalpKbdDecode(&decoder, (UCHAR)(seed >> 16), out) <= KBD_MAX_OUTPUT);
        }
    }
}
