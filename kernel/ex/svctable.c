// KiServiceTable: every system service by number, with how many 64-bit
// arguments it takes (KiSystemServiceDispatch fetches those beyond four
// from the user stack).

#include "ke/ke.h"
#include "ex/ex.h"
#include "ex/services.h"
#include "ps/ps.h"

// Services keep their NT prototypes. Calling one through KSYSTEM_SERVICE is
// what the x64 calling convention makes safe: every argument travels in its
// own 64-bit register or stack slot whatever its type, and unused ones are
// ignored. (The cast through void (*)(void) says this is deliberate.)
#define SERVICE_ENTRY(routine) ((KSYSTEM_SERVICE)(void (*)(void))(routine))

const KSYSTEM_SERVICE KiServiceTable[SERVICE_COUNT] = {
    [SERVICE_NtTerminateProcess] = SERVICE_ENTRY(NtTerminateProcess),
    [SERVICE_NtDisplayString] = SERVICE_ENTRY(NtDisplayString),
};

const UCHAR KiArgumentTable[SERVICE_COUNT] = {
    [SERVICE_NtTerminateProcess] = 2,
    [SERVICE_NtDisplayString] = 1,
};

const ULONG KiServiceLimit = SERVICE_COUNT;
