// What the two halves of !lpc share: lpcdump.c reads and prints ports,
// messages and the threads' LPC fields; cmdlpc.c is the command itself.
// Everything is read through the fault-safe reader: the debugger trusts no
// pointer it finds in a port, a message or a thread.
#pragma once

#include "kd/kd.h"
#include "ps/ps.h"
#include "lpc/lpcp.h"

#define KD_LPC_MAX_NAME 128

// A port as the debugger read it: the object, its counts and its name.
typedef struct _KD_PORT {
    ULONG64 Address;
    LPCP_PORT_OBJECT Port;
    LONG_PTR HandleCount;
    LONG_PTR PointerCount;
    char Name[KD_LPC_MAX_NAME];     // "" when unnamed
} KD_PORT;

// A thread's LPC fields.
typedef struct _KD_LPC_THREAD {
    ULONG64 Address;
    ULONG ReplyMessageId;           // the request it waits a reply for, or 0
    ULONG ReceivedMessageId;        // the request it received last...
    BOOLEAN ReceivedValid;          // ...while it has not replied
    ULONG64 ReplyMessage;           // LpcReplyMessage / LpcWaitingOnPort, flag bits included
    // A message handed to it by its sender (LpcHandoffMessage: never
    // queued, taken when it runs) and the queue semaphore its receive
    // waited on, which says whose queue the message stands for.
    ULONG64 HandoffMessage;
    ULONG64 HandoffSemaphore;
} KD_LPC_THREAD;

// Reads the port at `address`: an object of one of the port types. Unless
// `quiet`, says in one line why it is not one.
BOOLEAN KdpReadPort(ULONG64 address, KD_PORT *port, BOOLEAN quiet);

// Calls back for every port of every port type; FALSE from the callback
// stops. Returns the number of ports visited.
typedef BOOLEAN (*KD_PORT_CALLBACK)(void *context, const KD_PORT *port);
ULONG KdpForEachPort(KD_PORT_CALLBACK callback, void *context);

// Calls back for every thread of every process; FALSE stops.
typedef BOOLEAN (*KD_LPC_THREAD_CALLBACK)(void *context, const KD_LPC_THREAD *thread);
void KdpForEachLpcThread(KD_LPC_THREAD_CALLBACK callback, void *context);
BOOLEAN KdpReadLpcThread(ULONG64 address, KD_LPC_THREAD *thread);

// Is `thread` on the port's reply chain (its rundown queue)?
BOOLEAN KdpPortHasRundownThread(const KD_PORT *port, ULONG64 thread);

// One port's paragraph as WinDbg prints it, after a blank line. With
// KD_LPC_PEERS a communication port is followed by its peer and its
// connection port; with KD_LPC_RUNDOWN the threads on its reply chain are
// listed too.
#define KD_LPC_PEERS   0x1
#define KD_LPC_RUNDOWN 0x2
void KdpPrintPort(const KD_PORT *port, ULONG flags);

// One message block: its id, sender, context and links, then its lengths,
// type and first data words.
void KdpPrintMessage(ULONG64 message, ULONG indent, ULONG index);
// Where a message block is: on a port's queue or data-info chain, or held
// by a thread as its reply; a line saying so.
void KdpPrintMessageLocation(ULONG64 message, ULONG indent);

// Calls back for every pool block tagged LpcM (a message block), walking the
// pool's pages through the page tables and each page through its headers.
typedef BOOLEAN (*KD_MESSAGE_CALLBACK)(void *context, ULONG64 message);
ULONG KdpForEachPoolMessage(KD_MESSAGE_CALLBACK callback, void *context);
