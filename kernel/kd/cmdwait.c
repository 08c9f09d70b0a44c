// !waitchain: from a blocked thread to the root of its hang, one hop a line,
// each hop with its evidence (kd/waitchain.c); `-a` does it for every thread
// blocked longer than a threshold and merges the chains into a forest:
// each tree a root and the threads that wait on it, directly or through
// others, the biggest and oldest trees first. Everything the forest needs
// is computed once per thread, so the command is linear in the threads.

#include "kd/kdwait.h"
#include "kd/kdwaitcmd.h"
#include "arch/x86_64/hal.h"
#include "kd/kdio.h"

#define KD_WAIT_DEFAULT_SECONDS 1
#define KD_WAIT_MAX_INDENT      24

static const char *const KdpWaitEndNames[] = {
    "follow", "not blocked", "waits on a timer: it wakes by itself",
    "waits by design: not hung",
    "waits on an object no thread owns: the end of what the kernel records (see the candidates)",
    "a driver", "ended", "error",
};

KD_WAIT_FOREST KdpWaitForest;

void KdpWaitFormatBlocked(ULONG64 waitTime, char *text, size_t size)
{
    ULONG64 now = KeTickCount;

    RtlFormatTickDuration(text, size, now > waitTime ? now - waitTime : 0,
                          CLOCK_TICK_MICROSECONDS);
}

// "[n] THREAD x (image Cid p.t) WAIT: (Reason) Mode, blocked T in blocker".
static void KdpWaitPrintThreadLine(const char *prefix, ULONG64 address)
{
    char who[64], state[96], blocked[40], blocker[112], module[48];
    KTHREAD tcb;

    if (!KdpIsThread(address) || !KdpReadMemory(address, &tcb, sizeof(tcb))) {
        KdpPrint("%sTHREAD %016llx (not a thread, or not readable)\n", prefix,
                 (unsigned long long)address);
        return;
    }
    KdpWaitDescribeThread(address, who, sizeof(who));
    KdpFormatThreadState(&tcb, state, sizeof(state));
    KdpPrint("%sTHREAD %016llx (%s) %s", prefix, (unsigned long long)address, who, state);
    if (tcb.State == Waiting) {
        KdpWaitFormatBlocked(tcb.WaitTime, blocked, sizeof(blocked));
        KdpWaitBlocker(address, blocker, sizeof(blocker), module, sizeof(module));
        KdpPrint(", blocked %s", blocked);
        if (blocker[0])
            KdpPrint(" in %s", blocker);
    }
    KdpPrint("\n");
}

void KdpWaitPrintRoot(const KD_WAIT_STEP *step, ULONG hops)
{
    char who[64], blocked[40], blocker[112], module[48], driver[KD_IO_NAME];
    KTHREAD tcb;
    BOOLEAN read;

    if (step->End == KdWaitDriver) {
        KdpDriverNameOf(step->Object, driver, sizeof(driver));
        KdpPrint("Root: driver %s (DRIVER_OBJECT %016llx) holds the IRP and no thread works "
                 "for it\n", driver[0] ? driver : "?", (unsigned long long)step->Object);
        return;
    }
    if (step->End == KdWaitError) {
        KdpPrint("Root: unknown: the walk stopped at THREAD %016llx on an error\n",
                 (unsigned long long)step->Thread);
        return;
    }
    KdpWaitDescribeThread(step->Thread, who, sizeof(who));
    KdpPrint("Root: THREAD %016llx (%s)", (unsigned long long)step->Thread, who);
    read = KdpReadMemory(step->Thread, &tcb, sizeof(tcb));
    KdpWaitBlocker(step->Thread, blocker, sizeof(blocker), module, sizeof(module));
    if (read && tcb.State == Waiting) {
        KdpWaitFormatBlocked(tcb.WaitTime, blocked, sizeof(blocked));
        KdpPrint(", blocked %s", blocked);
        if (blocker[0])
            KdpPrint(" in %s (module %s)", blocker, module);
    } else if (read && tcb.State == Running && step->End == KdWaitRunning) {
        KdpPrint(", running");
        if (step->IrqlKnown)
            KdpPrint(" at %s", KdpIrqlName(step->Irql));
        if (blocker[0])
            KdpPrint(" in %s (module %s)", blocker, module);
        if (step->IrqlKnown && step->Irql >= DISPATCH_LEVEL) {
            KdpPrint(": %s at %s: it keeps its processor, nothing below that IRQL runs there "
                     "(the scheduler included)\n",
                     step->Spinning ? "spins in a loop" : "runs", KdpIrqlName(step->Irql));
            return;
        }
    }
    if (step->End == KdWaitIdle && hops > 1) {
        // Something waits on it, yet it waits by design: what they wait for
        // is held by a thread that is not working on it.
        KdpPrint(": waits by design, yet the thread before it waits for it: it holds what "
                 "that thread needs and will not give it up while it waits for work\n");
        return;
    }
    KdpPrint(": %s\n", KdpWaitEndNames[step->End]);
}

ULONG KdpWaitPrintChain(ULONG64 thread, const char *indent)
{
    ULONG64 visited[KD_WAIT_MAX_HOPS];
    KD_WAIT_STEP step;
    char prefix[48];
    ULONG hops = 0;

    for (;;) {
        ULONG cycleAt = KD_WAIT_MAX_HOPS;

        RtlStringPrintf(prefix, sizeof(prefix), "%s[%u] ", indent, hops);
        KdpWaitPrintThreadLine(prefix, thread);
        visited[hops++] = thread;
        KdpWaitStep(thread, KD_WAIT_DETAIL, &step);
        if (step.End != KdWaitFollow) {
            KdpPrint("%s    ends here: %s\n", indent, step.Evidence);
            KdpPrint("%s", indent);
            KdpWaitPrintRoot(&step, hops);
            return hops;
        }
        KdpPrint("%s    %s THREAD %016llx: %s\n", indent,
                 step.Candidate ? "candidate (not proven):" : "waits for",
                 (unsigned long long)step.Next, step.Evidence);
        for (ULONG i = 0; i < hops; i++) {
            if (visited[i] == step.Next)
                cycleAt = i;
        }
        if (cycleAt < KD_WAIT_MAX_HOPS) {
            KdpPrint("%sdeadlock: cycle of %u threads:", indent, hops - cycleAt);
            for (ULONG i = cycleAt; i < hops; i++)
                KdpPrint(" %016llx ->", (unsigned long long)visited[i]);
            KdpPrint(" %016llx%s\n", (unsigned long long)step.Next,
                     step.Candidate ? " (a hop of it is a candidate)" : "");
            return hops;
        }
        if (hops == KD_WAIT_MAX_HOPS) {
            KdpPrint("%s(the chain goes on past %u hops: cut here)\n", indent, hops);
            return hops;
        }
        thread = step.Next;
    }
}

// ---- The forest (-a) --------------------------------------------------------------------

static LONG KdpWaitNodeOf(ULONG64 thread)
{
    const KD_WAIT_THREAD *found = KdpWaitFindThread(thread);

    return found ? (LONG)(found - KdpWaitIndex.Threads) : -1;
}

// Roots whose chains end at the same object without an owner (an event,
// a driver) are grouped under the first of them: they wait for the same
// thing. Leaders by object through a hash, so this stays linear.
static void KdpWaitGroupRoots(void)
{
    KD_WAIT_FOREST *forest = &KdpWaitForest;
    ULONG leaders = 0;

    for (ULONG i = 0; i < KD_WAIT_HASH_SIZE; i++)
        forest->ObjectHash[i] = -1;
    for (ULONG r = 0; r < forest->Roots; r++) {
        LONG root = forest->RootList[r];
        KD_WAIT_NODE *node = &forest->Nodes[root];
        ULONG slot = (ULONG)(((node->Object >> 3) * 0x9E3779B97F4A7C15ULL) >> 40) %
                     KD_WAIT_HASH_SIZE;
        LONG leader = -1;

        node->NextInGroup = -1;
        node->Leader = root;
        node->LastInGroup = root;
        node->GroupSize = node->TreeSize;
        node->GroupTrees = 1;
        node->GroupOldest = node->Oldest;
        if (node->Blocked && node->Object &&
            (node->End == KdWaitNoOwner || node->End == KdWaitDriver)) {
            for (ULONG probe = 0; probe < KD_WAIT_HASH_SIZE; probe++) {
                LONG found = forest->ObjectHash[slot];

                if (found < 0) {
                    forest->ObjectHash[slot] = root;
                    break;
                }
                if (forest->Nodes[found].Object == node->Object &&
                    forest->Nodes[found].End == node->End) {
                    leader = found;
                    break;
                }
                slot = (slot + 1) % KD_WAIT_HASH_SIZE;
            }
        }
        if (leader < 0) {
            forest->RootList[leaders++] = root;
            continue;
        }
        node->Leader = leader;
        forest->Nodes[forest->Nodes[leader].LastInGroup].NextInGroup = root;
        forest->Nodes[leader].LastInGroup = root;
        forest->Nodes[leader].GroupSize += node->TreeSize;
        forest->Nodes[leader].GroupTrees++;
        if (node->Oldest < forest->Nodes[leader].GroupOldest)
            forest->Nodes[leader].GroupOldest = node->Oldest;
    }
    forest->Roots = leaders;
}

void KdpWaitBuildForest(ULONG64 thresholdTicks)
{
    KD_WAIT_FOREST *forest = &KdpWaitForest;
    ULONG64 now = KeTickCount;
    ULONG count;

    KdpWaitBuildIndex();
    count = KdpWaitIndex.Count;
    forest->Roots = 0;
    for (ULONG i = 0; i < count; i++) {
        const KD_WAIT_THREAD *thread = &KdpWaitIndex.Threads[i];
        KD_WAIT_NODE *node = &forest->Nodes[i];
        KD_WAIT_STEP step;

        memset(node, 0, sizeof(*node));
        node->Parent = node->Root = node->FirstChild = node->NextSibling = -1;
        if (thread->State != Waiting || now - thread->WaitTime < thresholdTicks)
            continue;
        KdpWaitStep(thread->Address, 0, &step);
        node->End = (UCHAR)step.End;
        node->Object = step.Object;
        if (step.End == KdWaitIdle || step.End == KdWaitTimer || step.End == KdWaitRunning)
            continue;
        node->Blocked = TRUE;
        node->End = (UCHAR)step.End;
        node->Candidate = step.Candidate;
        node->Object = step.Object;
        if (step.End == KdWaitFollow)
            node->Parent = KdpWaitNodeOf(step.Next);
    }
    // Every blocked thread's root: follow parents, marking the path, so
    // that each node is visited once (a node met again on its own path
    // closes a cycle).
    for (ULONG i = 0; i < count; i++) {
        LONG path = (LONG)i, root;
        ULONG length = 0;

        if (!forest->Nodes[i].Blocked || forest->Nodes[i].Root >= 0)
            continue;
        while (path >= 0 && forest->Nodes[path].Root < 0 && !forest->Nodes[path].OnPath &&
               length++ < count) {
            forest->Nodes[path].OnPath = TRUE;
            if (!forest->Nodes[path].Blocked)
                break;
            if (forest->Nodes[path].Parent < 0)
                break;
            path = forest->Nodes[path].Parent;
        }
        if (forest->Nodes[path].Root >= 0) {
            root = forest->Nodes[path].Root;
        } else {
            root = path;
            if (forest->Nodes[path].OnPath && forest->Nodes[path].Blocked &&
                forest->Nodes[path].Parent >= 0) {
                // Met again: every node from here round to it is in the cycle.
                LONG member = path;
                ULONG size = 0;

                do {
                    forest->Nodes[member].InCycle = TRUE;
                    member = forest->Nodes[member].Parent;
                } while (member != path && ++size < count);
            }
            forest->Nodes[root].Root = root;
            forest->Nodes[root].IsRoot = TRUE;
            forest->RootList[forest->Roots++] = root;
        }
        for (path = (LONG)i; path >= 0 && forest->Nodes[path].OnPath;
             path = forest->Nodes[path].Parent) {
            forest->Nodes[path].OnPath = FALSE;
            forest->Nodes[path].Root = root;
        }
    }
    // Children lists and tree sizes.
    for (ULONG i = 0; i < count; i++) {
        KD_WAIT_NODE *node = &forest->Nodes[i];
        LONG parent = node->Parent;

        if (node->Root < 0)
            continue;
        forest->Nodes[node->Root].TreeSize++;
        if (KdpWaitIndex.Threads[i].WaitTime < forest->Nodes[node->Root].Oldest ||
            !forest->Nodes[node->Root].Oldest)
            forest->Nodes[node->Root].Oldest = KdpWaitIndex.Threads[i].WaitTime;
        if ((LONG)i == node->Root || parent < 0)
            continue;
        node->NextSibling = forest->Nodes[parent].FirstChild;
        forest->Nodes[parent].FirstChild = (LONG)i;
    }
    // Depths, down each tree (roots are on no child list).
    for (ULONG r = 0; r < forest->Roots; r++) {
        LONG root = forest->RootList[r], node = root;

        forest->Nodes[root].Depth = 0;
        while (node >= 0) {
            if (forest->Nodes[node].FirstChild >= 0) {
                LONG child = forest->Nodes[node].FirstChild;

                forest->Nodes[child].Depth = forest->Nodes[node].Depth + 1;
                node = child;
                continue;
            }
            while (node != root && forest->Nodes[node].NextSibling < 0)
                node = forest->Nodes[node].Parent;
            if (node == root)
                break;
            forest->Nodes[forest->Nodes[node].NextSibling].Depth = forest->Nodes[node].Depth;
            node = forest->Nodes[node].NextSibling;
        }
    }
    KdpWaitGroupRoots();
    // Deadlocks first (nothing ends them), then the biggest groups, then the
    // oldest wait: an insertion sort on the leaders only.
    for (ULONG i = 1; i < forest->Roots; i++) {
        LONG root = forest->RootList[i];
        ULONG at = i;

        while (at > 0) {
            const KD_WAIT_NODE *before = &forest->Nodes[forest->RootList[at - 1]];
            const KD_WAIT_NODE *node = &forest->Nodes[root];

            if (before->InCycle != node->InCycle) {
                if (before->InCycle)
                    break;
            } else if (before->GroupSize > node->GroupSize ||
                       (before->GroupSize == node->GroupSize &&
                        before->GroupOldest <= node->GroupOldest)) {
                break;
            }
            forest->RootList[at] = forest->RootList[at - 1];
            at--;
        }
        forest->RootList[at] = root;
    }
}

// One tree, depth first: the root, then each thread under what it waits
// on. Roots are on no child list, so a cycle's root is not met again.
static void KdpWaitPrintTree(LONG root)
{
    KD_WAIT_FOREST *forest = &KdpWaitForest;
    char prefix[KD_WAIT_MAX_INDENT * 2 + 32], indent[KD_WAIT_MAX_INDENT * 2 + 1];
    LONG node = root;
    ULONG depth = 0;

    while (node >= 0 && !KdpCancelled()) {
        ULONG shown = depth < KD_WAIT_MAX_INDENT ? depth : KD_WAIT_MAX_INDENT;
        KD_WAIT_STEP step;

        memset(indent, ' ', shown * 2);
        indent[shown * 2] = '\0';
        RtlStringPrintf(prefix, sizeof(prefix), "%s%s", indent, depth ? "<- " : "");
        KdpWaitPrintThreadLine(prefix, KdpWaitIndex.Threads[node].Address);
        KdpWaitStep(KdpWaitIndex.Threads[node].Address, 0, &step);
        KdpPrint("%s     %s%s\n", indent,
                 step.End == KdWaitFollow ? (step.Candidate ? "candidate: " : "waits for: ")
                                          : "ends here: ", step.Evidence);
        if (forest->Nodes[node].FirstChild >= 0) {
            node = forest->Nodes[node].FirstChild;
            depth++;
            continue;
        }
        while (node != root && forest->Nodes[node].NextSibling < 0) {
            node = forest->Nodes[node].Parent;
            depth--;
        }
        if (node == root)
            break;
        node = forest->Nodes[node].NextSibling;
    }
}

void KdpWaitPrintCycle(LONG root)
{
    KD_WAIT_FOREST *forest = &KdpWaitForest;
    LONG member = root;
    ULONG size = 0;

    do {
        size++;
        member = forest->Nodes[member].Parent;
    } while (member >= 0 && member != root && size < KdpWaitIndex.Count);
    KdpPrint("deadlock: cycle of %u threads:", size);
    member = root;
    for (ULONG i = 0; i < size; i++) {
        KdpPrint(" %016llx ->", (unsigned long long)KdpWaitIndex.Threads[member].Address);
        member = forest->Nodes[member].Parent;
    }
    KdpPrint(" %016llx\n", (unsigned long long)KdpWaitIndex.Threads[root].Address);
}

static void KdpWaitAll(ULONG64 seconds)
{
    KD_WAIT_FOREST *forest = &KdpWaitForest;
    ULONG64 ticks = seconds * 1000000ULL / CLOCK_TICK_MICROSECONDS;
    ULONG blocked = 0;

    KdpWaitBuildForest(ticks);
    for (ULONG i = 0; i < KdpWaitIndex.Count; i++)
        blocked += forest->Nodes[i].Blocked;
    KdpPrint("%u threads blocked for %llu s or more, in %u trees (threads that wait by design "
             "or on a timer left out)\n", blocked, (unsigned long long)seconds, forest->Roots);
    if (KdpWaitIndex.Truncated)
        KdpPrint("(only the first %u threads were looked at)\n", KD_WAIT_MAX_THREADS);
    for (ULONG i = 0; i < forest->Roots && !KdpCancelled(); i++) {
        LONG root = forest->RootList[i];
        char blocked[40];

        KdpWaitFormatBlocked(forest->Nodes[root].GroupOldest, blocked, sizeof(blocked));
        KdpPrint("\nTree %u: %u threads, the oldest blocked %s\n", i + 1,
                 forest->Nodes[root].GroupSize, blocked);
        if (forest->Nodes[root].GroupTrees > 1)
            KdpPrint("(%u chains end at the same %s %016llx)\n", forest->Nodes[root].GroupTrees,
                     forest->Nodes[root].End == KdWaitDriver
                         ? "driver"
                         : KdpWaitObjectKindAt(forest->Nodes[root].Object),
                     (unsigned long long)forest->Nodes[root].Object);
        if (forest->Nodes[root].InCycle)
            KdpWaitPrintCycle(root);
        for (LONG member = root; member >= 0 && !KdpCancelled();
             member = forest->Nodes[member].NextInGroup)
            KdpWaitPrintTree(member);
    }
}

static KD_COMMAND_RESULT KdpWaitChain(int argc, char **argv)
{
    ULONG64 thread, seconds = KD_WAIT_DEFAULT_SECONDS;
    char who[64];

    if (argc > 3 || (argc == 3 && strcmp(argv[1], "-a"))) {
        KdpPrint("Usage: !waitchain [thread] | !waitchain -a [seconds]\n");
        return KdCommandContinue;
    }
    if (argc >= 2 && !strcmp(argv[1], "-a")) {
        if (argc == 3 && !KdpGetValue(argv[2], &seconds))
            return KdCommandContinue;
        if (seconds > 1000000) {
            KdpPrint("!waitchain -a: %llx seconds is more than any wait could last\n",
                     (unsigned long long)seconds);
            return KdCommandContinue;
        }
        KdpWaitAll(seconds);
        return KdCommandContinue;
    }
    thread = KdpImplicitThread();
    if (argc == 2 && !KdpGetValue(argv[1], &thread))
        return KdCommandContinue;
    if (!thread || !KdpIsThread(thread)) {
        KdpPrint("!waitchain: %016llx is not a thread\n", (unsigned long long)thread);
        return KdCommandContinue;
    }
    KdpWaitBuildIndex();
    KdpWaitDescribeThread(thread, who, sizeof(who));
    KdpPrint("Wait chain of THREAD %016llx (%s):\n", (unsigned long long)thread, who);
    KdpWaitPrintChain(thread, "");
    return KdCommandContinue;
}

const KD_COMMAND KdpWaitChainCommands[] = {
    { "!waitchain", KdpWaitChain, "!waitchain [thread] | !waitchain -a [seconds]",
      "what a thread waits for, hop by hop to the root, with each hop's evidence; -a: every "
      "thread blocked that long (1 s), merged into trees" },
    { NULL, NULL, NULL, NULL },
};
