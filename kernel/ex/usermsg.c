// The posted-message queue of a thread: the part of win32k's THREADINFO a
// message loop waits on (ndk/ntuser.h). A thread gets its THREADINFO, as
// KTHREAD.Win32Thread, on its first NtUserGetMessage, as NT converts a
// thread to a GUI thread on its first USER call; NtUserPostThreadMessage
// appends to it; the thread's exit (ExUserThreadExit) frees it. One spin
// lock guards every queue and every Win32Thread pointer: posts are rare.

#include "ex/ex.h"
#include "mm/mm.h"
#include "ndk/ntuser.h"

#define USER_QUEUE_TAG   POOL_TAG('U', 's', 't', 'i')   // THREADINFO
#define USER_MESSAGE_TAG POOL_TAG('U', 's', 'q', 'm')   // a posted message

typedef struct _THREADINFO {
    ETHREAD *pEThread;
    KEVENT MessageEvent;        // set when a message is posted (SynchronizationEvent)
    LIST_ENTRY PostedMessages;  // USER_POSTED_MESSAGEs, oldest first
    ULONG PostedCount;
} THREADINFO;

typedef struct _USER_POSTED_MESSAGE {
    LIST_ENTRY Links;
    MSG Msg;
} USER_POSTED_MESSAGE;

static KSPIN_LOCK ExpUserQueueLock;

static BOOLEAN ExpMessageMatches(const MSG *msg, ULONG filterMin, ULONG filterMax)
{
    if (filterMin == 0 && filterMax == 0)
        return TRUE;
    return msg->message >= filterMin && msg->message <= filterMax;
}

// The calling thread's THREADINFO, made on first use; NULL without pool.
static THREADINFO *ExpGetThreadInfo(ETHREAD *thread)
{
    THREADINFO *info = thread->Tcb.Win32Thread;
    KIRQL oldIrql;

    if (info)
        return info;
    info = ExAllocatePoolWithTag(NonPagedPool, sizeof(*info), USER_QUEUE_TAG);
    if (!info)
        return NULL;
    info->pEThread = thread;
    KeInitializeEvent(&info->MessageEvent, SynchronizationEvent, FALSE);
    InitializeListHead(&info->PostedMessages);
    info->PostedCount = 0;
    KeAcquireSpinLock(&ExpUserQueueLock, &oldIrql);
    thread->Tcb.Win32Thread = info;
    KeReleaseSpinLock(&ExpUserQueueLock, oldIrql);
    return info;
}

// Takes the first message that passes the filter off the queue, or NULL.
static USER_POSTED_MESSAGE *ExpRemoveMessage(THREADINFO *info, ULONG filterMin, ULONG filterMax)
{
    USER_POSTED_MESSAGE *found = NULL;
    KIRQL oldIrql;

    KeAcquireSpinLock(&ExpUserQueueLock, &oldIrql);
    for (LIST_ENTRY *entry = info->PostedMessages.Flink; entry != &info->PostedMessages;
         entry = entry->Flink) {
        USER_POSTED_MESSAGE *posted = CONTAINING_RECORD(entry, USER_POSTED_MESSAGE, Links);

        if (ExpMessageMatches(&posted->Msg, filterMin, filterMax)) {
            RemoveEntryList(&posted->Links);
            info->PostedCount--;
            found = posted;
            break;
        }
    }
    KeReleaseSpinLock(&ExpUserQueueLock, oldIrql);
    return found;
}

NTSTATUS NtUserGetMessage(MSG *message, HWND window, ULONG filterMin, ULONG filterMax)
{
    ETHREAD *thread = PsGetCurrentThread();
    USER_POSTED_MESSAGE *posted;
    THREADINFO *info;
    NTSTATUS status;

    status = ProbeForWrite(message, sizeof(*message), sizeof(ULONG));
    if (!NT_SUCCESS(status))
        return status;
    if (window)
        return STATUS_INVALID_HANDLE;
    info = ExpGetThreadInfo(thread);
    if (!info)
        return STATUS_INSUFFICIENT_RESOURCES;
    // The event only says "something was posted": each wake looks again,
    // and a message the filter leaves stays for a later call.
    while (!(posted = ExpRemoveMessage(info, filterMin, filterMax))) {
        status = KeWaitForSingleObject(&info->MessageEvent, WrUserRequest, UserMode, FALSE,
                                       NULL);
        if (status != STATUS_SUCCESS)
            return status;
    }
    status = MmCopyToUser(message, &posted->Msg, sizeof(posted->Msg));
    ExFreePoolWithTag(posted, USER_MESSAGE_TAG);
    return status;
}

NTSTATUS NtUserPostThreadMessage(ULONG threadId, ULONG message, WPARAM wParam, LPARAM lParam)
{
    USER_POSTED_MESSAGE *posted;
    THREADINFO *info;
    ETHREAD *thread;
    NTSTATUS status;
    KIRQL oldIrql;

    status = PsLookupThreadByThreadId((HANDLE)(ULONG_PTR)threadId, &thread);
    if (!NT_SUCCESS(status))
        return STATUS_INVALID_CID;
    posted = ExAllocatePoolWithTag(NonPagedPool, sizeof(*posted), USER_MESSAGE_TAG);
    if (!posted) {
        ObDereferenceObject(thread);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memset(&posted->Msg, 0, sizeof(posted->Msg));
    posted->Msg.message = message;
    posted->Msg.wParam = wParam;
    posted->Msg.lParam = lParam;
    posted->Msg.time = (ULONG)(KeTickCount * (KeMaximumIncrement / 10000));
    KeAcquireSpinLock(&ExpUserQueueLock, &oldIrql);
    info = thread->Tcb.Win32Thread;
    if (!info) {
        status = STATUS_INVALID_CID;
    } else if (info->PostedCount >= USER_POST_MESSAGE_LIMIT) {
        status = STATUS_QUOTA_EXCEEDED;
    } else {
        InsertTailList(&info->PostedMessages, &posted->Links);
        info->PostedCount++;
        KeSetEvent(&info->MessageEvent, IO_NO_INCREMENT, FALSE);
        posted = NULL;
    }
    KeReleaseSpinLock(&ExpUserQueueLock, oldIrql);
    if (posted)
        ExFreePoolWithTag(posted, USER_MESSAGE_TAG);
    ObDereferenceObject(thread);
    return status;
}

void ExUserThreadExit(ETHREAD *thread)
{
    THREADINFO *info;
    KIRQL oldIrql;

    KeAcquireSpinLock(&ExpUserQueueLock, &oldIrql);
    info = thread->Tcb.Win32Thread;
    thread->Tcb.Win32Thread = NULL;
    KeReleaseSpinLock(&ExpUserQueueLock, oldIrql);
    if (!info)
        return;
    while (!IsListEmpty(&info->PostedMessages)) {
        LIST_ENTRY *entry = RemoveHeadList(&info->PostedMessages);

        ExFreePoolWithTag(CONTAINING_RECORD(entry, USER_POSTED_MESSAGE, Links),
                          USER_MESSAGE_TAG);
    }
    ExFreePoolWithTag(info, USER_QUEUE_TAG);
}
