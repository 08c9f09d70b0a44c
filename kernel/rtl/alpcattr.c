// The layout of an ALPC message attribute buffer (see ndk/ntalpcattr.h):
// the header, then each allocated attribute's structure, highest bit
// first. The kernel (which reads and writes user buffers by this layout)
// and the user runtime (ntdll's two routines) share this file, so they
// cannot disagree on where an attribute lies.

#include "rtl/rtl.h"
#include "ndk/ntalpcattr.h"

static const struct {
    ULONG Flag;
    ULONG Size;
} AlpcpAttributeSizes[] = {
    {ALPC_MESSAGE_SECURITY_ATTRIBUTE, sizeof(ALPC_SECURITY_ATTR)},
    {ALPC_MESSAGE_VIEW_ATTRIBUTE, sizeof(ALPC_DATA_VIEW_ATTR)},
    {ALPC_MESSAGE_CONTEXT_ATTRIBUTE, sizeof(ALPC_CONTEXT_ATTR)},
    {ALPC_MESSAGE_HANDLE_ATTRIBUTE, sizeof(ALPC_HANDLE_ATTR)},
};

ULONG AlpcpMessageAttributesSize(ULONG attributeFlags)
{
    ULONG size = sizeof(ALPC_MESSAGE_ATTRIBUTES);

    for (ULONG i = 0; i < ARRAYSIZE(AlpcpAttributeSizes); i++) {
        if (attributeFlags & AlpcpAttributeSizes[i].Flag)
            size += AlpcpAttributeSizes[i].Size;
    }
    return size;
}

ULONG AlpcpMessageAttributeOffset(ULONG allocated, ULONG attributeFlag)
{
    // Every allocated attribute of a higher bit comes before this one.
    return AlpcpMessageAttributesSize(allocated & ~(attributeFlag | (attributeFlag - 1)));
}

NTSTATUS NTAPI AlpcInitializeMessageAttribute(ULONG attributeFlags,
                                              PALPC_MESSAGE_ATTRIBUTES buffer,
                                              ULONG bufferSize, PULONG requiredBufferSize)
{
    ULONG required;

    if (attributeFlags & ~ALPC_MESSAGE_ATTRIBUTES_VALID)
        return STATUS_INVALID_PARAMETER;
    required = AlpcpMessageAttributesSize(attributeFlags);
    *requiredBufferSize = required;
    if (!buffer || bufferSize < required)
        return STATUS_BUFFER_TOO_SMALL;
    buffer->AllocatedAttributes = attributeFlags;
    buffer->ValidAttributes = 0;
    return STATUS_SUCCESS;
}

PVOID NTAPI AlpcGetMessageAttribute(PALPC_MESSAGE_ATTRIBUTES buffer, ULONG attributeFlag)
{
    // One known bit, and the buffer was laid out with it.
    if (!(attributeFlag & ALPC_MESSAGE_ATTRIBUTES_VALID) ||
        (attributeFlag & (attributeFlag - 1)) || !(buffer->AllocatedAttributes & attributeFlag))
        return NULL;
    return (UCHAR *)buffer + AlpcpMessageAttributeOffset(buffer->AllocatedAttributes,
                                                         attributeFlag);
}
