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
#include "ntalpcapi.h"    // the attribute structures, ALPC_HANDLE, the core services

// The message attribute bits NT 6.0/6.1 has (and Sleuth knows); any other
// bit is refused.
#define ALPC_MESSAGE_ATTRIBUTES_VALID                                                      \
    (ALPC_MESSAGE_SECURITY_ATTRIBUTE | ALPC_MESSAGE_VIEW_ATTRIBUTE |                       \
     ALPC_MESSAGE_CONTEXT_ATTRIBUTE | ALPC_MESSAGE_HANDLE_ATTRIBUTE)

// The view attribute's flags (ALPC_DATA_VIEW_ATTR.Flags).
#define ALPC_VIEWFLG_UNMAP_EXISTING 0x10000     // the sender's mapping goes when it is sent
#define ALPC_VIEWFLG_AUTO_RELEASE   0x20000
#define ALPC_VIEWFLG_NOT_SECURE     0x40000

// The handle attribute (its place in a buffer; Sleuth does not pass handles).
typedef struct _ALPC_HANDLE_ATTR {
    ULONG Flags;
    HANDLE Handle;
    ULONG ObjectType;
    ACCESS_MASK DesiredAccess;
} ALPC_HANDLE_ATTR, *PALPC_HANDLE_ATTR;

_Static_assert(sizeof(ALPC_SECURITY_ATTR) == 0x18, "x64 ALPC_SECURITY_ATTR");
_Static_assert(sizeof(ALPC_DATA_VIEW_ATTR) == 0x20, "x64 ALPC_DATA_VIEW_ATTR");
_Static_assert(sizeof(ALPC_HANDLE_ATTR) == 0x18, "x64 ALPC_HANDLE_ATTR");

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

// NtAlpcCreatePortSection and NtAlpcCreateSectionView: ntalpcapi.h.
NTSTATUS NTAPI NtAlpcDeletePortSection(HANDLE PortHandle, ULONG Flags,
                                       ALPC_HANDLE SectionHandle);
NTSTATUS NTAPI NtAlpcDeleteSectionView(HANDLE PortHandle, ULONG Flags, PVOID ViewBase);

// ---- Security (kernel/alpc/security.c) ----------------------------------------------

// A security context made once (the caller's identity now, at QoS's level)
// and named by ContextHandle in later messages' security attributes.
NTSTATUS NTAPI NtAlpcCreateSecurityContext(HANDLE PortHandle, ULONG Flags,
                                           PALPC_SECURITY_ATTR SecurityAttribute);
NTSTATUS NTAPI NtAlpcDeleteSecurityContext(HANDLE PortHandle, ULONG Flags,
                                           ALPC_HANDLE ContextHandle);
// NtAlpcImpersonateClientOfPort (ntalpcapi.h): the calling server thread
// runs as the client whose request `message` is (received, not yet replied
// to), by the message's security attribute or, without one, by the
// client's connection if the client's port allows it
// (ALPC_PORFLG_ALLOW_IMPERSONATION). Its third argument must be NULL.
