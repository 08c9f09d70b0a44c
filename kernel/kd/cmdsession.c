// !session: the sessions on the machine (MiSessionWsList, mm/session.c)
// and the current one, as WinDbg lists them.

#include "kd/kd.h"
#include "mm/mm.h"
#include "ps/ps.h"

#define KD_MAX_SESSIONS 4096            // ids printed; more are counted only

typedef struct _KD_SESSION_WALK {
    ULONG Count;
    ULONG Printed;
} KD_SESSION_WALK;

static BOOLEAN KdpCountSession(void *context, ULONG64 entry)
{
    ((KD_SESSION_WALK *)context)->Count++;
    return TRUE;
}

static BOOLEAN KdpPrintSessionId(void *context, ULONG64 entry)
{
    KD_SESSION_WALK *walk = context;
    ULONG id;

    if (walk->Printed++ == KD_MAX_SESSIONS) {
        KdpPrint(" ...");
        return FALSE;
    }
    if (KdpReadMemory(entry - FIELD_OFFSET(MM_SESSION_SPACE, WsListEntry) +
                          FIELD_OFFSET(MM_SESSION_SPACE, SessionId), &id, sizeof(id)))
        KdpPrint(" %u", id);
    else
        KdpPrint(" ?");
    return TRUE;
}

KD_COMMAND_RESULT KdpSession(int argc, char **argv)
{
    KD_SESSION_WALK walk = { 0, 0 };
    ULONG64 process, session = 0;
    ULONG id = 0;

    if (argc > 1) {
        if (strcmp(argv[1], "-?") != 0 && strcmp(argv[1], "-s") != 0 &&
            strcmp(argv[1], "/s") != 0)
            KdpPrint("Usage: !session   (-s, which sets the process context, needs "
                     ".process: not here yet)\n");
        else
            KdpPrint("!session lists the sessions and the current one (the current "
                     "process's); -s is not supported: the debugger has no process "
                     "context to switch\n");
        return KdCommandContinue;
    }
    if (!KdpWalkList((ULONG64)(ULONG_PTR)&MiSessionWsList, "MiSessionWsList", KdpCountSession,
                     &walk))
        return KdCommandContinue;
    KdpPrint("Sessions on machine: %u\n", walk.Count);
    KdpPrint("Valid Sessions:");
    KdpWalkList((ULONG64)(ULONG_PTR)&MiSessionWsList, "MiSessionWsList", KdpPrintSessionId,
                &walk);
    KdpPrint("\n");
    // The current session is the current process's (System and Idle: none).
    if (!KdpResolveProcess(~0ULL, &process))
        return KdCommandContinue;
    if (KdpReadMemory(process + FIELD_OFFSET(EPROCESS, Session), &session, sizeof(session)) &&
        session && KdpReadMemory(process + FIELD_OFFSET(EPROCESS, SessionId), &id, sizeof(id)))
        KdpPrint("Current Session %u\n", id);
    else
        KdpPrint("Current Session none (the current process, %016llx, is in no session)\n",
                 (unsigned long long)process);
    return KdCommandContinue;
}
