// ALPC's extensions: what a message carries besides its data (the message
// attributes: contexts, the sender's security, a view of a port section)
// and the port resources behind them, with NT 6's names and fields:
//
//   KALPC_SECURITY_DATA  a client's identity captured for impersonation,
//                        carried by a message (its security attribute) or
//                        kept on a port (NtAlpcCreateSecurityContext);
//   KALPC_SECTION        a section made for a port (NtAlpcCreatePortSection);
//   KALPC_REGION         a part of it, which views map;
//   KALPC_VIEW           a region mapped in one process, owned by a port
//                        (NtAlpcCreateSectionView, or a view received with
//                        a message).
//
// The ones a port owns are on its ResourceListHead, each named by an
// ALPC_HANDLE (a number unique to the system, looked up on that list):
// sections and security contexts by handle, views by address. A port's
// rundown (its last handle closed) unmaps its views and lets go of the
// rest. Lifetimes are reference counts: a message holds its security data
// and the sender's view; a view holds its region and its process; a region
// its section; a section its section object.
//
// One spin lock, AlpcpResourceLock, guards every resource list and the
// counts; nothing that maps, unmaps or frees runs under it.
#pragma once

#include "alpc/alpcp.h"
#include "ndk/ntalpcattr.h"
#include "mm/mm.h"

// ALPC_BLOB.Type.
#define ALPC_BLOB_SECTION  1
#define ALPC_BLOB_VIEW     2
#define ALPC_BLOB_SECURITY 3

// What every port resource starts with (NT's blob header, reduced).
typedef struct _ALPC_BLOB {
    LIST_ENTRY ResourceListEntry;       // on OwnerPort->ResourceListHead, while owned
    ULONG Type;                         // ALPC_BLOB_*
    LONG ReferenceCount;
    ALPC_HANDLE Handle;                 // what user mode names it by (views: 0)
    struct _ALPC_PORT *OwnerPort;       // NULL once its port let go of it
} ALPC_BLOB;

typedef struct _KALPC_SECURITY_DATA {
    ALPC_BLOB Blob;
    struct _EPROCESS *OwningProcess;    // whose thread it was taken from (not referenced)
    SECURITY_CLIENT_CONTEXT DynamicSecurity;
    union {
        struct {
            ULONG Revoked : 1;
            ULONG Impersonated : 1;     // a server has run as it
        } s1;
        ULONG State;
    } u1;
} KALPC_SECURITY_DATA;

typedef struct _KALPC_SECTION {
    ALPC_BLOB Blob;
    SECTION *SectionObject;             // referenced
    SIZE_T Size;                        // in bytes, whole pages
    struct _EPROCESS *OwnerProcess;     // not referenced
    ULONG NumberOfRegions;
    LIST_ENTRY RegionListHead;          // KALPC_REGIONs, by Offset
} KALPC_SECTION;

typedef struct _KALPC_REGION {
    LIST_ENTRY RegionListEntry;         // in Section->RegionListHead
    KALPC_SECTION *Section;             // referenced
    SIZE_T Offset;
    SIZE_T Size;                        // whole pages
    SIZE_T ViewSize;                    // as asked for
    LONG ReferenceCount;                // its views and the messages carrying it
    ULONG NumberOfViews;
} KALPC_REGION;

typedef struct _KALPC_VIEW {
    ALPC_BLOB Blob;                     // owned by the port it was made or received on
    KALPC_REGION *Region;               // referenced
    struct _EPROCESS *OwnerProcess;     // referenced while mapped
    void *Address;                      // where it is mapped in OwnerProcess (NULL: unmapped)
    SIZE_T Size;
    union {
        struct {
            ULONG WriteAccess : 1;
            ULONG Received : 1;         // mapped by a receive, not made by its owner
        } s1;
        ULONG State;
    } u1;
    ULONG NumberOfOwnerMessages;        // messages that carry it
} KALPC_VIEW;

#define ALPC_SECTION_TAG  POOL_TAG('A', 'l', 'S', 'e')
#define ALPC_REGION_TAG   POOL_TAG('A', 'l', 'R', 'e')
#define ALPC_VIEW_TAG     POOL_TAG('A', 'l', 'V', 'i')
#define ALPC_SECURITY_TAG POOL_TAG('A', 'l', 'S', 'c')

// Resources one port may own at once (sections, views, security contexts),
// so a loop of creations cannot take the pool: past it
// STATUS_INSUFFICIENT_RESOURCES.
#define ALPC_MAX_PORT_RESOURCES 64

extern KSPIN_LOCK AlpcpResourceLock;

// ---- Port resources (resource.c) ----------------------------------------------------

// Puts a new blob (its Type and count set) on `port`'s list, with a fresh
// handle when `named`: STATUS_INSUFFICIENT_RESOURCES past the bound,
// STATUS_PORT_DISCONNECTED when the port has run down.
NTSTATUS AlpcpInsertResource(struct _ALPC_PORT *port, ALPC_BLOB *blob, BOOLEAN named);
// Takes the blob of `type` named `handle` off the port's list (the list's
// reference passes to the caller): STATUS_INVALID_HANDLE when none is.
NTSTATUS AlpcpRemoveResource(struct _ALPC_PORT *port, ULONG type, ALPC_HANDLE handle,
                             ALPC_BLOB **blob);
// The delete services' common body (NtAlpcDeleteSecurityContext,
// NtAlpcDeletePortSection): the port's handle of that type goes, and its
// reference; what still uses the blob keeps it.
NTSTATUS AlpcpDeleteResourceByHandle(HANDLE portHandle, ULONG flags, ULONG type,
                                     ALPC_HANDLE handle);
// Takes `blob` off `port`'s list if it is still there (TRUE: the list's
// reference is the caller's now).
BOOLEAN AlpcpDetachResource(struct _ALPC_PORT *port, ALPC_BLOB *blob);
// The blob of `type` named `handle` on the port's list, referenced.
NTSTATUS AlpcpReferenceResource(struct _ALPC_PORT *port, ULONG type, ALPC_HANDLE handle,
                                ALPC_BLOB **blob);
// Drops a reference on any blob; the last one frees it (PASSIVE_LEVEL).
void AlpcpDereferenceBlob(ALPC_BLOB *blob);
static inline void AlpcpReferenceBlob(ALPC_BLOB *blob)
{
    __atomic_add_fetch(&blob->ReferenceCount, 1, __ATOMIC_RELAXED);
}
// The port's rundown: every resource off its list and let go, its views
// unmapped. Later insertions fail. PASSIVE_LEVEL, no lock held.
void AlpcpRundownPortResources(struct _ALPC_PORT *port);

// ---- Sections and views (view.c) ----------------------------------------------------

void AlpcpDeleteSection(KALPC_SECTION *section);
void AlpcpDeleteView(KALPC_VIEW *view);
// Unmaps a view from its process (once; its region stays referenced while
// messages carry the view).
void AlpcpUnmapView(KALPC_VIEW *view);
// The view `port` owns at `viewBase`, referenced (STATUS_INVALID_PARAMETER: none).
NTSTATUS AlpcpReferenceViewByAddress(struct _ALPC_PORT *port, void *viewBase,
                                     KALPC_VIEW **view);
// Takes a view the caller referenced off `port`'s list, unmaps it and drops
// both references (STATUS_INVALID_PARAMETER: the port had let go of it).
NTSTATUS AlpcpDeleteOwnedView(struct _ALPC_PORT *port, KALPC_VIEW *view);
// Maps `region` into the current process as a view owned by `port`.
NTSTATUS AlpcpMapRegion(struct _ALPC_PORT *port, KALPC_REGION *region, BOOLEAN received,
                        KALPC_VIEW **view);

// ---- Security (security.c) ----------------------------------------------------------

// The current thread's identity at `qos` (captured already).
NTSTATUS AlpcpCreateSecurityData(const SECURITY_QUALITY_OF_SERVICE *qos,
                                 KALPC_SECURITY_DATA **data);
void AlpcpDeleteSecurityData(KALPC_SECURITY_DATA *data);
// A client port's connection security, taken as it connects (the current
// thread is the client): with ALPC_PORFLG_ALLOW_IMPERSONATION, a copy of
// the client's token at its QoS's level (static tracking) or, with dynamic
// tracking, only the DynamicSecurity bit; without the flag nothing. And
// its release, when the port is deleted.
NTSTATUS AlpcpCaptureConnectionSecurity(struct _ALPC_PORT *clientPort);
void AlpcpDeleteConnectionSecurity(struct _ALPC_PORT *port);
// A user SECURITY_QUALITY_OF_SERVICE, probed and checked.
NTSTATUS AlpcpCaptureQos(const SECURITY_QUALITY_OF_SERVICE *userQos,
                         SECURITY_QUALITY_OF_SERVICE *qos);

// ---- Message attributes (attrib.c): the hooks the core calls --------------------------

// A send's attributes (user buffer, or NULL) onto `message`, sent through
// `port`: the sender's message context, security data and view. Refused
// (nothing kept) with STATUS_INVALID_PARAMETER for attributes that lie,
// or the status of a capture that failed.
NTSTATUS AlpcpCaptureMessageAttributes(struct _ALPC_PORT *port, KALPC_MESSAGE *message,
                                       ALPC_MESSAGE_ATTRIBUTES *userAttributes);
// A receive's attribute buffer (or NULL), checked before the receive waits:
// its header known bits only, the whole of it writable.
NTSTATUS AlpcpProbeReceiveAttributes(ALPC_MESSAGE_ATTRIBUTES *userAttributes);
// What a receive asked for in `userAttributes` (or NULL), written for
// `message`, received through `port`, and ValidAttributes set to what was.
NTSTATUS AlpcpWriteMessageAttributes(struct _ALPC_PORT *port, const KALPC_MESSAGE *message,
                                     ALPC_MESSAGE_ATTRIBUTES *userAttributes);
// Lets go of what a message carries (its block is being freed).
void AlpcpReleaseMessageAttributes(KALPC_MESSAGE *message);
