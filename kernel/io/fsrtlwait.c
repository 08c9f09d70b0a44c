// FsRtlCancellableWaitForSingleObject and FsRtlCancellableWaitForMultipleObjects:
// the waits NT gives file systems and redirectors for requests that may take
// long (a UNC provider's answer, a connection to a server). They wait in
// kernel mode, alertable, so that a thread told to end is not held by
// them: the wait ends with STATUS_THREAD_IS_TERMINATING when the thread is
// ending, and STATUS_CANCELLED when the caller's IRP was cancelled
// meanwhile. Mup and rdbss wait in them in the third case study, and a
// hung thread's stack reads FsRtlCancellableWaitForMultipleObjects under
// the file system's frame.

#include "io/io.h"
#include "ps/ps.h"

__attribute__((noinline)) NTSTATUS FsRtlCancellableWaitForMultipleObjects(
    ULONG count, void *objects[], WAIT_TYPE waitType, LARGE_INTEGER *timeout,
    KWAIT_BLOCK *waitBlockArray, IRP *irp)
{
    ETHREAD *thread = PsGetCurrentThread();
    NTSTATUS status;

    for (;;) {
        if (count == 1)
            status = KeWaitForSingleObject(objects[0], Executive, KernelMode, TRUE, timeout);
        else
            status = KeWaitForMultipleObjects(count, objects, waitType, Executive, KernelMode,
                                              TRUE, timeout, waitBlockArray);
        if (thread->TerminationQueued)
            return STATUS_THREAD_IS_TERMINATING;
        if (irp && irp->Cancel)
            return STATUS_CANCELLED;
        if (status != STATUS_ALERTED && status != STATUS_USER_APC)
            return status;
    }
}

__attribute__((noinline)) NTSTATUS FsRtlCancellableWaitForSingleObject(void *object,
                                                                       LARGE_INTEGER *timeout,
                                                                       IRP *irp)
{
    void *objects[1] = {object};

    return FsRtlCancellableWaitForMultipleObjects(1, objects, WaitAny, timeout, NULL, irp);
}
