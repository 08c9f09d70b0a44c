"""Exercise 001, the warm-up (docs/exercises/01-lpc-warmup.md), for two
students, one boot each (tests/e2e/exercises.py: boot text, a wrong
answer, tests/exercises/001.solution replayed, the right answer's code);
then !analyze -hang on the same system groups the client's chain under the
root `.answer` accepted."""

import re

from e2e import run, short
from exercises import solve


FIRMWARE = ("bios",)


def check(student):
    def test(new_vm):
        solved = solve(new_vm, 1, student)
        output = run(solved.vm, "!analyze -hang", "HANG ANALYSIS")
        assert re.search(r"^ROOT \d+: .*", output, re.M), short(output)
        assert re.search(r"^\s+Root: THREAD %s \(lpcdemo\.exe Cid [0-9a-f.]+\), blocked "
                         r"0:00:[0-5]\d:" % solved.values["owner"], output, re.M), \
            short(output, 2000)
    test.__name__ = "test_student_%s_solves_it" % student.replace(".", "_")
    return test


test_student_s1_solves_it = check("s1")
test_student_t2_doe_solves_it = check("t2.doe")
