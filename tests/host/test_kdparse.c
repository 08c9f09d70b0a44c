// The shell's pure parsing (kernel/kd/kdparse.c): `;` between commands,
// words with quotes and WinDbg's \" escapes, !list's options and s's range
// and pattern, with the forms the third case study types.

#include "hosttest.h"
#include "kd/kdparse.h"

#include <stdlib.h>

// ---- ; ------------------------------------------------------------------------------------

TEST(KdSplitCommandsAtSemicolonsOutsideQuotes)
{
    char line[] = "dq poi(@$extret) L1; dps poi(@$extret)+0x20 L1;? 1";
    char *rest = KdpSplitCommands(line);

    EXPECT_STREQ(line, "dq poi(@$extret) L1");
    EXPECT(rest != NULL);
    char *last = KdpSplitCommands(rest);
    EXPECT_STREQ(rest, " dps poi(@$extret)+0x20 L1");
    EXPECT_STREQ(last, "? 1");
    EXPECT(KdpSplitCommands(last) == NULL);
}

TEST(KdSplitCommandsKeepsQuotedSemicolons)
{
    // Seed 003's command: the ; is inside the outer quotes, the inner
    // quotes are escaped and do not end them.
    char line[] = "!list \"-t nt!_LIST_ENTRY.Flink -e -x\\\"dq poi(@$extret) L1; "
                  "dps poi(@$extret)+0x20 L1\\\" fffffa80`50226f00\"; ? 2";
    char *rest = KdpSplitCommands(line);

    EXPECT(rest != NULL);
    EXPECT_STREQ(rest, " ? 2");
    EXPECT(strstr(line, "L1; dps") != NULL);
}

// `?` and `??` get their expression back from the words the shell split.
TEST(KdJoinWordsRebuildsTheExpressionAndRefusesOneTooLong)
{
    char *argv[] = { "?", "1", "+", "sizeof(nt!_KQUEUE)" };
    char text[32], tight[8];

    EXPECT(KdpJoinWords(4, argv, text, sizeof(text)));
    EXPECT_STREQ(text, "1 + sizeof(nt!_KQUEUE)");
    EXPECT(KdpJoinWords(1, argv, text, sizeof(text)));
    EXPECT_STREQ(text, "");
    EXPECT(!KdpJoinWords(4, argv, tight, sizeof(tight)));
    EXPECT(KdpJoinWords(3, argv, tight, sizeof(tight)));
    EXPECT_STREQ(tight, "1 +");
}

TEST(KdSplitCommandsWithoutSeparator)
{
    char line[] = "version";

    EXPECT(KdpSplitCommands(line) == NULL);
    EXPECT_STREQ(line, "version");
}

// ---- words ----------------------------------------------------------------------------------

TEST(KdSplitWordsQuotesAndEscapes)
{
    char line[] = "!list \"-t nt!_LIST_ENTRY.Flink -e -x\\\"dq poi(@$extret) L1; "
                  "dps poi(@$extret)+0x20 L1\\\" fffffa80`50226f00\"";
    char *argv[8];
    int argc = KdpSplitWords(line, argv, 8);

    EXPECT_EQ(argc, 2);
    EXPECT_STREQ(argv[0], "!list");
    EXPECT_STREQ(argv[1], "-t nt!_LIST_ENTRY.Flink -e -x\"dq poi(@$extret) L1; "
                          "dps poi(@$extret)+0x20 L1\" fffffa80`50226f00");
    // !list splits that word again.
    argc = KdpSplitWords(argv[1], argv, 8);
    EXPECT_EQ(argc, 5);
    EXPECT_STREQ(argv[0], "-t");
    EXPECT_STREQ(argv[1], "nt!_LIST_ENTRY.Flink");
    EXPECT_STREQ(argv[2], "-e");
    EXPECT_STREQ(argv[3], "-xdq poi(@$extret) L1; dps poi(@$extret)+0x20 L1");
    EXPECT_STREQ(argv[4], "fffffa80`50226f00");
}

TEST(KdSplitWordsBackslashesOutsideQuotesStay)
{
    char line[] = "  !object   \\Driver\\Null  \"a b\"c ";
    char *argv[8];

    EXPECT_EQ(KdpSplitWords(line, argv, 8), 3);
    EXPECT_STREQ(argv[1], "\\Driver\\Null");
    EXPECT_STREQ(argv[2], "a bc");
}

TEST(KdSplitWordsCountsAndLimits)
{
    char empty[] = "   ";
    char many[] = "a b c d";
    char unterminated[] = "x \"never closed";
    char *argv[4];

    EXPECT_EQ(KdpSplitWords(empty, argv, 4), 0);
    EXPECT_EQ(KdpSplitWords(many, argv, 3), -1);
    EXPECT_EQ(KdpSplitWords(unterminated, argv, 4), 2);
    EXPECT_STREQ(argv[1], "never closed");
}

// bp tells a pass count from a command by its quotes: the mask says which
// words began with one (a quote later in a word does not count).
TEST(KdSplitWordsQuotedMarksWordsTypedInQuotes)
{
    char line[] = "bp nt!Foo 3 \"k\" a\"b c\" \"\"";
    char *argv[8];
    ULONG64 quoted = ~0ULL;

    EXPECT_EQ(KdpSplitWordsQuoted(line, argv, 8, &quoted), 6);
    EXPECT_STREQ(argv[2], "3");
    EXPECT_STREQ(argv[3], "k");
    EXPECT_STREQ(argv[4], "ab c");
    EXPECT_STREQ(argv[5], "");
    EXPECT_EQ(quoted, (1ULL << 3) | (1ULL << 5));
}

// ---- !list --------------------------------------------------------------------------------

static int ListWords(char *text, char **argv)
{
    return KdpSplitWords(text, argv, 16);
}

TEST(KdListOptionsFromTheSeed)
{
    char text[] = "-t nt!_LIST_ENTRY.Flink -e -x\"dq poi(@$extret) L1; dps poi(@$extret)+0x20 "
                  "L1\" fffffa80`50226f00";
    char *argv[16], error[128];
    KD_LIST_OPTIONS options;
    int argc = ListWords(text, argv);

    EXPECT(KdpParseListOptions(argc, argv, &options, error, sizeof(error)));
    EXPECT_STREQ(options.TypeName, "nt!_LIST_ENTRY");
    EXPECT_STREQ(options.FieldPath, "Flink");
    EXPECT(options.Echo);
    EXPECT_STREQ(options.Commands, "dq poi(@$extret) L1; dps poi(@$extret)+0x20 L1");
    EXPECT_STREQ(options.Address, "fffffa80`50226f00");
    EXPECT(options.MaxText == NULL);
}

TEST(KdListOptionsOtherForms)
{
    char text[] = "-m 0n10 -t _KQUEUE.EntryListHead.Flink -x \"dd L2\" nt!ExWorkerQueue";
    char help[] = "-h";
    char *argv[16], error[128];
    KD_LIST_OPTIONS options;

    EXPECT(KdpParseListOptions(ListWords(text, argv), argv, &options, error, sizeof(error)));
    EXPECT_STREQ(options.MaxText, "0n10");
    EXPECT_STREQ(options.TypeName, "_KQUEUE");
    EXPECT_STREQ(options.FieldPath, "EntryListHead.Flink");
    EXPECT_STREQ(options.Commands, "dd L2");
    EXPECT(!options.Echo);
    EXPECT(KdpParseListOptions(ListWords(help, argv), argv, &options, error, sizeof(error)));
    EXPECT(options.Help);
}

TEST(KdListOptionsErrors)
{
    static const struct {
        const char *Text;
        const char *Reason;
    } cases[] = {
        { "-t _LIST_ENTRY 0", "-t needs Type.Field" },
        { "-t _LIST_ENTRY. 0", "-t needs Type.Field" },
        { "-x", "Missing value after option" },
        { "-e -m", "Missing value after option" },
        { "-q 0", "Unknown option" },
        { "-ee 0", "Unknown option" },
        { "-a \"x\" 0", "-a is not supported" },
        { "1 2", "Extra argument at '2'" },
        { "-e", "Missing start address" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[64], *argv[16], error[128];
        KD_LIST_OPTIONS options;

        strcpy(text, cases[i].Text);
        EXPECT(!KdpParseListOptions(ListWords(text, argv), argv, &options, error,
                                    sizeof(error)));
        if (!strstr(error, cases[i].Reason)) {
            HostTestFail(__FILE__, __LINE__, error);
            return;
        }
    }
}

// ---- s ------------------------------------------------------------------------------------

static BOOLEAN HexValue(const char *text, ULONG64 *value)
{
    char *end;

    if (!*text)
        return FALSE;
    *value = strtoull(text, &end, 16);
    return *end == '\0';
}

static BOOLEAN Search(const char *line, KD_SEARCH *search, char *error)
{
    char text[128], *argv[16];

    strcpy(text, line);
    return KdpParseSearch(KdpSplitWords(text, argv, 16), argv, HexValue, search, error, 128);
}

TEST(KdSearchRangesAndKinds)
{
    KD_SEARCH search;
    char error[128];

    EXPECT(Search("-d 1000 L10 12345678", &search, error));
    EXPECT_EQ(search.Kind, KdSearchDwords);
    EXPECT_EQ(search.Start, 0x1000);
    EXPECT_EQ(search.Length, 0x40);         // L counts dwords
    EXPECT_EQ(search.PatternLength, 4);
    EXPECT(!memcmp(search.Pattern, "\x78\x56\x34\x12", 4));

    EXPECT(Search("1000 1fff 41 42", &search, error));    // bytes by default; an end
    EXPECT_EQ(search.Kind, KdSearchBytes);
    EXPECT_EQ(search.Length, 0x1000);
    EXPECT(!memcmp(search.Pattern, "AB", 2));

    EXPECT(Search("-q 0 L?20000000 1", &search, error));  // L? passes 256 MB
    EXPECT_EQ(search.Length, 0x100000000ULL);
    EXPECT_EQ(search.PatternLength, 8);

    EXPECT(Search("-a 0 L 100 \"hello world\"", &search, error));
    EXPECT_EQ(search.PatternLength, 11);
    EXPECT(!memcmp(search.Pattern, "hello world", 11));

    EXPECT(Search("-u 0 L100 ab", &search, error));
    EXPECT_EQ(search.PatternLength, 4);
    EXPECT(!memcmp(search.Pattern, "a\0b\0", 4));

    EXPECT(Search("-w 0 L4 1 ffff", &search, error));
    EXPECT(!memcmp(search.Pattern, "\x01\x00\xff\xff", 4));
}

TEST(KdSearchErrors)
{
    static const struct {
        const char *Line;
        const char *Reason;
    } cases[] = {
        { "-b 0 L20000000 1", "Range error (over 256 MB: use L?)" },
        { "-b 0 L?2000000000000 1", "Range error (larger than 2^48 bytes)" },
        { "-b 0 L0 1", "Bad count" },
        { "-b 2000 1000 1", "end before start" },
        { "-b 0 L10 100", "too large for its type" },
        { "-w 0 L10 10000", "too large for its type" },
        { "-b 0 L10", "Missing search pattern" },
        { "-b 0", "Missing range length or end" },
        { "-x 0 L1 1", "Unknown search type" },
        { "-a 0 L10 a b", "Extra argument" },
        { "-b zz L1 1", "Bad address" },
        { "-b ffffffffffffffff L2 1", "wraps" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        KD_SEARCH search;
        char error[128];

        EXPECT(!Search(cases[i].Line, &search, error));
        if (!strstr(error, cases[i].Reason)) {
            HostTestFail(__FILE__, __LINE__, error);
            return;
        }
    }
}

// ---- An answer's words ---------------------------------------------------------------------

TEST(KdAnswerAddressTakesTheDebuggersForms)
{
    ULONG64 value;

    EXPECT(KdpParseAnswerAddress("fffffa8000014520", &value) && value == 0xfffffa8000014520ULL);
    EXPECT(KdpParseAnswerAddress("fffffa80`00014520", &value) && value == 0xfffffa8000014520ULL);
    EXPECT(KdpParseAnswerAddress("0xFFFFFA8000014520", &value) && value == 0xfffffa8000014520ULL);
    EXPECT(KdpParseAnswerAddress("14520", &value) && value == 0x14520);
    EXPECT(!KdpParseAnswerAddress("", &value));
    EXPECT(!KdpParseAnswerAddress("`14520", &value));
    EXPECT(!KdpParseAnswerAddress("fffffa80000145201", &value));     // 17 digits
    EXPECT(!KdpParseAnswerAddress("lsass", &value));
    EXPECT(!KdpParseAnswerAddress("0x", &value));
}

TEST(KdAnswerModuleIgnoresCaseAndTheExtension)
{
    EXPECT(KdpIsAnswerModule("ScanGuard", "ScanGuard"));
    EXPECT(KdpIsAnswerModule("scanguard", "ScanGuard"));
    EXPECT(KdpIsAnswerModule("SCANGUARD.SYS", "ScanGuard"));
    EXPECT(KdpIsAnswerModule("ScanGuard.sys", "ScanGuard"));
    EXPECT(!KdpIsAnswerModule("ScanGuar", "ScanGuard"));
    EXPECT(!KdpIsAnswerModule("ScanGuardX", "ScanGuard"));
    EXPECT(!KdpIsAnswerModule("ScanGuard.exe", "ScanGuard"));
    EXPECT(!KdpIsAnswerModule("ScanGuard.sysx", "ScanGuard"));
    EXPECT(!KdpIsAnswerModule("fltMgr", "ScanGuard"));
}
