// ubench.exe: the user-mode benchmarks `make bench` runs (the kernel starts
// this program when booted with `bench`). Each prints
// "BENCH <name> <median> cycles (...)" like the in-kernel ones; under QEMU's
// -icount the TSC counts instructions. `ubench exit` only exits: it is the
// program the process-creation benchmark starts.

#include "user/include/runtime.h"

#define UBENCH_SYSCALL_ROUNDS 10000
#define UBENCH_CREATE_ROUNDS  100

static ULONG64 UbSamples[UBENCH_SYSCALL_ROUNDS];

static inline ULONG64 UbReadTsc(void)
{
    ULONG high, low;

    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
    return ((ULONG64)high << 32) | low;
}

static void UbSort(ULONG64 *values, ULONG count)
{
    for (ULONG gap = count / 2; gap > 0; gap /= 2) {
        for (ULONG i = gap; i < count; i++) {
            ULONG64 value = values[i];
            ULONG j = i;

            for (; j >= gap && values[j - gap] > value; j -= gap)
                values[j] = values[j - gap];
            values[j] = value;
        }
    }
}

static void UbReport(const char *name, ULONG count)
{
    UbSort(UbSamples, count);
    printf("BENCH %s %llu cycles (median of %u; min %llu, p90 %llu)\n", name,
           (unsigned long long)UbSamples[count / 2], count, (unsigned long long)UbSamples[0],
           (unsigned long long)UbSamples[count * 9 / 10]);
}

// The cheapest round trip there is: NtTestAlert with nothing pending.
static void UbNullSystemCall(void)
{
    for (ULONG i = 0; i < UBENCH_SYSCALL_ROUNDS; i++) {
        ULONG64 start = UbReadTsc();

        NtTestAlert();
        UbSamples[i] = UbReadTsc() - start;
    }
    UbReport("user-null-syscall", UBENCH_SYSCALL_ROUNDS);
}

static NTSTATUS NTAPI UbEmptyThread(PVOID argument)
{
    return STATUS_SUCCESS;
}

// Create a thread, let it run to its end, wait for it and close it.
static BOOLEAN UbThreadCreation(void)
{
    for (ULONG i = 0; i < UBENCH_CREATE_ROUNDS; i++) {
        ULONG64 start = UbReadTsc();
        HANDLE thread;
        NTSTATUS status = NtCreateThreadEx(&thread, THREAD_ALL_ACCESS, NULL, NtCurrentProcess(),
                                           (PVOID)UbEmptyThread, NULL, 0, 0, 0, 0, NULL);

        if (!NT_SUCCESS(status)) {
            printf("ubench: NtCreateThreadEx failed: %08x\n", (ULONG)status);
            return FALSE;
        }
        NtWaitForSingleObject(thread, FALSE, NULL);
        NtClose(thread);
        UbSamples[i] = UbReadTsc() - start;
    }
    UbReport("user-thread-create-exit", UBENCH_CREATE_ROUNDS);
    return TRUE;
}

// Start `ubench exit` from the archive, wait for it to end and close it.
static BOOLEAN UbProcessCreation(void)
{
    UNICODE_STRING image = {0, 0, NULL};
    UNICODE_STRING commandLine = {0, 0, NULL};

    RtlInitUnicodeString(&image, u"ubench");
    RtlInitUnicodeString(&commandLine, u"ubench exit");
    for (ULONG i = 0; i < UBENCH_CREATE_ROUNDS; i++) {
        ULONG64 start = UbReadTsc();
        HANDLE process;
        NTSTATUS status = NtCreateProcessFromArchive(&process, NULL, PROCESS_ALL_ACCESS, 0, NULL,
                                                     &image, &commandLine, 0, NULL);

        if (!NT_SUCCESS(status)) {
            printf("ubench: NtCreateProcessFromArchive failed: %08x\n", (ULONG)status);
            return FALSE;
        }
        NtWaitForSingleObject(process, FALSE, NULL);
        NtClose(process);
        UbSamples[i] = UbReadTsc() - start;
    }
    UbReport("user-process-create-exit", UBENCH_CREATE_ROUNDS);
    return TRUE;
}

int main(void)
{
    const UNICODE_STRING *commandLine = &NtCurrentPeb()->ProcessParameters->CommandLine;
    UNICODE_STRING exitWord = {0, 0, NULL};
    BOOLEAN ok;

    // "ubench exit": the process-creation benchmark's child.
    RtlInitUnicodeString(&exitWord, u"exit");
    if (commandLine->Length > exitWord.Length) {
        UNICODE_STRING tail = {exitWord.Length, exitWord.Length,
                               commandLine->Buffer + (commandLine->Length - exitWord.Length) /
                                                         sizeof(WCHAR)};

        if (RtlCompareUnicodeString(&tail, &exitWord, TRUE) == 0)
            return 0;
    }
    UbNullSystemCall();
    ok = UbThreadCreation();
    ok = UbProcessCreation() && ok;
    return ok ? 0 : 1;
}
