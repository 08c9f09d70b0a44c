// Sessions: a process joins its creator's session (the System process's
// children: session 0), MmSessionCreate moves a process into a new session
// that its children then inherit, a session goes with its last process,
// and !session lists them.

#include "tests/kernel/ktkd.h"
#include "ps/ps.h"
#include "mm/mi.h"

static BOOLEAN KtSessionExists(ULONG sessionId)
{
    for (LIST_ENTRY *entry = MiSessionWsList.Flink; entry != &MiSessionWsList;
         entry = entry->Flink) {
        if (CONTAINING_RECORD(entry, MM_SESSION_SPACE, WsListEntry)->SessionId == sessionId)
            return TRUE;
    }
    return FALSE;
}

KTEST(ProcessesInheritTheirCreatorsSession)
{
    EPROCESS *logon = NULL, *child = NULL, *service = NULL;
    ULONG sessions, sessionBytes, sessionId = 0;
    SIZE_T bytes;

    ExQueryPoolTagUsage(MI_SESSION_TAG, &sessions, &bytes);
    KT_EXPECT(PsInitialSystemProcess->Session == NULL);
    KT_EXPECT_EQ(PspCreateProcess("KtService", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &service), STATUS_SUCCESS);
    KT_CHECK(service->Session != NULL);
    KT_CHECK_EQ(service->SessionId, 0);
    KT_EXPECT_EQ(PspCreateProcess("KtLogon", PsInitialSystemProcess, NORMAL_BASE_PRIORITY,
                                  &logon), STATUS_SUCCESS);
    KT_CHECK_EQ(logon->SessionId, 0);

    // A logon: a new session for it; what it creates is in that session.
    KT_CHECK_EQ(MmSessionCreate(logon, &sessionId), STATUS_SUCCESS);
    KT_CHECK(sessionId >= 1);
    KT_CHECK_EQ(logon->SessionId, sessionId);
    KT_CHECK(logon->Session != service->Session);
    KT_CHECK_EQ(logon->Session->ReferenceCount, 1);
    if (PspCreateProcess("KtChild", logon, NORMAL_BASE_PRIORITY, &child) == STATUS_SUCCESS) {
        KT_CHECK_EQ(child->SessionId, sessionId);
        KT_CHECK(child->Session == logon->Session);
        KT_CHECK_EQ(logon->Session->ReferenceCount, 2);
    } else {
        KtFail(__FILE__, __LINE__, "the logon process's child");
    }

    KtKdRun("!session");
    KtKdExpect("Sessions on machine: ");
    KtKdExpect("Valid Sessions: 0");
    KtKdExpect(" %u", sessionId);
    // The tests run in the System process, which is in no session.
    KtKdExpect("Current Session none");
    if (child)
        ObDereferenceObject(child);

    // The session lives while a process object is in it, and no longer.
    KT_CHECK(KtSessionExists(sessionId));
    ObDereferenceObject(logon);
    KT_CHECK(!KtSessionExists(sessionId));
    ObDereferenceObject(service);
    ExQueryPoolTagUsage(MI_SESSION_TAG, &sessionBytes, &bytes);
    KT_CHECK_EQ(sessionBytes, sessions);
}
