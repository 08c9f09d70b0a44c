// The executive's system services that belong to no other component.
#pragma once

#include "rtl/rtl.h"

// Prints a counted UTF-16 string from user mode on the consoles (characters
// beyond Latin-1 print as '?'). STATUS_ACCESS_VIOLATION for a bad pointer.
NTSTATUS NtDisplayString(UNICODE_STRING *string);
