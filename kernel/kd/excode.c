// Completion codes (docs/exercises/README.md): HMAC-SHA-256 under the
// lecturer's key (GRADE_KEY at build time) of "sleuth-exercise:NNN:ID",
// its first 60 bits in base32, three groups of four (7KQ2-M9TA-C4XR). Pure code: the host tests
// check it, and tools/grade.py computes the same to verify a code.

#include "kd/exercise.h"
#include "rtl/sha256.h"

void KdFormatCompletionCode(const void *key, SIZE_T keyLength, ULONG exercise,
                            const char *student, char code[KD_COMPLETION_CODE_SIZE])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";     // RFC 4648
    UCHAR mac[SHA256_DIGEST_SIZE];
    char message[64];
    size_t length;
    ULONG64 bits = 0;
    ULONG at = 0;

    length = RtlStringPrintf(message, sizeof(message), "sleuth-exercise:%03u:%s", exercise,
                             student);
    RtlHmacSha256(key, keyLength, message, length, mac);
    for (ULONG i = 0; i < 8; i++)
        bits = bits << 8 | mac[i];
    // Twelve 5-bit groups from the top: 60 of the 64 bits.
    for (ULONG i = 0; i < 12; i++) {
        if (i && i % 4 == 0)
            code[at++] = '-';
        code[at++] = alphabet[(bits >> (59 - 5 * i)) & 31];
    }
    code[at] = '\0';
}
