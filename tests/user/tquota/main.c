// User-mode tests of pool quota: an object a process makes is charged to
// it, by what NtQueryObject says the object costs, and exactly that comes
// back when its last handle closes (SYSTEM_PROCESS_INFORMATION's
// QuotaNonPagedPoolUsage); NtSetInformationProcess(ProcessQuotaLimits)
// lowers a limit, past which a new object is STATUS_QUOTA_EXCEEDED, and
// raising it needs SeIncreaseQuotaPrivilege (no Sleuth token has it). The
// limit test goes last: the program keeps its lowered limit until it ends.

#include "tests/user/utest.h"

static ULONG64 ProcessList[8192];

// The caller's entry in a fresh process list (its quota usage), or NULL.
static SYSTEM_PROCESS_INFORMATION *Self(void)
{
    PROCESS_BASIC_INFORMATION self;
    SYSTEM_PROCESS_INFORMATION *entry = (SYSTEM_PROCESS_INFORMATION *)ProcessList;

    if (!NT_SUCCESS(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                              &self, sizeof(self), NULL)) ||
        !NT_SUCCESS(NtQuerySystemInformation(SystemProcessInformation, ProcessList,
                                             sizeof(ProcessList), NULL)))
        return NULL;
    for (;;) {
        if ((ULONG_PTR)entry->UniqueProcessId == self.UniqueProcessId)
            return entry;
        if (!entry->NextEntryOffset)
            return NULL;
        entry = (SYSTEM_PROCESS_INFORMATION *)((UCHAR *)entry + entry->NextEntryOffset);
    }
}

static SIZE_T NonPagedUsage(void)
{
    SYSTEM_PROCESS_INFORMATION *self = Self();

    return self ? self->QuotaNonPagedPoolUsage : (SIZE_T)-1;
}

UTEST(AnEventIsChargedWhatItCostsAndReturnedAtItsLastClose)
{
    OBJECT_BASIC_INFORMATION basic;
    HANDLE event = NULL, copy = NULL;
    SIZE_T before = NonPagedUsage(), with;
    SYSTEM_PROCESS_INFORMATION *self;

    UT_EXPECT(before != (SIZE_T)-1);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectBasicInformation, &basic, sizeof(basic), NULL),
                     STATUS_SUCCESS);
    UT_EXPECT(basic.NonPagedPoolCharge > 0);
    UT_EXPECT_EQ(basic.PagedPoolCharge, 0);
    with = NonPagedUsage();
    UT_EXPECT_EQ(with, before + basic.NonPagedPoolCharge);
    self = Self();
    UT_EXPECT(self && self->QuotaPeakNonPagedPoolUsage >= with);
    UT_EXPECT(self && self->QuotaPagedPoolUsage == 0);
    // A second handle charges nothing more; the object goes with the last.
    UT_EXPECT_STATUS(NtDuplicateObject(NtCurrentProcess(), event, NtCurrentProcess(), &copy, 0,
                                       0, DUPLICATE_SAME_ACCESS),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(NonPagedUsage(), with);
    UT_EXPECT_STATUS(NtClose(event), STATUS_SUCCESS);
    UT_EXPECT_EQ(NonPagedUsage(), with);
    UT_EXPECT_STATUS(NtClose(copy), STATUS_SUCCESS);
    UT_EXPECT_EQ(NonPagedUsage(), before);
}

UTEST(QuotaLimitsRefuseBadArguments)
{
    QUOTA_LIMITS limits;

    memset(&limits, 0, sizeof(limits));
    UT_EXPECT_STATUS(NtSetInformationProcess(NtCurrentProcess(), ProcessQuotaLimits, &limits,
                                             sizeof(limits) - 1),
                     STATUS_INFO_LENGTH_MISMATCH);
    UT_EXPECT_STATUS(NtSetInformationProcess(NtCurrentProcess(), ProcessQuotaLimits,
                                             UT_KERNEL_POINTER, sizeof(limits)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetInformationProcess(NtCurrentProcess(), ProcessQuotaLimits,
                                             UT_BAD_POINTER, sizeof(limits)),
                     STATUS_ACCESS_VIOLATION);
    UT_EXPECT_STATUS(NtSetInformationProcess((HANDLE)(ULONG_PTR)0x1234, ProcessQuotaLimits,
                                             &limits, sizeof(limits)),
                     STATUS_INVALID_HANDLE);
    // Sleuth has no working-set, paging-file or time limits.
    limits.MaximumWorkingSetSize = 1 << 20;
    UT_EXPECT_STATUS(NtSetInformationProcess(NtCurrentProcess(), ProcessQuotaLimits, &limits,
                                             sizeof(limits)),
                     STATUS_INVALID_PARAMETER);
    limits.MaximumWorkingSetSize = 0;
    limits.TimeLimit.QuadPart = 1;
    UT_EXPECT_STATUS(NtSetInformationProcess(NtCurrentProcess(), ProcessQuotaLimits, &limits,
                                             sizeof(limits)),
                     STATUS_INVALID_PARAMETER);
    // All zero: nothing changes.
    limits.TimeLimit.QuadPart = 0;
    UT_EXPECT_STATUS(NtSetInformationProcess(NtCurrentProcess(), ProcessQuotaLimits, &limits,
                                             sizeof(limits)),
                     STATUS_SUCCESS);
}

// Last: the limit stays lowered for the rest of the program.
UTEST(AnObjectPastTheNonPagedLimitIsQuotaExceeded)
{
    OBJECT_BASIC_INFORMATION basic;
    QUOTA_LIMITS limits;
    HANDLE event = NULL, second = NULL;
    SIZE_T before;

    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtQueryObject(event, ObjectBasicInformation, &basic, sizeof(basic), NULL),
                     STATUS_SUCCESS);
    before = NonPagedUsage();
    // Room for exactly one more event.
    memset(&limits, 0, sizeof(limits));
    limits.NonPagedPoolLimit = before + basic.NonPagedPoolCharge;
    UT_EXPECT_STATUS(NtSetInformationProcess(NtCurrentProcess(), ProcessQuotaLimits, &limits,
                                             sizeof(limits)),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&second, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_EQ(NonPagedUsage(), before + basic.NonPagedPoolCharge);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_QUOTA_EXCEEDED);
    UT_EXPECT_EQ(NonPagedUsage(), before + basic.NonPagedPoolCharge);
    // Closing one makes room again.
    UT_EXPECT_STATUS(NtClose(second), STATUS_SUCCESS);
    UT_EXPECT_EQ(NonPagedUsage(), before);
    UT_EXPECT_STATUS(NtCreateEvent(&second, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtClose(second), STATUS_SUCCESS);
    // Raising it back needs SeIncreaseQuotaPrivilege: refused, unchanged.
    limits.NonPagedPoolLimit = (SIZE_T)-1;
    UT_EXPECT_STATUS(NtSetInformationProcess(NtCurrentProcess(), ProcessQuotaLimits, &limits,
                                             sizeof(limits)),
                     STATUS_PRIVILEGE_NOT_HELD);
    UT_EXPECT_STATUS(NtCreateEvent(&second, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_SUCCESS);
    UT_EXPECT_STATUS(NtCreateEvent(&event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE),
                     STATUS_QUOTA_EXCEEDED);
    UT_EXPECT_STATUS(NtClose(second), STATUS_SUCCESS);
}

static const UTEST Tests[] = {
    UT_ENTRY(AnEventIsChargedWhatItCostsAndReturnedAtItsLastClose),
    UT_ENTRY(QuotaLimitsRefuseBadArguments),
    UT_ENTRY(AnObjectPastTheNonPagedLimitIsQuotaExceeded),
};

int main(void)
{
    return UT_RUN_ALL("tquota", Tests);
}
