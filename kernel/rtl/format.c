// printf-style formatting for the kernel, the debugger and the host tests.

#include "rtl/rtl.h"

#define FORMAT_MAX_WIDTH 4096

typedef struct _FORMAT_SPEC {
    BOOLEAN LeftAlign;
    BOOLEAN ZeroPad;
    BOOLEAN Plus;
    BOOLEAN Space;
    BOOLEAN Alternate;
    int Width;          // -1: none
    int Precision;      // -1: none
} FORMAT_SPEC;

typedef struct _FORMAT_STATE {
    RTL_FORMAT_SINK Sink;
    void *Context;
    size_t Written;
} FORMAT_STATE;

static void RtlpEmit(FORMAT_STATE *state, const char *text, size_t length)
{
    if (length) {
        state->Sink(state->Context, text, length);
        state->Written += length;
    }
}

static void RtlpEmitRepeated(FORMAT_STATE *state, char c, int count)
{
    char chunk[16];

    memset(chunk, c, sizeof(chunk));
    while (count > 0) {
        int n = count > (int)sizeof(chunk) ? (int)sizeof(chunk) : count;

        RtlpEmit(state, chunk, (size_t)n);
        count -= n;
    }
}

// Emits body with the sign/prefix in front, padded to the spec's width.
static void RtlpEmitPadded(FORMAT_STATE *state, const FORMAT_SPEC *spec, const char *prefix,
                           const char *body, int bodyLength, int zeroes)
{
    int prefixLength = (int)strlen(prefix);
    int total = prefixLength + zeroes + bodyLength;
    int pad = spec->Width > total ? spec->Width - total : 0;

    if (!spec->LeftAlign && !spec->ZeroPad)
        RtlpEmitRepeated(state, ' ', pad);
    RtlpEmit(state, prefix, (size_t)prefixLength);
    if (!spec->LeftAlign && spec->ZeroPad)
        RtlpEmitRepeated(state, '0', pad);
    RtlpEmitRepeated(state, '0', zeroes);
    RtlpEmit(state, body, (size_t)bodyLength);
    if (spec->LeftAlign)
        RtlpEmitRepeated(state, ' ', pad);
}

static void RtlpFormatInteger(FORMAT_STATE *state, FORMAT_SPEC *spec, ULONG64 magnitude,
                              BOOLEAN negative, ULONG base, BOOLEAN upper, const char *altPrefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char body[24];
    int length = 0;
    char prefix[4] = "";
    int zeroes = 0;
    BOOLEAN zero = magnitude == 0;

    do {
        body[sizeof(body) - 1 - length++] = digits[magnitude % base];
        magnitude /= base;
    } while (magnitude);

    if (spec->Precision >= 0) {
        if (spec->Precision == 0 && length == 1 && body[sizeof(body) - 1] == '0')
            length = 0;
        if (spec->Precision > length)
            zeroes = spec->Precision - length;
        spec->ZeroPad = FALSE;
    }
    // C's '#': octal starts with a 0 digit; hex gets 0x, except for zero.
    if (spec->Alternate && base == 8 && zeroes == 0 &&
        (length == 0 || body[sizeof(body) - length] != '0'))
        zeroes = 1;
    if (negative)
        prefix[0] = '-';
    else if (spec->Plus)
        prefix[0] = '+';
    else if (spec->Space)
        prefix[0] = ' ';
    if (altPrefix && spec->Alternate && !zero) {
        size_t at = strlen(prefix);
        prefix[at] = altPrefix[0];
        prefix[at + 1] = altPrefix[1];
    }
    RtlpEmitPadded(state, spec, prefix, body + sizeof(body) - length, length, zeroes);
}

size_t RtlFormatV(RTL_FORMAT_SINK sink, void *context, const char *format, va_list args)
{
    FORMAT_STATE state = { sink, context, 0 };
    va_list ap;

    va_copy(ap, args);
    while (*format) {
        const char *run = format;
        FORMAT_SPEC spec = { FALSE, FALSE, FALSE, FALSE, FALSE, -1, -1 };
        int lengthModifier = 0;     // 0 int, 1 long, 2 long long, -1 short, -2 char
        char conversion;

        while (*format && *format != '%')
            format++;
        RtlpEmit(&state, run, (size_t)(format - run));
        if (!*format)
            break;
        format++;

        for (;; format++) {
            if (*format == '-')
                spec.LeftAlign = TRUE;
            else if (*format == '0')
                spec.ZeroPad = TRUE;
            else if (*format == '+')
                spec.Plus = TRUE;
            else if (*format == ' ')
                spec.Space = TRUE;
            else if (*format == '#')
                spec.Alternate = TRUE;
            else
                break;
        }
        // Widths and precisions beyond any real need are clamped, so no
        // format string can overflow the arithmetic.
        if (*format == '*') {
            int width = va_arg(ap, int);

            if (width < 0) {
                spec.LeftAlign = TRUE;
                width = width < -FORMAT_MAX_WIDTH ? FORMAT_MAX_WIDTH : -width;
            }
            spec.Width = width > FORMAT_MAX_WIDTH ? FORMAT_MAX_WIDTH : width;
            format++;
        } else {
            while (*format >= '0' && *format <= '9') {
                spec.Width = (spec.Width < 0 ? 0 : spec.Width * 10) + (*format - '0');
                if (spec.Width > FORMAT_MAX_WIDTH)
                    spec.Width = FORMAT_MAX_WIDTH;
                format++;
            }
        }
        if (*format == '.') {
            format++;
            spec.Precision = 0;
            if (*format == '*') {
                spec.Precision = va_arg(ap, int);
                if (spec.Precision > FORMAT_MAX_WIDTH)
                    spec.Precision = FORMAT_MAX_WIDTH;
                format++;
            } else {
                while (*format >= '0' && *format <= '9') {
                    spec.Precision = spec.Precision * 10 + (*format++ - '0');
                    if (spec.Precision > FORMAT_MAX_WIDTH)
                        spec.Precision = FORMAT_MAX_WIDTH;
                }
            }
        }
        for (;; format++) {
            if (*format == 'l')
                lengthModifier = lengthModifier == 1 ? 2 : 1;
            else if (*format == 'h')
                lengthModifier = lengthModifier == -1 ? -2 : -1;
            else if (*format == 'z' || *format == 't' || *format == 'j')
                lengthModifier = 2;
            else
                break;
        }

        conversion = *format;
        if (conversion)
            format++;
        switch (conversion) {
        case 'd':
        case 'i': {
            LONG64 value;

            if (lengthModifier >= 1)
                value = lengthModifier == 2 ? va_arg(ap, long long) : va_arg(ap, long);
            else
                value = va_arg(ap, int);
            if (lengthModifier == -1)
                value = (SHORT)value;
            else if (lengthModifier == -2)
                value = (CHAR)value;
            RtlpFormatInteger(&state, &spec, value < 0 ? 0 - (ULONG64)value : (ULONG64)value,
                              value < 0, 10, FALSE, NULL);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            ULONG64 value;

            if (lengthModifier >= 1)
                value = lengthModifier == 2 ? va_arg(ap, unsigned long long)
                                            : va_arg(ap, unsigned long);
            else
                value = va_arg(ap, unsigned int);
            if (lengthModifier == -1)
                value = (USHORT)value;
            else if (lengthModifier == -2)
                value = (UCHAR)value;
            if (conversion == 'u')
                RtlpFormatInteger(&state, &spec, value, FALSE, 10, FALSE, NULL);
            else if (conversion == 'o')
                RtlpFormatInteger(&state, &spec, value, FALSE, 8, FALSE, NULL);
            else
                RtlpFormatInteger(&state, &spec, value, FALSE, 16, conversion == 'X',
                                  conversion == 'X' ? "0X" : "0x");
            break;
        }
        case 'p': {
            // WinDbg style: sixteen hex digits, no prefix.
            FORMAT_SPEC pointerSpec = { FALSE, TRUE, FALSE, FALSE, FALSE, 16, -1 };

            RtlpFormatInteger(&state, &pointerSpec, (ULONG_PTR)va_arg(ap, void *), FALSE, 16,
                              FALSE, NULL);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);

            spec.ZeroPad = FALSE;
            RtlpEmitPadded(&state, &spec, "", &c, 1, 0);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            size_t length;

            if (!s)
                s = "(null)";
            length = spec.Precision >= 0 ? strnlen(s, (size_t)spec.Precision) : strlen(s);
            spec.ZeroPad = FALSE;
            RtlpEmitPadded(&state, &spec, "", s, (int)length, 0);
            break;
        }
        case '%':
            RtlpEmit(&state, "%", 1);
            break;
        case '\0':
            RtlpEmit(&state, "%", 1);
            break;
        default:
            // Unknown conversion: print it as written so the mistake is visible.
            RtlpEmit(&state, "%", 1);
            RtlpEmit(&state, &conversion, 1);
            break;
        }
    }
    va_end(ap);
    return state.Written;
}

typedef struct _BUFFER_SINK {
    char *Buffer;
    size_t Size;
    size_t Used;
} BUFFER_SINK;

static void RtlpBufferSink(void *context, const char *text, size_t length)
{
    BUFFER_SINK *sink = context;

    for (size_t i = 0; i < length; i++) {
        if (sink->Used + 1 < sink->Size)
            sink->Buffer[sink->Used++] = text[i];
    }
}

size_t RtlStringPrintfV(char *buffer, size_t size, const char *format, va_list args)
{
    BUFFER_SINK sink = { buffer, size, 0 };
    size_t length = RtlFormatV(RtlpBufferSink, &sink, format, args);

    if (size)
        buffer[sink.Used] = '\0';
    return length;
}

size_t RtlStringPrintf(char *buffer, size_t size, const char *format, ...)
{
    va_list args;
    size_t length;

    va_start(args, format);
    length = RtlStringPrintfV(buffer, size, format, args);
    va_end(args);
    return length;
}

void RtlFormatAddress(char buffer[18], ULONG64 address)
{
    RtlStringPrintf(buffer, 18, "%08x`%08x", (ULONG)(address >> 32), (ULONG)address);
}

void RtlFormatTickDuration(char *buffer, size_t size, ULONG64 ticks, ULONG tickMicroseconds)
{
    ULONG64 ms = ticks * tickMicroseconds / 1000;
    ULONG64 seconds = ms / 1000;

    RtlStringPrintf(buffer, size, "%llu:%02llu:%02llu:%02llu.%03llu",
                    (unsigned long long)(seconds / 86400),
                    (unsigned long long)(seconds / 3600 % 24),
                    (unsigned long long)(seconds / 60 % 60),
                    (unsigned long long)(seconds % 60),
                    (unsigned long long)(ms % 1000));
}
