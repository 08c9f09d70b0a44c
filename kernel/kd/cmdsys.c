// System commands: version, r (registers), k (stack), .reboot and .crash;
// !vm's table entry (the command is in cmdvm.c).

#include "kd/kd.h"
#include "ke/ke.h"
#include "mm/mm.h"
#include "arch/x86_64/hal.h"


static KD_COMMAND_RESULT KdpVersion(int argc, char **argv)
{
    ULONG64 seconds = KeTickCount * CLOCK_TICK_MICROSECONDS / 1000000;

    KdpPrint("Sleuth 0.1 x86-64 kernel, linked %s\n", KdpBuildTime);
    KdpPrint("Boot loader: %s (%s); command line: \"%s\"\n", KeLoaderBlock.BootLoaderName,
             KeLoaderBlock.EfiBoot ? "UEFI" : "BIOS", KeLoaderBlock.CommandLine);
    KdpPrint("Processors: %u; clock tick %llu us; ticks since boot %llu (%llu s)\n",
             KeNumberProcessors, (unsigned long long)CLOCK_TICK_MICROSECONDS,
             (unsigned long long)KeTickCount, (unsigned long long)seconds);
    KdpPrint("Consoles: serial %s, display %s\n", HalSerialPresent() ? "COM1" : "none",
             HalDisplayDescription());
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpRegisters(int argc, char **argv)
{
    if (argc > 2) {
        KdpPrint("Usage: r [register]\n");
        return KdCommandContinue;
    }
    if (!KdpState.TrapFrame) {
        KdpPrint("No register context\n");
        return KdCommandContinue;
    }
    if (argc == 2) {
        ULONG64 value;

        if (!KdpReadRegister(argv[1], &value)) {
            KdpPrint("Bad register error at '%s'\n", argv[1]);
            return KdCommandContinue;
        }
        KdpPrint("%s=%016llx\n", argv[1], (unsigned long long)value);
        return KdCommandContinue;
    }
    if (KdpState.ScopeFrame) {
        // `.frame N`: that frame's registers, as recovered by the unwind.
        KdpPrintRegisters(KdpState.ScopeFrame);
        return KdCommandContinue;
    }
    KdpPrintRegisters(KdpState.TrapFrame);
    if (KdpState.ContextThread)
        KdpPrint("(thread %016llx as switched out: rax rcx rdx rsi rdi r8-r11 are unknown, "
                 "shown as 0)\n", (unsigned long long)KdpState.ContextThread);
    return KdCommandContinue;
}

static KD_COMMAND_RESULT KdpReboot(int argc, char **argv)
{
    KdpPrint("Rebooting...\n");
    HalReboot();
}

static KD_COMMAND_RESULT KdpCrash(int argc, char **argv)
{
    if (KiBugCheckData.Active) {
        KdpPrint("The system has already crashed (bugcheck %08X)\n", KiBugCheckData.Code);
        return KdCommandContinue;
    }
    return KdCommandCrash;
}

const KD_COMMAND KdpSystemCommands[] = {
    { "version", KdpVersion, "version", "show the kernel version, boot loader and consoles" },
    { "r", KdpRegisters, "r [register]",
      "show the registers of the current context (entry or .thread), or one of them" },
    { "k", KdpStack, "k [frames]",
      "show the stack (Child-SP, RetAddr, Call Site) of the current context" },
    { "kb", KdpStack, "kb [frames]", "the stack with each frame's Args to Child" },
    { "kn", KdpStack, "kn [frames]", "the stack with frame numbers" },
    { "kv", KdpStack, "kv [frames]", "as kb (on x64 the trap frames are named in every k)" },
    { "kp", KdpStack, "kp [frames]",
      "the stack with each function's parameters: type, name and value from the build's "
      "DWARF (<value unavailable> where the frame's registers do not keep it)" },
    { "kP", KdpStack, "kP [frames]", "as kp, each parameter on a line of its own" },
    { ".frame", KdpSetFrame, ".frame [/r] [N]",
      "make frame N (hex, as kn numbers it) the scope of r and @registers; /r: its registers" },
    { "!vm", KdpVirtualMemory, "!vm [Flags]",
      "physical memory by use, pool totals, then each process's commit (Cid, image, "
      "pages), zombies included; Flags 1: without the processes" },
    { ".reboot", KdpReboot, ".reboot", "restart the machine" },
    { ".crash", KdpCrash, ".crash",
      "bug check the system on purpose (MANUALLY_INITIATED_CRASH, 0xE2)" },
    { NULL, NULL, NULL, NULL },
};
