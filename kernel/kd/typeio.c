// The I/O manager's types for `dt`: the second case study reads
// `dt nt!_FILE_OBJECT ADDR FileName` by hand, and the IRP, its stack
// locations and the driver and device objects are what !irp and !devobj
// summarize. Field names, kinds and offsets come from io/iotypes.h, whose
// layouts are NT's x64 ones, so the offsets read as the seeds' do.

#include "kd/kdtype.h"
#include "io/iotypes.h"

static const KD_FIELD KdpFileObjectFields[] = {
    KD_FIELD_OF(FILE_OBJECT, Type, KdFieldShort, "Int2B"),
    KD_FIELD_OF(FILE_OBJECT, Size, KdFieldShort, "Int2B"),
    KD_FIELD_OF(FILE_OBJECT, DeviceObject, KdFieldPointer, "Ptr64 _DEVICE_OBJECT"),
    KD_FIELD_OF(FILE_OBJECT, Vpb, KdFieldPointer, "Ptr64 _VPB"),
    KD_FIELD_OF(FILE_OBJECT, FsContext, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(FILE_OBJECT, FsContext2, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(FILE_OBJECT, SectionObjectPointer, KdFieldPointer,
                "Ptr64 _SECTION_OBJECT_POINTERS"),
    KD_FIELD_OF(FILE_OBJECT, PrivateCacheMap, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(FILE_OBJECT, FinalStatus, KdFieldLong, "Int4B"),
    KD_FIELD_OF(FILE_OBJECT, RelatedFileObject, KdFieldPointer, "Ptr64 _FILE_OBJECT"),
    KD_FIELD_OF(FILE_OBJECT, LockOperation, KdFieldUchar, "UChar"),
    KD_FIELD_OF(FILE_OBJECT, DeletePending, KdFieldUchar, "UChar"),
    KD_FIELD_OF(FILE_OBJECT, ReadAccess, KdFieldUchar, "UChar"),
    KD_FIELD_OF(FILE_OBJECT, WriteAccess, KdFieldUchar, "UChar"),
    KD_FIELD_OF(FILE_OBJECT, DeleteAccess, KdFieldUchar, "UChar"),
    KD_FIELD_OF(FILE_OBJECT, SharedRead, KdFieldUchar, "UChar"),
    KD_FIELD_OF(FILE_OBJECT, SharedWrite, KdFieldUchar, "UChar"),
    KD_FIELD_OF(FILE_OBJECT, SharedDelete, KdFieldUchar, "UChar"),
    KD_FIELD_OF(FILE_OBJECT, Flags, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(FILE_OBJECT, FileName, KdFieldUnicodeString, "_UNICODE_STRING"),
    KD_FIELD_OF(FILE_OBJECT, CurrentByteOffset, KdFieldLargeInteger, "_LARGE_INTEGER"),
    KD_FIELD_OF(FILE_OBJECT, Waiters, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(FILE_OBJECT, Busy, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(FILE_OBJECT, LastLock, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(FILE_OBJECT, Lock, KdFieldStruct, "_KEVENT"),
    KD_FIELD_OF(FILE_OBJECT, Event, KdFieldStruct, "_KEVENT"),
    KD_FIELD_OF(FILE_OBJECT, CompletionContext, KdFieldPointer,
                "Ptr64 _IO_COMPLETION_CONTEXT"),
    KD_FIELD_OF(FILE_OBJECT, IrpListLock, KdFieldUlong64, "Uint8B"),
    KD_FIELD_OF(FILE_OBJECT, IrpList, KdFieldListEntry, "_LIST_ENTRY"),
    KD_FIELD_OF(FILE_OBJECT, FileObjectExtension, KdFieldPointer, "Ptr64 Void"),
};

static const KD_FIELD KdpIrpFields[] = {
    KD_FIELD_OF(IRP, Type, KdFieldShort, "Int2B"),
    KD_FIELD_OF(IRP, Size, KdFieldUshort, "Uint2B"),
    KD_FIELD_OF(IRP, MdlAddress, KdFieldPointer, "Ptr64 _MDL"),
    KD_FIELD_OF(IRP, Flags, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(IRP, AssociatedIrp, KdFieldStruct, "<unnamed-tag>"),
    KD_FIELD_OF(IRP, ThreadListEntry, KdFieldListEntry, "_LIST_ENTRY"),
    KD_FIELD_OF(IRP, IoStatus, KdFieldStruct, "_IO_STATUS_BLOCK"),
    KD_FIELD_OF(IRP, RequestorMode, KdFieldChar, "Char"),
    KD_FIELD_OF(IRP, PendingReturned, KdFieldUchar, "UChar"),
    KD_FIELD_OF(IRP, StackCount, KdFieldChar, "Char"),
    KD_FIELD_OF(IRP, CurrentLocation, KdFieldChar, "Char"),
    KD_FIELD_OF(IRP, Cancel, KdFieldUchar, "UChar"),
    KD_FIELD_OF(IRP, CancelIrql, KdFieldUchar, "UChar"),
    KD_FIELD_OF(IRP, ApcEnvironment, KdFieldChar, "Char"),
    KD_FIELD_OF(IRP, AllocationFlags, KdFieldUchar, "UChar"),
    KD_FIELD_OF(IRP, UserIosb, KdFieldPointer, "Ptr64 _IO_STATUS_BLOCK"),
    KD_FIELD_OF(IRP, UserEvent, KdFieldPointer, "Ptr64 _KEVENT"),
    KD_FIELD_OF(IRP, Overlay, KdFieldStruct, "<unnamed-tag>"),
    KD_FIELD_OF(IRP, CancelRoutine, KdFieldCode, "Ptr64     void "),
    KD_FIELD_OF(IRP, UserBuffer, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(IRP, Tail, KdFieldStruct, "<unnamed-tag>"),
};

static const KD_FIELD KdpStackLocationFields[] = {
    KD_FIELD_OF(IO_STACK_LOCATION, MajorFunction, KdFieldUchar, "UChar"),
    KD_FIELD_OF(IO_STACK_LOCATION, MinorFunction, KdFieldUchar, "UChar"),
    KD_FIELD_OF(IO_STACK_LOCATION, Flags, KdFieldUchar, "UChar"),
    KD_FIELD_OF(IO_STACK_LOCATION, Control, KdFieldUchar, "UChar"),
    KD_FIELD_OF(IO_STACK_LOCATION, Parameters, KdFieldStruct, "<unnamed-tag>"),
    KD_FIELD_OF(IO_STACK_LOCATION, DeviceObject, KdFieldPointer, "Ptr64 _DEVICE_OBJECT"),
    KD_FIELD_OF(IO_STACK_LOCATION, FileObject, KdFieldPointer, "Ptr64 _FILE_OBJECT"),
    KD_FIELD_OF(IO_STACK_LOCATION, CompletionRoutine, KdFieldCode, "Ptr64     long "),
    KD_FIELD_OF(IO_STACK_LOCATION, Context, KdFieldPointer, "Ptr64 Void"),
};

static const KD_FIELD KdpDeviceObjectFields[] = {
    KD_FIELD_OF(DEVICE_OBJECT, Type, KdFieldShort, "Int2B"),
    KD_FIELD_OF(DEVICE_OBJECT, Size, KdFieldUshort, "Uint2B"),
    KD_FIELD_OF(DEVICE_OBJECT, ReferenceCount, KdFieldLong, "Int4B"),
    KD_FIELD_OF(DEVICE_OBJECT, DriverObject, KdFieldPointer, "Ptr64 _DRIVER_OBJECT"),
    KD_FIELD_OF(DEVICE_OBJECT, NextDevice, KdFieldPointer, "Ptr64 _DEVICE_OBJECT"),
    KD_FIELD_OF(DEVICE_OBJECT, AttachedDevice, KdFieldPointer, "Ptr64 _DEVICE_OBJECT"),
    KD_FIELD_OF(DEVICE_OBJECT, CurrentIrp, KdFieldPointer, "Ptr64 _IRP"),
    KD_FIELD_OF(DEVICE_OBJECT, Timer, KdFieldPointer, "Ptr64 _IO_TIMER"),
    KD_FIELD_OF(DEVICE_OBJECT, Flags, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(DEVICE_OBJECT, Characteristics, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(DEVICE_OBJECT, Vpb, KdFieldPointer, "Ptr64 _VPB"),
    KD_FIELD_OF(DEVICE_OBJECT, DeviceExtension, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(DEVICE_OBJECT, DeviceType, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(DEVICE_OBJECT, StackSize, KdFieldChar, "Char"),
    KD_FIELD_OF(DEVICE_OBJECT, Queue, KdFieldStruct, "<unnamed-tag>"),
    KD_FIELD_OF(DEVICE_OBJECT, AlignmentRequirement, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(DEVICE_OBJECT, DeviceQueue, KdFieldStruct, "_KDEVICE_QUEUE"),
    KD_FIELD_OF(DEVICE_OBJECT, Dpc, KdFieldStruct, "_KDPC"),
    KD_FIELD_OF(DEVICE_OBJECT, ActiveThreadCount, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(DEVICE_OBJECT, SecurityDescriptor, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(DEVICE_OBJECT, DeviceLock, KdFieldStruct, "_KEVENT"),
    KD_FIELD_OF(DEVICE_OBJECT, SectorSize, KdFieldUshort, "Uint2B"),
    KD_FIELD_OF(DEVICE_OBJECT, Spare1, KdFieldUshort, "Uint2B"),
    KD_FIELD_OF(DEVICE_OBJECT, DeviceObjectExtension, KdFieldPointer,
                "Ptr64 _DEVOBJ_EXTENSION"),
    KD_FIELD_OF(DEVICE_OBJECT, Reserved, KdFieldPointer, "Ptr64 Void"),
};

static const KD_FIELD KdpDriverObjectFields[] = {
    KD_FIELD_OF(DRIVER_OBJECT, Type, KdFieldShort, "Int2B"),
    KD_FIELD_OF(DRIVER_OBJECT, Size, KdFieldShort, "Int2B"),
    KD_FIELD_OF(DRIVER_OBJECT, DeviceObject, KdFieldPointer, "Ptr64 _DEVICE_OBJECT"),
    KD_FIELD_OF(DRIVER_OBJECT, Flags, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(DRIVER_OBJECT, DriverStart, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(DRIVER_OBJECT, DriverSize, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(DRIVER_OBJECT, DriverSection, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(DRIVER_OBJECT, DriverExtension, KdFieldPointer, "Ptr64 _DRIVER_EXTENSION"),
    KD_FIELD_OF(DRIVER_OBJECT, DriverName, KdFieldUnicodeString, "_UNICODE_STRING"),
    KD_FIELD_OF(DRIVER_OBJECT, HardwareDatabase, KdFieldPointer, "Ptr64 _UNICODE_STRING"),
    KD_FIELD_OF(DRIVER_OBJECT, FastIoDispatch, KdFieldPointer, "Ptr64 _FAST_IO_DISPATCH"),
    KD_FIELD_OF(DRIVER_OBJECT, DriverInit, KdFieldCode, "Ptr64     long "),
    KD_FIELD_OF(DRIVER_OBJECT, DriverStartIo, KdFieldCode, "Ptr64     void "),
    KD_FIELD_OF(DRIVER_OBJECT, DriverUnload, KdFieldCode, "Ptr64     void "),
    KD_FIELD_ARRAY_OF(DRIVER_OBJECT, MajorFunction, "Ptr64     long "),
};

static const KD_FIELD KdpDeviceExtensionFields[] = {
    KD_FIELD_OF(DEVOBJ_EXTENSION, Type, KdFieldShort, "Int2B"),
    KD_FIELD_OF(DEVOBJ_EXTENSION, Size, KdFieldUshort, "Uint2B"),
    KD_FIELD_OF(DEVOBJ_EXTENSION, DeviceObject, KdFieldPointer, "Ptr64 _DEVICE_OBJECT"),
    KD_FIELD_OF(DEVOBJ_EXTENSION, PowerFlags, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(DEVOBJ_EXTENSION, Dope, KdFieldPointer,
                "Ptr64 _DEVICE_OBJECT_POWER_EXTENSION"),
    KD_FIELD_OF(DEVOBJ_EXTENSION, ExtensionFlags, KdFieldUlong, "Uint4B"),
    KD_FIELD_OF(DEVOBJ_EXTENSION, DeviceNode, KdFieldPointer, "Ptr64 Void"),
    KD_FIELD_OF(DEVOBJ_EXTENSION, AttachedTo, KdFieldPointer, "Ptr64 _DEVICE_OBJECT"),
};

const KD_TYPE KdpIoTypes[] = {
    KD_TYPE_OF("_FILE_OBJECT", FILE_OBJECT, KdpFileObjectFields),
    KD_TYPE_OF("_IRP", IRP, KdpIrpFields),
    KD_TYPE_OF("_IO_STACK_LOCATION", IO_STACK_LOCATION, KdpStackLocationFields),
    KD_TYPE_OF("_DEVICE_OBJECT", DEVICE_OBJECT, KdpDeviceObjectFields),
    KD_TYPE_OF("_DRIVER_OBJECT", DRIVER_OBJECT, KdpDriverObjectFields),
    KD_TYPE_OF("_DEVOBJ_EXTENSION", DEVOBJ_EXTENSION, KdpDeviceExtensionFields),
    { NULL, 0, NULL, 0 },
};
