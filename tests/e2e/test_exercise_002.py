"""Exercise 002 (docs/exercises/02-alpc-chain.md, seeds/002_*.txt): an ALPC
chain of three processes, a client with its threads missing, a message
box, ~30,000 zombies, for two students, one boot each
(tests/e2e/exercises.py: boot text, a wrong answer, the seed's
investigation replayed from tests/exercises/002.solution with !waitchain
and !analyze -hang, the right answer's code). Then, on the same system,
what the steps captured is checked against each other: each hop's
ServerThread is the next !thread, the chain ends at the thread !waitchain
and !analyze -hang name as the root, the zombies are the scheduler's and
!process 0 0 lists every one; and the two students' systems differ."""

import re

from e2e import run, short
from exercises import HEX16, solve, wrong_answer

FIRMWARE = ("bios",)
SOLVED = {}
# No spoilers: the boot says which exercise and the symptom, never the cause.
HIDDEN = ("semaphore", "WerFault", "zombie", "NtUserGetMessage", "record lock")


def check(student, list_all):
    def test(new_vm):
        solved = solve(new_vm, 2, student, hidden=HIDDEN)
        vm, values, outputs = solved.vm, solved.values, solved.outputs
        t1, t2, t3 = values["t1"], values["t2"], values["t3"]
        # Each hop: the message !thread names waits for the thread it names.
        assert re.search(r"WaitingThread\s*: %s" % t1, outputs["!alpc /m {m1}"]), t1
        assert re.search(r"WaitingThread\s*: %s" % t2, outputs["!alpc /m {m2}"]), t2
        assert len({t1, t2, t3}) == 3, values
        # The client is the process with its threads missing: one or two left.
        threads = re.findall(r"^\s*THREAD %s" % HEX16, outputs["!process {client}"], re.M)
        assert 1 <= len(threads) <= 2, outputs["!process {client}"]
        # The relay began to wait after the client, the end after the relay.
        ticks = [int(re.search(r"Wait Start TickCount\s+(\d+)", run(vm, "!thread " + t))
                     .group(1)) for t in (t1, t2, t3)]
        assert ticks[0] < ticks[1] <= ticks[2], ticks
        # The root, in one go, is the end's thread.
        chain = outputs["!waitchain {t1}"]
        assert re.search(r"^\[0\] THREAD %s \(%s\.exe " % (t1, values["clientimage"]), chain,
                         re.M), chain
        assert re.search(r"^Root: THREAD %s \(%s\.exe Cid [0-9a-f.]+\), .*\(module %s\)" %
                         (t3, values["end"], values["end"]), chain, re.M), chain
        hang = outputs["!analyze -hang"]
        assert re.search(r"Root: THREAD %s \(%s\.exe" % (t3, values["end"]), hang), \
            short(hang, 800)
        zombies = int(re.search(r"ZOMBIE PROCESSES \(ended, still referenced\): (\d+)",
                                hang).group(1))
        assert zombies >= 30000, zombies
        # The relay's thread is not the root.
        wrong_answer(vm, "%s %s" % (t2, values["end"]), hidden=(t3,))
        if list_all:
            # !process 0 0 lists every zombie: some 150,000 lines.
            listing = run(vm, "!process 0 0", timeout=900)
            images = re.findall(r"^\s*Image: (\S+)", listing, re.M)
            assert len(images) >= zombies, "!process 0 0 lists %d processes" % len(images)
            assert re.search(r"^\s*Image: WerFault\.exe \(zombie: exited, 1 reference\)$",
                             listing, re.M), "no WerFault.exe zombie in !process 0 0"
        SOLVED[student] = values
    test.__name__ = "test_student_%s_solves_it" % student.replace("-", "_")
    return test


test_student_s1_solves_it = check("s1", list_all=True)
test_student_lab7_042_solves_it = check("lab7-042", list_all=False)


def test_the_two_students_have_different_systems():
    first, second = SOLVED.get("s1"), SOLVED.get("lab7-042")
    assert first and second, "a student's test failed first"
    assert first["t3"] != second["t3"] or first["end"] != second["end"] or \
        first["clientimage"] != second["clientimage"], (first, second)
