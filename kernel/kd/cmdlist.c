// !list, WinDbg's: runs debugger commands once for each element of a
// linked list, with @$extret the element's address. As the third case
// study walks a stuck worker queue:
//
//   !list "-t nt!_LIST_ENTRY.Flink -e -x \"dq poi(@$extret) L1; dps poi(@$extret)+0x20 L1\" ADDR"
//
// The next element is the link read at the field's offset, less that
// offset (the structure that holds it). The walk ends at a NULL link, back
// at the start, at -m's count, at an unreadable link, at a loop that does
// not come back to the start (WinDbg's would go on until Ctrl-C; Sleuth's
// stops and says so) or after KD_MAX_LIST_ENTRIES elements. The commands
// run through the shell's own dispatcher, nested at most KD_MAX_NESTING deep.

#include "kd/kd.h"
#include "kd/kdparse.h"
#include "kd/kdtype.h"
#include "kd/lineedit.h"

#define KD_LIST_WORDS 16
#define KD_LIST_COMMAND_LENGTH (KD_LINE_MAX + 24)

static ULONG64 KdpExtensionReturn;
static BOOLEAN KdpExtensionReturnValid;

BOOLEAN KdpReadExtensionReturn(ULONG64 *value)
{
    if (!KdpExtensionReturnValid)
        return FALSE;
    *value = KdpExtensionReturn;
    return TRUE;
}

static void KdpListUsage(void)
{
    KdpPrint("Usage: !list -t [Module!]Type.Field -x \"Commands\" [-e] [-m Max] StartAddress\n"
             "       !list \"-t [Module!]Type.Field -x \\\"Commands\\\" [-e] [-m Max] "
             "StartAddress\"\n"
             "  Runs Commands for each element, @$extret its address (appended to the\n"
             "  commands when they do not name it); -e echoes them; default commands: dp\n");
}

static BOOLEAN KdpMentionsExtensionReturn(const char *text)
{
    static const char name[] = "$extret";

    for (; *text; text++) {
        ULONG i = 0;

        while (name[i] && (text[i] | 0x20) == name[i])
            i++;
        if (!name[i])
            return TRUE;
    }
    return FALSE;
}

// Runs the commands for one element; FALSE when the walk must stop.
static BOOLEAN KdpRunForElement(const KD_LIST_OPTIONS *options, ULONG64 element)
{
    const char *commands = options->Commands ? options->Commands : "dp";
    char line[KD_LIST_COMMAND_LENGTH];
    size_t used;
    KD_COMMAND_RESULT result;

    if (KdpMentionsExtensionReturn(commands))
        used = RtlStringPrintf(line, sizeof(line), "%s", commands);
    else
        used = RtlStringPrintf(line, sizeof(line), "%s %llx", commands,
                               (unsigned long long)element);
    if (used >= sizeof(line)) {
        KdpPrint("!list: the commands are too long\n");
        return FALSE;
    }
    KdpExtensionReturn = element;
    KdpExtensionReturnValid = TRUE;
    KdpSetDisplayAddress(element);      // d* without an address shows the element
    if (options->Echo)
        KdpPrint("\n%s\n", line);
    result = KdpExecuteLine(line);
    if (result != KdCommandContinue) {
        KdpPrint("!list: a command that resumes the system cannot run for each element; "
                 "the walk stops\n");
        return FALSE;
    }
    return TRUE;
}

static KD_COMMAND_RESULT KdpList(int argc, char **argv)
{
    char text[KD_LIST_COMMAND_LENGTH];
    char *words[KD_LIST_WORDS];
    char **list = argv + 1;
    int count = argc - 1;
    char error[160];
    KD_LIST_OPTIONS options;
    ULONG64 start, element, max = KD_MAX_LIST_ENTRIES, saved = 0;
    BOOLEAN savedValid = KdpExtensionReturnValid;
    ULONG offset = 0;
    KD_LOOP_CHECK loop;

    // WinDbg's quoted form: everything in one word, split again here.
    if (argc == 2 && strchr(argv[1], ' ')) {
        if (strlen(argv[1]) >= sizeof(text)) {
            KdpPrint("!list: arguments too long\n");
            return KdCommandContinue;
        }
        memcpy(text, argv[1], strlen(argv[1]) + 1);
        count = KdpSplitWords(text, words, KD_LIST_WORDS);
        list = words;
        if (count < 0) {
            KdpPrint("!list: too many words (at most %d)\n", KD_LIST_WORDS);
            return KdCommandContinue;
        }
    }
    if (count == 0) {
        KdpListUsage();
        return KdCommandContinue;
    }
    if (!KdpParseListOptions(count, list, &options, error, sizeof(error))) {
        KdpPrint("!list: %s\n", error);
        return KdCommandContinue;
    }
    if (options.Help) {
        KdpListUsage();
        return KdCommandContinue;
    }
    if (options.TypeName &&
        !KdpTypeFieldOffset(options.TypeName, options.FieldPath, &offset)) {
        KdpPrint("!list: no field %s in type %s\n", options.FieldPath, options.TypeName);
        return KdCommandContinue;
    }
    if (!KdpGetValue(options.Address, &start) ||
        (options.MaxText && !KdpGetValue(options.MaxText, &max)))
        return KdCommandContinue;
    if (max == 0 || max > KD_MAX_LIST_ENTRIES) {
        KdpPrint("!list: -m must be 1 to 0n%u\n", KD_MAX_LIST_ENTRIES);
        return KdCommandContinue;
    }
    KdpReadExtensionReturn(&saved);
    KdpLoopCheckInitialize(&loop);
    element = start;
    for (ULONG64 done = 0;; ) {
        ULONG64 link;

        if (!KdpRunForElement(&options, element))
            break;
        if (++done == max)
            break;
        if (!KdpReadMemory(element + offset, &link, sizeof(link))) {
            KdpPrint("!list: cannot read the link at %016llx; the walk stops\n",
                     (unsigned long long)(element + offset));
            break;
        }
        if (link == 0 || link - offset == start)
            break;
        if (KdpLoopCheck(&loop, link)) {
            KdpPrint("!list: the list loops back to %016llx, not to its start; the walk "
                     "stops\n", (unsigned long long)(link - offset));
            break;
        }
        element = link - offset;
    }
    // A nested !list gives its caller's element back.
    KdpExtensionReturn = savedValid ? saved : element;
    KdpExtensionReturnValid = TRUE;
    return KdCommandContinue;
}

const KD_COMMAND KdpListCommands[] = {
    { "!list", KdpList,
      "!list \"-t [mod!]Type.Field [-e] [-m Max] -x \\\"Commands\\\" StartAddress\"",
      "run commands for each element of a linked list, @$extret the element" },
    { NULL, NULL, NULL, NULL },
};
