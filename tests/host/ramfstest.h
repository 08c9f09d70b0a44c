// Helpers of the RAM file system's host tests (test_ramfs*.c): the core's
// allocator on the C heap, counted and able to fail on demand, and short
// ways to name paths and make files.
#pragma once

#include "hosttest.h"
#include "drivers/ramfs/rfcore.h"

// Blocks the core holds now; an allocation fails once RamFsTestFailAfter
// more have succeeded (-1: never).
extern long RamFsTestBlocks;
extern long RamFsTestFailAfter;

// A UNICODE_STRING of an ASCII literal, in one of a few rotating buffers.
UNICODE_STRING *U(const char *ascii);
// A fresh volume of `limit` bytes; the test fails if it cannot be made.
void RamFsTestVolume(RAMFS_VCB *vcb, ULONG64 limit);
// Creates (or opens) `path` with the disposition and options and closes it
// again; returns the create's status.
NTSTATUS RamFsTestTouch(RAMFS_VCB *vcb, const char *path, ULONG disposition, ULONG options);
// Creates a file holding `text`; returns the status of the create or write.
NTSTATUS RamFsTestWriteFile(RAMFS_VCB *vcb, const char *path, const char *text);
// The node at `path`, or NULL.
RAMFS_FCB *RamFsTestFind(RAMFS_VCB *vcb, const char *path);
// Closes an open the way a handle's close does (cleanup, then close).
void RamFsTestClose(RAMFS_VCB *vcb, RAMFS_FCB *fcb);
// `name` as ASCII, for comparing with EXPECT_STREQ.
const char *RamFsTestName(const UNICODE_STRING *name);
