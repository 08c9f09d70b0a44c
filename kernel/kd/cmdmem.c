// Memory display: db, dw, dd, dq, dp (bytes, words, dwords, qwords,
// pointers), dc (dwords and their characters), dps (pointers with their
// symbols), da and du (ASCII and Unicode strings), dS (a UNICODE_STRING's
// text) and dl (a LIST_ENTRY list), as KD prints them. Every read goes
// through the fault-safe copy: an address that is not mapped prints an
// error line.

#include "kd/kd.h"

#define KD_DEFAULT_DISPLAY_BYTES 0x80
#define KD_MAX_DISPLAY_ELEMENTS 0x10000

typedef struct _KD_DISPLAY_FORMAT {
    const char *Name;
    ULONG ElementSize;
    ULONG PerLine;
    BOOLEAN Symbols;
    BOOLEAN Characters;         // the line's bytes as text after the values
} KD_DISPLAY_FORMAT;

static const KD_DISPLAY_FORMAT KdpFormats[] = {
    { "db", 1, 16, FALSE, TRUE },
    { "dw", 2, 8, FALSE, FALSE },
    { "dd", 4, 4, FALSE, FALSE },
    { "dq", 8, 2, FALSE, FALSE },
    { "dps", 8, 1, TRUE, FALSE },
    { "dc", 4, 4, FALSE, TRUE },
    { "dp", 8, 2, FALSE, FALSE },
};

// Remembers where the last display stopped, so `dq` alone continues.
static ULONG64 KdpNextDisplayAddress;

// Parses "ADDR [L count]" (also "Lcount" in one word). Returns FALSE after
// printing the error.
static BOOLEAN KdpParseRange(int argc, char **argv, ULONG64 *address, ULONG64 *count,
                             ULONG64 defaultCount)
{
    int at = 1;

    *address = KdpNextDisplayAddress;
    *count = defaultCount;
    if (at < argc && argv[at][0] != 'L' && argv[at][0] != 'l') {
        if (!KdpGetValue(argv[at], address))
            return FALSE;
        at++;
    }
    if (at < argc) {
        const char *countText = argv[at] + 1;

        if (argv[at][0] != 'L' && argv[at][0] != 'l') {
            KdpPrint("Syntax error at '%s'\n", argv[at]);
            return FALSE;
        }
        if (!*countText) {
            if (++at >= argc) {
                KdpPrint("Missing count after L\n");
                return FALSE;
            }
            countText = argv[at];
        }
        if (!KdpGetValue(countText, count))
            return FALSE;
        at++;
    }
    if (at < argc) {
        KdpPrint("Syntax error at '%s'\n", argv[at]);
        return FALSE;
    }
    if (*count == 0 || *count > KD_MAX_DISPLAY_ELEMENTS) {
        KdpPrint("Range error: count must be 1 to 0x%x\n", KD_MAX_DISPLAY_ELEMENTS);
        return FALSE;
    }
    return TRUE;
}

static void KdpPrintElement(const KD_DISPLAY_FORMAT *format, const UCHAR *data)
{
    switch (format->ElementSize) {
    case 1:
        KdpPrint("%02x", data[0]);
        break;
    case 2:
        KdpPrint("%04x", *(const USHORT *)data);
        break;
    case 4:
        KdpPrint("%08x", *(const ULONG *)data);
        break;
    default:
        KdpPrintAddress(*(const ULONG64 *)data);
        break;
    }
}

static void KdpPrintUnreadable(const KD_DISPLAY_FORMAT *format)
{
    static const char *const unreadable[] = { "??", "????", "????????",
                                              "????????`????????" };
    ULONG index = format->ElementSize == 1 ? 0 : format->ElementSize == 2 ? 1
                : format->ElementSize == 4 ? 2 : 3;

    KdpPrint("%s", unreadable[index]);
}

// `count` elements from `address` in lines of the format; an element that
// cannot be read shows as question marks.
static void KdpDisplayLines(const KD_DISPLAY_FORMAT *format, ULONG64 address, ULONG64 count)
{
    for (ULONG64 done = 0; done < count;) {
        ULONG64 lineAddress = address + done * format->ElementSize;
        ULONG inLine = (ULONG)(count - done < format->PerLine ? count - done : format->PerLine);
        UCHAR line[16];
        BOOLEAN readable[16];

        KdpPrintAddress(lineAddress);
        KdpPrint(" ");
        for (ULONG i = 0; i < inLine; i++) {
            UCHAR *element = line + i * format->ElementSize;

            readable[i] = KdpReadMemory(lineAddress + i * format->ElementSize, element,
                                        format->ElementSize);
            KdpPrint(format->ElementSize == 1 && i == 8 ? "-" : " ");
            if (readable[i])
                KdpPrintElement(format, element);
            else
                KdpPrintUnreadable(format);
            if (format->Symbols && readable[i]) {
                char symbol[128];
                ULONG64 pointer = *(const ULONG64 *)element;

                if (KdpFormatModuleAddress(pointer, symbol, sizeof(symbol)))
                    KdpPrint(" %s", symbol);
            }
        }
        if (format->Characters) {
            // The text column, padded to line up under a full line.
            for (ULONG i = inLine; i < format->PerLine; i++)
                KdpPrint("%*s", (int)(format->ElementSize * 2 + 1), "");
            KdpPrint("  ");
            for (ULONG i = 0; i < inLine * format->ElementSize; i++) {
                UCHAR c = line[i];

                KdpPrint("%c", readable[i / format->ElementSize] && c >= 0x20 && c < 0x7f
                                   ? c : '.');
            }
        }
        KdpPrint("\n");
        done += inLine;
    }
}

static void KdpPrintAccessError(ULONG64 address)
{
    KdpPrint("Memory access error at '");
    KdpPrintAddress(address);
    KdpPrint("'\n");
}

static KD_COMMAND_RESULT KdpDisplay(const KD_DISPLAY_FORMAT *format, int argc, char **argv)
{
    ULONG64 address, count;
    UCHAR probe[8];

    if (!KdpParseRange(argc, argv, &address, &count,
                       KD_DEFAULT_DISPLAY_BYTES / format->ElementSize))
        return KdCommandContinue;
    if (!KdpReadMemory(address, probe, format->ElementSize)) {
        KdpPrintAccessError(address);
        return KdCommandContinue;
    }
    KdpDisplayLines(format, address, count);
    KdpNextDisplayAddress = address + count * format->ElementSize;
    return KdCommandContinue;
}

void KdpSetDisplayAddress(ULONG64 address)
{
    KdpNextDisplayAddress = address;
}

BOOLEAN KdpDisplayMemory(const char *formatName, ULONG64 address, ULONG64 count)
{
    for (ULONG i = 0; i < ARRAYSIZE(KdpFormats); i++) {
        if (!strcmp(KdpFormats[i].Name, formatName)) {
            KdpDisplayLines(&KdpFormats[i], address, count);
            return TRUE;
        }
    }
    return FALSE;
}

static KD_COMMAND_RESULT KdpDisplayBytes(int argc, char **argv)
{
    return KdpDisplay(&KdpFormats[0], argc, argv);
}

static KD_COMMAND_RESULT KdpDisplayWords(int argc, char **argv)
{
    return KdpDisplay(&KdpFormats[1], argc, argv);
}

static KD_COMMAND_RESULT KdpDisplayDwords(int argc, char **argv)
{
    return KdpDisplay(&KdpFormats[2], argc, argv);
}

static KD_COMMAND_RESULT KdpDisplayQwords(int argc, char **argv)
{
    return KdpDisplay(&KdpFormats[3], argc, argv);
}

static KD_COMMAND_RESULT KdpDisplayPointers(int argc, char **argv)
{
    return KdpDisplay(&KdpFormats[4], argc, argv);
}

static KD_COMMAND_RESULT KdpDisplayCharacters(int argc, char **argv)
{
    return KdpDisplay(&KdpFormats[5], argc, argv);
}

static KD_COMMAND_RESULT KdpDisplayPointerValues(int argc, char **argv)
{
    return KdpDisplay(&KdpFormats[6], argc, argv);
}

// ---- Strings ------------------------------------------------------------------------

#define KD_STRING_PER_LINE      48      // WinDbg's da/du: 48 characters a line
#define KD_STRING_DEFAULT_COUNT 0x100   // characters, when no L is given
#define KD_STRING_MAX_COUNT     0x10000

// Prints up to `count` characters of `width` bytes from `address`, in
// lines of `"text"` after their address, ending at the first NUL. Returns
// the address after the last character read.
static ULONG64 KdpDisplayString(ULONG64 address, ULONG64 count, ULONG width)
{
    ULONG64 done = 0;

    while (done < count) {
        ULONG64 lineAddress = address + done * width;
        BOOLEAN ended = FALSE;

        KdpPrintAddress(lineAddress);
        KdpPrint("  \"");
        for (ULONG i = 0; i < KD_STRING_PER_LINE && done < count; i++) {
            USHORT c = 0;

            if (!KdpReadMemory(address + done * width, &c, width)) {
                KdpPrint("\"\nMemory access error at '");
                KdpPrintAddress(address + done * width);
                KdpPrint("'\n");
                return address + done * width;
            }
            if (c == 0) {
                ended = TRUE;
                done++;
                break;
            }
            KdpPrint("%c", c >= 0x20 && c < 0x7f ? (char)c : '.');
            done++;
        }
        KdpPrint("\"\n");
        if (ended)
            break;
    }
    return address + done * width;
}

static KD_COMMAND_RESULT KdpDisplayText(int argc, char **argv, ULONG width)
{
    ULONG64 address, count;
    USHORT probe;

    if (!KdpParseRange(argc, argv, &address, &count, KD_STRING_DEFAULT_COUNT))
        return KdCommandContinue;
    if (!KdpReadMemory(address, &probe, width)) {
        KdpPrintAccessError(address);
        return KdCommandContinue;
    }
    KdpNextDisplayAddress = KdpDisplayString(address, count, width);
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpDisplayAscii(int argc, char **argv)
{
    return KdpDisplayText(argc, argv, 1);
}

static KD_COMMAND_RESULT KdpDisplayUnicode(int argc, char **argv)
{
    return KdpDisplayText(argc, argv, 2);
}

// dS ADDR (a UNICODE_STRING) and ds ADDR (a STRING: ANSI_STRING, OEM_STRING),
// shown as the buffer's address and its Length bytes of text (no NUL
// needed). Both structures are Length, MaximumLength, then Buffer.
static KD_COMMAND_RESULT KdpDisplayCountedString(int argc, char **argv, ULONG width)
{
    UNICODE_STRING string;
    ULONG64 address;

    if (argc != 2) {
        KdpPrint("Usage: %s address\n", width == 1 ? "ds" : "dS");
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &address))
        return KdCommandContinue;
    if (!KdpReadMemory(address, &string, sizeof(string))) {
        KdpPrintAccessError(address);
        return KdCommandContinue;
    }
    if ((string.Length % width) || string.Length > string.MaximumLength) {
        KdpPrint("Not a %s at %016llx: Length 0x%x, MaximumLength 0x%x\n",
                 width == 1 ? "STRING" : "UNICODE_STRING", (unsigned long long)address,
                 string.Length, string.MaximumLength);
        return KdCommandContinue;
    }
    KdpPrintAddress((ULONG64)string.Buffer);
    KdpPrint("  \"");
    for (ULONG i = 0; i < string.Length / width; i++) {
        USHORT c = 0;

        if (!KdpReadMemory((ULONG64)string.Buffer + i * width, &c, width)) {
            KdpPrint("\"\nMemory access error at '");
            KdpPrintAddress((ULONG64)string.Buffer + i * width);
            KdpPrint("'\n");
            return KdCommandContinue;
        }
        KdpPrint("%c", c >= 0x20 && c < 0x7f ? (char)c : '.');
    }
    KdpPrint("\"\n");
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpDisplayUnicodeString(int argc, char **argv)
{
    return KdpDisplayCountedString(argc, argv, sizeof(WCHAR));
}

static KD_COMMAND_RESULT KdpDisplayAnsiString(int argc, char **argv)
{
    return KdpDisplayCountedString(argc, argv, 1);
}

// ---- dl: a linked list ----------------------------------------------------------------

#define KD_DL_DEFAULT_COUNT 0x20        // elements, as !dflink's default
#define KD_DL_DEFAULT_SIZE  4           // pointers shown for each element
#define KD_DL_MAX_SIZE      0x100

// dl[b] Address [MaxCount] [Size]: from Address, each element's first Size
// pointers, following Flink (dlb: Blink) until the list comes back to
// Address, a NULL link, an unreadable element, a loop, or MaxCount.
static KD_COMMAND_RESULT KdpDisplayList(int argc, char **argv, BOOLEAN backward)
{
    ULONG64 start, maxCount = KD_DL_DEFAULT_COUNT, size = KD_DL_DEFAULT_SIZE, entry;
    KD_LOOP_CHECK loop;

    if (argc < 2 || argc > 4) {
        KdpPrint("Usage: %s Address [MaxCount] [Size]\n", backward ? "dlb" : "dl");
        return KdCommandContinue;
    }
    if (!KdpGetValue(argv[1], &start) || (argc > 2 && !KdpGetValue(argv[2], &maxCount)) ||
        (argc > 3 && !KdpGetValue(argv[3], &size)))
        return KdCommandContinue;
    if (maxCount == 0 || maxCount > KD_MAX_LIST_ENTRIES || size == 0 ||
        size > KD_DL_MAX_SIZE) {
        KdpPrint("Range error: MaxCount 1 to 0x%x, Size 1 to 0x%x\n", KD_MAX_LIST_ENTRIES,
                 KD_DL_MAX_SIZE);
        return KdCommandContinue;
    }
    KdpLoopCheckInitialize(&loop);
    entry = start;
    for (ULONG64 shown = 0; shown < maxCount; shown++) {
        ULONG64 link;

        if (!KdpReadMemory(entry + (backward ? 8 : 0), &link, sizeof(link))) {
            KdpPrintAccessError(entry);
            break;
        }
        KdpDisplayLines(&KdpFormats[6], entry, size);
        if (link == 0 || link == start)
            break;
        if (KdpLoopCheck(&loop, link)) {
            KdpPrint("The list loops back to %016llx, not to its start; the dump stops "
                     "here\n", (unsigned long long)link);
            break;
        }
        entry = link;
    }
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpDisplayListForward(int argc, char **argv)
{
    return KdpDisplayList(argc, argv, FALSE);
}

static KD_COMMAND_RESULT KdpDisplayListBackward(int argc, char **argv)
{
    return KdpDisplayList(argc, argv, TRUE);
}

const KD_COMMAND KdpMemoryCommands[] = {
    { "db", KdpDisplayBytes, "db [address] [L count]", "display bytes and ASCII" },
    { "dw", KdpDisplayWords, "dw [address] [L count]", "display 16-bit words" },
    { "dd", KdpDisplayDwords, "dd [address] [L count]", "display 32-bit double words" },
    { "dq", KdpDisplayQwords, "dq [address] [L count]", "display 64-bit quad words" },
    { "dp", KdpDisplayPointerValues, "dp [address] [L count]",
      "display pointer-sized values (quad words)" },
    { "dps", KdpDisplayPointers, "dps [address] [L count]",
      "display pointers, each with its symbol" },
    { "dc", KdpDisplayCharacters, "dc [address] [L count]",
      "display double words and their characters" },
    { "da", KdpDisplayAscii, "da [address] [L count]",
      "display an ASCII string (to its NUL, at most count characters; default 0x100)" },
    { "du", KdpDisplayUnicode, "du [address] [L count]",
      "display a Unicode string (to its NUL, at most count characters; default 0x100)" },
    { "dS", KdpDisplayUnicodeString, "dS address",
      "display the UNICODE_STRING at address: its buffer's address and text" },
    { "ds", KdpDisplayAnsiString, "ds address",
      "display the STRING (ANSI_STRING) at address: its buffer's address and text" },
    { "dl", KdpDisplayListForward, "dl address [MaxCount] [Size]",
      "display a linked list by Flink: Size pointers (4) of up to MaxCount (0x20) elements" },
    { "dlb", KdpDisplayListBackward, "dlb address [MaxCount] [Size]",
      "display a linked list backwards, by Blink" },
    { NULL, NULL, NULL, NULL },
};
