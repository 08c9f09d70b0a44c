// What the in-kernel benchmark files share (kbench.c runs them all).
#pragma once

#include "rtl/rtl.h"

#define BENCH_ROUNDS 10000
#define BENCH_PRIORITY 12   // above the demo and test threads, below real time

void KbReport(const char *name, ULONG64 *samples, ULONG count, const char *unit);
// LPC round trips between kernel threads (kbenchlpc.c); samples holds BENCH_ROUNDS.
void KbLpc(ULONG64 *samples);
// The LPC round trip with the server pinned to processor 1 and the caller
// to processor 0 (kbenchlpc.c); samples holds BENCH_ROUNDS.
void KbLpcCrossProcessor(ULONG64 *samples);
// Under -smp 2 or more, `bench` runs only these: the event and LPC round
// trips between processors 0 and 1 (kbenchmp.c).
void KbCrossProcessor(ULONG64 *samples);
// System worker queues: dispatch cost per item and queue-to-start latency
// (kbenchwq.c); samples holds BENCH_ROUNDS.
void KbWorkQueue(ULONG64 *samples);
// The consoles' cost per line of debugger output (kbenchcon.c); samples
// holds BENCH_ROUNDS.
void KbConsole(ULONG64 *samples);
// The debugger's CFI stack walk, per frame (kbenchkd.c); samples holds BENCH_ROUNDS.
void KbStackWalk(ULONG64 *samples);
// !vm over 30,000 zombie processes, per listed process (kbenchvm.c);
// samples holds BENCH_ROUNDS.
void KbVmZombies(ULONG64 *samples);
// !waitchain -a's walk and forest for 250, 500 and 1,000 blocked threads
// (kbenchwait.c); samples holds BENCH_ROUNDS.
void KbWaitChain(ULONG64 *samples);
