// The run-time library's formatting: RtlStringPrintf's conversions, flags,
// widths and truncation, and the address and duration helpers.

#include <stdarg.h>
#include "hosttest.h"
#include "rtl/rtl.h"
#define TICK_MICROSECONDS 15625     // NT's 15.625 ms clock

// Formats without the compiler's format check, for the formats a test
// writes on purpose that C's printf would not accept.
static size_t FormatUnchecked(char *buffer, size_t size, const char *format, ...)
{
    va_list args;
    size_t length;

    va_start(args, format);
    length = RtlStringPrintfV(buffer, size, format, args);
    va_end(args);
    return length;
}

// ---- RtlStringPrintf: conversions ----------------------------------------------------

TEST(FormatPrintsSignedDecimal)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%d %i %d %d", 42, -17, 0, -2147483647 - 1);
    EXPECT_STREQ(text, "42 -17 0 -2147483648");
}

TEST(FormatPrintsUnsignedDecimal)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%u %u", 0u, 4294967295u);
    EXPECT_STREQ(text, "0 4294967295");
}

TEST(FormatPrintsHexInBothCases)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%x %X %x", 0xdeadbeefu, 0xdeadbeefu, 0u);
    EXPECT_STREQ(text, "deadbeef DEADBEEF 0");
}

TEST(FormatPrintsOctal)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%o %o %o", 8u, 0u, 0777u);
    EXPECT_STREQ(text, "10 0 777");
}

TEST(FormatPrintsCharacters)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%c%c%c", 'k', 'd', '>');
    EXPECT_STREQ(text, "kd>");
}

TEST(FormatPrintsStrings)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[%s] [%s]", "nt!KiSwapContext", "");
    EXPECT_STREQ(text, "[nt!KiSwapContext] []");
}

TEST(FormatPrintsNullStringAsNullInParentheses)
{
    char text[64];
    const char *nothing = NULL;

    FormatUnchecked(text, sizeof(text), "%s", nothing);
    EXPECT_STREQ(text, "(null)");
}

TEST(FormatPrintsPointersAsSixteenHexDigitsWithoutPrefix)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%p %p", (void *)0xfffff80001054df3ULL, (void *)0);
    EXPECT_STREQ(text, "fffff80001054df3 0000000000000000");
}

TEST(FormatPrintsPercentSign)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "100%% of %d%%", 5);
    EXPECT_STREQ(text, "100% of 5%");
}

TEST(FormatCopiesPlainTextUnchanged)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "kd> !thread");
    EXPECT_STREQ(text, "kd> !thread");
}

TEST(FormatShowsAnUnknownConversionAsWritten)
{
    char text[64];

    FormatUnchecked(text, sizeof(text), "a%qb");
    EXPECT_STREQ(text, "a%qb");
}

TEST(FormatShowsATrailingPercentAsWritten)
{
    char text[64];

    FormatUnchecked(text, sizeof(text), "50%");
    EXPECT_STREQ(text, "50%");
}

// ---- RtlStringPrintf: flags, width, precision ------------------------------------------

TEST(FormatPadsToWidthOnTheLeftByDefault)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[%5d] [%5s] [%3c] [%5x]", 42, "ab", 'z', 0xau);
    EXPECT_STREQ(text, "[   42] [   ab] [  z] [    a]");
}

TEST(FormatMinusFlagAlignsLeft)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[%-5d] [%-5s] [%-3c]", 42, "ab", 'z');
    EXPECT_STREQ(text, "[42   ] [ab   ] [z  ]");
}

TEST(FormatZeroFlagPadsNumbersWithZeroesAfterTheSign)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[%05d] [%05d] [%08x]", 42, -42, 0xbeefu);
    EXPECT_STREQ(text, "[00042] [-0042] [0000beef]");
}

TEST(FormatMinusFlagOverridesZeroFlag)
{
    char text[64];

    FormatUnchecked(text, sizeof(text), "[%-05d]", 42);
    EXPECT_STREQ(text, "[42   ]");
}

TEST(FormatPlusFlagShowsTheSignOfPositiveNumbers)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%+d %+d %+d", 5, -5, 0);
    EXPECT_STREQ(text, "+5 -5 +0");
}

TEST(FormatSpaceFlagLeavesRoomForTheSign)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[% d] [% d]", 5, -5);
    EXPECT_STREQ(text, "[ 5] [-5]");
}

TEST(FormatPlusFlagOverridesSpaceFlag)
{
    char text[64];

    FormatUnchecked(text, sizeof(text), "[%+ d]", 5);
    EXPECT_STREQ(text, "[+5]");
}

TEST(FormatHashFlagPrefixesHex)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%#x %#X %#010x", 0x1fu, 0x1fu, 0x1fu);
    EXPECT_STREQ(text, "0x1f 0X1F 0x0000001f");
}

TEST(FormatHashFlagDoesNotPrefixZero)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%#x %#X", 0u, 0u);
    EXPECT_STREQ(text, "0 0");
}

TEST(FormatHashFlagGivesOctalALeadingZero)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%#o %#o %#.3o %#.0o", 8u, 0u, 8u, 0u);
    EXPECT_STREQ(text, "010 0 010 0");
}

TEST(FormatPrecisionSetsMinimumDigits)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[%.3d] [%.3d] [%6.3d] [%.4x]", 7, -7, 7, 0xau);
    EXPECT_STREQ(text, "[007] [-007] [   007] [000a]");
}

TEST(FormatPrecisionZeroPrintsNoDigitsForZero)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[%.0d] [%3.0u] [%.0x] [%.0d]", 0, 0u, 0u, 1);
    EXPECT_STREQ(text, "[] [   ] [] [1]");
}

TEST(FormatPrecisionDisablesZeroPadding)
{
    char text[64];

    FormatUnchecked(text, sizeof(text), "[%06.3d]", 7);
    EXPECT_STREQ(text, "[   007]");
}

TEST(FormatPrecisionTruncatesStrings)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[%.3s] [%.0s] [%5.2s] [%.10s]", "abcdef", "abc", "xyz",
                    "ab");
    EXPECT_STREQ(text, "[abc] [] [   xy] [ab]");
}

TEST(FormatPrecisionDoesNotReadStringsPastIt)
{
    char text[16];
    const char unterminated[3] = { 'a', 'b', 'c' };     // ASan objects to any read past 'c'

    RtlStringPrintf(text, sizeof(text), "%.3s", unterminated);
    EXPECT_STREQ(text, "abc");
}

TEST(FormatStarTakesWidthFromTheArguments)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[%*d] [%*s]", 6, 42, 4, "ab");
    EXPECT_STREQ(text, "[    42] [  ab]");
}

TEST(FormatNegativeStarWidthAlignsLeft)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[%*d]", -6, 42);
    EXPECT_STREQ(text, "[42    ]");
}

TEST(FormatStarTakesPrecisionFromTheArguments)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[%.*d] [%.*s] [%*.*x]", 4, 42, 2, "abcdef", 6, 3, 0xau);
    EXPECT_STREQ(text, "[0042] [ab] [   00a]");
}

TEST(FormatNegativeStarPrecisionIsIgnored)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "[%.*d] [%.*s]", -1, 42, -1, "abc");
    EXPECT_STREQ(text, "[42] [abc]");
}

// ---- RtlStringPrintf: length modifiers ---------------------------------------------------

TEST(FormatHhTruncatesToChar)
{
    char text[64];

    FormatUnchecked(text, sizeof(text), "%hhd %hhu %hhx", 0x1ff, 0x1ff, 0x1234);
    EXPECT_STREQ(text, "-1 255 34");
}

TEST(FormatHTruncatesToShort)
{
    char text[64];

    FormatUnchecked(text, sizeof(text), "%hd %hu %hx", 0x18000, 0x18000, 0x12345678);
    EXPECT_STREQ(text, "-32768 32768 5678");
}

TEST(FormatLReadsLong)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%ld %lu %lx", -5000000000L, 5000000000UL,
                    0xfffff80001054df3UL);
    EXPECT_STREQ(text, "-5000000000 5000000000 fffff80001054df3");
}

TEST(FormatLlReadsLongLong)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%lld %llu %llx", -9223372036854775807LL - 1,
                    18446744073709551615ULL, 0x123456789abcdefULL);
    EXPECT_STREQ(text, "-9223372036854775808 18446744073709551615 123456789abcdef");
}

TEST(FormatZReadsSizeT)
{
    char text[64];

    RtlStringPrintf(text, sizeof(text), "%zu %zx", (size_t)10000000000ULL, (size_t)0x1000);
    EXPECT_STREQ(text, "10000000000 1000");
}

TEST(FormatIntegerConversionsMatchCSnprintf)
{
    static const char *const formats[] = {
        "%d", "%5d", "%-5d", "%05d", "%+d", "% d", "%.3d", "%8.3d", "%-8.3d", "%+.0d",
        "%x", "%#x", "%#8x", "%#-8x", "%#08x", "%.0x", "%#.0x", "%X", "%#X", "%#.5X",
        "%o", "%#o", "%#.0o", "%#5o", "%u", "%10u", "%-10u|", "%+5d", "% 05d", "%i",
    };
    static const int values[] = { 0, 1, -1, 7, -7, 42, 255, 4096, -65536, 2147483647 };

    for (size_t f = 0; f < ARRAYSIZE(formats); f++) {
        for (size_t v = 0; v < ARRAYSIZE(values); v++) {
            char ours[64], theirs[64];
            size_t ourLength = FormatUnchecked(ours, sizeof(ours), formats[f], values[v]);
            int theirLength = snprintf(theirs, sizeof(theirs), formats[f], values[v]);

            if (strcmp(ours, theirs) != 0 || ourLength != (size_t)theirLength) {
                char message[200];

                snprintf(message, sizeof(message), "\"%s\" of %d: \"%s\", C says \"%s\"",
                         formats[f], values[v], ours, theirs);
                HostTestFail(__FILE__, __LINE__, message);
                return;
            }
        }
    }
}

// ---- RtlStringPrintf: truncation -------------------------------------------------------------

TEST(FormatReturnsTheFullLengthWhenTruncating)
{
    char text[8];

    EXPECT_EQ(RtlStringPrintf(text, sizeof(text), "%s", "0123456789abcdef"), 16);
}

TEST(FormatAlwaysTerminatesATruncatedBuffer)
{
    char text[8];

    memset(text, 'X', sizeof(text));
    RtlStringPrintf(text, sizeof(text), "%d-%s", 12345, "abcdef");
    EXPECT_STREQ(text, "12345-a");
}

TEST(FormatWritesNothingPastTheBufferSize)
{
    char text[8];

    memset(text, 'X', sizeof(text));
    RtlStringPrintf(text, 4, "%s", "abcdef");
    EXPECT_STREQ(text, "abc");
    EXPECT_EQ(text[4], 'X');
}

TEST(FormatIntoOneByteBufferGivesEmptyString)
{
    char text[2] = { 'X', 'Y' };

    EXPECT_EQ(RtlStringPrintf(text, 1, "abc"), 3);
    EXPECT_EQ(text[0], '\0');
    EXPECT_EQ(text[1], 'Y');
}

TEST(FormatIntoZeroSizeBufferOnlyMeasures)
{
    EXPECT_EQ(RtlStringPrintf(NULL, 0, "%s=%d", "count", 1234), 10);
}

TEST(FormatOutputThatExactlyFitsIsNotTruncated)
{
    char text[6];

    EXPECT_EQ(RtlStringPrintf(text, sizeof(text), "%05d", 123), 5);
    EXPECT_STREQ(text, "00123");
}

TEST(FormatWideWidthIsEmittedInFull)
{
    char text[300];

    EXPECT_EQ(RtlStringPrintf(text, sizeof(text), "%200d|", 1), 201);
    EXPECT_EQ(strspn(text, " "), 199);
    EXPECT_STREQ(text + 199, "1|");
}

typedef struct _SINK_RECORD {
    char Text[64];
    size_t Used;
    ULONG Calls;
} SINK_RECORD;

static void RecordSink(void *context, const char *text, size_t length)
{
    SINK_RECORD *record = context;

    memcpy(record->Text + record->Used, text, length);
    record->Used += length;
    record->Text[record->Used] = '\0';
    record->Calls++;
}

static size_t FormatToSink(SINK_RECORD *record, const char *format, ...)
{
    va_list args;
    size_t length;

    va_start(args, format);
    length = RtlFormatV(RecordSink, record, format, args);
    va_end(args);
    return length;
}

TEST(FormatVSendsEveryCharacterToTheSink)
{
    SINK_RECORD record = { "", 0, 0 };

    EXPECT_EQ(FormatToSink(&record, "tid %x in %s", 0x1c4u, "csrss"), 16);
    EXPECT_STREQ(record.Text, "tid 1c4 in csrss");
    EXPECT(record.Calls > 0);
}

// ---- Addresses and durations ----------------------------------------------------------------

TEST(AddressPrintsWithABacktickBetweenHalves)
{
    char text[18];

    RtlFormatAddress(text, 0xfffff80001054df3ULL);
    EXPECT_STREQ(text, "fffff800`01054df3");
}

TEST(AddressKeepsLeadingZeroesInBothHalves)
{
    char text[18];

    RtlFormatAddress(text, 0x1000ULL);
    EXPECT_STREQ(text, "00000000`00001000");
}

TEST(TickDurationMatchesTheCaseStudy)
{
    char text[32];

    // "Ticks: 26423448 (4:18:41:06.375)" in seeds/000.
    RtlFormatTickDuration(text, sizeof(text), 26423448, TICK_MICROSECONDS);
    EXPECT_STREQ(text, "4:18:41:06.375");
}

TEST(TickDurationOfZeroIsAllZeroes)
{
    char text[32];

    RtlFormatTickDuration(text, sizeof(text), 0, TICK_MICROSECONDS);
    EXPECT_STREQ(text, "0:00:00:00.000");
}

TEST(TickDurationOfOneTickIsFifteenMilliseconds)
{
    char text[32];

    // 15.625 ms: the fraction is cut, not rounded.
    RtlFormatTickDuration(text, sizeof(text), 1, TICK_MICROSECONDS);
    EXPECT_STREQ(text, "0:00:00:00.015");
}

TEST(TickDurationRollsOverEachUnit)
{
    char text[32];

    // One day, one hour, one minute and one second: 90061 s = 5763904 ticks.
    RtlFormatTickDuration(text, sizeof(text), 5763904, TICK_MICROSECONDS);
    EXPECT_STREQ(text, "1:01:01:01.000");
}

// Hidden from the compiler's format checker, which rightly objects to them.
static const char *volatile HugeWidthFormat = "%99999999999d";
static const char *volatile StarWidthFormat = "%*d";
static volatile int MinimumInt = -2147483647 - 1;

TEST(FormatHugeWidthsAreClampedNotOverflowed)
{
    char buffer[16];
    size_t length = RtlStringPrintf(buffer, sizeof(buffer), StarWidthFormat, MinimumInt, 5);

    EXPECT(length <= 4096);
    EXPECT_EQ(buffer[0], '5');
    length = RtlStringPrintf(buffer, sizeof(buffer), HugeWidthFormat, 5);
    EXPECT(length <= 4096);
}
