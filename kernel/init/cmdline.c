// Parses the kernel command line. Pure string handling, tested on the host.

#include "init/cmdline.h"

KBOOT_OPTIONS KeBootOptions;

static BOOLEAN KipWordEquals(const char *word, size_t length, const char *name)
{
    return strlen(name) == length && strncmp(word, name, length) == 0;
}

static BOOLEAN KipParseTests(KBOOT_OPTIONS *options, const char *value, size_t length)
{
    if (!length)
        return FALSE;       // "test=" names nothing
    options->RunTests = TRUE;
    if (KipWordEquals(value, length, "all")) {
        options->AllTests = TRUE;
        return TRUE;
    }
    while (length) {
        size_t nameLength = 0;

        while (nameLength < length && value[nameLength] != ',')
            nameLength++;
        if (nameLength == 0 || nameLength >= KCMDLINE_NAME_LENGTH ||
            options->TestCount == KCMDLINE_MAX_TESTS)
            return FALSE;
        memcpy(options->Tests[options->TestCount], value, nameLength);
        options->Tests[options->TestCount][nameLength] = '\0';
        options->TestCount++;
        value += nameLength;
        length -= nameLength;
        if (length) {       // skip the comma; a trailing one is an error
            value++;
            length--;
            if (!length)
                return FALSE;
        }
    }
    return TRUE;
}

// fuzz=SEED,SECS, both decimal, SECS at least 1.
static BOOLEAN KipParseFuzz(KBOOT_OPTIONS *options, const char *value, size_t length)
{
    ULONG64 numbers[2] = {0, 0};
    ULONG which = 0;
    BOOLEAN digits = FALSE;

    for (size_t i = 0; i < length; i++) {
        if (value[i] == ',' && which == 0 && digits) {
            which = 1;
            digits = FALSE;
        } else if (value[i] >= '0' && value[i] <= '9' && numbers[which] < 0x0CCCCCCCCCCCCCCCULL) {
            numbers[which] = numbers[which] * 10 + (ULONG64)(value[i] - '0');
            digits = TRUE;
        } else {
            return FALSE;
        }
    }
    if (which != 1 || !digits || numbers[1] == 0 || numbers[1] > 0xFFFFFFFF)
        return FALSE;
    options->RunFuzz = TRUE;
    options->FuzzSeed = numbers[0];
    options->FuzzSeconds = (ULONG)numbers[1];
    return TRUE;
}

BOOLEAN KiParseCommandLine(const char *commandLine, KBOOT_OPTIONS *options)
{
    const char *at = commandLine;
    BOOLEAN ok = TRUE;

    memset(options, 0, sizeof(*options));
    options->SerialConsole = TRUE;
    options->ScreenConsole = TRUE;
    options->Exercise = KBOOT_NO_EXERCISE;

    while (*at) {
        const char *word, *equals;
        size_t length, nameLength;

        while (RtlIsSpace(*at))
            at++;
        if (!*at)
            break;
        word = at;
        while (*at && !RtlIsSpace(*at))
            at++;
        length = (size_t)(at - word);
        equals = NULL;
        for (size_t i = 0; i < length && !equals; i++) {
            if (word[i] == '=')
                equals = word + i;
        }
        nameLength = equals ? (size_t)(equals - word) : length;

        if (KipWordEquals(word, nameLength, "console") && equals) {
            const char *value = equals + 1;
            size_t valueLength = length - nameLength - 1;

            // Each console= says which consoles, so the last one wins.
            if (KipWordEquals(value, valueLength, "serial")) {
                options->SerialConsole = TRUE;
                options->ScreenConsole = FALSE;
            } else if (KipWordEquals(value, valueLength, "screen")) {
                options->SerialConsole = FALSE;
                options->ScreenConsole = TRUE;
            } else if (KipWordEquals(value, valueLength, "both")) {
                options->SerialConsole = TRUE;
                options->ScreenConsole = TRUE;
            } else {
                ok = FALSE;
            }
        } else if (KipWordEquals(word, nameLength, "test") && equals) {
            if (!KipParseTests(options, equals + 1, length - nameLength - 1))
                ok = FALSE;
        } else if (KipWordEquals(word, nameLength, "demo") && equals) {
            if (KipWordEquals(equals + 1, length - nameLength - 1, "waits"))
                options->Demo = KBootDemoWaits;
            else if (KipWordEquals(equals + 1, length - nameLength - 1, "hang"))
                options->Demo = KBootDemoHang;
            else if (KipWordEquals(equals + 1, length - nameLength - 1, "exqueue"))
                options->Demo = KBootDemoExQueue;
            else if (KipWordEquals(equals + 1, length - nameLength - 1, "io"))
                options->Demo = KBootDemoIo;
            else if (KipWordEquals(equals + 1, length - nameLength - 1, "alpc"))
                options->Demo = KBootDemoAlpc;
            else
                ok = FALSE;
        } else if (KipWordEquals(word, nameLength, "run") && equals) {
            // Program names separated by commas, each of letters, digits, '_'
            // and '-', short enough that NAME.exe fits the archive's and the
            // process's name fields.
            const char *value = equals + 1;
            size_t valueLength = length - nameLength - 1;
            size_t nameRun = 0;
            BOOLEAN valid = valueLength > 0 && valueLength < KCMDLINE_NAME_LENGTH;

            for (size_t i = 0; i < valueLength && valid; i++) {
                char c = value[i];

                if (c == ',') {
                    valid = nameRun > 0;
                    nameRun = 0;
                    continue;
                }
                valid = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-') &&
                        ++nameRun <= KCMDLINE_RUN_NAME_MAX;
            }
            valid = valid && nameRun > 0;
            if (valid) {
                memcpy(options->Run, value, valueLength);
                options->Run[valueLength] = '\0';
            } else {
                options->Run[0] = '\0';
                ok = FALSE;
            }
        } else if (KipWordEquals(word, nameLength, "fuzz") && equals) {
            if (!KipParseFuzz(options, equals + 1, length - nameLength - 1))
                ok = FALSE;
        } else if (KipWordEquals(word, nameLength, "fuzzavoid") && equals) {
            size_t valueLength = length - nameLength - 1;

            if (valueLength < sizeof(options->FuzzAvoid)) {
                memcpy(options->FuzzAvoid, equals + 1, valueLength);
                options->FuzzAvoid[valueLength] = '\0';
            } else {
                ok = FALSE;
            }
        } else if (KipWordEquals(word, nameLength, "exercise") && equals) {
            // Three decimal digits, the case study's number: exercise=000.
            const char *value = equals + 1;
            size_t valueLength = length - nameLength - 1;

            if (valueLength == 3 && value[0] >= '0' && value[0] <= '9' && value[1] >= '0' &&
                value[1] <= '9' && value[2] >= '0' && value[2] <= '9')
                options->Exercise = (ULONG)((value[0] - '0') * 100 + (value[1] - '0') * 10 +
                                            (value[2] - '0'));
            else
                ok = FALSE;
        } else if (KipWordEquals(word, nameLength, "student") && equals) {
            const char *value = equals + 1;
            size_t valueLength = length - nameLength - 1;
            BOOLEAN valid = valueLength > 0 && valueLength <= KCMDLINE_STUDENT_MAX;

            for (size_t i = 0; i < valueLength && valid; i++) {
                char c = value[i];

                valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
            }
            if (valid) {
                memcpy(options->Student, value, valueLength);
                options->Student[valueLength] = '\0';
            } else {
                options->Student[0] = '\0';
                ok = FALSE;
            }
        } else if (KipWordEquals(word, nameLength, "age") && equals) {
            // Decimal seconds: how long an exercise's hang has lasted at the
            // break-in (age=0 on a lab PC, where guest time is real time).
            const char *value = equals + 1;
            size_t valueLength = length - nameLength - 1;
            ULONG64 seconds = 0;
            BOOLEAN valid = valueLength > 0 && valueLength <= 10;

            for (size_t i = 0; i < valueLength && valid; i++) {
                valid = value[i] >= '0' && value[i] <= '9';
                seconds = seconds * 10 + (ULONG64)(value[i] - '0');
            }
            if (valid && seconds <= 1000000000ULL) {
                options->AgeGiven = TRUE;
                options->AgeSeconds = seconds;
            } else {
                options->AgeGiven = FALSE;
                options->AgeSeconds = 0;
                ok = FALSE;
            }
        } else if (KipWordEquals(word, length, "clock=periodic")) {
            options->PeriodicClock = TRUE;
        } else if (KipWordEquals(word, length, "clock=tickless")) {
            options->PeriodicClock = FALSE;
        } else if (KipWordEquals(word, length, "nobreak")) {
            options->NoInitialBreak = TRUE;
        } else if (KipWordEquals(word, length, "bench")) {
            options->RunBenchmarks = TRUE;
        } else if (KipWordEquals(word, length, "stress")) {
            options->RunStress = TRUE;
        } else if (!options->Unknown[0]) {
            size_t copy = length < sizeof(options->Unknown) - 1 ? length
                                                               : sizeof(options->Unknown) - 1;
            memcpy(options->Unknown, word, copy);
            options->Unknown[copy] = '\0';
        }
    }
    return ok;
}
