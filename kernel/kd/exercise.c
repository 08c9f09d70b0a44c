// The exercise framework (kd/exercise.h): finds exercise=NNN in the table,
// derives the student's variant from student=ID and starts the exercise.

#include "kd/kd.h"
#include "kd/exercise.h"
#include "init/cmdline.h"
#include "ke/ke.h"

extern const KD_EXERCISE KdExercise002;

// Every exercise this kernel has, by case study.
static const KD_EXERCISE *const KdExercises[] = {
    &KdExercise002,
};

static const KD_EXERCISE *KdpExercise;

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
    DbgPrint("Exercise %03u: %s\n%s\n", KdpExercise->Number, KdpExercise->Title,
             KdpExercise->Symptom);
    status = KdpExercise->Start(KdExerciseVariant());
    if (!NT_SUCCESS(status))
        DbgPrint("Exercise: the system could not be set up (status %08x)\n", status);
}
