// The object manager's and the executive objects' system services, run as
// user-mode test programs (tests/user/NAME/) with the leak check around
// each.

#include "tests/kernel/ktuser.h"
#include "ob/ob.h"
#include "mm/mm.h"

KTEST(UserEventsSemaphoresAndMutants)
{
    KtExpectUserTestsPass("tsync");
}

KTEST(UserWaits)
{
    KtExpectUserTestsPass("twaits");
}

KTEST(UserTimers)
{
    KtExpectUserTestsPass("ttimers");
}

KTEST(UserHandlesAndObjects)
{
    KtExpectUserTestsPass("tobject");
}

KTEST(UserNamespace)
{
    KtExpectUserTestsPass("tnamespace");
}

// Failed captures of OBJECT_ATTRIBUTES, names and descriptors (issue 11):
// the statuses, and nothing freed or kept but the kernel's own blocks.
KTEST(UserCaptureFailuresLeaveNothing)
{
    KtExpectUserTestsPass("tcapture");
}

static ULONG KtCaptureAllocations(void)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(OBP_CAPTURE_TAG, &allocations, &bytes);
    return allocations;
}

// The capture's contract, from inside: a structure full of garbage is
// zeroed before anything can fail, so a failed capture (here attributes
// at a kernel address, which no user pointer may be) leaves nothing the
// release would free, and releasing it anyway frees nothing.
KTEST(FailedCaptureLeavesNothingToRelease)
{
    OBJECT_ATTRIBUTES kernelAttributes;
    OB_CAPTURED_ATTRIBUTES captured;
    ULONG before = KtCaptureAllocations();

    InitializeObjectAttributes(&kernelAttributes, NULL, 0, NULL, NULL);
    memset(&captured, 0xA5, sizeof(captured));
    KT_EXPECT_EQ(ObCaptureObjectAttributes(&kernelAttributes, &captured),
                 STATUS_ACCESS_VIOLATION);
    KT_EXPECT(captured.OwnedNameBuffer == NULL && captured.OwnedDescriptor == NULL);
    KT_EXPECT(captured.Name.Buffer == NULL && captured.Attributes.ObjectName == NULL);
    KT_EXPECT(captured.Attributes.SecurityDescriptor == NULL);
    ObReleaseObjectAttributes(&captured);
    KT_EXPECT_EQ(KtCaptureAllocations(), before);
}
