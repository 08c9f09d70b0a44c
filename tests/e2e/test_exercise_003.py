"""Exercise 003, "Hung logon" (GRUB entry 16, exercise=003): the third case
study's investigation, replayed command for command from
tests/exercises/003.solution for two students. Each step's output must match
(winlogon -> LogonUI -> lsm -> svchost over ALPC, the UNC open waiting in
Mup, the redirector's thread in rdbss!RxWaitForStableCondition, the
transport's connect IRP on rdbss!RxIrpsList, the Delayed queue's 16 dynamic
threads and ~18,023 items, a worker blocked in MyBadDSM); `!waitchain` from
winlogon's thread must reach the Delayed queue and the DSM. `.answer` is
checked only when the shell has it."""

import os
import re

from e2e import short

FIRMWARE = ("bios",)
# Under -icount shift=auto,sleep=off the exercise's hours of aging pass in
# seconds of an idle guest.
ICOUNT = ["-icount", "shift=auto,sleep=off"]
VM_OPTIONS = {"menu_entry": 16, "student": "s1", "accel": "tcg", "extra_args": ICOUNT}
BOOT_TIMEOUT = 600

SOLUTION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "exercises",
                        "003.solution")


def parse_solution(path):
    """[(command, [regex...])]; '=' steps search the boot text."""
    steps = []
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        kind, rest = line[0], line[2:]
        if kind == ">":
            steps.append((rest, []))
        elif kind == "<":
            assert steps, "a '<' line before any command"
            steps[-1][1].append(rest)
        elif kind == "=":
            steps.append((None, [rest]))
        else:
            raise AssertionError("bad solution line %r" % line)
    return steps


def substitute(text, values):
    return re.sub(r"\{([A-Za-z_]\w*)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def replay(vm, has_answer):
    values = {}
    for command, checks in parse_solution(SOLUTION):
        if command is None:
            name, pattern = checks[0].split(" ", 1)
            m = re.search(pattern, vm.boot_text, re.M)
            assert m, "boot text: no match for /%s/" % pattern
            values.update(m.groupdict())
            continue
        if command.startswith(".answer") and not has_answer:
            continue
        line = substitute(command, values)
        assert "{" not in line or "extret" in line, "unresolved value in %r" % line
        output = vm.command(line, 300)
        for pattern in checks:
            pattern = substitute(pattern, values)
            m = re.search(pattern, output, re.M)
            assert m, "%r: no match for /%s/ in %s" % (line, pattern, short(output, 1500))
            values.update(m.groupdict())
    return values


def shell_has_answer(vm):
    return re.search(r"^\s*\.answer\b", vm.command("help", 30), re.M) is not None


def check_student(vm):
    assert "Exercise 003: Hung logon" in vm.boot_text, short(vm.boot_text[-600:])
    # No spoilers: the boot says the symptom, never the cause.
    for word in ("MyBadDSM", "mpio", "Delayed", "worker", "rdbss"):
        assert word not in vm.boot_text, "the boot text names %r" % word
    has_answer = shell_has_answer(vm)
    values = replay(vm, has_answer)
    if has_answer:
        wrong = vm.command(".answer %s mpio" % values["root"], 60)
        assert "Answer: not right" in wrong, wrong
        wrong = vm.command(".answer %s MyBadDSM" % values["svcthread"], 60)
        assert "Answer: not right" in wrong, wrong
    return values


def test_student_s1_replays_the_case_study(vm):
    check_student(vm)


def test_student_s2_gets_another_variant(new_vm):
    vm = new_vm(menu_entry=16, student="s2", accel="tcg", extra_args=ICOUNT)
    vm.boot(BOOT_TIMEOUT)
    values = check_student(vm)
    assert values["depth"] != "00004668" or values["sessions"] != "7", values
