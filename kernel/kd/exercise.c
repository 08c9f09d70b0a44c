// The exercise framework (kd/exercise.h): finds exercise=NNN in the table,
// derives the student's variant from student=ID, starts the exercise, ages
// it (AgeSeconds, or age=SECONDS) and says when it is ready. `.answer` is
// in kd/cmdanswer.c, the completion codes in kd/excode.c.

#include "kd/kd.h"
#include "kd/exercise.h"

#include "init/cmdline.h"
#include "ke/ke.h"

// Every exercise this kernel has, by case study.
static const KD_EXERCISE *const KdExercises[] = {
    &KdExercise000,
    &KdExercise001,
    &KdExercise002,
    &KdExercise003,
};

static const KD_EXERCISE *KdpExercise;
static BOOLEAN KdpExerciseStarted;      // Start succeeded: .answer may check

const KD_EXERCISE *KdCurrentExercise(void)
{
    return KdpExercise;
}

// FNV-1a over a string, continuing from `hash`.
static ULONG64 KdpHashString(ULONG64 hash, const char *text)
{
    for (; *text; text++) {
        hash ^= (UCHAR)*text;
        hash *= 0x100000001B3ULL;
    }
    return hash;
}

ULONG64 KdExerciseVariant(void)
{
    return KdpHashString(0xCBF29CE484222325ULL, KeBootOptions.Student);
}

ULONG KdExerciseChoose(const char *what, ULONG count)
{
    ULONG64 hash = KdpHashString(KdExerciseVariant() ^ 0x9E3779B97F4A7C15ULL, what);

    hash ^= hash >> 33;
    hash *= 0xFF51AFD7ED558CCDULL;
    hash ^= hash >> 33;
    return count ? (ULONG)(hash % count) : 0;
}

void KdStartExercise(void)
{
    NTSTATUS status;

    for (ULONG i = 0; i < sizeof(KdExercises) / sizeof(KdExercises[0]); i++) {
        if (KdExercises[i] && KdExercises[i]->Number == KeBootOptions.Exercise)
            KdpExercise = KdExercises[i];
    }
    if (!KdpExercise) {
        DbgPrint("Exercise: there is no exercise %03u in this kernel\n", KeBootOptions.Exercise);
        return;
    }
    // The banner says which exercise and what the symptom is, never the cause.
    DbgPrint("Exercise %03u: %s\nStudent id: %s\n%s\n", KdpExercise->Number,
             KdpExercise->Title, KeBootOptions.Student[0] ? KeBootOptions.Student : "(none)",
             KdpExercise->Symptom);
    status = KdpExercise->Start(KdExerciseVariant());
    if (!NT_SUCCESS(status)) {
        DbgPrint("Exercise: the system could not be set up (status %08x)\n", status);
        return;
    }
    KdpExerciseStarted = TRUE;
}

BOOLEAN KdExerciseStarted(void)
{
    return KdpExerciseStarted;
}

// "4 hours", "1 hour 30 minutes", "45 seconds": how long, in words.
static void KdpFormatAge(ULONG64 seconds, char *text, SIZE_T size)
{
    static const struct {
        ULONG64 Seconds;
        const char *Unit;
    } units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
    SIZE_T at = 0;

    text[0] = '\0';
    for (ULONG i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        ULONG64 count = seconds / units[i].Seconds;

        if (!count)
            continue;
        seconds %= units[i].Seconds;
        at += RtlStringPrintf(text + at, size - at, "%s%llu %s%s", at ? " " : "",
                              (unsigned long long)count, units[i].Unit, count == 1 ? "" : "s");
        if (at >= size - 1)
            break;
    }
    if (!at)
        RtlStringPrintf(text, size, "0 seconds");
}

// The stages' seconds so far (KdAgeExerciseStage), unscaled: part of
// AgeSeconds, which KdAgeExercise then completes.
static ULONG64 KdpExerciseStagedSeconds;

// `seconds` of AgeSeconds as this boot ages them: age=SECONDS scales them.
static ULONG64 KdpScaleExerciseAge(ULONG64 seconds)
{
    if (!KeBootOptions.AgeGiven)
        return seconds;
    return KdpExercise->AgeSeconds ? seconds * KeBootOptions.AgeSeconds / KdpExercise->AgeSeconds
                                   : 0;
}

void KdAgeExerciseStage(ULONG64 seconds)
{
    LARGE_INTEGER interval;

    KdpExerciseStagedSeconds += seconds;
    seconds = KdpScaleExerciseAge(seconds);
    if (!seconds)
        return;
    interval.QuadPart = -(LONG64)(seconds * 10000000ULL);
    KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

void KdAgeExercise(void)
{
    ULONG64 seconds, staged;
    LARGE_INTEGER interval;
    char age[64];

    if (!KdpExerciseStarted)
        return;
    // An ordinary wait of guest time: under QEMU's -icount with sleep=off an
    // idle guest's clock jumps from timer to timer, so hours pass in seconds
    // of the host's; on a lab PC, age=0 skips it. The stages already aged
    // part of it.
    seconds = KeBootOptions.AgeGiven ? KeBootOptions.AgeSeconds : KdpExercise->AgeSeconds;
    staged = KdpScaleExerciseAge(KdpExerciseStagedSeconds);
    if (seconds > staged) {
        interval.QuadPart = -(LONG64)((seconds - staged) * 10000000ULL);
        KeDelayExecutionThread(KernelMode, FALSE, &interval);
    }
    KdpFormatAge(seconds, age, sizeof(age));
    DbgPrint("Exercise %03u is ready: the system has been in this state for %s%s\n",
             KdpExercise->Number, age,
             KeBootOptions.NoInitialBreak ? "; break in with Ctrl-C" : "");
}
