// ubench.exe: the user-mode benchmarks `make bench` runs (the kernel starts
// this program when booted with `bench`). Each prints
// "BENCH <name> <median> cycles (...)" like the in-kernel ones; under QEMU's
// -icount the TSC counts instructions. `ubench lpc-request-reply` and
// `ubench lpc-datagram` run one LPC benchmark alone (make bench-phases).
// `ubench alpc-request-reply` runs ALPC's alone. `ubench exit` only
// exits: it is the program the process-creation benchmark starts.

#include "user/include/runtime.h"

#define UBENCH_SYSCALL_ROUNDS 10000
#define UBENCH_CREATE_ROUNDS  100
#define UBENCH_LPC_ROUNDS     10000
// The most threads the crowded thread-creation benchmarks keep alive
// meanwhile (about 36 KiB each, most of it the kernel stack: 10,000 fit in
// the 512 MiB the benchmarks boot with).
#define UBENCH_CROWD_THREADS  10000
// Datagrams between two yields of the sender (not timed). A server that is
// merely ready when the sender goes on (its boost decayed at a quantum end)
// has the sender's priority, so the yield runs it, and it drains the queue
// before it waits again: the queue never nears its 256-message quota.
#define UBENCH_LPC_PACING     64
#define UBENCH_PORT_NAME      u"\\UbenchLpcPort"
#define UBENCH_ALPC_PORT_NAME u"\\UbenchAlpcPort"
// tests/kernel/ktiodev.h's IOCTL_KTIO_ECHO (buffered, any access).
#define UBENCH_KTIO_ECHO      CTL_CODE(0x8123, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

static ULONG64 UbSamples[UBENCH_SYSCALL_ROUNDS];

static inline ULONG64 UbReadTsc(void)
{
    ULONG high, low;

    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
    return ((ULONG64)high << 32) | low;
}

static void UbSort(ULONG64 *values, ULONG count)
{
    for (ULONG gap = count / 2; gap > 0; gap /= 2) {
        for (ULONG i = gap; i < count; i++) {
            ULONG64 value = values[i];
            ULONG j = i;

            for (; j >= gap && values[j - gap] > value; j -= gap)
                values[j] = values[j - gap];
            values[j] = value;
        }
    }
}

static void UbReport(const char *name, ULONG count)
{
    UbSort(UbSamples, count);
    printf("BENCH %s %llu cycles (median of %u; min %llu, p90 %llu)\n", name,
           (unsigned long long)UbSamples[count / 2], count, (unsigned long long)UbSamples[0],
           (unsigned long long)UbSamples[count * 9 / 10]);
}

// The cheapest round trip there is: NtTestAlert with nothing pending.
static void UbNullSystemCall(void)
{
    for (ULONG i = 0; i < UBENCH_SYSCALL_ROUNDS; i++) {
        ULONG64 start = UbReadTsc();

        NtTestAlert();
        UbSamples[i] = UbReadTsc() - start;
    }
    UbReport("user-null-syscall", UBENCH_SYSCALL_ROUNDS);
}

// A device-control request that every driver passes straight on: NtDeviceIoControlFile
// through the test drivers' three-deep stack (tests/kernel/ktio.c, loaded by
// the kernel for the benchmarks), each filter with a completion routine,
// the bottom completing at once; a synchronous handle, no buffers.
static BOOLEAN UbIoControlThreeDeep(void)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK iosb;
    HANDLE file;
    NTSTATUS status;

    RtlInitUnicodeString(&name, u"\\Device\\KtIoBottom");
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    status = NtOpenFile(&file, FILE_READ_DATA | SYNCHRONIZE, &attributes, &iosb, 0,
                        FILE_SYNCHRONOUS_IO_NONALERT);
    if (!NT_SUCCESS(status)) {
        printf("ubench: no test device for io-ioctl-null-3deep: %08x\n", (ULONG)status);
        return FALSE;
    }
    for (ULONG i = 0; i < UBENCH_SYSCALL_ROUNDS; i++) {
        ULONG64 start = UbReadTsc();

        status = NtDeviceIoControlFile(file, NULL, NULL, NULL, &iosb, UBENCH_KTIO_ECHO, NULL, 0,
                                       NULL, 0);
        UbSamples[i] = UbReadTsc() - start;
        if (status != STATUS_SUCCESS) {
            printf("ubench: io-ioctl-null-3deep: %08x\n", (ULONG)status);
            NtClose(file);
            return FALSE;
        }
    }
    NtClose(file);
    UbReport("io-ioctl-null-3deep", UBENCH_SYSCALL_ROUNDS);
    return TRUE;
}

// NtReadFile of 4 KiB from the RAM file system (kernel/drivers/ramfs, a boot
// driver): a file of that size made for the benchmark, read whole at offset
// 0 each round through the filter manager's device, the file system and the
// system buffer, then deleted.
#define UBENCH_READ_ROUNDS 1000
static UCHAR UbFileBuffer[4096];

static BOOLEAN UbRamFsRead4K(void)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    FILE_DISPOSITION_INFORMATION disposition = {TRUE};
    IO_STATUS_BLOCK iosb;
    LARGE_INTEGER offset = {.QuadPart = 0};
    HANDLE file;
    NTSTATUS status;

    RtlInitUnicodeString(&name, u"\\??\\R:\\ubench-4k.bin");
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = NtCreateFile(&file, FILE_READ_DATA | FILE_WRITE_DATA | DELETE, &attributes, &iosb,
                          NULL, 0, 0, FILE_OVERWRITE_IF, FILE_NON_DIRECTORY_FILE, NULL, 0);
    if (NT_SUCCESS(status)) {
        memset(UbFileBuffer, 'r', sizeof(UbFileBuffer));
        status = NtWriteFile(file, NULL, NULL, NULL, &iosb, UbFileBuffer, sizeof(UbFileBuffer),
                             &offset, NULL);
        if (!NT_SUCCESS(status))
            NtClose(file);
    }
    if (!NT_SUCCESS(status)) {
        printf("ubench: no RAM file for io-read-4k-ramfs: %08x\n", (ULONG)status);
        return FALSE;
    }
    for (ULONG i = 0; i < UBENCH_READ_ROUNDS; i++) {
        ULONG64 start = UbReadTsc();

        status = NtReadFile(file, NULL, NULL, NULL, &iosb, UbFileBuffer, sizeof(UbFileBuffer),
                            &offset, NULL);
        UbSamples[i] = UbReadTsc() - start;
        if (status != STATUS_SUCCESS || iosb.Information != sizeof(UbFileBuffer)) {
            printf("ubench: io-read-4k-ramfs: %08x\n", (ULONG)status);
            break;
        }
    }
    NtSetInformationFile(file, &iosb, &disposition, sizeof(disposition),
                         FileDispositionInformation);
    NtClose(file);
    if (status != STATUS_SUCCESS)
        return FALSE;
    UbReport("io-read-4k-ramfs", UBENCH_READ_ROUNDS);
    return TRUE;
}

static NTSTATUS NTAPI UbEmptyThread(PVOID argument)
{
    return STATUS_SUCCESS;
}

// Create a thread, let it run to its end, wait for it and close it; `name`
// says how many other threads the process has meanwhile.
static BOOLEAN UbThreadCreation(const char *name)
{
    for (ULONG i = 0; i < UBENCH_CREATE_ROUNDS; i++) {
        ULONG64 start = UbReadTsc();
        HANDLE thread;
        NTSTATUS status = NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                           (PVOID)UbEmptyThread, NULL, 0, 0, 0, 0, NULL);

        if (!NT_SUCCESS(status)) {
            printf("ubench: NtCreateThreadEx failed: %08x\n", (ULONG)status);
            return FALSE;
        }
        NtWaitForSingleObject(thread, FALSE, NULL);
        NtClose(thread);
        UbSamples[i] = UbReadTsc() - start;
    }
    UbReport(name, UBENCH_CREATE_ROUNDS);
    return TRUE;
}

static HANDLE UbCrowd[UBENCH_CROWD_THREADS];

static NTSTATUS NTAPI UbWaitThread(PVOID gate)
{
    return NtWaitForSingleObject((HANDLE)gate, FALSE, NULL);
}

// The same with `count` more threads alive (each waiting on an event, with
// a one-page stack): creation must cost what it costs with one.
static BOOLEAN UbCrowdedThreadCreation(ULONG count, const char *name)
{
    HANDLE gate;
    ULONG created = 0;
    BOOLEAN ok = FALSE;
    NTSTATUS status = NtCreateEvent(&gate, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE);

    if (!NT_SUCCESS(status)) {
        printf("ubench: NtCreateEvent failed: %08x\n", (ULONG)status);
        return FALSE;
    }
    for (; created < count; created++) {
        status = NtCreateThreadEx(&UbCrowd[created], SYNCHRONIZE, NULL, NtCurrentProcess(),
                                  (PVOID)UbWaitThread, gate, 0, 0, 0x1000, 0, NULL);
        if (!NT_SUCCESS(status)) {
            printf("ubench: thread %u of the crowd: %08x\n", created, (ULONG)status);
            break;
        }
    }
    if (created == count)
        ok = UbThreadCreation(name);
    NtSetEvent(gate, NULL);
    for (ULONG i = 0; i < created; i++) {
        NtWaitForSingleObject(UbCrowd[i], FALSE, NULL);
        NtClose(UbCrowd[i]);
    }
    NtClose(gate);
    return ok;
}

// Start `ubench exit` from the archive, wait for it to end and close it.
static BOOLEAN UbProcessCreation(void)
{
    UNICODE_STRING image = {0, 0, NULL};
    UNICODE_STRING commandLine = {0, 0, NULL};

    RtlInitUnicodeString(&image, u"ubench");
    RtlInitUnicodeString(&commandLine, u"ubench exit");
    for (ULONG i = 0; i < UBENCH_CREATE_ROUNDS; i++) {
        ULONG64 start = UbReadTsc();
        HANDLE process;
        NTSTATUS status = NtCreateProcessFromArchive(&process, NULL, PROCESS_ALL_ACCESS, 0, NULL,
                                                     &image, &commandLine, 0, NULL);

        if (!NT_SUCCESS(status)) {
            printf("ubench: NtCreateProcessFromArchive failed: %08x\n", (ULONG)status);
            return FALSE;
        }
        NtWaitForSingleObject(process, FALSE, NULL);
        NtClose(process);
        UbSamples[i] = UbReadTsc() - start;
    }
    UbReport("user-process-create-exit", UBENCH_CREATE_ROUNDS);
    return TRUE;
}

typedef struct _UB_LPC_MESSAGE {
    PORT_MESSAGE h;
    ULONG Value;
} UB_LPC_MESSAGE;

static void UbInitializeMessage(UB_LPC_MESSAGE *message, ULONG value)
{
    memset(message, 0, sizeof(*message));
    message->h.u1.s1.DataLength = (CSHORT)(sizeof(*message) - sizeof(PORT_MESSAGE));
    message->h.u1.s1.TotalLength = (CSHORT)sizeof(*message);
    message->Value = value;
}

// `ubench lpcserver`: the other process of the LPC benchmarks. It answers
// each request with the value plus one, and receives datagrams.
static int UbLpcServer(void)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    UB_LPC_MESSAGE message;
    PORT_MESSAGE *reply = NULL;
    HANDLE port;
    PVOID context;
    NTSTATUS status;

    RtlInitUnicodeString(&name, UBENCH_PORT_NAME);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    status = NtCreatePort(&port, &attributes, 0, sizeof(message), 0);
    if (!NT_SUCCESS(status))
        return status;
    for (;;) {
        status = NtReplyWaitReceivePort(port, &context, reply, &message.h);
        reply = NULL;
        if (!NT_SUCCESS(status))
            return status;
        switch (message.h.u2.s2.Type & 0xFF) {
        case LPC_CONNECTION_REQUEST: {
            HANDLE client;

            if (NT_SUCCESS(NtAcceptConnectPort(&client, NULL, &message.h, TRUE, NULL, NULL)))
                NtCompleteConnectPort(client);
            break;
        }
        case LPC_REQUEST:
            message.Value++;
            reply = &message.h;
            break;
        case LPC_PORT_CLOSED:
        case LPC_CLIENT_DIED:
            // The benchmark is over.
            NtClose(context);
            return STATUS_SUCCESS;
        default:
            break;
        }
    }
}

typedef struct _UB_DATAGRAM_RUN {
    HANDLE Port;
    NTSTATUS Status;
} UB_DATAGRAM_RUN;

// The datagram sender: a thread of its own, which never waits, so it runs at
// its base priority without a boost (a reply wakes its receiver with one,
// as NT's does) and the waiting server, woken with a boost, preempts it at
// every datagram.
static NTSTATUS NTAPI UbDatagramThread(PVOID context)
{
    UB_DATAGRAM_RUN *run = context;
    NTSTATUS status = STATUS_SUCCESS;

    for (ULONG i = 0; i < UBENCH_LPC_ROUNDS; i++) {
        UB_LPC_MESSAGE message;
        ULONG64 start;

        UbInitializeMessage(&message, i);
        start = UbReadTsc();
        status = NtRequestPort(run->Port, &message.h);
        UbSamples[i] = UbReadTsc() - start;
        if (!NT_SUCCESS(status)) {
            printf("ubench: datagram %u: %08x\n", i, (ULONG)status);
            break;
        }
        if (i % UBENCH_LPC_PACING == UBENCH_LPC_PACING - 1)
            NtYieldExecution();
    }
    run->Status = status;
    return status;
}

// Request/reply and datagrams between this process and `ubench lpcserver`.
// A datagram's figure is NtRequestPort's: the waiting server, woken with a
// boost, takes the message before the sender goes on, so it includes the
// delivery.
static BOOLEAN UbLpc(BOOLEAN requestReply, BOOLEAN datagram)
{
    UNICODE_STRING image, commandLine, name;
    LARGE_INTEGER tick = {.QuadPart = -10000};
    SECURITY_QUALITY_OF_SERVICE qos = {.Length = sizeof(qos),
                                       .ImpersonationLevel = SecurityImpersonation};
    HANDLE server, port;
    NTSTATUS status;

    RtlInitUnicodeString(&image, u"ubench");
    RtlInitUnicodeString(&commandLine, u"ubench lpcserver");
    status = NtCreateProcessFromArchive(&server, NULL, PROCESS_ALL_ACCESS, 0, NULL, &image,
                                        &commandLine, 0, NULL);
    if (!NT_SUCCESS(status)) {
        printf("ubench: cannot start the LPC server: %08x\n", (ULONG)status);
        return FALSE;
    }
    RtlInitUnicodeString(&name, UBENCH_PORT_NAME);
    // The server creates its port when it first runs.
    for (ULONG tries = 0;; tries++) {
        status = NtConnectPort(&port, &name, &qos, NULL, NULL, NULL, NULL, NULL);
        if (status != STATUS_OBJECT_NAME_NOT_FOUND || tries == 1000)
            break;
        NtDelayExecution(FALSE, &tick);
    }
    if (!NT_SUCCESS(status)) {
        printf("ubench: cannot connect to the LPC server: %08x\n", (ULONG)status);
        NtTerminateProcess(server, status);
        NtClose(server);
        return FALSE;
    }
    for (ULONG i = 0; requestReply && i < UBENCH_LPC_ROUNDS; i++) {
        UB_LPC_MESSAGE message;
        ULONG64 start;

        UbInitializeMessage(&message, i);
        start = UbReadTsc();
        status = NtRequestWaitReplyPort(port, &message.h, &message.h);
        UbSamples[i] = UbReadTsc() - start;
        if (!NT_SUCCESS(status) || message.Value != i + 1) {
            printf("ubench: request %u: %08x, value %u\n", i, (ULONG)status, message.Value);
            NtTerminateProcess(server, status);
            NtClose(server);
            return FALSE;
        }
    }
    if (requestReply)
        UbReport("lpc-request-reply-process", UBENCH_LPC_ROUNDS);
    if (datagram) {
        UB_DATAGRAM_RUN run = {port, STATUS_PENDING};
        HANDLE sender;

        status = NtCreateThreadEx(&sender, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                  (PVOID)UbDatagramThread, &run, 0, 0, 0, 0, NULL);
        if (NT_SUCCESS(status)) {
            NtWaitForSingleObject(sender, FALSE, NULL);
            NtClose(sender);
            status = run.Status;
        } else {
            printf("ubench: cannot start the datagram sender: %08x\n", (ULONG)status);
        }
        if (NT_SUCCESS(status))
            UbReport("lpc-datagram-process", UBENCH_LPC_ROUNDS);
    }
    // Closing the port tells the server (LPC_PORT_CLOSED); it then exits.
    NtClose(port);
    NtWaitForSingleObject(server, FALSE, NULL);
    NtClose(server);
    return NT_SUCCESS(status);
}

// `ubench alpcserver`: the other process of the ALPC benchmark. It
// replies to each request with the value plus one and receives the next
// in the same call (NtAlpcSendWaitReceivePort).
static int UbAlpcServer(void)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    UB_LPC_MESSAGE message;
    PORT_MESSAGE *reply = NULL;
    HANDLE port, client = NULL;
    NTSTATUS status;

    RtlInitUnicodeString(&name, UBENCH_ALPC_PORT_NAME);
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    status = NtAlpcCreatePort(&port, &attributes, NULL);
    if (!NT_SUCCESS(status))
        return status;
    for (;;) {
        SIZE_T length = sizeof(message);

        status = NtAlpcSendWaitReceivePort(port, 0, reply, NULL, &message.h, &length, NULL,
                                           NULL);
        reply = NULL;
        if (!NT_SUCCESS(status))
            return status;
        switch (message.h.u2.s2.Type & 0xFF) {
        case LPC_CONNECTION_REQUEST:
            NtAlpcAcceptConnectPort(&client, port, 0, NULL, NULL, NULL, &message.h, NULL, TRUE);
            break;
        case LPC_REQUEST:
            message.Value++;
            reply = &message.h;
            break;
        case LPC_PORT_CLOSED:
            // The benchmark is over.
            NtClose(client);
            NtClose(port);
            return STATUS_SUCCESS;
        default:
            break;
        }
    }
}

// ALPC request/reply between this process and `ubench alpcserver`: a
// synchronous request (NtAlpcSendWaitReceivePort) and its reply.
static BOOLEAN UbAlpc(void)
{
    UNICODE_STRING image, commandLine, name;
    LARGE_INTEGER tick = {.QuadPart = -10000};
    HANDLE server, port = NULL;
    NTSTATUS status;

    RtlInitUnicodeString(&image, u"ubench");
    RtlInitUnicodeString(&commandLine, u"ubench alpcserver");
    status = NtCreateProcessFromArchive(&server, NULL, PROCESS_ALL_ACCESS, 0, NULL, &image,
                                        &commandLine, 0, NULL);
    if (!NT_SUCCESS(status)) {
        printf("ubench: cannot start the ALPC server: %08x\n", (ULONG)status);
        return FALSE;
    }
    RtlInitUnicodeString(&name, UBENCH_ALPC_PORT_NAME);
    // The server creates its port when it first runs.
    for (ULONG tries = 0;; tries++) {
        status = NtAlpcConnectPort(&port, &name, NULL, NULL, ALPC_MSGFLG_SYNC_REQUEST, NULL,
                                   NULL, NULL, NULL, NULL, NULL);
        if (status != STATUS_OBJECT_NAME_NOT_FOUND || tries == 1000)
            break;
        NtDelayExecution(FALSE, &tick);
    }
    if (!NT_SUCCESS(status)) {
        printf("ubench: cannot connect to the ALPC server: %08x\n", (ULONG)status);
        NtTerminateProcess(server, status);
        NtClose(server);
        return FALSE;
    }
    for (ULONG i = 0; i < UBENCH_LPC_ROUNDS; i++) {
        UB_LPC_MESSAGE message;
        SIZE_T length = sizeof(message);
        ULONG64 start;

        UbInitializeMessage(&message, i);
        start = UbReadTsc();
        status = NtAlpcSendWaitReceivePort(port, ALPC_MSGFLG_SYNC_REQUEST, &message.h, NULL,
                                           &message.h, &length, NULL, NULL);
        UbSamples[i] = UbReadTsc() - start;
        if (!NT_SUCCESS(status) || message.Value != i + 1) {
            printf("ubench: ALPC request %u: %08x, value %u\n", i, (ULONG)status, message.Value);
            NtTerminateProcess(server, status);
            NtClose(server);
            return FALSE;
        }
    }
    UbReport("alpc-request-reply-process", UBENCH_LPC_ROUNDS);
    // Closing the port tells the server (LPC_PORT_CLOSED); it then exits.
    NtClose(port);
    NtWaitForSingleObject(server, FALSE, NULL);
    NtClose(server);
    return TRUE;
}

static BOOLEAN UbCommandLineEndsWith(const WCHAR *word)
{
    const UNICODE_STRING *commandLine = &NtCurrentPeb()->ProcessParameters->CommandLine;
    UNICODE_STRING expected = {0, 0, NULL};

    RtlInitUnicodeString(&expected, word);
    if (commandLine->Length <= expected.Length)
        return FALSE;
    UNICODE_STRING tail = {expected.Length, expected.Length,
                           commandLine->Buffer +
                               (commandLine->Length - expected.Length) / sizeof(WCHAR)};
    return RtlCompareUnicodeString(&tail, &expected, TRUE) == 0;
}

int main(void)
{
    BOOLEAN ok;

    // "ubench exit": the process-creation benchmark's child;
    // "ubench lpcserver": the LPC benchmarks' server.
    if (UbCommandLineEndsWith(u"exit"))
        return 0;
    if (UbCommandLineEndsWith(u"alpcserver"))
        return UbAlpcServer();
    if (UbCommandLineEndsWith(u"lpcserver"))
        return UbLpcServer();
    // ALPC's benchmark alone ("alpc-..." ends like LPC's: first).
    if (UbCommandLineEndsWith(u"alpc-request-reply"))
        return UbAlpc() ? 0 : 1;
    // One LPC benchmark alone (make bench-phases).
    if (UbCommandLineEndsWith(u"lpc-request-reply"))
        return UbLpc(TRUE, FALSE) ? 0 : 1;
    if (UbCommandLineEndsWith(u"lpc-datagram"))
        return UbLpc(FALSE, TRUE) ? 0 : 1;
    if (UbCommandLineEndsWith(u"io-ioctl"))
        return UbIoControlThreeDeep() ? 0 : 1;
    if (UbCommandLineEndsWith(u"io-read"))
        return UbRamFsRead4K() ? 0 : 1;
    UbNullSystemCall();
    ok = UbIoControlThreeDeep();
    ok = UbRamFsRead4K() && ok;
    ok = UbThreadCreation("user-thread-create-exit") && ok;
    ok = UbCrowdedThreadCreation(100, "user-thread-create-exit-100") && ok;
    ok = UbCrowdedThreadCreation(1000, "user-thread-create-exit-1000") && ok;
    ok = UbCrowdedThreadCreation(UBENCH_CROWD_THREADS, "user-thread-create-exit-10000") && ok;
    ok = UbProcessCreation() && ok;
    ok = UbLpc(TRUE, TRUE) && ok;
    ok = UbAlpc() && ok;
    return ok ? 0 : 1;
}
