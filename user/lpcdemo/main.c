// lpcdemo.exe: an LPC server and its client in one program, for watching
// LPC in the debugger (GRUB entry "an LPC client stuck waiting for a
// reply": run=lpcdemo,lpcdemo). The copy that creates \LpcDemoPort first is
// the server; the other finds the name taken and connects as the client.
//
// The client passes a shared section with its connection (a PORT_VIEW), so
// that big data travels through the view and only small messages through
// the port. It sends requests: the first ones are answered at once; the
// third makes the server's receiving thread take a mutant that the
// server's bookkeeping thread holds while it waits for an event nobody
// sets. So the client waits for its reply forever (WrLpcReply), the server
// thread that received the request waits on the mutant, and the mutant's
// owner waits on the event: a wait chain to follow with !lpc message,
// !lpc thread, !thread and !object.
//
// Exercise 001 (kd/ex001.c) starts both copies with the command line
// "lpcdemo.exe exercise HELPERS HOLDER STUCK": the server then has HELPERS
// helper threads, of which number HOLDER takes the lock (the others run a
// housekeeping timer loop), the client's request STUCK is the one that
// hangs, and neither copy prints anything (the boot text must not tell the
// student the answer).

#include "user/include/runtime.h"

#define DEMO_PORT_NAME     u"\\LpcDemoPort"
#define DEMO_VIEW_SIZE     0x10000
#define DEMO_STUCK_REQUEST 3

typedef struct _DEMO_MESSAGE {
    PORT_MESSAGE h;
    ULONG Request;          // numbered from 1
    ULONG ViewOffset;       // where the request's text is in the shared view
    ULONG ViewLength;
    NTSTATUS Status;
    char Answer[64];
} DEMO_MESSAGE;

#define DEMO_MAXIMUM_HELPERS 8

static HANDLE DemoLock;         // the mutant the bookkeeper holds
static HANDLE DemoNeverSet;     // the event it waits for
static HANDLE DemoLockTaken;    // set once the bookkeeper owns the mutant

// The variant (exercise mode), else the demo's own story.
static BOOLEAN DemoQuiet;
static ULONG DemoHelpers = 1, DemoHolder = 0, DemoStuckRequest = DEMO_STUCK_REQUEST;

#define DemoSay(...)                \
    do {                            \
        if (!DemoQuiet)             \
            printf(__VA_ARGS__);    \
    } while (0)

// "lpcdemo.exe exercise HELPERS HOLDER STUCK": FALSE if the words are not
// that (the demo's defaults stay).
static BOOLEAN DemoParseCommandLine(const UNICODE_STRING *line)
{
    static const char keyword[] = "exercise";
    ULONG length = line->Length / sizeof(WCHAR), i = 0, word = 0, values[3];

    while (i < length && word < 5) {
        ULONG start, value = 0;

        while (i < length && line->Buffer[i] == ' ')
            i++;
        if (i == length)
            break;
        start = i;
        while (i < length && line->Buffer[i] != ' ')
            i++;
        if (word == 1) {
            if (i - start != sizeof(keyword) - 1)
                return FALSE;
            for (ULONG k = 0; k < i - start; k++) {
                if (line->Buffer[start + k] != (WCHAR)keyword[k])
                    return FALSE;
            }
        } else if (word >= 2) {
            for (ULONG k = start; k < i; k++) {
                if (line->Buffer[k] < '0' || line->Buffer[k] > '9' || value > 1000)
                    return FALSE;
                value = value * 10 + (ULONG)(line->Buffer[k] - '0');
            }
            values[word - 2] = value;
        }
        word++;
    }
    if (word != 5 || values[0] < 1 || values[0] > DEMO_MAXIMUM_HELPERS ||
        values[1] >= values[0] || values[2] < 1 || values[2] > 16)
        return FALSE;
    DemoHelpers = values[0];
    DemoHolder = values[1];
    DemoStuckRequest = values[2];
    DemoQuiet = TRUE;
    return TRUE;
}

static void DemoInitializeMessage(DEMO_MESSAGE *message)
{
    memset(message, 0, sizeof(*message));
    message->h.u1.s1.DataLength = (CSHORT)(sizeof(*message) - sizeof(PORT_MESSAGE));
    message->h.u1.s1.TotalLength = (CSHORT)sizeof(*message);
}

// A helper that is not the holder: housekeeping every 30 s, for good.
static NTSTATUS NTAPI DemoHousekeeper(PVOID parameter)
{
    LARGE_INTEGER interval = {.QuadPart = -30LL * 10000000};

    for (;;)
        NtDelayExecution(FALSE, &interval);
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI DemoBookkeeper(PVOID parameter)
{
    NtWaitForSingleObject(DemoLock, FALSE, NULL);       // owns it from now on
    NtSetEvent(DemoLockTaken, NULL);
    NtWaitForSingleObject(DemoNeverSet, FALSE, NULL);   // and never lets go
    return STATUS_SUCCESS;
}

static int DemoServer(HANDLE port)
{
    DEMO_MESSAGE message;
    PORT_MESSAGE *reply = NULL;
    const char *view = NULL;
    HANDLE bookkeeper;
    PVOID context;

    NtCreateMutant(&DemoLock, MUTANT_ALL_ACCESS, NULL, FALSE);
    NtCreateEvent(&DemoNeverSet, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE);
    NtCreateEvent(&DemoLockTaken, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE);
    for (ULONG i = 0; i < DemoHelpers; i++)
        NtCreateThreadEx(&bookkeeper, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                         i == DemoHolder ? (PVOID)DemoBookkeeper : (PVOID)DemoHousekeeper, NULL,
                         0, 0, 0, 0, NULL);
    // The scene is set before any client is served: the lock is taken.
    NtWaitForSingleObject(DemoLockTaken, FALSE, NULL);
    DemoSay("lpcdemo: server: \\LpcDemoPort created\n");
    for (;;) {
        NTSTATUS status = NtReplyWaitReceivePort(port, &context, reply, &message.h);

        reply = NULL;
        // Woken to an empty queue: a dying client took its request back.
        if (status == STATUS_UNSUCCESSFUL)
            continue;
        if (!NT_SUCCESS(status)) {
            DemoSay("lpcdemo: server: receive failed: %08x\n", (ULONG)status);
            return status;
        }
        switch (message.h.u2.s2.Type & 0xFF) {
        case LPC_CONNECTION_REQUEST: {
            REMOTE_PORT_VIEW clientView = {.Length = sizeof(REMOTE_PORT_VIEW)};
            HANDLE client;

            status = NtAcceptConnectPort(&client, NULL, &message.h, TRUE, NULL, &clientView);
            if (NT_SUCCESS(status))
                status = NtCompleteConnectPort(client);
            view = clientView.ViewBase;
            DemoSay("lpcdemo: server: client %llx connected, its view is at %p here\n",
                   (unsigned long long)(ULONG_PTR)message.h.ClientId.UniqueProcess, view);
            break;
        }
        case LPC_REQUEST:
            if (message.Request == DemoStuckRequest) {
                DemoSay("lpcdemo: server: request %u needs the bookkeeping lock...\n",
                       message.Request);
                NtWaitForSingleObject(DemoLock, FALSE, NULL);   // never returns
            }
            snprintf(message.Answer, sizeof(message.Answer), "request %u: %u bytes read",
                     message.Request,
                     view && message.ViewLength <= DEMO_VIEW_SIZE ? message.ViewLength : 0);
            message.Status = STATUS_SUCCESS;
            reply = &message.h;
            break;
        case LPC_PORT_CLOSED:
        case LPC_CLIENT_DIED:
            NtClose(context);
            break;
        default:
            break;
        }
    }
}

static int DemoClient(void)
{
    UNICODE_STRING name;
    LARGE_INTEGER size = {.QuadPart = DEMO_VIEW_SIZE};
    PORT_VIEW clientView = {.Length = sizeof(PORT_VIEW)};
    REMOTE_PORT_VIEW serverView = {.Length = sizeof(REMOTE_PORT_VIEW)};
    SECURITY_QUALITY_OF_SERVICE qos = {.Length = sizeof(qos),
                                       .ImpersonationLevel = SecurityImpersonation,
                                       .ContextTrackingMode = SECURITY_DYNAMIC_TRACKING};
    HANDLE port, section;
    ULONG maxMessage;
    NTSTATUS status;

    status = NtCreateSection(&section, SECTION_ALL_ACCESS, NULL, &size, PAGE_READWRITE,
                             SEC_COMMIT, NULL);
    if (!NT_SUCCESS(status))
        return status;
    clientView.SectionHandle = section;
    clientView.ViewSize = DEMO_VIEW_SIZE;
    RtlInitUnicodeString(&name, DEMO_PORT_NAME);
    status = NtConnectPort(&port, &name, &qos, &clientView, &serverView, &maxMessage, NULL,
                           NULL);
    if (!NT_SUCCESS(status)) {
        DemoSay("lpcdemo: client: cannot connect: %08x\n", (ULONG)status);
        return status;
    }
    DemoSay("lpcdemo: client: connected; my view at %p is at %p in the server\n",
           clientView.ViewBase, clientView.ViewRemoteBase);
    for (ULONG i = 1; i <= DemoStuckRequest; i++) {
        DEMO_MESSAGE message;
        char *text = (char *)clientView.ViewBase + 0x100 * i;

        snprintf(text, 0x100, "request %u travels through the shared view", i);
        DemoInitializeMessage(&message);
        message.Request = i;
        message.ViewOffset = 0x100 * i;
        message.ViewLength = (ULONG)strlen(text);
        if (i == DemoStuckRequest)
            DemoSay("lpcdemo: client: sending request %u and waiting for the reply\n", i);
        status = NtRequestWaitReplyPort(port, &message.h, &message.h);
        if (!NT_SUCCESS(status)) {
            DemoSay("lpcdemo: client: request %u failed: %08x\n", i, (ULONG)status);
            return status;
        }
        DemoSay("lpcdemo: client: reply to message %x: %s\n", message.h.MessageId,
               message.Answer);
    }
    return STATUS_SUCCESS;      // only if the server got unstuck
}

int main(void)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    HANDLE port;
    SERVER_PORT_SECURITY security;
    NTSTATUS status;

    DemoParseCommandLine(&NtCurrentPeb()->ProcessParameters->CommandLine);
    // Anyone may try the demo: Everyone may connect.
    status = RtlCreateServerPortSecurity(&security, TRUE);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&name, DEMO_PORT_NAME);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, &security.Descriptor);
    status = NtCreatePort(&port, &attributes, 0, sizeof(DEMO_MESSAGE), 0);
    if (NT_SUCCESS(status))
        return DemoServer(port);
    if (status == STATUS_OBJECT_NAME_COLLISION)
        return DemoClient();
    DemoSay("lpcdemo: cannot create \\LpcDemoPort: %08x\n", (ULONG)status);
    return status;
}
