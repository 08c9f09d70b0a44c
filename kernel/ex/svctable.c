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

// Services keep their NT prototypes. Calling one through KSYSTEM_SERVICE is
// what the x64 calling convention makes safe: every argument travels in its
// own 64-bit register or stack slot whatever its type, and unused ones are
// ignored. (The cast through void (*)(void) says this is deliberate.)
#define SERVICE_ENTRY(routine) [SERVICE_##routine] = (KSYSTEM_SERVICE)(void (*)(void))(routine)

const KSYSTEM_SERVICE KiServiceTable[SERVICE_COUNT] = {
    // The console.
    SERVICE_ENTRY(NtDisplayString),

    // Handles, objects and the namespace.

    // Dispatcher objects and waits.

    // Processes and threads.
    SERVICE_ENTRY(NtTerminateProcess),
    SERVICE_ENTRY(NtCreateProcessFromArchive),
    SERVICE_ENTRY(NtOpenProcess),
    SERVICE_ENTRY(NtCreateThreadEx),
    SERVICE_ENTRY(NtOpenThread),
    SERVICE_ENTRY(NtTerminateThread),
    SERVICE_ENTRY(NtSuspendThread),
    SERVICE_ENTRY(NtResumeThread),

    // Memory.

};

#define SERVICE_ARGUMENTS(number, name, arguments) [number] = arguments,
const UCHAR KiArgumentTable[SERVICE_COUNT] = {SLEUTH_SYSTEM_SERVICES(SERVICE_ARGUMENTS)};

#define SERVICE_ARGUMENT_LIMIT(number, name, arguments)                                    \
    _Static_assert(arguments <= KI_MAXIMUM_SERVICE_ARGUMENTS, #name " takes too many arguments");
SLEUTH_SYSTEM_SERVICES(SERVICE_ARGUMENT_LIMIT)

const ULONG KiServiceLimit = SERVICE_COUNT;
