// KiServiceTable: every system service by number, with how many 64-bit
// arguments it takes (KiSystemServiceDispatch fetches those beyond four
// from the user stack). The numbers and counts come from ex/services.h;
// each component's routines are listed below under its own heading.

#include "ke/ke.h"
#include "ex/ex.h"
#include "ex/services.h"
#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"
#include "lpc/lpcp.h"
#include "alpc/alpcp.h"
#include "ndk/ntalpcattr.h"
#include "se/se.h"
#include "io/io.h"
#include "ndk/ntuser.h"

// Services keep their NT prototypes. Calling one through KSYSTEM_SERVICE is
// what the x64 calling convention makes safe: every argument travels in its
// own 64-bit register or stack slot whatever its type, and unused ones are
// ignored. (The cast through void (*)(void) says this is deliberate.)
#define SERVICE_ENTRY(routine) [SERVICE_##routine] = (KSYSTEM_SERVICE)(void (*)(void))(routine)

const KSYSTEM_SERVICE KiServiceTable[SERVICE_COUNT] = {
    // The console.
    SERVICE_ENTRY(NtDisplayString),

    // Handles, objects and the namespace.
    SERVICE_ENTRY(NtClose),
    SERVICE_ENTRY(NtDuplicateObject),
    SERVICE_ENTRY(NtQueryObject),
    SERVICE_ENTRY(NtMakeTemporaryObject),
    SERVICE_ENTRY(NtCreateDirectoryObject),
    SERVICE_ENTRY(NtOpenDirectoryObject),
    SERVICE_ENTRY(NtQueryDirectoryObject),
    SERVICE_ENTRY(NtCreateSymbolicLinkObject),
    SERVICE_ENTRY(NtOpenSymbolicLinkObject),
    SERVICE_ENTRY(NtQuerySymbolicLinkObject),

    // Dispatcher objects and waits.
    // (psq) time and the processor
    SERVICE_ENTRY(NtDelayExecution),
    SERVICE_ENTRY(NtYieldExecution),
    SERVICE_ENTRY(NtQuerySystemTime),
    SERVICE_ENTRY(NtQueryPerformanceCounter),
    SERVICE_ENTRY(NtGetCurrentProcessorNumber),
    SERVICE_ENTRY(NtCreateEvent),
    SERVICE_ENTRY(NtOpenEvent),
    SERVICE_ENTRY(NtSetEvent),
    SERVICE_ENTRY(NtResetEvent),
    SERVICE_ENTRY(NtPulseEvent),
    SERVICE_ENTRY(NtClearEvent),
    SERVICE_ENTRY(NtQueryEvent),
    SERVICE_ENTRY(NtCreateSemaphore),
    SERVICE_ENTRY(NtOpenSemaphore),
    SERVICE_ENTRY(NtReleaseSemaphore),
    SERVICE_ENTRY(NtQuerySemaphore),
    SERVICE_ENTRY(NtCreateMutant),
    SERVICE_ENTRY(NtOpenMutant),
    SERVICE_ENTRY(NtReleaseMutant),
    SERVICE_ENTRY(NtQueryMutant),
    SERVICE_ENTRY(NtCreateTimer),
    SERVICE_ENTRY(NtOpenTimer),
    SERVICE_ENTRY(NtSetTimer),
    SERVICE_ENTRY(NtCancelTimer),
    SERVICE_ENTRY(NtQueryTimer),
    SERVICE_ENTRY(NtWaitForSingleObject),
    SERVICE_ENTRY(NtWaitForMultipleObjects),
    SERVICE_ENTRY(NtSignalAndWaitForSingleObject),

    // Processes and threads.
    SERVICE_ENTRY(NtTerminateProcess),
    // (psq) queries, alerts and user APCs
    SERVICE_ENTRY(NtQueryInformationProcess),
    SERVICE_ENTRY(NtQueryInformationThread),
    SERVICE_ENTRY(NtAlertThread),
    SERVICE_ENTRY(NtAlertResumeThread),
    SERVICE_ENTRY(NtTestAlert),
    SERVICE_ENTRY(NtQueueApcThread),
    SERVICE_ENTRY(NtContinue),
    SERVICE_ENTRY(NtQuerySystemInformation),
    SERVICE_ENTRY(NtSetSystemInformation),
    SERVICE_ENTRY(NtCreateProcessFromArchive),
    SERVICE_ENTRY(NtOpenProcess),
    SERVICE_ENTRY(NtCreateThreadEx),
    SERVICE_ENTRY(NtOpenThread),
    SERVICE_ENTRY(NtTerminateThread),
    SERVICE_ENTRY(NtSuspendThread),
    SERVICE_ENTRY(NtResumeThread),

    // Memory.
    SERVICE_ENTRY(NtAllocateVirtualMemory),
    SERVICE_ENTRY(NtFreeVirtualMemory),
    SERVICE_ENTRY(NtQueryVirtualMemory),
    SERVICE_ENTRY(NtProtectVirtualMemory),
    SERVICE_ENTRY(NtCreateSection),
    SERVICE_ENTRY(NtOpenSection),
    SERVICE_ENTRY(NtMapViewOfSection),
    SERVICE_ENTRY(NtUnmapViewOfSection),
    SERVICE_ENTRY(NtQuerySection),

    // LPC.
    SERVICE_ENTRY(NtCreatePort),
    SERVICE_ENTRY(NtCreateWaitablePort),
    SERVICE_ENTRY(NtConnectPort),
    SERVICE_ENTRY(NtSecureConnectPort),
    SERVICE_ENTRY(NtListenPort),
    SERVICE_ENTRY(NtAcceptConnectPort),
    SERVICE_ENTRY(NtCompleteConnectPort),
    SERVICE_ENTRY(NtRequestPort),
    SERVICE_ENTRY(NtRequestWaitReplyPort),
    SERVICE_ENTRY(NtReplyPort),
    SERVICE_ENTRY(NtReplyWaitReplyPort),
    SERVICE_ENTRY(NtReplyWaitReceivePort),
    SERVICE_ENTRY(NtReplyWaitReceivePortEx),
    SERVICE_ENTRY(NtImpersonateClientOfPort),
    SERVICE_ENTRY(NtReadRequestData),
    SERVICE_ENTRY(NtWriteRequestData),
    SERVICE_ENTRY(NtQueryInformationPort),
    SERVICE_ENTRY(NtRegisterThreadTerminatePort),

    // ALPC.
    SERVICE_ENTRY(NtAlpcCreatePort),
    SERVICE_ENTRY(NtAlpcConnectPort),
    SERVICE_ENTRY(NtAlpcAcceptConnectPort),
    SERVICE_ENTRY(NtAlpcSendWaitReceivePort),
    SERVICE_ENTRY(NtAlpcCancelMessage),
    SERVICE_ENTRY(NtAlpcDisconnectPort),
    SERVICE_ENTRY(NtAlpcQueryInformation),
    SERVICE_ENTRY(NtAlpcSetInformation),
    // ALPC's extensions: impersonation, security contexts, sections and views.
    SERVICE_ENTRY(NtAlpcImpersonateClientOfPort),
    SERVICE_ENTRY(NtAlpcCreateSecurityContext),
    SERVICE_ENTRY(NtAlpcDeleteSecurityContext),
    SERVICE_ENTRY(NtAlpcCreatePortSection),
    SERVICE_ENTRY(NtAlpcDeletePortSection),
    SERVICE_ENTRY(NtAlpcCreateSectionView),
    SERVICE_ENTRY(NtAlpcDeleteSectionView),

    // Security: tokens and impersonation.
    SERVICE_ENTRY(NtOpenProcessToken),
    SERVICE_ENTRY(NtOpenThreadToken),
    SERVICE_ENTRY(NtQueryInformationToken),
    SERVICE_ENTRY(NtSetInformationThread),
    SERVICE_ENTRY(NtSetInformationProcess),
    SERVICE_ENTRY(NtDuplicateToken),
    SERVICE_ENTRY(NtCreateToken),

    // Object security (ob)
    SERVICE_ENTRY(NtQuerySecurityObject),
    SERVICE_ENTRY(NtSetSecurityObject),

    // Files and devices (io).
    SERVICE_ENTRY(NtCreateFile),
    SERVICE_ENTRY(NtOpenFile),
    SERVICE_ENTRY(NtReadFile),
    SERVICE_ENTRY(NtWriteFile),
    SERVICE_ENTRY(NtDeviceIoControlFile),
    SERVICE_ENTRY(NtFsControlFile),
    SERVICE_ENTRY(NtQueryInformationFile),
    SERVICE_ENTRY(NtSetInformationFile),
    SERVICE_ENTRY(NtQueryDirectoryFile),
    SERVICE_ENTRY(NtCancelIoFile),

    // Drivers (io/loaddrv.c).
    SERVICE_ENTRY(NtLoadDriver),
    SERVICE_ENTRY(NtUnloadDriver),

    // The thread message queue (ex/usermsg.c).
    SERVICE_ENTRY(NtUserGetMessage),
    SERVICE_ENTRY(NtUserPostThreadMessage),
};

#define SERVICE_ARGUMENTS(number, name, arguments) [number] = arguments,
const UCHAR KiArgumentTable[SERVICE_COUNT] = {SLEUTH_SYSTEM_SERVICES(SERVICE_ARGUMENTS)};

#define SERVICE_ARGUMENT_LIMIT(number, name, arguments)                                    \
    _Static_assert(arguments <= KI_MAXIMUM_SERVICE_ARGUMENTS, #name " takes too many arguments");
SLEUTH_SYSTEM_SERVICES(SERVICE_ARGUMENT_LIMIT)

const ULONG KiServiceLimit = SERVICE_COUNT;
