// The test drivers' devices and control codes (tests/kernel/ktio.c), shared
// by the in-kernel I/O tests and the user-mode program tio. Needs
// ndk/ntioapi.h (CTL_CODE) first.
#pragma once

#define KTIO_SYNC_DEVICE   u"\\Device\\KtIoSync"     // completes every request at once
#define KTIO_PEND_DEVICE   u"\\Device\\KtIoPend"     // holds reads and ioctls, cancellable
#define KTIO_FAIL_DEVICE   u"\\Device\\KtIoFail"     // fails every request but create
#define KTIO_STACK_DEVICE  u"\\Device\\KtIoBottom"   // three devices deep
#define KTIO_SYNC_LINK     u"\\??\\KtIoSync"

// Files the sync device knows by name (FileName after the device's).
#define KTIO_NAME_NO_SUCH_FILE u"\\missing"          // create: STATUS_OBJECT_NAME_NOT_FOUND
#define KTIO_SYNC_END_OF_FILE  0x100000ULL           // reads past it: STATUS_END_OF_FILE

#define KTIO_DEVICE_TYPE 0x8123
// Buffered echo: the input copied to the output, Information the shorter.
#define IOCTL_KTIO_ECHO \
    CTL_CODE(KTIO_DEVICE_TYPE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
// The same with the caller's own buffers (the driver copies in the caller).
#define IOCTL_KTIO_ECHO_NEITHER \
    CTL_CODE(KTIO_DEVICE_TYPE, 0x801, METHOD_NEITHER, FILE_ANY_ACCESS)
// Succeed only through a handle with read / write access.
#define IOCTL_KTIO_NEEDS_READ \
    CTL_CODE(KTIO_DEVICE_TYPE, 0x802, METHOD_BUFFERED, FILE_READ_ACCESS)
#define IOCTL_KTIO_NEEDS_WRITE   CTL_CODE(KTIO_DEVICE_TYPE, 0x803, METHOD_BUFFERED, \
                                          FILE_WRITE_ACCESS)
#define IOCTL_KTIO_DIRECT        CTL_CODE(KTIO_DEVICE_TYPE, 0x804, METHOD_OUT_DIRECT, \
                                          FILE_ANY_ACCESS)
// The last create the sync device saw (KTIO_CREATE_RECORD).
#define IOCTL_KTIO_LAST_CREATE \
    CTL_CODE(KTIO_DEVICE_TYPE, 0x805, METHOD_BUFFERED, FILE_ANY_ACCESS)
// Pend device: how many requests it holds (a ULONG out), and complete them
// all with the NTSTATUS given in (filling reads with 0x5A).
#define IOCTL_KTIO_HELD_COUNT \
    CTL_CODE(KTIO_DEVICE_TYPE, 0x806, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_KTIO_COMPLETE_HELD \
    CTL_CODE(KTIO_DEVICE_TYPE, 0x807, METHOD_BUFFERED, FILE_ANY_ACCESS)
// Pend device: held like a read; the second one with no cancel routine
// (a driver that ignores cancellation).
#define IOCTL_KTIO_HOLD \
    CTL_CODE(KTIO_DEVICE_TYPE, 0x808, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_KTIO_HOLD_UNCANCELLABLE \
    CTL_CODE(KTIO_DEVICE_TYPE, 0x809, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef struct _KTIO_CREATE_RECORD {
    ULONG Options;              // disposition << 24 | options
    USHORT FileAttributes;
    USHORT ShareAccess;
    ACCESS_MASK DesiredAccess;
    ULONG NameLength;           // bytes
    WCHAR Name[64];
} KTIO_CREATE_RECORD;

// The sync device's directory: three entries, one name per entry.
#define KTIO_DIRECTORY_ENTRIES 3
