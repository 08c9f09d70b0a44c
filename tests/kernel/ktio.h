// The in-kernel test drivers of the I/O manager (ktio.c), made with
// IoCreateDriver: a device that completes every request synchronously, one
// that holds reads and ioctls until told (cancellable), one that fails
// every request, and a stack three devices deep whose upper two pass each
// request down with a completion routine. tests/kernel/ktiodev.h names them.
#pragma once

#include "io/io.h"
#include "tests/kernel/ktiodev.h"

typedef struct _KTIO_COUNTERS {
    LONG Creates, Cleanups, Closes;     // on every test device together
    LONG Cancels;                       // cancel routines run on the pend device
    LONG CompletionOrder[3];            // stack: which completion ran 1st, 2nd (device index)
    LONG Completions;                   // completion routines run in the stack
} KTIO_COUNTERS;

extern KTIO_COUNTERS KtIoCounters;
extern DEVICE_OBJECT *KtIoSyncDevice, *KtIoPendDevice, *KtIoFailDevice;
extern DEVICE_OBJECT *KtIoBottomDevice, *KtIoMiddleDevice, *KtIoTopDevice;
// The middle device's completion routine asks for more processing and
// completes the IRP again itself when this is set.
extern BOOLEAN KtIoMiddleTakesOver;
extern IRP *KtIoTakenIrp;           // the IRP it kept

// Makes the drivers and devices (and \??\KtIoSync); once per test that
// needs them, undone by KtIoStopDrivers, which leaves no pool behind.
NTSTATUS KtIoStartDrivers(void);
void KtIoStopDrivers(void);
// The pend device's held requests: how many, and complete them all.
ULONG KtIoHeldCount(void);
void KtIoCompleteHeld(NTSTATUS status);
