// Helpers shared by the object tests (tsync, ttimers, tobject, tnamespace,
// twaits): OBJECT_ATTRIBUTES over a literal name, and a handle that is not
// open.
#pragma once

#include "tests/user/utest.h"

// OBJECT_ATTRIBUTES naming `name` (which must outlive the attributes).
static inline OBJECT_ATTRIBUTES UtAttributes(UNICODE_STRING *name, ULONG attributes)
{
    OBJECT_ATTRIBUTES objectAttributes;

    InitializeObjectAttributes(&objectAttributes, name, attributes, NULL, NULL);
    return objectAttributes;
}

// A handle value no test ever opens (the tables start small and grow).
#define UT_NEVER_OPENED ((HANDLE)(ULONG_PTR)0x7FFC)
// A zero timeout: a wait that only polls.
static inline LARGE_INTEGER UtNoWait(void)
{
    LARGE_INTEGER zero;

    zero.QuadPart = 0;
    return zero;
}
