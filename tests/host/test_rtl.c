// The run-time library's own memory and string routines, number parsing,
// glob patterns and LIST_ENTRY lists.

#include "hosttest.h"
#include "rtl/rtl.h"

// ---- The kernel's memory routines ----------------------------------------------------------

static void FillPattern(UCHAR *bytes, size_t count)
{
    for (size_t i = 0; i < count; i++)
        bytes[i] = (UCHAR)(i * 7 + 3);
}

TEST(MemcpyCopiesEverySizeAndAlignment)
{
    UCHAR source[96], destination[96], expected[96];

    FillPattern(source, sizeof(source));
    for (size_t from = 0; from < 8; from++) {
        for (size_t to = 0; to < 8; to++) {
            for (size_t n = 0; n <= 40; n++) {
                memset(destination, 0xEE, sizeof(destination));
                memset(expected, 0xEE, sizeof(expected));
                memcpy(expected + to, source + from, n);
                EXPECT(RtlKernel_memcpy(destination + to, source + from, n) ==
                       destination + to);
                EXPECT(memcmp(destination, expected, sizeof(expected)) == 0);
            }
        }
    }
}

TEST(MemmoveHandlesOverlapForward)
{
    UCHAR bytes[64], expected[64];

    // Destination after the source: must copy from the end.
    for (size_t n = 0; n <= 40; n++) {
        for (size_t shift = 1; shift <= 9; shift++) {
            FillPattern(bytes, sizeof(bytes));
            FillPattern(expected, sizeof(expected));
            memmove(expected + 3 + shift, expected + 3, n);
            RtlKernel_memmove(bytes + 3 + shift, bytes + 3, n);
            EXPECT(memcmp(bytes, expected, sizeof(bytes)) == 0);
        }
    }
}

TEST(MemmoveHandlesOverlapBackward)
{
    UCHAR bytes[64], expected[64];

    // Destination before the source: must copy from the start.
    for (size_t n = 0; n <= 40; n++) {
        for (size_t shift = 1; shift <= 9; shift++) {
            FillPattern(bytes, sizeof(bytes));
            FillPattern(expected, sizeof(expected));
            memmove(expected + 1, expected + 1 + shift, n);
            RtlKernel_memmove(bytes + 1, bytes + 1 + shift, n);
            EXPECT(memcmp(bytes, expected, sizeof(bytes)) == 0);
        }
    }
}

TEST(MemmoveOntoItselfChangesNothing)
{
    UCHAR bytes[32], expected[32];

    FillPattern(bytes, sizeof(bytes));
    FillPattern(expected, sizeof(expected));
    EXPECT(RtlKernel_memmove(bytes, bytes, sizeof(bytes)) == bytes);
    EXPECT(memcmp(bytes, expected, sizeof(bytes)) == 0);
}

TEST(MemsetFillsExactlyTheRange)
{
    UCHAR bytes[64];

    for (size_t offset = 0; offset < 8; offset++) {
        for (size_t n = 0; n <= 40; n++) {
            memset(bytes, 0x11, sizeof(bytes));
            EXPECT(RtlKernel_memset(bytes + offset, 0x1CB, n) == bytes + offset);
            for (size_t i = 0; i < sizeof(bytes); i++)
                EXPECT_EQ(bytes[i], i >= offset && i < offset + n ? 0xCB : 0x11);
        }
    }
}

TEST(MemcmpOrdersByTheFirstDifferentByteUnsigned)
{
    EXPECT_EQ(RtlKernel_memcmp("abc", "abc", 3), 0);
    EXPECT(RtlKernel_memcmp("abc", "abd", 3) < 0);
    EXPECT(RtlKernel_memcmp("abd", "abc", 3) > 0);
    EXPECT(RtlKernel_memcmp("\x80", "\x7f", 1) > 0);
    EXPECT_EQ(RtlKernel_memcmp("abX", "abY", 2), 0);
    EXPECT_EQ(RtlKernel_memcmp("a", "b", 0), 0);
}

TEST(StrlenCountsUpToTheTerminator)
{
    EXPECT_EQ(RtlKernel_strlen(""), 0);
    EXPECT_EQ(RtlKernel_strlen("nt!KeTickCount"), 14);
}

TEST(StrnlenStopsAtTheLimit)
{
    const char unterminated[4] = { 'a', 'b', 'c', 'd' };

    EXPECT_EQ(RtlKernel_strnlen(unterminated, 4), 4);
    EXPECT_EQ(RtlKernel_strnlen("ab", 10), 2);
    EXPECT_EQ(RtlKernel_strnlen("ab", 0), 0);
}

TEST(StrcmpOrdersUnsigned)
{
    EXPECT_EQ(RtlKernel_strcmp("kd", "kd"), 0);
    EXPECT(RtlKernel_strcmp("kd", "ke") < 0);
    EXPECT(RtlKernel_strcmp("k", "kd") < 0);
    EXPECT(RtlKernel_strcmp("kd", "k") > 0);
    EXPECT(RtlKernel_strcmp("\xff", "a") > 0);
}

TEST(StrncmpComparesAtMostN)
{
    EXPECT_EQ(RtlKernel_strncmp("console=serial", "console=screen", 9), 0);
    EXPECT(RtlKernel_strncmp("console=serial", "console=screen", 10) > 0);
    EXPECT(RtlKernel_strncmp("ab", "abc", 3) < 0);
    EXPECT_EQ(RtlKernel_strncmp("ab", "ab", 100), 0);
    EXPECT_EQ(RtlKernel_strncmp("x", "y", 0), 0);
}

TEST(StrchrFindsTheFirstOccurrenceOrTheTerminator)
{
    const char *text = "nt!Ki!Swap";

    EXPECT(RtlKernel_strchr(text, '!') == text + 2);
    EXPECT(RtlKernel_strchr(text, 'z') == NULL);
    EXPECT(RtlKernel_strchr(text, '\0') == text + strlen(text));
}

TEST(CaseInsensitiveCompareIgnoresOnlyCase)
{
    EXPECT_EQ(RtlCompareStringInsensitive("KiSwapContext", "kiswapcontext"), 0);
    EXPECT(RtlCompareStringInsensitive("KiSwap", "kiswapcontext") < 0);
    EXPECT(RtlCompareStringInsensitive("b", "A") > 0);
    EXPECT(RtlCompareStringInsensitive("[", "a") != 0);
}

TEST(CaseConversionTouchesOnlyLetters)
{
    EXPECT_EQ(RtlUpcaseChar('a'), 'A');
    EXPECT_EQ(RtlUpcaseChar('z'), 'Z');
    EXPECT_EQ(RtlUpcaseChar('{'), '{');
    EXPECT_EQ(RtlUpcaseChar('5'), '5');
    EXPECT_EQ(RtlDowncaseChar('A'), 'a');
    EXPECT_EQ(RtlDowncaseChar('@'), '@');
}

TEST(SpaceIsBlankTabOrLineEnd)
{
    EXPECT(RtlIsSpace(' ') && RtlIsSpace('\t') && RtlIsSpace('\r') && RtlIsSpace('\n'));
    EXPECT(!RtlIsSpace('x') && !RtlIsSpace('\0'));
}

// ---- RtlMatchPattern -----------------------------------------------------------------------

TEST(PatternWithoutWildcardsMatchesTheWholeName)
{
    EXPECT(RtlMatchPattern("KeTickCount", "KeTickCount"));
    EXPECT(!RtlMatchPattern("KeTick", "KeTickCount"));
    EXPECT(!RtlMatchPattern("KeTickCount", "KeTick"));
}

TEST(PatternIgnoresCase)
{
    EXPECT(RtlMatchPattern("kiswap*", "KiSwapContext"));
    EXPECT(RtlMatchPattern("KISWAPCONTEXT", "KiSwapContext"));
}

TEST(PatternStarMatchesAnyRunIncludingNone)
{
    EXPECT(RtlMatchPattern("Ke*", "Ke"));
    EXPECT(RtlMatchPattern("Ke*", "KeBugCheckEx"));
    EXPECT(RtlMatchPattern("*Wait*", "KeWaitForSingleObject"));
    EXPECT(RtlMatchPattern("*Ex", "KeBugCheckEx"));
    EXPECT(!RtlMatchPattern("*Ex", "ExAllocate"));
    EXPECT(RtlMatchPattern("*", ""));
    EXPECT(RtlMatchPattern("**", "x"));
}

TEST(PatternStarBacktracks)
{
    EXPECT(RtlMatchPattern("*ab", "aab"));
    EXPECT(RtlMatchPattern("Ki*Lock*Dpc*", "KiAcquireLockAtDpcLevel"));
    EXPECT(RtlMatchPattern("a*b*c", "abxbxc"));
    EXPECT(!RtlMatchPattern("a*b*c", "abxbx"));
}

TEST(PatternQuestionMatchesExactlyOneCharacter)
{
    EXPECT(RtlMatchPattern("Ke?ugCheck", "KeBugCheck"));
    EXPECT(!RtlMatchPattern("Ke?", "Ke"));
    EXPECT(!RtlMatchPattern("?", ""));
    EXPECT(RtlMatchPattern("??", "ab"));
    EXPECT(!RtlMatchPattern("??", "abc"));
}

TEST(EmptyPatternMatchesOnlyTheEmptyName)
{
    EXPECT(RtlMatchPattern("", ""));
    EXPECT(!RtlMatchPattern("", "a"));
}

// ---- RtlParseUlong64 -----------------------------------------------------------------------

static BOOLEAN Parses(const char *text, ULONG64 expected)
{
    ULONG64 value = 0xBADBADBADULL;

    return RtlParseUlong64(text, &value) && value == expected;
}

static BOOLEAN Rejects(const char *text)
{
    ULONG64 value = 0x5A5A;

    return !RtlParseUlong64(text, &value) && value == 0x5A5A;
}

TEST(NumbersAreHexByDefault)
{
    EXPECT(Parses("10", 0x10));
    EXPECT(Parses("ff", 0xff));
    EXPECT(Parses("DeadBeef", 0xdeadbeef));
    EXPECT(Parses("0", 0));
}

TEST(NumbersTake0xPrefix)
{
    EXPECT(Parses("0x10", 0x10));
    EXPECT(Parses("0XfF", 0xff));
}

TEST(Numbers0nAreDecimal)
{
    EXPECT(Parses("0n10", 10));
    EXPECT(Parses("0N255", 255));
    EXPECT(Rejects("0n1a"));
}

TEST(NumbersSkipBackticks)
{
    EXPECT(Parses("fffff800`01054df3", 0xfffff80001054df3ULL));
    EXPECT(Parses("0x1`0000", 0x10000));
}

TEST(NumbersAcceptTheLargestValue)
{
    EXPECT(Parses("ffffffffffffffff", ~0ULL));
    EXPECT(Parses("0n18446744073709551615", ~0ULL));
}

TEST(NumbersRejectOverflow)
{
    EXPECT(Rejects("10000000000000000"));
    EXPECT(Rejects("0n18446744073709551616"));
    EXPECT(Rejects("0n99999999999999999999"));
}

TEST(NumbersRejectJunk)
{
    EXPECT(Rejects("12g"));
    EXPECT(Rejects("nt!Foo"));
    EXPECT(Rejects(" 10"));
    EXPECT(Rejects("10 "));
    EXPECT(Rejects("-1"));
    EXPECT(Rejects("+1"));
}

TEST(NumbersNeedAtLeastOneDigit)
{
    EXPECT(Rejects(""));
    EXPECT(Rejects("0x"));
    EXPECT(Rejects("0n"));
    EXPECT(Rejects("`"));
}

// ---- LIST_ENTRY ------------------------------------------------------------------------------

typedef struct _TEST_ITEM {
    int Value;
    LIST_ENTRY Links;
} TEST_ITEM;

// Checks every link of the list both ways and that it holds `values` in order.
static BOOLEAN ListHolds(LIST_ENTRY *head, const int *values, size_t count)
{
    LIST_ENTRY *entry = head->Flink;
    size_t i = 0;

    if (!RtlIsListEntryConsistent(head))
        return FALSE;
    for (; entry != head; entry = entry->Flink, i++) {
        if (i == count || !RtlIsListEntryConsistent(entry) ||
            CONTAINING_RECORD(entry, TEST_ITEM, Links)->Value != values[i])
            return FALSE;
    }
    return i == count;
}

TEST(NewListIsEmpty)
{
    LIST_ENTRY head;

    InitializeListHead(&head);
    EXPECT(IsListEmpty(&head));
    EXPECT(head.Flink == &head && head.Blink == &head);
    EXPECT(RtlIsListEntryConsistent(&head));
}

TEST(InsertTailListAppends)
{
    LIST_ENTRY head;
    TEST_ITEM items[3] = { { 1, { 0 } }, { 2, { 0 } }, { 3, { 0 } } };
    static const int order[] = { 1, 2, 3 };

    InitializeListHead(&head);
    for (int i = 0; i < 3; i++)
        InsertTailList(&head, &items[i].Links);
    EXPECT(!IsListEmpty(&head));
    EXPECT(ListHolds(&head, order, 3));
}

TEST(InsertHeadListPrepends)
{
    LIST_ENTRY head;
    TEST_ITEM items[3] = { { 1, { 0 } }, { 2, { 0 } }, { 3, { 0 } } };
    static const int order[] = { 3, 2, 1 };

    InitializeListHead(&head);
    for (int i = 0; i < 3; i++)
        InsertHeadList(&head, &items[i].Links);
    EXPECT(ListHolds(&head, order, 3));
}

TEST(RemoveEntryListUnlinksFromTheMiddle)
{
    LIST_ENTRY head;
    TEST_ITEM items[3] = { { 1, { 0 } }, { 2, { 0 } }, { 3, { 0 } } };
    static const int order[] = { 1, 3 };

    InitializeListHead(&head);
    for (int i = 0; i < 3; i++)
        InsertTailList(&head, &items[i].Links);
    EXPECT(!RemoveEntryList(&items[1].Links));
    EXPECT(ListHolds(&head, order, 2));
}

TEST(RemoveEntryListReturnsTrueWhenTheListBecomesEmpty)
{
    LIST_ENTRY head;
    TEST_ITEM items[2] = { { 1, { 0 } }, { 2, { 0 } } };

    InitializeListHead(&head);
    InsertTailList(&head, &items[0].Links);
    InsertTailList(&head, &items[1].Links);
    EXPECT(!RemoveEntryList(&items[0].Links));
    EXPECT(RemoveEntryList(&items[1].Links));
    EXPECT(IsListEmpty(&head));
    EXPECT(RtlIsListEntryConsistent(&head));
}

TEST(RemoveHeadAndTailTakeTheEnds)
{
    LIST_ENTRY head;
    TEST_ITEM items[3] = { { 1, { 0 } }, { 2, { 0 } }, { 3, { 0 } } };
    static const int order[] = { 2 };

    InitializeListHead(&head);
    for (int i = 0; i < 3; i++)
        InsertTailList(&head, &items[i].Links);
    EXPECT(RemoveHeadList(&head) == &items[0].Links);
    EXPECT(RemoveTailList(&head) == &items[2].Links);
    EXPECT(ListHolds(&head, order, 1));
}

TEST(ListEntryConsistencyDetectsABrokenForwardLink)
{
    LIST_ENTRY head, stray;
    TEST_ITEM items[3] = { { 1, { 0 } }, { 2, { 0 } }, { 3, { 0 } } };

    InitializeListHead(&head);
    InitializeListHead(&stray);
    for (int i = 0; i < 3; i++)
        InsertTailList(&head, &items[i].Links);
    EXPECT(RtlIsListEntryConsistent(&items[1].Links));
    items[0].Links.Flink = &stray;      // items[1] is no longer its successor
    EXPECT(!RtlIsListEntryConsistent(&items[1].Links));
    EXPECT(!RtlIsListEntryConsistent(&items[0].Links));
}

TEST(ListEntryConsistencyDetectsABrokenBackwardLink)
{
    LIST_ENTRY head, stray;
    TEST_ITEM items[2] = { { 1, { 0 } }, { 2, { 0 } } };

    InitializeListHead(&head);
    InitializeListHead(&stray);
    InsertTailList(&head, &items[0].Links);
    InsertTailList(&head, &items[1].Links);
    items[1].Links.Blink = &stray;
    EXPECT(!RtlIsListEntryConsistent(&items[1].Links));
    EXPECT(!RtlIsListEntryConsistent(&items[0].Links));
}
