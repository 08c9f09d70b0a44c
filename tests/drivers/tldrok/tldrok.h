// What tldrok's DriverEntry returns when one of its checks fails: each kind
// of relocation has its own code, so a test's failure names the kind.
#pragma once

#define TLDR_STATUS_BSS             ((NTSTATUS)0xE0000001L)
#define TLDR_STATUS_CODE_POINTER    ((NTSTATUS)0xE0000002L)
#define TLDR_STATUS_DATA_POINTER    ((NTSTATUS)0xE0000003L)
#define TLDR_STATUS_IMPORT_POINTER  ((NTSTATUS)0xE0000004L)
#define TLDR_STATUS_IMPORT_CALL     ((NTSTATUS)0xE0000005L)
#define TLDR_STATUS_IMPORT_DATA     ((NTSTATUS)0xE0000006L)
