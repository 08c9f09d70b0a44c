// SIDs, ACLs and security descriptors: building them, measuring them, and
// checking that a block of bytes claiming to be one really is one. Every
// routine works on memory the caller already owns (the kernel copies a
// user's descriptor in before it looks at it), so nothing here probes.

#include "rtl/security.h"

// ---- SIDs ---------------------------------------------------------------------------

// The sub-authorities follow the 8-byte header; SubAuthority[1] is only the
// first of them, so they are reached by address, not through that array.
static const ULONG *RtlpSubAuthority(const SID *sid, ULONG index)
{
    return (const ULONG *)((const UCHAR *)sid + FIELD_OFFSET(SID, SubAuthority) +
                           index * sizeof(ULONG));
}

ULONG RtlLengthSid(const SID *sid)
{
    return FIELD_OFFSET(SID, SubAuthority) + sid->SubAuthorityCount * sizeof(ULONG);
}

BOOLEAN RtlValidSid(const SID *sid)
{
    return sid && sid->Revision == SID_REVISION &&
           sid->SubAuthorityCount <= SID_MAX_SUB_AUTHORITIES;
}

BOOLEAN RtlEqualSid(const SID *a, const SID *b)
{
    return a->Revision == b->Revision && a->SubAuthorityCount == b->SubAuthorityCount &&
           !memcmp(a, b, RtlLengthSid(a));
}

void RtlFormatSid(const SID *sid, char *buffer, SIZE_T size)
{
    const UCHAR *authority = sid->IdentifierAuthority.Value;
    ULONG64 value = 0;
    SIZE_T used;

    for (int i = 0; i < 6; i++)
        value = value << 8 | authority[i];
    RtlStringPrintf(buffer, size, "S-%u-%llu", sid->Revision, (unsigned long long)value);
    for (ULONG i = 0; i < sid->SubAuthorityCount; i++) {
        used = strlen(buffer);
        RtlStringPrintf(buffer + used, size - used, "-%u", *RtlpSubAuthority(sid, i));
    }
}

// ---- ACLs ---------------------------------------------------------------------------

static BOOLEAN RtlpValidAclRevision(ULONG revision)
{
    return revision >= ACL_REVISION && revision <= ACL_REVISION_DS;
}

NTSTATUS RtlCreateAcl(ACL *acl, ULONG length, ULONG revision)
{
    if (length < sizeof(ACL))
        return STATUS_BUFFER_TOO_SMALL;
    if (!RtlpValidAclRevision(revision) || length > 0xFFFF)
        return STATUS_INVALID_PARAMETER;
    acl->AclRevision = (UCHAR)revision;
    acl->Sbz1 = 0;
    acl->AclSize = (USHORT)(length & ~3u);
    acl->AceCount = 0;
    acl->Sbz2 = 0;
    return STATUS_SUCCESS;
}

static BOOLEAN RtlpIsSidAce(UCHAR type)
{
    return type == ACCESS_ALLOWED_ACE_TYPE || type == ACCESS_DENIED_ACE_TYPE ||
           type == SYSTEM_AUDIT_ACE_TYPE;
}

// Walks the ACEs of `acl`, checking each lies inside it. Returns the offset
// just past the last ACE, or 0 when the ACL is malformed.
static ULONG RtlpAclUsedLength(const ACL *acl)
{
    ULONG offset = sizeof(ACL);

    if (!RtlpValidAclRevision(acl->AclRevision) || acl->AclSize < sizeof(ACL) ||
        (acl->AclSize & 3))
        return 0;
    for (ULONG i = 0; i < acl->AceCount; i++) {
        const ACE_HEADER *header = (const ACE_HEADER *)((const UCHAR *)acl + offset);

        if (offset + sizeof(ACE_HEADER) > acl->AclSize)
            return 0;
        if (header->AceSize < sizeof(ACE_HEADER) || (header->AceSize & 3) ||
            offset + header->AceSize > acl->AclSize)
            return 0;
        if (RtlpIsSidAce(header->AceType)) {
            const ACCESS_ALLOWED_ACE *ace = (const ACCESS_ALLOWED_ACE *)header;
            ULONG room = header->AceSize - FIELD_OFFSET(ACCESS_ALLOWED_ACE, SidStart);

            if (header->AceSize < FIELD_OFFSET(ACCESS_ALLOWED_ACE, SidStart) +
                                      FIELD_OFFSET(SID, SubAuthority) ||
                !RtlValidSid(RtlAceSid(ace)) || RtlLengthSid(RtlAceSid(ace)) > room)
                return 0;
        }
        offset += header->AceSize;
    }
    return offset;
}

BOOLEAN RtlValidAcl(const ACL *acl)
{
    return RtlpAclUsedLength(acl) != 0;
}

ULONG RtlAclBytesInUse(const ACL *acl)
{
    return RtlpAclUsedLength(acl);
}

NTSTATUS RtlGetAce(const ACL *acl, ULONG index, void **ace)
{
    const UCHAR *next = (const UCHAR *)(acl + 1);

    if (!RtlValidAcl(acl) || index >= acl->AceCount)
        return STATUS_INVALID_PARAMETER;
    for (ULONG i = 0; i < index; i++)
        next += ((const ACE_HEADER *)next)->AceSize;
    *ace = (void *)next;
    return STATUS_SUCCESS;
}

static NTSTATUS RtlpAddSidAce(ACL *acl, ULONG revision, UCHAR type, ULONG flags,
                              ACCESS_MASK mask, const SID *sid)
{
    ULONG used, size;
    ACCESS_ALLOWED_ACE *ace;

    if (!RtlValidSid(sid))
        return STATUS_INVALID_SID;
    used = RtlpAclUsedLength(acl);
    if (!used || !RtlpValidAclRevision(revision))
        return STATUS_INVALID_ACL;
    if (revision > acl->AclRevision)
        return STATUS_REVISION_MISMATCH;
    if (flags & ~VALID_INHERIT_FLAGS)
        return STATUS_INVALID_PARAMETER;
    size = FIELD_OFFSET(ACCESS_ALLOWED_ACE, SidStart) + RtlLengthSid(sid);
    if (used + size > acl->AclSize)
        return STATUS_ALLOTTED_SPACE_EXCEEDED;
    ace = (ACCESS_ALLOWED_ACE *)((UCHAR *)acl + used);
    ace->Header.AceType = type;
    ace->Header.AceFlags = (UCHAR)flags;
    ace->Header.AceSize = (USHORT)size;
    ace->Mask = mask;
    memcpy(RtlAceSid(ace), sid, RtlLengthSid(sid));
    acl->AceCount++;
    return STATUS_SUCCESS;
}

NTSTATUS RtlAddAccessAllowedAce(ACL *acl, ULONG revision, ACCESS_MASK mask, const SID *sid)
{
    return RtlpAddSidAce(acl, revision, ACCESS_ALLOWED_ACE_TYPE, 0, mask, sid);
}

NTSTATUS RtlAddAccessAllowedAceEx(ACL *acl, ULONG revision, ULONG flags, ACCESS_MASK mask,
                                  const SID *sid)
{
    return RtlpAddSidAce(acl, revision, ACCESS_ALLOWED_ACE_TYPE, flags, mask, sid);
}

NTSTATUS RtlAddAccessDeniedAce(ACL *acl, ULONG revision, ACCESS_MASK mask, const SID *sid)
{
    return RtlpAddSidAce(acl, revision, ACCESS_DENIED_ACE_TYPE, 0, mask, sid);
}

// ---- Security descriptors -----------------------------------------------------------

NTSTATUS RtlCreateSecurityDescriptor(SECURITY_DESCRIPTOR *sd, ULONG revision)
{
    if (revision != SECURITY_DESCRIPTOR_REVISION)
        return STATUS_UNKNOWN_REVISION;
    memset(sd, 0, sizeof(*sd));
    sd->Revision = SECURITY_DESCRIPTOR_REVISION;
    return STATUS_SUCCESS;
}

static NTSTATUS RtlpCheckAbsolute(const SECURITY_DESCRIPTOR *sd)
{
    if (sd->Revision != SECURITY_DESCRIPTOR_REVISION)
        return STATUS_UNKNOWN_REVISION;
    if (sd->Control & SE_SELF_RELATIVE)
        return STATUS_INVALID_SECURITY_DESCR;
    return STATUS_SUCCESS;
}

static void RtlpSetControl(SECURITY_DESCRIPTOR *sd, USHORT bit, BOOLEAN on)
{
    sd->Control = (USHORT)(on ? sd->Control | bit : sd->Control & ~bit);
}

NTSTATUS RtlSetDaclSecurityDescriptor(SECURITY_DESCRIPTOR *sd, BOOLEAN present, ACL *dacl,
                                      BOOLEAN defaulted)
{
    NTSTATUS status = RtlpCheckAbsolute(sd);

    if (!NT_SUCCESS(status))
        return status;
    RtlpSetControl(sd, SE_DACL_PRESENT, present);
    RtlpSetControl(sd, SE_DACL_DEFAULTED, present && defaulted);
    sd->Dacl = present ? dacl : NULL;
    return STATUS_SUCCESS;
}

NTSTATUS RtlSetOwnerSecurityDescriptor(SECURITY_DESCRIPTOR *sd, SID *owner, BOOLEAN defaulted)
{
    NTSTATUS status = RtlpCheckAbsolute(sd);

    if (!NT_SUCCESS(status))
        return status;
    sd->Owner = owner;
    RtlpSetControl(sd, SE_OWNER_DEFAULTED, defaulted);
    return STATUS_SUCCESS;
}

NTSTATUS RtlSetGroupSecurityDescriptor(SECURITY_DESCRIPTOR *sd, SID *group, BOOLEAN defaulted)
{
    NTSTATUS status = RtlpCheckAbsolute(sd);

    if (!NT_SUCCESS(status))
        return status;
    sd->Group = group;
    RtlpSetControl(sd, SE_GROUP_DEFAULTED, defaulted);
    return STATUS_SUCCESS;
}

// A part of either form, by where its field lies in each header.
static void *RtlpPart(const void *sd, ULONG relativeField, ULONG absoluteField)
{
    const SECURITY_DESCRIPTOR_RELATIVE *relative = sd;

    if (relative->Control & SE_SELF_RELATIVE) {
        ULONG offset = *(const ULONG *)((const UCHAR *)sd + relativeField);

        return offset ? (UCHAR *)sd + offset : NULL;
    }
    return *(void *const *)((const UCHAR *)sd + absoluteField);
}

#define RTLP_PART(sd, field) \
    RtlpPart((sd), FIELD_OFFSET(SECURITY_DESCRIPTOR_RELATIVE, field), \
             FIELD_OFFSET(SECURITY_DESCRIPTOR, field))

SID *RtlOwnerOfSecurityDescriptor(const void *sd)
{
    return RTLP_PART(sd, Owner);
}

SID *RtlGroupOfSecurityDescriptor(const void *sd)
{
    return RTLP_PART(sd, Group);
}

ACL *RtlDaclOfSecurityDescriptor(const void *sd)
{
    if (!(((const SECURITY_DESCRIPTOR_RELATIVE *)sd)->Control & SE_DACL_PRESENT))
        return NULL;
    return RTLP_PART(sd, Dacl);
}

ACL *RtlSaclOfSecurityDescriptor(const void *sd)
{
    if (!(((const SECURITY_DESCRIPTOR_RELATIVE *)sd)->Control & SE_SACL_PRESENT))
        return NULL;
    return RTLP_PART(sd, Sacl);
}

static ULONG RtlpAlign4(ULONG length)
{
    return (length + 3) & ~3u;
}

ULONG RtlLengthSecurityDescriptor(const void *sd)
{
    const SID *owner = RtlOwnerOfSecurityDescriptor(sd), *group = RtlGroupOfSecurityDescriptor(sd);
    const ACL *dacl = RtlDaclOfSecurityDescriptor(sd), *sacl = RtlSaclOfSecurityDescriptor(sd);
    ULONG length = sizeof(SECURITY_DESCRIPTOR_RELATIVE);

    if (owner)
        length += RtlpAlign4(RtlLengthSid(owner));
    if (group)
        length += RtlpAlign4(RtlLengthSid(group));
    if (dacl)
        length += RtlpAlign4(dacl->AclSize);
    if (sacl)
        length += RtlpAlign4(sacl->AclSize);
    return length;
}

// Copies `length` bytes of a part to *next and returns its offset.
static ULONG RtlpPlacePart(SECURITY_DESCRIPTOR_RELATIVE *buffer, UCHAR **next, const void *part,
                           ULONG length)
{
    ULONG offset = (ULONG)(*next - (UCHAR *)buffer);

    memcpy(*next, part, length);
    memset(*next + length, 0, RtlpAlign4(length) - length);
    *next += RtlpAlign4(length);
    return offset;
}

NTSTATUS RtlMakeSelfRelativeSD(const void *sd, SECURITY_DESCRIPTOR_RELATIVE *buffer,
                               ULONG *length)
{
    const SECURITY_DESCRIPTOR_RELATIVE *header = sd;
    const SID *owner = RtlOwnerOfSecurityDescriptor(sd), *group = RtlGroupOfSecurityDescriptor(sd);
    const ACL *dacl = RtlDaclOfSecurityDescriptor(sd), *sacl = RtlSaclOfSecurityDescriptor(sd);
    ULONG needed = RtlLengthSecurityDescriptor(sd);
    SECURITY_DESCRIPTOR_RELATIVE result = {header->Revision, header->Sbz1,
                                           (USHORT)(header->Control | SE_SELF_RELATIVE), 0, 0, 0,
                                           0};
    UCHAR *next = (UCHAR *)(buffer + 1);

    if (*length < needed) {
        *length = needed;
        return STATUS_BUFFER_TOO_SMALL;
    }
    // The parts are copied after the header in NT's order: SACL, DACL,
    // owner, group. The source may overlap nothing of the buffer.
    if (sacl)
        result.Sacl = RtlpPlacePart(buffer, &next, sacl, sacl->AclSize);
    if (dacl)
        result.Dacl = RtlpPlacePart(buffer, &next, dacl, dacl->AclSize);
    if (owner)
        result.Owner = RtlpPlacePart(buffer, &next, owner, RtlLengthSid(owner));
    if (group)
        result.Group = RtlpPlacePart(buffer, &next, group, RtlLengthSid(group));
    *buffer = result;
    *length = needed;
    return STATUS_SUCCESS;
}

NTSTATUS RtlAbsoluteToSelfRelativeSD(const SECURITY_DESCRIPTOR *sd,
                                     SECURITY_DESCRIPTOR_RELATIVE *buffer, ULONG *length)
{
    if (sd->Control & SE_SELF_RELATIVE)
        return STATUS_BAD_DESCRIPTOR_FORMAT;
    return RtlMakeSelfRelativeSD(sd, buffer, length);
}

// A part at `offset` lies inside the block and starts ULONG-aligned, with
// room for at least `minimum` bytes.
static BOOLEAN RtlpPartInside(ULONG offset, ULONG minimum, ULONG length)
{
    return offset >= sizeof(SECURITY_DESCRIPTOR_RELATIVE) && !(offset & 3) &&
           offset <= length && length - offset >= minimum;
}

static BOOLEAN RtlpValidRelativeSid(const SECURITY_DESCRIPTOR_RELATIVE *sd, ULONG offset,
                                    ULONG length)
{
    const SID *sid = (const SID *)((const UCHAR *)sd + offset);

    return RtlpPartInside(offset, FIELD_OFFSET(SID, SubAuthority), length) &&
           RtlValidSid(sid) && RtlLengthSid(sid) <= length - offset;
}

static BOOLEAN RtlpValidRelativeAcl(const SECURITY_DESCRIPTOR_RELATIVE *sd, ULONG offset,
                                    ULONG length)
{
    const ACL *acl = (const ACL *)((const UCHAR *)sd + offset);

    return RtlpPartInside(offset, sizeof(ACL), length) && acl->AclSize <= length - offset &&
           RtlValidAcl(acl);
}

BOOLEAN RtlValidRelativeSecurityDescriptor(const SECURITY_DESCRIPTOR_RELATIVE *sd, ULONG length,
                                           SECURITY_INFORMATION required)
{
    if (length < sizeof(*sd) || sd->Revision != SECURITY_DESCRIPTOR_REVISION ||
        !(sd->Control & SE_SELF_RELATIVE))
        return FALSE;
    if (sd->Owner ? !RtlpValidRelativeSid(sd, sd->Owner, length)
                  : (required & OWNER_SECURITY_INFORMATION) != 0)
        return FALSE;
    if (sd->Group ? !RtlpValidRelativeSid(sd, sd->Group, length)
                  : (required & GROUP_SECURITY_INFORMATION) != 0)
        return FALSE;
    // A DACL offset without SE_DACL_PRESENT is ignored, as NT does; a
    // present DACL at offset 0 is a NULL DACL.
    if (sd->Control & SE_DACL_PRESENT) {
        if (sd->Dacl && !RtlpValidRelativeAcl(sd, sd->Dacl, length))
            return FALSE;
    } else if (required & DACL_SECURITY_INFORMATION) {
        return FALSE;
    }
    if (sd->Control & SE_SACL_PRESENT) {
        if (sd->Sacl && !RtlpValidRelativeAcl(sd, sd->Sacl, length))
            return FALSE;
    } else if (required & SACL_SECURITY_INFORMATION) {
        return FALSE;
    }
    return TRUE;
}
