// ALPC's message attributes, port sections and views as user mode sees
// them, with NT 6's x64 layouts. Part of the NT ABI (kernel/ndk/); the
// ports and messages themselves are in ntalpcapi.h and kernel/alpc/.
//
// A message attribute buffer is an ALPC_MESSAGE_ATTRIBUTES header followed
// by one structure for each attribute bit set in AllocatedAttributes, in
// the order of the bits from the highest down (security, view, context,
// handle). AlpcInitializeMessageAttribute lays one out, AlpcGetMessageAttribute
// finds an attribute in it (kernel/rtl/alpcattr.c, shared by the kernel and
// the user runtime). ValidAttributes says which of them hold something: the
// ones a sender filled in, the ones the kernel wrote on a receive.
#pragma once

#include "ntdef.h"
#include "ntseapi.h"
#include "ntlpcapi.h"     // PORT_MESSAGE

// ALPC_MESSAGE_ATTRIBUTES bits, NT's values.
#define ALPC_MESSAGE_SECURITY_ATTRIBUTE 0x80000000
#define ALPC_MESSAGE_VIEW_ATTRIBUTE     0x40000000
#define ALPC_MESSAGE_CONTEXT_ATTRIBUTE  0x20000000
#define ALPC_MESSAGE_HANDLE_ATTRIBUTE   0x10000000
// The ones NT 6.0/6.1 has (and Sleuth knows); any other bit is refused.
#define ALPC_MESSAGE_ATTRIBUTES_VALID                                                      \
    (ALPC_MESSAGE_SECURITY_ATTRIBUTE | ALPC_MESSAGE_VIEW_ATTRIBUTE |                       \
     ALPC_MESSAGE_CONTEXT_ATTRIBUTE | ALPC_MESSAGE_HANDLE_ATTRIBUTE)

// A handle in a port's own table (sections, security contexts), not in the
// process's object handle table.
typedef HANDLE ALPC_HANDLE, *PALPC_HANDLE;

typedef struct _ALPC_MESSAGE_ATTRIBUTES {
    ULONG AllocatedAttributes;      // the structures that follow
    ULONG ValidAttributes;          // those that hold something
} ALPC_MESSAGE_ATTRIBUTES, *PALPC_MESSAGE_ATTRIBUTES;

// The security attribute: a sender's identity travels with the message, so
// the receiver may impersonate it (NtAlpcImpersonateClientOfPort). QoS says
// at which level and how; ContextHandle names a context made once with
// NtAlpcCreateSecurityContext instead (then QoS is not read).
#define ALPC_SECFLG_CREATE_HANDLE 0x20000
typedef struct _ALPC_SECURITY_ATTR {
    ULONG Flags;
    PSECURITY_QUALITY_OF_SERVICE QoS;
    ALPC_HANDLE ContextHandle;
} ALPC_SECURITY_ATTR, *PALPC_SECURITY_ATTR;

// The view attribute: a view of a port section (NtAlpcCreateSectionView)
// that travels with the message and is mapped into the receiver.
#define ALPC_VIEWFLG_UNMAP_EXISTING 0x10000     // the sender's view goes when it is sent
#define ALPC_VIEWFLG_AUTO_RELEASE   0x20000
#define ALPC_VIEWFLG_NOT_SECURE     0x40000
typedef struct _ALPC_DATA_VIEW_ATTR {
    ULONG Flags;
    ALPC_HANDLE SectionHandle;
    PVOID ViewBase;                 // 0 in NtAlpcCreateSectionView; written by it
    SIZE_T ViewSize;
} ALPC_DATA_VIEW_ATTR, *PALPC_DATA_VIEW_ATTR;

// The context attribute: what a receiver learns about a message besides its
// header (and what NtAlpcCancelMessage names a message by).
typedef struct _ALPC_CONTEXT_ATTR {
    PVOID PortContext;              // the receiving side's port context
    PVOID MessageContext;           // the receiving side's context for this message
    ULONG Sequence;                 // the message's sequence number on its port
    ULONG MessageId;
    ULONG CallbackId;
} ALPC_CONTEXT_ATTR, *PALPC_CONTEXT_ATTR;

typedef struct _ALPC_HANDLE_ATTR {
    ULONG Flags;
    HANDLE Handle;
    ULONG ObjectType;
    ACCESS_MASK DesiredAccess;
} ALPC_HANDLE_ATTR, *PALPC_HANDLE_ATTR;

#ifndef SLEUTH_HOST
_Static_assert(sizeof(ALPC_SECURITY_ATTR) == 0x18, "x64 ALPC_SECURITY_ATTR");
_Static_assert(sizeof(ALPC_DATA_VIEW_ATTR) == 0x20, "x64 ALPC_DATA_VIEW_ATTR");
_Static_assert(sizeof(ALPC_CONTEXT_ATTR) == 0x20, "x64 ALPC_CONTEXT_ATTR");
_Static_assert(sizeof(ALPC_HANDLE_ATTR) == 0x18, "x64 ALPC_HANDLE_ATTR");
#endif

// ---- The run-time library's two routines (ntdll's; kernel/rtl/alpcattr.c) ----------

// Lays out an attribute buffer for `attributeFlags`: *requiredBufferSize
// is what it takes; STATUS_BUFFER_TOO_SMALL when bufferSize is less (or
// buffer is NULL), STATUS_INVALID_PARAMETER for an unknown bit. On success
// AllocatedAttributes is attributeFlags and ValidAttributes 0.
NTSTATUS NTAPI AlpcInitializeMessageAttribute(ULONG attributeFlags,
                                              PALPC_MESSAGE_ATTRIBUTES buffer,
                                              ULONG bufferSize, PULONG requiredBufferSize);
// The structure of one attribute (a single bit) in the buffer, or NULL when
// the buffer has no room for it.
PVOID NTAPI AlpcGetMessageAttribute(PALPC_MESSAGE_ATTRIBUTES buffer, ULONG attributeFlag);
// The size of a buffer holding `attributeFlags` (known bits only), and the
// offset of `attributeFlag`'s structure in one allocated with `allocated`.
ULONG AlpcpMessageAttributesSize(ULONG attributeFlags);
ULONG AlpcpMessageAttributeOffset(ULONG allocated, ULONG attributeFlag);

// ---- Port sections and views (kernel/alpc/view.c) -----------------------------------
//
// A port section is memory both sides of a connection may map: made on a
// port (from a section the caller has, or a new one), named by an
// ALPC_HANDLE of that port. A view maps part of it (a region) into the
// caller; passed with a message (the view attribute), the same region is
// mapped into the receiver. Views are unmapped and sections freed with
// their port.

NTSTATUS NTAPI NtAlpcCreatePortSection(HANDLE PortHandle, ULONG Flags, HANDLE SectionHandle,
                                       SIZE_T SectionSize, PALPC_HANDLE AlpcSectionHandle,
                                       PSIZE_T ActualSectionSize);
NTSTATUS NTAPI NtAlpcDeletePortSection(HANDLE PortHandle, ULONG Flags,
                                       ALPC_HANDLE SectionHandle);
NTSTATUS NTAPI NtAlpcCreateSectionView(HANDLE PortHandle, ULONG Flags,
                                       PALPC_DATA_VIEW_ATTR ViewAttributes);
NTSTATUS NTAPI NtAlpcDeleteSectionView(HANDLE PortHandle, ULONG Flags, PVOID ViewBase);

// ---- Security (kernel/alpc/security.c) ----------------------------------------------

// A security context made once (the caller's identity now, at QoS's level)
// and named by ContextHandle in later messages' security attributes.
NTSTATUS NTAPI NtAlpcCreateSecurityContext(HANDLE PortHandle, ULONG Flags,
                                           PALPC_SECURITY_ATTR SecurityAttribute);
NTSTATUS NTAPI NtAlpcDeleteSecurityContext(HANDLE PortHandle, ULONG Flags,
                                           ALPC_HANDLE ContextHandle);
// The calling server thread runs as the client whose request `Message` is
// (received, not yet replied to), by the message's security attribute or,
// without one, by the client's connection if the client's port allows it
// (ALPC_PORFLG_ALLOW_IMPERSONATION). Reserved must be NULL.
NTSTATUS NTAPI NtAlpcImpersonateClientOfPort(HANDLE PortHandle, PORT_MESSAGE *Message,
                                             PVOID Reserved);
