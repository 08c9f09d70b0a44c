// The debugger's memory commands on memory the tests own: the fault-safe
// write (eb ed eq), the search (s), the string displays (da du dS), dl and
// !list on lists built here (good, looping, unreadable), `;` and the shell's
// argument checks. A fault inside the debugger would halt the system, so
// every bad address here must come back as an error line.

#include "tests/kernel/ktkd.h"
#include "kd/kdtype.h"

#define KT_UNMAPPED 0x10ULL

static UCHAR KtMemBuffer[64] __attribute__((aligned(16)));
static const char KtMemText[] = "Sleuth searches memory";
static const WCHAR KtMemWideText[] = u"wide text";

KTEST(KdMemWriteIsFaultSafe)
{
    ULONG64 value = 0x1122334455667788ULL;
    UCHAR code, after;

    KT_EXPECT(KdpWriteMemory((ULONG64)&KtMemBuffer[8], &value, sizeof(value)));
    KT_EXPECT(*(ULONG64 *)&KtMemBuffer[8] == value);
    KT_EXPECT(!KdpWriteMemory(KT_UNMAPPED, &value, sizeof(value)));
    KT_EXPECT(!KdpWriteMemory(0x0000800000000000ULL, &value, 1));     // not canonical
    // The kernel's code is mapped read-only: the write is refused, not forced.
    code = *(volatile UCHAR *)(ULONG_PTR)KdpExecuteLine;
    KT_EXPECT(!KdpWriteMemory((ULONG64)(ULONG_PTR)KdpExecuteLine, &value, 1));
    after = *(volatile UCHAR *)(ULONG_PTR)KdpExecuteLine;
    KT_EXPECT(after == code);
}

KTEST(KdMemEnterCommandsWriteEachValue)
{
    memset(KtMemBuffer, 0, sizeof(KtMemBuffer));
    KtKdRunf("eb %llx 11 22 33", KT_KD_ADDRESS(KtMemBuffer));
    KT_EXPECT(KtKdOutput[0] == '\0');
    KT_EXPECT(KtMemBuffer[0] == 0x11 && KtMemBuffer[1] == 0x22 && KtMemBuffer[2] == 0x33);
    KtKdRunf("ed %llx cafef00d", KT_KD_ADDRESS(&KtMemBuffer[4]));
    KT_EXPECT(*(ULONG *)&KtMemBuffer[4] == 0xcafef00d);
    KtKdRunf("eq %llx 1`00000002 3", KT_KD_ADDRESS(&KtMemBuffer[16]));
    KT_EXPECT(*(ULONG64 *)&KtMemBuffer[16] == 0x100000002ULL);
    KT_EXPECT(*(ULONG64 *)&KtMemBuffer[24] == 3);
    // A value too large: nothing is written, not even the values before it.
    KtKdRunf("eb %llx 44 100", KT_KD_ADDRESS(KtMemBuffer));
    KtKdExpect("Value too large for 1 byte at '100'");
    KT_EXPECT(KtMemBuffer[0] == 0x11);
    KtKdRun("eq 10 1");
    KtKdExpect("Memory access error at '00000000`00000010'");
    KtKdRunf("eb %llx 90", KT_KD_ADDRESS(KdpExecuteLine));
    KtKdExpect("Memory access error at '");
    KtKdExpect("(not mapped, or mapped read-only)");
    KtKdRun("eb 10");
    KtKdExpect("Usage: eb Address Value");
}

KTEST(KdMemSearchFindsEachKind)
{
    char at[18];

    memset(KtMemBuffer, 0, sizeof(KtMemBuffer));
    KtMemBuffer[5] = 0xab;
    KtMemBuffer[6] = 0xcd;
    *(ULONG *)&KtMemBuffer[12] = 0x12345678;
    *(ULONG64 *)&KtMemBuffer[40] = 0xfeedfacecafebeefULL;
    KtKdRunf("s -b %llx L40 ab cd", KT_KD_ADDRESS(KtMemBuffer));
    RtlFormatAddress(at, (ULONG64)&KtMemBuffer[5]);
    KtKdExpect("%s  ab cd 00 00", at);       // a db line from the hit
    KT_EXPECT(KtKdCount(KtKdOutput, "\n") == 1);
    KtKdRunf("s -d %llx L10 12345678", KT_KD_ADDRESS(KtMemBuffer));
    KtKdExpect("  12345678 00000000 00000000 00000000  xV4.............\n");
    KtKdRunf("s -q %llx %llx feedfacecafebeef", KT_KD_ADDRESS(KtMemBuffer),
             KT_KD_ADDRESS(&KtMemBuffer[63]));
    KtKdExpect("  feedface`cafebeef 00000000`00000000\n");
    KtKdRunf("s -a %llx L20 \"searches\"", KT_KD_ADDRESS(KtMemText));
    KtKdExpect("73 65 61 72 63 68 65 73-20 6d 65 6d 6f 72 79 00  searches memory.");
    KtKdRunf("s -u %llx L10 \"text\"", KT_KD_ADDRESS(KtMemWideText));
    KT_EXPECT(KtKdCount(KtKdOutput, "\n") == 1);
    // Nothing found: nothing printed; bad forms: one error each.
    KtKdRunf("s -b %llx L40 ef be ad de", KT_KD_ADDRESS(KtMemBuffer));
    KT_EXPECT(KtKdOutput[0] == '\0');
    KtKdRun("s -b 10 L100 1");              // unmapped: skipped, not a fault
    KT_EXPECT(KtKdOutput[0] == '\0');
    KtKdRun("s -b 0 L20000000 1");
    KtKdExpect("Range error (over 256 MB: use L?)");
    KtKdRun("s -b 0 L10 100");
    KtKdExpect("Pattern value too large for its type");
    KtKdRun("s -z 0 L10 1");
    KtKdExpect("Unknown search type");
}

KTEST(KdMemStringDisplays)
{
    UNICODE_STRING string;

    KtKdRunf("da %llx", KT_KD_ADDRESS(KtMemText));
    KtKdExpect("  \"Sleuth searches memory\"\n");
    KtKdRunf("du %llx", KT_KD_ADDRESS(KtMemWideText));
    KtKdExpect("  \"wide text\"\n");
    KtKdRunf("da %llx L6", KT_KD_ADDRESS(KtMemText));
    KtKdExpect("  \"Sleuth\"\n");
    RtlInitUnicodeString(&string, KtMemWideText);
    string.Length = 4 * sizeof(WCHAR);
    KtKdRunf("dS %llx", KT_KD_ADDRESS(&string));
    KtKdExpect("%s", KT_KD_HEX(KtMemWideText) + 8);
    KtKdExpect("  \"wide\"\n");
    string.Buffer = (WCHAR *)KT_UNMAPPED;
    KtKdRunf("dS %llx", KT_KD_ADDRESS(&string));
    KtKdExpect("Memory access error at '00000000`00000010'");
    string.Length = 3;
    KtKdRunf("dS %llx", KT_KD_ADDRESS(&string));
    KtKdExpect("Not a UNICODE_STRING at");
    // ds (lower case) is the 8-bit STRING: the same layout, bytes of text.
    {
        ANSI_STRING ansi = { 6, 6, (char *)KtMemText };

        KtKdRunf("ds %llx", KT_KD_ADDRESS(&ansi));
        KtKdExpect("  \"Sleuth\"\n");
    }
    KtKdRun("da 10");
    KtKdExpect("Memory access error at '00000000`00000010'");
    KtKdRunf("dc %llx L2", KT_KD_ADDRESS(KtMemText));
    KtKdExpect("  75656c53 73206874%20sSleuth s\n", "");
}

// a -> b -> c -> b: a loop that never comes back to a.
static LIST_ENTRY KtLoop[3];

KTEST(KdMemListWalksAreBounded)
{
    LIST_ENTRY head, nodes[3];
    ULONG offset;

    InitializeListHead(&head);
    for (ULONG i = 0; i < 3; i++)
        InsertTailList(&head, &nodes[i]);
    KT_EXPECT(KdpTypeFieldOffset("nt!_LIST_ENTRY", "Blink", &offset) && offset == 8);
    KT_EXPECT(KdpTypeFieldOffset("_KQUEUE", "EntryListHead.Blink", &offset) && offset == 0x20);
    KT_EXPECT(!KdpTypeFieldOffset("_KQUEUE", "NoSuchField", &offset));

    // Every element once, the head included, back to the start.
    KtKdRunf("!list -t nt!_LIST_ENTRY.Flink -x \"dq @$extret L1\" %llx", KT_KD_ADDRESS(&head));
    KT_EXPECT(KtKdCount(KtKdOutput, "\n") == 4);
    KtKdExpect("%s", KT_KD_HEX(&nodes[2]) + 8);
    // The quoted form, -e and -m.
    KtKdRunf("!list \"-t nt!_LIST_ENTRY.Flink -e -m 2 -x \\\"? @$extret\\\" %llx\"",
             KT_KD_ADDRESS(&head));
    KtKdExpect("\n? @$extret\nEvaluate expression: ");
    KT_EXPECT(KtKdCount(KtKdOutput, "Evaluate expression") == 2);
    KtKdExpect("%s\n", KT_KD_HEX(&nodes[0]) + 8);

    KtLoop[0].Flink = &KtLoop[1];
    KtLoop[1].Flink = &KtLoop[2];
    KtLoop[2].Flink = &KtLoop[1];
    KtKdRunf("!list -x \"? @$extret\" %llx", KT_KD_ADDRESS(KtLoop));
    KtKdExpect("!list: the list loops back to");
    KT_EXPECT(KtKdCount(KtKdOutput, "Evaluate expression") < 10);
    KtKdRunf("dl %llx", KT_KD_ADDRESS(KtLoop));
    KtKdExpect("The list loops back to");
    KtLoop[2].Flink = (LIST_ENTRY *)KT_UNMAPPED;
    KtKdRunf("!list -x \"? @$extret\" %llx", KT_KD_ADDRESS(KtLoop));
    KtKdExpect("!list: cannot read the link at 0000000000000010; the walk stops");

    KtKdRun("!list -t nt!_NOTYPE.Flink 0");
    KtKdExpect("!list: no field Flink in type nt!_NOTYPE");
    KtKdRun("!list -a \"x\" 0");
    KtKdExpect("-a is not supported");
    KtKdRunf("!list -x \"g; ? @$extret\" %llx", KT_KD_ADDRESS(&head));
    KtKdExpect("cannot run for each element");
    // !list inside !list inside !list: the third is one level too deep.
    KtKdRunf("!list -m 1 -x \"!list -m 1 -x !list @$extret\" %llx", KT_KD_ADDRESS(&head));
    KtKdExpect("Commands nested too deep (at most 3)");
    KtKdRun("? @$extret");
    KtKdExpect("Evaluate expression:");
}

KTEST(KdMemShellSeparatorsAndExtraArguments)
{
    KtKdRun("? 1; ? 2 ;? 3");
    KT_EXPECT(KtKdCount(KtKdOutput, "Evaluate expression") == 3);
    KtKdRun("? 1;; ? 2");
    KT_EXPECT(KtKdCount(KtKdOutput, "Evaluate expression") == 2);
    // A `;` inside quotes is part of the word, not a separator.
    KtKdRun("frob \"a;b\"");
    KtKdExpect("Unknown command 'frob'");
    KT_EXPECT(KtKdCount(KtKdOutput, "\n") == 1);
    KtKdRun("version 1");
    KtKdExpect("Extra argument '1': usage: version\n");
    KT_EXPECT(!KtKdFind(KtKdOutput, "Sleuth 0.1"));
    KtKdRun(".crash now");
    KtKdExpect("Extra argument 'now'");
    KtKdRun("dq 10 L1 extra");
    KtKdExpect("Syntax error at 'extra'");
}

// Every command refuses words it does not take, with an error line: none
// drops them silently. The exceptions take any number of words by design
// (an expression, a program's arguments, dt's fields, a search pattern,
// values to write, !list's options, the breakpoint ids of bl, bc, bd and
// be, each checked on its own: "Invalid breakpoint id 'a'"; an exercise's
// .answer, whose words the exercise checks).
KTEST(KdMemEveryCommandRefusesExtraWords)
{
    static const char *const variadic[] = {
        "g", "?", ".start", "dt", "s", "eb", "ew", "ed", "eq", "!list", "bl", "bc", "bd", "be",
        ".answer",
    };
    static char names[2048];
    const char *at;
    ULONG used = 0, checked = 0;

    // The command names, as `help` lists them ("  name  summary").
    KtKdRun("help");
    for (at = KtKdOutput; (at = KtKdFind(at, "\n  ")) != NULL; ) {
        at += 3;
        while (*at && *at != ' ' && used + 1 < sizeof(names))
            names[used++] = *at++;
        names[used++] = '\0';
    }
    for (const char *name = names; name < names + used; name += strlen(name) + 1) {
        BOOLEAN skip = FALSE;

        for (ULONG i = 0; i < ARRAYSIZE(variadic); i++)
            skip |= RtlCompareStringInsensitive(name, variadic[i]) == 0;
        if (skip || !*name)
            continue;
        KtKdRunf("%s 1 2 3 4 5 6 7 8 9 a b c d e", name);
        checked++;
        if (!KtKdFind(KtKdOutput, "Usage") && !KtKdFind(KtKdOutput, "Syntax error") &&
            !KtKdFind(KtKdOutput, "Extra argument")) {
            DbgPrint("KTEST '%s' with 14 extra words printed: %s\n", name, KtKdOutput);
            KT_EXPECT(!"a command took extra words without an error");
        }
    }
    KT_EXPECT(checked > 40);
}
