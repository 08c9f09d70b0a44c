// Phase probes: where the instructions of a path go, for `make bench-phases`.
//
// Built with PHASES=1 (-DKE_PHASES), every KE_PHASE(point) on a path reads
// the TSC, which under QEMU's -icount counts instructions, and adds the
// instructions since the previous probe (whichever thread or processor
// state it was in) to the edge previous -> point. A benchmark starts the
// count, runs its rounds and prints every edge taken at least once a round
// as "PHASE <bench> <from> <to> <count> <per-round>"; tools/bench.py
// --phases collects them. The probe's own cost is measured first (two
// probes back to back) and taken off every edge. In a normal build
// KE_PHASE is nothing at all.
#pragma once

#include "rtl/rtl.h"

typedef enum _KE_PHASE_POINT {
    KiPhaseStartPoint,          // the start of a benchmark round set
    KiPhaseCalibrate,
    // System calls (ke/syscall.c).
    KiPhaseSyscallEnter,        // KiSystemServiceDispatch, first line
    KiPhaseSyscallService,      // arguments gathered, the service called
    KiPhaseSyscallReturn,       // the service returned
    KiPhaseSyscallExit,         // back to KiSystemCall64, on the way to user mode
    // The dispatcher (ke/sched.c, ke/wait.c).
    KiPhaseWaitEnter,
    KiPhaseWaitBlock,           // the thread blocks: KiSwapThread next
    KiPhaseWaitReturn,
    KiPhaseSwapOut,             // the switch: the old thread's last instruction before it
    KiPhaseSwapIn,              // the new thread's first after it
    KiPhaseDispatchInterrupt,
    // LPC (kernel/lpc).
    KiPhaseLpcHeaderCaptured,   // the user's header probed, read and checked
    KiPhasePortReferenced,      // the handle looked up
    KiPhaseLpcMessageCaptured,  // the message in a block
    KiPhaseLpcQueued,           // on the queue, the receiver readied, LpcpLock released
    KiPhaseLpcReplyWait,        // the sender about to wait for its reply
    KiPhaseLpcReplyWoken,       // ... and back with it
    KiPhaseLpcReplyCopied,      // the reply in the caller's buffer, the block freed
    KiPhaseLpcReceiveWait,      // a receiver about to wait on its queue
    KiPhaseLpcReceiveWoken,
    KiPhaseLpcDequeued,         // the message copied out of its block, the block freed
    KiPhaseLpcReceiveCopied,    // in the receiver's buffer
    KiPhaseLpcReplyCaptured,    // a server's reply in a block
    KiPhaseLpcReplied,          // handed to the client thread
    KiPhasePointCount
} KE_PHASE_POINT;

#ifdef KE_PHASES
void KiPhase(KE_PHASE_POINT point);
#define KE_PHASE(point) KiPhase(point)
#define KE_PHASES_BUILT 1
#else
#define KE_PHASE(point) ((void)0)
#define KE_PHASES_BUILT 0
#endif

// The benchmarks' side (no-ops in a normal build): start counting, and
// stop and print the edges taken at least `rounds` / 2 times.
void KiPhaseStart(void);
void KiPhaseReport(const char *bench, ULONG rounds);
