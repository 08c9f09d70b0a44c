// init.exe: the first user process. The kernel starts it at boot with the
// programs the kernel command line names (run=a,b becomes the command line
// "init.exe a,b"). init first starts the system servers, as NT's boot starts
// the session manager and the LSA: smss.exe (\SmApiPort) and lsass.exe
// (\LsaAuthenticationPort), which run for good; then each program named,
// from the boot archive; it reports when each program exits, and stays.
//
// init keeps the handle of every program it started, also after the program
// exits: so an exited program stays in `!process` as a zombie with its exit
// status, which is what the case studies show and students look for.
//
// Once every program it started has exited, init sets the kernel's
// \KernelObjects\InitialProgramsDone event: the kernel waits for it (a few
// seconds at most) before the initial break-in, so that what short programs
// print comes before the kd> prompt.

#include "user/include/runtime.h"

#define INIT_MAXIMUM_PROGRAMS 16
#define INIT_NAME_LENGTH 32

typedef struct _INIT_PROGRAM {
    char Name[INIT_NAME_LENGTH];
    HANDLE Process;
    CLIENT_ID ClientId;
    BOOLEAN Exited;
} INIT_PROGRAM;

static INIT_PROGRAM InitPrograms[INIT_MAXIMUM_PROGRAMS];
static ULONG InitProgramCount;

// The servers every boot starts; init does not wait for them.
static INIT_PROGRAM InitServers[] = {{.Name = "smss"}, {.Name = "lsass"}};

// Splits the command line into program names: separated by spaces or
// commas, the first word (init's own name) skipped.
static void InitParseCommandLine(const UNICODE_STRING *commandLine)
{
    ULONG length = commandLine->Length / sizeof(WCHAR);
    BOOLEAN first = TRUE;
    ULONG i = 0;

    while (i < length) {
        char name[INIT_NAME_LENGTH];
        ULONG n = 0;

        while (i < length && (commandLine->Buffer[i] == ' ' || commandLine->Buffer[i] == ','))
            i++;
        if (i == length)
            break;
        while (i < length && commandLine->Buffer[i] != ' ' && commandLine->Buffer[i] != ',') {
            if (n < INIT_NAME_LENGTH - 1)
                name[n++] = (char)commandLine->Buffer[i];
            i++;
        }
        name[n] = '\0';
        if (first) {
            first = FALSE;
            continue;
        }
        if (InitProgramCount == INIT_MAXIMUM_PROGRAMS) {
            printf("init: more than %d programs; %s and the rest are not started\n",
                   INIT_MAXIMUM_PROGRAMS, name);
            break;
        }
        memcpy(InitPrograms[InitProgramCount++].Name, name, n + 1);
    }
}

static void InitStartProgram(INIT_PROGRAM *program)
{
    WCHAR wide[INIT_NAME_LENGTH];
    UNICODE_STRING image;
    ULONG i;
    NTSTATUS status;

    for (i = 0; program->Name[i]; i++)
        wide[i] = (UCHAR)program->Name[i];
    wide[i] = 0;
    RtlInitUnicodeString(&image, wide);
    status = NtCreateProcessFromArchive(&program->Process, NULL, PROCESS_ALL_ACCESS, 0, NULL,
                                        &image, NULL, 0, &program->ClientId);
    if (!NT_SUCCESS(status)) {
        printf("init: %s could not start: status %08x\n", program->Name, (ULONG)status);
        program->Exited = TRUE;
        return;
    }
    printf("init: started %s (Cid %llx)\n", program->Name,
           (unsigned long long)(ULONG_PTR)program->ClientId.UniqueProcess);
}

// Waits until every started program has exited, reporting each.
static void InitWaitForPrograms(void)
{
    for (;;) {
        HANDLE handles[INIT_MAXIMUM_PROGRAMS];
        INIT_PROGRAM *waited[INIT_MAXIMUM_PROGRAMS];
        PROCESS_BASIC_INFORMATION info;
        ULONG count = 0;
        NTSTATUS status;

        for (ULONG i = 0; i < InitProgramCount; i++) {
            if (!InitPrograms[i].Exited) {
                waited[count] = &InitPrograms[i];
                handles[count++] = InitPrograms[i].Process;
            }
        }
        if (!count)
            return;
        status = NtWaitForMultipleObjects(count, handles, WaitAny, FALSE, NULL);
        if ((ULONG)status >= count) {
            printf("init: waiting for the programs failed: status %08x\n", (ULONG)status);
            return;
        }
        INIT_PROGRAM *program = waited[status];

        program->Exited = TRUE;
        status = NtQueryInformationProcess(program->Process, ProcessBasicInformation, &info,
                                           sizeof(info), NULL);
        if (NT_SUCCESS(status))
            printf("init: %s exited with status %08x\n", program->Name,
                   (ULONG)info.ExitStatus);
    }
}

static void InitSignalKernel(void)
{
    UNICODE_STRING name = {0, 0, NULL};
    OBJECT_ATTRIBUTES attributes;
    HANDLE event;

    RtlInitUnicodeString(&name, u"\\KernelObjects\\InitialProgramsDone");
    InitializeObjectAttributes(&attributes, &name, 0, NULL, NULL);
    if (NT_SUCCESS(NtOpenEvent(&event, EVENT_MODIFY_STATE, &attributes))) {
        NtSetEvent(event, NULL);
        NtClose(event);
    }
}

int main(void)
{
    for (ULONG i = 0; i < sizeof(InitServers) / sizeof(InitServers[0]); i++)
        InitStartProgram(&InitServers[i]);
    InitParseCommandLine(&NtCurrentPeb()->ProcessParameters->CommandLine);
    for (ULONG i = 0; i < InitProgramCount; i++)
        InitStartProgram(&InitPrograms[i]);
    InitWaitForPrograms();
    InitSignalKernel();
    // Stay, as the session manager does: wait on our own process, which is
    // signalled only when it ends.
    NtWaitForSingleObject(NtCurrentProcess(), FALSE, NULL);
    return 0;
}
