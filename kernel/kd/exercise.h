// The case studies as graded exercises (docs/exercises/, issue 16): the
// contract between the framework (kd/exercise.c: exercise=NNN and
// student=ID, aging, the symptom banner, .answer and completion codes) and
// each exercise (kd/exNNN.c: the orchestration that starts its processes
// and loads its drivers, plus the programs in user/ and the drivers in
// kernel/drivers/ that really hang).
#pragma once

#include "rtl/rtl.h"

typedef struct _KD_EXERCISE {
    ULONG Number;             // the case study's number: 0 for seeds/000_*.txt
    const char *Title;        // one line, the symptom only: never the cause
    const char *Symptom;      // the paragraph printed at boot: the symptom only
    ULONG64 AgeSeconds;       // guest seconds between the hang's first wait and the break-in
    // Builds the live system for this student's variant and returns once the
    // hang has formed; an error status stops the exercise with a message.
    NTSTATUS (*Start)(ULONG64 variant);
    // .answer's words (after the command): TRUE when they name the root.
    // Checked against the live system; prints nothing (the framework says
    // right or wrong, never which part).
    BOOLEAN (*CheckAnswer)(ULONG argc, const char *const *argv);
    const char *AnswerUsage;  // what .answer takes, e.g. "THREAD MODULE"
} KD_EXERCISE;

// The exercises (kd/exNNN.c), each one line in KdExercises[].
extern const KD_EXERCISE KdExercise000, KdExercise001, KdExercise002,
    KdExercise003;

// The exercise this boot runs (exercise=NNN), or NULL.
const KD_EXERCISE *KdCurrentExercise(void);

// The student's variant: a 64-bit hash of student=ID, fixed for the empty
// id. Exercises derive every choice that may vary from it.
ULONG64 KdExerciseVariant(void);

// A choice in [0, count) for the decision named `what`, fixed per variant
// and independent of the other decisions.
ULONG KdExerciseChoose(const char *what, ULONG count);

// Phase 1's hooks: KdStartExercise starts exercise=NNN once init.exe has
// started the servers (an exercise uses lsass); KdAgeExercise, after it, lets AgeSeconds of
// guest time pass (age=SECONDS overrides) and says the exercise is ready.
void KdStartExercise(void);
void KdAgeExercise(void);
// Inside an exercise's Start: lets `seconds` of guest time pass between two
// stages of the hang's formation, so each stage's waits start when the case
// study's did. The stages are part of AgeSeconds: KdAgeExercise ages only
// the rest. age=SECONDS scales them as it scales the whole (age=0: no
// wait).
void KdAgeExerciseStage(ULONG64 seconds);
// TRUE once the exercise's Start succeeded (.answer checks only then).
BOOLEAN KdExerciseStarted(void);

// A completion code such as "7KQ2-M9TA-C4XR" (kd/excode.c): the first 60 bits of
// HMAC-SHA-256(key, "sleuth-exercise:NNN:ID") in base32 (RFC 4648's
// alphabet). tools/grade.py computes the same to verify one.
#define KD_COMPLETION_CODE_SIZE 15
void KdFormatCompletionCode(const void *key, SIZE_T keyLength, ULONG exercise,
                            const char *student, char code[KD_COMPLETION_CODE_SIZE]);
