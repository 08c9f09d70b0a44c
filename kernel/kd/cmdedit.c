// Writing and searching memory: eb, ew, ed, eq (enter values) and s
// (search a range), WinDbg's syntax. Writes go through KdpWriteMemory, the
// fault-safe twin of KdpReadMemory: an unmapped or read-only page is an
// error line, never a fault. A search reads only mapped pages (the page
// tables say which) and stops after KD_MAX_SEARCH_HITS hits.

#include "kd/kd.h"
#include "kd/kdparse.h"
#include "arch/x86_64/x86.h"
#include "mm/mm.h"
#include "ps/ps.h"

#define KD_MAX_SEARCH_HITS 1000

static void KdpPrintWriteError(ULONG64 address)
{
    KdpPrint("Memory access error at '");
    KdpPrintAddress(address);
    KdpPrint("' (not mapped, or mapped read-only)\n");
}

// e{b|w|d|q} Address Values: each value in turn, stopping at the first
// that cannot be written.
static KD_COMMAND_RESULT KdpEnterValues(int argc, char **argv, ULONG size)
{
    ULONG64 address, values[KD_MAX_ARGUMENTS];

    if (argc < 3) {
        KdpPrint("Usage: %s Address Value [Value...]   (there is no interactive mode)\n",
                 argv[0]);
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &address))
        return KdCommandContinue;
    // Every value is checked before anything is written.
    for (int i = 2; i < argc; i++) {
        if (!KdpGetValue(argv[i], &values[i - 2]))
            return KdCommandContinue;
        if (size < 8 && values[i - 2] >= (1ULL << (size * 8))) {
            KdpPrint("Value too large for %u byte%s at '%s'\n", size, size == 1 ? "" : "s",
                     argv[i]);
            return KdCommandContinue;
        }
    }
    for (int i = 2; i < argc; i++) {
        ULONG64 at = address + (ULONG64)(i - 2) * size;

        // Little-endian: the low `size` bytes of the value are the element.
        if (!KdpWriteMemory(at, &values[i - 2], size)) {
            KdpPrintWriteError(at);
            break;
        }
    }
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpEnterBytes(int argc, char **argv)
{
    return KdpEnterValues(argc, argv, 1);
}

static KD_COMMAND_RESULT KdpEnterWords(int argc, char **argv)
{
    return KdpEnterValues(argc, argv, 2);
}

static KD_COMMAND_RESULT KdpEnterDwords(int argc, char **argv)
{
    return KdpEnterValues(argc, argv, 4);
}

static KD_COMMAND_RESULT KdpEnterQwords(int argc, char **argv)
{
    return KdpEnterValues(argc, argv, 8);
}

// ---- s --------------------------------------------------------------------------------------

// A page and room for a pattern that runs past its end.
static UCHAR KdpSearchBuffer[PAGE_SIZE + KD_SEARCH_MAX_PATTERN];

// The address space whose tables say which pages of the range are mapped.
static ULONG64 KdpSearchDirectoryTableBase(ULONG64 address)
{
    ULONG64 process = KdpImplicitProcessOverride(), directoryTableBase;

    if (address < KD_USER_SPACE_END && process &&
        KdpReadMemory(process + FIELD_OFFSET(EPROCESS, Pcb.DirectoryTableBase),
                      &directoryTableBase, sizeof(directoryTableBase)))
        return directoryTableBase;
    return __readcr3();
}

static void KdpShowHit(const KD_SEARCH *search, ULONG64 hit)
{
    switch (search->Kind) {
    case KdSearchWords:
        KdpDisplayMemory("dw", hit, 8);
        break;
    case KdSearchDwords:
        KdpDisplayMemory("dc", hit, 4);
        break;
    case KdSearchQwords:
        KdpDisplayMemory("dq", hit, 2);
        break;
    default:
        KdpDisplayMemory("db", hit, 16);
        break;
    }
}

static KD_COMMAND_RESULT KdpSearchMemory(int argc, char **argv)
{
    KD_SEARCH search;
    char error[160];
    ULONG64 end, page, hits = 0;
    ULONG64 directoryTableBase;

    if (!KdpParseSearch(argc - 1, argv + 1, KdpGetValue, &search, error, sizeof(error))) {
        KdpPrint("%s\nUsage: s [-b|-w|-d|-q|-a|-u] Start (L Count | L?Count | End) Pattern\n",
                 error);
        return KdCommandContinue;
    }
    end = search.Start + search.Length;         // the parser checked it does not wrap
    if (end == 0)
        end = ~0ULL;
    directoryTableBase = KdpSearchDirectoryTableBase(search.Start);
    for (ULONG64 next = search.Start;
         next < end && KdpNextMappedPage(directoryTableBase, next, end, &page);) {
        ULONG64 from = page < search.Start ? search.Start : page;
        ULONG64 to = page + PAGE_SIZE < end && page + PAGE_SIZE > page ? page + PAGE_SIZE : end;
        ULONG valid;

        if (!KdpReadMemory(page, KdpSearchBuffer, PAGE_SIZE)) {
            next = page + PAGE_SIZE;
            if (next <= page)
                break;
            continue;
        }
        // The bytes after the page, for a pattern that starts near its end.
        for (valid = PAGE_SIZE; valid < sizeof(KdpSearchBuffer); valid++) {
            if (!KdpReadMemory(page + valid, &KdpSearchBuffer[valid], 1))
                break;
        }
        for (ULONG64 at = from; at < to; at++) {
            ULONG offset = (ULONG)(at - page);

            if (at % search.ElementSize || at + search.PatternLength > end ||
                offset + search.PatternLength > valid ||
                memcmp(&KdpSearchBuffer[offset], search.Pattern, search.PatternLength))
                continue;
            KdpShowHit(&search, at);
            if (++hits == KD_MAX_SEARCH_HITS) {
                KdpPrint("Search stopped after 0n%u hits; the last at %016llx\n",
                         KD_MAX_SEARCH_HITS, (unsigned long long)at);
                return KdCommandContinue;
            }
        }
        next = page + PAGE_SIZE;
        if (next <= page)
            break;              // the top of the address space
    }
    return KdCommandContinue;
}

const KD_COMMAND KdpEditCommands[] = {
    { "eb", KdpEnterBytes, "eb address value [value...]", "enter bytes (fault-safe)" },
    { "ew", KdpEnterWords, "ew address value [value...]", "enter 16-bit words" },
    { "ed", KdpEnterDwords, "ed address value [value...]", "enter 32-bit double words" },
    { "eq", KdpEnterQwords, "eq address value [value...]", "enter 64-bit quad words" },
    { "s", KdpSearchMemory,
      "s [-b|-w|-d|-q|-a|-u] start (L count | L?count | end) pattern",
      "search memory for bytes, words, dwords, qwords or a string; each hit as db/dw/dc/dq" },
    { NULL, NULL, NULL, NULL },
};
