// A caller changing what it passed while the kernel copies it: a SID's
// sub-authority count and an ACL's size, read once to size the copy and
// again in the copy. The kernel must check the copy against what it sized
// (a count or size that grew would make it read past its own buffer).
// Another thread flips them for as long as the calls run; on one processor
// it runs only when the caller is preempted, so the window is seldom hit:
// this is a stress test, the fix is checked by reading (sdcapture.c,
// createtoken.c, token.c).

#include "tcapture.h"
#include "tests/user/uthread.h"

#define TC_RACE_CALLS 4000

static struct {
    ULONG Sid[3];                       // S-1-5-18, the count flipping
    union {
        ACL Acl;
        UCHAR Bytes[16];
    } Dacl;                             // empty, its size flipping
} TcFlipped __attribute__((aligned(16)));
static volatile LONG TcStop;

static NTSTATUS NTAPI TcFlipper(PVOID argument)
{
    volatile UCHAR *count = (volatile UCHAR *)TcFlipped.Sid + 1;
    volatile USHORT *size = &TcFlipped.Dacl.Acl.AclSize;

    (void)argument;
    while (!TcStop) {
        *count = 0xFF;
        *size = 0xFFF0;
        *count = 1;
        *size = sizeof(ACL);
    }
    return 0;
}

static BOOLEAN TcExpected(NTSTATUS status)
{
    // On two processors the flipper changes the count between the reads:
    // sized for 255 sub-authorities, the copy may run past the caller's
    // memory, which is refused like any bad pointer.
    return status == STATUS_SUCCESS || status == STATUS_INVALID_SID ||
           status == STATUS_INVALID_ACL || status == STATUS_INVALID_SECURITY_DESCR ||
           status == STATUS_ACCESS_VIOLATION;
}

UTEST(DescriptorChangingUnderTheCopy)
{
    SECURITY_DESCRIPTOR sd;
    OBJECT_ATTRIBUTES attributes;
    HANDLE flipper, event;

    TcFlipped.Sid[0] = 0x00000101;
    TcFlipped.Sid[1] = 0x05000000;
    TcFlipped.Sid[2] = 18;
    RtlCreateAcl(&TcFlipped.Dacl.Acl, sizeof(ACL), ACL_REVISION);
    RtlCreateSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
    sd.Owner = (PSID)TcFlipped.Sid;
    RtlSetDaclSecurityDescriptor(&sd, TRUE, &TcFlipped.Dacl.Acl, FALSE);
    InitializeObjectAttributes(&attributes, NULL, 0, NULL, &sd);
    TcStop = 0;
    UT_EXPECT_STATUS(UtStartThread(&flipper, TcFlipper, NULL), STATUS_SUCCESS);
    for (int i = 0; i < TC_RACE_CALLS; i++) {
        NTSTATUS status = NtCreateEvent(&event, EVENT_ALL_ACCESS, &attributes,
                                        NotificationEvent, FALSE);

        if (NT_SUCCESS(status))
            NtClose(event);
        if (!TcExpected(status))
            UtFail(__FILE__, __LINE__, "call %d: %x", i, status);
    }
    TcStop = 1;
    UT_EXPECT_STATUS(UtJoinThread(flipper), 0);
}

// NtCreateToken's user SID: a token made must hold the count checked.
UTEST(TokenSidChangingUnderTheCopy)
{
    LUID authenticationId = {0x3e7, 0};
    LARGE_INTEGER expiration = {.QuadPart = 0x7FFFFFFFFFFFFFFFLL};
    TOKEN_USER user = {{(PSID)TcFlipped.Sid, 0}};
    TOKEN_GROUPS groups = {0};
    TOKEN_PRIVILEGES privileges = {0};
    TOKEN_OWNER owner = {(PSID)TcFlipped.Sid};
    TOKEN_PRIMARY_GROUP group = {(PSID)TcFlipped.Sid};
    TOKEN_SOURCE source = {{'t', 'c', 'a', 'p', 't', 'u', 'r', 'e'}, {0, 0}};
    HANDLE flipper, token;

    TcFlipped.Sid[0] = 0x00000101;
    TcFlipped.Sid[1] = 0x05000000;
    TcFlipped.Sid[2] = 18;
    TcStop = 0;
    UT_EXPECT_STATUS(UtStartThread(&flipper, TcFlipper, NULL), STATUS_SUCCESS);
    for (int i = 0; i < TC_RACE_CALLS / 4; i++) {
        NTSTATUS status = NtCreateToken(&token, TOKEN_ALL_ACCESS, NULL, TokenPrimary,
                                        &authenticationId, &expiration, &user, &groups,
                                        &privileges, &owner, &group, NULL, &source);
        union {
            TOKEN_USER User;
            UCHAR Bytes[256];
        } answer;
        ULONG length;

        if (!TcExpected(status))
            UtFail(__FILE__, __LINE__, "call %d: %x", i, status);
        if (!NT_SUCCESS(status))
            continue;
        UT_EXPECT_STATUS(NtQueryInformationToken(token, TokenUser, &answer, sizeof(answer),
                                                 &length),
                         STATUS_SUCCESS);
        UT_EXPECT_EQ(((SID *)answer.User.User.Sid)->SubAuthorityCount, 1);
        NtClose(token);
    }
    TcStop = 1;
    UT_EXPECT_STATUS(UtJoinThread(flipper), 0);
}

const UTEST TcRaceTests[] = {
    UT_ENTRY(DescriptorChangingUnderTheCopy),
    UT_ENTRY(TokenSidChangingUnderTheCopy),
};
const int TcRaceTestCount = sizeof(TcRaceTests) / sizeof(TcRaceTests[0]);
