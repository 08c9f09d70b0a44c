// The in-kernel tests' look into PsLoadedModuleList (ktldr.h).

#include "tests/kernel/ktldr.h"
#include "rtl/rtl.h"

KLDR_DATA_TABLE_ENTRY *KtFindLoadedModule(const char *name)
{
    for (LIST_ENTRY *link = PsLoadedModuleList.Flink; link != &PsLoadedModuleList;
         link = link->Flink) {
        KLDR_DATA_TABLE_ENTRY *entry =
            CONTAINING_RECORD(link, KLDR_DATA_TABLE_ENTRY, InLoadOrderLinks);
        USHORT length = entry->BaseDllName.Length / sizeof(WCHAR);
        BOOLEAN same = length == strlen(name);

        for (USHORT i = 0; same && i < length; i++)
            same = entry->BaseDllName.Buffer[i] == (WCHAR)name[i];
        if (same)
            return entry;
    }
    return NULL;
}
