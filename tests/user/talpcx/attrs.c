// The message attributes: the context attribute a receiver gets, the
// runtime's layout routines, and every way an attribute buffer can lie.

#include "tests/user/talpcx/talpcx.h"

#define SERVER_NAME u"\\RPC Control\\TalpcxAttributes"
#define SERVER_CONTEXT ((PVOID)0x5E4E4C0)
#define CLIENT_CONTEXT ((PVOID)0xC11E47)

typedef struct _TX_SEEN {
    NTSTATUS Status[2];
    ULONG Valid;
    ALPC_CONTEXT_ATTR Context;
    ULONG ReplyMessageId;
    ULONG ReplyValue;
} TX_SEEN;

// Two requests, the first with its message context; what the first reply's
// context attribute said.
static NTSTATUS SendTwoWithContext(TX_CLIENT *client)
{
    TX_SEEN *seen = client->Context;
    TX_ATTRIBUTES send, receive;
    TX_MESSAGE request, reply;
    ALPC_CONTEXT_ATTR *context;

    TxInitAttributes(&send, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
    context = AlpcGetMessageAttribute(&send.Header, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
    context->MessageContext = CLIENT_CONTEXT;
    send.Header.ValidAttributes = ALPC_MESSAGE_CONTEXT_ATTRIBUTE;
    TxInitAttributes(&receive, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
    TxInitMessage(&request, 8, 1);
    seen->Status[0] = TxRequest(client->Port, &request, &send, &reply, &receive);
    seen->Valid = receive.Header.ValidAttributes;
    seen->Context = *(ALPC_CONTEXT_ATTR *)AlpcGetMessageAttribute(
        &receive.Header, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
    seen->ReplyMessageId = reply.h.MessageId;
    seen->ReplyValue = reply.Data[0];
    TxInitMessage(&request, 8, 2);
    seen->Status[1] = TxRequest(client->Port, &request, NULL, &reply, NULL);
    return STATUS_SUCCESS;
}

UTEST(ContextAttributeTellsEachSideAboutTheMessage)
{
    TX_CLIENT client = {.Name = SERVER_NAME, .Work = SendTwoWithContext};
    HANDLE server, communication;
    TX_ATTRIBUTES attributes;
    ALPC_CONTEXT_ATTR *context, first;
    TX_MESSAGE request;
    TX_SEEN seen;

    memset(&seen, 0, sizeof(seen));
    client.Context = &seen;
    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    if (!TxConnect(&client, server, SERVER_CONTEXT, &communication))
        return;
    UT_EXPECT_STATUS(TxInitAttributes(&attributes, ALPC_MESSAGE_CONTEXT_ATTRIBUTE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(TxReceive(server, &request, &attributes), STATUS_SUCCESS);
    context = AlpcGetMessageAttribute(&attributes.Header, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
    UT_EXPECT_EQ(attributes.Header.ValidAttributes, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
    // The server side: the accept's port context; no message context of its own yet.
    UT_EXPECT(context->PortContext == SERVER_CONTEXT);
    UT_EXPECT(context->MessageContext == NULL);
    UT_EXPECT_EQ(context->MessageId, request.h.MessageId);
    UT_EXPECT_EQ(context->CallbackId, request.h.CallbackId);
    UT_EXPECT(context->Sequence != 0);
    first = *context;
    request.Data[0] = 100;
    UT_EXPECT_STATUS(TxReply(server, &request, NULL), STATUS_SUCCESS);
    // The next one through the same connection comes later in its sequence.
    UT_EXPECT_STATUS(TxReceive(server, &request, &attributes), STATUS_SUCCESS);
    UT_EXPECT_EQ(request.Data[0], 2);
    UT_EXPECT(context->Sequence > first.Sequence);
    UT_EXPECT(context->MessageId == request.h.MessageId);
    UT_EXPECT_STATUS(TxReply(server, &request, NULL), STATUS_SUCCESS);
    TxJoin(&client, STATUS_SUCCESS);
    UT_EXPECT_STATUS(seen.Status[0], STATUS_SUCCESS);
    UT_EXPECT_STATUS(seen.Status[1], STATUS_SUCCESS);
    UT_EXPECT_EQ(seen.ReplyValue, 100);
    // The client side of the reply: its own message context back.
    UT_EXPECT_EQ(seen.Valid, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
    UT_EXPECT(seen.Context.MessageContext == CLIENT_CONTEXT);
    UT_EXPECT(seen.Context.PortContext == NULL);
    UT_EXPECT_EQ(seen.Context.MessageId, seen.ReplyMessageId);
    NtClose(communication);
    NtClose(server);
}

typedef struct _TX_LIES {
    NTSTATUS Status[8];
} TX_LIES;

// Attribute buffers that lie, each refused before anything is sent; then
// one good request, so the server sees only that.
static NTSTATUS SendLyingAttributes(TX_CLIENT *client)
{
    TX_LIES *lies = client->Context;
    TX_MESSAGE request, reply;
    TX_ATTRIBUTES send;

    TxInitMessage(&request, 8, 1);
    // Valid beyond what was allocated.
    TxInitAttributes(&send, ALPC_MESSAGE_CONTEXT_ATTRIBUTE);
    send.Header.ValidAttributes = ALPC_MESSAGE_SECURITY_ATTRIBUTE;
    lies->Status[0] = TxRequest(client->Port, &request, &send, &reply, NULL);
    // A bit NT 6 does not know.
    send.Header.AllocatedAttributes = 0x08000000;
    send.Header.ValidAttributes = 0;
    lies->Status[1] = TxRequest(client->Port, &request, &send, &reply, NULL);
    // The handle attribute (not passed by Sleuth).
    TxInitAttributes(&send, ALPC_MESSAGE_HANDLE_ATTRIBUTE);
    send.Header.ValidAttributes = ALPC_MESSAGE_HANDLE_ATTRIBUTE;
    lies->Status[2] = TxRequest(client->Port, &request, &send, &reply, NULL);
    // The buffer itself unreadable.
    lies->Status[3] = NtAlpcSendWaitReceivePort(client->Port, ALPC_MSGFLG_SYNC_REQUEST,
                                                &request.h, UT_BAD_POINTER, &reply.h, NULL,
                                                NULL, NULL);
    // A security attribute without a QoS, and with a level no one has.
    TxInitAttributes(&send, ALPC_MESSAGE_SECURITY_ATTRIBUTE);
    send.Header.ValidAttributes = ALPC_MESSAGE_SECURITY_ATTRIBUTE;
    lies->Status[4] = TxRequest(client->Port, &request, &send, &reply, NULL);
    // A view attribute naming no view.
    TxInitAttributes(&send, ALPC_MESSAGE_VIEW_ATTRIBUTE);
    send.Header.ValidAttributes = ALPC_MESSAGE_VIEW_ATTRIBUTE;
    ((ALPC_DATA_VIEW_ATTR *)AlpcGetMessageAttribute(&send.Header, ALPC_MESSAGE_VIEW_ATTRIBUTE))
        ->ViewBase = (PVOID)0x10000;
    lies->Status[5] = TxRequest(client->Port, &request, &send, &reply, NULL);
    // A receive buffer with a bit NT 6 does not know.
    TxInitAttributes(&send, 0);
    send.Header.AllocatedAttributes = 0x04000000;
    lies->Status[6] = TxRequest(client->Port, &request, NULL, &reply, &send);
    TxInitMessage(&request, 8, 7);
    lies->Status[7] = TxRequest(client->Port, &request, NULL, &reply, NULL);
    return STATUS_SUCCESS;
}

UTEST(AttributeBuffersThatLieAreRefused)
{
    TX_CLIENT client = {.Name = SERVER_NAME, .Work = SendLyingAttributes};
    HANDLE server, communication;
    TX_MESSAGE request;
    TX_LIES lies;

    memset(&lies, 0, sizeof(lies));
    client.Context = &lies;
    UT_EXPECT_STATUS(TxCreateServer(&server, SERVER_NAME, 0), STATUS_SUCCESS);
    if (!TxConnect(&client, server, NULL, &communication))
        return;
    UT_EXPECT_STATUS(TxReceive(server, &request, NULL), STATUS_SUCCESS);
    // Only the good one arrived.
    UT_EXPECT_EQ(request.Data[0], 7);
    UT_EXPECT_STATUS(TxReply(server, &request, NULL), STATUS_SUCCESS);
    TxJoin(&client, STATUS_SUCCESS);
    UT_EXPECT_STATUS(lies.Status[0], STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(lies.Status[1], STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(lies.Status[2], STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(lies.Status[3], STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(lies.Status[4], STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(lies.Status[5], STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(lies.Status[6], STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(lies.Status[7], STATUS_SUCCESS);
    NtClose(communication);
    NtClose(server);
}

// The user runtime's two routines (the host tests check the layout; here
// the copy built into every program).
UTEST(RuntimeLaysOutAttributeBuffersAsTheKernelReadsThem)
{
    TX_ATTRIBUTES attributes;
    ULONG required = 0;

    UT_EXPECT_STATUS(AlpcInitializeMessageAttribute(ALPC_MESSAGE_CONTEXT_ATTRIBUTE |
                                                        ALPC_MESSAGE_SECURITY_ATTRIBUTE,
                                                    NULL, 0, &required),
                     STATUS_BUFFER_TOO_SMALL);
    UT_EXPECT_EQ(required, sizeof(ALPC_MESSAGE_ATTRIBUTES) + sizeof(ALPC_SECURITY_ATTR) +
                               sizeof(ALPC_CONTEXT_ATTR));
    UT_EXPECT_STATUS(TxInitAttributes(&attributes, 0x1), STATUS_INVALID_PARAMETER);
    UT_EXPECT_STATUS(TxInitAttributes(&attributes, ALPC_MESSAGE_CONTEXT_ATTRIBUTE |
                                                       ALPC_MESSAGE_SECURITY_ATTRIBUTE),
                     STATUS_SUCCESS);
    UT_EXPECT((UCHAR *)AlpcGetMessageAttribute(&attributes.Header,
                                               ALPC_MESSAGE_CONTEXT_ATTRIBUTE) ==
              (UCHAR *)&attributes + sizeof(ALPC_MESSAGE_ATTRIBUTES) +
                  sizeof(ALPC_SECURITY_ATTR));
    UT_EXPECT(AlpcGetMessageAttribute(&attributes.Header, ALPC_MESSAGE_VIEW_ATTRIBUTE) == NULL);
}

const UTEST TxAttributeTestList[] = {
    UT_ENTRY(ContextAttributeTellsEachSideAboutTheMessage),
    UT_ENTRY(AttributeBuffersThatLieAreRefused),
    UT_ENTRY(RuntimeLaysOutAttributeBuffersAsTheKernelReadsThem),
};
const int TxAttributeTestCount = ARRAYSIZE(TxAttributeTestList);
