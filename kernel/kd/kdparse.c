// The shell's pure parsing: `;` between commands, words with quotes,
// `!list`'s options and `s`'s range and pattern (see kdparse.h). Pure code:
// the host tests run it on its own.

#include "kd/kdparse.h"

static BOOLEAN KdpParseError(char *error, size_t size, const char *reason, const char *where)
{
    RtlStringPrintf(error, size, "%s at '%s'", reason, where ? where : "");
    return FALSE;
}

char *KdpSplitCommands(char *line)
{
    BOOLEAN quoted = FALSE;

    for (char *at = line; *at; at++) {
        if (quoted && at[0] == '\\' && at[1] == '"') {
            at++;
        } else if (*at == '"') {
            quoted = !quoted;
        } else if (*at == ';' && !quoted) {
            *at = '\0';
            return at + 1;
        }
    }
    return NULL;
}

int KdpSplitWords(char *line, char **argv, int max)
{
    return KdpSplitWordsQuoted(line, argv, max, NULL);
}

int KdpSplitWordsQuoted(char *line, char **argv, int max, ULONG64 *quotedMask)
{
    char *in = line;
    int argc = 0;

    if (quotedMask)
        *quotedMask = 0;
    for (;;) {
        char *out;
        BOOLEAN quoted = FALSE;

        while (RtlIsSpace(*in))
            in++;
        if (!*in)
            break;
        if (argc == max)
            return -1;
        // The word is written over itself: dropping the quotes and the
        // backslashes of \" only ever shortens it.
        out = in;
        argv[argc++] = out;
        while (*in && (quoted || !RtlIsSpace(*in))) {
            if (quoted && in[0] == '\\' && in[1] == '"') {
                *out++ = '"';
                in += 2;
            } else if (*in == '"') {
                quoted = !quoted;
                if (quoted && out == argv[argc - 1] && quotedMask && argc <= 64)
                    *quotedMask |= 1ULL << (argc - 1);
                in++;
            } else {
                *out++ = *in++;
            }
        }
        if (*in)
            in++;           // the space after the word
        *out = '\0';
    }
    return argc;
}

// ---- !list ------------------------------------------------------------------------------

// The option's value: the rest of its word (-x"dq" -m10), else the next word.
static const char *KdpOptionValue(int argc, char **argv, int *at)
{
    if (argv[*at][2])
        return argv[*at] + 2;
    if (*at + 1 >= argc)
        return NULL;
    return argv[++*at];
}

BOOLEAN KdpParseListOptions(int argc, char **argv, KD_LIST_OPTIONS *options, char *error,
                            size_t errorSize)
{
    memset(options, 0, sizeof(*options));
    error[0] = '\0';
    for (int at = 0; at < argc; at++) {
        char *word = argv[at];
        const char *value;

        if (word[0] != '-' || !word[1]) {
            if (options->Address)
                return KdpParseError(error, errorSize, "Extra argument", word);
            options->Address = word;
            continue;
        }
        switch (word[1]) {
        case 'h':
        case '?':
            if (word[2])
                return KdpParseError(error, errorSize, "Unknown option", word);
            options->Help = TRUE;
            continue;
        case 'e':
            if (word[2])
                return KdpParseError(error, errorSize, "Unknown option", word);
            options->Echo = TRUE;
            continue;
        case 't':
        case 'x':
        case 'm':
        case 'a':
            break;
        default:
            return KdpParseError(error, errorSize, "Unknown option", word);
        }
        value = KdpOptionValue(argc, argv, &at);
        if (!value || !*value)
            return KdpParseError(error, errorSize, "Missing value after option", word);
        if (word[1] == 'x') {
            options->Commands = value;
        } else if (word[1] == 'm') {
            options->MaxText = value;
        } else if (word[1] == 'a') {
            return KdpParseError(error, errorSize,
                                 "-a is not supported (use @$extret in the commands)", word);
        } else {
            // Type.Field[.Sub...]: the type may hold a module ("nt!"), never a dot.
            char *dot = strchr(value, '.');

            if (!dot || dot == value || !dot[1])
                return KdpParseError(error, errorSize, "-t needs Type.Field", value);
            size_t length = strlen(dot + 1);

            if (length >= sizeof(options->FieldPath))
                return KdpParseError(error, errorSize, "Field path too long", dot + 1);
            memcpy(options->FieldPath, dot + 1, length + 1);
            *dot = '\0';
            options->TypeName = value;
        }
    }
    if (!options->Address && !options->Help)
        return KdpParseError(error, errorSize, "Missing start address", "");
    return TRUE;
}

// ---- s --------------------------------------------------------------------------------------

static BOOLEAN KdpIsLengthWord(const char *word)
{
    return (word[0] == 'L' || word[0] == 'l') &&
           (!word[1] || word[1] == '?' || (word[1] >= '0' && word[1] <= '9') ||
            (word[1] >= 'a' && word[1] <= 'f') || (word[1] >= 'A' && word[1] <= 'F'));
}

// START then L count, L?count or END; `at` is moved past them.
static BOOLEAN KdpParseSearchRange(int argc, char **argv, int *at, KD_PARSE_VALUE parse,
                                   KD_SEARCH *search, char *error, size_t errorSize)
{
    ULONG64 value;
    BOOLEAN huge = FALSE;

    if (*at >= argc)
        return KdpParseError(error, errorSize, "Missing range", "");
    if (!parse(argv[*at], &search->Start))
        return KdpParseError(error, errorSize, "Bad address", argv[*at]);
    if (++*at >= argc)
        return KdpParseError(error, errorSize, "Missing range length or end", argv[*at - 1]);
    if (KdpIsLengthWord(argv[*at])) {
        const char *text = argv[*at] + 1;

        if (*text == '?') {
            huge = TRUE;
            text++;
        }
        if (!*text) {
            if (++*at >= argc)
                return KdpParseError(error, errorSize, "Missing count after L", "");
            text = argv[*at];
        }
        if (!parse(text, &value) || value == 0)
            return KdpParseError(error, errorSize, "Bad count", text);
        if (value > KD_SEARCH_MAX_RANGE_HUGE / search->ElementSize)
            return KdpParseError(error, errorSize, "Range error (larger than 2^48 bytes)",
                                 text);
        search->Length = value * search->ElementSize;
    } else {
        if (!parse(argv[*at], &value))
            return KdpParseError(error, errorSize, "Bad address", argv[*at]);
        if (value < search->Start)
            return KdpParseError(error, errorSize, "Range error: end before start",
                                 argv[*at]);
        search->Length = value - search->Start + 1;
    }
    if (search->Length > (huge ? KD_SEARCH_MAX_RANGE_HUGE : KD_SEARCH_MAX_RANGE))
        return KdpParseError(error, errorSize,
                             huge ? "Range error (larger than 2^48 bytes)"
                                  : "Range error (over 256 MB: use L?)", argv[*at]);
    if (search->Start + search->Length - 1 < search->Start)
        return KdpParseError(error, errorSize, "Range error (wraps)", argv[*at]);
    (*at)++;
    return TRUE;
}

BOOLEAN KdpParseSearch(int argc, char **argv, KD_PARSE_VALUE parse, KD_SEARCH *search,
                       char *error, size_t errorSize)
{
    static const struct {
        char Flag;
        KD_SEARCH_KIND Kind;
        ULONG Size;
    } kinds[] = {
        { 'b', KdSearchBytes, 1 }, { 'w', KdSearchWords, 2 }, { 'd', KdSearchDwords, 4 },
        { 'q', KdSearchQwords, 8 }, { 'a', KdSearchAscii, 1 }, { 'u', KdSearchUnicode, 2 },
    };
    int at = 0;

    memset(search, 0, sizeof(*search));
    error[0] = '\0';
    search->Kind = KdSearchBytes;
    search->ElementSize = 1;
    if (at < argc && argv[at][0] == '-') {
        ULONG i;

        for (i = 0; i < ARRAYSIZE(kinds); i++) {
            if (argv[at][1] == kinds[i].Flag && !argv[at][2])
                break;
        }
        if (i == ARRAYSIZE(kinds))
            return KdpParseError(error, errorSize, "Unknown search type (-b -w -d -q -a -u)",
                                 argv[at]);
        search->Kind = kinds[i].Kind;
        search->ElementSize = kinds[i].Size;
        at++;
    }
    if (!KdpParseSearchRange(argc, argv, &at, parse, search, error, errorSize))
        return FALSE;
    if (at >= argc)
        return KdpParseError(error, errorSize, "Missing search pattern", "");
    if (search->Kind == KdSearchAscii || search->Kind == KdSearchUnicode) {
        const char *text = argv[at];
        size_t length = strlen(text);

        if (at + 1 < argc)
            return KdpParseError(error, errorSize, "Extra argument (quote a text with spaces)",
                                 argv[at + 1]);
        if (!length || length * search->ElementSize > KD_SEARCH_MAX_PATTERN)
            return KdpParseError(error, errorSize, "Pattern empty or too long", text);
        for (size_t i = 0; i < length; i++) {
            search->Pattern[search->PatternLength++] = (UCHAR)text[i];
            if (search->Kind == KdSearchUnicode)
                search->Pattern[search->PatternLength++] = 0;
        }
        return TRUE;
    }
    for (; at < argc; at++) {
        ULONG64 value;
        ULONG size = search->ElementSize;

        if (!parse(argv[at], &value))
            return KdpParseError(error, errorSize, "Bad pattern value", argv[at]);
        if (size < 8 && value >= (1ULL << (size * 8)))
            return KdpParseError(error, errorSize, "Pattern value too large for its type",
                                 argv[at]);
        if (search->PatternLength + size > KD_SEARCH_MAX_PATTERN)
            return KdpParseError(error, errorSize, "Pattern too long", argv[at]);
        for (ULONG i = 0; i < size; i++)      // little-endian, as memory holds it
            search->Pattern[search->PatternLength++] = (UCHAR)(value >> (i * 8));
    }
    return TRUE;
}

BOOLEAN KdpJoinWords(int argc, char **argv, char *text, size_t size)
{
    size_t used = 0;

    text[0] = '\0';
    for (int i = 1; i < argc && used < size; i++)
        used += RtlStringPrintf(text + used, size - used, "%s%s", i > 1 ? " " : "", argv[i]);
    return used < size;
}

// ---- An answer's words -------------------------------------------------------------------

BOOLEAN KdpParseAnswerAddress(const char *text, ULONG64 *value)
{
    ULONG digits = 0;

    *value = 0;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text += 2;
    for (; *text; text++) {
        char c = *text;

        if (c == '`' && digits)
            continue;
        if (digits == 16)
            return FALSE;
        if (c >= '0' && c <= '9')
            *value = *value << 4 | (ULONG64)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            *value = *value << 4 | (ULONG64)((c | 0x20) - 'a' + 10);
        else
            return FALSE;
        digits++;
    }
    return digits > 0;
}

static char KdpLowerAscii(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

BOOLEAN KdpIsAnswerModule(const char *text, const char *module)
{
    size_t i;

    for (i = 0; module[i]; i++) {
        if (KdpLowerAscii(text[i]) != KdpLowerAscii(module[i]))
            return FALSE;
    }
    text += i;
    return !text[0] || (text[0] == '.' && KdpLowerAscii(text[1]) == 's' &&
                        KdpLowerAscii(text[2]) == 'y' && KdpLowerAscii(text[3]) == 's' &&
                        !text[4]);
}
