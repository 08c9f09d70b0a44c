// Counted UTF-16 strings: initialisation, comparison with and without case,
// the case-folding hash directories rely on.

#include "hosttest.h"
#include "rtl/rtl.h"

TEST(InitUnicodeStringCountsBytesWithoutTheTerminator)
{
    UNICODE_STRING s;

    RtlInitUnicodeString(&s, u"Windows");
    EXPECT_EQ(s.Length, 14);
    EXPECT_EQ(s.MaximumLength, 16);
    EXPECT(s.Buffer[0] == 'W');
}

TEST(InitUnicodeStringOfNullIsEmpty)
{
    UNICODE_STRING s;

    RtlInitUnicodeString(&s, NULL);
    EXPECT_EQ(s.Length, 0);
    EXPECT_EQ(s.MaximumLength, 0);
    EXPECT(s.Buffer == NULL);
}

TEST(EqualUnicodeStringIgnoresCaseOnlyWhenAsked)
{
    UNICODE_STRING a, b;

    RtlInitUnicodeString(&a, u"BaseNamedObjects");
    RtlInitUnicodeString(&b, u"basenamedOBJECTS");
    EXPECT(RtlEqualUnicodeString(&a, &b, TRUE));
    EXPECT(!RtlEqualUnicodeString(&a, &b, FALSE));
    EXPECT(RtlEqualUnicodeString(&a, &a, FALSE));
}

TEST(EqualUnicodeStringNeedsEqualLengths)
{
    UNICODE_STRING a, b;

    RtlInitUnicodeString(&a, u"Event");
    RtlInitUnicodeString(&b, u"Event1");
    EXPECT(!RtlEqualUnicodeString(&a, &b, TRUE));
}

TEST(CompareUnicodeStringOrdersPrefixFirst)
{
    UNICODE_STRING a, b, c;

    RtlInitUnicodeString(&a, u"Event");
    RtlInitUnicodeString(&b, u"Event1");
    RtlInitUnicodeString(&c, u"event");
    EXPECT(RtlCompareUnicodeString(&a, &b, FALSE) < 0);
    EXPECT(RtlCompareUnicodeString(&b, &a, FALSE) > 0);
    EXPECT(RtlCompareUnicodeString(&a, &c, FALSE) < 0);
    EXPECT_EQ(RtlCompareUnicodeString(&a, &c, TRUE), 0);
}

TEST(UpcaseFoldsOnlyAsciiLetters)
{
    EXPECT_EQ(RtlUpcaseUnicodeChar('a'), 'A');
    EXPECT_EQ(RtlUpcaseUnicodeChar('z'), 'Z');
    EXPECT_EQ(RtlUpcaseUnicodeChar('A'), 'A');
    EXPECT_EQ(RtlUpcaseUnicodeChar('\\'), '\\');
    EXPECT_EQ(RtlUpcaseUnicodeChar(0xE9), 0xE9);
}

TEST(HashIsTheSameForNamesDifferingOnlyInCase)
{
    UNICODE_STRING a, b, c;

    RtlInitUnicodeString(&a, u"RPC Control");
    RtlInitUnicodeString(&b, u"rpc control");
    RtlInitUnicodeString(&c, u"RPC Contro1");
    EXPECT_EQ(RtlHashUnicodeStringInsensitive(&a), RtlHashUnicodeStringInsensitive(&b));
    EXPECT(RtlHashUnicodeStringInsensitive(&a) != RtlHashUnicodeStringInsensitive(&c));
}

TEST(AsciiToUnicodeStringWidensAndTruncatesToTheBuffer)
{
    WCHAR buffer[4];
    UNICODE_STRING s = {0, sizeof(buffer), buffer};

    RtlAsciiToUnicodeString(&s, "Type");
    EXPECT_EQ(s.Length, 8);
    EXPECT(buffer[0] == 'T' && buffer[3] == 'e');
    RtlAsciiToUnicodeString(&s, "Directory");
    EXPECT_EQ(s.Length, 8);
    EXPECT(buffer[3] == 'e');
}
