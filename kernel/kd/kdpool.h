// The pool tag descriptions (Sleuth's pooltag.txt, kernel/kd/pooltag.txt),
// generated at build time by tools/genpooltag.py, which also fails the build
// when a tag the sources use has no description.
#pragma once

#include "ndk/ntdef.h"

typedef struct _KD_POOLTAG_DESCRIPTION {
    ULONG Tag;
    const char *Description;
    const char *Binary;         // nt!component, or the driver's image name
} KD_POOLTAG_DESCRIPTION;

extern const KD_POOLTAG_DESCRIPTION KdpPoolTagDescriptions[];
extern const ULONG KdpPoolTagDescriptionCount;

// The description of `tag`, or NULL when pooltag.txt has none.
const KD_POOLTAG_DESCRIPTION *KdpDescribePoolTag(ULONG tag);
