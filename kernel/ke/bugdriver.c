// Which driver a bugcheck is charged to, for the line NT's bugcheck text
// adds under the code's name ("***  foo.sys - Address ... base at ...").
// The system is stopping: the loaded-module list is read without its lock,
// every read fault-safe, and a damaged list just names no driver.

#include "ke/ke.h"
#include "mm/sysload.h"

#define KI_MAX_MODULES      4096    // a longer walk is a loop
#define KI_MAX_CHARGE_FRAMES 32     // return addresses looked at above the trap

BOOLEAN KiPcToDriver(ULONG64 pc, char *name, SIZE_T size, ULONG64 *base)
{
    ULONG64 head = (ULONG64)&PsLoadedModuleList, link = 0;
    BOOLEAN first = TRUE;

    if (!KeReadMemorySafe(head, &link, sizeof(link)))
        return FALSE;
    for (ULONG count = 0; link != head && count < KI_MAX_MODULES; count++, first = FALSE) {
        KLDR_DATA_TABLE_ENTRY entry;
        WCHAR buffer[64];
        USHORT length;

        if (!KeReadMemorySafe(link - FIELD_OFFSET(KLDR_DATA_TABLE_ENTRY, InLoadOrderLinks),
                              &entry, sizeof(entry)))
            return FALSE;
        link = (ULONG64)entry.InLoadOrderLinks.Flink;
        // nt, always first, is the kernel, not a driver.
        if (first || pc < (ULONG64)entry.DllBase ||
            pc - (ULONG64)entry.DllBase >= entry.SizeOfImage)
            continue;
        length = entry.BaseDllName.Length / sizeof(WCHAR);
        if (length > ARRAYSIZE(buffer))
            length = ARRAYSIZE(buffer);
        if (length >= size)
            length = (USHORT)(size - 1);
        if (!KeReadMemorySafe((ULONG64)entry.BaseDllName.Buffer, buffer, length * sizeof(WCHAR)))
            length = 0;
        for (USHORT i = 0; i < length; i++)
            name[i] = buffer[i] >= 0x20 && buffer[i] < 0x7F ? (char)buffer[i] : '?';
        name[length] = '\0';
        *base = (ULONG64)entry.DllBase;
        return TRUE;
    }
    return FALSE;
}

// The trap's own rip when it is in a driver (a driver's fault); else the
// first return address in a driver on the frame chain above it (a driver
// that called KeBugCheckEx, or an nt routine that bugchecked on its behalf).
BOOLEAN KiFindBugCheckDriver(const KTRAP_FRAME *frame, ULONG64 *address, char *name,
                             SIZE_T size, ULONG64 *base)
{
    ULONG64 rbp = frame->Rbp;

    if (KiPcToDriver(frame->Rip, name, size, base)) {
        *address = frame->Rip;
        return TRUE;
    }
    for (ULONG i = 0; i < KI_MAX_CHARGE_FRAMES && rbp && !(rbp & 7); i++) {
        ULONG64 record[2];      // the caller's rbp, the return address

        if (!KeReadMemorySafe(rbp, record, sizeof(record)))
            return FALSE;
        if (KiPcToDriver(record[1], name, size, base)) {
            *address = record[1];
            return TRUE;
        }
        if (record[0] <= rbp)
            return FALSE;
        rbp = record[0];
    }
    return FALSE;
}
