"""!waitchain and !analyze -hang on the stuck Delayed worker queue
(demo=exqueue): every worker's chain ends at the DSM's event nobody sets,
with 18,023 items queued behind; !analyze -hang groups the 19 workers under
that one event and reports the queue at its dynamic-thread limit."""

import re

import time

from e2e import CTRL_C, PROMPT, qword_at, run, symbol_address

FIRMWARE = ("bios",)
VM_OPTIONS = {"menu_entry": 10}
TICK_MS = 15.625

HEX16 = r"[0-9a-f]{16}"


def flat(address):
    return address.replace("`", "")


def workers(vm):
    output = run(vm, "!exqueue 20", "Delayed WorkQueue")
    found = re.findall(r"^THREAD (%s) Cid [0-9a-f]{4}\.[0-9a-f]{4} (?:static |dynamic) WAIT"
                       % HEX16, output, re.M)
    assert len(found) == 19, output
    return found


def test_waitchain_of_a_worker_ends_at_the_dsm_event(vm):
    event = flat(symbol_address(vm, "KdDemoDsmEvent"))
    worker = workers(vm)[-1]
    output = run(vm, "!waitchain %s" % worker, "Wait chain of THREAD %s" % worker)
    assert re.search(r"^\[0\] THREAD %s \(System Cid [0-9a-f.]+\) WAIT: \(Executive\) KernelMode "
                     r"Non-Alertable, blocked [0-9:.]+ in nt!KdDemoBadDsmWait\+0x" % worker,
                     output, re.M), output
    assert "no process holds a handle to it" in output, output
    assert re.search(r"^    18 other threads wait on it too", output, re.M), output
    assert re.search(r"^    ends here: NotificationEvent %s: no owner .*; a Delayed queue worker "
                     r"inside an item's routine, 18023 items queued behind it \(!exqueue 20\)$"
                     % event, output, re.M), output
    # The driver was made with IoCreateDriver (no image): its DRIVER_OBJECT's
    # DriverStart and DriverSize name it as the code's module, not nt.
    assert re.search(r"^Root: THREAD %s .*in nt!KdDemoBadDsmWait\+0x[0-9a-f]+ \(module mpio\)"
                     % worker, output, re.M), output


def test_analyze_hang_groups_the_workers_under_the_event(vm):
    # The last dynamic threads came a few hundred ms before the break-in:
    # a second more, and all 19 have been blocked a second or more. A second
    # of the guest's clock: on a loaded host, with several processors under
    # TCG, 1.5 s of ours may give it fewer ticks (QEMU drops late ones).
    start = qword_at(vm, "nt!KeTickCount")
    for _ in range(10):
        vm.read_available()
        vm.type_line("g")
        vm.wait_for("g\n", 10)
        time.sleep(1.5)
        vm.send_raw(CTRL_C)
        vm.wait_for(PROMPT, 30)
        vm.read_available(0.3)
        if (qword_at(vm, "nt!KeTickCount") - start) * TICK_MS >= 1500:
            break
    event = flat(symbol_address(vm, "KdDemoDsmEvent"))
    delayed = "%016x" % (int(flat(symbol_address(vm, "ExWorkerQueue")), 16) + 0x58)
    output = run(vm, "!analyze -hang", "HANG ANALYSIS: ", timeout=60)
    assert re.search(r"^ROOT 1: 19 threads in 19 chains end at the same NotificationEvent %s, "
                     r"which no thread owns" % event, output, re.M), output
    assert re.search(r"^    Delayed queue %s: 18023 items pending; 19 of 19 workers blocked; 16 "
                     r"dynamic threads, at the limit: no more will be made \(!exqueue 20\)$"
                     % delayed, output, re.M), output
    # The first report already compares the pool with a baseline: the
    # tracker as the system resumed from the last break-in (`g` above).
    m = re.search(r"^POOL TAGS GROWN SINCE THE LAST BREAK-IN \(the system resumed [0-9:.]+ ago\): "
                  r"\d+$", output, re.M)
    assert m, output


def test_waitchain_all_makes_one_tree_of_the_workers(vm):
    event = flat(symbol_address(vm, "KdDemoDsmEvent"))
    output = run(vm, "!waitchain -a 0", "threads blocked for 0 s or more", timeout=60)
    assert re.search(r"^Tree 1: 19 threads, the oldest blocked [0-9:.]+\n"
                     r"\(19 chains end at the same NotificationEvent %s\)$" % event, output,
                     re.M), output
