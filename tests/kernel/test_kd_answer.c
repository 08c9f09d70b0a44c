// .answer outside an exercise (the self-test boot runs none): a clear error
// line, with words or without, and nothing that looks like a verdict or a
// completion code. In an exercise it is tested end to end
// (tests/e2e/test_exercise_NNN.py).

#include "tests/kernel/ktkd.h"

KTEST(KdAnswerWithoutAnExerciseSaysThereIsNone)
{
    KtKdRun(".answer ffff8000`00001000");
    KtKdExpect("No exercise runs in this boot: .answer needs one");
    KT_EXPECT(!KtKdFind(KtKdOutput, "Answer:"));
    KT_EXPECT(!KtKdFind(KtKdOutput, "Completion code"));
    KtKdRun(".answer");
    KtKdExpect("No exercise runs in this boot");
    KtKdRun("help .answer");
    KtKdExpect(".answer WORDS...");
}
