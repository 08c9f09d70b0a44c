#!/usr/bin/env python3
"""make grade: completion codes and reference solutions (docs/exercises/README.md).

    grade.py --codes FILE [--key KEY]
        verifies a lecturer's list, one `student,exercise,code` a line (a
        header line and # comments are skipped): OK or WRONG per line, then
        a summary; exit status 1 if any line is WRONG or malformed.
    grade.py --iso ISO [--key KEY] [--students s1,s2] [--exercises 1,3] [--age S]
        boots every exercise that has tests/exercises/NNN.solution, once per
        student id, replays the solution and verifies the code .answer
        prints. The key must be the one the ISO was built with (GRADE_KEY).
"""

import argparse
import csv
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import exreplay  # noqa: E402
from sleuthvm import SleuthVMError  # noqa: E402


def grade_codes(path, key):
    ok = wrong = bad = 0
    with open(path, newline="") as f:
        for number, row in enumerate(csv.reader(f), 1):
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            cells = [cell.strip() for cell in row]
            if number == 1 and cells[0].lower() == "student":
                continue        # the header
            if len(cells) != 3 or not cells[1].isdigit():
                print("BAD   line %d: want student,exercise,code: %s" % (number, ",".join(row)))
                bad += 1
                continue
            student, exercise, code = cells
            if exreplay.verify_code(key, int(exercise), student, code):
                print("OK    %s exercise %03d %s" % (student, int(exercise), code))
                ok += 1
            else:
                print("WRONG %s exercise %03d %s" % (student, int(exercise), code))
                wrong += 1
    print("%d OK, %d WRONG%s" % (ok, wrong, ", %d malformed" % bad if bad else ""))
    return 1 if wrong or bad else 0


def grade_solutions(iso, key, students, exercises, age, log_dir):
    found = exreplay.solution_files(ROOT)
    if exercises:
        missing = [n for n in exercises if n not in found]
        if missing:
            print("no tests/exercises/%s.solution" % ", ".join("%03d" % n for n in missing))
            return 1
        found = {n: found[n] for n in exercises}
    if not found:
        print("no solutions in tests/exercises/")
        return 1
    passed = failed = 0
    for number, path in sorted(found.items()):
        try:
            steps = exreplay.read_solution(path)
        except exreplay.SolutionError as error:
            print("FAIL exercise %03d: %s" % (number, error))
            failed += 1
            continue
        for student in students:
            name = "grade-%03d-%s" % (number, student)
            vm = exreplay.exercise_vm(iso, number, student, name=name, log_dir=log_dir)
            started = time.monotonic()
            try:
                boot_text = exreplay.boot_exercise(vm, age=age)
                values = exreplay.replay(vm, steps, boot_text, key=key)
                print("PASS exercise %03d student %s: %d steps, code %s (boot %.0f s, "
                      "replay %.0f s)" % (number, student, len(steps), values["code"],
                                          vm.boot_seconds,
                                          time.monotonic() - started - vm.boot_seconds))
                passed += 1
            except (exreplay.ReplayError, SleuthVMError) as error:
                print("FAIL exercise %03d student %s: %s [%s]" % (number, student, error,
                                                                  vm.log_path))
                failed += 1
            finally:
                vm.stop()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--key", default=os.environ.get("GRADE_KEY") or exreplay.DEFAULT_KEY)
    parser.add_argument("--codes", help="a CSV of student,exercise,code to verify")
    parser.add_argument("--iso", help="the ISO whose exercises' solutions to replay")
    parser.add_argument("--students", default="s1,s2")
    parser.add_argument("--exercises", help="numbers, e.g. 0,1 (default: every solution)")
    parser.add_argument("--age", type=int, help="age=SECONDS for each boot (default: "
                        "the exercise's own)")
    parser.add_argument("--log-dir")
    args = parser.parse_args()
    if args.codes:
        return grade_codes(args.codes, args.key)
    if not args.iso:
        parser.error("--codes FILE or --iso ISO")
    exercises = [int(n) for n in args.exercises.split(",")] if args.exercises else None
    students = [s for s in args.students.split(",") if s]
    log_dir = args.log_dir or os.path.join(os.path.dirname(os.path.abspath(args.iso)),
                                           "grade-logs")
    return grade_solutions(args.iso, args.key, students, exercises, args.age, log_dir)


if __name__ == "__main__":
    sys.exit(main())
