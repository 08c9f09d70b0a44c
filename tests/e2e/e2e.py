"""Helpers for the end-to-end tests (tools/runtests.py explains the fixtures).

Not a test file itself: runtests.py runs only test_*.py.
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))

from sleuthvm import (  # noqa: E402,F401  (re-exported for the tests)
    BACKSPACE, CTRL_C, GRUB_MENU, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_UP, PROMPT, SleuthVMError,
    render_line)

ADDRESS = r"[0-9a-f]{8}`[0-9a-f]{8}"       # KD's way: ffffffff`80109000


class Skip(Exception):
    """Raise to skip a test (counted as skipped, not failed)."""


def short(text, limit=160):
    text = text.replace("\n", " | ")
    return repr(text if len(text) <= limit else text[:limit] + "...")


def run(vm, line, *expected, timeout=20):
    """Runs a shell command and checks its output holds every `expected`
    (text, or a compiled regex). Returns the output."""
    output = vm.command(line, timeout)
    for item in expected:
        if hasattr(item, "search"):
            assert item.search(output), "%r: no match for /%s/ in %s" % (
                line, item.pattern, short(output))
        else:
            assert item in output, "%r: no %r in %s" % (line, item, short(output))
    return output


def lines(text):
    return [line for line in text.split("\n") if line.strip()]


def one_line(vm, line, *expected):
    """Runs a command that must print exactly one line; returns it."""
    output = run(vm, line, *expected)
    got = lines(output)
    assert len(got) == 1, "%r: expected one line, got %d: %s" % (line, len(got), short(output))
    return got[0]


def symbol_address(vm, symbol):
    """The address of nt!symbol, from `x`."""
    output = run(vm, "x nt!" + symbol)
    m = re.search(r"^(%s) nt!%s\b" % (ADDRESS, re.escape(symbol)), output, re.M)
    assert m, "x nt!%s: no address in %s" % (symbol, short(output))
    return m.group(1)


def qword_at(vm, expression):
    """The 64-bit value `dq EXPR L1` shows."""
    line = one_line(vm, "dq %s L1" % expression)
    m = re.match(r"(%s)  (%s)$" % (ADDRESS, ADDRESS), line.strip())
    assert m, "dq %s L1: unexpected line %r" % (expression, line)
    return int(m.group(2).replace("`", ""), 16)


def firmware_boot_name(firmware):
    return {"bios": "BIOS", "uefi": "UEFI"}[firmware]


def check_boot_log(text, firmware):
    """The lines every boot to the shell prints, in order."""
    expected = [
        "Sleuth 0.1",
        "Loaded by GRUB",
        "%s boot" % firmware_boot_name(firmware),
        "Memory:",
        "Clock: 15.625 ms tick",
        "Boot: prompt reached at TSC",
        "Break instruction exception - code 80000003 (first chance)",
    ]
    at = 0
    for item in expected:
        found = text.find(item, at)
        assert found >= 0, "boot log: no %r (after %r)" % (item, text[max(0, at - 60):at])
        at = found + len(item)
    m = re.search(r"Memory: (\d+) MB usable", text)
    assert m and 400 <= int(m.group(1)) <= 512, "boot log: odd memory size for -m 512M: %s" % (
        m.group(0) if m else None)
