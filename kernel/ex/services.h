// The system-service numbers: an index into KiServiceTable. The user-mode
// stubs (user/lib) put them in eax before `syscall`, so this header is
// shared with user mode and holds nothing but the numbers.
#pragma once

#define SERVICE_NtTerminateProcess 0
#define SERVICE_NtDisplayString    1
#define SERVICE_COUNT              2
