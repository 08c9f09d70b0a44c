// Port sections and views: a message too large to copy travels as a view
// the receiver gets mapped; every error of the four services; views going
// with their port; and the death of either side with a view mapped (the
// program is its own child: "talpcx child client|server").

#include "tests/user/talpcx/talpcx.h"

#define SERVER_NAME u"\\RPC Control\\TalpcxViews"
#define CHILD_NAME  u"\\RPC Control\\TalpcxViewsChild"
#define READY_EVENT u"\\BaseNamedObjects\\TalpcxViewsReady"
#define SECTION_SIZE 0x100000
#define VIEW_SIZE    0x40000

static ULONG Pattern(ULONG index, ULONG seed)
{
    return index * 2654435761u + seed;
}

static void Fill(PVOID base, SIZE_T size, ULONG seed)
{
    for (ULONG i = 0; i < size / sizeof(ULONG); i++)
        ((ULONG *)base)[i] = Pattern(i, seed);
}

static BOOLEAN Holds(PVOID base, SIZE_T size, ULONG seed)
{
    for (ULONG i = 0; i < size / sizeof(ULONG); i++) {
        if (((ULONG *)base)[i] != Pattern(i, seed))
            return FALSE;
    }
    return TRUE;
}

// Is anything mapped at `address` in this process?
static BOOLEAN IsMapped(PVOID address)
{
    MEMORY_BASIC_INFORMATION information;

    if (NtQueryVirtualMemory(NtCurrentProcess(), address, MemoryBasicInformation, &information,
                             sizeof(information), NULL) != STATUS_SUCCESS)
        return FALSE;
    return information.State == MEM_COMMIT;
}

// A section on `port` and a view of it, filled with `seed`'s pattern.
static NTSTATUS MakeView(HANDLE port, ALPC_HANDLE *section, ALPC_DATA_VIEW_ATTR *view,
                         ULONG seed)
{
    SIZE_T actual = 0;
    NTSTATUS status = NtAlpcCreatePortSection(port, 0, NULL, SECTION_SIZE, section, &actual);

    if (!NT_SUCCESS(status))
        return status;
    memset(view, 0, sizeof(*view));
    view->SectionHandle = *section;
    view->ViewSize = VIEW_SIZE;
    status = NtAlpcCreateSectionView(port, 0, view);
    if (NT_SUCCESS(status))
        Fill(view->ViewBase, VIEW_SIZE, seed);
    return status;
}

static void SetViewAttribute(TX_ATTRIBUTES *send, const ALPC_DATA_VIEW_ATTR *view, ULONG flags)
{
    ALPC_DATA_VIEW_ATTR *attribute;

    TxInitAttributes(send, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    attribute = AlpcGetMessageAttribute(&send->Header, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    *attribute = *view;
    attribute->Flags = flags;
    send->Header.ValidAttributes = ALPC_MESSAGE_VIEW_ATTRIBUTE;
}

typedef struct _TX_VIEW_CLIENT {
    ULONG Flags;                    // the view attribute's
    NTSTATUS Status[6];
    BOOLEAN AnswerSeen;
} TX_VIEW_CLIENT;

// One request carrying a 256K view; the server answers in the same pages.
static NTSTATUS SendAView(TX_CLIENT *client)
{
    TX_VIEW_CLIENT *state = client->Context;
    ALPC_DATA_VIEW_ATTR view;
    TX_MESSAGE request, reply;
    ALPC_HANDLE section = NULL;
    TX_ATTRIBUTES send;

    state->Status[0] = MakeView(client->Port, &section, &view, 1);
    if (!NT_SUCCESS(state->Status[0]))
        return state->Status[0];
    SetViewAttribute(&send, &view, state->Flags);
    TxInitMessage(&request, 8, 1);
    state->Status[1] = TxRequest(client->Port, &request, &send, &reply, NULL);
    // Unmapped as it was sent, the address is no view of the client's any
    // more (the receiver, in this same process, may have its own there).
    if (!(state->Flags & ALPC_VIEWFLG_UNMAP_EXISTING))
        state->AnswerSeen = Holds(view.ViewBase, VIEW_SIZE, 2);
    state->Status[2] = NtAlpcDeleteSectionView(client->Port, 0, view.ViewBase);
    state->Status[3] = NtAlpcDeletePortSection(client->Port, 0, section);
    return STATUS_SUCCESS;
}

// Receives the request and its view; checks the client's data, answers in it.
static void ServeAView(HANDLE server, BOOLEAN deleteView, PVOID *mapped)
{
    ALPC_DATA_VIEW_ATTR *view;
    TX_ATTRIBUTES attributes;
    TX_MESSAGE request;

    TxInitAttributes(&attributes, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    UT_EXPECT_STATUS(TxReceive(server, &request, &attributes), STATUS_SUCCESS);
    view = AlpcGetMessageAttribute(&attributes.Header, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    UT_EXPECT_EQ(attributes.Header.ValidAttributes, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    UT_EXPECT(view->ViewBase != NULL);
    UT_EXPECT_EQ(view->ViewSize, VIEW_SIZE);
    *mapped = view->ViewBase;
    if (!view->ViewBase)
        return;
    UT_EXPECT(Holds(view->ViewBase, VIEW_SIZE, 1));
    Fill(view->ViewBase, VIEW_SIZE, 2);
    if (deleteView) {
        UT_EXPECT_STATUS(NtAlpcDeleteSectionView(server, 0, view->ViewBase), STATUS_SUCCESS);
        UT_EXPECT_STATUS(NtAlpcDeleteSectionView(server, 0, view->ViewBase),
                         STATUS_INVALID_PARAMETER);
        UT_EXPECT(!IsMapped(*mapped));
    }
    UT_EXPECT_STATUS(TxReply(server, &request, NULL), STATUS_SUCCESS);
}

UTEST(LargeMessageTravelsInAViewBothSidesSee)
{
    TX_VIEW_CLIENT state;
    TX_CLIENT client = {.Name = SERVER_NAME, .Work = SendAView};
    HANDLE server, communication;
    PVOID mapped = NULL;

    memset(&state, 0, sizeof(state));
    client.Context = &state;
    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    if (!TxConnect(&client, server, NULL, &communication))
        return;
    ServeAView(server, TRUE, &mapped);
    TxJoin(&client, STATUS_SUCCESS);
    for (int i = 0; i < 4; i++)
        UT_EXPECT_STATUS(state.Status[i], STATUS_SUCCESS);
    UT_EXPECT(state.AnswerSeen);
    NtClose(communication);
    NtClose(server);
}

// ALPC_VIEWFLG_UNMAP_EXISTING: the sender's mapping goes as it sends; a
// view received and kept goes when the receiver's port closes.
UTEST(SentViewCanLeaveTheSenderAndGoesWithTheReceiversPort)
{
    TX_VIEW_CLIENT state;
    TX_CLIENT client = {.Name = SERVER_NAME, .Work = SendAView};
    HANDLE server, communication;
    PVOID mapped = NULL;

    memset(&state, 0, sizeof(state));
    state.Flags = ALPC_VIEWFLG_UNMAP_EXISTING;
    client.Context = &state;
    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    if (!TxConnect(&client, server, NULL, &communication))
        return;
    ServeAView(server, FALSE, &mapped);
    TxJoin(&client, STATUS_SUCCESS);
    UT_EXPECT_STATUS(state.Status[1], STATUS_SUCCESS);
    UT_EXPECT_STATUS(state.Status[2], STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(state.Status[3], STATUS_SUCCESS);
    // The server's mapping outlives the client's section handle...
    UT_EXPECT(mapped && IsMapped(mapped) && Holds(mapped, VIEW_SIZE, 2));
    NtClose(communication);
    UT_EXPECT(mapped && IsMapped(mapped));
    // ...and goes with the port it was received through.
    NtClose(server);
    UT_EXPECT(!IsMapped(mapped));
}

UTEST(PortSectionAndViewServicesRefuseBadArguments)
{
    ALPC_HANDLE section = NULL, other = NULL;
    ALPC_DATA_VIEW_ATTR view;
    SIZE_T actual = 0;
    HANDLE server, event;
    int made = 0;
    NTSTATUS status;

    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcCreatePortSection(server, 1, NULL, 0x10000, &section, &actual),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcCreatePortSection(server, 0, NULL, 0, &section, &actual),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcCreatePortSection(server, 0, NULL, 1ULL << 40, &section, &actual),
                     STATUS_SECTION_TOO_BIG);
    UT_EXPECT_STATUS(NtAlpcCreatePortSection(server, 0, NULL, 0x10000, UT_BAD_POINTER,
                                             &actual), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcCreatePortSection(server, 0, NULL, 0x10000, &section,
                                             UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtAlpcCreatePortSection((HANDLE)0x7FF0, 0, NULL, 0x10000, &section,
                                             &actual), STATUS_INVALID_HANDLE);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcCreatePortSection(server, 0, event, 0x10000, &section, &actual),
                     STATUS_OBJECT_TYPE_MISMATCH);
    UT_EXPECT_STATUS(NtAlpcCreatePortSection(event, 0, NULL, 0x10000, &section, &actual),
                     STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(event);
    // 0x21000 bytes: whole pages, and room for two 64K-aligned regions of 0x10000.
    UT_EXPECT_STATUS(NtAlpcCreatePortSection(server, 0, NULL, 0x20001, &section, &actual),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(actual, 0x21000);
    memset(&view, 0, sizeof(view));
    view.SectionHandle = section;
    view.ViewSize = 0x10000;
    UT_EXPECT_STATUS(NtAlpcCreateSectionView(server, 1, &view), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcCreateSectionView(server, 0, UT_BAD_POINTER),
                     STATUS_ACCESS_VIOLATION);
    view.ViewBase = (PVOID)0x10000;
    UT_EXPECT_STATUS(NtAlpcCreateSectionView(server, 0, &view), STATUS_INVALID_PARAMETER);
    view.ViewBase = NULL;
    view.SectionHandle = (ALPC_HANDLE)0x777777;
    UT_EXPECT_STATUS(NtAlpcCreateSectionView(server, 0, &view), STATUS_INVALID_HANDLE);
    view.SectionHandle = section;
    view.ViewSize = 0;
    UT_EXPECT_STATUS(NtAlpcCreateSectionView(server, 0, &view), STATUS_INVALID_VIEW_SIZE);
    view.ViewSize = 0x22000;
    UT_EXPECT_STATUS(NtAlpcCreateSectionView(server, 0, &view), STATUS_INVALID_VIEW_SIZE);
    view.ViewSize = 0x10000;
    UT_EXPECT_STATUS(NtAlpcCreateSectionView(server, 0, &view), STATUS_SUCCESS);
    UT_EXPECT(view.ViewBase != NULL && IsMapped(view.ViewBase));
    view.ViewBase = NULL;
    UT_EXPECT_STATUS(NtAlpcCreateSectionView(server, 0, &view), STATUS_SUCCESS);
    other = view.ViewBase;
    view.ViewBase = NULL;
    // The section is full.
    UT_EXPECT_STATUS(NtAlpcCreateSectionView(server, 0, &view), STATUS_INSUFFICIENT_RESOURCES);
    UT_EXPECT_STATUS(NtAlpcDeleteSectionView(server, 1, other), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcDeleteSectionView(server, 0, (UCHAR *)other + 0x1000),
                     STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcDeleteSectionView(server, 0, other), STATUS_SUCCESS);
    UT_EXPECT(!IsMapped(other));
    // Its region is free again.
    UT_EXPECT_STATUS(NtAlpcCreateSectionView(server, 0, &view), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcDeletePortSection(server, 1, section), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(NtAlpcDeletePortSection(server, 0, section), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcDeletePortSection(server, 0, section), STATUS_INVALID_HANDLE);
    // The views stay after their section's handle is gone.
    UT_EXPECT(IsMapped(view.ViewBase));
    // Resources per port are bounded (the two views count).
    while (made < 1000 && NT_SUCCESS(status = NtAlpcCreatePortSection(server, 0, NULL, 0x1000,
                                                                      &section, &actual)))
        made++;
    UT_EXPECT_STATUS(status, STATUS_INSUFFICIENT_RESOURCES);
    UT_EXPECT_EQ(made, 62);
    NtClose(server);
    UT_EXPECT(!IsMapped(view.ViewBase));
}

// A port section over a section of the caller's own: the same pages.
UTEST(PortSectionMayBeTheCallersOwnSection)
{
    LARGE_INTEGER size = {.QuadPart = 0x20000};
    ALPC_HANDLE section = NULL;
    ALPC_DATA_VIEW_ATTR view;
    HANDLE server, userSection;
    SIZE_T actual = 0, userSize = 0;
    PVOID userBase = NULL;

    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateSection(&userSection, SECTION_ALL_ACCESS, NULL, &size,
                                     PAGE_READWRITE, SEC_COMMIT, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcCreatePortSection(server, 0, userSection, 0x30000, &section,
                                             &actual), STATUS_INVALID_VIEW_SIZE);
    UT_EXPECT_STATUS(NtAlpcCreatePortSection(server, 0, userSection, 0, &section, &actual),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(actual, 0x20000);
    memset(&view, 0, sizeof(view));
    view.SectionHandle = section;
    view.ViewSize = 0x10000;
    UT_EXPECT_STATUS(NtAlpcCreateSectionView(server, 0, &view), STATUS_SUCCESS);
    if (view.ViewBase)
        Fill(view.ViewBase, 0x10000, 7);
    UT_EXPECT_STATUS(NtMapViewOfSection(userSection, NtCurrentProcess(), &userBase, 0, 0, NULL,
                                        &userSize, ViewUnmap, 0, PAGE_READWRITE),
                     STATUS_SUCCESS);
    UT_EXPECT(userBase && Holds(userBase, 0x10000, 7));
    NtUnmapViewOfSection(NtCurrentProcess(), userBase);
    NtClose(userSection);
    // The port's section keeps the section object: its view still holds the data.
    UT_EXPECT(view.ViewBase && Holds(view.ViewBase, 0x10000, 7));
    NtClose(server);
    UT_EXPECT(!IsMapped(view.ViewBase));
}

typedef struct _TX_DATAGRAMS {
    NTSTATUS Status[6];
} TX_DATAGRAMS;

// Two datagrams carrying the same view, and one with a flag Sleuth refuses.
static NTSTATUS SendViewDatagrams(TX_CLIENT *client)
{
    TX_DATAGRAMS *sent = client->Context;
    ALPC_DATA_VIEW_ATTR view;
    ALPC_HANDLE section = NULL;
    TX_ATTRIBUTES send;
    TX_MESSAGE message;

    sent->Status[0] = MakeView(client->Port, &section, &view, 3);
    for (int i = 1; i <= 3; i++) {
        SetViewAttribute(&send, &view, i == 3 ? ALPC_VIEWFLG_AUTO_RELEASE : 0);
        TxInitMessage(&message, 8, i);
        sent->Status[i] = NtAlpcSendWaitReceivePort(client->Port, 0, &message.h, &send.Header,
                                                    NULL, NULL, NULL, NULL);
    }
    // The server has both: the view and section can go from here.
    TxInitMessage(&message, 8, 9);
    sent->Status[4] = TxRequest(client->Port, &message, NULL, &message, NULL);
    sent->Status[5] = NtAlpcDeleteSectionView(client->Port, 0, view.ViewBase);
    NtAlpcDeletePortSection(client->Port, 0, section);
    return STATUS_SUCCESS;
}

UTEST(DatagramCarriesAViewOnlyAReceiverThatAsksGetsMapped)
{
    TX_DATAGRAMS sent;
    TX_CLIENT client = {.Name = SERVER_NAME, .Work = SendViewDatagrams};
    HANDLE server, communication;
    ALPC_DATA_VIEW_ATTR *view;
    TX_ATTRIBUTES attributes;
    TX_MESSAGE message;

    memset(&sent, 0, sizeof(sent));
    client.Context = &sent;
    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    if (!TxConnect(&client, server, NULL, &communication))
        return;
    // The first without asking for views: only its context.
    TxInitAttributes(&attributes, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
    UT_EXPECT_STATUS(TxReceive(server, &message, &attributes), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.h.u2.s2.Type & 0xFF, LPC_DATAGRAM);
    UT_EXPECT_EQ(attributes.Header.ValidAttributes, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
    // The second asking: mapped, the sender's data there.
    TxInitAttributes(&attributes, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    UT_EXPECT_STATUS(TxReceive(server, &message, &attributes), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.Data[0], 2);
    view = AlpcGetMessageAttribute(&attributes.Header, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    UT_EXPECT_EQ(attributes.Header.ValidAttributes, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    UT_EXPECT(view->ViewBase && Holds(view->ViewBase, VIEW_SIZE, 3));
    // The refused third never came; the request after it did.
    UT_EXPECT_STATUS(TxReceive(server, &message, NULL), STATUS_SUCCESS);
    UT_EXPECT_EQ(message.Data[0], 9);
    UT_EXPECT_STATUS(TxReply(server, &message, NULL), STATUS_SUCCESS);
    TxJoin(&client, STATUS_SUCCESS);
    UT_EXPECT_STATUS(sent.Status[0], STATUS_SUCCESS);
    UT_EXPECT_STATUS(sent.Status[1], STATUS_SUCCESS);
    UT_EXPECT_STATUS(sent.Status[2], STATUS_SUCCESS);
    UT_EXPECT_STATUS(sent.Status[3], STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(sent.Status[4], STATUS_SUCCESS);
    UT_EXPECT_STATUS(sent.Status[5], STATUS_SUCCESS);
    // The server's mapping outlives the sender's view and section.
    UT_EXPECT(view->ViewBase && Holds(view->ViewBase, VIEW_SIZE, 3));
    UT_EXPECT_STATUS(NtAlpcDeleteSectionView(server, 0, view->ViewBase), STATUS_SUCCESS);
    NtClose(communication);
    NtClose(server);
}

// ---- Death of either side with a view mapped -----------------------------------------

static HANDLE ReadyEvent;

static NTSTATUS CreateReadyEvent(BOOLEAN open)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;

    RtlInitUnicodeString(&name, READY_EVENT);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    return open ? NtOpenEvent(&ReadyEvent, EVENT_ALL_ACCESS, &attributes)
                : NtCreateEvent(&ReadyEvent, EVENT_ALL_ACCESS, &attributes, NotificationEvent,
                                FALSE);
}

static NTSTATUS StartChild(const WCHAR *commandLine, PHANDLE process)
{
    UNICODE_STRING image, line;
    CLIENT_ID clientId;

    RtlInitUnicodeString(&image, u"talpcx.exe");
    RtlInitUnicodeString(&line, commandLine);
    return NtCreateProcessFromArchive(process, NULL, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS,
                                      NULL, &image, &line, 0, &clientId);
}

static NTSTATUS KillChild(HANDLE process)
{
    LARGE_INTEGER patience = UtMilliseconds(TX_PATIENCE_MS);
    NTSTATUS status = NtTerminateProcess(process, 0x1DEAD);

    if (NT_SUCCESS(status))
        status = NtWaitForSingleObject(process, FALSE, &patience);
    NtClose(process);
    return status;
}

// The child client: connects to the parent and sends a view it never gets back.
static int ChildClient(void)
{
    TX_VIEW_CLIENT state;
    TX_CLIENT client = {.Name = SERVER_NAME, .Work = SendAView};

    memset(&state, 0, sizeof(state));
    client.Context = &state;
    TxClientThread(&client);
    return 2;                                   // not reached: the parent kills it first
}

// The child server: receives one request with its view and never answers.
static int ChildServer(void)
{
    ALPC_DATA_VIEW_ATTR *view;
    TX_ATTRIBUTES attributes;
    HANDLE server, communication;
    TX_MESSAGE request;

    if (TxCreateServer(&server, CHILD_NAME, 0) != STATUS_SUCCESS ||
        CreateReadyEvent(TRUE) != STATUS_SUCCESS)
        return 1;
    NtSetEvent(ReadyEvent, NULL);
    if (TxReceive(server, &request, NULL) != STATUS_SUCCESS ||
        NtAlpcAcceptConnectPort(&communication, server, 0, NULL, NULL, NULL, &request.h, NULL,
                                TRUE) != STATUS_SUCCESS)
        return 3;
    TxInitAttributes(&attributes, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    if (TxReceive(server, &request, &attributes) != STATUS_SUCCESS)
        return 4;
    view = AlpcGetMessageAttribute(&attributes.Header, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    if (!(attributes.Header.ValidAttributes & ALPC_MESSAGE_VIEW_ATTRIBUTE) ||
        !Holds(view->ViewBase, VIEW_SIZE, 1))
        return 5;
    NtSetEvent(ReadyEvent, NULL);
    for (;;) {
        LARGE_INTEGER hour = UtMilliseconds(3600000);

        NtDelayExecution(FALSE, &hour);         // holds the request and the view until killed
    }
}

int TxViewChild(const char *role)
{
    if (!strcmp(role, "client"))
        return ChildClient();
    if (!strcmp(role, "server"))
        return ChildServer();
    return 9;
}

UTEST(ClientKilledWhileItsViewIsMappedLeavesNothing)
{
    ALPC_DATA_VIEW_ATTR *view;
    TX_ATTRIBUTES attributes;
    HANDLE server, communication, child;
    TX_MESSAGE request;

    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    UT_EXPECT_STATUS(StartChild(u"talpcx child client", &child), STATUS_SUCCESS);
    UT_EXPECT_STATUS(TxReceive(server, &request, NULL), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtAlpcAcceptConnectPort(&communication, server, 0, NULL, NULL, NULL,
                                             &request.h, NULL, TRUE), STATUS_SUCCESS);
    TxInitAttributes(&attributes, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    UT_EXPECT_STATUS(TxReceive(server, &request, &attributes), STATUS_SUCCESS);
    view = AlpcGetMessageAttribute(&attributes.Header, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    UT_EXPECT(view->ViewBase && Holds(view->ViewBase, VIEW_SIZE, 1));
    UT_EXPECT_STATUS(KillChild(child), STATUS_SUCCESS);
    // The pages are the section's: the server's mapping still holds them.
    UT_EXPECT(view->ViewBase && IsMapped(view->ViewBase) && Holds(view->ViewBase, VIEW_SIZE, 1));
    // Its request has nobody to go back to: the answer goes nowhere.
    TxReply(server, &request, NULL);
    NtClose(communication);
    NtClose(server);
    UT_EXPECT(!view->ViewBase || !IsMapped(view->ViewBase));
}

typedef struct _TX_DEATH {
    ALPC_DATA_VIEW_ATTR View;
    NTSTATUS Status[4];
} TX_DEATH;

static NTSTATUS SendAViewToTheChild(TX_CLIENT *client)
{
    TX_DEATH *death = client->Context;
    ALPC_HANDLE section = NULL;
    TX_MESSAGE request, reply;
    TX_ATTRIBUTES send;

    death->Status[0] = MakeView(client->Port, &section, &death->View, 1);
    if (!NT_SUCCESS(death->Status[0]))
        return death->Status[0];
    SetViewAttribute(&send, &death->View, 0);
    TxInitMessage(&request, 8, 1);
    death->Status[1] = TxRequest(client->Port, &request, &send, &reply, NULL);
    death->Status[2] = NtAlpcDeleteSectionView(client->Port, 0, death->View.ViewBase);
    death->Status[3] = NtAlpcDeletePortSection(client->Port, 0, section);
    return STATUS_SUCCESS;
}

UTEST(ServerKilledWhileItHoldsAViewLetsItsClientGo)
{
    LARGE_INTEGER patience = UtMilliseconds(TX_PATIENCE_MS);
    TX_DEATH death;
    TX_CLIENT client = {.Name = CHILD_NAME, .Work = SendAViewToTheChild};
    HANDLE child;

    memset(&death, 0, sizeof(death));
    client.Context = &death;
    client.Qos = (SECURITY_QUALITY_OF_SERVICE){sizeof(client.Qos), SecurityImpersonation,
                                               SECURITY_STATIC_TRACKING, FALSE};
    UT_EXPECT_STATUS(CreateReadyEvent(FALSE), STATUS_SUCCESS);
    UT_EXPECT_STATUS(StartChild(u"talpcx child server", &child), STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtWaitForSingleObject(ReadyEvent, FALSE, &patience), STATUS_SUCCESS);
    NtResetEvent(ReadyEvent, NULL);
    UT_EXPECT_STATUS(UtStartThread(&client.Thread, TxClientThread, &client), STATUS_SUCCESS);
    // The child has the request and its view mapped.
    UT_EXPECT_STATUS(NtWaitForSingleObject(ReadyEvent, FALSE, &patience), STATUS_SUCCESS);
    UT_EXPECT_STATUS(KillChild(child), STATUS_SUCCESS);
    UT_EXPECT_STATUS(UtJoinThread(client.Thread), STATUS_SUCCESS);
    UT_EXPECT_STATUS(client.ConnectStatus, STATUS_SUCCESS);
    UT_EXPECT_STATUS(death.Status[0], STATUS_SUCCESS);
    UT_EXPECT(!NT_SUCCESS(death.Status[1]));
    UT_EXPECT_STATUS(death.Status[2], STATUS_SUCCESS);
    UT_EXPECT_STATUS(death.Status[3], STATUS_SUCCESS);
    if (client.Port)
        NtClose(client.Port);
    NtClose(ReadyEvent);
}

const UTEST TxViewTestList[] = {
    UT_ENTRY(LargeMessageTravelsInAViewBothSidesSee),
    UT_ENTRY(SentViewCanLeaveTheSenderAndGoesWithTheReceiversPort),
    UT_ENTRY(PortSectionAndViewServicesRefuseBadArguments),
    UT_ENTRY(PortSectionMayBeTheCallersOwnSection),
    UT_ENTRY(DatagramCarriesAViewOnlyAReceiverThatAsksGetsMapped),
    UT_ENTRY(ClientKilledWhileItsViewIsMappedLeavesNothing),
    UT_ENTRY(ServerKilledWhileItHoldsAViewLetsItsClientGo),
};
const int TxViewTestCount = ARRAYSIZE(TxViewTestList);
