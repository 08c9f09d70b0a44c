// !vm with the case study's 30,000 zombies: processes that have exited
// but are still referenced, each a row of the per-process list. The figure
// is the instructions per listed process of one whole !vm (the walk of
// PsActiveProcessHead, the sort by commit and Cid, and the formatting),
// with the output captured and no console, so it is the debugger's own
// cost; the capture is checked to hold every zombie once.

#include "tests/kernel/kbench.h"
#include "kd/kd.h"
#include "ps/ps.h"
#include "arch/x86_64/hal.h"
#include "arch/x86_64/x86.h"

#define KB_VM_ZOMBIES 30000
#define KB_VM_SAMPLES 3
#define KB_VM_ROW_BYTES 64              // "         Cid image  commit (  Kb)\n", with room
#define KB_VM_TAG POOL_TAG('K', 'b', 'c', 'h')
#define KB_VM_IMAGE "KbZombie.exe"

static void KbZombieMain(void *context)
{
}

static ULONG KbCount(const char *text, const char *needle)
{
    size_t length = strlen(needle);
    ULONG count = 0;

    for (; *text; text++) {
        if (!strncmp(text, needle, length))
            count++;
    }
    return count;
}

void KbVmZombies(ULONG64 *samples)
{
    SIZE_T captureSize = (KB_VM_ZOMBIES + 1024) * KB_VM_ROW_BYTES;
    EPROCESS **zombies = ExAllocatePoolWithTag(NonPagedPool, KB_VM_ZOMBIES * sizeof(EPROCESS *),
                                               KB_VM_TAG);
    char *capture = ExAllocatePoolWithTag(NonPagedPool, captureSize, KB_VM_TAG);
    static char line[] = "!vm";
    BOOLEAN serial, screen;
    ULONG made = 0, rows = 0;

    if (!zombies || !capture) {
        DbgPrint("BENCH error: kd-vm-per-process: no memory for the capture\n");
        goto out;
    }
    for (; made < KB_VM_ZOMBIES; made++) {
        ETHREAD *thread = NULL;

        if (!NT_SUCCESS(PspCreateProcess(KB_VM_IMAGE, PsInitialSystemProcess,
                                         NORMAL_BASE_PRIORITY, &zombies[made])))
            break;
        if (!NT_SUCCESS(PsCreateSystemThreadEx(zombies[made], KbZombieMain, NULL, 8, NULL,
                                               &thread))) {
            ObDereferenceObject(zombies[made]);
            break;
        }
        KeWaitForSingleObject(&thread->Tcb, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(thread);
    }
    if (made < KB_VM_ZOMBIES) {
        DbgPrint("BENCH error: kd-vm-per-process: %u zombies made, not %u\n", made,
                 KB_VM_ZOMBIES);
        goto out;
    }
    for (ULONG i = 0; i < made; i++)
        KeWaitForSingleObject(&zombies[i]->Pcb, Executive, KernelMode, FALSE, NULL);
    HalQueryConsoles(&serial, &screen);
    HalSelectConsoles(FALSE, FALSE);
    for (ULONG i = 0; i < KB_VM_SAMPLES; i++) {
        ULONG64 begin = __rdtsc();

        KdpSetOutputCapture(capture, captureSize);
        KdpExecuteLine(line);
        KdpSetOutputCapture(NULL, 0);
        rows = KbCount(capture, " " KB_VM_IMAGE " ");
        samples[i] = (__rdtsc() - begin) / made;
    }
    HalSelectConsoles(serial, screen);
    if (rows != made)
        DbgPrint("BENCH error: kd-vm-per-process: %u rows for %u zombies\n", rows, made);
    else
        KbReport("kd-vm-per-process", samples, KB_VM_SAMPLES, "cycles/process");
out:
    for (ULONG i = 0; i < made; i++)
        ObDereferenceObject(zombies[i]);
    if (zombies)
        ExFreePoolWithTag(zombies, KB_VM_TAG);
    if (capture)
        ExFreePoolWithTag(capture, KB_VM_TAG);
}
