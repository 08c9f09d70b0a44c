// Message attributes (ndk/ntalpcattr.h): what a sender attaches to a
// message besides its data, and what a receiver is told about it.
//
// Sending, the attributes in ValidAttributes (all of them allocated, all
// known) are taken:
//   context   the sender's MessageContext, kept as the message's
//             ClientContext or ServerContext (by the side it was sent from);
//   security  the sender's identity (security.c), for impersonation;
//   view      a view the sender made on the port it sends through (by
//             ViewBase); with ALPC_VIEWFLG_UNMAP_EXISTING the sender's
//             mapping goes at once, the message keeping the region
//             (ALPC_VIEWFLG_AUTO_RELEASE is refused: not implemented).
// The handle attribute is not implemented: a send that carries one is
// refused (STATUS_INVALID_PARAMETER).
//
// Receiving, each attribute allocated in the receive buffer is written
// when the message has it, and ValidAttributes says which were:
//   context   always: the receiving side's PortContext and MessageContext,
//             the message's Sequence, MessageId and CallbackId;
//   security  when the message carries the sender's identity: its Flags,
//             and its QoS copied to where the receiver's QoS points;
//   view      when the message carries a view: the region is mapped into
//             the receiver, owned by the port it received through, and
//             ViewBase/ViewSize say where (SectionHandle is 0: the
//             section is the sender's).

#include "alpc/alpcx.h"

static BOOLEAN AlpcpIsClientSide(ALPC_PORT *port)
{
    return port->u1.s1.Type == ALPC_CLIENT_COMMUNICATION_PORT;
}

// The user attribute structure of `flag` in a buffer allocated with `allocated`.
static void *AlpcpUserAttribute(ALPC_MESSAGE_ATTRIBUTES *userAttributes, ULONG allocated,
                                ULONG flag)
{
    return (UCHAR *)userAttributes + AlpcpMessageAttributeOffset(allocated, flag);
}

static NTSTATUS AlpcpCaptureSecurityAttribute(ALPC_PORT *port, const ALPC_SECURITY_ATTR *user,
                                              KALPC_SECURITY_DATA **data)
{
    SECURITY_QUALITY_OF_SERVICE qos;
    ALPC_SECURITY_ATTR attribute;
    ALPC_BLOB *blob;
    NTSTATUS status = MmCopyFromUser(&attribute, user, sizeof(attribute));

    if (!NT_SUCCESS(status))
        return status;
    if (attribute.Flags & ~ALPC_SECFLG_CREATE_HANDLE)
        return STATUS_INVALID_PARAMETER;
    if (attribute.ContextHandle) {
        // A context the sender made on this port before.
        status = AlpcpReferenceResource(port, ALPC_BLOB_SECURITY, attribute.ContextHandle,
                                        &blob);
        if (NT_SUCCESS(status))
            *data = CONTAINING_RECORD(blob, KALPC_SECURITY_DATA, Blob);
        return status;
    }
    if (!attribute.QualityOfService)
        return STATUS_INVALID_PARAMETER;
    status = AlpcpCaptureQos(attribute.QualityOfService, &qos);
    if (NT_SUCCESS(status))
        status = AlpcpCreateSecurityData(&qos, data);
    return status;
}

static NTSTATUS AlpcpCaptureViewAttribute(ALPC_PORT *port, const ALPC_DATA_VIEW_ATTR *user,
                                          KALPC_VIEW **view)
{
    ALPC_DATA_VIEW_ATTR attribute;
    NTSTATUS status = MmCopyFromUser(&attribute, user, sizeof(attribute));

    if (!NT_SUCCESS(status))
        return status;
    // ALPC_VIEWFLG_AUTO_RELEASE (the receiver's view released with the
    // message) is not implemented: refused rather than ignored.
    if (attribute.Flags & ~(ALPC_VIEWFLG_UNMAP_EXISTING | ALPC_VIEWFLG_NOT_SECURE))
        return STATUS_INVALID_PARAMETER;
    status = AlpcpReferenceViewByAddress(port, attribute.ViewBase, view);
    if (!NT_SUCCESS(status))
        return status;
    if (attribute.ViewSize > (*view)->Size) {
        AlpcpDereferenceBlob(&(*view)->Blob);
        return STATUS_INVALID_VIEW_SIZE;
    }
    // The sender gives its mapping up; the message keeps the region.
    if ((attribute.Flags & ALPC_VIEWFLG_UNMAP_EXISTING) &&
        AlpcpDetachResource(port, &(*view)->Blob)) {
        AlpcpUnmapView(*view);
        AlpcpDereferenceBlob(&(*view)->Blob);
    }
    return STATUS_SUCCESS;
}

NTSTATUS AlpcpCaptureMessageAttributes(ALPC_PORT *port, KALPC_MESSAGE *message,
                                       ALPC_MESSAGE_ATTRIBUTES *userAttributes)
{
    KALPC_SECURITY_DATA *security = NULL;
    ALPC_MESSAGE_ATTRIBUTES header;
    ALPC_CONTEXT_ATTR context;
    KALPC_VIEW *view = NULL;
    NTSTATUS status;

    if (!userAttributes)
        return STATUS_SUCCESS;
    status = ProbeForRead(userAttributes, sizeof(header), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&header, userAttributes, sizeof(header));
    if (!NT_SUCCESS(status))
        return status;
    if ((header.AllocatedAttributes & ~ALPC_MESSAGE_ATTRIBUTES_VALID) ||
        (header.ValidAttributes & ~header.AllocatedAttributes) ||
        (header.ValidAttributes & ALPC_MESSAGE_HANDLE_ATTRIBUTE))
        return STATUS_INVALID_PARAMETER;
    status = ProbeForRead(userAttributes, AlpcpMessageAttributesSize(header.AllocatedAttributes),
                          sizeof(ULONG));
    if (NT_SUCCESS(status) && (header.ValidAttributes & ALPC_MESSAGE_CONTEXT_ATTRIBUTE))
        status = MmCopyFromUser(&context,
                                AlpcpUserAttribute(userAttributes, header.AllocatedAttributes,
                                                   ALPC_MESSAGE_CONTEXT_ATTRIBUTE),
                                sizeof(context));
    if (NT_SUCCESS(status) && (header.ValidAttributes & ALPC_MESSAGE_SECURITY_ATTRIBUTE))
        status = AlpcpCaptureSecurityAttribute(
            port, AlpcpUserAttribute(userAttributes, header.AllocatedAttributes,
                                     ALPC_MESSAGE_SECURITY_ATTRIBUTE), &security);
    if (NT_SUCCESS(status) && (header.ValidAttributes & ALPC_MESSAGE_VIEW_ATTRIBUTE))
        status = AlpcpCaptureViewAttribute(
            port, AlpcpUserAttribute(userAttributes, header.AllocatedAttributes,
                                     ALPC_MESSAGE_VIEW_ATTRIBUTE), &view);
    if (!NT_SUCCESS(status)) {
        if (security)
            AlpcpDereferenceBlob(&security->Blob);
        return status;
    }
    if (header.ValidAttributes & ALPC_MESSAGE_CONTEXT_ATTRIBUTE) {
        if (AlpcpIsClientSide(port))
            message->MessageAttributes.ClientContext = context.MessageContext;
        else
            message->MessageAttributes.ServerContext = context.MessageContext;
    }
    // A message sent again (a reply in the request's block) carries the new ones.
    if (security) {
        if (message->MessageAttributes.SecurityData)
            AlpcpDereferenceBlob(message->MessageAttributes.SecurityData);
        message->MessageAttributes.SecurityData = &security->Blob;
    }
    if (view) {
        if (message->MessageAttributes.View)
            AlpcpDereferenceBlob(message->MessageAttributes.View);
        message->MessageAttributes.View = &view->Blob;
        __atomic_add_fetch(&view->NumberOfOwnerMessages, 1, __ATOMIC_RELAXED);
    }
    return STATUS_SUCCESS;
}

NTSTATUS AlpcpProbeReceiveAttributes(ALPC_MESSAGE_ATTRIBUTES *userAttributes)
{
    ALPC_MESSAGE_ATTRIBUTES header;
    NTSTATUS status;

    if (!userAttributes)
        return STATUS_SUCCESS;
    status = ProbeForWrite(userAttributes, sizeof(header), sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&header, userAttributes, sizeof(header));
    if (!NT_SUCCESS(status))
        return status;
    if (header.AllocatedAttributes & ~ALPC_MESSAGE_ATTRIBUTES_VALID)
        return STATUS_INVALID_PARAMETER;
    return ProbeForWrite(userAttributes, AlpcpMessageAttributesSize(header.AllocatedAttributes),
                         sizeof(ULONG));
}

static NTSTATUS AlpcpWriteSecurityAttribute(KALPC_SECURITY_DATA *data, ALPC_SECURITY_ATTR *user)
{
    ALPC_SECURITY_ATTR attribute;
    NTSTATUS status = MmCopyFromUser(&attribute, user, sizeof(attribute));

    if (!NT_SUCCESS(status))
        return status;
    // Where the receiver's QoS points gets the sender's; the context stays
    // the sender's (no handle on the receiver's side).
    if (attribute.QualityOfService)
        status = MmCopyToUser(attribute.QualityOfService, &data->DynamicSecurity.SecurityQos,
                              sizeof(SECURITY_QUALITY_OF_SERVICE));
    attribute.Flags = 0;
    attribute.ContextHandle = NULL;
    if (NT_SUCCESS(status))
        status = MmCopyToUser(user, &attribute, sizeof(attribute));
    return status;
}

// A view that cannot be mapped (no room in the receiver, its port's bound)
// leaves the attribute out (*mapped FALSE); the message is delivered all
// the same.
static NTSTATUS AlpcpWriteViewAttribute(ALPC_PORT *port, KALPC_VIEW *sent,
                                        ALPC_DATA_VIEW_ATTR *user, BOOLEAN *mapped)
{
    ALPC_DATA_VIEW_ATTR attribute = {0};
    KALPC_VIEW *view;
    NTSTATUS status = AlpcpMapRegion(port, sent->Region, TRUE, &view);

    *mapped = NT_SUCCESS(status);
    if (!*mapped)
        return STATUS_SUCCESS;
    attribute.ViewBase = view->Address;
    attribute.ViewSize = view->Size;
    status = MmCopyToUser(user, &attribute, sizeof(attribute));
    if (!NT_SUCCESS(status)) {
        // The receiver cannot know where: it goes again.
        AlpcpReferenceBlob(&view->Blob);
        AlpcpDeleteOwnedView(port, view);
    }
    return status;
}

NTSTATUS AlpcpWriteMessageAttributes(ALPC_PORT *port, const KALPC_MESSAGE *message,
                                     ALPC_MESSAGE_ATTRIBUTES *userAttributes)
{
    const KALPC_MESSAGE_ATTRIBUTES *attributes = &message->MessageAttributes;
    ALPC_MESSAGE_ATTRIBUTES header;
    ULONG valid = 0;
    NTSTATUS status;

    if (!userAttributes)
        return STATUS_SUCCESS;
    status = MmCopyFromUser(&header, userAttributes, sizeof(header));
    if (!NT_SUCCESS(status))
        return status;
    header.AllocatedAttributes &= ALPC_MESSAGE_ATTRIBUTES_VALID;
    if (header.AllocatedAttributes & ALPC_MESSAGE_CONTEXT_ATTRIBUTE) {
        ALPC_CONTEXT_ATTR context = {0};

        if (AlpcpIsClientSide(port)) {
            context.PortContext = port->PortContext;
            context.MessageContext = attributes->ClientContext;
        } else {
            context.PortContext = attributes->PortContext;
            context.MessageContext = attributes->ServerContext;
        }
        context.Sequence = (ULONG)message->SequenceNo;
        context.MessageId = message->PortMessage.MessageId;
        context.CallbackId = message->PortMessage.CallbackId;
        status = MmCopyToUser(AlpcpUserAttribute(userAttributes, header.AllocatedAttributes,
                                                 ALPC_MESSAGE_CONTEXT_ATTRIBUTE),
                              &context, sizeof(context));
        if (NT_SUCCESS(status))
            valid |= ALPC_MESSAGE_CONTEXT_ATTRIBUTE;
    }
    if (NT_SUCCESS(status) && attributes->SecurityData &&
        (header.AllocatedAttributes & ALPC_MESSAGE_SECURITY_ATTRIBUTE)) {
        status = AlpcpWriteSecurityAttribute(
            CONTAINING_RECORD(attributes->SecurityData, KALPC_SECURITY_DATA, Blob),
            AlpcpUserAttribute(userAttributes, header.AllocatedAttributes,
                               ALPC_MESSAGE_SECURITY_ATTRIBUTE));
        if (NT_SUCCESS(status))
            valid |= ALPC_MESSAGE_SECURITY_ATTRIBUTE;
    }
    if (NT_SUCCESS(status) && attributes->View &&
        (header.AllocatedAttributes & ALPC_MESSAGE_VIEW_ATTRIBUTE)) {
        BOOLEAN mapped;

        status = AlpcpWriteViewAttribute(
            port, CONTAINING_RECORD(attributes->View, KALPC_VIEW, Blob),
            AlpcpUserAttribute(userAttributes, header.AllocatedAttributes,
                               ALPC_MESSAGE_VIEW_ATTRIBUTE), &mapped);
        if (NT_SUCCESS(status) && mapped)
            valid |= ALPC_MESSAGE_VIEW_ATTRIBUTE;
    }
    header.ValidAttributes = valid;
    if (NT_SUCCESS(status))
        status = MmCopyToUser(userAttributes, &header, sizeof(header));
    return status;
}

void AlpcpReleaseMessageAttributes(KALPC_MESSAGE *message)
{
    KALPC_MESSAGE_ATTRIBUTES *attributes = &message->MessageAttributes;

    if (attributes->SecurityData)
        AlpcpDereferenceBlob(attributes->SecurityData);
    if (attributes->View) {
        KALPC_VIEW *view = CONTAINING_RECORD(attributes->View, KALPC_VIEW, Blob);

        __atomic_sub_fetch(&view->NumberOfOwnerMessages, 1, __ATOMIC_RELAXED);
        AlpcpDereferenceBlob(attributes->View);
    }
    attributes->SecurityData = NULL;
    attributes->View = NULL;
}
