// What !waitchain -a and !analyze -hang share (cmdwait.c): the forest of
// blocked threads, built once per command from KdpWaitIndex, each thread a
// node with the node it waits on (Parent) and the root its chain ends at.
#pragma once

#include "kd/kdwait.h"

typedef struct _KD_WAIT_NODE {
    LONG Parent;                // the node it waits on, -1: none (a root)
    LONG Root;                  // -1: not in the forest
    LONG FirstChild;            // the nodes that wait on this one
    LONG NextSibling;
    ULONG TreeSize;             // roots: how many threads lead here
    ULONG Depth;                // hops to its root
    // Roots that end at the same object (threads on one event nobody owns,
    // IRPs in one driver) form a group: the first is its leader.
    LONG NextInGroup;
    LONG Leader;                // roots: their group's leader
    LONG LastInGroup;           // leaders
    ULONG GroupSize;            // leaders: threads in every tree of the group
    ULONG GroupTrees;
    ULONG64 GroupOldest;
    ULONG64 Oldest;             // roots: the oldest Wait Start TickCount in the tree
    ULONG64 Object;             // what the step ended at (grouping for !analyze -hang)
    UCHAR End;                  // KD_WAIT_END of its own step
    BOOLEAN Blocked;            // blocked long enough, and not idle
    BOOLEAN Candidate;          // its hop to Parent is a candidate
    BOOLEAN OnPath;
    BOOLEAN IsRoot;
    BOOLEAN InCycle;
} KD_WAIT_NODE;

typedef struct _KD_WAIT_FOREST {
    KD_WAIT_NODE Nodes[KD_WAIT_MAX_THREADS];        // parallel to KdpWaitIndex.Threads
    LONG ObjectHash[KD_WAIT_HASH_SIZE];             // group leaders by object
    LONG RootList[KD_WAIT_MAX_THREADS];             // group leaders, biggest first, then oldest
    ULONG Roots;                                    // groups
} KD_WAIT_FOREST;

extern KD_WAIT_FOREST KdpWaitForest;

// Builds the forest of the threads blocked at least `thresholdTicks`.
void KdpWaitBuildForest(ULONG64 thresholdTicks);
// Prints a chain from `thread`, each line after `indent`; returns its hops.
ULONG KdpWaitPrintChain(ULONG64 thread, const char *indent);
// The chain's last line; `hops`: how many threads the chain went through.
void KdpWaitPrintRoot(const KD_WAIT_STEP *step, ULONG hops);
// "deadlock: cycle of N threads: a -> b -> a" for a root in a cycle.
void KdpWaitPrintCycle(LONG root);
void KdpWaitFormatBlocked(ULONG64 waitTime, char *text, size_t size);

extern const KD_COMMAND KdpWaitChainCommands[];
extern const KD_COMMAND KdpAnalyzeCommands[];
