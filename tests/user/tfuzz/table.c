// The service table, built from the kernel's own list (kernel/ex/services.h)
// so that every service is called. Each service needs an argument spec here,
// FZ_SPEC(name, creates, weight, kinds...): a service added to services.h
// without one is an undeclared identifier below, and a spec whose count of
// arguments differs from the list's fails a static assertion: the build
// stops until the new service has a generator.

#include "tests/user/tfuzz/fuzz.h"

#define FZ_SPEC(name, creates, weight, ...)                                                \
    static const UCHAR FzArgs_##name[] = {__VA_ARGS__, FzEnd};                             \
    enum { FzCreates_##name = (creates), FzWeight_##name = (weight) };
#define FZ_SPEC0(name, weight)                                                              \
    static const UCHAR FzArgs_##name[] = {FzEnd};                                           \
    enum { FzCreates_##name = FzTypeNone, FzWeight_##name = (weight) };

#define N FzTypeNone
#define QUERY(name, h) FZ_SPEC(name, N, 3, h, FzClass, FzOutBuf, FzLen, FzOutUlong)
#define OPEN(name, type) FZ_SPEC(name, type, 3, FzOutHandle, FzAccess, FzOa)

FZ_SPEC(NtTerminateProcess, N, 2, FzHKillProcess, FzStatus)
FZ_SPEC(NtDisplayString, N, 1, FzConsoleText)
FZ_SPEC(NtClose, N, 8, FzHAny)
FZ_SPEC(NtDuplicateObject, FzTypeUnknown, 4, FzHProcess, FzHAny, FzHProcess, FzOutHandle,
        FzAccess, FzUlong, FzUlong)
QUERY(NtQueryObject, FzHAny)
FZ_SPEC(NtMakeTemporaryObject, N, 2, FzHAny)
FZ_SPEC(NtCreateDirectoryObject, FzTypeDirectory, 3, FzOutHandle, FzAccess, FzOa)
OPEN(NtOpenDirectoryObject, FzTypeDirectory)
FZ_SPEC(NtQueryDirectoryObject, N, 3, FzHDirectory, FzOutBuf, FzLen, FzBool, FzBool,
        FzInOutUlong, FzOutUlong)
FZ_SPEC(NtCreateSymbolicLinkObject, FzTypeLink, 3, FzOutHandle, FzAccess, FzOa, FzUstr)
OPEN(NtOpenSymbolicLinkObject, FzTypeLink)
FZ_SPEC(NtQuerySymbolicLinkObject, N, 3, FzHLink, FzUstrOut, FzOutUlong)
FZ_SPEC(NtCreateEvent, FzTypeEvent, 5, FzOutHandle, FzAccess, FzOa, FzClass, FzBool)
OPEN(NtOpenEvent, FzTypeEvent)
FZ_SPEC(NtSetEvent, N, 4, FzHEvent, FzOutUlong)
FZ_SPEC(NtResetEvent, N, 3, FzHEvent, FzOutUlong)
FZ_SPEC(NtPulseEvent, N, 3, FzHEvent, FzOutUlong)
FZ_SPEC(NtClearEvent, N, 3, FzHEvent)
QUERY(NtQueryEvent, FzHEvent)
FZ_SPEC(NtCreateSemaphore, FzTypeSemaphore, 4, FzOutHandle, FzAccess, FzOa, FzCount, FzCount)
OPEN(NtOpenSemaphore, FzTypeSemaphore)
FZ_SPEC(NtReleaseSemaphore, N, 4, FzHSemaphore, FzCount, FzOutUlong)
QUERY(NtQuerySemaphore, FzHSemaphore)
FZ_SPEC(NtCreateMutant, FzTypeMutant, 4, FzOutHandle, FzAccess, FzOa, FzBool)
OPEN(NtOpenMutant, FzTypeMutant)
FZ_SPEC(NtReleaseMutant, N, 4, FzHMutant, FzOutUlong)
QUERY(NtQueryMutant, FzHMutant)
FZ_SPEC(NtCreateTimer, FzTypeTimer, 4, FzOutHandle, FzAccess, FzOa, FzClass)
OPEN(NtOpenTimer, FzTypeTimer)
FZ_SPEC(NtSetTimer, N, 5, FzHTimer, FzDueTime, FzApc, FzPtr, FzBool, FzCount, FzOutUlong)
FZ_SPEC(NtCancelTimer, N, 3, FzHTimer, FzOutUlong)
QUERY(NtQueryTimer, FzHTimer)
FZ_SPEC(NtWaitForSingleObject, N, 6, FzHAny, FzBool, FzTimeout)
FZ_SPEC(NtWaitForMultipleObjects, N, 5, FzWaitCount, FzHandles, FzClass, FzBool, FzTimeout)
FZ_SPEC(NtSignalAndWaitForSingleObject, N, 4, FzHAny, FzHAny, FzBool, FzTimeout)
FZ_SPEC(NtDelayExecution, N, 2, FzBool, FzTimeout)
FZ_SPEC0(NtYieldExecution, 1)
FZ_SPEC0(NtGetCurrentProcessorNumber, 1)
FZ_SPEC(NtQuerySystemTime, N, 1, FzOut16)
FZ_SPEC(NtQueryPerformanceCounter, N, 1, FzOut16, FzOut16)
FZ_SPEC(NtCreateProcessFromArchive, FzTypeProcess, 2, FzOutHandle, FzOutHandle, FzAccess,
        FzAccess, FzOa, FzImage, FzCmdLine, FzUlong, FzOut16)
FZ_SPEC(NtOpenProcess, FzTypeProcess, 4, FzOutHandle, FzAccess, FzOa, FzCid)
QUERY(NtQueryInformationProcess, FzHProcess)
FZ_SPEC(NtCreateThreadEx, FzTypeThread, 3, FzOutHandle, FzAccess, FzOa, FzHProcess, FzStart,
        FzPtr, FzUlong, FzZeroBits, FzSize, FzSize, FzPtr)
FZ_SPEC(NtOpenThread, FzTypeThread, 4, FzOutHandle, FzAccess, FzOa, FzCid)
FZ_SPEC(NtTerminateThread, N, 3, FzHKillThread, FzStatus)
QUERY(NtQueryInformationThread, FzHThread)
FZ_SPEC(NtSuspendThread, N, 3, FzHKillThread, FzOutUlong)
FZ_SPEC(NtResumeThread, N, 3, FzHThread, FzOutUlong)
FZ_SPEC(NtAlertThread, N, 3, FzHThread)
FZ_SPEC(NtAlertResumeThread, N, 3, FzHThread, FzOutUlong)
FZ_SPEC0(NtTestAlert, 2)
FZ_SPEC(NtQueueApcThread, N, 3, FzHThread, FzApc, FzPtr, FzPtr, FzPtr)
FZ_SPEC(NtContinue, N, 1, FzContext, FzBool)
FZ_SPEC(NtQuerySystemInformation, N, 2, FzClass, FzOutBuf, FzLen, FzOutUlong)
FZ_SPEC(NtSetSystemInformation, N, 1, FzSysClass, FzOutBuf, FzLen)
FZ_SPEC(NtAllocateVirtualMemory, N, 4, FzHProcess, FzInOutBase, FzZeroBits, FzInOutSize,
        FzAllocType, FzProtect)
FZ_SPEC(NtFreeVirtualMemory, N, 4, FzHProcess, FzInOutBase, FzInOutSize, FzAllocType)
FZ_SPEC(NtQueryVirtualMemory, N, 3, FzHProcess, FzAddress, FzClass, FzOutBuf, FzSize,
        FzOutSize)
FZ_SPEC(NtProtectVirtualMemory, N, 4, FzHProcess, FzInOutBase, FzInOutSize, FzProtect,
        FzOutUlong)
FZ_SPEC(NtCreateSection, FzTypeSection, 4, FzOutHandle, FzAccess, FzOa, FzLargeInt, FzProtect,
        FzAllocType, FzHAny)
OPEN(NtOpenSection, FzTypeSection)
FZ_SPEC(NtMapViewOfSection, N, 4, FzHSection, FzHProcess, FzInOutBase, FzZeroBits, FzSize,
        FzLargeInt, FzInOutSize, FzClass, FzAllocType, FzProtect)
FZ_SPEC(NtUnmapViewOfSection, N, 3, FzHProcess, FzAddress)
QUERY(NtQuerySection, FzHSection)
FZ_SPEC(NtCreatePort, FzTypePort, 4, FzOutHandle, FzOa, FzLen, FzLen, FzLen)
FZ_SPEC(NtCreateWaitablePort, FzTypePort, 3, FzOutHandle, FzOa, FzLen, FzLen, FzLen)
FZ_SPEC(NtConnectPort, FzTypePort, 5, FzOutHandle, FzUstr, FzQos, FzPortView, FzRemoteView,
        FzInOutUlong, FzInBuf, FzInOutUlong)
FZ_SPEC(NtSecureConnectPort, FzTypePort, 3, FzOutHandle, FzUstr, FzQos, FzPortView, FzSid,
        FzRemoteView, FzInOutUlong, FzInBuf, FzInOutUlong)
FZ_SPEC(NtListenPort, N, 3, FzHPort, FzMsgOut)
FZ_SPEC(NtAcceptConnectPort, FzTypePort, 5, FzOutHandle, FzPtr, FzMsg, FzBool, FzPortView,
        FzRemoteView)
FZ_SPEC(NtCompleteConnectPort, N, 4, FzHPort)
FZ_SPEC(NtRequestPort, N, 5, FzHPort, FzMsg)
FZ_SPEC(NtRequestWaitReplyPort, N, 5, FzHPort, FzMsg, FzMsgOut)
FZ_SPEC(NtReplyPort, N, 4, FzHPort, FzMsg)
FZ_SPEC(NtReplyWaitReplyPort, N, 2, FzHPort, FzMsg)
FZ_SPEC(NtReplyWaitReceivePort, N, 3, FzHPort, FzOutPtr, FzMsg, FzMsgOut)
FZ_SPEC(NtReplyWaitReceivePortEx, N, 5, FzHPort, FzOutPtr, FzMsg, FzMsgOut, FzTimeout)
FZ_SPEC(NtImpersonateClientOfPort, N, 3, FzHPort, FzMsg)
FZ_SPEC(NtReadRequestData, N, 3, FzHPort, FzMsg, FzUlong, FzOutBuf, FzSize, FzOutSize)
FZ_SPEC(NtWriteRequestData, N, 3, FzHPort, FzMsg, FzUlong, FzInBuf, FzSize, FzOutSize)
QUERY(NtQueryInformationPort, FzHPort)
FZ_SPEC(NtRegisterThreadTerminatePort, N, 2, FzHPort)
FZ_SPEC(NtOpenProcessToken, FzTypeToken, 3, FzHProcess, FzAccess, FzOutHandle)
FZ_SPEC(NtOpenThreadToken, FzTypeToken, 3, FzHThread, FzAccess, FzBool, FzOutHandle)
QUERY(NtQueryInformationToken, FzHToken)
FZ_SPEC(NtSetInformationThread, N, 3, FzHThread, FzClass, FzInHandleBuf, FzLen)
FZ_SPEC(NtSetInformationProcess, N, 3, FzHProcess, FzClass, FzInHandleBuf, FzLen)
FZ_SPEC(NtDuplicateToken, FzTypeToken, 3, FzHToken, FzAccess, FzOa, FzBool, FzClass,
        FzOutHandle)
FZ_SPEC(NtCreateToken, FzTypeToken, 2, FzOutHandle, FzAccess, FzOa, FzClass, FzOut16,
        FzLargeInt, FzTokenPart, FzTokenPart, FzTokenPart, FzTokenPart, FzTokenPart,
        FzTokenPart, FzTokenPart)
FZ_SPEC(NtQuerySecurityObject, N, 3, FzHAny, FzSecInfo, FzOutBuf, FzLen, FzOutUlong)
FZ_SPEC(NtSetSecurityObject, N, 3, FzHAny, FzSecInfo, FzSd)
FZ_SPEC(NtCreateFile, FzTypeFile, 4, FzOutHandle, FzAccess, FzFileOa, FzOut16, FzLargeInt,
        FzUlong, FzCreateOptions, FzCreateOptions, FzCreateOptions, FzInBuf, FzLen)
FZ_SPEC(NtOpenFile, FzTypeFile, 4, FzOutHandle, FzAccess, FzFileOa, FzOut16, FzCreateOptions,
        FzCreateOptions)
FZ_SPEC(NtReadFile, N, 4, FzHFile, FzHEvent, FzApc, FzPtr, FzOut16, FzOutBuf, FzLen,
        FzLargeInt, FzOutUlong)
FZ_SPEC(NtWriteFile, N, 4, FzHFile, FzHEvent, FzApc, FzPtr, FzOut16, FzInBuf, FzLen,
        FzLargeInt, FzOutUlong)
FZ_SPEC(NtDeviceIoControlFile, N, 4, FzHFile, FzHEvent, FzApc, FzPtr, FzOut16, FzIoctl,
        FzInBuf, FzLen, FzOutBuf, FzLen)
FZ_SPEC(NtFsControlFile, N, 2, FzHFile, FzHEvent, FzApc, FzPtr, FzOut16, FzIoctl, FzInBuf,
        FzLen, FzOutBuf, FzLen)
FZ_SPEC(NtQueryInformationFile, N, 3, FzHFile, FzOut16, FzOutBuf, FzLen, FzClass)
FZ_SPEC(NtSetInformationFile, N, 3, FzHFile, FzOut16, FzInBuf, FzLen, FzClass)
FZ_SPEC(NtQueryDirectoryFile, N, 3, FzHFile, FzHEvent, FzApc, FzPtr, FzOut16, FzOutBuf, FzLen,
        FzClass, FzBool, FzUstr, FzBool)
FZ_SPEC(NtCancelIoFile, N, 2, FzHFile, FzOut16)
FZ_SPEC(NtLoadDriver, N, 1, FzUstr)
FZ_SPEC(NtUnloadDriver, N, 1, FzUstr)
FZ_SPEC(NtAlpcCreatePort, FzTypeAlpcPort, 4, FzOutHandle, FzOa, FzAlpcAttr)
FZ_SPEC(NtAlpcConnectPort, FzTypeAlpcPort, 4, FzOutHandle, FzUstr, FzOa, FzAlpcAttr,
        FzAlpcFlags, FzSid, FzMsg, FzInOutSize, FzMsgAttr, FzMsgAttr, FzTimeout)
FZ_SPEC(NtAlpcAcceptConnectPort, FzTypeAlpcPort, 4, FzOutHandle, FzHAlpcPort, FzUlong, FzOa,
        FzAlpcAttr, FzPtr, FzMsg, FzMsgAttr, FzBool)
FZ_SPEC(NtAlpcSendWaitReceivePort, N, 8, FzHAlpcPort, FzAlpcFlags, FzMsg, FzMsgAttr, FzMsgOut,
        FzInOutSize, FzMsgAttr, FzTimeout)
FZ_SPEC(NtAlpcCancelMessage, N, 3, FzHAlpcPort, FzUlong, FzAlpcContext)
FZ_SPEC(NtAlpcDisconnectPort, N, 2, FzHAlpcPort, FzUlong)
QUERY(NtAlpcQueryInformation, FzHAlpcPort)
FZ_SPEC(NtAlpcSetInformation, N, 2, FzHAlpcPort, FzClass, FzInBuf, FzLen)
FZ_SPEC(NtAlpcImpersonateClientOfPort, N, 3, FzHAlpcPort, FzMsg, FzPtr)
FZ_SPEC(NtAlpcCreateSecurityContext, N, 2, FzHAlpcPort, FzUlong, FzSecAttr)
FZ_SPEC(NtAlpcDeleteSecurityContext, N, 2, FzHAlpcPort, FzUlong, FzAlpcHandle)
FZ_SPEC(NtAlpcCreatePortSection, N, 3, FzHAlpcPort, FzUlong, FzHSection, FzSize,
        FzOutAlpcHandle, FzOutSize)
FZ_SPEC(NtAlpcDeletePortSection, N, 2, FzHAlpcPort, FzUlong, FzAlpcHandle)
FZ_SPEC(NtAlpcCreateSectionView, N, 3, FzHAlpcPort, FzUlong, FzViewAttr)
FZ_SPEC(NtAlpcDeleteSectionView, N, 2, FzHAlpcPort, FzUlong, FzViewBase)
// A worker's wait for a message nobody posts is ended by the watchdog, as an
// NtListenPort's is; posts go mostly to the workers, whose first get made their queues.
FZ_SPEC(NtUserGetMessage, N, 1, FzOutUserMsg, FzHwnd, FzUlong, FzUlong)
FZ_SPEC(NtUserPostThreadMessage, N, 3, FzThreadId, FzUlong, FzUlong, FzUlong)

#undef N
#undef QUERY
#undef OPEN

// Every service of the list, in number order; a service with no FzArgs_ entry stops
// the build here.
#define FZ_ENTRY(number, name, arguments)                                                  \
    [number] = {#name, number, arguments, FzArgs_##name, FzCreates_##name, FzWeight_##name},
const FZ_SERVICE FzServices[SERVICE_COUNT] = {SLEUTH_SYSTEM_SERVICES(FZ_ENTRY)};

// And each spec has as many arguments as the kernel's list says.
#define FZ_CHECK(number, name, arguments)                                                  \
    _Static_assert(sizeof(FzArgs_##name) == (arguments) + 1,                                \
                   #name ": the fuzzer's argument spec does not match services.h");         \
    _Static_assert((arguments) <= FZ_MAX_ARGS, #name ": more arguments than the fuzzer passes");
SLEUTH_SYSTEM_SERVICES(FZ_CHECK)

// The services' user-mode entry points (user/lib/syscalls.c), called through one type: the
// extra arguments a service does not take are ignored, as NT's convention
// allows.
#define FZ_USER_ENTRY(number, name, arguments) [number] = (FZ_SYSTEM_CALL)(ULONG_PTR)name,
const FZ_SYSTEM_CALL FzSystemCalls[SERVICE_COUNT] = {SLEUTH_SYSTEM_SERVICES(FZ_USER_ENTRY)};
