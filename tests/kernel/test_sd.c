// Security descriptors inside the kernel: SYSTEM's default DACL, the
// descriptor a named object created by a System thread gets, the access
// check a System thread passes, and an object's descriptor going with it.
// tests/user/tsecurity has the system services and the student's view.

#include "tests/kernel/ktuser.h"
#include "se/sep.h"

#define KT_NAME(literal) \
    ((UNICODE_STRING){sizeof(literal) - sizeof(WCHAR), sizeof(literal), (WCHAR *)(literal)})

static ULONG KtSecurityAllocations(void)
{
    ULONG allocations;
    SIZE_T bytes;

    ExQueryPoolTagUsage(OBP_SECURITY_TAG, &allocations, &bytes);
    return allocations;
}

KTEST(UserSecurityDescriptors)
{
    KtExpectUserTestsPass("tsecurity");
}

KTEST(SystemTokenHasNtsDefaultDacl)
{
    const ACL *dacl = SepSystemToken->DefaultDacl;
    ACCESS_ALLOWED_ACE *ace;

    KT_EXPECT(dacl != NULL && RtlValidAcl(dacl));
    KT_EXPECT_EQ(dacl->AceCount, 2);
    KT_EXPECT_EQ(RtlGetAce(dacl, 0, (void **)&ace), STATUS_SUCCESS);
    KT_EXPECT_EQ(ace->Mask, GENERIC_ALL);
    KT_EXPECT(SeEqualSid(RtlAceSid(ace), SeLocalSystemSid));
    KT_EXPECT_EQ(RtlGetAce(dacl, 1, (void **)&ace), STATUS_SUCCESS);
    KT_EXPECT_EQ(ace->Mask, GENERIC_READ | GENERIC_EXECUTE);
    KT_EXPECT(SeEqualSid(RtlAceSid(ace), SeAliasAdminsSid));
}

KTEST(NamedObjectsGetADescriptorThatGoesWithThem)
{
    UNICODE_STRING name = KT_NAME(u"\\KtSecurityDirectory");
    OBJECT_ATTRIBUTES attributes = {sizeof(attributes), NULL, &name, OBJ_CASE_INSENSITIVE,
                                    NULL, NULL};
    ULONG before = KtSecurityAllocations();
    const SECURITY_DESCRIPTOR_RELATIVE *sd;
    ACCESS_ALLOWED_ACE *ace;
    ACCESS_MASK granted = 0;
    HANDLE handle, unnamedHandle;
    void *directory, *unnamed;

    KT_EXPECT_EQ(ObCreateDirectoryObject(&handle, DIRECTORY_ALL_ACCESS, &attributes),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(handle, 0, NULL, &directory, NULL), STATUS_SUCCESS);
    sd = OBJECT_TO_OBJECT_HEADER(directory)->SecurityDescriptor;
    KT_EXPECT(sd != NULL);
    KT_EXPECT(RtlValidRelativeSecurityDescriptor(sd, RtlLengthSecurityDescriptor(sd),
                                                 OWNER_SECURITY_INFORMATION |
                                                     DACL_SECURITY_INFORMATION));
    KT_EXPECT(SeEqualSid(RtlOwnerOfSecurityDescriptor(sd), SeAliasAdminsSid));
    // GENERIC_ALL was stored as the Directory type's every right.
    KT_EXPECT_EQ(RtlGetAce(RtlDaclOfSecurityDescriptor(sd), 0, (void **)&ace), STATUS_SUCCESS);
    KT_EXPECT_EQ(ace->Mask, DIRECTORY_ALL_ACCESS);
    KT_EXPECT_EQ(ObCheckObjectAccess(directory, MAXIMUM_ALLOWED, &granted), STATUS_SUCCESS);
    KT_EXPECT_EQ(granted, DIRECTORY_ALL_ACCESS);
    KT_EXPECT_EQ(KtSecurityAllocations(), before + 1);
    // An unnamed one of a type that does not require security has none.
    KT_EXPECT_EQ(ObCreateDirectoryObject(&unnamedHandle, DIRECTORY_ALL_ACCESS, NULL),
                 STATUS_SUCCESS);
    KT_EXPECT_EQ(ObReferenceObjectByHandle(unnamedHandle, 0, NULL, &unnamed, NULL),
                 STATUS_SUCCESS);
    KT_EXPECT(OBJECT_TO_OBJECT_HEADER(unnamed)->SecurityDescriptor == NULL);
    ObDereferenceObject(unnamed);
    ObCloseHandle(unnamedHandle);
    ObDereferenceObject(directory);
    ObCloseHandle(handle);
    KT_EXPECT_EQ(KtSecurityAllocations(), before);
}
