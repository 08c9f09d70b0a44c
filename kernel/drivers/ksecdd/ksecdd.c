// ksecdd.sys: the kernel security device driver of the first case study.
// It holds no secret itself: asked by a file system for an encrypted
// file's key (IOCTL_KSEC_EFS_DECRYPT_FEK, an internal device control on
// \Device\KsecDD), it asks lsass, as a kernel-mode LPC client: one request
// on \LsaAuthenticationPort (LpcRequestWaitReplyPort), sent from the thread
// that opens the file and carrying who that thread runs as (its
// impersonation token's user when it impersonates). The thread waits in
// WrLpcReply for lsass's answer, inside NtCreateFile:
//
//   nt!LpcRequestWaitReplyPort
//   KSecDD!EfspDecryptFek
//   KSecDD!EfsDecryptFek
//   KSecDD!KsecDispatchInternalDeviceControl
//   RamFs!RamFsEfsPostCreate
//   RamFs!RamFsFsdCreate
//   fltMgr!FltpCreate ...
//
// See docs/filesystem.md.

#include "io/io.h"
#include "ob/ob.h"
#include "ps/ps.h"
#include "se/se.h"
#include "lpc/lpcp.h"
#include "user/lsass/lsaapi.h"
#include "drivers/ksecdd/ksecioctl.h"

_Static_assert(KSEC_SID_LENGTH == LSA_EFS_SID_LENGTH, "one SID field");
_Static_assert(KSEC_FEK_LENGTH == LSA_EFS_FEK_LENGTH, "one key length");

static DEVICE_OBJECT *KsecDeviceObject;

// The connection to lsass: its client communication port, made by the
// first request, and how many hold the connection (its one reference on
// the port is the connection's: the port reads Handles 0 References 1, as
// the case study's does, while a request waits). KsecLpcLock guards both.
// A request holds the connection rather than the port: lsass going away
// forgets the connection, and its last holder drops the port.
typedef struct _KSEC_LPC_CONNECTION {
    void *Port;
    LONG Holders;       // KsecLpcConnection's own hold, plus one per request
} KSEC_LPC_CONNECTION;

#define KSEC_CONNECTION_TAG POOL_TAG('K', 's', 'L', 'c')

static KSEC_LPC_CONNECTION *KsecLpcConnection;
static KSPIN_LOCK KsecLpcLock;

// Drops one hold; the last takes the port's reference with it.
static void KsecReleaseConnection(KSEC_LPC_CONNECTION *connection)
{
    LONG holders;
    KIRQL oldIrql;

    KeAcquireSpinLock(&KsecLpcLock, &oldIrql);
    holders = --connection->Holders;
    KeReleaseSpinLock(&KsecLpcLock, oldIrql);
    if (!holders) {
        ObDereferenceObject(connection->Port);
        ExFreePoolWithTag(connection, KSEC_CONNECTION_TAG);
    }
}

// The connection, held for one request: made now if there is none (two
// first requests may both connect: the loser's goes again).
static NTSTATUS KsecHoldLsaConnection(KSEC_LPC_CONNECTION **held)
{
    static const WCHAR portName[] = LSA_PORT_NAME;
    static const UNICODE_STRING name = {sizeof(portName) - sizeof(WCHAR), sizeof(portName),
                                        (WCHAR *)portName};
    // lsass may impersonate the thread that asks, as it runs at the time.
    static const SECURITY_QUALITY_OF_SERVICE qos = {sizeof(qos), SecurityImpersonation,
                                                    SECURITY_DYNAMIC_TRACKING, FALSE};
    KSEC_LPC_CONNECTION *made, *loser = NULL;
    NTSTATUS status;
    KIRQL oldIrql;

    KeAcquireSpinLock(&KsecLpcLock, &oldIrql);
    *held = KsecLpcConnection;
    if (*held)
        (*held)->Holders++;
    KeReleaseSpinLock(&KsecLpcLock, oldIrql);
    if (*held)
        return STATUS_SUCCESS;
    made = ExAllocatePoolWithTag(NonPagedPool, sizeof(*made), KSEC_CONNECTION_TAG);
    if (!made)
        return STATUS_INSUFFICIENT_RESOURCES;
    made->Holders = 1;
    status = LpcConnectPort(&name, &qos, &made->Port);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(made, KSEC_CONNECTION_TAG);
        return status;          // no lsass: no key
    }
    KeAcquireSpinLock(&KsecLpcLock, &oldIrql);
    if (KsecLpcConnection)
        loser = made;
    else
        KsecLpcConnection = made;
    *held = KsecLpcConnection;
    (*held)->Holders++;
    KeReleaseSpinLock(&KsecLpcLock, oldIrql);
    if (loser)
        KsecReleaseConnection(loser);
    return STATUS_SUCCESS;
}

// lsass went away (its side of the connection is gone): the next request
// connects again.
static void KsecForgetLsaConnection(KSEC_LPC_CONNECTION *connection)
{
    BOOLEAN forgotten = FALSE;
    KIRQL oldIrql;

    KeAcquireSpinLock(&KsecLpcLock, &oldIrql);
    if (KsecLpcConnection == connection) {
        KsecLpcConnection = NULL;
        forgotten = TRUE;
    }
    KeReleaseSpinLock(&KsecLpcLock, oldIrql);
    if (forgotten)
        KsecReleaseConnection(connection);
}

// Who the current thread runs as: its impersonation token's user, else its
// process's (the thread of the create: the file system calls in it).
static NTSTATUS EfspCallerSid(UCHAR sid[KSEC_SID_LENGTH])
{
    void *token = SeReferenceEffectiveToken(PsGetCurrentThread());
    const SID *user;
    NTSTATUS status = STATUS_NO_TOKEN;

    if (!token)
        return status;
    user = SeTokenUser(token);
    memset(sid, 0, KSEC_SID_LENGTH);
    if (RtlLengthSid(user) <= KSEC_SID_LENGTH) {
        memcpy(sid, user, RtlLengthSid(user));
        status = STATUS_SUCCESS;
    }
    ObDereferenceObject(token);
    return status;
}

// The request to lsass, from this thread: it waits for the reply. Not in
// line (nor EfsDecryptFek): each is a frame of its own in the waiting
// thread's stack, as the case study's.
__attribute__((noinline)) static NTSTATUS EfspDecryptFek(const KSEC_EFS_DECRYPT_FEK_INPUT *input,
                                                         UCHAR *fek)
{
    LSA_API_MESSAGE request, reply;
    KSEC_LPC_CONNECTION *connection;
    NTSTATUS status;

    LsaInitializeMessage(&request, LsaApiEfsDecryptFek);
    // The kernel vouches for the caller's SID: lsass trusts only this bit.
    request.h.u2.s2.Type = LPC_KERNELMODE_MESSAGE;
    memcpy(request.EfsDecryptFek.UserSid, input->UserSid, KSEC_SID_LENGTH);
    memcpy(request.EfsDecryptFek.EncryptedFek, input->EncryptedFek, KSEC_FEK_LENGTH);
    status = EfspCallerSid(request.EfsDecryptFek.CallerSid);
    if (!NT_SUCCESS(status))
        return status;
    for (int attempt = 0;; attempt++) {
        status = KsecHoldLsaConnection(&connection);
        if (!NT_SUCCESS(status))
            return status;
        status = LpcRequestWaitReplyPort(connection->Port, &request.h, &reply.h);
        if (status == STATUS_PORT_DISCONNECTED)
            KsecForgetLsaConnection(connection);
        KsecReleaseConnection(connection);
        // A connection to an lsass that has gone: once more, to the new one.
        if (status != STATUS_PORT_DISCONNECTED || attempt)
            break;
    }
    // Only STATUS_SUCCESS brings a reply (another success code would be a
    // wait ended without one).
    if (status != STATUS_SUCCESS)
        return NT_SUCCESS(status) ? STATUS_UNSUCCESSFUL : status;
    if (!NT_SUCCESS(reply.Status))
        return reply.Status;
    memcpy(fek, reply.EfsDecryptFek.Fek, KSEC_FEK_LENGTH);
    return STATUS_SUCCESS;
}

// Not static either: the compiler would make a copy under another name.
NTSTATUS EfsDecryptFek(IRP *irp, IO_STACK_LOCATION *stack);
__attribute__((noinline)) NTSTATUS EfsDecryptFek(IRP *irp, IO_STACK_LOCATION *stack)
{
    KSEC_EFS_DECRYPT_FEK_INPUT input;
    void *buffer = irp->AssociatedIrp.SystemBuffer;
    NTSTATUS status;

    if (stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(input) ||
        stack->Parameters.DeviceIoControl.OutputBufferLength < KSEC_FEK_LENGTH || !buffer)
        return STATUS_INVALID_PARAMETER;
    // Input and output share the system buffer: the input is copied first.
    memcpy(&input, buffer, sizeof(input));
    status = EfspDecryptFek(&input, buffer);
    irp->IoStatus.Information = NT_SUCCESS(status) ? KSEC_FEK_LENGTH : 0;
    return status;
}

static NTSTATUS KsecDispatchInternalDeviceControl(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    IO_STACK_LOCATION *stack = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS status;

    irp->IoStatus.Information = 0;
    if (stack->Parameters.DeviceIoControl.IoControlCode == IOCTL_KSEC_EFS_DECRYPT_FEK)
        status = EfsDecryptFek(irp, stack);
    else
        status = STATUS_INVALID_DEVICE_REQUEST;
    irp->IoStatus.Status = status;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

// Opens and closes of \Device\KsecDD: nothing to keep.
static NTSTATUS KsecDispatchCreateClose(DEVICE_OBJECT *deviceObject, IRP *irp)
{
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void KsecUnload(DRIVER_OBJECT *driverObject)
{
    // Closing the client port tells lsass (LPC_PORT_CLOSED).
    if (KsecLpcConnection)
        KsecReleaseConnection(KsecLpcConnection);
    KsecLpcConnection = NULL;
    IoDeleteDevice(KsecDeviceObject);
}

NTSTATUS DriverEntry(DRIVER_OBJECT *driverObject, UNICODE_STRING *registryPath)
{
    UNICODE_STRING name;
    NTSTATUS status;

    KeInitializeSpinLock(&KsecLpcLock);
    RtlInitUnicodeString(&name, KSEC_DEVICE_NAME);
    status = IoCreateDevice(driverObject, 0, &name, FILE_DEVICE_KSEC, FILE_DEVICE_SECURE_OPEN,
                            FALSE, &KsecDeviceObject);
    if (!NT_SUCCESS(status))
        return status;
    KsecDeviceObject->Flags |= DO_BUFFERED_IO;
    driverObject->MajorFunction[IRP_MJ_CREATE] = KsecDispatchCreateClose;
    driverObject->MajorFunction[IRP_MJ_CLEANUP] = KsecDispatchCreateClose;
    driverObject->MajorFunction[IRP_MJ_CLOSE] = KsecDispatchCreateClose;
    driverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] =
        KsecDispatchInternalDeviceControl;
    driverObject->DriverUnload = KsecUnload;
    return STATUS_SUCCESS;
}
