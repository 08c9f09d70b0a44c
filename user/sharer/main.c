// sharer.exe: two copies of it share a named section and named events, the
// classic picture of two processes talking through shared memory. Start
// two (GRUB's "two processes share memory" entry: run=sharer,sharer) and
// look at them with !process, !handle and !object.
//
// Whichever copy creates the section first writes a greeting into it and
// sets the Ready event; the other opens the same objects (OBJ_OPENIF says
// STATUS_OBJECT_NAME_EXISTS), waits for Ready, reads the greeting through
// its own view and writes an answer. Then both wait on the Quit event,
// which nobody sets: they stay for the debugger to find.

#include "user/include/runtime.h"

#define SHARER_SECTION_SIZE 0x10000
#define SHARER_READY_TIMEOUT_MS 5000

typedef struct _SHARED_PAGE {
    char Greeting[128];
    char Answer[128];
} SHARED_PAGE;

static NTSTATUS SharerOpen(const WCHAR *path, HANDLE *section, HANDLE *ready, HANDLE *quit,
                           BOOLEAN *creator)
{
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    LARGE_INTEGER size = {.QuadPart = SHARER_SECTION_SIZE};
    NTSTATUS status;

    RtlInitUnicodeString(&name, path);
    InitializeObjectAttributes(&attributes, &name, OBJ_OPENIF, NULL, NULL);
    status = NtCreateSection(section, SECTION_ALL_ACCESS, &attributes, &size, PAGE_READWRITE,
                             SEC_COMMIT, NULL);
    if (!NT_SUCCESS(status))
        return status;
    *creator = status != STATUS_OBJECT_NAME_EXISTS;
    RtlInitUnicodeString(&name, u"\\BaseNamedObjects\\SleuthSharedReady");
    status = NtCreateEvent(ready, EVENT_ALL_ACCESS, &attributes, NotificationEvent, FALSE);
    if (!NT_SUCCESS(status))
        return status;
    RtlInitUnicodeString(&name, u"\\BaseNamedObjects\\SleuthSharedQuit");
    return NtCreateEvent(quit, EVENT_ALL_ACCESS, &attributes, NotificationEvent, FALSE);
}

int main(void)
{
    HANDLE section, ready, quit;
    SHARED_PAGE *page = NULL;
    SIZE_T viewSize = 0;
    BOOLEAN creator;
    HANDLE self = NtCurrentTeb()->ClientId.UniqueProcess;
    NTSTATUS status = SharerOpen(u"\\BaseNamedObjects\\SleuthSharedSection", &section, &ready,
                                 &quit, &creator);

    if (!NT_SUCCESS(status)) {
        printf("sharer: could not create or open the shared objects: status %08x\n",
               (ULONG)status);
        return status;
    }
    status = NtMapViewOfSection(section, NtCurrentProcess(), (PVOID *)&page, 0, 0, NULL,
                                &viewSize, ViewUnmap, 0, PAGE_READWRITE);
    if (!NT_SUCCESS(status)) {
        printf("sharer: could not map the section: status %08x\n", (ULONG)status);
        return status;
    }
    if (creator) {
        snprintf(page->Greeting, sizeof(page->Greeting), "hello from process %llx",
                 (unsigned long long)(ULONG_PTR)self);
        printf("sharer %llx: created the section, view at %p; wrote \"%s\"\n",
               (unsigned long long)(ULONG_PTR)self, (void *)page, page->Greeting);
        NtSetEvent(ready, NULL);
    } else {
        LARGE_INTEGER timeout = {.QuadPart = -(LONGLONG)SHARER_READY_TIMEOUT_MS * 10000};

        status = NtWaitForSingleObject(ready, FALSE, &timeout);
        if (status != STATUS_SUCCESS) {
            printf("sharer: the other process never said it was ready: status %08x\n",
                   (ULONG)status);
            return status;
        }
        snprintf(page->Answer, sizeof(page->Answer), "process %llx read: %s",
                 (unsigned long long)(ULONG_PTR)self, page->Greeting);
        printf("sharer %llx: opened the section, view at %p; read \"%s\"\n",
               (unsigned long long)(ULONG_PTR)self, (void *)page, page->Greeting);
    }
    status = NtWaitForSingleObject(quit, FALSE, NULL);
    printf("sharer %llx: quit (%08x)\n", (unsigned long long)(ULONG_PTR)self, (ULONG)status);
    return 0;
}
