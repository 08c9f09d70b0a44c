"""!waitchain on the warm-up demo (demo=waits): the WaitAny waiter is held
by the mutant the event waiter owns, whose chain ends at the notification
event nobody sets; the sleeper's wait is a delay that ends by itself; the
spinner, ready, is not blocked."""

import re

from e2e import qword_at, run

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 4}


def demo_thread(vm, name):
    return "%016x" % qword_at(vm, "nt!KdDemo%sThread" % name)


def flat(text):
    return text.replace("`", "")


def test_waitchain_follows_the_mutant_to_the_event_waiter(vm):
    waiter, owner = demo_thread(vm, "MultipleWaiter"), demo_thread(vm, "EventWaiter")
    mutant = "%016x" % int(flat(run(vm, "x nt!KdDemoMutant").split()[0]), 16)
    event = "%016x" % int(flat(run(vm, "x nt!KdDemoNotificationEvent").split()[0]), 16)
    output = run(vm, "!waitchain " + waiter, "Wait chain of THREAD " + waiter)
    assert re.search(r"^    waits for THREAD %s: Mutant %s \(WaitAny\): KMUTANT\.OwnerThread is "
                     r"%s$" % (owner, mutant, owner), output, re.M), output
    assert re.search(r"^    ends here: NotificationEvent %s: no owner" % event, output, re.M), \
        output
    assert re.search(r"^Root: THREAD %s \(System Cid [0-9a-f.]+\), blocked [0-9:.]+ in "
                     r"nt!KdDemoEventWaiter\+0x" % owner, output, re.M), output


def test_waitchain_of_the_sleeper_ends_at_its_timer(vm):
    sleeper = demo_thread(vm, "Sleeper")
    output = run(vm, "!waitchain " + sleeper, "Wait chain of THREAD " + sleeper)
    assert "    ends here: a delay (its own timer): it wakes by itself" in output, output
    assert re.search(r"^Root: THREAD %s .*: waits on a timer: it wakes by itself$" % sleeper,
                     output, re.M), output


def test_waitchain_of_the_ready_spinner_is_not_blocked(vm):
    spinner = demo_thread(vm, "Spinner")
    output = run(vm, "!waitchain " + spinner, "Wait chain of THREAD " + spinner)
    assert re.search(r"^\[0\] THREAD %s \(System Cid [0-9a-f.]+\) READY" % spinner, output,
                     re.M), output
    assert re.search(r"^Root: THREAD %s .*: not blocked$" % spinner, output, re.M), output
