"""Exercise 000 (docs/exercises/00-encrypted-open.md, seeds/000_*.txt), for
two students, one boot each (tests/e2e/exercises.py: boot text, a wrong
answer, the seed's investigation replayed from tests/exercises/000.solution
with !waitchain and !analyze -hang, the right answer's code); then, on the
same system: the Wait Start TickCount match the seed's author used, the
cycle through lsass's worker and the scanner, lsass's dispatcher past the
client's message, more wrong answers; and the two students' systems differ
where the exercise varies them."""

import re

from e2e import run, short
from exercises import HEX16, solve, wrong_answer

FIRMWARE = ("bios",)
SOLVED = {}
# The scanner's product names (kernel/kd/ex000.c picks one per student).
SCANNERS = ("ScanGuard", "AvShield", "FileSentry", "SafeScan")


def check(student):
    def test(new_vm):
        solved = solve(new_vm, 0, student, hidden=SCANNERS + ("deadlock",))
        vm, values = solved.vm, solved.values
        assert values["worker"].lower() not in solved.boot_text.lower()
        assert values["scanner"] in SCANNERS, values
        # The seed's heuristic: the worker's wait started in the client's tick.
        assert values["workertick"] == values["tick"], values
        # As the case study's: the client's current port is KSecDD's client
        # communication port, the one `!lpc message` lists with no handle.
        thread = run(vm, "!thread " + values["client"], "THREAD")
        assert "Current LPC port %s" % values["clientport"] in thread, short(thread)
        chain = run(vm, "!waitchain " + values["worker"], "Wait chain of THREAD")
        assert re.search(r"^deadlock: cycle of 2 threads: %s -> %s -> %s" % (
            values["worker"], values["client"], values["worker"]), chain, re.M), chain
        run(vm, "lm", values["scanner"])
        # lsass's dispatcher received later requests: the client's id is not its own.
        output = run(vm, "!process %s 2" % values["lsass"], "lsass.exe")
        m = re.search(r"^\s*LPC Server thread working on message Id ([0-9a-f]+)$", output, re.M)
        assert m and int(m.group(1), 16) > int(values["message"], 16), short(output)
        assert len(re.findall(r"^\s*THREAD %s " % HEX16, output, re.M)) == 7, short(output)
        hosts = run(vm, "!process 0 0 svchost.exe", "svchost.exe")
        values["hosts"] = len(re.findall(r"^PROCESS %s$" % HEX16, hosts, re.M))
        for words in ("%s %s" % (values["client"], values["scanner"]),
                      "%s fltMgr" % values["worker"]):
            wrong_answer(vm, words, hidden=(values["worker"],))
        SOLVED[student] = values
    test.__name__ = "test_student_%s_solves_it" % student
    return test


test_student_s1_solves_it = check("s1")
test_student_s4_solves_it = check("s4")


def test_the_two_students_have_different_systems():
    """s1: one backup service before the deadlock, one after (4 service
    hosts); s4: an update service before, two backups after (5); and
    message ids of their own."""
    first, second = SOLVED.get("s1"), SOLVED.get("s4")
    assert first and second, "a student's test failed first"
    assert (first["hosts"], second["hosts"]) == (4, 5), (first, second)
    assert first["message"] != second["message"], (first, second)
    # s1's scanner is SafeScan, s4's ScanGuard: the module differs too.
    assert first["scanner"] != second["scanner"], (first, second)
