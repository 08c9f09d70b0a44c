"""Threads, processes and the scheduler through the debugger, on the demo
scenario (GRUB entry "Sleuth - demo: threads in known waits", demo=waits):
System threads parked in known waits (kernel/kd/demo.c), a zombie process, a
READY thread, a periodic timer with a DPC, and an initial break-in at
DISPATCH_LEVEL with a DPC queued. Every field !thread prints is checked
against what the demo set up; `g` comes last, since it changes the state."""

import re
import time

from e2e import ADDRESS, CTRL_C, PROMPT, SleuthVMError, lines, one_line, qword_at, run, short, \
    symbol_address

FIRMWARE = ("bios", "uefi")
DEMO_MENU_ENTRY = 4
VM_OPTIONS = {"menu_entry": DEMO_MENU_ENTRY}
# Again with four processors (e2e/bios-smp4): the spinner READY on processor 0,
# the others idle, whatever the count.
SMP = 4

HEX16 = r"[0-9a-f]{16}"
TICK_MS = 15.625
STACK_HEADER = "Child-SP          RetAddr           Call Site"
THREAD_COMMANDS = ["!thread", ".thread", "!process", "!ready", "!running", "!timer", "!dpcs",
                   "!irql"]

# Each demo thread: the global holding its ETHREAD, its routine, and the wait
# it is in: (reason, mode, alertability, the objects' lines as regexes).
WAITERS = {
    "EventWaiter": ("Executive", "KernelMode", "Non-Alertable", ["NotificationEvent"]),
    "ReplyWaiter": ("WrLpcReply", "KernelMode", "Non-Alertable", ["Semaphore Limit 0x1"]),
    "Sleeper": ("DelayExecution", "KernelMode", "Non-Alertable", ["NotificationTimer"]),
    "MultipleWaiter": ("UserRequest", "KernelMode", "Alertable",
                       ["SynchronizationEvent", r"Mutant - owning thread %s" % HEX16]),
    "QueueWorker": ("WrQueue", "KernelMode", "Non-Alertable", ["QueueObject"]),
}
# The object each waiter's first line must name (a global of kernel/kd/demo.c).
WAIT_OBJECTS = {
    "EventWaiter": ["KdDemoNotificationEvent"],
    "ReplyWaiter": ["KdDemoReplySemaphore"],
    "MultipleWaiter": ["KdDemoSynchronizationEvent", "KdDemoMutant"],
    "QueueWorker": ["KdDemoQueue"],
}


def flat(address):
    """ffffffff`80123456 -> ffffffff80123456, as !thread prints addresses."""
    return address.replace("`", "")


def demo_thread(vm, name):
    """The address of demo thread `name` (from nt!KdDemo<name>Thread), 16 hex digits."""
    return "%016x" % qword_at(vm, "nt!KdDemo%sThread" % name)


def system_process(vm):
    output = run(vm, "!process 0 0 System", "Image: System")
    m = re.search(r"^PROCESS (%s)$" % HEX16, output, re.M)
    assert m, "!process 0 0 System: no PROCESS line in %s" % short(output)
    return m.group(1)


def field(output, pattern, what):
    m = re.search(pattern, output, re.M)
    assert m, "%s: no /%s/ in %s" % (what, pattern, short(output, 600))
    return m


def check_stack(output, what, routine, first="nt!KiSwapContext+0x", indent=""):
    """The stack after the header: frames in KD's layout, the first one
    `first`, and `routine` among them."""
    assert indent + STACK_HEADER in output, \
        "%s: no stack header in %s" % (what, short(output, 600))
    body = output.split(indent + STACK_HEADER, 1)[1]
    frames = [line for line in lines(body)
              if re.match(r"^%s%s %s \S" % (indent, ADDRESS, ADDRESS), line)]
    assert frames, "%s: no frame lines in %s" % (what, short(body, 600))
    assert first in frames[0], "%s: the first frame is %r, not %s" % (what, frames[0], first)
    assert any(routine + "+0x" in f for f in frames), \
        "%s: no %s in the stack %s" % (what, routine, short("\n".join(frames), 600))
    return frames


def check_common_fields(vm, output, what, process, routine):
    """The lines every full !thread has, checked against each other and the
    system: owning process, tick counts, times, start addresses, stack bounds."""
    field(output, r"^Owning Process %s Image: System$" % process, what)
    m = field(output, r"^Wait Start TickCount (\d+) Ticks: (\d+) \((\d+):(\d\d):(\d\d):(\d\d)"
                      r"\.(\d{3})\)$", what)
    start, ticks = int(m.group(1)), int(m.group(2))
    now = qword_at(vm, "nt!KeTickCount")
    assert start + ticks == now, "%s: Wait Start TickCount %d + Ticks %d != KeTickCount %d" % (
        what, start, ticks, now)
    d, h, mi, s, ms = (int(g) for g in m.groups()[2:])
    shown = (((d * 24 + h) * 60 + mi) * 60 + s) * 1000 + ms
    assert shown == int(ticks * TICK_MS), "%s: %d ticks shown as %d ms" % (what, ticks, shown)
    switches = int(field(output, r"^Context Switch Count (\d+)$", what).group(1))
    assert switches >= 1, "%s: a thread that waits has been switched in: %d" % (what, switches)
    field(output, r"^UserTime \d\d:\d\d:\d\d\.\d{3}$", what)
    field(output, r"^KernelTime \d\d:\d\d:\d\d\.\d{3}$", what)
    win32 = field(output, r"^Win32 Start Address nt!%s \(0x(%s)\)$" % (routine, HEX16),
                  what).group(1)
    assert win32 == flat(symbol_address(vm, routine)), \
        "%s: Win32 Start Address %s is not nt!%s" % (what, win32, routine)
    field(output, r"^Start Address nt!%s$" % routine, what)
    init, current = (int(g, 16) for g in
                     field(output, r"^Stack Init (%s) Current (%s)$" % (HEX16, HEX16),
                           what).groups())
    base, limit = (int(g, 16) for g in
                   field(output, r"^Base (%s) Limit (%s) Call 0$" % (HEX16, HEX16), what).groups())
    assert limit < current < init <= base, \
        "%s: stack bounds out of order: Limit %x Current %x Init %x Base %x" % (
            what, limit, current, init, base)
    return current


# ---------------------------------------------------------------- boot and help

def test_demo_entry_boots_with_the_threads_in_their_waits(vm):
    assert 'command line: "demo=waits"' in vm.boot_text, \
        "entry %d booted another command line" % DEMO_MENU_ENTRY
    assert "Demo: threads in known waits" in vm.boot_text, short(vm.boot_text, 400)
    assert "not every thread reached its wait" not in vm.boot_text


def test_help_lists_the_thread_commands_with_their_syntax(vm):
    output = run(vm, "help")
    listed = {m.group(1) for m in re.finditer(r"^  (\S+)\s+\S", output, re.M)}
    missing = [c for c in THREAD_COMMANDS if c not in listed]
    assert not missing, "help does not list %s" % missing
    for command in THREAD_COMMANDS:
        first = lines(run(vm, "help " + command))[0]
        assert first.startswith(command), "help %s: %r" % (command, first)
    assert "[address [flags]]" in run(vm, "help !thread")


def test_x_finds_the_demo_objects(vm):
    output = run(vm, "x nt!KdDemo*", "nt!KdDemoEventWaiter ", "nt!KdDemoNotificationEvent ")
    for name in WAITERS:
        assert "nt!KdDemo%sThread " % name in output, "x: no KdDemo%sThread" % name


# ---------------------------------------------------------------- !process

def test_process_0_0_lists_idle_system_and_the_zombie(vm):
    output = run(vm, "!process 0 0", "**** NT ACTIVE PROCESS DUMP ****")
    paragraphs = re.findall(r"^PROCESS (%s)\n(    .*\n    .*\n    .*)" % HEX16, output, re.M)
    images = {}
    for address, body in paragraphs:
        rows = body.split("\n")
        assert re.match(r"    SessionId: \S+  Cid: [0-9a-f]{4}    Peb: [0-9a-f]{8,}  "
                        r"ParentCid: [0-9a-f]{4}$", rows[0]), "!process 0 0: %r" % rows[0]
        assert re.match(r"    DirBase: [0-9a-f]{8,}  ObjectTable: [0-9a-f]{8,}  "
                        r"HandleCount: \d+\.$", rows[1]), "!process 0 0: %r" % rows[1]
        m = re.match(r"    Image: (\S+)", rows[2])
        assert m, "!process 0 0: %r" % rows[2]
        images[m.group(1)] = (address, rows)
    assert set(images) >= {"Idle", "System", "zombie.exe"}, "images: %s" % sorted(images)
    assert images["System"][1][0] == \
        "    SessionId: none  Cid: 0004    Peb: 00000000  ParentCid: 0000", images["System"]
    assert "Cid: 0000" in images["Idle"][1][0], images["Idle"]
    assert images["zombie.exe"][1][2] == "    Image: zombie.exe (zombie: exited, 2 references)", \
        images["zombie.exe"]
    assert "ParentCid: 0004" in images["zombie.exe"][1][0], images["zombie.exe"]
    assert images["zombie.exe"][0] == "%016x" % qword_at(vm, "nt!KdDemoZombieProcess")


def test_process_by_image_name_ignores_case(vm):
    for name in ("System", "SYSTEM"):
        output = run(vm, "!process 0 0 " + name, "**** NT ACTIVE PROCESS DUMP ****")
        assert len(re.findall(r"^PROCESS ", output, re.M)) == 1, \
            "!process 0 0 %s: %s" % (name, short(output))
        assert re.search(r"^    Image: System$", output, re.M), short(output)
    output = run(vm, "!process 0 0 nosuch.exe", "No active process has the image name")
    assert not re.search(r"^PROCESS ", output, re.M), short(output)


def test_process_by_address_and_by_cid_show_its_threads(vm):
    system = system_process(vm)
    output = run(vm, "!process " + system, "PROCESS " + system, "ElapsedTime", "BasePriority")
    for name in WAITERS:
        address = demo_thread(vm, name)
        assert re.search(r"^        THREAD %s Cid 0004\.[0-9a-f]{4} " % address, output, re.M), \
            "!process %s: no indented THREAD line for %s" % (system, name)
        assert "nt!KdDemo%s+0x" % name in output, "!process: no stack through KdDemo%s" % name
    assert "        " + STACK_HEADER in output, "!process: stacks not indented"
    by_cid = run(vm, "!process 4 0", "PROCESS " + system)
    assert "THREAD" not in by_cid, short(by_cid)


def test_process_0_7_shows_every_thread_with_its_stack(vm):
    output = run(vm, "!process 0 7", "Image: Idle", "Image: System", "zombie.exe",
                 "TERMINATED", "READY on processor 0", "RUNNING on processor 0")
    for name in WAITERS:
        assert "THREAD " + demo_thread(vm, name) in output, "!process 0 7: no %s" % name
    assert "(no stack: the thread has ended and its kernel stack has been freed)" in output


def test_process_of_a_non_process_is_one_error_line(vm):
    one_line(vm, "!process nt!KdDemoMutant", "is not a process")
    one_line(vm, "!process " + demo_thread(vm, "Sleeper"), "is not a process")


# ---------------------------------------------------------------- !thread

def check_waiter(vm, name):
    reason, mode, alertable, objects = WAITERS[name]
    address = demo_thread(vm, name)
    process = system_process(vm)
    what = "!thread KdDemo%sThread" % name
    output = run(vm, "!thread " + address)
    rows = output.split("\n")
    assert re.match(r"THREAD %s Cid 0004\.[0-9a-f]{4} Teb: 0{16} Win32Thread: 0{16} "
                    r"WAIT: \(%s\) %s %s$" % (address, reason, mode, alertable), rows[0]), \
        "%s: header %r" % (what, rows[0])
    for i, pattern in enumerate(objects):
        assert re.match(r"    %s %s$" % (HEX16, pattern), rows[1 + i]), \
            "%s: wait line %d is %r, not %s" % (what, i, rows[1 + i], pattern)
    for i, symbol in enumerate(WAIT_OBJECTS.get(name, [])):
        expected = flat(symbol_address(vm, symbol))
        assert rows[1 + i].startswith("    " + expected), \
            "%s: wait line %r is not nt!%s (%s)" % (what, rows[1 + i], symbol, expected)
    # A System thread impersonates nobody: WinDbg's line for that, then its process.
    assert rows[1 + len(objects)] == "Not impersonating", \
        "%s: more wait lines than %d: %s" % (what, len(objects), short(output))
    # System's DosDevices map (the seeds' DeviceMap line), then the process.
    assert re.match(r"DeviceMap %s$" % HEX16, rows[2 + len(objects)]), \
        "%s: no DeviceMap line after the impersonation line: %s" % (what, short(output))
    assert rows[3 + len(objects)].startswith("Owning Process"), \
        "%s: more wait lines than %d: %s" % (what, len(objects), short(output))
    current = check_common_fields(vm, output, what, process, "KdDemo" + name)
    field(output, r"^Priority 8 BasePriority 8 PriorityDecrement 0$", what)
    frames = check_stack(output, what, "nt!KdDemo" + name)
    assert frames[0].startswith("%08x`%08x " % (current >> 32, current & 0xffffffff)), \
        "%s: the first frame %r is not at Current %x" % (what, frames[0], current)
    assert "nt!KiSwitchTo+0x" in frames[1], "%s: frame 1 is %r" % (what, frames[1])
    assert any("nt!KiSwapThread+0x" in f for f in frames), "%s: no KiSwapThread" % what
    return output


def test_thread_waiting_on_a_notification_event(vm):
    check_waiter(vm, "EventWaiter")


def test_thread_waiting_for_an_lpc_reply_on_a_semaphore(vm):
    check_waiter(vm, "ReplyWaiter")


def test_thread_in_delay_execution_waits_on_its_own_timer(vm):
    output = check_waiter(vm, "Sleeper")
    address = int(demo_thread(vm, "Sleeper"), 16)
    timer = int(output.split("\n")[1].split()[0], 16)
    assert address < timer < address + 0x300, \
        "the NotificationTimer %x is not the thread's own (%x)" % (timer, address)
    assert "nt!KeDelayExecutionThread+0x" in output


def test_thread_alertable_on_an_event_and_an_owned_mutant(vm):
    output = check_waiter(vm, "MultipleWaiter")
    owner = re.search(r"Mutant - owning thread (%s)" % HEX16, output).group(1)
    assert owner == demo_thread(vm, "EventWaiter"), \
        "the mutant's owner is %s, not the event waiter" % owner


def test_thread_in_kremovequeue(vm):
    output = check_waiter(vm, "QueueWorker")
    assert "nt!KeRemoveQueue+0x" in output


def test_thread_without_an_address_is_the_running_thread(vm):
    output = run(vm, "!thread")
    header = lines(output)[0]
    assert re.match(r"THREAD %s Cid 0004\.[0-9a-f]{4} Teb: 0{16} Win32Thread: 0{16} "
                    r"RUNNING on processor 0$" % HEX16, header), header
    field(output, r"^Start Address nt!Phase1Initialization$", "!thread")
    check_stack(output, "!thread", "nt!KdDemoBreakPoint", first="nt!DbgBreakPoint+0x")
    address = header.split()[1]
    assert lines(run(vm, "!thread -1"))[0] == header
    assert lines(run(vm, "!thread %s 0" % address)) == [header], "flags 0: one line"


def test_ended_thread_is_terminated_without_a_stack(vm):
    address = demo_thread(vm, "Zombie")
    output = run(vm, "!thread " + address, "Image: zombie.exe",
                 "Start Address nt!KdDemoZombieMain",
                 "(no stack: the thread has ended and its kernel stack has been freed)")
    assert re.match(r"THREAD %s Cid [0-9a-f]{4}\.[0-9a-f]{4} .* TERMINATED$" % address,
                    lines(output)[0]), lines(output)[0]


def test_thread_of_something_else_is_one_error_line(vm):
    one_line(vm, "!thread nt!KdDemoMutant", "is not a thread", "DISPATCHER_HEADER.Type is 2")
    one_line(vm, "!thread 0", "is not a thread")
    one_line(vm, "!thread ffffffff`ffff0000", "is not a thread")
    one_line(vm, "!thread poi(nt!KdDemoZombieProcess)", "is not a thread")
    run(vm, "? 1", "Evaluate expression: 1 =")      # the shell goes on


# ---------------------------------------------------------------- scheduler

def test_ready_shows_the_preempted_spinner(vm):
    spinner = demo_thread(vm, "Spinner")
    output = run(vm, "!ready", "Processor 0: Ready Threads at priority 1")
    assert re.search(r"^    THREAD %s Cid 0004\.[0-9a-f]{4} Teb: 0{16} Win32Thread: 0{16} "
                     r"READY on processor 0$" % spinner, output, re.M), short(output, 400)
    field(output, r"^    Priority 1 BasePriority 1 PriorityDecrement 0$", "!ready")
    # Preempted by the clock: the stack goes through the dispatch interrupt.
    check_stack(output, "!ready", "nt!KdDemoSpinner", indent="    ")
    # The other processors (-smp N) run their idle threads: nothing ready.
    assert lines(run(vm, "!ready 0")) == [
        "Processor 0: Ready Threads at priority 1",
        "    THREAD %s Cid %s Teb: %s Win32Thread: %s READY on processor 0" % (
            spinner, re.search(r"Cid (\S+)", output).group(1), "0" * 16, "0" * 16)] + [
        "Processor %d: No threads in READY state" % n for n in range(1, processors(vm))]


def processors(vm):
    """The processor count, as `version` says it."""
    return int(re.search(r"Processors: (\d+);", run(vm, "version", "Processors: ")).group(1))


def test_running_shows_the_current_thread(vm):
    thread = run(vm, "!thread")
    current = lines(thread)[0].split()[1]
    # Its current priority: the base (8), or above it while a wake-up boost
    # lasts (the boot thread has just waited for init).
    priority = int(re.search(r"^Priority (\d+) BasePriority 8 ", thread, re.M).group(1))
    every = (1 << processors(vm)) - 1       # the others (-smp N) are idle
    output = run(vm, "!running", "System Processors:  (%016x)" % every,
                 "Idle Processors:  (%016x)" % (every & ~1), "Prcbs")
    assert re.search(r"^  0    %s  %s \(%2d\) " % (HEX16, current, priority), output, re.M), \
        "!running: no line with the current thread %s in %s" % (current, short(output))
    check_stack(run(vm, "!running -t"), "!running -t", "nt!KdDemoBreakPoint",
                first="nt!DbgBreakPoint+0x")


def test_timer_lists_the_sleepers_timeout_and_the_periodic_dpc_timer(vm):
    sleeper = demo_thread(vm, "Sleeper")
    output = run(vm, "!timer", "Dump system timers", "Total Timers:")
    m = field(output, r"^ *\d+ (%s) NotificationTimer +(\d+) (\d+):(\d\d):(\d\d):(\d\d)\.\d{3} +0"
                      r"  thread %s$" % (HEX16, sleeper), "!timer")
    now = qword_at(vm, "nt!KeTickCount")
    due = int(m.group(2))
    assert due > now, "the sleeper's timer is due at %d, before now (%d)" % (due, now)
    hours = int(m.group(3)) * 24 + int(m.group(4))
    assert hours == 0 and int(m.group(5)) >= 59, "an hour's sleep shows %s" % m.group(0)
    timer = flat(symbol_address(vm, "KdDemoPeriodicTimer"))
    dpc = flat(symbol_address(vm, "KdDemoTimerDpc"))
    field(output, r"^ *\d+ %s SynchronizationTimer +\d+ \S+ +1000  "
                  r"nt!KdDemoTimerDpcRoutine \(DPC @ %s\)$" % (timer, dpc), "!timer")
    total = int(field(output, r"^Total Timers: (\d+), Maximum List: \d+$", "!timer").group(1))
    assert total >= 2, "!timer: %d timers" % total


def test_dpcs_shows_the_dpc_queued_at_the_break_in(vm):
    dpc = flat(symbol_address(vm, "KdDemoBreakDpc"))
    routine = flat(symbol_address(vm, "KdDemoBreakDpcRoutine"))
    output = run(vm, "!dpcs", "CPU Type      KDPC               Function")
    field(output, r"^ 0: Normal  : 0x%s 0x%s nt!KdDemoBreakDpcRoutine$" % (dpc, routine), "!dpcs")


def test_irql_is_the_break_ins_dispatch_level(vm):
    one_line(vm, "!irql", "Debugger saved IRQL for processor 0x0 -- 2 (DISPATCH_LEVEL)")
    run(vm, "!irql 0x40", "Processor 64 does not exist (processors 0-")


# ---------------------------------------------------------------- .thread

def test_dot_thread_makes_k_and_r_show_a_waiting_thread(vm):
    address = demo_thread(vm, "ReplyWaiter")
    run(vm, ".thread " + address, "Implicit thread is now %s`%s" % (address[:8], address[8:]),
        "unknown")
    current = int(field(run(vm, "!thread " + address), r"^Stack Init %s Current (%s)$" % (
        HEX16, HEX16), "!thread").group(1), 16)
    frames = check_stack(run(vm, "k"), "k after .thread", "nt!KdDemoReplyWaiter")
    assert "nt!KiSwitchTo+0x" in frames[1] and "nt!KeWaitForSingleObject+0x" in "".join(frames)
    registers = run(vm, "r", "unknown")
    assert re.search(r"^nt!KiSwitchTo\+0x[0-9a-f]+:$", registers, re.M), short(registers, 500)
    assert "rsp=%016x" % (current + 0x40) in registers, \
        "r: rsp is not past the switch frame (Current %x + 0x40): %s" % (current, short(registers))
    assert re.search(r"rax=0{16}", registers), short(registers)
    assert "%016x" % (current + 0x40) in one_line(vm, "? @rsp").replace("`", "")
    assert lines(run(vm, "!thread"))[0].startswith("THREAD " + address), \
        "!thread after .thread is the implicit thread"


def test_dot_thread_refuses_a_thread_without_a_stack_and_keeps_the_context(vm):
    before = run(vm, "k")
    one_line(vm, ".thread " + demo_thread(vm, "Zombie"), "stack has been freed")
    one_line(vm, ".thread nt!KdDemoMutant", "is not a thread")
    assert run(vm, "k") == before


def test_dot_thread_alone_returns_to_the_break_in(vm):
    run(vm, ".thread", "Implicit thread is now")
    check_stack(run(vm, "k"), "k after .thread", "nt!KdDemoBreakPoint",
                first="nt!DbgBreakPoint+0x")
    assert "unknown" not in run(vm, "r")


def test_g_resumes_from_the_real_context_after_dot_thread(vm):
    run(vm, ".thread " + demo_thread(vm, "Sleeper"), "Implicit thread is now")
    before = qword_at(vm, "nt!KeTickCount")
    vm.read_available()
    vm.type_line("g")
    vm.wait_for("g\n", 10)
    try:
        early = vm.wait_for(PROMPT, 1.5)
        raise AssertionError("the prompt came back without a break-in: %s" % short(early))
    except SleuthVMError:
        pass
    vm.send_raw(CTRL_C)
    text = vm.wait_for(PROMPT, 20)
    assert "Break instruction exception" in text, short(text)
    time.sleep(0.1)
    assert qword_at(vm, "nt!KeTickCount") > before, "the clock did not run"
    assert qword_at(vm, "nt!KdDemoBreakDpcCount") == 1, "the queued DPC did not run once"
    # Ctrl-C lands wherever the system was: most likely the idle loop, but
    # possibly with the clock's timer DPC queued or running.
    line = one_line(vm, "!irql")
    assert re.match(r"Debugger saved IRQL for processor 0x0 -- (0 \(LOW_LEVEL\)|"
                    r"2 \(DISPATCH_LEVEL\))$", line), line
    assert "KdDemoBreakDpcRoutine" not in run(vm, "!dpcs"), "the demo's DPC is still queued"
    run(vm, "!ready", "No threads in READY state")      # the spinner stopped and waits
    assert "unknown" not in run(vm, "r"), "the new break-in starts from its own context"
    output = run(vm, "!thread " + demo_thread(vm, "Spinner"), "WAIT: (Executive)")
    check_stack(output, "the spinner", "nt!KdDemoSpinner")
