"""Exercise 003, "Hung logon" (docs/exercises/03-hung-logon.md,
seeds/003_*.txt), for two students, one boot each (tests/e2e/exercises.py:
boot text, a wrong answer, the case study's investigation replayed from
tests/exercises/003.solution: winlogon -> LogonUI -> lsm -> svchost over
ALPC (the logon attempt seconds old, lsm's oldest call and its TermService
thread hours old, as the case study's Ticks), the UNC open waiting in Mup, the redirector's thread in
rdbss!RxWaitForStableCondition, the transport's connect IRP on
rdbss!RxIrpsList, the Delayed queue's 16 dynamic threads and ~18,023
items, a worker blocked in the DSM, !waitchain and !analyze -hang; the
right answer's code). Then more wrong answers on the same system, and the
two students' systems differ."""

from exercises import solve, wrong_answer

FIRMWARE = ("bios",)
SOLVED = {}
# No spoilers: the boot says the symptom, never the cause.
# The DSM's names (kernel/kd/ex003.c picks one per student).
DSMS = ("MyBadDSM", "ArrayDSM", "SanPathDSM", "StorDSM")
HIDDEN = DSMS + ("mpio", "Delayed", "worker", "rdbss")


def check(student):
    def test(new_vm):
        solved = solve(new_vm, 3, student, hidden=HIDDEN)
        vm, values = solved.vm, solved.values
        assert "Exercise 003: Hung logon" in solved.boot_text
        wrong_answer(vm, "%s mpio" % values["root"])
        assert values["dsm"] in DSMS, values
        wrong_answer(vm, "%s %s" % (values["svcthread"], values["dsm"]))
        SOLVED[student] = values
    test.__name__ = "test_student_%s_solves_it" % student
    return test


test_student_s1_solves_it = check("s1")
test_student_s2_solves_it = check("s2")


def test_the_two_students_have_different_systems():
    first, second = SOLVED.get("s1"), SOLVED.get("s2")
    assert first and second, "a student's test failed first"
    assert (first["depth"], first["sessions"]) != (second["depth"], second["sessions"]), \
        (first, second)
    # s1's DSM is the case study's MyBadDSM, s2's StorDSM.
    assert first["dsm"] != second["dsm"], (first, second)
