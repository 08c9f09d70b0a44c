// KiSystemStartup: the order in which Sleuth's parts come up. Each step may
// use only what the steps before it built.

#include "ke/ke.h"
#include "mm/mm.h"
#include "ob/ob.h"
#include "ex/ex.h"
#include "ps/ps.h"
#include "io/io.h"
#include "lpc/lpcp.h"
#include "alpc/alpcp.h"
#include "se/se.h"
#include "kd/kd.h"
#include "kd/exercise.h"
#include "init/cmdline.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"
#include "tests/kernel/ktest.h"

#define MULTIBOOT2_BOOTLOADER_MAGIC 0x36D76289
#define SLEUTH_VERSION "0.1"

static void KiClockInterrupt(KTRAP_FRAME *trapFrame)
{
    if (KeGetCurrentPrcb()->Number != 0) {
        KeUpdateRunTime(trapFrame);
        return;
    }
    KeUpdateSystemTime(trapFrame);
    KdClockTick();
    HalpDisplayClockTick();
}

static void KiSerialInterrupt(KTRAP_FRAME *trapFrame)
{
    HalpSerialInterrupt();
}

static void KiKeyboardInterrupt(KTRAP_FRAME *trapFrame)
{
    HalpKeyboardInterrupt();
}

static void KiMapDisplay(void)
{
    const LOADER_FRAMEBUFFER *fb = &KeLoaderBlock.Framebuffer;
    void *mapped;

    if (fb->Type == FramebufferNone || !fb->PhysicalAddress)
        return;
    mapped = MmMapIoSpace(fb->PhysicalAddress, (SIZE_T)fb->Pitch * fb->Height,
                          fb->Type == FramebufferEgaText ? MmNonCached : MmWriteCombined);
    HalInitializeDisplay(mapped);
}

static void KiPrintMemorySummary(void)
{
    MM_STATISTICS stats;

    MmQueryStatistics(&stats);
    DbgPrint("Memory: %llu MB usable, %llu pages free, highest page %llx\n",
             (unsigned long long)(stats.TotalRamPages * PAGE_SIZE >> 20),
             (unsigned long long)stats.AvailablePages,
             (unsigned long long)stats.HighestPhysicalPage);
    // Without the archive nothing but the kernel runs: no driver, no
    // init.exe. The usual cause is a loader short of memory (GRUB under
    // OVMF with 64 MiB), so the line names the memory and the cure.
    if (!PsBootArchivePresent())
        DbgPrint("Boot: the boot archive (the multiboot2 module \"user\", /boot/user.img) "
                 "is missing: the boot loader did not load it, so no driver and no user "
                 "program can start.\nBoot: with %llu MB of memory the loader may have run "
                 "out of memory: give the machine at least 128 MB.\n",
                 (unsigned long long)(stats.TotalRamPages * PAGE_SIZE >> 20));
}

// The first user process, as NT's session manager: init.exe, given the
// programs run= names as its command line ("init.exe hello,sharer"). init
// starts them, and sets \KernelObjects\InitialProgramsDone once they have
// all exited (at once when there are none); the initial break-in waits for
// that (a few seconds at most) so that what short programs print comes
// before the prompt.
#define INIT_PROGRAMS_TIMEOUT_MS 5000
#define HUNDRED_NS_PER_MS 10000LL

// A named notification event. Its name is permanent, so it lives on
// without a handle: the System process's handle table stays as it was.
static KEVENT *KiCreateInitialProgramsEvent(void)
{
    static const WCHAR path[] = u"\\KernelObjects\\InitialProgramsDone";
    UNICODE_STRING name = {sizeof(path) - sizeof(WCHAR), sizeof(path), (WCHAR *)path};
    OBJECT_ATTRIBUTES attributes;
    KEVENT *event, *named;
    HANDLE handle;

    InitializeObjectAttributes(&attributes, &name, OBJ_PERMANENT, NULL, NULL);
    if (!NT_SUCCESS(ObCreateObject(ExEventObjectType, sizeof(KEVENT), (void **)&event)))
        return NULL;
    KeInitializeEvent(event, NotificationEvent, FALSE);
    if (!NT_SUCCESS(ObInsertObject(event, &attributes, EVENT_ALL_ACCESS, (void **)&named,
                                   &handle)))
        return NULL;
    ObCloseHandle(handle);
    return named;
}

// Setting the event wakes this thread, which may run before init (and the
// servers it started) have gone on into their waits: it then sleeps a tick
// at a time (a few at most) until every user thread waits, so that the
// break-in finds a settled system. (A program that computes without end
// keeps it from settling; the ticks run out and the boot goes on.)
#define INIT_SETTLE_TICKS 16

static BOOLEAN KiUserThreadsWait(void)
{
    BOOLEAN waiting = TRUE;
    KIRQL oldIrql;

    KeAcquireSpinLock(&PspActiveProcessLock, &oldIrql);
    KiAcquireDispatcherLockAtDpcLevel();
    for (LIST_ENTRY *p = PsActiveProcessHead.Flink; p != &PsActiveProcessHead; p = p->Flink) {
        EPROCESS *process = CONTAINING_RECORD(p, EPROCESS, ActiveProcessLinks);

        if (process == PsInitialSystemProcess || process == PsIdleProcess)
            continue;
        for (LIST_ENTRY *t = process->ThreadListHead.Flink; t != &process->ThreadListHead;
             t = t->Flink) {
            ETHREAD *thread = CONTAINING_RECORD(t, ETHREAD, ThreadListEntry);

            if (thread->Tcb.State != Waiting && thread->Tcb.State != Terminated)
                waiting = FALSE;
        }
    }
    KiReleaseDispatcherLockFromDpcLevel();
    KeReleaseSpinLock(&PspActiveProcessLock, oldIrql);
    return waiting;
}

static void KiStartInitialProcess(const char *programs)
{
    LARGE_INTEGER timeout = {.QuadPart = -INIT_PROGRAMS_TIMEOUT_MS * HUNDRED_NS_PER_MS};
    char commandLine[16 + KCMDLINE_NAME_LENGTH];
    LARGE_INTEGER tick = {.QuadPart = -(LONG64)KeQueryTimeIncrement()};
    KEVENT *done = KiCreateInitialProgramsEvent();
    EPROCESS *init;
    NTSTATUS status;

    RtlStringPrintf(commandLine, sizeof(commandLine), programs[0] ? "init.exe %s" : "init.exe",
                    programs);
    status = PsStartUserProgram("init", commandLine, &init);
    if (!NT_SUCCESS(status)) {
        DbgPrint("Init: init.exe could not start: status %08x\n", (ULONG)status);
        return;
    }
    DbgPrint("Init: started init.exe (Cid %llx): \"%s\"\n",
             (unsigned long long)(ULONG_PTR)init->UniqueProcessId, commandLine);
    // Even with nothing to start, init has run (and sits in its wait) by
    // the time the prompt appears: the break-in sees a settled system.
    if (done) {
        status = KeWaitForSingleObject(done, Executive, KernelMode, FALSE, &timeout);
        if (status == STATUS_WAIT_0) {
            for (ULONG i = 0; i < INIT_SETTLE_TICKS && !KiUserThreadsWait(); i++)
                KeDelayExecutionThread(KernelMode, FALSE, &tick);
        } else {
            DbgPrint("Init: the programs still run after %u ms\n",
                     (ULONG)INIT_PROGRAMS_TIMEOUT_MS);
        }
        ObDereferenceObject(done);
    }
    ObDereferenceObject(init);
}

// Phase 1 of initialization runs as a System thread, like NT's
// Phase1Initialization: by now the scheduler runs, so the self-tests and the
// debugger's initial break-in happen in an ordinary thread.
static void Phase1Initialization(void *context)
{
    // The other processors first, as NT's phase 1: the worker queues made
    // next allow one running thread per processor.
    KeStartAllProcessors();
    ExpWorkerInitialization();      // the system worker threads, as NT's phase 1
    IopInitializeBootDrivers();     // the Start=0 services (io/loaddrv.c)
    if (KeBootOptions.RunTests) {
        KtRunTests(&KeBootOptions);     // exits the emulator, or drops to the shell
        return;
    }
    if (KeBootOptions.RunBenchmarks) {
        KtRunBenchmarks();
        return;
    }
    if (KeBootOptions.RunStress) {
        KtRunStress();                  // exits the emulator
        return;
    }
    if (KeBootOptions.RunFuzz) {
        KtRunFuzz(&KeBootOptions);      // exits the emulator, or drops to the shell
        return;
    }
    // The pool as the kernel has it now, before the demos and programs:
    // !analyze -hang says what grew since.
    KdRecordPoolBaseline();
    // `.start`'s thread (not in the self-test boots: no smss there).
    KdInitStartThread();
    if (KeBootOptions.Demo == KBootDemoWaits)
        KdStartWaitDemo();
    if (KeBootOptions.Demo == KBootDemoHang)
        KdStartHangDemo();
    if (KeBootOptions.Demo == KBootDemoExQueue)
        KdStartExQueueDemo();
    if (KeBootOptions.Demo == KBootDemoIo)
        KdStartIoDemo();
    if (KeBootOptions.Demo == KBootDemoAlpc)
        KdStartAlpcDemo();
    KiStartInitialProcess(KeBootOptions.Run);
    // After init: an exercise's scenario uses the system servers (lsass).
    if (KeBootOptions.Exercise != KBOOT_NO_EXERCISE)
        KdStartExercise();
    if (KeBootOptions.Exercise != KBOOT_NO_EXERCISE)
        KdAgeExercise();        // hours of guest time, then the break-in
    if (!KeBootOptions.NoInitialBreak) {
        // The boot processor breaks in, as on NT (`0: kd>`): with several
        // processors this thread may have been moved to another one.
        KeSetSystemAffinityThread(1);
        // Under QEMU's -icount the TSC counts instructions since reset:
        // `make bench` reads boot-to-prompt cost from this line.
        DbgPrint("Boot: prompt reached at TSC %llu\n", (unsigned long long)__rdtsc());
        if (KeBootOptions.Demo == KBootDemoWaits)
            KdDemoBreakPoint();
        else
            DbgBreakPoint();
    }
}


// Called by the boot stub on the boot stack, interrupts off, with the boot
// page tables (identity map of the first 4 GiB plus the kernel image).
void KiSystemStartup(ULONG magic, ULONG64 multibootInfo) __attribute__((noreturn));
void KiSystemStartup(ULONG magic, ULONG64 multibootInfo)
{
    BOOLEAN optionsOk;

    KiInitializeProcessor();
    HalInitializeSerial();
    KdInitSystem();

    if (magic != MULTIBOOT2_BOOTLOADER_MAGIC ||
        !HalpParseMultiboot2((const void *)(ULONG_PTR)multibootInfo))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, magic, multibootInfo, 0, 0);
    optionsOk = KiParseCommandLine(KeLoaderBlock.CommandLine, &KeBootOptions);
    HalSelectConsoles(KeBootOptions.SerialConsole, KeBootOptions.ScreenConsole);

    DbgPrint("\nSleuth %s (x86-64), an NT kernel in miniature\n", SLEUTH_VERSION);
    DbgPrint("Loaded by %s, %s boot, command line: \"%s\"\n",
             KeLoaderBlock.BootLoaderName[0] ? KeLoaderBlock.BootLoaderName : "?",
             KeLoaderBlock.EfiBoot ? "UEFI" : "BIOS", KeLoaderBlock.CommandLine);
    if (!optionsOk)
        DbgPrint("Warning: malformed value on the command line; defaults used for it\n");
    if (KeBootOptions.Unknown[0])
        DbgPrint("Warning: unknown command-line option '%s' ignored\n", KeBootOptions.Unknown);

    MmInitSystem();
    ExInitializePool();
    KiBootSystemTime = HalQueryRealTimeClock();
    KiInitializeDispatcher();
    KiInitializeTimers();
    // The object manager first: Process and Thread are types named in
    // \ObjectTypes, and the System process gets a handle table.
    ObInitSystem();
    // Tokens before processes: the System process runs with SYSTEM's.
    SeInitSystem();
    PsInitSystem();
    MmInitSectionObjectType();
    ExInitSystem();
    LpcInitSystem();
    AlpcInitSystem();
    IoInitSystem();
    HalInitializeAcpi();
    KiMapDisplay();
    KiPrintMemorySummary();
    DbgPrint("Console: serial %s, display %s\n", HalSerialPresent() ? "COM1 115200" : "none",
             HalDisplayDescription());
    // What is missing, said plainly on whichever console there is.
    if (!HalSerialPresent())
        DbgPrint("Console: no serial port (no UART answers at COM1, I/O port 3f8): "
                 "the screen is the only console\n");
    if (!HalDisplayPresent())
        DbgPrint("Console: no screen (the loader reported no framebuffer, or VGA text "
                 "memory does not answer): COM1 is the only console\n");

    HalInitializeInterruptControllers();
    KeConnectInterrupt(CLOCK_VECTOR, KiClockInterrupt);
    KeConnectInterrupt(SERIAL_VECTOR, KiSerialInterrupt);
    KeConnectInterrupt(KEYBOARD_VECTOR, KiKeyboardInterrupt);
    HalStartClock();
    DbgPrint("Clock: %u.%03u ms tick, TSC %llu MHz, %u processor(s) in the MADT\n",
             (ULONG)(CLOCK_TICK_MICROSECONDS / 1000), (ULONG)(CLOCK_TICK_MICROSECONDS % 1000),
             (unsigned long long)(HalQueryPerformanceFrequency() / 1000000),
             HalGetProcessorCount());
    HalEnableIrq(4, SERIAL_VECTOR);
    if (!HalInitializeKeyboard())
        DbgPrint("Keyboard: no PS/2 keyboard controller (i8042): type on a USB keyboard "
                 "(xhci.sys, kbdhid.sys) or on COM1\n");
    HalEnableIrq(1, KEYBOARD_VECTOR);
    _enable();
    HalpKeyboardPoll();     // a key pressed while IRQ1 was masked would block it

    if (!NT_SUCCESS(PsCreateSystemThread(NULL, 0, NULL, NULL, NULL, Phase1Initialization,
                                         NULL)))
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0, 0, 0, 0);
    KiIdleLoop();
    KiIdleLoopReturned();
}
