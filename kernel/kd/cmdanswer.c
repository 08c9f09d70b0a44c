// `.answer WORDS...` (docs/exercises/README.md): the student's answer to the
// exercise this boot runs. The exercise's CheckAnswer checks the words
// against the live system; the shell says right or not right, never which
// part, and a right answer earns a completion code bound to the exercise
// and the student id (kd/excode.c) under the key the ISO was built with
// (GRADE_KEY, masked in gradekey.h).

#include "kd/kd.h"
#include "kd/exercise.h"
#include "init/cmdline.h"
#include "gradekey.h"

static ULONG KdpAnswerAttempts;

static KD_COMMAND_RESULT KdpAnswer(int argc, char **argv)
{
    static const UCHAR masked[KD_GRADE_KEY_LENGTH] = KD_GRADE_KEY_MASKED;
    const KD_EXERCISE *exercise = KdCurrentExercise();
    UCHAR key[KD_GRADE_KEY_LENGTH];
    char code[KD_COMPLETION_CODE_SIZE];

    if (!exercise || !KdExerciseStarted()) {
        KdpPrint("No exercise runs in this boot: .answer needs one (an exercise's GRUB entry, "
                 "or exercise=NNN on the command line)\n");
        return KdCommandContinue;
    }
    if (argc < 2) {
        KdpPrint("Usage: .answer %s\n", exercise->AnswerUsage);
        return KdCommandContinue;
    }
    KdpAnswerAttempts++;
    if (!exercise->CheckAnswer((ULONG)(argc - 1), (const char *const *)(argv + 1))) {
        KdpPrint("Answer: not right (attempt %u); keep looking\n", KdpAnswerAttempts);
        return KdCommandContinue;
    }
    for (ULONG i = 0; i < KD_GRADE_KEY_LENGTH; i++)
        key[i] = masked[i] ^ KD_GRADE_KEY_MASK(i);
    KdFormatCompletionCode(key, sizeof(key), exercise->Number, KeBootOptions.Student, code);
    memset(key, 0, sizeof(key));
    KdpPrint("Answer: right (attempt %u)\n", KdpAnswerAttempts);
    KdpPrint("Completion code: %s (exercise %03u, student %s)\n", code, exercise->Number,
             KeBootOptions.Student);
    return KdCommandContinue;
}

const KD_COMMAND KdpAnswerCommands[] = {
    { ".answer", KdpAnswer, ".answer WORDS...",
      "an exercise's answer (its usage without WORDS): right or not right; if right, the "
      "completion code for your lecturer" },
    { NULL, NULL, NULL, NULL },
};
