// Every system service that takes OBJECT_ATTRIBUTES, one driver each, in a
// table built from the service list (kernel/ex/services.h): each service
// in the list must be named here, either with its driver or as taking no
// attributes (TC_NONE), or this program does not build. A service added to
// the list is thus classified the day it is written, and every capture
// test in main.c runs against it.

#include "tcapture.h"
#include "kernel/ex/services.h"

static HANDLE TcToken;
static ULONG TcSystemSid[3] = {0x00000101, 0x05000000, 18};        // S-1-5-18

NTSTATUS TcOpenHelpers(void)
{
    return NtOpenProcessToken(NtCurrentProcess(), TOKEN_ALL_ACCESS, &TcToken);
}

void TcCloseHelpers(void)
{
    NtClose(TcToken);
}

static NTSTATUS TcClose(NTSTATUS status, HANDLE *handle)
{
    if (NT_SUCCESS(status))
        NtClose(*handle);
    return status;
}

static NTSTATUS TcNtCreateDirectoryObject(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtCreateDirectoryObject(&handle, DIRECTORY_ALL_ACCESS, attributes), &handle);
}

static NTSTATUS TcNtOpenDirectoryObject(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtOpenDirectoryObject(&handle, DIRECTORY_ALL_ACCESS, attributes), &handle);
}

static NTSTATUS TcNtCreateSymbolicLinkObject(OBJECT_ATTRIBUTES *attributes)
{
    UNICODE_STRING target = UT_NAME(u"\\BaseNamedObjects");
    HANDLE handle = NULL;

    return TcClose(NtCreateSymbolicLinkObject(&handle, SYMBOLIC_LINK_ALL_ACCESS, attributes,
                                              &target), &handle);
}

static NTSTATUS TcNtOpenSymbolicLinkObject(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtOpenSymbolicLinkObject(&handle, SYMBOLIC_LINK_ALL_ACCESS, attributes),
                   &handle);
}

static NTSTATUS TcNtCreateEvent(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtCreateEvent(&handle, EVENT_ALL_ACCESS, attributes, NotificationEvent, FALSE),
                   &handle);
}

static NTSTATUS TcNtOpenEvent(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtOpenEvent(&handle, EVENT_ALL_ACCESS, attributes), &handle);
}

static NTSTATUS TcNtCreateSemaphore(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtCreateSemaphore(&handle, SEMAPHORE_ALL_ACCESS, attributes, 0, 1), &handle);
}

static NTSTATUS TcNtOpenSemaphore(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtOpenSemaphore(&handle, SEMAPHORE_ALL_ACCESS, attributes), &handle);
}

static NTSTATUS TcNtCreateMutant(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtCreateMutant(&handle, MUTANT_ALL_ACCESS, attributes, FALSE), &handle);
}

static NTSTATUS TcNtOpenMutant(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtOpenMutant(&handle, MUTANT_ALL_ACCESS, attributes), &handle);
}

static NTSTATUS TcNtCreateTimer(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtCreateTimer(&handle, TIMER_ALL_ACCESS, attributes, NotificationTimer),
                   &handle);
}

static NTSTATUS TcNtOpenTimer(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtOpenTimer(&handle, TIMER_ALL_ACCESS, attributes), &handle);
}

// A program the archive does not hold: even a capture that wrongly
// succeeded would start nothing.
static NTSTATUS TcNtCreateProcessFromArchive(OBJECT_ATTRIBUTES *attributes)
{
    UNICODE_STRING image = UT_NAME(u"tcapture-none");
    HANDLE process, thread;
    NTSTATUS status = NtCreateProcessFromArchive(&process, &thread, PROCESS_ALL_ACCESS,
                                                 THREAD_ALL_ACCESS, attributes, &image, NULL, 0,
                                                 NULL);

    if (NT_SUCCESS(status)) {
        NtTerminateProcess(process, 0);
        NtClose(thread);
        NtClose(process);
    }
    return status;
}

// By client id, the caller itself (attributes without a name).
static NTSTATUS TcNtOpenProcess(OBJECT_ATTRIBUTES *attributes)
{
    CLIENT_ID cid = {NtCurrentTeb()->ClientId.UniqueProcess, NULL};
    HANDLE handle = NULL;

    return TcClose(NtOpenProcess(&handle, PROCESS_QUERY_INFORMATION, attributes, &cid), &handle);
}

// No process handle: once the attributes are captured, the call fails
// without starting a thread.
static NTSTATUS TcNtCreateThreadEx(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtCreateThreadEx(&handle, THREAD_ALL_ACCESS, attributes, NULL, NULL, NULL,
                                    0, 0, 0, 0, NULL), &handle);
}

static NTSTATUS TcNtOpenThread(OBJECT_ATTRIBUTES *attributes)
{
    CLIENT_ID cid = NtCurrentTeb()->ClientId;
    HANDLE handle = NULL;

    return TcClose(NtOpenThread(&handle, THREAD_QUERY_INFORMATION, attributes, &cid), &handle);
}

static NTSTATUS TcNtCreateSection(OBJECT_ATTRIBUTES *attributes)
{
    LARGE_INTEGER size = {.QuadPart = TC_PAGE_SIZE};
    HANDLE handle = NULL;

    return TcClose(NtCreateSection(&handle, SECTION_ALL_ACCESS, attributes, &size,
                                   PAGE_READWRITE, SEC_COMMIT, NULL), &handle);
}

static NTSTATUS TcNtOpenSection(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtOpenSection(&handle, SECTION_ALL_ACCESS, attributes), &handle);
}

static NTSTATUS TcNtCreatePort(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtCreatePort(&handle, attributes, 0, 0x100, 0), &handle);
}

static NTSTATUS TcNtCreateWaitablePort(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtCreateWaitablePort(&handle, attributes, 0, 0x100, 0), &handle);
}

static NTSTATUS TcNtAlpcCreatePort(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtAlpcCreatePort(&handle, attributes, NULL), &handle);
}

static NTSTATUS TcNtDuplicateToken(OBJECT_ATTRIBUTES *attributes)
{
    HANDLE handle = NULL;

    return TcClose(NtDuplicateToken(TcToken, TOKEN_ALL_ACCESS, attributes, FALSE, TokenPrimary,
                                    &handle), &handle);
}

// SYSTEM (this program) holds SeCreateTokenPrivilege; the token is SYSTEM
// again, with no groups.
static NTSTATUS TcNtCreateToken(OBJECT_ATTRIBUTES *attributes)
{
    LUID authenticationId = {0x3e7, 0};
    LARGE_INTEGER expiration = {.QuadPart = 0x7FFFFFFFFFFFFFFFLL};
    TOKEN_USER user = {{(PSID)TcSystemSid, 0}};
    TOKEN_GROUPS groups = {0};
    TOKEN_PRIVILEGES privileges = {0};
    TOKEN_OWNER owner = {(PSID)TcSystemSid};
    TOKEN_PRIMARY_GROUP group = {(PSID)TcSystemSid};
    TOKEN_SOURCE source = {{'t', 'c', 'a', 'p', 't', 'u', 'r', 'e'}, {0, 0}};
    HANDLE handle = NULL;

    return TcClose(NtCreateToken(&handle, TOKEN_ALL_ACCESS, attributes, TokenPrimary,
                                 &authenticationId, &expiration, &user, &groups, &privileges,
                                 &owner, &group, NULL, &source), &handle);
}

static NTSTATUS TcNtCreateFile(OBJECT_ATTRIBUTES *attributes)
{
    IO_STATUS_BLOCK iosb;
    HANDLE handle = NULL;

    return TcClose(NtCreateFile(&handle, FILE_GENERIC_READ, attributes, &iosb, NULL, 0,
                                FILE_SHARE_READ, FILE_OPEN, 0, NULL, 0), &handle);
}

static NTSTATUS TcNtOpenFile(OBJECT_ATTRIBUTES *attributes)
{
    IO_STATUS_BLOCK iosb;
    HANDLE handle = NULL;

    return TcClose(NtOpenFile(&handle, FILE_GENERIC_READ, attributes, &iosb, FILE_SHARE_READ, 0),
                   &handle);
}

// What each driver's service answers to unnamed attributes with a valid
// descriptor: an open by name has no name to look up.
#define TC_UNNAMED_OPEN STATUS_OBJECT_NAME_INVALID

#define TC_WITH(name, unnamed) {#name, Tc##name, (unnamed)}
#define TC_NONE(name) {#name, NULL, 0}
#define TcEntry_NtTerminateProcess TC_NONE(NtTerminateProcess)
#define TcEntry_NtDisplayString TC_NONE(NtDisplayString)
#define TcEntry_NtClose TC_NONE(NtClose)
#define TcEntry_NtDuplicateObject TC_NONE(NtDuplicateObject)
#define TcEntry_NtQueryObject TC_NONE(NtQueryObject)
#define TcEntry_NtMakeTemporaryObject TC_NONE(NtMakeTemporaryObject)
#define TcEntry_NtCreateDirectoryObject TC_WITH(NtCreateDirectoryObject, STATUS_SUCCESS)
#define TcEntry_NtOpenDirectoryObject TC_WITH(NtOpenDirectoryObject, TC_UNNAMED_OPEN)
#define TcEntry_NtQueryDirectoryObject TC_NONE(NtQueryDirectoryObject)
#define TcEntry_NtCreateSymbolicLinkObject TC_WITH(NtCreateSymbolicLinkObject, STATUS_SUCCESS)
#define TcEntry_NtOpenSymbolicLinkObject TC_WITH(NtOpenSymbolicLinkObject, TC_UNNAMED_OPEN)
#define TcEntry_NtQuerySymbolicLinkObject TC_NONE(NtQuerySymbolicLinkObject)
#define TcEntry_NtCreateEvent TC_WITH(NtCreateEvent, STATUS_SUCCESS)
#define TcEntry_NtOpenEvent TC_WITH(NtOpenEvent, TC_UNNAMED_OPEN)
#define TcEntry_NtSetEvent TC_NONE(NtSetEvent)
#define TcEntry_NtResetEvent TC_NONE(NtResetEvent)
#define TcEntry_NtPulseEvent TC_NONE(NtPulseEvent)
#define TcEntry_NtClearEvent TC_NONE(NtClearEvent)
#define TcEntry_NtQueryEvent TC_NONE(NtQueryEvent)
#define TcEntry_NtCreateSemaphore TC_WITH(NtCreateSemaphore, STATUS_SUCCESS)
#define TcEntry_NtOpenSemaphore TC_WITH(NtOpenSemaphore, TC_UNNAMED_OPEN)
#define TcEntry_NtReleaseSemaphore TC_NONE(NtReleaseSemaphore)
#define TcEntry_NtQuerySemaphore TC_NONE(NtQuerySemaphore)
#define TcEntry_NtCreateMutant TC_WITH(NtCreateMutant, STATUS_SUCCESS)
#define TcEntry_NtOpenMutant TC_WITH(NtOpenMutant, TC_UNNAMED_OPEN)
#define TcEntry_NtReleaseMutant TC_NONE(NtReleaseMutant)
#define TcEntry_NtQueryMutant TC_NONE(NtQueryMutant)
#define TcEntry_NtCreateTimer TC_WITH(NtCreateTimer, STATUS_SUCCESS)
#define TcEntry_NtOpenTimer TC_WITH(NtOpenTimer, TC_UNNAMED_OPEN)
#define TcEntry_NtSetTimer TC_NONE(NtSetTimer)
#define TcEntry_NtCancelTimer TC_NONE(NtCancelTimer)
#define TcEntry_NtQueryTimer TC_NONE(NtQueryTimer)
#define TcEntry_NtWaitForSingleObject TC_NONE(NtWaitForSingleObject)
#define TcEntry_NtWaitForMultipleObjects TC_NONE(NtWaitForMultipleObjects)
#define TcEntry_NtSignalAndWaitForSingleObject TC_NONE(NtSignalAndWaitForSingleObject)
#define TcEntry_NtDelayExecution TC_NONE(NtDelayExecution)
#define TcEntry_NtYieldExecution TC_NONE(NtYieldExecution)
#define TcEntry_NtQuerySystemTime TC_NONE(NtQuerySystemTime)
#define TcEntry_NtQueryPerformanceCounter TC_NONE(NtQueryPerformanceCounter)
#define TcEntry_NtCreateProcessFromArchive \
    TC_WITH(NtCreateProcessFromArchive, STATUS_OBJECT_NAME_NOT_FOUND)
#define TcEntry_NtOpenProcess TC_WITH(NtOpenProcess, STATUS_SUCCESS)
#define TcEntry_NtQueryInformationProcess TC_NONE(NtQueryInformationProcess)
#define TcEntry_NtCreateThreadEx TC_WITH(NtCreateThreadEx, STATUS_INVALID_HANDLE)
#define TcEntry_NtOpenThread TC_WITH(NtOpenThread, STATUS_SUCCESS)
#define TcEntry_NtTerminateThread TC_NONE(NtTerminateThread)
#define TcEntry_NtQueryInformationThread TC_NONE(NtQueryInformationThread)
#define TcEntry_NtSuspendThread TC_NONE(NtSuspendThread)
#define TcEntry_NtResumeThread TC_NONE(NtResumeThread)
#define TcEntry_NtAlertThread TC_NONE(NtAlertThread)
#define TcEntry_NtAlertResumeThread TC_NONE(NtAlertResumeThread)
#define TcEntry_NtTestAlert TC_NONE(NtTestAlert)
#define TcEntry_NtQueueApcThread TC_NONE(NtQueueApcThread)
#define TcEntry_NtContinue TC_NONE(NtContinue)
#define TcEntry_NtQuerySystemInformation TC_NONE(NtQuerySystemInformation)
#define TcEntry_NtSetSystemInformation TC_NONE(NtSetSystemInformation)
#define TcEntry_NtAllocateVirtualMemory TC_NONE(NtAllocateVirtualMemory)
#define TcEntry_NtFreeVirtualMemory TC_NONE(NtFreeVirtualMemory)
#define TcEntry_NtQueryVirtualMemory TC_NONE(NtQueryVirtualMemory)
#define TcEntry_NtProtectVirtualMemory TC_NONE(NtProtectVirtualMemory)
#define TcEntry_NtCreateSection TC_WITH(NtCreateSection, STATUS_SUCCESS)
#define TcEntry_NtOpenSection TC_WITH(NtOpenSection, TC_UNNAMED_OPEN)
#define TcEntry_NtMapViewOfSection TC_NONE(NtMapViewOfSection)
#define TcEntry_NtUnmapViewOfSection TC_NONE(NtUnmapViewOfSection)
#define TcEntry_NtQuerySection TC_NONE(NtQuerySection)
#define TcEntry_NtCreatePort TC_WITH(NtCreatePort, STATUS_SUCCESS)
#define TcEntry_NtCreateWaitablePort TC_WITH(NtCreateWaitablePort, STATUS_SUCCESS)
// The port name is a UNICODE_STRING, not attributes: main.c tests it.
#define TcEntry_NtConnectPort TC_NONE(NtConnectPort)
#define TcEntry_NtSecureConnectPort TC_NONE(NtSecureConnectPort)
#define TcEntry_NtListenPort TC_NONE(NtListenPort)
#define TcEntry_NtAcceptConnectPort TC_NONE(NtAcceptConnectPort)
#define TcEntry_NtCompleteConnectPort TC_NONE(NtCompleteConnectPort)
#define TcEntry_NtRequestPort TC_NONE(NtRequestPort)
#define TcEntry_NtRequestWaitReplyPort TC_NONE(NtRequestWaitReplyPort)
#define TcEntry_NtReplyPort TC_NONE(NtReplyPort)
#define TcEntry_NtReplyWaitReplyPort TC_NONE(NtReplyWaitReplyPort)
#define TcEntry_NtReplyWaitReceivePort TC_NONE(NtReplyWaitReceivePort)
#define TcEntry_NtReplyWaitReceivePortEx TC_NONE(NtReplyWaitReceivePortEx)
#define TcEntry_NtImpersonateClientOfPort TC_NONE(NtImpersonateClientOfPort)
#define TcEntry_NtReadRequestData TC_NONE(NtReadRequestData)
#define TcEntry_NtWriteRequestData TC_NONE(NtWriteRequestData)
#define TcEntry_NtQueryInformationPort TC_NONE(NtQueryInformationPort)
#define TcEntry_NtRegisterThreadTerminatePort TC_NONE(NtRegisterThreadTerminatePort)
#define TcEntry_NtOpenProcessToken TC_NONE(NtOpenProcessToken)
#define TcEntry_NtOpenThreadToken TC_NONE(NtOpenThreadToken)
#define TcEntry_NtQueryInformationToken TC_NONE(NtQueryInformationToken)
#define TcEntry_NtSetInformationThread TC_NONE(NtSetInformationThread)
#define TcEntry_NtSetInformationProcess TC_NONE(NtSetInformationProcess)
#define TcEntry_NtDuplicateToken TC_WITH(NtDuplicateToken, STATUS_SUCCESS)
#define TcEntry_NtCreateToken TC_WITH(NtCreateToken, STATUS_SUCCESS)
// Descriptors without attributes: main.c tests NtSetSecurityObject's.
#define TcEntry_NtQuerySecurityObject TC_NONE(NtQuerySecurityObject)
#define TcEntry_NtSetSecurityObject TC_NONE(NtSetSecurityObject)
#define TcEntry_NtCreateFile TC_WITH(NtCreateFile, TC_UNNAMED_OPEN)
#define TcEntry_NtOpenFile TC_WITH(NtOpenFile, TC_UNNAMED_OPEN)
#define TcEntry_NtReadFile TC_NONE(NtReadFile)
#define TcEntry_NtWriteFile TC_NONE(NtWriteFile)
#define TcEntry_NtDeviceIoControlFile TC_NONE(NtDeviceIoControlFile)
#define TcEntry_NtFsControlFile TC_NONE(NtFsControlFile)
#define TcEntry_NtQueryInformationFile TC_NONE(NtQueryInformationFile)
#define TcEntry_NtSetInformationFile TC_NONE(NtSetInformationFile)
#define TcEntry_NtQueryDirectoryFile TC_NONE(NtQueryDirectoryFile)
#define TcEntry_NtCancelIoFile TC_NONE(NtCancelIoFile)
#define TcEntry_NtLoadDriver TC_NONE(NtLoadDriver)
#define TcEntry_NtUnloadDriver TC_NONE(NtUnloadDriver)
#define TcEntry_NtAlpcCreatePort TC_WITH(NtAlpcCreatePort, STATUS_SUCCESS)
// The client's and the server communication port's attributes: both need a
// live handshake (a server receiving, a request pending), which
// tests/user/talpc drives; the name is a UNICODE_STRING.
#define TcEntry_NtAlpcConnectPort TC_NONE(NtAlpcConnectPort)
#define TcEntry_NtAlpcAcceptConnectPort TC_NONE(NtAlpcAcceptConnectPort)
#define TcEntry_NtAlpcSendWaitReceivePort TC_NONE(NtAlpcSendWaitReceivePort)
#define TcEntry_NtAlpcCancelMessage TC_NONE(NtAlpcCancelMessage)
#define TcEntry_NtAlpcDisconnectPort TC_NONE(NtAlpcDisconnectPort)
#define TcEntry_NtAlpcQueryInformation TC_NONE(NtAlpcQueryInformation)
#define TcEntry_NtAlpcSetInformation TC_NONE(NtAlpcSetInformation)
#define TcEntry_NtAlpcImpersonateClientOfPort TC_NONE(NtAlpcImpersonateClientOfPort)
#define TcEntry_NtAlpcCreateSecurityContext TC_NONE(NtAlpcCreateSecurityContext)
#define TcEntry_NtAlpcDeleteSecurityContext TC_NONE(NtAlpcDeleteSecurityContext)
#define TcEntry_NtAlpcCreatePortSection TC_NONE(NtAlpcCreatePortSection)
#define TcEntry_NtAlpcDeletePortSection TC_NONE(NtAlpcDeletePortSection)
#define TcEntry_NtAlpcCreateSectionView TC_NONE(NtAlpcCreateSectionView)
#define TcEntry_NtAlpcDeleteSectionView TC_NONE(NtAlpcDeleteSectionView)
#define TcEntry_NtUserGetMessage TC_NONE(NtUserGetMessage)
#define TcEntry_NtUserPostThreadMessage TC_NONE(NtUserPostThreadMessage)
#define TcEntry_NtGetCurrentProcessorNumber TC_NONE(NtGetCurrentProcessorNumber)

#define TC_ENTRY(number, name, arguments) [number] = TcEntry_##name,
const TC_SERVICE TcServices[SERVICE_COUNT] = {SLEUTH_SYSTEM_SERVICES(TC_ENTRY)};
const int TcServiceCount = SERVICE_COUNT;
