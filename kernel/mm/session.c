// Sessions, as NT's memory manager keeps them: one MM_SESSION_SPACE per
// session id, on MiSessionWsList, with the processes in it. A process joins
// its creator's session when it is made (the System process's children:
// session 0) and leaves when its object is deleted, so an exited process
// still referenced (a zombie) keeps its session; a session goes with its
// last process. MmSessionCreate makes a new session for a process, as NT's
// smss does for each logon (session 1, 2...).

#include "mm/mi.h"
#include "ps/ps.h"

LIST_ENTRY MiSessionWsList = { &MiSessionWsList, &MiSessionWsList };
static KSPIN_LOCK MiSessionLock;

static MM_SESSION_SPACE *MiFindSession(ULONG sessionId)
{
    for (LIST_ENTRY *entry = MiSessionWsList.Flink; entry != &MiSessionWsList;
         entry = entry->Flink) {
        MM_SESSION_SPACE *session = CONTAINING_RECORD(entry, MM_SESSION_SPACE, WsListEntry);

        if (session->SessionId == sessionId)
            return session;
    }
    return NULL;
}

// Keeps the list sorted by id, as !session lists them.
static void MiInsertSession(MM_SESSION_SPACE *session)
{
    LIST_ENTRY *entry = MiSessionWsList.Flink;

    while (entry != &MiSessionWsList &&
           CONTAINING_RECORD(entry, MM_SESSION_SPACE, WsListEntry)->SessionId <
               session->SessionId)
        entry = entry->Flink;
    InsertTailList(entry, &session->WsListEntry);
}

// Lock held. Takes `process` out of its session; returns the session when
// that was its last process (unlinked: the caller frees it), else NULL.
static MM_SESSION_SPACE *MiLeaveSession(EPROCESS *process)
{
    MM_SESSION_SPACE *session = process->Session;

    if (!session)
        return NULL;
    RemoveEntryList(&process->SessionProcessLinks);
    process->Session = NULL;
    if (--session->ReferenceCount)
        return NULL;
    RemoveEntryList(&session->WsListEntry);
    return session;
}

// Lock held.
static void MiJoinSession(EPROCESS *process, MM_SESSION_SPACE *session)
{
    session->ReferenceCount++;
    InsertTailList(&session->ProcessList, &process->SessionProcessLinks);
    process->Session = session;
    process->SessionId = session->SessionId;
}

static MM_SESSION_SPACE *MiAllocateSession(void)
{
    MM_SESSION_SPACE *session = ExAllocatePoolWithTag(NonPagedPool, sizeof(*session),
                                                      MI_SESSION_TAG);

    if (session) {
        memset(session, 0, sizeof(*session));
        InitializeListHead(&session->ProcessList);
    }
    return session;
}

NTSTATUS MmSessionAddProcess(EPROCESS *process, ULONG sessionId)
{
    MM_SESSION_SPACE *session, *spare = MiAllocateSession();
    KIRQL oldIrql;

    if (!spare)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeAcquireSpinLock(&MiSessionLock, &oldIrql);
    session = MiFindSession(sessionId);
    if (!session) {
        session = spare;
        spare = NULL;
        session->SessionId = sessionId;
        MiInsertSession(session);
    }
    MiJoinSession(process, session);
    KeReleaseSpinLock(&MiSessionLock, oldIrql);
    if (spare)
        ExFreePoolWithTag(spare, MI_SESSION_TAG);
    return STATUS_SUCCESS;
}

void MmSessionRemoveProcess(EPROCESS *process)
{
    MM_SESSION_SPACE *empty;
    KIRQL oldIrql;

    KeAcquireSpinLock(&MiSessionLock, &oldIrql);
    empty = MiLeaveSession(process);
    KeReleaseSpinLock(&MiSessionLock, oldIrql);
    if (empty)
        ExFreePoolWithTag(empty, MI_SESSION_TAG);
}

NTSTATUS MmSessionCreate(EPROCESS *process, ULONG *sessionId)
{
    MM_SESSION_SPACE *session = MiAllocateSession(), *empty;
    ULONG id = 1;
    KIRQL oldIrql;

    if (!session)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeAcquireSpinLock(&MiSessionLock, &oldIrql);
    // The lowest free id above 0 (session 0 is the services').
    while (MiFindSession(id))
        id++;
    session->SessionId = id;
    MiInsertSession(session);
    empty = MiLeaveSession(process);
    MiJoinSession(process, session);
    KeReleaseSpinLock(&MiSessionLock, oldIrql);
    if (empty)
        ExFreePoolWithTag(empty, MI_SESSION_TAG);
    *sessionId = id;
    return STATUS_SUCCESS;
}
