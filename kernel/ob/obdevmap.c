// Device maps, as NT's object manager keeps them: a DEVICE_MAP names the
// DosDevices directory (\??) a process's drive letters and device names
// are looked up in. The system's map is made with \?? at boot (the I/O
// manager calls ObSetDeviceMap) and is the System process's; every other
// process shares its parent's map (ObInheritDeviceMap at creation) and
// drops it when its object is deleted. A map counts the processes using
// it; the system's is never freed.

#include "ob/ob.h"
#include "ps/ps.h"

DEVICE_MAP *ObSystemDeviceMap;
static KSPIN_LOCK ObpDeviceMapLock;

void ObSetDeviceMap(OBJECT_DIRECTORY *dosDevicesDirectory)
{
    DEVICE_MAP *map = ExAllocatePoolWithTag(NonPagedPool, sizeof(*map), OBP_DEVICE_MAP_TAG);
    KIRQL oldIrql;

    if (!map)
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, 0x0B, 1, 0, 0);
    memset(map, 0, sizeof(*map));
    ObReferenceObject(dosDevicesDirectory);
    map->DosDevicesDirectory = dosDevicesDirectory;
    map->GlobalDosDevicesDirectory = dosDevicesDirectory;
    // One for ObSystemDeviceMap itself (the map stays), one for System.
    map->ReferenceCount = 2;
    KeAcquireSpinLock(&ObpDeviceMapLock, &oldIrql);
    ObSystemDeviceMap = map;
    PsInitialSystemProcess->DeviceMap = map;
    KeReleaseSpinLock(&ObpDeviceMapLock, oldIrql);
}

void ObInheritDeviceMap(EPROCESS *process, EPROCESS *parent)
{
    DEVICE_MAP *map;
    KIRQL oldIrql;

    KeAcquireSpinLock(&ObpDeviceMapLock, &oldIrql);
    map = parent ? parent->DeviceMap : ObSystemDeviceMap;
    if (map)
        map->ReferenceCount++;
    process->DeviceMap = map;
    KeReleaseSpinLock(&ObpDeviceMapLock, oldIrql);
}

void ObDereferenceDeviceMap(EPROCESS *process)
{
    DEVICE_MAP *map;
    KIRQL oldIrql;

    KeAcquireSpinLock(&ObpDeviceMapLock, &oldIrql);
    map = process->DeviceMap;
    process->DeviceMap = NULL;
    if (map && --map->ReferenceCount == 0) {
        KeReleaseSpinLock(&ObpDeviceMapLock, oldIrql);
        ObDereferenceObject(map->DosDevicesDirectory);
        ExFreePoolWithTag(map, OBP_DEVICE_MAP_TAG);
        return;
    }
    KeReleaseSpinLock(&ObpDeviceMapLock, oldIrql);
}
