// The debugger's C++ expression evaluator (`??`, WinDbg's @@c++()): a
// subset of C over the generated types (kdtype.h): numbers, registers,
// symbols (their address), sizeof(Type), #FIELD_OFFSET(Type, Field), casts
// to a type or a pointer to one, member access (. ->), indexing, * and &,
// + - * / with C's pointer scaling, comparisons (== != < <= > >=) with C's
// conversions, and ! && || with C's short circuit. Pure code; memory, registers and
// symbols come from the caller's environment, as for the MASM evaluator.

#include "kd/kdcpp.h"

#define KD_CPP_MAX_TOKEN 128
#define KD_CPP_MAX_DEPTH 32

typedef struct _KD_CPP_PARSER {
    const KD_EXPRESSION_ENVIRONMENT *Environment;
    const char *At;
    char *Error;
    size_t ErrorSize;
    ULONG Depth;
    ULONG Skipping;             // inside the unevaluated side of && or ||
} KD_CPP_PARSER;

static BOOLEAN KdpCppExpression(KD_CPP_PARSER *parser, KD_CPP_VALUE *value);
static BOOLEAN KdpCppUnary(KD_CPP_PARSER *parser, KD_CPP_VALUE *value);

static BOOLEAN KdpCppFail(KD_CPP_PARSER *parser, const char *reason, const char *where)
{
    if (!parser->Error[0])
        RtlStringPrintf(parser->Error, parser->ErrorSize, "%s at '%s'", reason, where);
    return FALSE;
}

static void KdpCppSkip(KD_CPP_PARSER *parser)
{
    while (RtlIsSpace(*parser->At))
        parser->At++;
}

static BOOLEAN KdpCppIsWordChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '!' || c == '`' || c == '$';
}

static BOOLEAN KdpCppWord(KD_CPP_PARSER *parser, char *word)
{
    size_t length = 0;

    KdpCppSkip(parser);
    while (KdpCppIsWordChar(*parser->At)) {
        if (length + 1 >= KD_CPP_MAX_TOKEN)
            return KdpCppFail(parser, "Name too long", parser->At);
        word[length++] = *parser->At++;
    }
    word[length] = '\0';
    return length > 0;
}

static BOOLEAN KdpCppExpect(KD_CPP_PARSER *parser, char c)
{
    char expected[16];

    KdpCppSkip(parser);
    if (*parser->At == c) {
        parser->At++;
        return TRUE;
    }
    RtlStringPrintf(expected, sizeof(expected), "Expected '%c'", c);
    return KdpCppFail(parser, expected, parser->At);
}

static void KdpCppNumber(KD_CPP_VALUE *value, ULONG64 number)
{
    memset(value, 0, sizeof(*value));
    value->Type = KD_TYPE_NONE;
    value->Value = number;
}

static void KdpCppBool(KD_CPP_VALUE *value, BOOLEAN truth)
{
    KdpCppNumber(value, truth ? 1 : 0);
    value->IsBool = TRUE;
}

// A number as C writes it (0x hex, else decimal), or, leniently, a word of
// hex digits with WinDbg's ` separator as the debugger prints addresses.
static BOOLEAN KdpCppParseNumber(const char *word, ULONG64 *number)
{
    ULONG64 result = 0;
    BOOLEAN hex = word[0] == '0' && (word[1] == 'x' || word[1] == 'X');
    const char *p = hex ? word + 2 : word;
    BOOLEAN decimal = TRUE;

    for (const char *q = p; *q; q++) {
        if (*q < '0' || *q > '9')
            decimal = FALSE;
    }
    if (!*p)
        return FALSE;
    if (!hex && decimal) {
        for (; *p; p++)
            result = result * 10 + (ULONG64)(*p - '0');
        *number = result;
        return TRUE;
    }
    for (; *p; p++) {
        char c = RtlDowncaseChar(*p);

        if (c == '`')
            continue;
        if (c >= '0' && c <= '9')
            result = result * 16 + (ULONG64)(c - '0');
        else if (c >= 'a' && c <= 'f')
            result = result * 16 + (ULONG64)(c - 'a' + 10);
        else
            return FALSE;
    }
    *number = result;
    return TRUE;
}

// A type name where one may stand: [struct|union|enum] [mod!]Name, then
// `*`s. Leaves the parser where it was when what follows is no type.
static BOOLEAN KdpCppTypeName(KD_CPP_PARSER *parser, ULONG *type, ULONG *pointers)
{
    const char *start = parser->At;
    char word[KD_CPP_MAX_TOKEN];

    if (!KdpCppWord(parser, word)) {
        parser->At = start;
        return FALSE;
    }
    if (strcmp(word, "struct") == 0 || strcmp(word, "union") == 0 ||
        strcmp(word, "enum") == 0) {
        if (!KdpCppWord(parser, word)) {
            parser->At = start;
            return FALSE;
        }
    }
    *type = KdpTypeLookup(word);
    if (*type == KD_TYPE_NONE) {
        parser->At = start;
        return FALSE;
    }
    *pointers = 0;
    for (;;) {
        KdpCppSkip(parser);
        if (*parser->At != '*')
            return TRUE;
        parser->At++;
        (*pointers)++;
    }
}

static ULONG64 KdpCppSizeOf(ULONG type, ULONG pointers)
{
    return pointers ? 8 : KdpTypeSize(type);
}

static BOOLEAN KdpCppIsAggregate(const KD_CPP_VALUE *value)
{
    UCHAR kind;

    if (value->Type == KD_TYPE_NONE || value->Pointers)
        return FALSE;
    kind = KdpTypeRecord(KdpTypeResolve(value->Type))->Kind;
    return kind == KdTypeStruct || kind == KdTypeUnion;
}

// The type a pointer (or an array) value points at; FALSE for a scalar.
static BOOLEAN KdpCppPointee(const KD_CPP_VALUE *value, ULONG *type, ULONG *pointers)
{
    const KD_TYPE_RECORD *record;

    if (value->Type == KD_TYPE_NONE)
        return FALSE;
    if (value->Pointers) {
        *type = value->Type;
        *pointers = value->Pointers - 1;
        return TRUE;
    }
    record = KdpTypeRecord(KdpTypeResolve(value->Type));
    if (record->Kind != KdTypePointer && record->Kind != KdTypeArray)
        return FALSE;
    *type = record->Target;
    *pointers = 0;
    return TRUE;
}

// The value of an lvalue: a scalar read from memory (an array, its address).
BOOLEAN KdpCppLoad(const KD_EXPRESSION_ENVIRONMENT *environment, KD_CPP_VALUE *value)
{
    const KD_TYPE_RECORD *record;
    ULONG64 raw = 0;
    ULONG size;

    if (!value->IsLValue)
        return TRUE;
    if (KdpCppIsAggregate(value))
        return TRUE;
    record = KdpTypeRecord(KdpTypeResolve(value->Type));
    if (!value->Pointers && record->Kind == KdTypeArray) {
        value->Value = value->Address;
        value->IsLValue = FALSE;
        return TRUE;
    }
    size = value->Pointers ? 8 : (ULONG)KdpCppSizeOf(value->Type, 0);
    if (size > 8)
        size = 8;
    if (!environment->ReadMemory || !environment->ReadMemory(value->Address, &raw, size))
        return FALSE;
    if (value->BitSize) {
        raw >>= value->BitPosition;
        raw &= value->BitSize >= 64 ? ~0ull : (1ull << value->BitSize) - 1;
    } else if (!value->Pointers && (record->Kind == KdTypeBase || record->Kind == KdTypeEnum) &&
               record->Encoding == KdBaseSigned && size < 8 &&
               (raw & (1ull << (size * 8 - 1)))) {
        raw |= ~0ull << (size * 8);
    }
    value->Value = raw;
    value->IsLValue = FALSE;
    return TRUE;
}

static BOOLEAN KdpCppRvalue(KD_CPP_PARSER *parser, KD_CPP_VALUE *value, const char *where)
{
    char at[24];

    if (KdpCppIsAggregate(value))
        return KdpCppFail(parser, "A structure is no number", where);
    // C does not evaluate the side && or || skips: nothing is read there.
    if (parser->Skipping && value->IsLValue) {
        KdpCppNumber(value, 0);
        return TRUE;
    }
    if (KdpCppLoad(parser->Environment, value))
        return TRUE;
    RtlStringPrintf(at, sizeof(at), "%llx", (unsigned long long)value->Address);
    return KdpCppFail(parser, "Memory access error", at);
}

// sizeof(Type) or sizeof(expression); #FIELD_OFFSET(Type, Field.Sub).
static BOOLEAN KdpCppBuiltin(KD_CPP_PARSER *parser, const char *word, const char *start,
                             KD_CPP_VALUE *value)
{
    ULONG type, pointers;

    if (!KdpCppExpect(parser, '('))
        return FALSE;
    if (strcmp(word, "sizeof") == 0) {
        if (KdpCppTypeName(parser, &type, &pointers)) {
            KdpCppNumber(value, KdpCppSizeOf(type, pointers));
        } else {
            KD_CPP_VALUE inner;

            if (!KdpCppExpression(parser, &inner))
                return FALSE;
            if (inner.Type == KD_TYPE_NONE)
                KdpCppNumber(value, 8);
            else
                KdpCppNumber(value, KdpCppSizeOf(inner.Type, inner.Pointers));
        }
    } else {
        char field[KD_CPP_MAX_TOKEN];
        size_t length = 0;
        const KD_TYPE_MEMBER *member;
        ULONG offset;

        if (!KdpCppTypeName(parser, &type, &pointers) || pointers)
            return KdpCppFail(parser, "Couldn't resolve type", parser->At);
        if (!KdpCppExpect(parser, ','))
            return FALSE;
        KdpCppSkip(parser);
        while (KdpCppIsWordChar(*parser->At) || *parser->At == '.') {
            if (length + 1 >= sizeof(field))
                return KdpCppFail(parser, "Name too long", parser->At);
            field[length++] = *parser->At++;
        }
        field[length] = '\0';
        if (!KdpTypeFindField(type, field, &member, &offset))
            return KdpCppFail(parser, "No such field", start);
        KdpCppNumber(value, offset);
    }
    return KdpCppExpect(parser, ')');
}

static BOOLEAN KdpCppPrimary(KD_CPP_PARSER *parser, KD_CPP_VALUE *value)
{
    const KD_EXPRESSION_ENVIRONMENT *env = parser->Environment;
    char word[KD_CPP_MAX_TOKEN];
    const char *start;
    ULONG64 number;

    KdpCppSkip(parser);
    start = parser->At;
    if (*parser->At == '(') {
        parser->At++;
        if (!KdpCppExpression(parser, value))
            return FALSE;
        return KdpCppExpect(parser, ')');
    }
    if (*parser->At == '@') {
        parser->At++;
        if (!KdpCppWord(parser, word) || !env->ReadRegister ||
            !env->ReadRegister(word, &number))
            return KdpCppFail(parser, "Bad register error", start);
        KdpCppNumber(value, number);
        return TRUE;
    }
    if (*parser->At == '#') {
        parser->At++;
        if (!KdpCppWord(parser, word) || strcmp(word, "FIELD_OFFSET") != 0)
            return KdpCppFail(parser, "Unknown macro", start);
        return KdpCppBuiltin(parser, word, start, value);
    }
    if (!KdpCppWord(parser, word))
        return KdpCppFail(parser, "Syntax error", start);
    if (strcmp(word, "sizeof") == 0)
        return KdpCppBuiltin(parser, word, start, value);
    // A symbol is its address (Sleuth's symbols carry no variable types).
    if (env->LookupSymbol && !(word[0] >= '0' && word[0] <= '9') &&
        env->LookupSymbol(word, &number)) {
        KdpCppNumber(value, number);
        return TRUE;
    }
    if (KdpCppParseNumber(word, &number)) {
        KdpCppNumber(value, number);
        return TRUE;
    }
    return KdpCppFail(parser, "Couldn't resolve error", start);
}

static BOOLEAN KdpCppMember(KD_CPP_PARSER *parser, KD_CPP_VALUE *value, BOOLEAN arrow)
{
    char name[KD_CPP_MAX_TOKEN];
    const char *start = parser->At;
    const KD_TYPE_MEMBER *member;
    ULONG offset;

    if (arrow) {
        ULONG type, pointers;

        if (!KdpCppPointee(value, &type, &pointers))
            return KdpCppFail(parser, "'->' needs a pointer", start);
        if (!KdpCppRvalue(parser, value, start))
            return FALSE;
        value->Address = value->Value;
        value->Type = type;
        value->Pointers = pointers;
        value->IsLValue = TRUE;
    }
    if (!KdpCppIsAggregate(value) || !value->IsLValue)
        return KdpCppFail(parser, "Not a structure", start);
    if (!KdpCppWord(parser, name))
        return KdpCppFail(parser, "Syntax error", parser->At);
    if (!KdpTypeFindField(value->Type, name, &member, &offset))
        return KdpCppFail(parser, "No such field", start);
    value->Address += offset;
    value->Type = member->Type;
    value->Pointers = 0;
    value->BitPosition = member->BitPosition;
    value->BitSize = member->BitSize;
    return TRUE;
}

static BOOLEAN KdpCppPostfix(KD_CPP_PARSER *parser, KD_CPP_VALUE *value)
{
    if (!KdpCppPrimary(parser, value))
        return FALSE;
    for (;;) {
        const char *start;

        KdpCppSkip(parser);
        start = parser->At;
        if (start[0] == '-' && start[1] == '>') {
            parser->At += 2;
            if (!KdpCppMember(parser, value, TRUE))
                return FALSE;
        } else if (start[0] == '.') {
            parser->At++;
            if (!KdpCppMember(parser, value, FALSE))
                return FALSE;
        } else if (start[0] == '[') {
            KD_CPP_VALUE index;
            ULONG type, pointers;
            ULONG64 base;

            parser->At++;
            if (!KdpCppPointee(value, &type, &pointers))
                return KdpCppFail(parser, "'[]' needs a pointer or an array", start);
            if (!KdpCppRvalue(parser, value, start) || !KdpCppExpression(parser, &index) ||
                !KdpCppRvalue(parser, &index, start) || !KdpCppExpect(parser, ']'))
                return FALSE;
            base = value->Value;
            memset(value, 0, sizeof(*value));
            value->Address = base + index.Value * KdpCppSizeOf(type, pointers);
            value->Type = type;
            value->Pointers = pointers;
            value->IsLValue = TRUE;
        } else {
            return TRUE;
        }
    }
}

static BOOLEAN KdpCppUnary(KD_CPP_PARSER *parser, KD_CPP_VALUE *value)
{
    const char *start;

    if (++parser->Depth > KD_CPP_MAX_DEPTH)
        return KdpCppFail(parser, "Expression too deep", parser->At);
    KdpCppSkip(parser);
    start = parser->At;
    if (*start == '-' || *start == '*' || *start == '&' || *start == '!') {
        parser->At++;
        if (!KdpCppUnary(parser, value))
            return FALSE;
        if (*start == '!') {
            if (!KdpCppRvalue(parser, value, start))
                return FALSE;
            KdpCppBool(value, value->Value == 0);
        } else if (*start == '-') {
            if (!KdpCppRvalue(parser, value, start))
                return FALSE;
            KdpCppNumber(value, 0 - value->Value);
        } else if (*start == '&') {
            if (!value->IsLValue || value->BitSize)
                return KdpCppFail(parser, "'&' needs an object", start);
            value->Value = value->Address;
            value->Pointers++;
            value->IsLValue = FALSE;
        } else {
            ULONG type, pointers;

            if (!KdpCppPointee(value, &type, &pointers))
                return KdpCppFail(parser, "'*' needs a pointer", start);
            if (!KdpCppRvalue(parser, value, start))
                return FALSE;
            value->Address = value->Value;
            value->Type = type;
            value->Pointers = pointers;
            value->IsLValue = TRUE;
            value->BitSize = 0;
        }
    } else if (*start == '(') {
        ULONG type, pointers;

        // A cast if a type follows the parenthesis, else a parenthesized
        // expression (KdpCppPostfix reads it).
        parser->At++;
        if (KdpCppTypeName(parser, &type, &pointers)) {
            KdpCppSkip(parser);
            if (*parser->At != ')')
                return KdpCppFail(parser, "Expected ')'", parser->At);
            parser->At++;
            if (!KdpCppUnary(parser, value) || !KdpCppRvalue(parser, value, start))
                return FALSE;
            if (!pointers && KdpTypeRecord(KdpTypeResolve(type))->Kind != KdTypeBase &&
                KdpTypeRecord(KdpTypeResolve(type))->Kind != KdTypePointer &&
                KdpTypeRecord(KdpTypeResolve(type))->Kind != KdTypeEnum)
                return KdpCppFail(parser, "Cannot cast a number to a structure", start);
            value->Type = type;
            value->Pointers = pointers;
            value->BitSize = 0;
            value->IsBool = FALSE;
        } else {
            parser->At = start;
            if (!KdpCppPostfix(parser, value))
                return FALSE;
        }
    } else if (!KdpCppPostfix(parser, value)) {
        return FALSE;
    }
    parser->Depth--;
    return TRUE;
}

static BOOLEAN KdpCppProduct(KD_CPP_PARSER *parser, KD_CPP_VALUE *value)
{
    if (!KdpCppUnary(parser, value))
        return FALSE;
    for (;;) {
        KD_CPP_VALUE right;
        const char *start;
        char op;

        KdpCppSkip(parser);
        start = parser->At;
        op = *start;
        if (op != '*' && op != '/' && op != '%')
            return TRUE;
        parser->At++;
        if (!KdpCppRvalue(parser, value, start) || !KdpCppUnary(parser, &right) ||
            !KdpCppRvalue(parser, &right, start))
            return FALSE;
        if (op != '*' && right.Value == 0 && !parser->Skipping)
            return KdpCppFail(parser, "Divide by zero", start);
        if (op != '*' && right.Value == 0)
            KdpCppNumber(value, 0);
        else
            KdpCppNumber(value, op == '*' ? value->Value * right.Value
                                : op == '/' ? value->Value / right.Value
                                            : value->Value % right.Value);
    }
}

static BOOLEAN KdpCppSum(KD_CPP_PARSER *parser, KD_CPP_VALUE *value)
{
    if (!KdpCppProduct(parser, value))
        return FALSE;
    for (;;) {
        KD_CPP_VALUE right;
        ULONG type, pointers;
        ULONG64 scale = 1;
        const char *start;
        char op;

        KdpCppSkip(parser);
        start = parser->At;
        op = *start;
        if ((op != '+' && op != '-') || start[1] == '>')
            return TRUE;
        parser->At++;
        if (!KdpCppRvalue(parser, value, start) || !KdpCppProduct(parser, &right) ||
            !KdpCppRvalue(parser, &right, start))
            return FALSE;
        // C's pointer arithmetic: a pointer moves by its element's size.
        if (KdpCppPointee(value, &type, &pointers) &&
            KdpTypeRecord(KdpTypeResolve(value->Type))->Kind != KdTypeArray) {
            scale = KdpCppSizeOf(type, pointers);
            value->Value = op == '+' ? value->Value + right.Value * scale
                                     : value->Value - right.Value * scale;
        } else {
            KdpCppNumber(value, op == '+' ? value->Value + right.Value
                                          : value->Value - right.Value);
        }
    }
}

// C's usual arithmetic conversions decide how two scalars compare: a type
// narrower than int becomes int, then the wider type wins, and at equal width
// an unsigned one. A plain number is unsigned int64, a pointer unsigned.
static BOOLEAN KdpCppIsSigned(const KD_CPP_VALUE *value, ULONG *width)
{
    const KD_TYPE_RECORD *record;

    *width = 8;
    if (value->IsBool) {
        *width = 4;
        return TRUE;
    }
    if (value->Type == KD_TYPE_NONE || value->Pointers)
        return FALSE;
    record = KdpTypeRecord(KdpTypeResolve(value->Type));
    if (record->Kind != KdTypeBase && record->Kind != KdTypeEnum)
        return FALSE;
    if (record->Size < 4 || value->BitSize) {
        *width = 4;
        return TRUE;
    }
    *width = record->Size > 8 ? 8 : record->Size;
    return record->Encoding == KdBaseSigned;
}

static BOOLEAN KdpCppCompare(const KD_CPP_VALUE *left, const KD_CPP_VALUE *right,
                             const char *op)
{
    ULONG leftWidth, rightWidth, width;
    BOOLEAN leftSigned = KdpCppIsSigned(left, &leftWidth);
    BOOLEAN rightSigned = KdpCppIsSigned(right, &rightWidth);
    BOOLEAN isSigned;
    ULONG64 mask;
    LONG64 a, b;

    width = leftWidth > rightWidth ? leftWidth : rightWidth;
    if (leftWidth == rightWidth)
        isSigned = leftSigned && rightSigned;
    else
        isSigned = leftWidth > rightWidth ? leftSigned : rightSigned;
    mask = width == 8 ? ~0ull : (1ull << (width * 8)) - 1;
    if (op[0] == '=' || op[0] == '!')
        return ((left->Value & mask) == (right->Value & mask)) == (op[0] == '=');
    if (isSigned) {
        a = (LONG64)(left->Value << (64 - width * 8)) >> (64 - width * 8);
        b = (LONG64)(right->Value << (64 - width * 8)) >> (64 - width * 8);
    } else {
        a = (LONG64)(left->Value & mask);
        b = (LONG64)(right->Value & mask);
        if (width == 8) {
            // Unsigned 64-bit: compare with the sign bit flipped.
            a = (LONG64)(left->Value ^ (1ull << 63));
            b = (LONG64)(right->Value ^ (1ull << 63));
        }
    }
    if (op[0] == '<')
        return op[1] == '=' ? a <= b : a < b;
    return op[1] == '=' ? a >= b : a > b;
}

// The comparison operators; `equality` chooses == != or < <= > >=.
static BOOLEAN KdpCppComparison(KD_CPP_PARSER *parser, KD_CPP_VALUE *value, BOOLEAN equality)
{
    if (equality ? !KdpCppComparison(parser, value, FALSE) : !KdpCppSum(parser, value))
        return FALSE;
    for (;;) {
        KD_CPP_VALUE right;
        const char *start;
        char op[3] = { 0 };

        KdpCppSkip(parser);
        start = parser->At;
        if (equality && (start[0] == '=' || start[0] == '!') && start[1] == '=')
            op[0] = start[0], op[1] = '=';
        else if (!equality && (start[0] == '<' || start[0] == '>'))
            op[0] = start[0], op[1] = start[1] == '=' ? '=' : '\0';
        else
            return TRUE;
        parser->At += op[1] ? 2 : 1;
        if (!KdpCppRvalue(parser, value, start))
            return FALSE;
        if (equality ? !KdpCppComparison(parser, &right, FALSE) : !KdpCppSum(parser, &right))
            return FALSE;
        if (!KdpCppRvalue(parser, &right, start))
            return FALSE;
        KdpCppBool(value, KdpCppCompare(value, &right, op));
    }
}

// && and ||, `and` choosing which; the right side is parsed but not
// evaluated once the left one decides, as C does.
static BOOLEAN KdpCppLogical(KD_CPP_PARSER *parser, KD_CPP_VALUE *value, BOOLEAN and)
{
    char op = and ? '&' : '|';

    if (and ? !KdpCppComparison(parser, value, TRUE) : !KdpCppLogical(parser, value, TRUE))
        return FALSE;
    for (;;) {
        KD_CPP_VALUE right;
        const char *start;
        BOOLEAN decided, truth;

        KdpCppSkip(parser);
        start = parser->At;
        if (start[0] != op || start[1] != op)
            return TRUE;
        parser->At += 2;
        if (!KdpCppRvalue(parser, value, start))
            return FALSE;
        truth = value->Value != 0;
        decided = and ? !truth : truth;
        parser->Skipping += decided;
        if (and ? !KdpCppComparison(parser, &right, TRUE) : !KdpCppLogical(parser, &right, TRUE))
            return FALSE;
        if (!KdpCppRvalue(parser, &right, start))
            return FALSE;
        parser->Skipping -= decided;
        KdpCppBool(value, decided ? truth : right.Value != 0);
    }
}

static BOOLEAN KdpCppExpression(KD_CPP_PARSER *parser, KD_CPP_VALUE *value)
{
    return KdpCppLogical(parser, value, FALSE);
}

BOOLEAN KdpEvaluateCpp(const KD_EXPRESSION_ENVIRONMENT *environment, const char *text,
                       KD_CPP_VALUE *value, char *error, size_t errorSize)
{
    KD_CPP_PARSER parser = { environment, text, error, errorSize, 0, 0 };

    error[0] = '\0';
    if (!KdpCppExpression(&parser, value))
        return FALSE;
    KdpCppSkip(&parser);
    if (*parser.At)
        return KdpCppFail(&parser, "Syntax error", parser.At);
    return TRUE;
}
