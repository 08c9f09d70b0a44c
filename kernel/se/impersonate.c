// Impersonation: a thread that runs with another identity than its
// process's. ETHREAD.ImpersonationToken is always an impersonation token
// (TokenType TokenImpersonation), whose ImpersonationLevel is the level
// the thread impersonates at. A server gets there through the client
// security of LPC (SeCreateClientSecurity / SeImpersonateClientEx), any
// thread through NtSetInformationThread(ThreadImpersonationToken), and
// NtOpenThreadToken shows it.

#include "se/sep.h"

NTSTATUS PsImpersonateClient(ETHREAD *thread, TOKEN *token)
{
    TOKEN *old;
    KIRQL oldIrql;

    if (token)
        ObReferenceObject(token);
    KeAcquireSpinLock(&SepTokenLock, &oldIrql);
    // A thread that has ended keeps nothing: its exit already let go.
    if (token && thread->Terminated) {
        KeReleaseSpinLock(&SepTokenLock, oldIrql);
        ObDereferenceObject(token);
        return STATUS_THREAD_IS_TERMINATING;
    }
    old = thread->ImpersonationToken;
    thread->ImpersonationToken = token;
    KeReleaseSpinLock(&SepTokenLock, oldIrql);
    if (old)
        ObDereferenceObject(old);
    return STATUS_SUCCESS;
}

void PsRevertThreadToSelf(ETHREAD *thread)
{
    PsImpersonateClient(thread, NULL);
}

void PsRevertToSelf(void)
{
    PsRevertThreadToSelf(PsGetCurrentThread());
}

// ---- Client security (for LPC) ----------------------------------------------------

NTSTATUS SeCreateClientSecurity(ETHREAD *client, const SECURITY_QUALITY_OF_SERVICE *qos,
                                BOOLEAN serverIsRemote, SECURITY_CLIENT_CONTEXT *context)
{
    TOKEN *token = SeReferenceEffectiveToken(client), *copy;
    NTSTATUS status;

    memset(context, 0, sizeof(*context));
    if (!token)
        return STATUS_NO_TOKEN;
    if ((ULONG)qos->ImpersonationLevel > SecurityDelegation) {
        ObDereferenceObject(token);
        return STATUS_BAD_IMPERSONATION_LEVEL;
    }
    // A client that impersonates passes on no more than it holds.
    if (token->TokenType == TokenImpersonation &&
        (qos->ImpersonationLevel > token->ImpersonationLevel ||
         (serverIsRemote && token->ImpersonationLevel != SecurityDelegation))) {
        ObDereferenceObject(token);
        return STATUS_BAD_IMPERSONATION_LEVEL;
    }
    context->SecurityQos = *qos;
    context->ServerIsRemote = serverIsRemote;
    if (qos->ContextTrackingMode == SECURITY_DYNAMIC_TRACKING) {
        context->ClientToken = token;
        context->DirectlyAccessClientToken = TRUE;
        context->DirectAccessEffectiveOnly = qos->EffectiveOnly;
        return STATUS_SUCCESS;
    }
    // Static: a copy taken now, which later changes do not reach.
    status = SepDuplicateToken(token, TokenImpersonation, qos->ImpersonationLevel,
                               qos->EffectiveOnly, &copy);
    ObDereferenceObject(token);
    if (!NT_SUCCESS(status))
        return status;
    context->ClientToken = copy;
    return STATUS_SUCCESS;
}

NTSTATUS SeImpersonateClientEx(SECURITY_CLIENT_CONTEXT *context, ETHREAD *server)
{
    TOKEN *token;
    NTSTATUS status;

    if (!context->ClientToken)
        return STATUS_NO_TOKEN;
    if (!context->DirectlyAccessClientToken)
        return PsImpersonateClient(server, context->ClientToken);
    // Dynamic: the client's token as it is now, at the level the client chose.
    status = SepDuplicateToken(context->ClientToken, TokenImpersonation,
                               context->SecurityQos.ImpersonationLevel,
                               context->DirectAccessEffectiveOnly, &token);
    if (!NT_SUCCESS(status))
        return status;
    status = PsImpersonateClient(server, token);
    ObDereferenceObject(token);
    return status;
}

void SeDeleteClientSecurity(SECURITY_CLIENT_CONTEXT *context)
{
    if (context->ClientToken)
        ObDereferenceObject(context->ClientToken);
    context->ClientToken = NULL;
}

// ---- The services -----------------------------------------------------------------

// NT's NtOpenThreadToken: STATUS_NO_TOKEN when the thread does not
// impersonate, STATUS_CANT_OPEN_ANONYMOUS at SecurityAnonymous; the access
// check is made as the caller's effective identity, or with OpenAsSelf as
// its process's, which is how a server impersonating at
// SecurityIdentification can still open its own thread's token.
NTSTATUS NtOpenThreadToken(HANDLE threadHandle, ACCESS_MASK desiredAccess, BOOLEAN openAsSelf,
                           HANDLE *tokenHandle)
{
    ETHREAD *thread;
    TOKEN *token;
    KIRQL oldIrql;
    NTSTATUS status = ObProbeHandleOut(tokenHandle);

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(threadHandle, THREAD_QUERY_INFORMATION, PsThreadType,
                                       (void **)&thread, NULL);
    if (!NT_SUCCESS(status))
        return status;
    KeAcquireSpinLock(&SepTokenLock, &oldIrql);
    token = thread->ImpersonationToken;
    if (token)
        ObReferenceObject(token);
    KeReleaseSpinLock(&SepTokenLock, oldIrql);
    ObDereferenceObject(thread);
    if (!token)
        return STATUS_NO_TOKEN;
    if (token->ImpersonationLevel == SecurityAnonymous)
        status = STATUS_CANT_OPEN_ANONYMOUS;
    else
        status = SepAccessCheckToken(token, openAsSelf);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(token);
        return status;
    }
    return SepInsertTokenHandle(token, desiredAccess, tokenHandle);
}

// ThreadImpersonationToken: a token handle (TOKEN_IMPERSONATE, an
// impersonation token, else STATUS_BAD_TOKEN_TYPE) the thread impersonates
// from now on, or NULL to revert. The thread handle needs
// THREAD_SET_THREAD_TOKEN. ThreadAffinityMask goes to ps/psaffin.c. Every
// other class: STATUS_INVALID_INFO_CLASS.
NTSTATUS NtSetInformationThread(HANDLE threadHandle, ULONG informationClass,
                                void *information, ULONG informationLength)
{
    HANDLE tokenHandle;
    ETHREAD *thread;
    TOKEN *token = NULL;
    NTSTATUS status;

    if (informationClass == ThreadAffinityMask)
        return PspSetAffinityThread(threadHandle, information, informationLength);
    if (informationClass != ThreadImpersonationToken)
        return STATUS_INVALID_INFO_CLASS;
    if (informationLength != sizeof(HANDLE))
        return STATUS_INFO_LENGTH_MISMATCH;
    status = ProbeForRead(information, informationLength, sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(&tokenHandle, information, sizeof(tokenHandle));
    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(threadHandle, THREAD_SET_THREAD_TOKEN, PsThreadType,
                                       (void **)&thread, NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (tokenHandle) {
        status = ObReferenceObjectByHandle(tokenHandle, TOKEN_IMPERSONATE, SeTokenObjectType,
                                           (void **)&token, NULL);
        if (NT_SUCCESS(status) && token->TokenType != TokenImpersonation)
            status = STATUS_BAD_TOKEN_TYPE;
    }
    if (NT_SUCCESS(status))
        status = PsImpersonateClient(thread, token);
    if (token)
        ObDereferenceObject(token);
    ObDereferenceObject(thread);
    return status;
}
