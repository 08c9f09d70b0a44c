// The access check: may a subject (a token's user and groups) have the
// access it asks for on an object protected by a security descriptor?
// NT's rules, as SeAccessCheck applies them:
//
// - GENERIC_READ/WRITE/EXECUTE/ALL, in the request and in every ACE, stand
//   for the type's specific rights (its GENERIC_MAPPING).
// - No DACL, or a NULL DACL (SE_DACL_PRESENT with no ACL): everything asked
//   is granted; MAXIMUM_ALLOWED gets the type's GenericAll.
// - An empty DACL grants nothing, except what the owner always has: the
//   owner of the object may read and change its descriptor (READ_CONTROL |
//   WRITE_DAC), whatever the DACL says.
// - Otherwise the ACEs are read in order. An allowed ACE for a SID the
//   subject holds grants its rights unless an earlier denied ACE took them
//   away; a denied ACE takes away the rights no earlier allowed ACE granted.
//   So the order of the ACEs decides: NT's own DACLs put denied ACEs first.
//   Inherit-only ACEs are for children and do not apply.
// - The user always counts; a group counts when it is enabled, or, for a
//   denied ACE only, when it is a deny-only group.
// - With MAXIMUM_ALLOWED the caller gets everything the DACL grants it (and
//   must have been granted the rest of what it asked); asking for nothing,
//   or being granted nothing, is STATUS_ACCESS_DENIED.
//
// Pure code: the host tests call it with hand-made subjects.

#include "se/se.h"

void RtlMapGenericMask(ACCESS_MASK *mask, const GENERIC_MAPPING *mapping)
{
    ACCESS_MASK access = *mask;

    if (access & GENERIC_READ)
        access |= mapping->GenericRead;
    if (access & GENERIC_WRITE)
        access |= mapping->GenericWrite;
    if (access & GENERIC_EXECUTE)
        access |= mapping->GenericExecute;
    if (access & GENERIC_ALL)
        access |= mapping->GenericAll;
    *mask = access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);
}

// Does the subject hold `sid`, for an allowed ACE (forDeny FALSE) or a
// denied one?
static BOOLEAN SepSubjectHoldsSid(const SID_AND_ATTRIBUTES *userAndGroups, ULONG count,
                                  const SID *sid, BOOLEAN forDeny)
{
    for (ULONG i = 0; i < count; i++) {
        ULONG attributes = userAndGroups[i].Attributes;
        BOOLEAN counts;

        if (i == 0)
            counts = forDeny || !(attributes & SE_GROUP_USE_FOR_DENY_ONLY);
        else if (attributes & SE_GROUP_USE_FOR_DENY_ONLY)
            counts = forDeny;
        else
            counts = (attributes & SE_GROUP_ENABLED) != 0;
        if (counts && RtlEqualSid(userAndGroups[i].Sid, sid))
            return TRUE;
    }
    return FALSE;
}

NTSTATUS SeAccessCheckSubject(const void *securityDescriptor,
                              const SID_AND_ATTRIBUTES *userAndGroups, ULONG count,
                              ACCESS_MASK desiredAccess, const GENERIC_MAPPING *mapping,
                              ACCESS_MASK *grantedAccess)
{
    BOOLEAN maximum = (desiredAccess & MAXIMUM_ALLOWED) != 0;
    ACCESS_MASK desired = desiredAccess & ~MAXIMUM_ALLOWED;
    ACCESS_MASK granted = 0, denied = 0;
    const ACL *dacl = RtlDaclOfSecurityDescriptor(securityDescriptor);
    const SID *owner = RtlOwnerOfSecurityDescriptor(securityDescriptor);
    const UCHAR *next;

    *grantedAccess = 0;
    RtlMapGenericMask(&desired, mapping);
    if (!desired && !maximum)
        return STATUS_ACCESS_DENIED;
    if (!dacl) {
        *grantedAccess = desired | (maximum ? mapping->GenericAll : 0);
        return STATUS_SUCCESS;
    }
    if (owner && SepSubjectHoldsSid(userAndGroups, count, owner, FALSE))
        granted = READ_CONTROL | WRITE_DAC;
    next = (const UCHAR *)(dacl + 1);
    for (ULONG i = 0; i < dacl->AceCount; i++) {
        const ACCESS_ALLOWED_ACE *ace = (const ACCESS_ALLOWED_ACE *)next;
        ACCESS_MASK mask = ace->Mask;

        next += ace->Header.AceSize;
        if (ace->Header.AceFlags & INHERIT_ONLY_ACE)
            continue;
        RtlMapGenericMask(&mask, mapping);
        if (ace->Header.AceType == ACCESS_ALLOWED_ACE_TYPE &&
            SepSubjectHoldsSid(userAndGroups, count, RtlAceSid(ace), FALSE))
            granted |= mask & ~denied;
        else if (ace->Header.AceType == ACCESS_DENIED_ACE_TYPE &&
                 SepSubjectHoldsSid(userAndGroups, count, RtlAceSid(ace), TRUE))
            denied |= mask & ~granted;
    }
    if ((granted & desired) != desired)
        return STATUS_ACCESS_DENIED;
    if (maximum) {
        if (!granted)
            return STATUS_ACCESS_DENIED;
        *grantedAccess = granted;
    } else {
        *grantedAccess = desired;
    }
    return STATUS_SUCCESS;
}
