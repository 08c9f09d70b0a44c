// Phase probes (kephase.h): the edge counts and their report. Compiled in
// every build; the probes themselves only with PHASES=1.

#include "ke/ke.h"
#include "ke/kephase.h"
#include "arch/x86_64/x86.h"

#ifdef KE_PHASES

typedef struct _KI_PHASE_EDGE {
    ULONG64 Instructions;
    ULONG64 Count;
} KI_PHASE_EDGE;

static const char *const KiPhaseNames[KiPhasePointCount] = {
    "start", "calibrate",
    "syscall-enter", "syscall-service", "syscall-return", "syscall-exit",
    "wait-enter", "wait-block", "wait-return", "swap-out", "swap-in", "dispatch-interrupt",
    "lpc-header-captured", "port-referenced", "lpc-message-captured", "lpc-queued",
    "lpc-reply-wait", "lpc-reply-woken", "lpc-reply-copied", "lpc-receive-wait",
    "lpc-receive-woken", "lpc-dequeued", "lpc-receive-copied", "lpc-reply-captured",
    "lpc-replied",
};

static KI_PHASE_EDGE KiPhaseEdges[KiPhasePointCount][KiPhasePointCount];
static BOOLEAN KiPhaseActive;
static KE_PHASE_POINT KiPhaseLast;
static ULONG64 KiPhaseLastTsc;
static ULONG64 KiPhaseOverhead;     // what one probe adds to the edge it ends

void KiPhase(KE_PHASE_POINT point)
{
    BOOLEAN enabled;
    ULONG64 now = __rdtsc();
    KI_PHASE_EDGE *edge;

    if (!KiPhaseActive)
        return;
    enabled = KiDisableInterrupts();
    edge = &KiPhaseEdges[KiPhaseLast][point];
    edge->Instructions += now - KiPhaseLastTsc;
    edge->Count++;
    KiPhaseLast = point;
    KiRestoreInterrupts(enabled);
    // The bookkeeping above is not charged to the next edge.
    KiPhaseLastTsc = __rdtsc();
}

void KiPhaseStart(void)
{
    KI_PHASE_EDGE *calibration = &KiPhaseEdges[KiPhaseCalibrate][KiPhaseCalibrate];

    memset(KiPhaseEdges, 0, sizeof(KiPhaseEdges));
    KiPhaseActive = TRUE;
    KiPhaseLast = KiPhaseStartPoint;
    KiPhaseLastTsc = __rdtsc();
    for (ULONG i = 0; i < 101; i++)
        KiPhase(KiPhaseCalibrate);
    KiPhaseOverhead = calibration->Instructions / calibration->Count;
    memset(KiPhaseEdges, 0, sizeof(KiPhaseEdges));
    KiPhaseLast = KiPhaseStartPoint;
    KiPhaseLastTsc = __rdtsc();
}

void KiPhaseReport(const char *bench, ULONG rounds)
{
    ULONG64 total = 0, listed = 0;

    KiPhaseActive = FALSE;
    DbgPrint("PHASE %s probe-overhead %llu (taken off every edge)\n", bench,
             (unsigned long long)KiPhaseOverhead);
    for (ULONG from = 0; from < KiPhasePointCount; from++) {
        for (ULONG to = 0; to < KiPhasePointCount; to++) {
            KI_PHASE_EDGE *edge = &KiPhaseEdges[from][to];
            ULONG64 net;

            if (!edge->Count)
                continue;
            net = edge->Instructions - edge->Count * KiPhaseOverhead;
            total += net;
            if (edge->Count < rounds / 2)
                continue;
            listed += net;
            DbgPrint("PHASE %s %s %s %llu %llu\n", bench, KiPhaseNames[from], KiPhaseNames[to],
                     (unsigned long long)edge->Count, (unsigned long long)(net / rounds));
        }
    }
    DbgPrint("PHASE %s total - %u %llu (listed %llu)\n", bench, rounds,
             (unsigned long long)(total / rounds), (unsigned long long)(listed / rounds));
}

#else

void KiPhaseStart(void)
{
}

void KiPhaseReport(const char *bench, ULONG rounds)
{
}

#endif
