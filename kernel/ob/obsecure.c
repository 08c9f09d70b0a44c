// Objects and their security descriptors: the descriptor a new object gets
// at insert, the access check when a user-mode caller opens an existing
// object, and the two services that read and change a descriptor,
// NtQuerySecurityObject and NtSetSecurityObject.
//
// An object's descriptor (OBJECT_HEADER.SecurityDescriptor) is a
// self-relative block in pool. It is never changed in place: a change
// builds a new block and swaps the pointer under ObpSecurityLock, so a
// reader holding that lock sees one whole descriptor. Changes are
// serialized by ObpSecuritySetMutex, so none is lost.

#include "ob/ob.h"
#include "ps/ps.h"
#include "mm/mm.h"
#include "se/se.h"

static KSPIN_LOCK ObpSecurityLock;
static KMUTEX ObpSecuritySetMutex;

void ObpInitSecurity(void)
{
    KeInitializeSpinLock(&ObpSecurityLock);
    KeInitializeMutex(&ObpSecuritySetMutex, 0);
}

// ---- A new object's descriptor ------------------------------------------------------

NTSTATUS ObpAssignSecurity(void *object, const void *explicitDescriptor, BOOLEAN named)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    SECURITY_DESCRIPTOR_RELATIVE *descriptor;
    const SID *owner;
    void *token;
    NTSTATUS status;

    // As NT's: an object gets a descriptor when its creator gives one, when
    // it is named (anyone could open it), or when its type wants one always.
    if (!explicitDescriptor && !named && !header->Type->TypeInfo.SecurityRequired)
        return STATUS_SUCCESS;
    token = SeReferenceEffectiveToken(PsGetCurrentThread());
    // A creator names as owner only someone it may make owner (itself, or
    // a group it holds as owner), as NT's SeAssignSecurity checks.
    owner = explicitDescriptor ? RtlOwnerOfSecurityDescriptor(explicitDescriptor) : NULL;
    if (owner && token && !SeValidOwner(token, owner))
        status = STATUS_INVALID_OWNER;
    else
        status = SeAssignSecurity(explicitDescriptor, token,
                                  &header->Type->TypeInfo.GenericMapping, OBP_SECURITY_TAG,
                                  &descriptor);
    if (token)
        ObDereferenceObject(token);
    if (NT_SUCCESS(status))
        header->SecurityDescriptor = descriptor;
    return status;
}

NTSTATUS ObAssignObjectSecurity(void *object)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);

    if (!(header->Flags & OB_FLAG_NEW_OBJECT))
        return STATUS_SUCCESS;
    __atomic_and_fetch(&header->Flags, ~OB_FLAG_NEW_OBJECT, __ATOMIC_RELAXED);
    return ObpAssignSecurity(object, NULL, FALSE);
}

void ObpDeleteSecurity(OBJECT_HEADER *header)
{
    if (header->SecurityDescriptor)
        ExFreePoolWithTag(header->SecurityDescriptor, OBP_SECURITY_TAG);
    header->SecurityDescriptor = NULL;
}

// ---- The access check -----------------------------------------------------------------

NTSTATUS ObpCheckObjectAccess(void *object, ACCESS_MASK desiredAccess, ACCESS_MASK *grantedAccess)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    OBJECT_TYPE *type = header->Type;
    ACCESS_MASK valid = type->TypeInfo.ValidAccessMask;
    void *token = SeReferenceEffectiveToken(PsGetCurrentThread());
    ACCESS_MASK granted;
    KIRQL oldIrql;
    NTSTATUS status = STATUS_SUCCESS;

    // Rights the type does not know are dropped before the check, as they
    // are for objects without a descriptor (ObMapDesiredAccess).
    if (valid)
        desiredAccess &= valid | GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL |
                         MAXIMUM_ALLOWED;
    KeAcquireSpinLock(&ObpSecurityLock, &oldIrql);
    if (header->SecurityDescriptor && token)
        status = SeAccessCheck(header->SecurityDescriptor, token, desiredAccess,
                               &type->TypeInfo.GenericMapping, &granted);
    else
        granted = ObMapDesiredAccess(type, desiredAccess);
    KeReleaseSpinLock(&ObpSecurityLock, oldIrql);
    if (token)
        ObDereferenceObject(token);
    if (!NT_SUCCESS(status))
        return status;
    *grantedAccess = valid ? granted & valid : granted;
    return STATUS_SUCCESS;
}

NTSTATUS ObCheckObjectAccess(void *object, ACCESS_MASK desiredAccess, ACCESS_MASK *grantedAccess)
{
    ACCESS_MASK granted;

    return ObpCheckObjectAccess(object, desiredAccess, grantedAccess ? grantedAccess : &granted);
}

// ---- Reading a descriptor ---------------------------------------------------------------

ULONG ObpSecurityDescriptorLength(void *object)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    ULONG length = 0;
    KIRQL oldIrql;

    KeAcquireSpinLock(&ObpSecurityLock, &oldIrql);
    if (header->SecurityDescriptor)
        length = RtlLengthSecurityDescriptor(header->SecurityDescriptor);
    KeReleaseSpinLock(&ObpSecurityLock, oldIrql);
    return length;
}

// A pool copy of the object's descriptor (NULL if it has none). The pool is
// not used under the spin lock: the length is read, the copy allocated,
// and the copy made once the descriptor is seen unchanged.
static NTSTATUS ObpCopyObjectSecurity(OBJECT_HEADER *header, SECURITY_DESCRIPTOR_RELATIVE **copy)
{
    for (;;) {
        SECURITY_DESCRIPTOR_RELATIVE *seen, *buffer;
        ULONG length = 0;
        KIRQL oldIrql;

        KeAcquireSpinLock(&ObpSecurityLock, &oldIrql);
        seen = header->SecurityDescriptor;
        if (seen)
            length = RtlLengthSecurityDescriptor(seen);
        KeReleaseSpinLock(&ObpSecurityLock, oldIrql);
        if (!seen) {
            *copy = NULL;
            return STATUS_SUCCESS;
        }
        buffer = ExAllocatePoolWithTag(NonPagedPool, length, OBP_SECURITY_TAG);
        if (!buffer)
            return STATUS_INSUFFICIENT_RESOURCES;
        KeAcquireSpinLock(&ObpSecurityLock, &oldIrql);
        if (header->SecurityDescriptor == seen && RtlLengthSecurityDescriptor(seen) == length) {
            RtlMakeSelfRelativeSD(seen, buffer, &length);
            KeReleaseSpinLock(&ObpSecurityLock, oldIrql);
            *copy = buffer;
            return STATUS_SUCCESS;
        }
        KeReleaseSpinLock(&ObpSecurityLock, oldIrql);
        ExFreePoolWithTag(buffer, OBP_SECURITY_TAG);
    }
}

// What a handle needs to read or change the parts `information` names, as
// NT's SeQuerySecurityAccessMask / SeSetSecurityAccessMask.
static ACCESS_MASK ObpSecurityAccessMask(SECURITY_INFORMATION information, BOOLEAN set)
{
    ACCESS_MASK access = 0;

    if (information & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION))
        access |= set ? WRITE_OWNER : READ_CONTROL;
    if (information & DACL_SECURITY_INFORMATION)
        access |= set ? WRITE_DAC : READ_CONTROL;
    if (information & SACL_SECURITY_INFORMATION)
        access |= ACCESS_SYSTEM_SECURITY;
    return access;
}

// The object behind `handle` if the handle grants what `information`
// needs. ACCESS_SYSTEM_SECURITY is outside every type's rights, so it is
// checked here against the handle itself: no handle holds it (it takes
// SeSecurityPrivilege, which Sleuth does not grant), so the SACL can be
// neither read nor changed.
static NTSTATUS ObpReferenceForSecurity(HANDLE handle, SECURITY_INFORMATION information,
                                        BOOLEAN set, void **object)
{
    ACCESS_MASK access = ObpSecurityAccessMask(information, set), granted;
    NTSTATUS status = ObReferenceObjectByHandle(handle, access & ~ACCESS_SYSTEM_SECURITY, NULL,
                                                object, &granted);

    if (NT_SUCCESS(status) && (access & ACCESS_SYSTEM_SECURITY) &&
        !(granted & ACCESS_SYSTEM_SECURITY)) {
        ObDereferenceObject(*object);
        status = STATUS_ACCESS_DENIED;
    }
    return status;
}

NTSTATUS NtQuerySecurityObject(HANDLE handle, SECURITY_INFORMATION securityInformation,
                               void *securityDescriptor, ULONG length, ULONG *lengthNeeded)
{
    SECURITY_DESCRIPTOR_RELATIVE *descriptor = NULL, *answer = NULL;
    ULONG needed = 0;
    void *object;
    NTSTATUS status = ProbeForWrite(securityDescriptor, length, sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = ProbeForWrite(lengthNeeded, sizeof(ULONG), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = ObpReferenceForSecurity(handle, securityInformation, FALSE, &object);
    if (!NT_SUCCESS(status))
        return status;
    status = ObpCopyObjectSecurity(OBJECT_TO_OBJECT_HEADER(object), &descriptor);
    ObDereferenceObject(object);
    if (!NT_SUCCESS(status))
        return status;
    // The length first, then the answer in a kernel buffer, then out.
    status = SeQuerySecurityDescriptorInfo(securityInformation, NULL, &needed, descriptor);
    if (status == STATUS_BUFFER_TOO_SMALL && needed <= length) {
        answer = ExAllocatePoolWithTag(NonPagedPool, needed, OBP_SECURITY_TAG);
        status = answer ? SeQuerySecurityDescriptorInfo(securityInformation, answer, &needed,
                                                        descriptor)
                        : STATUS_INSUFFICIENT_RESOURCES;
        if (NT_SUCCESS(status))
            status = MmCopyToUser(securityDescriptor, answer, needed);
    }
    if (NT_SUCCESS(status) || status == STATUS_BUFFER_TOO_SMALL) {
        NTSTATUS copyStatus = MmCopyToUser(lengthNeeded, &needed, sizeof(needed));

        if (!NT_SUCCESS(copyStatus))
            status = copyStatus;
    }
    if (answer)
        ExFreePoolWithTag(answer, OBP_SECURITY_TAG);
    if (descriptor)
        ExFreePoolWithTag(descriptor, OBP_SECURITY_TAG);
    return status;
}

// ---- Changing a descriptor ----------------------------------------------------------------

// The caller's descriptor holds what it says it changes, and a new owner
// is one the caller may give (itself, or a group it holds as an owner).
static NTSTATUS ObpCheckModification(SECURITY_INFORMATION information,
                                     const SECURITY_DESCRIPTOR_RELATIVE *modification)
{
    const SID *owner = RtlOwnerOfSecurityDescriptor(modification);
    void *token;
    BOOLEAN valid;

    if ((information & OWNER_SECURITY_INFORMATION) && !owner)
        return STATUS_INVALID_OWNER;
    if ((information & GROUP_SECURITY_INFORMATION) && !RtlGroupOfSecurityDescriptor(modification))
        return STATUS_INVALID_PRIMARY_GROUP;
    if (!(information & OWNER_SECURITY_INFORMATION))
        return STATUS_SUCCESS;
    token = SeReferenceEffectiveToken(PsGetCurrentThread());
    valid = token && SeValidOwner(token, owner);
    if (token)
        ObDereferenceObject(token);
    return valid ? STATUS_SUCCESS : STATUS_INVALID_OWNER;
}

static NTSTATUS ObpSetObjectSecurity(void *object, SECURITY_INFORMATION information,
                                     const SECURITY_DESCRIPTOR_RELATIVE *modification)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    SECURITY_DESCRIPTOR_RELATIVE *old, *updated;
    KIRQL oldIrql;
    NTSTATUS status;

    KeWaitForSingleObject(&ObpSecuritySetMutex, Executive, KernelMode, FALSE, NULL);
    // Under the mutex nobody else replaces the descriptor, so it can be
    // read without the spin lock; readers only ever read it.
    old = header->SecurityDescriptor;
    if (!old)
        status = STATUS_NO_SECURITY_ON_OBJECT;
    else
        status = SeSetSecurity(information, modification, old,
                               &header->Type->TypeInfo.GenericMapping, OBP_SECURITY_TAG,
                               &updated);
    if (NT_SUCCESS(status)) {
        KeAcquireSpinLock(&ObpSecurityLock, &oldIrql);
        header->SecurityDescriptor = updated;
        KeReleaseSpinLock(&ObpSecurityLock, oldIrql);
        ExFreePoolWithTag(old, OBP_SECURITY_TAG);
    }
    KeReleaseMutex(&ObpSecuritySetMutex, FALSE);
    return status;
}

// NT's order: the handle and its access first, then the descriptor is
// captured and checked, then the object's is changed.
NTSTATUS NtSetSecurityObject(HANDLE handle, SECURITY_INFORMATION securityInformation,
                             void *securityDescriptor)
{
    SECURITY_DESCRIPTOR_RELATIVE *captured;
    void *object;
    NTSTATUS status = ObpReferenceForSecurity(handle, securityInformation, TRUE, &object);

    if (!NT_SUCCESS(status))
        return status;
    // No descriptor at all is a bad pointer, as NT's capture treats it.
    status = securityDescriptor
                 ? SeCaptureSecurityDescriptor(securityDescriptor, OBP_CAPTURE_TAG, &captured)
                 : STATUS_ACCESS_VIOLATION;
    if (NT_SUCCESS(status)) {
        status = ObpCheckModification(securityInformation, captured);
        if (NT_SUCCESS(status))
            status = ObpSetObjectSecurity(object, securityInformation, captured);
        ExFreePoolWithTag(captured, OBP_CAPTURE_TAG);
    }
    ObDereferenceObject(object);
    return status;
}
