// SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104): pure code, for the
// exercises' completion codes (kd/excode.c). Tested on the host against the
// FIPS 180-4 examples and RFC 4231's vectors (tests/host/test_sha256.c).
#pragma once

#include "rtl/rtl.h"

#define SHA256_BLOCK_SIZE 64
#define SHA256_DIGEST_SIZE 32

typedef struct _RTL_SHA256 {
    ULONG State[8];
    ULONG64 Length;                 // bytes hashed so far
    UCHAR Buffer[SHA256_BLOCK_SIZE];
    ULONG Buffered;                 // bytes waiting in Buffer
} RTL_SHA256;

void RtlSha256Initialize(RTL_SHA256 *context);
void RtlSha256Update(RTL_SHA256 *context, const void *data, SIZE_T length);
void RtlSha256Finish(RTL_SHA256 *context, UCHAR digest[SHA256_DIGEST_SIZE]);

// HMAC-SHA-256 of `data` under `key` (any length: a key longer than a block
// is hashed first, as RFC 2104 says).
void RtlHmacSha256(const void *key, SIZE_T keyLength, const void *data, SIZE_T dataLength,
                   UCHAR mac[SHA256_DIGEST_SIZE]);
