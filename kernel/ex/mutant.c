// Mutant objects (user-mode mutexes): a KMUTANT with a name and handles.
// The owner is a thread; a thread that ends while owning one abandons it.

#include "ex/ex.h"
#include "mm/mm.h"

#define MUTANT_TAG POOL_TAG('M', 'u', 't', 'a')

OBJECT_TYPE *ExMutantObjectType;

// A mutant deleted while a live thread still owns it leaves that thread's
// list of owned mutants: it is abandoned, as NT's ExpDeleteMutant does.
static void ExpDeleteMutant(void *object)
{
    KMUTANT *mutant = object;

    if (mutant->OwnerThread)
        KeReleaseMutantEx(mutant, MUTANT_INCREMENT, TRUE, NULL);
}

void ExpInitializeMutantImplementation(void)
{
    static const OBJECT_TYPE_INITIALIZER initializer = {
        .PoolTag = MUTANT_TAG,
        .ValidAccessMask = MUTANT_ALL_ACCESS,
        .GenericMapping = {STANDARD_RIGHTS_READ | MUTANT_QUERY_STATE, STANDARD_RIGHTS_WRITE,
                           STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE, MUTANT_ALL_ACCESS},
        .Waitable = TRUE,
        .DeleteProcedure = ExpDeleteMutant,
    };

    if (!NT_SUCCESS(ObCreateObjectType("Mutant", &initializer, &ExMutantObjectType)))
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x0E, 3, 0, 0);
}

NTSTATUS NtCreateMutant(HANDLE *mutantHandle, ACCESS_MASK desiredAccess,
                        OBJECT_ATTRIBUTES *objectAttributes, BOOLEAN initialOwner)
{
    OB_CAPTURED_ATTRIBUTES captured;
    KMUTANT *mutant;
    NTSTATUS status = ObProbeHandleOut(mutantHandle);

    if (!NT_SUCCESS(status))
        return status;
    status = ObCaptureObjectAttributes(objectAttributes, &captured);
    if (NT_SUCCESS(status))
        status = ObCreateObject(ExMutantObjectType, sizeof(KMUTANT), (void **)&mutant);
    if (NT_SUCCESS(status)) {
        KeInitializeMutant(mutant, initialOwner != FALSE);
        status = ObInsertObjectForUser(mutant, &captured, desiredAccess, mutantHandle);
    }
    ObReleaseObjectAttributes(&captured);
    return status;
}

NTSTATUS NtOpenMutant(HANDLE *mutantHandle, ACCESS_MASK desiredAccess,
                      OBJECT_ATTRIBUTES *objectAttributes)
{
    return ObOpenObjectForUser(mutantHandle, ExMutantObjectType, desiredAccess,
                               objectAttributes);
}

// Only the owner may release, and needs no particular right to (as on NT);
// anyone else gets STATUS_MUTANT_NOT_OWNED.
NTSTATUS NtReleaseMutant(HANDLE mutantHandle, LONG *previousCount)
{
    KMUTANT *mutant;
    LONG previous = 0;
    NTSTATUS status = ExpProbeOptionalOut(previousCount, sizeof(LONG));

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(mutantHandle, 0, ExMutantObjectType, (void **)&mutant,
                                       NULL);
    if (!NT_SUCCESS(status))
        return status;
    status = KeReleaseMutantEx(mutant, MUTANT_INCREMENT, FALSE, &previous);
    ObDereferenceObject(mutant);
    if (NT_SUCCESS(status) && previousCount)
        status = MmCopyToUser(previousCount, &previous, sizeof(previous));
    return status;
}

NTSTATUS NtQueryMutant(HANDLE mutantHandle, ULONG mutantInformationClass,
                       void *mutantInformation, ULONG mutantInformationLength,
                       ULONG *returnLength)
{
    MUTANT_BASIC_INFORMATION info;
    KMUTANT *mutant;
    NTSTATUS status = ExpCheckQueryBuffer(mutantInformationClass, mutantInformationLength,
                                          sizeof(info), mutantInformation, returnLength);

    if (!NT_SUCCESS(status))
        return status;
    status = ObReferenceObjectByHandle(mutantHandle, MUTANT_QUERY_STATE, ExMutantObjectType,
                                       (void **)&mutant, NULL);
    if (!NT_SUCCESS(status))
        return status;
    memset(&info, 0, sizeof(info));
    info.CurrentCount = KeReadStateMutant(mutant);
    info.OwnedByCaller = mutant->OwnerThread == KeGetCurrentThread();
    info.AbandonedState = mutant->Abandoned;
    ObDereferenceObject(mutant);
    return ExpReturnQueryBuffer(mutantInformation, &info, sizeof(info), returnLength);
}
