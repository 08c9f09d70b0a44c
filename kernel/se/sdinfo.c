// Making an object's security descriptor, reading parts of it back, and
// changing parts of it: the pure halves of NT's SeAssignSecurity,
// SeQuerySecurityDescriptorInfo and SeSetSecurityDescriptorInfo. Each
// gathers the parts it wants into an absolute descriptor, then writes the
// self-relative form into the caller's buffer (STATUS_BUFFER_TOO_SMALL with
// the length it needs when the buffer is short), so the kernel can ask for
// the length first, allocate, and ask again.

#include "se/se.h"

#define SEP_DACL_CONTROL (SE_DACL_PRESENT | SE_DACL_DEFAULTED | SE_DACL_PROTECTED | \
                          SE_DACL_AUTO_INHERITED)
#define SEP_SACL_CONTROL (SE_SACL_PRESENT | SE_SACL_DEFAULTED | SE_SACL_PROTECTED | \
                          SE_SACL_AUTO_INHERITED)

// Copies the parts `which` names from `from` (either form) into `to`.
static void SepTakeParts(SECURITY_DESCRIPTOR *to, const void *from, SECURITY_INFORMATION which)
{
    USHORT control = ((const SECURITY_DESCRIPTOR_RELATIVE *)from)->Control;

    if (which & OWNER_SECURITY_INFORMATION) {
        to->Owner = RtlOwnerOfSecurityDescriptor(from);
        to->Control =
            (USHORT)((to->Control & ~SE_OWNER_DEFAULTED) | (control & SE_OWNER_DEFAULTED));
    }
    if (which & GROUP_SECURITY_INFORMATION) {
        to->Group = RtlGroupOfSecurityDescriptor(from);
        to->Control =
            (USHORT)((to->Control & ~SE_GROUP_DEFAULTED) | (control & SE_GROUP_DEFAULTED));
    }
    if (which & DACL_SECURITY_INFORMATION) {
        to->Dacl = RtlDaclOfSecurityDescriptor(from);
        to->Control = (USHORT)((to->Control & ~SEP_DACL_CONTROL) | (control & SEP_DACL_CONTROL));
    }
    if (which & SACL_SECURITY_INFORMATION) {
        to->Sacl = RtlSaclOfSecurityDescriptor(from);
        to->Control = (USHORT)((to->Control & ~SEP_SACL_CONTROL) | (control & SEP_SACL_CONTROL));
    }
}

static void SepMapAcl(ACL *acl, const GENERIC_MAPPING *mapping)
{
    UCHAR *next = (UCHAR *)(acl + 1);

    for (ULONG i = 0; i < acl->AceCount; i++) {
        ACCESS_ALLOWED_ACE *ace = (ACCESS_ALLOWED_ACE *)next;

        // An inherit-only ACE is for children, whose type may differ: it
        // keeps its generic rights.
        if (!(ace->Header.AceFlags & INHERIT_ONLY_ACE))
            RtlMapGenericMask(&ace->Mask, mapping);
        next += ace->Header.AceSize;
    }
}

// The self-relative form of `sd`, with the generic rights of every ACE
// that applies to the object mapped to the type's own, as NT stores an
// object's descriptor.
static NTSTATUS SepMakeObjectDescriptor(const SECURITY_DESCRIPTOR *sd,
                                        const GENERIC_MAPPING *mapping,
                                        SECURITY_DESCRIPTOR_RELATIVE *buffer, ULONG *length)
{
    NTSTATUS status = RtlMakeSelfRelativeSD(sd, buffer, length);
    ACL *acl;

    if (!NT_SUCCESS(status) || !mapping)
        return status;
    if ((acl = RtlDaclOfSecurityDescriptor(buffer)) != NULL)
        SepMapAcl(acl, mapping);
    if ((acl = RtlSaclOfSecurityDescriptor(buffer)) != NULL)
        SepMapAcl(acl, mapping);
    return STATUS_SUCCESS;
}

NTSTATUS SeBuildObjectSecurity(const void *creatorDescriptor, const SID *defaultOwner,
                               const SID *primaryGroup, const ACL *defaultDacl,
                               const GENERIC_MAPPING *mapping,
                               SECURITY_DESCRIPTOR_RELATIVE *buffer, ULONG *length)
{
    SECURITY_DESCRIPTOR sd;

    RtlCreateSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
    if (creatorDescriptor)
        SepTakeParts(&sd, creatorDescriptor,
                     OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION |
                         DACL_SECURITY_INFORMATION | SACL_SECURITY_INFORMATION);
    if (!sd.Owner && defaultOwner) {
        sd.Owner = (SID *)defaultOwner;
        sd.Control |= SE_OWNER_DEFAULTED;
    }
    if (!sd.Group && primaryGroup) {
        sd.Group = (SID *)primaryGroup;
        sd.Control |= SE_GROUP_DEFAULTED;
    }
    // Only a creator that said nothing about the DACL gets the token's; an
    // explicit NULL DACL (present, no ACL) stays NULL. A token without a
    // default DACL leaves the object with none, which grants everything.
    if (!(sd.Control & SE_DACL_PRESENT) && defaultDacl) {
        sd.Dacl = (ACL *)defaultDacl;
        sd.Control |= SE_DACL_PRESENT | SE_DACL_DEFAULTED;
    }
    return SepMakeObjectDescriptor(&sd, mapping, buffer, length);
}

NTSTATUS SeQuerySecurityDescriptorInfo(SECURITY_INFORMATION information,
                                       SECURITY_DESCRIPTOR_RELATIVE *buffer, ULONG *length,
                                       const void *objectDescriptor)
{
    SECURITY_DESCRIPTOR sd;

    RtlCreateSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
    // An object without a descriptor answers with an empty one, as NT's.
    if (objectDescriptor)
        SepTakeParts(&sd, objectDescriptor, information);
    return RtlMakeSelfRelativeSD(&sd, buffer, length);
}

NTSTATUS SeSetSecurityDescriptorInfo(SECURITY_INFORMATION information,
                                     const void *modification, const void *objectDescriptor,
                                     const GENERIC_MAPPING *mapping,
                                     SECURITY_DESCRIPTOR_RELATIVE *buffer, ULONG *length)
{
    SECURITY_DESCRIPTOR sd;

    RtlCreateSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
    SepTakeParts(&sd, objectDescriptor,
                 OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION |
                     DACL_SECURITY_INFORMATION | SACL_SECURITY_INFORMATION);
    SepTakeParts(&sd, modification, information);
    return SepMakeObjectDescriptor(&sd, mapping, buffer, length);
}
