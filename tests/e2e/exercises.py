"""The exercises end to end (docs/exercises/README.md): what every
exercise's test file (tests/e2e/test_exercise_NNN.py) does for each of its
two student ids, in ONE boot of the exercise's GRUB entry (QEMU -icount
shift=0,sleep=off, so the aging passes in seconds):

  - the boot text: the banner, the ready line after the aging, the initial
    break-in after it, and nothing but the symptom (no program chatter);
  - `.answer` alone prints its usage; a wrong answer says `Answer: not
    right`, with no completion code;
  - the reference solution, tests/exercises/NNN.solution, replayed step by
    step (tools/exreplay.py): each command's output checked, values
    captured, !waitchain and !analyze -hang among the steps, and a right
    answer whose completion code verifies for this student and no other;
  - then the file's own checks on the same live system (`check`), given
    the vm, the captured values and each command's output.

Not a test file itself (runtests.py runs only test_*.py)."""

import os
import re

import exreplay
from e2e import run, short

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
# Words of the boot text that would give a hang's cause away: programs'
# own chatter and the old demos' "Demo:" lines.
SPOILERS = re.compile(r"^(Demo:|lpcdemo:|alpc\w+:)", re.M)
HEX16 = r"[0-9a-f]{16}"


def check_boot_text(text, number, student, hidden=()):
    """The boot's lines in order; no spoiler, nor any of the words `hidden`."""
    at = 0
    for item in ("Exercise %03d: " % number, "Student id: %s\n" % student,
                 "Exercise %03d is ready: the system has been in this state for " % number,
                 "Boot: prompt reached at TSC",
                 "Break instruction exception - code 80000003 (first chance)"):
        found = text.find(item, at)
        assert found >= 0, "boot text: no %r after %r" % (item, text[max(0, at - 80):at])
        at = found + len(item)
    m = SPOILERS.search(text)
    assert not m, "boot text gives something away: %r" % text[m.start():m.start() + 120]
    for word in hidden:
        assert word.lower() not in text.lower(), "the boot text gives away %r" % word


class Solved:
    """One student's exercise, solved: the live vm, the boot text, the
    values the solution captured and each command's output."""

    def __init__(self, vm, boot_text, values, outputs):
        self.vm, self.boot_text, self.values, self.outputs = vm, boot_text, values, outputs


def solve(new_vm, number, student, hidden=(), timeout=exreplay.AGED_BOOT_TIMEOUT):
    """Boots exercise `number` for `student`, checks the boot text, answers
    wrongly, replays the solution to the right answer; returns a Solved."""
    steps = exreplay.read_solution(exreplay.solution_files(ROOT)[number])
    vm = exreplay.attach(new_vm("-%03d-%s" % (number, student), **exreplay.exercise_options()),
                         number, student)
    boot_text = exreplay.boot_exercise(vm, timeout=timeout)
    check_boot_text(boot_text, number, student, hidden)
    run(vm, ".answer", "Usage: .answer ")
    output = run(vm, ".answer 0", "Answer: not right (attempt 1)")
    assert "Completion code" not in output, short(output)
    outputs = {}
    values = exreplay.replay(vm, steps, boot_text, outputs=outputs)
    for other in ("s1", "s2", "s4", "t2.doe", "lab7-042"):
        if other != student:
            assert not exreplay.verify_code(exreplay.DEFAULT_KEY, number, other, values["code"])
    assert not exreplay.verify_code(exreplay.DEFAULT_KEY, number + 1, student, values["code"])
    return Solved(vm, boot_text, values, outputs)


def wrong_answer(vm, words, hidden=()):
    """`.answer WORDS` says not right, and names none of `hidden`."""
    output = run(vm, ".answer " + words)
    assert re.search(r"^Answer: not right", output, re.M), output
    assert "Completion code" not in output, output
    for word in hidden:
        assert word not in output, output
    return output
