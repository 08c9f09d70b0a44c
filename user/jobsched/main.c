// jobsched.exe: exercise 002's job scheduler (kernel/kd/ex002.c), started
// under one of several image names (user/aliases.txt). It runs COUNT short
// jobs, one after the other, each a program from its list; for a job that
// fails it runs the crash reporter, WerFault.exe, as WER would. The bug: it
// never closes a job's process handle, so every job that has ended stays a
// zombie (an EPROCESS still referenced, on the active process list, with
// no address space), crash reporters among them. Then it waits for the
// next schedule.
//
//   IMAGE COUNT FAILEVERY SEED JOB...    runs COUNT jobs; about one in
//                                        FAILEVERY fails; SEED varies the order

#include "user/include/cmdline.h"

#define SCHED_FIRST_JOB 4
#define SCHED_CRASH_REPORTER "WerFault.exe"

static ULONG64 SchedRandom;

static ULONG SchedNext(ULONG bound)
{
    SchedRandom ^= SchedRandom << 13;
    SchedRandom ^= SchedRandom >> 7;
    SchedRandom ^= SchedRandom << 17;
    return (ULONG)(SchedRandom % bound);
}

// Runs IMAGE with its command line and waits for it to end; the process
// handle is kept (the leak). Its exit status in *exitStatus, its Cid in *cid.
static NTSTATUS SchedRun(const char *image, const char *arguments, NTSTATUS *exitStatus,
                         ULONG_PTR *cid)
{
    PROCESS_BASIC_INFORMATION information;
    UNICODE_STRING imageName, commandLine;
    WCHAR wideImage[32], wideLine[64];
    char line[64];
    HANDLE process;
    NTSTATUS status;

    snprintf(line, sizeof(line), "%s%s%s", image, arguments[0] ? " " : "", arguments);
    CmdLineWiden(image, wideImage, 32);
    CmdLineWiden(line, wideLine, 64);
    RtlInitUnicodeString(&imageName, wideImage);
    RtlInitUnicodeString(&commandLine, wideLine);
    status = NtCreateProcessFromArchive(&process, NULL, PROCESS_ALL_ACCESS, 0, NULL, &imageName,
                                        &commandLine, 0, NULL);
    if (!NT_SUCCESS(status))
        return status;
    NtWaitForSingleObject(process, FALSE, NULL);
    status = NtQueryInformationProcess(process, ProcessBasicInformation, &information,
                                       sizeof(information), NULL);
    *exitStatus = NT_SUCCESS(status) ? information.ExitStatus : status;
    *cid = NT_SUCCESS(status) ? information.UniqueProcessId : 0;
    return STATUS_SUCCESS;      // and `process` stays open
}

int main(void)
{
    LARGE_INTEGER schedule = {.QuadPart = -3600LL * 1000 * 10000};
    CMDLINE line;
    ULONG count, failEvery, jobs;
    NTSTATUS status, exitStatus;
    ULONG_PTR cid;

    CmdLineParse(&line);
    count = CmdLineNumber(&line, 1);
    failEvery = CmdLineNumber(&line, 2);
    SchedRandom = CmdLineNumber(&line, 3) | 1;
    jobs = line.Count > SCHED_FIRST_JOB ? line.Count - SCHED_FIRST_JOB : 0;
    if (!jobs || !failEvery) {
        printf("jobsched: usage: jobsched COUNT FAILEVERY SEED JOB...\n");
        return STATUS_INVALID_PARAMETER;
    }
    for (ULONG run = 0; run < count; run++) {
        const char *job = line.Words[SCHED_FIRST_JOB + SchedNext(jobs)];
        char pid[24];

        status = SchedRun(job, SchedNext(failEvery) ? "" : "fail", &exitStatus, &cid);
        if (!NT_SUCCESS(status)) {
            printf("jobsched: cannot run %s: %08x\n", job, (ULONG)status);
            break;
        }
        if (NT_SUCCESS(exitStatus))
            continue;
        snprintf(pid, sizeof(pid), "-u -p %llu", (unsigned long long)cid);
        if (NT_SUCCESS(SchedRun(SCHED_CRASH_REPORTER, pid, &exitStatus, &cid)))
            run++;          // the report counts as a job run
    }
    for (;;)
        NtDelayExecution(FALSE, &schedule);
}
