// What the RAM file system's user tests share: short forms of the file
// services, and the lsass child the encrypted-file tests talk to.
#pragma once

#include "tests/user/utest.h"

// user/rootfs/tests/fox.txt, as packed.
#define TR_FOX "The quick brown fox jumps over the lazy dog.\n"
// user/rootfs/home/student/secret.txt, before it was enciphered.
#define TR_SECRET "The student's EFS-encrypted notes: the FEK came back from lsass.\n"

NTSTATUS TrOpen(const WCHAR *path, ACCESS_MASK access, ULONG disposition, ULONG options,
                HANDLE *file);
NTSTATUS TrRead(HANDLE file, ULONG64 offset, void *buffer, ULONG length, IO_STATUS_BLOCK *io);
NTSTATUS TrWrite(HANDLE file, ULONG64 offset, const void *buffer, ULONG length,
                 IO_STATUS_BLOCK *io);
// FileDispositionInformation: delete at the last close.
NTSTATUS TrDelete(HANDLE file);
// FileRenameInformation to a path from the volume's root.
NTSTATUS TrRename(HANDLE file, const WCHAR *path, BOOLEAN replace);
// The directory's entries, "a,b,c" (FileDirectoryInformation, a small
// buffer so that several calls are needed), from the start when `restart`.
NTSTATUS TrList(HANDLE directory, const WCHAR *pattern, BOOLEAN restart, BOOLEAN single,
                char *names, ULONG size);

// efs.c: the tests of the encrypted file, and the end of the lsass child.
void EncryptedFileNeedsLsass(void);
void EncryptedOpenWaitsForLsassOnBehalfOfTheOpener(void);
int TrKeyWaitChild(void);
int TrLsaStandIn(void);
void EncryptedFileOpensForItsUserOnly(void);
void EncryptedFileGrowsWithZeros(void);
void LsassGivesKeysToTheKernelOnly(void);
void KsecddRefusesAProgramsDeviceControl(void);
void TrStopLsass(void);
