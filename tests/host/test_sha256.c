// SHA-256 against FIPS 180-4's examples, HMAC-SHA-256 against RFC 4231's
// test cases, and the exercises' completion codes (kd/excode.c) against
// values tools/grade.py computes with Python's hmac module.

#include "hosttest.h"
#include "kd/exercise.h"
#include "rtl/sha256.h"

static void HexDigest(const UCHAR digest[SHA256_DIGEST_SIZE], char text[65])
{
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(text + 2 * i, 3, "%02x", digest[i]);
}

static void Sha256Text(const void *data, size_t length, char text[65])
{
    RTL_SHA256 context;
    UCHAR digest[SHA256_DIGEST_SIZE];

    RtlSha256Initialize(&context);
    RtlSha256Update(&context, data, length);
    RtlSha256Finish(&context, digest);
    HexDigest(digest, text);
}

static void HmacText(const void *key, size_t keyLength, const void *data, size_t length,
                     char text[65])
{
    UCHAR mac[SHA256_DIGEST_SIZE];

    RtlHmacSha256(key, keyLength, data, length, mac);
    HexDigest(mac, text);
}

TEST(Sha256MatchesFips180Examples)
{
    static const char twoBlocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    char text[65];

    Sha256Text("abc", 3, text);
    EXPECT_STREQ(text, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256Text(twoBlocks, strlen(twoBlocks), text);
    EXPECT_STREQ(text, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    Sha256Text("", 0, text);
    EXPECT_STREQ(text, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256OfAMillionAsFedInUnevenPieces)
{
    static char as[1000];
    RTL_SHA256 context;
    UCHAR digest[SHA256_DIGEST_SIZE];
    char text[65];
    size_t done = 0, piece = 1;

    memset(as, 'a', sizeof(as));
    RtlSha256Initialize(&context);
    // Pieces of 1, 2, ... 999 bytes: every offset within a block is crossed.
    while (done < 1000000) {
        size_t take = piece < 1000000 - done ? piece : 1000000 - done;

        RtlSha256Update(&context, as, take);
        done += take;
        piece = piece % 999 + 1;
    }
    RtlSha256Finish(&context, digest);
    HexDigest(digest, text);
    EXPECT_STREQ(text, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256PadsAtEveryLengthAroundTheBlockEnd)
{
    // 55 bytes fit the padding in one block, 56 need a second: both
    // against Python's hashlib.
    static const char x55[] = "0123456789012345678901234567890123456789012345678901234";
    char text[65];

    Sha256Text(x55, 55, text);
    EXPECT_STREQ(text, "f34d5a0f80c0cbf84c8c0b90218c22637abd199965249da736a20143c8c9c9d9");
    Sha256Text("01234567890123456789012345678901234567890123456789012345", 56, text);
    EXPECT_STREQ(text, "83aa034bda83e458a0dc9cbce0d4e354716aa0ff770ed37ac0ed2b292052e4af");
}

TEST(HmacSha256MatchesRfc4231)
{
    static const char longData[] =
        "This is a test using a larger than block-size key and a larger than block-size data. "
        "The key needs to be hashed before being used by the HMAC algorithm.";
    static const char longKeyData[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    UCHAR key[131], data[50];
    char text[65];

    memset(key, 0x0b, 20);
    HmacText(key, 20, "Hi There", 8, text);
    EXPECT_STREQ(text, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    HmacText("Jefe", 4, "what do ya want for nothing?", 28, text);
    EXPECT_STREQ(text, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    HmacText(key, 20, data, 50, text);
    EXPECT_STREQ(text, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++)
        key[i] = (UCHAR)(i + 1);
    memset(data, 0xcd, 50);
    HmacText(key, 25, data, 50, text);
    EXPECT_STREQ(text, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(key, 0xaa, 131);
    HmacText(key, 131, longKeyData, strlen(longKeyData), text);
    EXPECT_STREQ(text, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    HmacText(key, 131, longData, strlen(longData), text);
    EXPECT_STREQ(text, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(CompletionCodesAreWhatGradePyComputes)
{
    static const char devKey[] = "sleuth-development-key";
    static const char lecturerKey[] = "lecturer key 2026";
    char code[KD_COMPLETION_CODE_SIZE];

    KdFormatCompletionCode(devKey, strlen(devKey), 1, "s1", code);
    EXPECT_STREQ(code, "G54V-VUHI-CBOV");
    KdFormatCompletionCode(devKey, strlen(devKey), 0, "alice.smith", code);
    EXPECT_STREQ(code, "GUB7-P5J3-RBVJ");
    KdFormatCompletionCode(lecturerKey, strlen(lecturerKey), 3, "x", code);
    EXPECT_STREQ(code, "ASO5-GTBJ-I23B");
    // Another exercise, student or key: another code.
    KdFormatCompletionCode(devKey, strlen(devKey), 1, "s2", code);
    EXPECT(strcmp(code, "G54V-VUHI-CBOV") != 0);
}
