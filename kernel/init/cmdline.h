// The kernel command line GRUB passes ("console=serial test=all nobreak").
#pragma once

#include "rtl/rtl.h"

#define KCMDLINE_MAX_TESTS 32
#define KCMDLINE_NAME_LENGTH 48
#define KCMDLINE_RUN_NAME_MAX 11     // NAME.exe within an image name's 16 bytes
#define KCMDLINE_STUDENT_MAX 32      // student=ID: letters, digits, '.', '_', '-'
#define KBOOT_NO_EXERCISE 0xFFFFFFFFu

// demo=NAME: a scenario the debugger can be tried on.
typedef enum _KBOOT_DEMO {
    KBootDemoNone,
    KBootDemoWaits,             // demo=waits: System threads in known waits (kd/demo.c)
    KBootDemoHang,              // demo=hang: a thread spinning at DISPATCH_LEVEL (kd/demohang.c)
    KBootDemoExQueue,           // demo=exqueue: a stuck Delayed worker queue (kd/demoexq.c)
    KBootDemoIo,                // demo=io: a thread waits on an IRP in a driver (kd/demoio.c)
    KBootDemoAlpc,              // demo=alpc: an ALPC chain of three processes (kd/demoalpc.c)
} KBOOT_DEMO;

typedef struct _KBOOT_OPTIONS {
    BOOLEAN SerialConsole;        // console=serial|screen|both (default both)
    BOOLEAN ScreenConsole;
    BOOLEAN NoInitialBreak;       // nobreak: run without the initial break-in
    BOOLEAN PeriodicClock;        // clock=periodic: tick 64 times a second even when
                                  //   idle (default clock=tickless, kernel/ke/idleclock.c)
    BOOLEAN RunTests;             // test=all or test=name,name
    BOOLEAN AllTests;
    ULONG TestCount;
    char Tests[KCMDLINE_MAX_TESTS][KCMDLINE_NAME_LENGTH];
    BOOLEAN RunBenchmarks;        // bench
    BOOLEAN RunStress;            // stress: the long load tests (make stress)
    KBOOT_DEMO Demo;              // demo=waits|hang|exqueue|io|alpc (default none)
    char Run[KCMDLINE_NAME_LENGTH]; // run=A,B: init starts A.exe and B.exe (default none)
    BOOLEAN RunFuzz;              // fuzz=SEED,SECS: a fuzzing campaign (docs/fuzzing.md)
    ULONG64 FuzzSeed;
    ULONG FuzzSeconds;
    char FuzzAvoid[KCMDLINE_NAME_LENGTH]; // fuzzavoid=1,5: known bugs the fuzzer avoids
    ULONG Exercise;               // exercise=NNN: the case study's number (KBOOT_NO_EXERCISE)
    char Student[KCMDLINE_STUDENT_MAX + 1]; // student=ID: the exercise's variant (default "")
    BOOLEAN AgeGiven;             // age=SECONDS: the exercise's age instead of its own
    ULONG64 AgeSeconds;           //   (0 to 1,000,000,000)
    char Unknown[128];            // the first word we did not understand, for the boot log
} KBOOT_OPTIONS;

// Parses `commandLine` into `options`. Unknown words are not fatal: the first
// is reported in options->Unknown. Returns FALSE if a value was malformed.
BOOLEAN KiParseCommandLine(const char *commandLine, KBOOT_OPTIONS *options);

extern KBOOT_OPTIONS KeBootOptions;
