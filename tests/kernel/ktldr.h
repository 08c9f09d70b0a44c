// What the in-kernel tests of drivers ask of the loaded-module list.
#pragma once

#include "mm/sysload.h"

// The loaded module whose BaseDllName is exactly `name` (e.g. "tldrok.sys",
// "fltMgr.sys"), or NULL. Reads the list without its lock: the tests call
// it when no load or unload is under way.
KLDR_DATA_TABLE_ENTRY *KtFindLoadedModule(const char *name);
