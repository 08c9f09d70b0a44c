// ALPC message attribute buffers (kernel/rtl/alpcattr.c): the sizes and
// the order NT lays them out in, shared by the kernel and the user runtime.

#include "hosttest.h"
#include "rtl/rtl.h"
#include "ndk/ntalpcattr.h"

TEST(AlpcAttributeStructuresHaveNtX64Sizes)
{
    EXPECT_EQ(sizeof(ALPC_MESSAGE_ATTRIBUTES), 8);
    EXPECT_EQ(sizeof(ALPC_SECURITY_ATTR), 0x18);
    EXPECT_EQ(sizeof(ALPC_DATA_VIEW_ATTR), 0x20);
    EXPECT_EQ(sizeof(ALPC_CONTEXT_ATTR), 0x20);
    EXPECT_EQ(sizeof(ALPC_HANDLE_ATTR), 0x18);
}

TEST(AlpcInitializeMessageAttributeSaysWhatItNeeds)
{
    ULONG required = 0;

    EXPECT_EQ(AlpcInitializeMessageAttribute(0, NULL, 0, &required), STATUS_BUFFER_TOO_SMALL);
    EXPECT_EQ(required, 8);
    EXPECT_EQ(AlpcInitializeMessageAttribute(ALPC_MESSAGE_ATTRIBUTES_VALID, NULL, 0, &required),
              STATUS_BUFFER_TOO_SMALL);
    EXPECT_EQ(required, 8 + 0x18 + 0x20 + 0x20 + 0x18);
    EXPECT_EQ(AlpcInitializeMessageAttribute(ALPC_MESSAGE_CONTEXT_ATTRIBUTE, NULL, 100,
                                             &required), STATUS_BUFFER_TOO_SMALL);
    EXPECT_EQ(required, 8 + 0x20);
}

TEST(AlpcInitializeMessageAttributeRefusesUnknownBits)
{
    ULONG required = 0x1234;
    UCHAR buffer[256];

    EXPECT_EQ(AlpcInitializeMessageAttribute(0x08000000, (PALPC_MESSAGE_ATTRIBUTES)buffer,
                                             sizeof(buffer), &required),
              STATUS_INVALID_PARAMETER);
    EXPECT_EQ(AlpcInitializeMessageAttribute(ALPC_MESSAGE_CONTEXT_ATTRIBUTE | 1,
                                             (PALPC_MESSAGE_ATTRIBUTES)buffer, sizeof(buffer),
                                             &required), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(required, 0x1234);
}

TEST(AlpcInitializeMessageAttributeLaysOutTheHeader)
{
    ULONG64 storage[32];
    PALPC_MESSAGE_ATTRIBUTES buffer = (PALPC_MESSAGE_ATTRIBUTES)storage;
    ULONG required;
    ULONG flags = ALPC_MESSAGE_SECURITY_ATTRIBUTE | ALPC_MESSAGE_CONTEXT_ATTRIBUTE;

    memset(storage, 0xCC, sizeof(storage));
    EXPECT_EQ(AlpcInitializeMessageAttribute(flags, buffer, 8 + 0x18 + 0x20, &required),
              STATUS_SUCCESS);
    EXPECT_EQ(buffer->AllocatedAttributes, flags);
    EXPECT_EQ(buffer->ValidAttributes, 0);
    // One byte short fails.
    EXPECT_EQ(AlpcInitializeMessageAttribute(flags, buffer, 8 + 0x18 + 0x20 - 1, &required),
              STATUS_BUFFER_TOO_SMALL);
}

// Security first, then view, context and handle: each after the allocated
// ones of higher bits.
TEST(AlpcGetMessageAttributeFindsEachInBitOrder)
{
    ULONG64 storage[32];
    PALPC_MESSAGE_ATTRIBUTES buffer = (PALPC_MESSAGE_ATTRIBUTES)storage;
    UCHAR *base = (UCHAR *)storage;
    ULONG required;

    EXPECT_EQ(AlpcInitializeMessageAttribute(ALPC_MESSAGE_ATTRIBUTES_VALID, buffer,
                                             sizeof(storage), &required), STATUS_SUCCESS);
    EXPECT(AlpcGetMessageAttribute(buffer, ALPC_MESSAGE_SECURITY_ATTRIBUTE) == base + 8);
    EXPECT(AlpcGetMessageAttribute(buffer, ALPC_MESSAGE_VIEW_ATTRIBUTE) == base + 0x20);
    EXPECT(AlpcGetMessageAttribute(buffer, ALPC_MESSAGE_CONTEXT_ATTRIBUTE) == base + 0x40);
    EXPECT(AlpcGetMessageAttribute(buffer, ALPC_MESSAGE_HANDLE_ATTRIBUTE) == base + 0x60);
    EXPECT_EQ(AlpcInitializeMessageAttribute(ALPC_MESSAGE_VIEW_ATTRIBUTE |
                                                 ALPC_MESSAGE_HANDLE_ATTRIBUTE,
                                             buffer, sizeof(storage), &required),
              STATUS_SUCCESS);
    EXPECT(AlpcGetMessageAttribute(buffer, ALPC_MESSAGE_VIEW_ATTRIBUTE) == base + 8);
    EXPECT(AlpcGetMessageAttribute(buffer, ALPC_MESSAGE_HANDLE_ATTRIBUTE) == base + 0x28);
}

TEST(AlpcGetMessageAttributeIsNullForWhatIsNotThere)
{
    ULONG64 storage[32];
    PALPC_MESSAGE_ATTRIBUTES buffer = (PALPC_MESSAGE_ATTRIBUTES)storage;
    ULONG required;

    EXPECT_EQ(AlpcInitializeMessageAttribute(ALPC_MESSAGE_CONTEXT_ATTRIBUTE, buffer,
                                             sizeof(storage), &required), STATUS_SUCCESS);
    EXPECT(AlpcGetMessageAttribute(buffer, ALPC_MESSAGE_SECURITY_ATTRIBUTE) == NULL);
    EXPECT(AlpcGetMessageAttribute(buffer, 0) == NULL);
    EXPECT(AlpcGetMessageAttribute(buffer, 0x08000000) == NULL);
    // Two bits at once name no single structure.
    EXPECT(AlpcGetMessageAttribute(buffer, ALPC_MESSAGE_CONTEXT_ATTRIBUTE |
                                               ALPC_MESSAGE_VIEW_ATTRIBUTE) == NULL);
}
