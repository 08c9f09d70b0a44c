// The security driver's interface (kernel/drivers/ksecdd): internal device
// controls on \Device\KsecDD, which only kernel components can send (a
// program's NtDeviceIoControlFile is IRP_MJ_DEVICE_CONTROL, which KSecDD
// refuses). The file system sends IOCTL_KSEC_EFS_DECRYPT_FEK from its
// post-create step when a thread opens an encrypted file.
#pragma once

#include "ndk/ntioapi.h"

#define KSEC_DEVICE_NAME u"\\Device\\KsecDD"

// Input: KSEC_EFS_DECRYPT_FEK_INPUT; output: the FEK (KSEC_FEK_LENGTH bytes).
// The caller's identity is not in the input: KSecDD takes it from the thread
// the request runs in (its impersonation token when it impersonates).
#define IOCTL_KSEC_EFS_DECRYPT_FEK \
    CTL_CODE(FILE_DEVICE_KSEC, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

#define KSEC_SID_LENGTH 68          // a SID with SID_MAX_SUB_AUTHORITIES
#define KSEC_FEK_LENGTH 16

// A file's data decryption field: its user and its key enciphered for them.
typedef struct _KSEC_EFS_DECRYPT_FEK_INPUT {
    UCHAR UserSid[KSEC_SID_LENGTH];
    UCHAR EncryptedFek[KSEC_FEK_LENGTH];
} KSEC_EFS_DECRYPT_FEK_INPUT;
