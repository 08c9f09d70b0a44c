// The debugger-output helpers of the in-kernel tests (ktkd.h).

#include "tests/kernel/ktkd.h"

char KtKdOutput[KT_KD_OUTPUT_SIZE];
static char KtKdExpected[1024];

const char *KtKdRun(const char *command)
{
    static char line[256];

    RtlStringPrintf(line, sizeof(line), "%s", command);
    KdpSetOutputCapture(KtKdOutput, sizeof(KtKdOutput));
    KdpExecuteLine(line);
    KdpSetOutputCapture(NULL, 0);
    return KtKdOutput;
}

const char *KtKdRunf(const char *format, ...)
{
    char line[256];
    va_list args;

    va_start(args, format);
    RtlStringPrintfV(line, sizeof(line), format, args);
    va_end(args);
    return KtKdRun(line);
}

const char *KtKdFind(const char *text, const char *needle)
{
    size_t length = strlen(needle);

    for (; *text; text++) {
        if (!strncmp(text, needle, length))
            return text;
    }
    return NULL;
}

ULONG KtKdCount(const char *text, const char *needle)
{
    ULONG count = 0;

    while ((text = KtKdFind(text, needle)) != NULL) {
        count++;
        text++;
    }
    return count;
}

const char *KtKdExpectAt(const char *file, int line, const char *format, ...)
{
    va_list args;
    const char *at;

    va_start(args, format);
    RtlStringPrintfV(KtKdExpected, sizeof(KtKdExpected), format, args);
    va_end(args);
    at = KtKdFind(KtKdOutput, KtKdExpected);
    if (!at) {
        DbgPrint("KTEST debugger output lacks: \"%s\"\n", KtKdExpected);
        DbgPrint("KTEST debugger output was:\n%s\n", KtKdOutput);
        KtFail(file, line, "the expected debugger output");
    }
    return at;
}

const char *KT_KD_HEX(const void *pointer)
{
    static char buffers[4][20];
    static ULONG next;
    char *buffer = buffers[next++ % ARRAYSIZE(buffers)];

    RtlStringPrintf(buffer, sizeof(buffers[0]), "%016llx", KT_KD_ADDRESS(pointer));
    return buffer;
}
