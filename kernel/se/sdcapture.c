// The kernel's half of security descriptors: copying a caller's descriptor
// in (it may be absolute, its parts anywhere in the caller's memory, or
// self-relative), making and changing an object's descriptor in pool, and
// the access check against a token. The rules themselves are pure code
// (accesschk.c, sdinfo.c, rtl/security.c).

#include "se/sep.h"

// What one captured descriptor may span: two full ACLs and two SIDs. NT has
// no such bound but its pool's; a descriptor claiming more is malformed.
#define SEP_MAX_DESCRIPTOR_LENGTH (sizeof(SECURITY_DESCRIPTOR_RELATIVE) + 2 * 0x10000 + \
                                   2 * SECURITY_MAX_SID_SIZE)

static ULONG SepAlign4(ULONG length)
{
    return (length + 3) & ~3u;
}

// The length of the user SID at `sid` from its header.
static NTSTATUS SepProbeSidLength(const SID *sid, ULONG *length)
{
    SID header;
    NTSTATUS status = MmCopyFromUser(&header, sid, FIELD_OFFSET(SID, SubAuthority));

    if (!NT_SUCCESS(status))
        return status;
    if (!RtlValidSid(&header))
        return STATUS_INVALID_SID;
    *length = RtlLengthSid(&header);
    return STATUS_SUCCESS;
}

static NTSTATUS SepProbeAclLength(const ACL *acl, ULONG *length)
{
    ACL header;
    NTSTATUS status = MmCopyFromUser(&header, acl, sizeof(header));

    if (!NT_SUCCESS(status))
        return status;
    if (header.AclSize < sizeof(ACL))
        return STATUS_INVALID_ACL;
    *length = header.AclSize;
    return STATUS_SUCCESS;
}

static NTSTATUS SepFinishCapture(SECURITY_DESCRIPTOR_RELATIVE *buffer, ULONG length,
                                 ULONG poolTag, SECURITY_DESCRIPTOR_RELATIVE **captured)
{
    if (!RtlValidRelativeSecurityDescriptor(buffer, length, 0)) {
        ExFreePoolWithTag(buffer, poolTag);
        return STATUS_INVALID_SECURITY_DESCR;
    }
    *captured = buffer;
    return STATUS_SUCCESS;
}

// A self-relative user descriptor: how far its parts reach is read from
// their headers, then the whole block is copied and checked in kernel
// memory (the caller may change it meanwhile; the check is on the copy).
static NTSTATUS SepCaptureRelative(const UCHAR *user, const SECURITY_DESCRIPTOR_RELATIVE *header,
                                   ULONG poolTag, SECURITY_DESCRIPTOR_RELATIVE **captured)
{
    const ULONG sids[2] = {header->Owner, header->Group};
    const ULONG acls[2] = {header->Control & SE_DACL_PRESENT ? header->Dacl : 0,
                           header->Control & SE_SACL_PRESENT ? header->Sacl : 0};
    ULONG extent = sizeof(*header), length;
    SECURITY_DESCRIPTOR_RELATIVE *buffer;
    NTSTATUS status;

    for (int i = 0; i < 4; i++) {
        ULONG offset = i < 2 ? sids[i] : acls[i - 2];

        if (!offset)
            continue;
        if (offset < sizeof(*header) || offset > SEP_MAX_DESCRIPTOR_LENGTH)
            return STATUS_INVALID_SECURITY_DESCR;
        status = i < 2 ? SepProbeSidLength((const SID *)(user + offset), &length)
                       : SepProbeAclLength((const ACL *)(user + offset), &length);
        if (status == STATUS_INVALID_SID || status == STATUS_INVALID_ACL)
            return STATUS_INVALID_SECURITY_DESCR;
        if (!NT_SUCCESS(status))
            return status;
        if (offset + length > extent)
            extent = offset + length;
    }
    if (extent > SEP_MAX_DESCRIPTOR_LENGTH)
        return STATUS_INVALID_SECURITY_DESCR;
    buffer = ExAllocatePoolWithTag(NonPagedPool, extent, poolTag);
    if (!buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    status = MmCopyFromUser(buffer, user, extent);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(buffer, poolTag);
        return status;
    }
    return SepFinishCapture(buffer, extent, poolTag, captured);
}

// An absolute user descriptor: each part is copied from wherever it is
// into one self-relative block.
static NTSTATUS SepCaptureAbsolute(const SECURITY_DESCRIPTOR *user, ULONG poolTag,
                                   SECURITY_DESCRIPTOR_RELATIVE **captured)
{
    SECURITY_DESCRIPTOR header;
    const void *parts[4];
    ULONG lengths[4] = {0, 0, 0, 0}, total = sizeof(SECURITY_DESCRIPTOR_RELATIVE), offset;
    ULONG *offsets[4];
    SECURITY_DESCRIPTOR_RELATIVE *buffer;
    NTSTATUS status = ProbeForRead(user, sizeof(header), sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&header, user, sizeof(header));
    if (!NT_SUCCESS(status))
        return status;
    parts[0] = header.Owner;
    parts[1] = header.Group;
    parts[2] = header.Control & SE_DACL_PRESENT ? header.Dacl : NULL;
    parts[3] = header.Control & SE_SACL_PRESENT ? header.Sacl : NULL;
    for (int i = 0; i < 4; i++) {
        if (!parts[i])
            continue;
        status = i < 2 ? SepProbeSidLength(parts[i], &lengths[i])
                       : SepProbeAclLength(parts[i], &lengths[i]);
        if (!NT_SUCCESS(status))
            return status;
        total += SepAlign4(lengths[i]);
    }
    buffer = ExAllocatePoolWithTag(NonPagedPool, total, poolTag);
    if (!buffer)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(buffer, 0, total);
    buffer->Revision = header.Revision;
    buffer->Sbz1 = header.Sbz1;
    buffer->Control = (USHORT)(header.Control | SE_SELF_RELATIVE);
    offsets[0] = &buffer->Owner;
    offsets[1] = &buffer->Group;
    offsets[2] = &buffer->Dacl;
    offsets[3] = &buffer->Sacl;
    offset = sizeof(*buffer);
    for (int i = 0; i < 4 && NT_SUCCESS(status); i++) {
        if (!parts[i])
            continue;
        status = MmCopyFromUser((UCHAR *)buffer + offset, parts[i], lengths[i]);
        // A part that changed under us no longer fits its slot.
        if (NT_SUCCESS(status) && i < 2 &&
            (!RtlValidSid((SID *)((UCHAR *)buffer + offset)) ||
             RtlLengthSid((SID *)((UCHAR *)buffer + offset)) != lengths[i]))
            status = STATUS_INVALID_SID;
        if (NT_SUCCESS(status) && i >= 2 &&
            (((ACL *)((UCHAR *)buffer + offset))->AclSize != lengths[i] ||
             !RtlValidAcl((ACL *)((UCHAR *)buffer + offset))))
            status = STATUS_INVALID_ACL;
        *offsets[i] = offset;
        offset += SepAlign4(lengths[i]);
    }
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(buffer, poolTag);
        return status;
    }
    return SepFinishCapture(buffer, total, poolTag, captured);
}

NTSTATUS SeCaptureSecurityDescriptor(const void *userDescriptor, ULONG poolTag,
                                     SECURITY_DESCRIPTOR_RELATIVE **captured)
{
    SECURITY_DESCRIPTOR_RELATIVE header;
    NTSTATUS status;

    *captured = NULL;
    if (!userDescriptor)
        return STATUS_SUCCESS;
    status = ProbeForRead(userDescriptor, sizeof(header), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&header, userDescriptor, sizeof(header));
    if (!NT_SUCCESS(status))
        return status;
    if (header.Revision != SECURITY_DESCRIPTOR_REVISION)
        return STATUS_UNKNOWN_REVISION;
    if (header.Control & SE_SELF_RELATIVE)
        return SepCaptureRelative(userDescriptor, &header, poolTag, captured);
    return SepCaptureAbsolute(userDescriptor, poolTag, captured);
}

// Runs one of the pure builders twice: once for the length, once into pool.
#define SEP_BUILD_IN_POOL(poolTag, result, call)                                 \
    do {                                                                         \
        SECURITY_DESCRIPTOR_RELATIVE *buffer = NULL;                             \
        ULONG length = 0;                                                        \
        NTSTATUS status_ = (call);                                               \
                                                                                 \
        *(result) = NULL;                                                        \
        if (status_ != STATUS_BUFFER_TOO_SMALL)                                  \
            return NT_SUCCESS(status_) ? STATUS_INVALID_SECURITY_DESCR : status_; \
        buffer = ExAllocatePoolWithTag(NonPagedPool, length, (poolTag));         \
        if (!buffer)                                                             \
            return STATUS_INSUFFICIENT_RESOURCES;                                \
        status_ = (call);                                                        \
        if (!NT_SUCCESS(status_)) {                                              \
            ExFreePoolWithTag(buffer, (poolTag));                                \
            return status_;                                                      \
        }                                                                        \
        *(result) = buffer;                                                      \
        return STATUS_SUCCESS;                                                   \
    } while (0)

NTSTATUS SeCopySecurityDescriptor(const void *descriptor, ULONG poolTag,
                                  SECURITY_DESCRIPTOR_RELATIVE **copy)
{
    SEP_BUILD_IN_POOL(poolTag, copy, RtlMakeSelfRelativeSD(descriptor, buffer, &length));
}

NTSTATUS SeAssignSecurity(const void *creatorDescriptor, void *token,
                          const GENERIC_MAPPING *mapping, ULONG poolTag,
                          SECURITY_DESCRIPTOR_RELATIVE **descriptor)
{
    TOKEN *subject = token;
    const SID *owner = subject ? subject->UserAndGroups[subject->DefaultOwnerIndex].Sid : NULL;
    const SID *group = subject ? subject->UserAndGroups[subject->PrimaryGroupIndex].Sid : NULL;
    const ACL *dacl = subject ? subject->DefaultDacl : NULL;

    SEP_BUILD_IN_POOL(poolTag, descriptor,
                      SeBuildObjectSecurity(creatorDescriptor, owner, group, dacl, mapping,
                                            buffer, &length));
}

NTSTATUS SeSetSecurity(SECURITY_INFORMATION information, const void *modification,
                       const void *objectDescriptor, const GENERIC_MAPPING *mapping,
                       ULONG poolTag, SECURITY_DESCRIPTOR_RELATIVE **descriptor)
{
    SEP_BUILD_IN_POOL(poolTag, descriptor,
                      SeSetSecurityDescriptorInfo(information, modification, objectDescriptor,
                                                  mapping, buffer, &length));
}

NTSTATUS SeAccessCheck(const void *securityDescriptor, void *token, ACCESS_MASK desiredAccess,
                       const GENERIC_MAPPING *mapping, ACCESS_MASK *grantedAccess)
{
    TOKEN *subject = token;

    *grantedAccess = 0;
    if (subject->TokenType == TokenImpersonation &&
        subject->ImpersonationLevel < SecurityImpersonation)
        return STATUS_BAD_IMPERSONATION_LEVEL;
    return SeAccessCheckSubject(securityDescriptor, subject->UserAndGroups,
                                subject->UserAndGroupCount, desiredAccess, mapping,
                                grantedAccess);
}

BOOLEAN SeValidOwner(void *token, const SID *owner)
{
    TOKEN *subject = token;

    for (ULONG i = 0; i < subject->UserAndGroupCount; i++) {
        if ((i == 0 || (subject->UserAndGroups[i].Attributes & SE_GROUP_OWNER)) &&
            RtlEqualSid(subject->UserAndGroups[i].Sid, owner))
            return TRUE;
    }
    return FALSE;
}
