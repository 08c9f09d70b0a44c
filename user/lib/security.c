// Descriptors the system servers put on their ports, built with the
// run-time library's ACL routines (kernel/rtl/security.c).

#include "user/include/ntapi.h"
#include "user/include/runtime.h"

// S-1-5-18, S-1-5-32-544 and S-1-1-0 in NT's binary layout.
static const struct {
    UCHAR Revision, Count, Authority[6];
    ULONG SubAuthority[2];
} RtlpLocalSystem = {1, 1, {0, 0, 0, 0, 0, 5}, {18, 0}},
  RtlpAdministrators = {1, 2, {0, 0, 0, 0, 0, 5}, {32, 544}},
  RtlpEveryone = {1, 1, {0, 0, 0, 0, 0, 1}, {0, 0}};

NTSTATUS RtlCreateServerPortSecurity(SERVER_PORT_SECURITY *security, BOOLEAN everyoneMayConnect)
{
    NTSTATUS status = RtlCreateSecurityDescriptor(&security->Descriptor,
                                                  SECURITY_DESCRIPTOR_REVISION);

    if (NT_SUCCESS(status))
        status = RtlCreateAcl(&security->Dacl.Acl, sizeof(security->Dacl), ACL_REVISION);
    if (NT_SUCCESS(status))
        status = RtlAddAccessAllowedAce(&security->Dacl.Acl, ACL_REVISION, PORT_ALL_ACCESS,
                                        (const SID *)&RtlpLocalSystem);
    if (NT_SUCCESS(status))
        status = RtlAddAccessAllowedAce(&security->Dacl.Acl, ACL_REVISION, PORT_ALL_ACCESS,
                                        (const SID *)&RtlpAdministrators);
    if (NT_SUCCESS(status) && everyoneMayConnect)
        status = RtlAddAccessAllowedAce(&security->Dacl.Acl, ACL_REVISION,
                                        PORT_CONNECT | READ_CONTROL, (const SID *)&RtlpEveryone);
    if (NT_SUCCESS(status))
        status = RtlSetDaclSecurityDescriptor(&security->Descriptor, TRUE, &security->Dacl.Acl,
                                              FALSE);
    return status;
}
