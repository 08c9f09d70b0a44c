// The interface between mpio.sys (the multipath driver) and a DSM, the
// storage vendor's device-specific module that knows its array's paths.
// A DSM imports MpioRegisterDsm (mpio.exports) and gives mpio its
// routines; mpio calls them for every request and for every path check.
#pragma once

#include "io/io.h"

typedef struct _MPIO_DSM_INIT {
    const char *DsmName;
    void *DsmContext;
    // The path a request should go down; STATUS_DEVICE_NOT_CONNECTED when
    // the DSM has no working path (it gives the failed one in *pathId).
    NTSTATUS (*DsmGetPath)(void *dsmContext, ULONG *pathId);
    // Checks the path (an inquiry down it); returns when the path answered
    // or failed. Called by mpio!MPIOPathVerify, a Delayed queue work item.
    NTSTATUS (*DsmPathVerify)(void *dsmContext, ULONG pathId);
} MPIO_DSM_INIT;

NTSTATUS MpioRegisterDsm(const MPIO_DSM_INIT *init);
