// printf and friends for user programs: the kernel's formatter (kernel/rtl/
// format.c, linked into the runtime) writes into a buffer that goes to the
// console through NtDisplayString, a line or a buffer-full at a time.

#include "user/include/runtime.h"

typedef void (*RTL_FORMAT_SINK)(void *context, const char *text, size_t length);
size_t RtlFormatV(RTL_FORMAT_SINK sink, void *context, const char *format, va_list args);
size_t RtlStringPrintfV(char *buffer, size_t size, const char *format, va_list args);

#define PRINT_BUFFER_CHARACTERS 128

typedef struct _PRINT_BUFFER {
    WCHAR Text[PRINT_BUFFER_CHARACTERS];
    USHORT Count;
} PRINT_BUFFER;

static void RtlpFlushPrintBuffer(PRINT_BUFFER *buffer)
{
    UNICODE_STRING string;

    if (!buffer->Count)
        return;
    string.Buffer = buffer->Text;
    string.Length = string.MaximumLength = (USHORT)(buffer->Count * sizeof(WCHAR));
    NtDisplayString(&string);
    buffer->Count = 0;
}

static void RtlpPrintSink(void *context, const char *text, size_t length)
{
    PRINT_BUFFER *buffer = context;

    for (size_t i = 0; i < length; i++) {
        buffer->Text[buffer->Count++] = (UCHAR)text[i];
        if (buffer->Count == PRINT_BUFFER_CHARACTERS || text[i] == '\n')
            RtlpFlushPrintBuffer(buffer);
    }
}

int vprintf(const char *format, va_list args)
{
    PRINT_BUFFER buffer;
    size_t written;

    buffer.Count = 0;
    written = RtlFormatV(RtlpPrintSink, &buffer, format, args);
    RtlpFlushPrintBuffer(&buffer);
    return (int)written;
}

int printf(const char *format, ...)
{
    va_list args;
    int written;

    va_start(args, format);
    written = vprintf(format, args);
    va_end(args);
    return written;
}

int puts(const char *text)
{
    return printf("%s\n", text);
}

int vsnprintf(char *buffer, size_t size, const char *format, va_list args)
{
    return (int)RtlStringPrintfV(buffer, size, format, args);
}

int snprintf(char *buffer, size_t size, const char *format, ...)
{
    va_list args;
    int written;

    va_start(args, format);
    written = vsnprintf(buffer, size, format, args);
    va_end(args);
    return written;
}
