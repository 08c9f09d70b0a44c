// The token services: NtOpenProcessToken, NtQueryInformationToken,
// NtDuplicateToken and NtSetInformationProcess (ProcessAccessToken, which
// gives a process that has not run yet another primary token). Every
// pointer is probed first, every input captured; results reach the caller
// at the end.

#include "se/sep.h"

NTSTATUS SepInsertTokenHandle(TOKEN *token, ACCESS_MASK desiredAccess, HANDLE *userHandle)
{
    HANDLE handle;
    NTSTATUS status = ObInsertObject(token, NULL, desiredAccess, NULL, &handle);

    if (!NT_SUCCESS(status))
        return status;
    status = MmCopyToUser(userHandle, &handle, sizeof(handle));
    if (!NT_SUCCESS(status))
        ObCloseHandle(handle);
    return status;
}

NTSTATUS SepCaptureQos(const OBJECT_ATTRIBUTES *userAttributes,
                       SECURITY_QUALITY_OF_SERVICE *qos, BOOLEAN *present)
{
    OBJECT_ATTRIBUTES attributes;
    NTSTATUS status;

    *present = FALSE;
    if (!userAttributes)
        return STATUS_SUCCESS;
    status = MmCopyFromUser(&attributes, userAttributes, sizeof(attributes));
    if (!NT_SUCCESS(status) || !attributes.SecurityQualityOfService)
        return status;
    status = MmCopyFromUser(qos, attributes.SecurityQualityOfService, sizeof(*qos));
    if (!NT_SUCCESS(status))
        return status;
    *present = TRUE;
    return STATUS_SUCCESS;
}

NTSTATUS NtOpenProcessToken(HANDLE processHandle, ACCESS_MASK desiredAccess,
                            HANDLE *tokenHandle)
{
    EPROCESS *process;
    TOKEN *token;
    NTSTATUS status = ObProbeHandleOut(tokenHandle);

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(processHandle, PROCESS_QUERY_INFORMATION, PsProcessType,
                                       (void **)&process, NULL);
    if (!NT_SUCCESS(status))
        return status;
    token = SepReferencePrimaryToken(process);
    ObDereferenceObject(process);
    if (!token)
        return STATUS_NO_TOKEN;     // a process whose rundown took it
    status = SepAccessCheckToken(token, FALSE);
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(token);
        return status;
    }
    return SepInsertTokenHandle(token, desiredAccess, tokenHandle);
}

// The layouts NtQueryInformationToken writes: TOKEN_USER is followed by
// the SID its pointer points at, in the caller's buffer.
static ULONG SepQueryLength(TOKEN *token, TOKEN_INFORMATION_CLASS informationClass)
{
    switch (informationClass) {
    case TokenUser:
        return sizeof(TOKEN_USER) + SeLengthSid(SeTokenUser(token));
    case TokenType:
        return sizeof(TOKEN_TYPE);
    case TokenImpersonationLevel:
        return sizeof(SECURITY_IMPERSONATION_LEVEL);
    case TokenSessionId:
        return sizeof(ULONG);
    default:
        return sizeof(TOKEN_STATISTICS);
    }
}

static void SepFillQuery(TOKEN *token, TOKEN_INFORMATION_CLASS informationClass,
                         void *userBuffer, void *buffer)
{
    switch (informationClass) {
    case TokenUser: {
        TOKEN_USER *user = buffer;

        user->User.Sid = (SID *)((UCHAR *)userBuffer + sizeof(TOKEN_USER));
        user->User.Attributes = token->UserAndGroups[0].Attributes;
        memcpy(user + 1, SeTokenUser(token), SeLengthSid(SeTokenUser(token)));
        break;
    }
    case TokenType:
        *(TOKEN_TYPE *)buffer = token->TokenType;
        break;
    case TokenImpersonationLevel:
        *(SECURITY_IMPERSONATION_LEVEL *)buffer = token->ImpersonationLevel;
        break;
    case TokenSessionId:
        *(ULONG *)buffer = token->SessionId;
        break;
    default: {
        TOKEN_STATISTICS *statistics = buffer;

        memset(statistics, 0, sizeof(*statistics));
        statistics->TokenId = token->TokenId;
        statistics->AuthenticationId = token->AuthenticationId;
        statistics->ExpirationTime = token->ExpirationTime;
        statistics->TokenType = token->TokenType;
        statistics->ImpersonationLevel = token->ImpersonationLevel;
        statistics->GroupCount = token->UserAndGroupCount - 1;
        statistics->PrivilegeCount = token->PrivilegeCount;
        statistics->ModifiedId = token->ModifiedId;
        break;
    }
    }
}

// NT's order: the buffer and ReturnLength (which is not optional) are
// probed, the class checked, the handle referenced with TOKEN_QUERY; a
// buffer too small gets the length needed and STATUS_BUFFER_TOO_SMALL.
// TokenImpersonationLevel of a primary token is STATUS_INVALID_INFO_CLASS.
NTSTATUS NtQueryInformationToken(HANDLE tokenHandle, TOKEN_INFORMATION_CLASS informationClass,
                                 void *information, ULONG informationLength,
                                 ULONG *returnLength)
{
    UCHAR buffer[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    TOKEN *token;
    ULONG length;
    NTSTATUS status = ProbeForWrite(information, informationLength, sizeof(ULONG));

    if (NT_SUCCESS(status))
        status = ProbeForWrite(returnLength, sizeof(*returnLength), sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    if (informationClass != TokenUser && informationClass != TokenType &&
        informationClass != TokenImpersonationLevel && informationClass != TokenStatistics &&
        informationClass != TokenSessionId)
        return STATUS_INVALID_INFO_CLASS;
    status = ObReferenceObjectByHandle(tokenHandle, TOKEN_QUERY, SeTokenObjectType,
                                       (void **)&token, NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (informationClass == TokenImpersonationLevel && token->TokenType != TokenImpersonation) {
        ObDereferenceObject(token);
        return STATUS_INVALID_INFO_CLASS;
    }
    length = SepQueryLength(token, informationClass);
    if (informationLength < length) {
        ObDereferenceObject(token);
        status = MmCopyToUser(returnLength, &length, sizeof(length));
        return NT_SUCCESS(status) ? STATUS_BUFFER_TOO_SMALL : status;
    }
    SepFillQuery(token, informationClass, information, buffer);
    ObDereferenceObject(token);
    status = MmCopyToUser(information, buffer, length);
    if (NT_SUCCESS(status))
        status = MmCopyToUser(returnLength, &length, sizeof(length));
    return status;
}

// NtDuplicateToken: the level of an impersonation copy comes from the
// attributes' SECURITY_QUALITY_OF_SERVICE (none: SecurityAnonymous). A copy
// can never be worth more than its source: from an impersonation token, not
// a higher level, and not a primary token below SecurityImpersonation
// (STATUS_BAD_IMPERSONATION_LEVEL). Tokens are never named (as NT inserts
// them), so a name in the attributes is not used.
NTSTATUS NtDuplicateToken(HANDLE existingTokenHandle, ACCESS_MASK desiredAccess,
                          const OBJECT_ATTRIBUTES *objectAttributes, BOOLEAN effectiveOnly,
                          TOKEN_TYPE tokenType, HANDLE *newTokenHandle)
{
    OB_CAPTURED_ATTRIBUTES captured;
    SECURITY_QUALITY_OF_SERVICE qos;
    SECURITY_IMPERSONATION_LEVEL level = SecurityAnonymous;
    BOOLEAN qosPresent;
    TOKEN *existing, *token;
    NTSTATUS status = ObProbeHandleOut(newTokenHandle);

    if (!NT_SUCCESS(status))
        return status;
    if (tokenType != TokenPrimary && tokenType != TokenImpersonation)
        return STATUS_INVALID_PARAMETER;
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    ObReleaseObjectAttributes(&captured);
    if (NT_SUCCESS(status))
        status = SepCaptureQos(objectAttributes, &qos, &qosPresent);
    if (!NT_SUCCESS(status))
        return status;
    if (qosPresent)
        level = qos.ImpersonationLevel;
    if ((ULONG)level > SecurityDelegation)
        return STATUS_BAD_IMPERSONATION_LEVEL;
    status = ObReferenceObjectByHandle(existingTokenHandle, TOKEN_DUPLICATE, SeTokenObjectType,
                                       (void **)&existing, NULL);
    if (!NT_SUCCESS(status))
        return status;
    if (existing->TokenType == TokenImpersonation &&
        ((tokenType == TokenImpersonation && level > existing->ImpersonationLevel) ||
         (tokenType == TokenPrimary && existing->ImpersonationLevel < SecurityImpersonation)))
        status = STATUS_BAD_IMPERSONATION_LEVEL;
    else
        status = SepDuplicateToken(existing, tokenType, level, effectiveOnly, &token);
    ObDereferenceObject(existing);
    if (!NT_SUCCESS(status))
        return status;
    return SepInsertTokenHandle(token, desiredAccess, newTokenHandle);
}

// A process's threads that have been in user mode have run with its token:
// from then on it stays (as NT documents ProcessAccessToken: only before
// the process's first thread has begun to run). The System process has
// run since boot.
static BOOLEAN SepProcessHasRun(EPROCESS *process)
{
    return process == PsInitialSystemProcess || process->UserModeEntered;
}

// ProcessAccessToken, as NT's PspAssignPrimaryToken: the token handle
// needs TOKEN_ASSIGN_PRIMARY, the token must be primary
// (STATUS_BAD_TOKEN_TYPE) and nobody's primary token yet
// (STATUS_TOKEN_ALREADY_IN_USE: duplicate it first), and the caller needs
// SeAssignPrimaryTokenPrivilege (STATUS_PRIVILEGE_NOT_HELD). The token
// takes the process's session id, as every primary token does.
static NTSTATUS SepSetProcessToken(EPROCESS *process, HANDLE tokenHandle)
{
    TOKEN *token, *old;
    KIRQL oldIrql;
    NTSTATUS status = ObReferenceObjectByHandle(tokenHandle, TOKEN_ASSIGN_PRIMARY,
                                                SeTokenObjectType, (void **)&token, NULL);

    if (!NT_SUCCESS(status))
        return status;
    if (token->TokenType != TokenPrimary)
        status = STATUS_BAD_TOKEN_TYPE;
    else if (!SeSinglePrivilegeCheck(SE_ASSIGNPRIMARYTOKEN_PRIVILEGE))
        status = STATUS_PRIVILEGE_NOT_HELD;
    if (!NT_SUCCESS(status)) {
        ObDereferenceObject(token);
        return status;
    }
    KeAcquireSpinLock(&SepTokenLock, &oldIrql);
    if (token->TokenInUse || SepProcessHasRun(process) || process->ProcessExiting) {
        status = process->ProcessExiting ? STATUS_PROCESS_IS_TERMINATING
                                         : STATUS_TOKEN_ALREADY_IN_USE;
        old = token;
    } else {
        token->TokenInUse = TRUE;
        token->SessionId = process->SessionId;
        old = process->Token;
        process->Token = token;
    }
    KeReleaseSpinLock(&SepTokenLock, oldIrql);
    if (old)
        ObDereferenceObject(old);
    return status;
}

// What every process information class set here starts with: the caller's
// buffer, exactly `size` bytes, copied in; then the process referenced with
// `access`. On success the caller dereferences *process.
static NTSTATUS SepCaptureProcessInformation(HANDLE processHandle, ACCESS_MASK access,
                                             const void *information, ULONG informationLength,
                                             void *buffer, ULONG size, EPROCESS **process)
{
    NTSTATUS status;

    if (informationLength != size)
        return STATUS_INFO_LENGTH_MISMATCH;
    status = ProbeForRead(information, informationLength, sizeof(ULONG));
    if (NT_SUCCESS(status))
        status = MmCopyFromUser(buffer, information, size);
    if (!NT_SUCCESS(status))
        return status;
    return ObReferenceObjectByHandle(processHandle, access, PsProcessType, (void **)process,
                                     NULL);
}

NTSTATUS NtSetInformationProcess(HANDLE processHandle, ULONG informationClass,
                                 void *information, ULONG informationLength)
{
    PROCESS_ACCESS_TOKEN accessToken;
    QUOTA_LIMITS limits;
    HANDLE portHandle;
    EPROCESS *process;
    NTSTATUS status;

    switch (informationClass) {
    case ProcessQuotaLimits:        // kernel/ps/quota.c does the rest
        status = SepCaptureProcessInformation(processHandle, PROCESS_SET_QUOTA, information,
                                              informationLength, &limits, sizeof(limits),
                                              &process);
        if (!NT_SUCCESS(status))
            return status;
        status = PspSetQuotaLimits(process, &limits);
        break;
    case ProcessExceptionPort:      // a port handle; kernel/ps/psport.c does the rest
        status = SepCaptureProcessInformation(processHandle, PROCESS_SET_INFORMATION,
                                              information, informationLength, &portHandle,
                                              sizeof(portHandle), &process);
        if (!NT_SUCCESS(status))
            return status;
        status = PspSetExceptionPort(process, portHandle);
        break;
    case ProcessAccessToken:
        status = SepCaptureProcessInformation(processHandle, PROCESS_SET_INFORMATION,
                                              information, informationLength, &accessToken,
                                              sizeof(accessToken), &process);
        if (!NT_SUCCESS(status))
            return status;
        status = SepSetProcessToken(process, accessToken.Token);
        break;
    case ProcessAffinityMask:       // kernel/ps/psaffin.c
        return PspSetAffinityProcess(processHandle, information, informationLength);
    default:
        return STATUS_INVALID_INFO_CLASS;
    }
    ObDereferenceObject(process);
    return status;
}
