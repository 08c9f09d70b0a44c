// Shared by the tcapture test program: memory with holes in it, and every
// system service that captures OBJECT_ATTRIBUTES, driven by one routine
// each (services.c).
#pragma once

#include "tests/user/utest.h"

#define TC_PAGE_SIZE 4096

// The first byte of an inaccessible page that follows a committed one:
// TcHoles[0] a page only reserved, TcHoles[1] a page committed and then
// decommitted. A structure placed k bytes before a hole has its first k
// bytes readable and the rest not, so a copy of it stops part-way.
#define TC_HOLE_COUNT 2
extern UCHAR *TcHoles[TC_HOLE_COUNT];
NTSTATUS TcMakeHoles(void);
void TcFreeHoles(void);

// Calls one service with `attributes` as its OBJECT_ATTRIBUTES and every
// other argument valid, closes whatever handle it returned, and returns
// its status. Nothing it could create outlives the call.
typedef NTSTATUS (*TC_DRIVER)(OBJECT_ATTRIBUTES *attributes);

typedef struct _TC_SERVICE {
    const char *Name;
    TC_DRIVER Call;
    // What the service answers to attributes with no name and a valid
    // descriptor (the capture succeeds; the service goes on).
    NTSTATUS UnnamedStatus;
} TC_SERVICE;

// Indexed by service number; Call is NULL for a service that takes no
// OBJECT_ATTRIBUTES.
extern const TC_SERVICE TcServices[];
extern const int TcServiceCount;

NTSTATUS TcOpenHelpers(void);
void TcCloseHelpers(void);

extern const UTEST TcRaceTests[];
extern const int TcRaceTestCount;
