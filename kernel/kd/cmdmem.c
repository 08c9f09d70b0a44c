// Memory display: db, dw, dd, dq (bytes, words, dwords, qwords) and dps
// (pointers with their symbols), as KD prints them. Every read goes through
// the fault-safe copy: an address that is not mapped prints an error line.

#include "kd/kd.h"

#define KD_DEFAULT_DISPLAY_BYTES 0x80
#define KD_MAX_DISPLAY_ELEMENTS 0x10000

typedef struct _KD_DISPLAY_FORMAT {
    const char *Name;
    ULONG ElementSize;
    ULONG PerLine;
    BOOLEAN Symbols;
} KD_DISPLAY_FORMAT;

static const KD_DISPLAY_FORMAT KdpFormats[] = {
    { "db", 1, 16, FALSE },
    { "dw", 2, 8, FALSE },
    { "dd", 4, 4, FALSE },
    { "dq", 8, 2, FALSE },
    { "dps", 8, 1, TRUE },
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

static KD_COMMAND_RESULT KdpDisplay(const KD_DISPLAY_FORMAT *format, int argc, char **argv)
{
    ULONG64 address, count;

    if (!KdpParseRange(argc, argv, &address, &count,
                       KD_DEFAULT_DISPLAY_BYTES / format->ElementSize))
        return KdCommandContinue;
    {
        UCHAR probe[8];

        if (!KdpReadMemory(address, probe, format->ElementSize)) {
            KdpPrint("Memory access error at '");
            KdpPrintAddress(address);
            KdpPrint("'\n");
            return KdCommandContinue;
        }
    }

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
        if (format->ElementSize == 1) {
            // The ASCII column, padded to line up under a full line.
            for (ULONG i = inLine; i < format->PerLine; i++)
                KdpPrint("   ");
            KdpPrint("  ");
            for (ULONG i = 0; i < inLine; i++)
                KdpPrint("%c", readable[i] && line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '.');
        }
        KdpPrint("\n");
        done += inLine;
    }
    KdpNextDisplayAddress = address + count * format->ElementSize;
    return KdCommandContinue;
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

const KD_COMMAND KdpMemoryCommands[] = {
    { "db", KdpDisplayBytes, "db [address] [L count]", "display bytes and ASCII" },
    { "dw", KdpDisplayWords, "dw [address] [L count]", "display 16-bit words" },
    { "dd", KdpDisplayDwords, "dd [address] [L count]", "display 32-bit double words" },
    { "dq", KdpDisplayQwords, "dq [address] [L count]", "display 64-bit quad words" },
    { "dps", KdpDisplayPointers, "dps [address] [L count]",
      "display pointers, each with its symbol" },
    { NULL, NULL, NULL, NULL },
};
