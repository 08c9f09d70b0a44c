// Loading and unloading drivers from their images (docs/drivers.md): NT's
// IopLoadDriver, the boot drivers, NtLoadDriver and NtUnloadDriver.
//
// There is no registry. The boot archive's services.txt stands in for the
// Services key: a line "Name Start" per service, Start as the registry's
// value (0: a boot driver, loaded at boot; 3: loaded on demand), and
// optionally the image's file name as the registry's ImagePath spells it
// (fltMgr.sys), which becomes the module's name in `lm` and in stacks.
// Without one, service Name's image is name.sys (the name in lower case).
// The archive holds every image in lower case (built from
// kernel/drivers/name/). Last, optionally, the registry's Type: 1 (a kernel
// driver, the default) or 2 (a file system driver, which needs the image
// field before it). The driver object is \Driver\Name, or
// \FileSystem\Name for Type 2, as NT names them; the registry path its
// DriverEntry gets
// \Registry\Machine\System\CurrentControlSet\Services\Name.

#include "io/iop.h"
#include "mm/sysload.h"
#include "se/se.h"

#define IOP_SERVICES_FILE       "services.txt"
#define IOP_SERVICE_KEY_PREFIX  u"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\"
#define IOP_MAXIMUM_SERVICE_NAME 24         // the image name must fit the archive's 32
#define IOP_IMAGE_UNLOAD_TAG    POOL_TAG('I', 'o', 'U', 'l')
#define SERVICE_BOOT_START      0
#define SERVICE_DEMAND_START    3
#define SERVICE_FILE_SYSTEM_DRIVER 2

NTSTATUS PspFindUserProgram(const char *name, const UCHAR **image, SIZE_T *size);

// Serializes loads and unloads, so that a driver cannot be unloaded while
// its load is still deciding whether it succeeded.
static KMUTEX IopDriverLoadLock;
static BOOLEAN IopDriverLoadLockReady;

typedef struct _IOP_SERVICE {
    char Name[IOP_MAXIMUM_SERVICE_NAME];   // as services.txt spells it
    ULONG Start;
    char ImageName[IOP_MAXIMUM_SERVICE_NAME + 4];  // empty: name.sys
    ULONG Type;                             // SERVICE_FILE_SYSTEM_DRIVER or not
} IOP_SERVICE;

static void IopInitializeDriverLoadLock(void)
{
    // First use is at boot, in one thread (IopInitializeBootDrivers).
    if (!IopDriverLoadLockReady) {
        KeInitializeMutex(&IopDriverLoadLock, 0);
        IopDriverLoadLockReady = TRUE;
    }
}

// The services file's line for `name` (ignoring case): `index` counts
// through the lines when name is NULL. STATUS_OBJECT_NAME_NOT_FOUND when
// there is no such line (or file): the registry would have no such key.
static NTSTATUS IopReadService(const char *name, ULONG index, IOP_SERVICE *service)
{
    const UCHAR *file;
    SIZE_T size, at = 0;
    ULONG line = 0;

    if (!NT_SUCCESS(PspFindUserProgram(IOP_SERVICES_FILE, &file, &size)))
        return STATUS_OBJECT_NAME_NOT_FOUND;
    while (at < size) {
        SIZE_T length = 0, imageLength;
        ULONG start = 0;
        BOOLEAN digits = FALSE;

        while (at < size && (file[at] == ' ' || file[at] == '\n' || file[at] == '\r'))
            at++;
        if (at < size && file[at] == '#') {
            while (at < size && file[at] != '\n')
                at++;
            continue;
        }
        while (at < size && file[at] != ' ' && file[at] != '\n' &&
               length + 1 < sizeof(service->Name))
            service->Name[length++] = (char)file[at++];
        service->Name[length] = '\0';
        while (at < size && file[at] == ' ')
            at++;
        while (at < size && file[at] >= '0' && file[at] <= '9') {
            start = start * 10 + (file[at++] - '0');
            digits = TRUE;
        }
        while (at < size && file[at] == ' ')
            at++;
        imageLength = 0;
        while (at < size && file[at] != ' ' && file[at] != '\n' && file[at] != '\r' &&
               imageLength + 1 < sizeof(service->ImageName))
            service->ImageName[imageLength++] = (char)file[at++];
        service->ImageName[imageLength] = '\0';
        while (at < size && file[at] == ' ')
            at++;
        service->Type = 0;
        while (at < size && file[at] >= '0' && file[at] <= '9')
            service->Type = service->Type * 10 + (file[at++] - '0');
        while (at < size && file[at] != '\n')
            at++;
        if (!length || !digits)
            continue;
        service->Start = start;
        if (name ? RtlCompareStringInsensitive(name, service->Name) == 0 : line == index)
            return STATUS_SUCCESS;
        line++;
    }
    return STATUS_OBJECT_NAME_NOT_FOUND;
}

// The service name as ASCII: letters, digits, '_' and '-' only.
static NTSTATUS IopServiceNameFromUnicode(const WCHAR *buffer, USHORT characters, char *name)
{
    if (characters == 0 || characters >= IOP_MAXIMUM_SERVICE_NAME)
        return STATUS_OBJECT_NAME_INVALID;
    for (USHORT i = 0; i < characters; i++) {
        WCHAR c = buffer[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return STATUS_OBJECT_NAME_INVALID;
        name[i] = (char)c;
    }
    name[characters] = '\0';
    return STATUS_SUCCESS;
}

// \Driver\Name, or the service's registry path, into `buffer`.
static void IopMakeName(UNICODE_STRING *string, WCHAR *buffer, USHORT size, const WCHAR *prefix,
                        const char *name)
{
    USHORT at = 0, capacity = (USHORT)(size / sizeof(WCHAR));

    while (prefix[at] && at + 1 < capacity) {
        buffer[at] = prefix[at];
        at++;
    }
    for (USHORT i = 0; name[i] && at + 1 < capacity; i++)
        buffer[at++] = (WCHAR)(UCHAR)name[i];
    buffer[at] = 0;
    string->Buffer = buffer;
    string->Length = at * sizeof(WCHAR);
    string->MaximumLength = size;
}

// The directory of a service's driver object.
static const WCHAR *IopServiceDirectory(const IOP_SERVICE *service)
{
    return service->Type == SERVICE_FILE_SYSTEM_DRIVER ? u"\\FileSystem\\" : u"\\Driver\\";
}

static NTSTATUS IopReferenceDriverByName(const IOP_SERVICE *service, DRIVER_OBJECT **driver)
{
    WCHAR buffer[48];
    UNICODE_STRING driverName;
    OBJECT_ATTRIBUTES attributes;

    IopMakeName(&driverName, buffer, sizeof(buffer), IopServiceDirectory(service), service->Name);
    InitializeObjectAttributes(&attributes, &driverName, OBJ_CASE_INSENSITIVE, NULL, NULL);
    return ObReferenceObjectByName(&attributes, IoDriverObjectType, (void **)driver);
}

NTSTATUS IopLoadDriver(const char *serviceName)
{
    WCHAR imageBuffer[40], driverBuffer[48], registryBuffer[96];
    UNICODE_STRING imageName, driverName, registryPath;
    char image[IOP_MAXIMUM_SERVICE_NAME + 4];
    KLDR_DATA_TABLE_ENTRY *entry;
    DRIVER_OBJECT *driver;
    IOP_SERVICE service;
    void *base;
    NTSTATUS status;
    size_t length;

    status = IopReadService(serviceName, 0, &service);
    if (!NT_SUCCESS(status))
        return status;
    if (service.ImageName[0]) {
        memcpy(image, service.ImageName, sizeof(service.ImageName));
    } else {
        length = strlen(service.Name);
        for (size_t i = 0; i < length; i++)
            image[i] = RtlDowncaseChar(service.Name[i]);
        memcpy(image + length, ".sys", sizeof(".sys"));
    }
    IopMakeName(&imageName, imageBuffer, sizeof(imageBuffer), u"", image);
    IopMakeName(&driverName, driverBuffer, sizeof(driverBuffer), IopServiceDirectory(&service),
                service.Name);
    IopMakeName(&registryPath, registryBuffer, sizeof(registryBuffer), IOP_SERVICE_KEY_PREFIX,
                service.Name);

    IopInitializeDriverLoadLock();
    KeWaitForSingleObject(&IopDriverLoadLock, Executive, KernelMode, FALSE, NULL);
    // A driver of that name, loaded or being unloaded, means the image is in use.
    if (NT_SUCCESS(IopReferenceDriverByName(&service, &driver))) {
        ObDereferenceObject(driver);
        status = STATUS_IMAGE_ALREADY_LOADED;
        goto out;
    }
    status = MmLoadSystemImage(&imageName, &entry, &base);
    if (!NT_SUCCESS(status))
        goto out;
    status = IopCreateDriverObject(&driverName, (PDRIVER_INITIALIZE)entry->EntryPoint,
                                   &registryPath, base, entry->SizeOfImage, entry, &driver);
    if (!NT_SUCCESS(status)) {
        // DriverEntry failed (its devices are gone) or the object could not
        // be made: the image goes too, and nothing of the driver stays.
        MmUnloadSystemImage(entry);
        goto out;
    }
    // From now on the driver object owns the image: its deletion unloads it.
    entry->Flags = (entry->Flags & ~LDRP_LOAD_IN_PROGRESS) | LDRP_ENTRY_PROCESSED;
    ObDereferenceObject(driver);        // its permanent name keeps it
out:
    KeReleaseMutex(&IopDriverLoadLock, FALSE);
    return status;
}

NTSTATUS IopUnloadDriverByName(const char *serviceName)
{
    IOP_SERVICE service;
    DRIVER_OBJECT *driver;
    NTSTATUS status;

    status = IopReadService(serviceName, 0, &service);
    if (!NT_SUCCESS(status))
        return status;
    IopInitializeDriverLoadLock();
    KeWaitForSingleObject(&IopDriverLoadLock, Executive, KernelMode, FALSE, NULL);
    status = IopReferenceDriverByName(&service, &driver);
    if (NT_SUCCESS(status)) {
        // Only a driver loaded from an image, whose DriverUnload says it can
        // go, and that no other loaded driver imports from (its routines
        // would be gone from under them): NT's refusal status, as for a
        // driver without DriverUnload.
        if (!driver->DriverSection || (driver->Flags & DRVO_BUILTIN_DRIVER) ||
            MmIsSystemImageImported(driver->DriverSection))
            status = STATUS_INVALID_DEVICE_REQUEST;
        else
            status = IopUnloadDriver(driver);
        ObDereferenceObject(driver);    // the last reference unloads the image
    }
    KeReleaseMutex(&IopDriverLoadLock, FALSE);
    return status;
}

typedef struct _IOP_IMAGE_UNLOAD {
    WORK_QUEUE_ITEM Item;
    KLDR_DATA_TABLE_ENTRY *Entry;
} IOP_IMAGE_UNLOAD;

static void IopUnloadImageWorker(void *parameter)
{
    IOP_IMAGE_UNLOAD *unload = parameter;

    MmUnloadSystemImage(unload->Entry);
    ExFreePoolWithTag(unload, IOP_IMAGE_UNLOAD_TAG);
}

// The driver object's delete procedure's half for a loaded driver: the
// image goes once nothing references the driver. Waiting for the loader's
// lock needs PASSIVE_LEVEL (or APC_LEVEL); a deletion at DISPATCH_LEVEL
// hands the unload to a worker thread.
void IopDeleteDriverImage(DRIVER_OBJECT *driver)
{
    KLDR_DATA_TABLE_ENTRY *entry = driver->DriverSection;
    IOP_IMAGE_UNLOAD *unload;

    if (!entry || (driver->Flags & DRVO_BUILTIN_DRIVER) || !(entry->Flags & LDRP_ENTRY_PROCESSED))
        return;
    if (KeGetCurrentIrql() < DISPATCH_LEVEL) {
        MmUnloadSystemImage(entry);
        return;
    }
    unload = ExAllocatePoolWithTag(NonPagedPool, sizeof(*unload), IOP_IMAGE_UNLOAD_TAG);
    if (!unload) {
        DbgPrint("IO: no pool to unload a driver's image at %p; it stays loaded\n",
                 entry->DllBase);
        return;
    }
    unload->Entry = entry;
    ExInitializeWorkItem(&unload->Item, IopUnloadImageWorker, unload);
    ExQueueWorkItem(&unload->Item, DelayedWorkQueue);
}

void IopInitializeBootDrivers(void)
{
    IOP_SERVICE service;

    for (ULONG i = 0; NT_SUCCESS(IopReadService(NULL, i, &service)); i++) {
        NTSTATUS status;

        if (service.Start != SERVICE_BOOT_START)
            continue;
        status = IopLoadDriver(service.Name);
        if (!NT_SUCCESS(status))
            DbgPrint("IO: boot driver %s did not load: status %08x\n", service.Name,
                     (ULONG)status);
    }
}

// ---- The services -------------------------------------------------------------------

// The service name from a captured registry path, which must be under the
// Services key (there is no other): STATUS_OBJECT_NAME_NOT_FOUND otherwise,
// as a missing key would be.
static NTSTATUS IopServiceNameFromPath(const UNICODE_STRING *path, char *name)
{
    static const WCHAR prefix[] = IOP_SERVICE_KEY_PREFIX;
    USHORT prefixLength = ARRAYSIZE(prefix) - 1, length = path->Length / sizeof(WCHAR);

    if (length <= prefixLength)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    for (USHORT i = 0; i < prefixLength; i++) {
        if (RtlUpcaseUnicodeChar(path->Buffer[i]) != RtlUpcaseUnicodeChar(prefix[i]))
            return STATUS_OBJECT_NAME_NOT_FOUND;
    }
    return IopServiceNameFromUnicode(path->Buffer + prefixLength, length - prefixLength, name);
}

static NTSTATUS IopLoadUnloadService(UNICODE_STRING *driverServiceName, BOOLEAN load)
{
    UNICODE_STRING captured;
    char name[IOP_MAXIMUM_SERVICE_NAME];
    NTSTATUS status;

    // NT checks the privilege first, then reads the name.
    if (!SeSinglePrivilegeCheck(SE_LOAD_DRIVER_PRIVILEGE))
        return STATUS_PRIVILEGE_NOT_HELD;
    status = PspCaptureUnicodeString(driverServiceName, &captured);
    if (!NT_SUCCESS(status))
        return status;
    status = IopServiceNameFromPath(&captured, name);
    PspReleaseUnicodeString(&captured);
    if (!NT_SUCCESS(status))
        return status;
    return load ? IopLoadDriver(name) : IopUnloadDriverByName(name);
}

NTSTATUS NtLoadDriver(UNICODE_STRING *driverServiceName)
{
    return IopLoadUnloadService(driverServiceName, TRUE);
}

NTSTATUS NtUnloadDriver(UNICODE_STRING *driverServiceName)
{
    return IopLoadUnloadService(driverServiceName, FALSE);
}
