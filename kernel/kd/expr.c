// The debugger's expression evaluator (MASM syntax, as KD's default): a
// small recursive-descent parser over + - * ( ) poi() numbers, symbols and
// registers, and #FIELD_OFFSET(Type, Field) over the generated types. Pure
// code; memory, registers and symbols come from the caller.

#include "kd/kd.h"
#include "kd/kdtype.h"

#define KD_MAX_TOKEN 128
#define KD_MAX_DEPTH 32

typedef struct _KD_PARSER {
    const KD_EXPRESSION_ENVIRONMENT *Environment;
    const char *At;
    char *Error;
    size_t ErrorSize;
    ULONG Depth;
} KD_PARSER;

static BOOLEAN KdpParseSum(KD_PARSER *parser, ULONG64 *value);

static BOOLEAN KdpFail(KD_PARSER *parser, const char *reason, const char *where)
{
    if (!parser->Error[0])
        RtlStringPrintf(parser->Error, parser->ErrorSize, "%s at '%s'", reason, where);
    return FALSE;
}

static void KdpSkipSpaces(KD_PARSER *parser)
{
    while (RtlIsSpace(*parser->At))
        parser->At++;
}

static BOOLEAN KdpIsWordChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '!' || c == '`' || c == '$' || c == '.';
}

static BOOLEAN KdpParseWord(KD_PARSER *parser, char *word)
{
    size_t length = 0;

    while (KdpIsWordChar(*parser->At)) {
        if (length + 1 >= KD_MAX_TOKEN)
            return KdpFail(parser, "Name too long", parser->At);
        word[length++] = *parser->At++;
    }
    word[length] = '\0';
    return length > 0;
}

// #FIELD_OFFSET(Type, Field[.Sub]): the field's offset in the type, as
// WinDbg's macro of that name.
static BOOLEAN KdpParseFieldOffset(KD_PARSER *parser, const char *start, ULONG64 *value)
{
    char word[KD_MAX_TOKEN], type[KD_MAX_TOKEN];
    ULONG offset;

    if (!KdpParseWord(parser, word) || strcmp(word, "FIELD_OFFSET") != 0)
        return KdpFail(parser, "Unknown macro", start);
    KdpSkipSpaces(parser);
    if (*parser->At++ != '(')
        return KdpFail(parser, "Syntax error", parser->At - 1);
    KdpSkipSpaces(parser);
    if (!KdpParseWord(parser, type))
        return KdpFail(parser, "Syntax error", parser->At);
    KdpSkipSpaces(parser);
    if (*parser->At++ != ',')
        return KdpFail(parser, "Syntax error", parser->At - 1);
    KdpSkipSpaces(parser);
    if (!KdpParseWord(parser, word))
        return KdpFail(parser, "Syntax error", parser->At);
    KdpSkipSpaces(parser);
    if (*parser->At++ != ')')
        return KdpFail(parser, "Syntax error", parser->At - 1);
    if (KdpTypeLookup(type) == KD_TYPE_NONE)
        return KdpFail(parser, "Couldn't resolve type", start);
    if (!KdpTypeFieldOffset(type, word, &offset))
        return KdpFail(parser, "No such field", start);
    *value = offset;
    return TRUE;
}

static BOOLEAN KdpParseFactor(KD_PARSER *parser, ULONG64 *value)
{
    const KD_EXPRESSION_ENVIRONMENT *env = parser->Environment;
    const char *start;
    char word[KD_MAX_TOKEN];

    if (++parser->Depth > KD_MAX_DEPTH)
        return KdpFail(parser, "Expression too deep", parser->At);
    KdpSkipSpaces(parser);
    start = parser->At;

    if (*parser->At == '(') {
        parser->At++;
        if (!KdpParseSum(parser, value))
            return FALSE;
        KdpSkipSpaces(parser);
        if (*parser->At != ')')
            return KdpFail(parser, "Missing ')'", parser->At);
        parser->At++;
    } else if (*parser->At == '-') {
        parser->At++;
        if (!KdpParseFactor(parser, value))
            return FALSE;
        *value = 0 - *value;
    } else if (*parser->At == '#') {
        parser->At++;
        if (!KdpParseFieldOffset(parser, start, value))
            return FALSE;
    } else if (*parser->At == '@') {
        parser->At++;
        if (!KdpParseWord(parser, word) || !env->ReadRegister ||
            !env->ReadRegister(word, value))
            return KdpFail(parser, "Bad register error", start);
    } else if (!KdpParseWord(parser, word)) {
        return KdpFail(parser, "Syntax error", start);
    } else if (RtlCompareStringInsensitive(word, "poi") == 0) {
        ULONG64 address;

        KdpSkipSpaces(parser);
        if (*parser->At != '(')
            return KdpFail(parser, "Syntax error", parser->At);
        if (!KdpParseFactor(parser, &address))
            return FALSE;
        if (!env->ReadMemory || !env->ReadMemory(address, value, sizeof(*value))) {
            char where[24];

            RtlStringPrintf(where, sizeof(where), "%llx", (unsigned long long)address);
            return KdpFail(parser, "Memory access error", where);
        }
    } else if (!RtlParseUlong64(word, value)) {
        const KSYM_ENTRY *symbol = NULL;
        BOOLEAN found;

        if (env->LookupSymbol) {
            found = env->LookupSymbol(word, value);
        } else {
            symbol = env->Symbols ? KdpLookupName(env->Symbols, word) : NULL;
            found = symbol != NULL;
            if (symbol)
                *value = symbol->Address;
        }
        if (!found)
            return KdpFail(parser, "Couldn't resolve error", start);
    }
    parser->Depth--;
    return TRUE;
}

static BOOLEAN KdpParseProduct(KD_PARSER *parser, ULONG64 *value)
{
    if (!KdpParseFactor(parser, value))
        return FALSE;
    for (;;) {
        ULONG64 right;

        KdpSkipSpaces(parser);
        if (*parser->At != '*')
            return TRUE;
        parser->At++;
        if (!KdpParseFactor(parser, &right))
            return FALSE;
        *value *= right;
    }
}

static BOOLEAN KdpParseSum(KD_PARSER *parser, ULONG64 *value)
{
    if (!KdpParseProduct(parser, value))
        return FALSE;
    for (;;) {
        ULONG64 right;
        char op;

        KdpSkipSpaces(parser);
        op = *parser->At;
        if (op != '+' && op != '-')
            return TRUE;
        parser->At++;
        if (!KdpParseProduct(parser, &right))
            return FALSE;
        *value = op == '+' ? *value + right : *value - right;
    }
}

BOOLEAN KdpEvaluate(const KD_EXPRESSION_ENVIRONMENT *environment, const char *text,
                    ULONG64 *value, char *error, size_t errorSize)
{
    KD_PARSER parser = { environment, text, error, errorSize, 0 };

    error[0] = '\0';
    if (!KdpParseSum(&parser, value))
        return FALSE;
    KdpSkipSpaces(&parser);
    if (*parser.At)
        return KdpFail(&parser, "Syntax error", parser.At);
    return TRUE;
}
