// User-mode tests of the system-call path itself: the console service,
// bad pointers, and arguments beyond the four passed in registers.

#include "tests/user/utest.h"

UTEST(DisplayStringPrintsAndSucceeds)
{
    UNICODE_STRING text = UT_NAME(u"tbasics: NtDisplayString from a test program\n");

    UT_EXPECT_STATUS(NtDisplayString(&text), STATUS_SUCCESS);
}

UTEST(DisplayStringWithBadPointersFailsWithAccessViolation)
{
    UNICODE_STRING text = {8, 8, UT_BAD_POINTER};

    UT_EXPECT_STATUS(NtDisplayString(UT_BAD_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtDisplayString(UT_KERNEL_POINTER), STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtDisplayString(&text), STATUS_ACCESS_VIOLATION);
    text.Buffer = UT_KERNEL_POINTER;
    UT_EXPECT_STATUS(NtDisplayString(&text), STATUS_ACCESS_VIOLATION);
}

UTEST(DisplayStringWithAnOddLengthIsAnInvalidParameter)
{
    UNICODE_STRING text = UT_NAME(u"odd");

    text.Length = 3;
    UT_EXPECT_STATUS(NtDisplayString(&text), STATUS_INVALID_PARAMETER);
}

UTEST(PrintfFormatsLikeTheKernel)
{
    char buffer[64];

    snprintf(buffer, sizeof(buffer), "%d %x %s %08llx", -5, 0xbeefu, "ok", 0x1234ULL);
    UT_EXPECT(strcmp(buffer, "-5 beef ok 00001234") == 0);
}

static const UTEST Tests[] = {
    UT_ENTRY(DisplayStringPrintsAndSucceeds),
    UT_ENTRY(DisplayStringWithBadPointersFailsWithAccessViolation),
    UT_ENTRY(DisplayStringWithAnOddLengthIsAnInvalidParameter),
    UT_ENTRY(PrintfFormatsLikeTheKernel),
};

int main(void)
{
    return UT_RUN_ALL("tbasics", Tests);
}
