// !session: the sessions on the machine (MiSessionWsList, mm/session.c)
// and the current one, as WinDbg lists them; `!session -s ID` sets the
// session context, which (as in WinDbg) makes a process of that session the
// implicit process (cmdctx.c), whose page tables the debugger then reads
// through. The current session is the implicit process's.

#include "kd/kd.h"
#include "mm/mm.h"
#include "ps/ps.h"

#define KD_MAX_SESSIONS 4096            // ids printed; more are counted only

typedef struct _KD_SESSION_WALK {
    ULONG Count;
    ULONG Printed;
    ULONG WantedId;             // -s: the session looked for
    ULONG64 Found;              // its MM_SESSION_SPACE, or 0
} KD_SESSION_WALK;

typedef struct _KD_SESSION_PROCESS {
    ULONG64 First;              // the first process of the session
    ULONG64 Active;             // the first that has not exited, or 0
} KD_SESSION_PROCESS;

static BOOLEAN KdpCountSession(void *context, ULONG64 entry)
{
    KD_SESSION_WALK *walk = context;
    ULONG64 session = entry - FIELD_OFFSET(MM_SESSION_SPACE, WsListEntry);
    ULONG id;

    walk->Count++;
    if (!walk->Found &&
        KdpReadMemory(session + FIELD_OFFSET(MM_SESSION_SPACE, SessionId), &id, sizeof(id)) &&
        id == walk->WantedId)
        walk->Found = session;
    return TRUE;
}

// A session's processes (EPROCESS.SessionProcessLinks): WinDbg switches to
// the session's active process, so the first one that has not exited (a
// zombie only when all of them are).
static BOOLEAN KdpFindSessionProcess(void *context, ULONG64 entry)
{
    KD_SESSION_PROCESS *found = context;
    ULONG64 process = entry - FIELD_OFFSET(EPROCESS, SessionProcessLinks);
    LONG signalState = 1;
    BOOLEAN exiting = TRUE;

    if (!found->First)
        found->First = process;
    if (KdpReadMemory(process + FIELD_OFFSET(EPROCESS, Pcb.Header.SignalState), &signalState,
                      sizeof(signalState)) &&
        KdpReadMemory(process + FIELD_OFFSET(EPROCESS, ProcessExiting), &exiting,
                      sizeof(exiting)) &&
        signalState == 0 && !exiting) {
        found->Active = process;
        return FALSE;
    }
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

static void KdpPrintSessionUsage(void)
{
    KdpPrint("Usage: !session [-s DefaultSession]   (-s -1: the current thread's session)\n");
}

// `!session -s ID`: WinDbg's lines, "Sessions on machine", the implicit
// process and "Using session"; -1 goes back to the current thread's
// process (after `.thread`, that thread's), as `.process 0` does.
static void KdpSetSessionContext(const char *text)
{
    KD_SESSION_WALK walk = { 0, 0, 0, 0 };
    KD_SESSION_PROCESS found = { 0, 0 };
    ULONG64 value, process;
    char address[18];

    if (!KdpGetValue(text, &value))
        return;
    if (value != ~0ULL && value > 0xFFFFFFFFULL) {
        KdpPrint("Invalid session id %s: a session id is a ULONG (or -1)\n", text);
        return;
    }
    walk.WantedId = (ULONG)value;
    if (!KdpWalkList((ULONG64)(ULONG_PTR)&MiSessionWsList, "MiSessionWsList", KdpCountSession,
                     &walk))
        return;
    if (value == ~0ULL) {
        KdpState.ContextProcess = 0;
        process = KdpImplicitProcess();
    } else {
        if (!walk.Found) {
            char decimal[24];

            // Numbers are hex to the debugger: say so when that changed it.
            RtlStringPrintf(decimal, sizeof(decimal), "%llu", (unsigned long long)value);
            KdpPrint("Session %s is not valid%s%s%s; !session lists the valid ones\n", decimal,
                     strcmp(decimal, text) ? " (" : "", strcmp(decimal, text) ? text : "",
                     strcmp(decimal, text) ? " is read as hex)" : "");
            return;
        }
        if (!KdpWalkList(walk.Found + FIELD_OFFSET(MM_SESSION_SPACE, ProcessList),
                         "ProcessList", KdpFindSessionProcess, &found) ||
            !(process = found.Active ? found.Active : found.First)) {
            KdpPrint("Session %llu has no process to switch to\n", (unsigned long long)value);
            return;
        }
        KdpState.ContextProcess = process;
    }
    KdpPrint("Sessions on machine: %u\n", walk.Count);
    RtlFormatAddress(address, process);
    KdpPrint("Implicit process is now %s\n", address);
    if (value == ~0ULL) {
        ULONG64 session = 0;
        ULONG id = 0;

        if (KdpReadMemory(process + FIELD_OFFSET(EPROCESS, Session), &session, sizeof(session)) &&
            session && KdpReadMemory(process + FIELD_OFFSET(EPROCESS, SessionId), &id, sizeof(id)))
            KdpPrint("Using session %u\n", id);
        else
            KdpPrint("Using no session (the current process is in none)\n");
    } else {
        KdpPrint("Using session %llu\n", (unsigned long long)value);
    }
}

KD_COMMAND_RESULT KdpSession(int argc, char **argv)
{
    KD_SESSION_WALK walk = { 0, 0, ~0U, 0 };
    ULONG64 process, session = 0;
    ULONG id = 0;

    if (argc > 1) {
        if (argc == 3 && (!strcmp(argv[1], "-s") || !strcmp(argv[1], "/s")))
            KdpSetSessionContext(argv[2]);
        else
            KdpPrintSessionUsage();
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
    // The current session is the implicit process's (System and Idle: none).
    process = KdpImplicitProcess();
    if (process &&
        KdpReadMemory(process + FIELD_OFFSET(EPROCESS, Session), &session, sizeof(session)) &&
        session && KdpReadMemory(process + FIELD_OFFSET(EPROCESS, SessionId), &id, sizeof(id)))
        KdpPrint("Current Session %u\n", id);
    else
        KdpPrint("Current Session none (the current process, %016llx, is in no session)\n",
                 (unsigned long long)process);
    return KdCommandContinue;
}
