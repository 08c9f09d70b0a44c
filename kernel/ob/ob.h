// The object manager: every kernel object exposed by name or handle lives
// behind an OBJECT_HEADER that counts references and knows its type. A
// process or thread object outlives its execution for as long as someone
// holds a reference (a "zombie", as the case studies call it).
#pragma once

#include "rtl/rtl.h"
#include "rtl/security.h"
#include "ke/ke.h"
#include "ndk/ntobapi.h"    // the ABI: rights, information layouts, the Nt* services
#include "ndk/ntseapi.h"

struct _EPROCESS;

typedef void (*OB_DELETE_METHOD)(void *object);
struct _OBJECT_TYPE;
// A lookup that reaches an object of the type with part of the name left
// (or any lookup of it by an open that brings a parse context) hands the
// rest to the type's parse procedure, outside the namespace lock:
// remainingName is what follows the object's own name ("\\dir\\file", or
// empty), completeName the whole name asked for. It returns the object
// the name stands for, referenced (the I/O manager's IopParseDevice: a
// new file object). Called at PASSIVE_LEVEL; parseObject stays referenced
// during the call.
typedef NTSTATUS (*OB_PARSE_METHOD)(void *parseObject, struct _OBJECT_TYPE *objectType,
                                    KPROCESSOR_MODE accessMode, ULONG attributes,
                                    UNICODE_STRING *completeName, UNICODE_STRING *remainingName,
                                    void *context, void **object);
// Called each time a handle to the object is closed (after the handle is
// gone), with the handle counts that remain: in that process, and in all.
typedef void (*OB_CLOSE_METHOD)(struct _EPROCESS *process, void *object,
                                ACCESS_MASK grantedAccess, ULONG_PTR processHandleCount,
                                ULONG_PTR systemHandleCount);

// What makes one type differ from another, as NT's OBJECT_TYPE_INITIALIZER.
typedef struct _OBJECT_TYPE_INITIALIZER {
    ULONG PoolTag;
    ACCESS_MASK ValidAccessMask;    // 0: any access may be granted
    GENERIC_MAPPING GenericMapping;
    // The body starts with a DISPATCHER_HEADER, so a handle to it can be
    // waited on (NtWaitForSingleObject); other types refuse waits.
    BOOLEAN Waitable;
    // Where that DISPATCHER_HEADER lies in the body, as NT's DefaultObject:
    // 0 for the dispatcher objects themselves, the offset of an embedded
    // event for objects that only carry one (a WaitablePort's WaitEvent).
    ULONG DefaultObjectOffset;
    // Every object of the type gets a security descriptor, named or not
    // (NT's SecurityRequired); otherwise only named objects and those
    // created with an explicit descriptor have one.
    BOOLEAN SecurityRequired;
    OB_CLOSE_METHOD CloseProcedure;
    OB_DELETE_METHOD DeleteProcedure;
    OB_PARSE_METHOD ParseProcedure;
} OBJECT_TYPE_INITIALIZER;

typedef struct _OBJECT_TYPE {
    const char *Name;
    OBJECT_TYPE_INITIALIZER TypeInfo;
    ULONG TotalNumberOfObjects;
    ULONG TotalNumberOfHandles;
    ULONG HighWaterNumberOfObjects;
    ULONG HighWaterNumberOfHandles;
    LIST_ENTRY TypeList;            // every object of the type, as NT's +otl flag keeps
    KSPIN_LOCK Lock;
} OBJECT_TYPE;

struct _OBJECT_DIRECTORY;

// Present only on named objects. The name lives right after this structure.
typedef struct _OBJECT_HEADER_NAME_INFO {
    struct _OBJECT_DIRECTORY *Directory;    // NULL once the name left its directory
    UNICODE_STRING Name;
} OBJECT_HEADER_NAME_INFO;

// OBJECT_HEADER.Flags
#define OB_FLAG_NEW_OBJECT       0x01       // created, not inserted yet: no descriptor yet
#define OB_FLAG_PERMANENT_OBJECT 0x10       // the name stays when the last handle closes

typedef struct _OBJECT_HEADER {
    LONG_PTR PointerCount;          // every reference, handles included
    LONG_PTR HandleCount;
    OBJECT_TYPE *Type;
    LIST_ENTRY TypeListEntry;
    OBJECT_HEADER_NAME_INFO *NameInfo;
    ULONG Flags;
    // A self-relative SECURITY_DESCRIPTOR_RELATIVE in pool (OBP_SECURITY_TAG),
    // or NULL: an object without one is open to anyone its handles allow.
    // Replaced under ObpSecurityLock (NtSetSecurityObject).
    void *SecurityDescriptor;
    // Its pool quota: the charges (set by ObCreateObject) and the block of
    // the process that was charged them when it inserted the object (its
    // first handle, ObpInsertObject), given back when it is freed; NULL
    // while nobody was (an object the kernel keeps without a handle).
    struct _EPROCESS_QUOTA_BLOCK *QuotaBlockCharged;
    ULONG PagedPoolCharge;
    ULONG NonPagedPoolCharge;
    ULONG64 Body;                   // the object starts here
} OBJECT_HEADER;

#define OBJECT_TO_OBJECT_HEADER(o) CONTAINING_RECORD((o), OBJECT_HEADER, Body)
#define OBJECT_HEADER_TO_OBJECT(h) ((void *)&(h)->Body)

// ---- Types, creation and references (obref.c, obtype.c) ----------------------

extern OBJECT_TYPE *ObpTypeObjectType;
extern OBJECT_TYPE *ObpDirectoryObjectType;
extern OBJECT_TYPE *ObpSymbolicLinkObjectType;

// Builds the object types of the object manager itself and the namespace:
// `\`, `\ObjectTypes` (holding every type object), `\BaseNamedObjects`, `\KernelObjects`,
// `\RPC Control` and `\Windows`. Runs once, at boot, at PASSIVE_LEVEL.
void ObInitSystem(void);

// A statically allocated type for the types that exist before the object
// manager is up (Process, Thread); they are not in `\ObjectTypes`.
void ObInitializeType(OBJECT_TYPE *type, const char *name,
                      const OBJECT_TYPE_INITIALIZER *initializer);
// A type that is itself an object (of type "Type"), named in `\ObjectTypes`
// once the namespace exists. Types are permanent.
NTSTATUS ObCreateObjectType(const char *name, const OBJECT_TYPE_INITIALIZER *initializer,
                            OBJECT_TYPE **type);

// A zeroed object with one pointer reference; STATUS_INSUFFICIENT_RESOURCES
// when the pool is exhausted. Its allocation is charged to the pool quota
// of the process that inserts it (ObInsertObject: STATUS_QUOTA_EXCEEDED
// past its limit), and given back when the object is freed.
NTSTATUS ObCreateObject(OBJECT_TYPE *type, ULONG bodySize, void **object);
// In line (a count up, a check), as are ObReferenceObjectSafe and
// ObGetObjectType below: the lookups and the LPC paths take them often.
static inline void ObReferenceObject(void *object)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);

    if (__builtin_expect(__atomic_add_fetch(&header->PointerCount, 1, __ATOMIC_RELAXED) <= 1,
                         0))
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG64)header->Type, (ULONG64)object, 0, 0);
}
// A reference unless the object is already on its way to deletion (its
// count reached 0): for lookups in tables that do not hold references
// (client ids, a process's thread list). FALSE when it is being deleted.
static inline BOOLEAN ObReferenceObjectSafe(void *object)
{
    OBJECT_HEADER *header = OBJECT_TO_OBJECT_HEADER(object);
    LONG_PTR count = __atomic_load_n(&header->PointerCount, __ATOMIC_RELAXED);

    while (count > 0) {
        if (__atomic_compare_exchange_n(&header->PointerCount, &count, count + 1, FALSE,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return TRUE;
    }
    return FALSE;
}
// Drops a reference; the last one runs the type's delete procedure and frees
// the object. Callable at DISPATCH_LEVEL and below. In line but for the last
// reference (ObpDereferenceObjectToZero, which also bugchecks on a count
// gone below zero): an LPC round trip drops four or five.
void ObpDereferenceObjectToZero(void *object, LONG_PTR count);

static inline void ObDereferenceObject(void *object)
{
    LONG_PTR count = __atomic_sub_fetch(&OBJECT_TO_OBJECT_HEADER(object)->PointerCount, 1,
                                        __ATOMIC_ACQ_REL);

    if (__builtin_expect(count <= 0, 0))
        ObpDereferenceObjectToZero(object, count);
}
// A pointer reference that checks the type first (STATUS_OBJECT_TYPE_MISMATCH).
NTSTATUS ObReferenceObjectByPointer(void *object, OBJECT_TYPE *objectType);
LONG_PTR ObGetObjectPointerCount(void *object);
LONG_PTR ObGetObjectHandleCount(void *object);
static inline OBJECT_TYPE *ObGetObjectType(void *object)
{
    return OBJECT_TO_OBJECT_HEADER(object)->Type;
}

// ---- Handle tables (obhandle.c) -----------------------------------------------

// Handles are multiples of 4, as on NT: (index + 1) * 4, so 0 is never one.
#define HANDLE_INDEX_MULTIPLIER 4
#define HANDLE_TABLE_INITIAL_SIZE 8

// An entry's object word carries its lock in bit 0 (an OBJECT_HEADER is
// 8-byte aligned at least), as NT's does (ExpLockHandleTableEntry): a lookup takes
// only that lock, not the table's, for the few instructions it reads the
// entry and references the object. Every writer takes the table's lock and
// then the entry's. A lock is held with the processor not to be preempted
// (a lookup with interrupts off, a writer at DISPATCH_LEVEL), so whoever
// finds an entry locked may spin: its holder is running, elsewhere.
#define HANDLE_TABLE_ENTRY_LOCK_BIT 1
// A grown table's old array keeps every entry locked for good, with no
// object (all bits set, so that the word without its lock bit is not 0,
// which would read as a free entry): a lookup that finds one reads the
// table's array again.
#define HANDLE_TABLE_ENTRY_MOVED (~(ULONG_PTR)0)

typedef struct _HANDLE_TABLE_ENTRY {
    union {
        OBJECT_HEADER *Object;      // NULL when the entry is free; bit 0: locked
        ULONG_PTR Value;
    };
    union {
        struct {
            ACCESS_MASK GrantedAccess;
            ULONG NextFreeTableEntry;   // index of the next free entry, while free
        };
        // In an old array's first entry: the array retired before it.
        struct _HANDLE_TABLE_ENTRY *NextRetiredArray;
    };
} HANDLE_TABLE_ENTRY;

// The entry's object with the lock bit off (NULL: free, or moved).
static inline OBJECT_HEADER *ObpHandleEntryObject(const HANDLE_TABLE_ENTRY *entry)
{
    return (OBJECT_HEADER *)(entry->Value & ~(ULONG_PTR)HANDLE_TABLE_ENTRY_LOCK_BIT);
}

// A lookup reads TableSize, then Table, without the lock; growth writes the
// new array, then Table, then TableSize, so an index below the size read is
// inside the array read. An array is never freed before the table is: a
// lookup that read the old one finds its entries moved and reads again.
typedef struct _HANDLE_TABLE {
    HANDLE_TABLE_ENTRY *Table;
    ULONG TableSize;                // entries; doubles when full (0 after rundown)
    ULONG HandleCount;
    ULONG FirstFree;                // TableSize when no entry is free
    HANDLE UniqueProcessId;
    BOOLEAN Rundown;                // the process is gone: no new handles
    KSPIN_LOCK Lock;                // the writers': free list, counts, growth
    HANDLE_TABLE_ENTRY *RetiredArrays;  // arrays replaced by growth, freed with the table
} HANDLE_TABLE;

// The contended lookup: the entry locked by someone else, or moved.
NTSTATUS ObpReferenceHandleContended(HANDLE_TABLE *table, HANDLE handle, void **object,
                                     ACCESS_MASK *grantedAccess);

// The object `handle` names in `table` (NULL: none), referenced, and the
// access the handle grants (grantedAccess NULL: not asked). In line:
// ObReferenceObjectByHandle, NtDuplicateObject and LPC's port lookup (every
// LPC call makes one) take the entry's lock, the entry and the reference
// with no nested call. The interrupts are off while the entry is locked:
// its holder is never preempted, and no writer spinning at DISPATCH_LEVEL
// waits for a thread that cannot run.
static inline __attribute__((always_inline)) NTSTATUS
ObpReferenceHandle(HANDLE_TABLE *table, HANDLE handle, void **object, ACCESS_MASK *grantedAccess)
{
    ULONG_PTR value = (ULONG_PTR)handle;
    // Handle 0 makes the largest index, beyond any table.
    ULONG_PTR index = value / HANDLE_INDEX_MULTIPLIER - 1;
    HANDLE_TABLE_ENTRY *entry;
    OBJECT_HEADER *header;
    ULONG_PTR word, flags;

    if (!table || value % HANDLE_INDEX_MULTIPLIER ||
        index >= __atomic_load_n(&table->TableSize, __ATOMIC_ACQUIRE))
        return STATUS_INVALID_HANDLE;
    entry = &__atomic_load_n(&table->Table, __ATOMIC_ACQUIRE)[index];
    word = __atomic_load_n(&entry->Value, __ATOMIC_RELAXED);
    if (!word)
        return STATUS_INVALID_HANDLE;
    // Expected unlocked: a locked entry (or a moved one) fails the exchange.
    word &= ~(ULONG_PTR)HANDLE_TABLE_ENTRY_LOCK_BIT;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    if (!__builtin_expect(__atomic_compare_exchange_n(&entry->Value, &word,
                                                      word + HANDLE_TABLE_ENTRY_LOCK_BIT, FALSE,
                                                      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED),
                          1)) {
        __asm__ volatile("pushq %0; popfq" : : "r"(flags) : "memory", "cc");
        return ObpReferenceHandleContended(table, handle, object, grantedAccess);
    }
    header = (OBJECT_HEADER *)word;
    if (grantedAccess)
        *grantedAccess = entry->GrantedAccess;
    // ObReferenceObject's increment: the handle's own reference is there,
    // so the count was at least 1.
    if (__atomic_fetch_add(&header->PointerCount, 1, __ATOMIC_RELAXED) <= 0)
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG64)header->Type,
                     (ULONG64)OBJECT_HEADER_TO_OBJECT(header), 0, 0);
    __atomic_store_n(&entry->Value, word, __ATOMIC_RELEASE);
    __asm__ volatile("pushq %0; popfq" : : "r"(flags) : "memory", "cc");
    *object = OBJECT_HEADER_TO_OBJECT(header);
    return STATUS_SUCCESS;
}

struct _EPROCESS;

// Gives a new process its (empty) handle table. Handles are not inherited yet.
NTSTATUS ObInitProcess(struct _EPROCESS *parent, struct _EPROCESS *process);
// Process rundown: closes every handle the process holds; from then on no
// handle can be created in it (STATUS_PROCESS_IS_TERMINATING).
void ObKillProcess(struct _EPROCESS *process);
// Runs the process down if it was not, and frees its handle table. Called
// from the process's delete routine.
void ObDeleteHandleTable(struct _EPROCESS *process);

// Inserts `object` into the current process's handle table with
// `desiredAccess` granted, naming it first when objectAttributes carries a
// name. The caller's reference passes to the handle, whatever the outcome.
// With OBJ_OPENIF and an object of the same type already under the name,
// the new object is dropped and the handle opens the existing one:
// STATUS_OBJECT_NAME_EXISTS. newObject (optional) receives a referenced
// pointer to the object the handle names.
NTSTATUS ObInsertObject(void *object, const OBJECT_ATTRIBUTES *objectAttributes,
                        ACCESS_MASK desiredAccess, void **newObject, HANDLE *handle);
// A referenced pointer to the object behind `handle` in the current process,
// when the handle grants every bit of desiredAccess and the object is of
// objectType (NULL: any type).
NTSTATUS ObReferenceObjectByHandle(HANDLE handle, ACCESS_MASK desiredAccess,
                                   OBJECT_TYPE *objectType, void **object,
                                   ACCESS_MASK *grantedAccess);
NTSTATUS ObCloseHandle(HANDLE handle);
NTSTATUS ObDuplicateObject(struct _EPROCESS *sourceProcess, HANDLE sourceHandle,
                           struct _EPROCESS *targetProcess, HANDLE *targetHandle,
                           ACCESS_MASK desiredAccess, ULONG options);
// A handle in `process`'s table for a referenced object; the reference
// passes to the handle on success only.
NTSTATUS ObpCreateHandle(struct _EPROCESS *process, void *object, ACCESS_MASK grantedAccess,
                         HANDLE *handle);
ULONG ObGetProcessHandleCount(struct _EPROCESS *process);

// ---- The namespace (obdir.c, obname.c) ---------------------------------------

#define NUMBER_HASH_BUCKETS 37

typedef struct _OBJECT_DIRECTORY_ENTRY {
    struct _OBJECT_DIRECTORY_ENTRY *ChainLink;
    void *Object;                   // the directory holds a pointer reference on it
    ULONG HashValue;
} OBJECT_DIRECTORY_ENTRY;

typedef struct _OBJECT_DIRECTORY {
    OBJECT_DIRECTORY_ENTRY *HashBuckets[NUMBER_HASH_BUCKETS];
} OBJECT_DIRECTORY;

typedef struct _OBJECT_SYMBOLIC_LINK {
    LARGE_INTEGER CreationTime;
    UNICODE_STRING LinkTarget;
} OBJECT_SYMBOLIC_LINK;

extern OBJECT_DIRECTORY *ObpRootDirectoryObject;
extern OBJECT_DIRECTORY *ObpTypeDirectoryObject;

// Looks `name` up from the root (or from objectAttributes->RootDirectory)
// and returns a referenced pointer (a name that goes on past an object
// with a parse procedure is that procedure's to finish, see
// OB_PARSE_METHOD): STATUS_OBJECT_NAME_NOT_FOUND when the last component
// is missing, STATUS_OBJECT_PATH_NOT_FOUND when a directory
// on the way is, STATUS_OBJECT_NAME_INVALID for an empty component or odd
// length, STATUS_OBJECT_PATH_SYNTAX_BAD for a relative name without a root
// (or an absolute one with it), STATUS_OBJECT_TYPE_MISMATCH when the object
// is not of objectType (NULL: any).
NTSTATUS ObReferenceObjectByName(const OBJECT_ATTRIBUTES *objectAttributes,
                                 OBJECT_TYPE *objectType, void **object);
// The same, then a handle granting desiredAccess in the current process.
// A UserMode open of an existing object (or one with OBJ_FORCE_ACCESS_CHECK)
// is checked against its descriptor; an object made by a parse procedure
// was checked there, and its handle grants desiredAccess mapped by its type.
// parseContext (NULL for most) goes to the parse procedure the lookup meets,
// which is then called even when no name is left (the I/O manager's open
// packet, so that opening `\Device\Null` makes a file object).
NTSTATUS ObOpenObjectByName(const OBJECT_ATTRIBUTES *objectAttributes, OBJECT_TYPE *objectType,
                            KPROCESSOR_MODE accessMode, ACCESS_MASK desiredAccess,
                            void *parseContext, HANDLE *handle);
// Clears OBJ_PERMANENT: the name goes with the last handle, or now if none.
void ObMakeTemporaryObject(void *object);
// Creates a directory object named by objectAttributes with a handle to it.
NTSTATUS ObCreateDirectoryObject(HANDLE *directoryHandle, ACCESS_MASK desiredAccess,
                                 const OBJECT_ATTRIBUTES *objectAttributes);

// Private to the object manager.
void ObpIncrementHandleCount(void *object);
void ObpDecrementHandleCount(void *object);
// A handle of `process` to `object` closed: the count, then the type's
// CloseProcedure with the handles left.
void ObpCloseHandleCount(struct _EPROCESS *process, void *object, ACCESS_MASK grantedAccess);
NTSTATUS ObpCreateDirectory(OBJECT_DIRECTORY *parent, const char *name,
                            OBJECT_DIRECTORY **directory);
NTSTATUS ObpInsertNameAt(OBJECT_DIRECTORY *start, const UNICODE_STRING *relativeName,
                         ULONG attributes, void *object, void **existing);
void *ObpLookupDirectoryEntry(OBJECT_DIRECTORY *directory, const UNICODE_STRING *name,
                              BOOLEAN caseInsensitive);
void ObpInsertDirectoryEntry(OBJECT_DIRECTORY *directory, OBJECT_DIRECTORY_ENTRY *entry,
                             void *object, ULONG hashValue);
OBJECT_DIRECTORY_ENTRY *ObpRemoveDirectoryEntry(OBJECT_DIRECTORY *directory, void *object);
void ObpDeleteDirectory(void *object);
extern KSPIN_LOCK ObpNameSpaceLock;
extern BOOLEAN ObpCaseInsensitive;

// ---- Device maps (obdevmap.c) -------------------------------------------------

// NT's DEVICE_MAP: the DosDevices directory where a process's `\??\NAME`
// names live, and the global one (the same directory on Sleuth, which has
// one \?? for every process). Shared by processes, counted.
typedef struct _DEVICE_MAP {
    OBJECT_DIRECTORY *DosDevicesDirectory;          // referenced
    OBJECT_DIRECTORY *GlobalDosDevicesDirectory;
    ULONG ReferenceCount;                           // processes using it
} DEVICE_MAP;

extern DEVICE_MAP *ObSystemDeviceMap;
// Boot, once \?? exists: the system's device map, given to the System
// process (which was made before the directory).
void ObSetDeviceMap(OBJECT_DIRECTORY *dosDevicesDirectory);
// A new process shares its parent's map (no parent: the system's).
void ObInheritDeviceMap(struct _EPROCESS *process, struct _EPROCESS *parent);
// The process's object is being deleted: it drops its map.
void ObDereferenceDeviceMap(struct _EPROCESS *process);

#define OBP_TYPE_TAG            POOL_TAG('O', 'b', 'j', 'T')
#define OBP_DIRECTORY_TAG       POOL_TAG('D', 'i', 'r', 'e')
#define OBP_SYMBOLIC_LINK_TAG   POOL_TAG('S', 'y', 'm', 'b')
#define OBP_NAME_TAG            POOL_TAG('O', 'b', 'N', 'm')
#define OBP_DIRECTORY_ENTRY_TAG POOL_TAG('O', 'b', 'D', 'i')
#define OBP_DEVICE_MAP_TAG      POOL_TAG('O', 'b', 'D', 'm')
#define OBP_HANDLE_TABLE_TAG    POOL_TAG('O', 'b', 't', 'b')

// ---- Access rights (obaccess.c) ----------------------------------------------

// What `desiredAccess` asks of an object of `type` when no descriptor is
// consulted: GENERIC_* bits become the type's specific rights through its
// GENERIC_MAPPING, MAXIMUM_ALLOWED becomes every right the type has, and
// bits the type does not know are dropped, as NT's handle creation does.
ACCESS_MASK ObMapDesiredAccess(OBJECT_TYPE *type, ACCESS_MASK desiredAccess);

// ---- User-mode arguments (obcapture.c) -----------------------------------------

// A kernel copy of a caller's OBJECT_ATTRIBUTES: the structure, the
// UNICODE_STRING and its characters. ObjectName points at Name, or is NULL
// for an unnamed object (an empty name without a root counts as none).
// The Owned* fields are the pool blocks the capture allocated, and the only
// pointers ObReleaseObjectAttributes frees: nothing copied from the caller
// can reach them (see docs/native-api-objects.md, "Capture").
typedef struct _OB_CAPTURED_ATTRIBUTES {
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    WCHAR *OwnedNameBuffer;
    void *OwnedDescriptor;
} OB_CAPTURED_ATTRIBUTES;

// Captures user `objectAttributes` (NULL allowed: no name). The checks are
// NT's: Length must be sizeof(OBJECT_ATTRIBUTES) and Attributes within
// OBJ_VALID_ATTRIBUTES (STATUS_INVALID_PARAMETER), the name of even length
// no longer than its MaximumLength (STATUS_OBJECT_NAME_INVALID), every
// pointer readable (STATUS_ACCESS_VIOLATION).
NTSTATUS ObCaptureObjectAttributes(const OBJECT_ATTRIBUTES *objectAttributes,
                                   OB_CAPTURED_ATTRIBUTES *captured);
void ObReleaseObjectAttributes(OB_CAPTURED_ATTRIBUTES *captured);
// A user HANDLE out-parameter must be writable and aligned before a service
// creates anything.
NTSTATUS ObProbeHandleOut(HANDLE *userHandle);
// The end of every NtCreate* service: ObInsertObject with the captured attributes,
// then the handle written to the caller (closed again if that fails).
NTSTATUS ObInsertObjectForUser(void *object, OB_CAPTURED_ATTRIBUTES *captured,
                               ACCESS_MASK desiredAccess, HANDLE *userHandle);
// All of every NtOpen* service: probe, capture (NULL attributes:
// STATUS_INVALID_PARAMETER), open by name as objectType, write the handle.
NTSTATUS ObOpenObjectForUser(HANDLE *userHandle, OBJECT_TYPE *objectType,
                             ACCESS_MASK desiredAccess, const OBJECT_ATTRIBUTES *objectAttributes);

#define OBP_CAPTURE_TAG         POOL_TAG('O', 'b', 'C', 'i')
#define OBP_SECURITY_TAG        POOL_TAG('O', 'b', 'S', 'd')
#define OBP_WAIT_BLOCK_TAG      POOL_TAG('O', 'b', 'W', 't')

// Links followed in one lookup before it gives up (a loop of links):
// STATUS_OBJECT_NAME_NOT_FOUND, as NT's OBJ_MAX_REPARSE_ATTEMPTS.
#define OBP_MAX_REPARSE_DEPTH 32

// ---- Security descriptors on objects (obsecure.c) --------------------------------

// The access a user-mode caller (its effective token: the impersonation
// token if it impersonates) gets to `object`: the object's descriptor is
// checked (STATUS_ACCESS_DENIED, STATUS_BAD_IMPERSONATION_LEVEL); an
// object without one grants what ObMapDesiredAccess allows. Kernel-mode
// callers skip it, as NT's. grantedAccess may be NULL.
NTSTATUS ObCheckObjectAccess(void *object, ACCESS_MASK desiredAccess,
                             ACCESS_MASK *grantedAccess);
// Gives a new object of a type that requires security its descriptor now,
// from the creator's token, rather than at its first insert: for objects
// that may be opened without ever having been inserted (a thread made
// without a handle). Does nothing for an object already inserted.
NTSTATUS ObAssignObjectSecurity(void *object);

// Private to the object manager.
void ObpInitSecurity(void);
// A new object's descriptor at insert: the creator's explicit one (a
// kernel copy) completed from the creator's token; without one, when the
// object is to be named or its type requires security, one built from the
// token alone (owner, primary group, default DACL).
NTSTATUS ObpAssignSecurity(void *object, const void *explicitDescriptor, BOOLEAN named);
void ObpDeleteSecurity(OBJECT_HEADER *header);
// The length of the object's descriptor now (0: it has none).
ULONG ObpSecurityDescriptorLength(void *object);
NTSTATUS ObpCheckObjectAccess(void *object, ACCESS_MASK desiredAccess,
                              ACCESS_MASK *grantedAccess);
// ObInsertObject with the caller's mode: a user-mode caller (or
// OBJ_FORCE_ACCESS_CHECK) opening an existing object is checked against
// its descriptor.
NTSTATUS ObpInsertObject(void *object, const OBJECT_ATTRIBUTES *objectAttributes,
                         ACCESS_MASK desiredAccess, BOOLEAN userCaller, void **newObject,
                         HANDLE *handle);
// The lookup under ObReferenceObjectByName and ObOpenObjectByName, parse
// procedures included; *parsed says whether one made the object.
NTSTATUS ObpLookupObjectName(const OBJECT_ATTRIBUTES *objectAttributes, OBJECT_TYPE *objectType,
                             KPROCESSOR_MODE accessMode, void *parseContext, void **object,
                             BOOLEAN *parsed);

