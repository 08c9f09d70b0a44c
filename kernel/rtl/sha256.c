// SHA-256 and HMAC-SHA-256, written from FIPS 180-4 and RFC 2104.

#include "rtl/sha256.h"

static const ULONG RtlpSha256K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static inline ULONG RtlpRotateRight(ULONG value, ULONG count)
{
    return (value >> count) | (value << (32 - count));
}

static void RtlpSha256Block(ULONG state[8], const UCHAR block[SHA256_BLOCK_SIZE])
{
    ULONG w[64], a, b, c, d, e, f, g, h;

    for (ULONG i = 0; i < 16; i++)
        w[i] = (ULONG)block[4 * i] << 24 | (ULONG)block[4 * i + 1] << 16 |
               (ULONG)block[4 * i + 2] << 8 | block[4 * i + 3];
    for (ULONG i = 16; i < 64; i++) {
        ULONG s0 = RtlpRotateRight(w[i - 15], 7) ^ RtlpRotateRight(w[i - 15], 18) ^
                   (w[i - 15] >> 3);
        ULONG s1 = RtlpRotateRight(w[i - 2], 17) ^ RtlpRotateRight(w[i - 2], 19) ^
                   (w[i - 2] >> 10);

        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = state[0], b = state[1], c = state[2], d = state[3];
    e = state[4], f = state[5], g = state[6], h = state[7];
    for (ULONG i = 0; i < 64; i++) {
        ULONG s1 = RtlpRotateRight(e, 6) ^ RtlpRotateRight(e, 11) ^ RtlpRotateRight(e, 25);
        ULONG choose = (e & f) ^ (~e & g);
        ULONG t1 = h + s1 + choose + RtlpSha256K[i] + w[i];
        ULONG s0 = RtlpRotateRight(a, 2) ^ RtlpRotateRight(a, 13) ^ RtlpRotateRight(a, 22);
        ULONG majority = (a & b) ^ (a & c) ^ (b & c);
        ULONG t2 = s0 + majority;

        h = g, g = f, f = e, e = d + t1;
        d = c, c = b, b = a, a = t1 + t2;
    }
    state[0] += a, state[1] += b, state[2] += c, state[3] += d;
    state[4] += e, state[5] += f, state[6] += g, state[7] += h;
}

void RtlSha256Initialize(RTL_SHA256 *context)
{
    static const ULONG initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

    memcpy(context->State, initial, sizeof(initial));
    context->Length = 0;
    context->Buffered = 0;
}

void RtlSha256Update(RTL_SHA256 *context, const void *data, SIZE_T length)
{
    const UCHAR *bytes = data;

    context->Length += length;
    while (length) {
        ULONG take = SHA256_BLOCK_SIZE - context->Buffered;

        if (take > length)
            take = (ULONG)length;
        memcpy(context->Buffer + context->Buffered, bytes, take);
        context->Buffered += take;
        bytes += take;
        length -= take;
        if (context->Buffered == SHA256_BLOCK_SIZE) {
            RtlpSha256Block(context->State, context->Buffer);
            context->Buffered = 0;
        }
    }
}

void RtlSha256Finish(RTL_SHA256 *context, UCHAR digest[SHA256_DIGEST_SIZE])
{
    ULONG64 bits = context->Length * 8;
    UCHAR tail[SHA256_BLOCK_SIZE * 2];
    ULONG tailLength;

    // 0x80, zeros up to 8 bytes short of a block's end, the length in bits.
    memset(tail, 0, sizeof(tail));
    tail[0] = 0x80;
    tailLength = context->Buffered < SHA256_BLOCK_SIZE - 8
                     ? SHA256_BLOCK_SIZE - context->Buffered
                     : 2 * SHA256_BLOCK_SIZE - context->Buffered;
    for (ULONG i = 0; i < 8; i++)
        tail[tailLength - 1 - i] = (UCHAR)(bits >> (8 * i));
    RtlSha256Update(context, tail, tailLength);
    for (ULONG i = 0; i < 8; i++) {
        digest[4 * i] = (UCHAR)(context->State[i] >> 24);
        digest[4 * i + 1] = (UCHAR)(context->State[i] >> 16);
        digest[4 * i + 2] = (UCHAR)(context->State[i] >> 8);
        digest[4 * i + 3] = (UCHAR)context->State[i];
    }
    memset(context, 0, sizeof(*context));
}

void RtlHmacSha256(const void *key, SIZE_T keyLength, const void *data, SIZE_T dataLength,
                   UCHAR mac[SHA256_DIGEST_SIZE])
{
    UCHAR block[SHA256_BLOCK_SIZE], pad[SHA256_BLOCK_SIZE], inner[SHA256_DIGEST_SIZE];
    RTL_SHA256 context;

    memset(block, 0, sizeof(block));
    if (keyLength > SHA256_BLOCK_SIZE) {
        RtlSha256Initialize(&context);
        RtlSha256Update(&context, key, keyLength);
        RtlSha256Finish(&context, block);
    } else {
        memcpy(block, key, keyLength);
    }
    for (ULONG i = 0; i < SHA256_BLOCK_SIZE; i++)
        pad[i] = block[i] ^ 0x36;
    RtlSha256Initialize(&context);
    RtlSha256Update(&context, pad, sizeof(pad));
    RtlSha256Update(&context, data, dataLength);
    RtlSha256Finish(&context, inner);
    for (ULONG i = 0; i < SHA256_BLOCK_SIZE; i++)
        pad[i] = block[i] ^ 0x5c;
    RtlSha256Initialize(&context);
    RtlSha256Update(&context, pad, sizeof(pad));
    RtlSha256Update(&context, inner, sizeof(inner));
    RtlSha256Finish(&context, mac);
    memset(block, 0, sizeof(block));
    memset(pad, 0, sizeof(pad));
}
