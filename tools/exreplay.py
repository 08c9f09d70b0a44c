"""The exercises' reference solutions, replayed (docs/exercises/README.md).

A solution, tests/exercises/NNN.solution, is one step a line:

    # comment
    > COMMAND          typed at kd> ; {name} is replaced by a captured value
    < REGEX            must match (re.M) somewhere in that command's output;
                       its named groups (?P<name>...) become values
    = NAME REGEX       like <, but searches the boot text; NAME gets the
                       first group (the whole match if none), named groups
                       become values too

Inside a REGEX, {name} of a captured value stands for that value, escaped.
The last command is `.answer ...`, whose output must say `Answer: right`
and give a completion code that verifies.

Used by tools/grade.py (`make grade`) and the end-to-end tests
(tests/e2e/exercises.py, used by tests/e2e/test_exercise_NNN.py); the API:

    completion_code(key, exercise, student) -> "7KQ2-M9TA-C4XR" (three groups of four base32 characters)
    parse_solution(text) -> [Step]           (raises SolutionError)
    solution_files(root) -> {exercise number: path}
    exercise_vm_options(exercise, student) -> VM_OPTIONS for an e2e file's
        shared vm (with BOOT_TIMEOUT = AGED_BOOT_TIMEOUT in that file)
    exercise_vm(iso, exercise, student, **options) -> SleuthVM, not started
        (TCG, -icount shift=0,sleep=off); or, with the e2e new_vm fixture,
        attach(new_vm(**exercise_options()), exercise, student)
    boot_exercise(vm, age=None, timeout=...) -> boot text, up to the prompt;
        with age, GRUB's editor appends age=SECONDS to the entry's command line
    replay(vm, steps, boot_text, key=DEFAULT_KEY, log=None) -> values
        (raises ReplayError naming the step; values["code"] is the code)
"""

import collections
import glob
import hashlib
import hmac
import os
import re
import time

from sleuthvm import GRUB_MENU, GRUB_MENU_DOWN, KEY_DOWN, PROMPT, SleuthVM

DEFAULT_KEY = "sleuth-development-key"      # the Makefile's GRADE_KEY default
# Guest time runs at the instruction count and jumps over idle: hours of an
# exercise's aging pass in seconds.
ICOUNT_ARGS = ("-icount", "shift=0,sleep=off")
# GRUB entries (0-based, boot/grub.cfg) of the exercises.
EXERCISE_ENTRIES = {0: 13, 1: 14, 2: 15, 3: 16}
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CODE = re.compile(r"^Completion code: (?P<code>[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})", re.M)
RIGHT = re.compile(r"^Answer: right\b", re.M)
NOT_RIGHT = re.compile(r"^Answer: not right\b", re.M)
READY = re.compile(r"^Exercise (\d{3}) is ready: the system has been in this state for ", re.M)
# What the kernel says when an exercise's hang did not form (its own line,
# then the framework's).
SETUP_FAILED = re.compile(r"^Exercise: the system could not be set up \(status [0-9a-f]{8}\)$",
                          re.M)
STEP_TIMEOUT = 60

Step = collections.namedtuple("Step", "kind text name line")


class SolutionError(ValueError):
    """A .solution file that does not follow the format."""


class ReplayError(AssertionError):
    """A step of a solution that did not hold."""


class ExerciseNotReady(ReplayError):
    """The exercise's hang did not form: the break-in came without the
    ready line (the kernel's error lines say why)."""


def completion_code(key, exercise, student):
    """What `.answer` prints for a right answer (kernel/kd/excode.c)."""
    message = ("sleuth-exercise:%03d:%s" % (int(exercise), student)).encode()
    mac = hmac.new(key.encode(), message, hashlib.sha256).digest()
    bits = int.from_bytes(mac[:8], "big") >> 4
    text = "".join(BASE32[(bits >> (55 - 5 * i)) & 31] for i in range(12))
    return "-".join(text[i:i + 4] for i in (0, 4, 8))


def verify_code(key, exercise, student, code):
    expected = completion_code(key, exercise, student)
    return hmac.compare_digest(expected, code.strip().upper())


def parse_solution(text, source="solution"):
    steps = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind, _, rest = line.partition(" ")
        rest = rest.strip()
        where = "%s:%d" % (source, number)
        if kind not in (">", "<", "=") or not rest:
            raise SolutionError("%s: not a step (> COMMAND, < REGEX, = NAME REGEX): %r"
                                % (where, raw))
        name = None
        if kind == "=":
            name, _, rest = rest.partition(" ")
            rest = rest.strip()
            if not re.match(r"^[A-Za-z_]\w*$", name) or not rest:
                raise SolutionError("%s: '= NAME REGEX' wanted: %r" % (where, raw))
        if kind == "<" and not any(s.kind == ">" for s in steps):
            raise SolutionError("%s: '<' before any command" % where)
        if kind != ">":
            try:
                re.compile(rest)
            except re.error as error:
                raise SolutionError("%s: bad regex: %s" % (where, error))
        steps.append(Step(kind, rest, name, where))
    commands = [s for s in steps if s.kind == ">"]
    if not commands or not commands[-1].text.startswith(".answer"):
        raise SolutionError("%s: the last command must be .answer" % source)
    return steps


def read_solution(path):
    with open(path) as f:
        return parse_solution(f.read(), os.path.relpath(path))


def solution_files(root):
    """{exercise number: path} of tests/exercises/NNN.solution under root."""
    found = {}
    for path in sorted(glob.glob(os.path.join(root, "tests", "exercises", "*.solution"))):
        m = re.match(r"^(\d{3})\.solution$", os.path.basename(path))
        if m:
            found[int(m.group(1))] = path
    return found


def _substitute_command(text, values, where):
    def one(m):
        if m.group(1) not in values:
            raise ReplayError("%s: {%s} has no value yet" % (where, m.group(1)))
        return values[m.group(1)]
    return re.sub(r"\{([A-Za-z_]\w*)\}", one, text)


def _substitute_regex(text, values):
    # Only names with values: {4} and friends stay quantifiers.
    return re.sub(r"\{([A-Za-z_]\w*)\}",
                  lambda m: re.escape(values[m.group(1)]) if m.group(1) in values
                  else m.group(0), text)


def _short(text, limit=400):
    text = text.replace("\n", " | ")
    return text if len(text) <= limit else text[:limit] + "..."


def exercise_options(**options):
    """SleuthVM options for an exercise boot: TCG with -icount
    shift=0,sleep=off (the aging takes seconds), the menu left to
    boot_exercise."""
    options.setdefault("accel", "tcg")
    options["extra_args"] = list(ICOUNT_ARGS) + list(options.get("extra_args", ()))
    options["menu_entry"] = None
    options["student"] = None
    return options


def exercise_vm_options(exercise, student):
    """VM_OPTIONS for an e2e test file whose shared vm is an exercise
    (the harness picks the entry and types the id; QEMU runs -icount
    shift=0,sleep=off). Such a file sets BOOT_TIMEOUT = AGED_BOOT_TIMEOUT
    too: four hours of aging take minutes on a loaded machine."""
    return {"menu_entry": EXERCISE_ENTRIES[int(exercise)], "student": student,
            "accel": "tcg", "extra_args": list(ICOUNT_ARGS)}


AGED_BOOT_TIMEOUT = 600


def attach(vm, exercise, student):
    """Marks a SleuthVM (made with exercise_options) as exercise NNN for
    `student`: what boot_exercise and replay use."""
    vm.exercise = int(exercise)
    vm.exercise_student = student
    return vm


def exercise_vm(iso, exercise, student, **options):
    """A SleuthVM for the exercise (not started)."""
    return attach(SleuthVM(iso, **exercise_options(**options)), exercise, student)


def boot_exercise(vm, age=None, timeout=600):
    """Starts the VM, picks the exercise's GRUB entry (with age=SECONDS
    appended in GRUB's editor when age is given), types the student id and
    waits for the ready line and the prompt. Returns the boot text."""
    vm.start()
    vm.wait_for(GRUB_MENU, 90)
    time.sleep(0.3)
    vm.read_available()
    for _ in range(EXERCISE_ENTRIES[vm.exercise]):
        vm.type_keys([GRUB_MENU_DOWN], delay=0.1)
    if age is None:
        vm.send_raw(b"\r")
    else:
        # GRUB's editor: 'e', down to the multiboot2 line (after GRUB's
        # setparams line, an empty one, echo, read and if), Ctrl-E to its
        # end, the words, Ctrl-X to boot.
        vm.send_raw(b"e")
        vm.wait_for("multiboot2", 30)
        time.sleep(0.5)
        for _ in range(5):
            vm.type_keys([KEY_DOWN], delay=0.3)
        vm.type_keys([b"\x05"], delay=0.3)
        vm.type_keys(" age=%d" % int(age), delay=0.05)
        vm.wait_for(re.compile(r"multiboot2 /boot/sleuth\.elf exercise=%03d "
                               r"student=\$student age=%d" % (vm.exercise, int(age))), 30)
        vm.send_raw(b"\x18")
    vm.enter_student_id(vm.exercise_student)
    started = time.monotonic()
    vm.boot_text = vm.wait_for(PROMPT, timeout)
    vm.boot_seconds = time.monotonic() - started
    if SETUP_FAILED.search(vm.boot_text) or not READY.search(vm.boot_text):
        # Not a wrong exercise to replay: the lines before the break-in.
        lines = [line for line in vm.boot_text.splitlines()
                 if line.startswith("Exercise")][-3:]
        raise ExerciseNotReady("exercise %03d, student %s: not ready: %s" % (
            vm.exercise, vm.exercise_student, " | ".join(lines) or "no ready line"))
    return vm.boot_text


def replay(vm, steps, boot_text, key=DEFAULT_KEY, log=None, outputs=None):
    """Replays a solution's steps on a booted exercise. Returns the values
    captured (values["code"]: the completion code, verified). With a dict
    `outputs`, each command's output goes in it under the command as the
    solution writes it ("!alpc /m {m1}")."""
    values = {}
    output = None
    command = None
    for step in steps:
        if step.kind == ">":
            command = _substitute_command(step.text, values, step.line)
            if log:
                log("%s: > %s" % (step.line, command))
            output = vm.command(command, STEP_TIMEOUT)
            if outputs is not None:
                outputs[step.text] = output
            continue
        regex = re.compile(_substitute_regex(step.text, values), re.M)
        text = boot_text if step.kind == "=" else output
        m = regex.search(text)
        if not m:
            raise ReplayError("%s: no match for /%s/ in %s: %s" % (
                step.line, regex.pattern, "the boot text" if step.kind == "=" else
                repr(command), _short(text if step.kind == "<" else text[-1500:])))
        values.update({k: v for k, v in m.groupdict().items() if v is not None})
        if step.kind == "=":
            values[step.name] = m.group(1) if m.groups() else m.group(0)
    if not RIGHT.search(output or ""):
        raise ReplayError("%r: no 'Answer: right' in %s" % (command, _short(output or "")))
    m = CODE.search(output)
    if not m:
        raise ReplayError("%r: no completion code in %s" % (command, _short(output)))
    values["code"] = m.group("code")
    if not verify_code(key, vm.exercise, vm.exercise_student, values["code"]):
        raise ReplayError("completion code %s does not verify for exercise %03d, student %s"
                          % (values["code"], vm.exercise, vm.exercise_student))
    return values
