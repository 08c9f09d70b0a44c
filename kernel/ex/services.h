// The system services, by number: KiServiceTable (kernel/ex/svctable.c)
// and the user-mode stubs (user/lib/syscalls.c) are both built from this
// one list, so the numbers and argument counts cannot disagree. Each entry
// is SYSTEM_SERVICE(number, name, arguments); arguments beyond four travel
// on the user stack. Numbers are Sleuth's own (NT's change with every
// build); a number with no routine in the kernel's table returns
// STATUS_INVALID_SYSTEM_SERVICE.
//
// This header is shared with user mode and holds nothing but the list.
#pragma once

#define SLEUTH_SYSTEM_SERVICES(SYSTEM_SERVICE)                    \
    /* Console and the process itself */                          \
    SYSTEM_SERVICE(0, NtTerminateProcess, 2)                      \
    SYSTEM_SERVICE(1, NtDisplayString, 1)                         \
    /* Handles and objects (ob) */                                \
    SYSTEM_SERVICE(2, NtClose, 1)                                 \
    SYSTEM_SERVICE(3, NtDuplicateObject, 7)                       \
    SYSTEM_SERVICE(4, NtQueryObject, 5)                           \
    SYSTEM_SERVICE(5, NtMakeTemporaryObject, 1)                   \
    SYSTEM_SERVICE(6, NtCreateDirectoryObject, 3)                 \
    SYSTEM_SERVICE(7, NtOpenDirectoryObject, 3)                   \
    SYSTEM_SERVICE(8, NtQueryDirectoryObject, 7)                  \
    SYSTEM_SERVICE(9, NtCreateSymbolicLinkObject, 4)              \
    SYSTEM_SERVICE(10, NtOpenSymbolicLinkObject, 3)               \
    SYSTEM_SERVICE(11, NtQuerySymbolicLinkObject, 3)              \
    /* Dispatcher objects and waits (ex, ke) */                   \
    SYSTEM_SERVICE(12, NtCreateEvent, 5)                          \
    SYSTEM_SERVICE(13, NtOpenEvent, 3)                            \
    SYSTEM_SERVICE(14, NtSetEvent, 2)                             \
    SYSTEM_SERVICE(15, NtResetEvent, 2)                           \
    SYSTEM_SERVICE(16, NtPulseEvent, 2)                           \
    SYSTEM_SERVICE(17, NtClearEvent, 1)                           \
    SYSTEM_SERVICE(18, NtQueryEvent, 5)                           \
    SYSTEM_SERVICE(19, NtCreateSemaphore, 5)                      \
    SYSTEM_SERVICE(20, NtOpenSemaphore, 3)                        \
    SYSTEM_SERVICE(21, NtReleaseSemaphore, 3)                     \
    SYSTEM_SERVICE(22, NtQuerySemaphore, 5)                       \
    SYSTEM_SERVICE(23, NtCreateMutant, 4)                         \
    SYSTEM_SERVICE(24, NtOpenMutant, 3)                           \
    SYSTEM_SERVICE(25, NtReleaseMutant, 2)                        \
    SYSTEM_SERVICE(26, NtQueryMutant, 5)                          \
    SYSTEM_SERVICE(27, NtCreateTimer, 4)                          \
    SYSTEM_SERVICE(28, NtOpenTimer, 3)                            \
    SYSTEM_SERVICE(29, NtSetTimer, 7)                             \
    SYSTEM_SERVICE(30, NtCancelTimer, 2)                          \
    SYSTEM_SERVICE(31, NtQueryTimer, 5)                           \
    SYSTEM_SERVICE(32, NtWaitForSingleObject, 3)                  \
    SYSTEM_SERVICE(33, NtWaitForMultipleObjects, 5)               \
    SYSTEM_SERVICE(34, NtSignalAndWaitForSingleObject, 4)         \
    SYSTEM_SERVICE(35, NtDelayExecution, 2)                       \
    SYSTEM_SERVICE(36, NtYieldExecution, 0)                       \
    SYSTEM_SERVICE(37, NtQuerySystemTime, 1)                      \
    SYSTEM_SERVICE(38, NtQueryPerformanceCounter, 2)              \
    /* Processes and threads (ps) */                              \
    SYSTEM_SERVICE(39, NtCreateProcessFromArchive, 9)             \
    SYSTEM_SERVICE(40, NtOpenProcess, 4)                          \
    SYSTEM_SERVICE(41, NtQueryInformationProcess, 5)              \
    SYSTEM_SERVICE(42, NtCreateThreadEx, 11)                      \
    SYSTEM_SERVICE(43, NtOpenThread, 4)                           \
    SYSTEM_SERVICE(44, NtTerminateThread, 2)                      \
    SYSTEM_SERVICE(45, NtQueryInformationThread, 5)               \
    SYSTEM_SERVICE(46, NtSuspendThread, 2)                        \
    SYSTEM_SERVICE(47, NtResumeThread, 2)                         \
    SYSTEM_SERVICE(48, NtAlertThread, 1)                          \
    SYSTEM_SERVICE(49, NtAlertResumeThread, 2)                    \
    SYSTEM_SERVICE(50, NtTestAlert, 0)                            \
    SYSTEM_SERVICE(51, NtQueueApcThread, 5)                       \
    SYSTEM_SERVICE(52, NtContinue, 2)                             \
    SYSTEM_SERVICE(53, NtQuerySystemInformation, 4)               \
    /* Memory (mm) */                                             \
    SYSTEM_SERVICE(54, NtAllocateVirtualMemory, 6)                \
    SYSTEM_SERVICE(55, NtFreeVirtualMemory, 4)                    \
    SYSTEM_SERVICE(56, NtQueryVirtualMemory, 6)                   \
    SYSTEM_SERVICE(57, NtProtectVirtualMemory, 5)                 \
    SYSTEM_SERVICE(58, NtCreateSection, 7)                        \
    SYSTEM_SERVICE(59, NtOpenSection, 3)                          \
    SYSTEM_SERVICE(60, NtMapViewOfSection, 10)                    \
    SYSTEM_SERVICE(61, NtUnmapViewOfSection, 2)                   \
    SYSTEM_SERVICE(62, NtQuerySection, 5)                         \
    /* LPC (lpc) */                                               \
    SYSTEM_SERVICE(63, NtCreatePort, 5)                           \
    SYSTEM_SERVICE(64, NtCreateWaitablePort, 5)                   \
    SYSTEM_SERVICE(65, NtConnectPort, 8)                          \
    SYSTEM_SERVICE(66, NtSecureConnectPort, 9)                    \
    SYSTEM_SERVICE(67, NtListenPort, 2)                           \
    SYSTEM_SERVICE(68, NtAcceptConnectPort, 6)                    \
    SYSTEM_SERVICE(69, NtCompleteConnectPort, 1)                  \
    SYSTEM_SERVICE(70, NtRequestPort, 2)                          \
    SYSTEM_SERVICE(71, NtRequestWaitReplyPort, 3)                 \
    SYSTEM_SERVICE(72, NtReplyPort, 2)                            \
    SYSTEM_SERVICE(73, NtReplyWaitReplyPort, 2)                   \
    SYSTEM_SERVICE(74, NtReplyWaitReceivePort, 4)                 \
    SYSTEM_SERVICE(75, NtReplyWaitReceivePortEx, 5)               \
    SYSTEM_SERVICE(76, NtImpersonateClientOfPort, 2)              \
    SYSTEM_SERVICE(77, NtReadRequestData, 6)                      \
    SYSTEM_SERVICE(78, NtWriteRequestData, 6)                     \
    SYSTEM_SERVICE(79, NtQueryInformationPort, 5)                 \
    SYSTEM_SERVICE(80, NtRegisterThreadTerminatePort, 1)          \
    /* Security (se) */                                           \
    SYSTEM_SERVICE(81, NtOpenProcessToken, 3)                     \
    SYSTEM_SERVICE(82, NtOpenThreadToken, 4)                      \
    SYSTEM_SERVICE(83, NtQueryInformationToken, 5)                \
    SYSTEM_SERVICE(84, NtSetInformationThread, 4)                 \
    SYSTEM_SERVICE(85, NtSetInformationProcess, 4)                \
    SYSTEM_SERVICE(86, NtDuplicateToken, 6)                        \
    SYSTEM_SERVICE(87, NtCreateToken, 13)                         \
    /* Object security (ob) */                                    \
    SYSTEM_SERVICE(88, NtQuerySecurityObject, 5)                  \
    SYSTEM_SERVICE(89, NtSetSecurityObject, 3)                    \
    /* Files and devices (io) */                                  \
    SYSTEM_SERVICE(90, NtCreateFile, 11)                          \
    SYSTEM_SERVICE(91, NtOpenFile, 6)                             \
    SYSTEM_SERVICE(92, NtReadFile, 9)                             \
    SYSTEM_SERVICE(93, NtWriteFile, 9)                            \
    SYSTEM_SERVICE(94, NtDeviceIoControlFile, 10)                 \
    SYSTEM_SERVICE(95, NtFsControlFile, 10)                       \
    SYSTEM_SERVICE(96, NtQueryInformationFile, 5)                 \
    SYSTEM_SERVICE(97, NtSetInformationFile, 5)                   \
    SYSTEM_SERVICE(98, NtQueryDirectoryFile, 11)                  \
    SYSTEM_SERVICE(99, NtCancelIoFile, 2)                         \
    /* Drivers (io/loaddrv.c) */                                  \
    SYSTEM_SERVICE(100, NtLoadDriver, 1)                          \
    SYSTEM_SERVICE(101, NtUnloadDriver, 1)                        \
    /* Sessions (mm/session.c) */                                 \
    SYSTEM_SERVICE(102, NtSetSystemInformation, 3)               \
    /* ALPC (alpc) */                                             \
    SYSTEM_SERVICE(103, NtAlpcCreatePort, 3)                      \
    SYSTEM_SERVICE(104, NtAlpcConnectPort, 11)                    \
    SYSTEM_SERVICE(105, NtAlpcAcceptConnectPort, 9)               \
    SYSTEM_SERVICE(106, NtAlpcSendWaitReceivePort, 8)             \
    SYSTEM_SERVICE(107, NtAlpcCancelMessage, 3)                   \
    SYSTEM_SERVICE(108, NtAlpcDisconnectPort, 2)                  \
    SYSTEM_SERVICE(109, NtAlpcQueryInformation, 5)                \
    SYSTEM_SERVICE(110, NtAlpcSetInformation, 4)                  \
    /* ALPC's extensions (alpc: security.c, view.c) */            \
    SYSTEM_SERVICE(111, NtAlpcImpersonateClientOfPort, 3)         \
    SYSTEM_SERVICE(112, NtAlpcCreateSecurityContext, 3)           \
    SYSTEM_SERVICE(113, NtAlpcDeleteSecurityContext, 3)           \
    SYSTEM_SERVICE(114, NtAlpcCreatePortSection, 6)               \
    SYSTEM_SERVICE(115, NtAlpcDeletePortSection, 3)               \
    SYSTEM_SERVICE(116, NtAlpcCreateSectionView, 3)               \
    SYSTEM_SERVICE(117, NtAlpcDeleteSectionView, 3)             \
    /* The thread message queue (ex/usermsg.c; win32k's on NT) */ \
    SYSTEM_SERVICE(118, NtUserGetMessage, 4)                     \
    SYSTEM_SERVICE(119, NtUserPostThreadMessage, 4)               \
    /* The processor the caller runs on (ex/extime.c) */          \
    SYSTEM_SERVICE(120, NtGetCurrentProcessorNumber, 0)

#define SERVICE_COUNT 121

// SERVICE_NtClose and friends: the numbers as constants.
#define SLEUTH_SERVICE_NUMBER(number, name, arguments) SERVICE_##name = number,
enum { SLEUTH_SYSTEM_SERVICES(SLEUTH_SERVICE_NUMBER) };
#undef SLEUTH_SERVICE_NUMBER
