// The RAM file system's contents, enumeration and boot image.

#include <stdlib.h>
#include "ramfstest.h"

#define LIMIT (1024 * 1024)

static RAMFS_FCB *OpenNew(RAMFS_VCB *vcb, const char *path)
{
    RAMFS_FCB *fcb = NULL;
    ULONG_PTR info;

    if (!NT_SUCCESS(RamFsCreate(vcb, U(path), FILE_CREATE, 0, 0, &fcb, &info)))
        return NULL;
    return fcb;
}

TEST(RamFsWriteGrowsAndReadStopsAtTheEnd)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    char buffer[64];
    ULONG done;

    RamFsTestVolume(&vcb, LIMIT);
    fcb = OpenNew(&vcb, "\\f");
    EXPECT(fcb != NULL);
    EXPECT_EQ(RamFsReadData(fcb, 0, buffer, sizeof(buffer), &done), STATUS_END_OF_FILE);
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, 0, "hello", 5, &done), STATUS_SUCCESS);
    EXPECT_EQ(done, 5);
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, 5, " world", 6, &done), STATUS_SUCCESS);
    EXPECT_EQ(fcb->FileSize, 11);
    memset(buffer, 0, sizeof(buffer));
    EXPECT_EQ(RamFsReadData(fcb, 0, buffer, sizeof(buffer), &done), STATUS_SUCCESS);
    EXPECT_EQ(done, 11);
    EXPECT_STREQ(buffer, "hello world");
    memset(buffer, 0, sizeof(buffer));
    EXPECT_EQ(RamFsReadData(fcb, 6, buffer, 3, &done), STATUS_SUCCESS);
    EXPECT_STREQ(buffer, "wor");
    EXPECT_EQ(RamFsReadData(fcb, 11, buffer, 1, &done), STATUS_END_OF_FILE);
    EXPECT_EQ(done, 0);
    EXPECT_EQ(RamFsReadData(fcb, ~0ull, buffer, 1, &done), STATUS_END_OF_FILE);
    RamFsTestClose(&vcb, fcb);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsWritePastTheEndLeavesZerosInTheGap)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    UCHAR buffer[8200];
    ULONG done;

    RamFsTestVolume(&vcb, LIMIT);
    fcb = OpenNew(&vcb, "\\f");
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, 0, "ab", 2, &done), STATUS_SUCCESS);
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, 8190, "yz", 2, &done), STATUS_SUCCESS);
    EXPECT_EQ(fcb->FileSize, 8192);
    EXPECT_EQ(RamFsReadData(fcb, 0, buffer, sizeof(buffer), &done), STATUS_SUCCESS);
    EXPECT_EQ(done, 8192);
    EXPECT(buffer[0] == 'a' && buffer[1] == 'b' && buffer[8190] == 'y');
    for (int i = 2; i < 8190; i++)
        EXPECT_EQ(buffer[i], 0);
    RamFsTestClose(&vcb, fcb);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsGrowthDoublesSoSmallWritesCopyLittle)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    ULONG done, grows = 0;
    ULONG64 last = 0;

    RamFsTestVolume(&vcb, LIMIT);
    fcb = OpenNew(&vcb, "\\log");
    for (int i = 0; i < 10000; i++) {
        EXPECT_EQ(RamFsWriteData(&vcb, fcb, fcb->FileSize, "0123456789", 10, &done),
                  STATUS_SUCCESS);
        if (fcb->AllocationSize != last)
            grows++;
        last = fcb->AllocationSize;
    }
    EXPECT_EQ(fcb->FileSize, 100000);
    EXPECT(grows <= 12);
    EXPECT_EQ(vcb.BytesUsed, fcb->AllocationSize);
    RamFsTestClose(&vcb, fcb);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsVolumeFullIsDiskFull)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    static UCHAR big[5000];
    ULONG done;

    RamFsTestVolume(&vcb, 8192);
    fcb = OpenNew(&vcb, "\\f");
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, 0, big, sizeof(big), &done), STATUS_SUCCESS);
    // Doubling would pass the limit: the file gets exactly what it needs.
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, 5000, big, 3000, &done), STATUS_SUCCESS);
    EXPECT_EQ(vcb.BytesUsed, 8000);
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, 8000, big, 193, &done), STATUS_DISK_FULL);
    EXPECT_EQ(done, 0);
    EXPECT_EQ(fcb->FileSize, 8000);
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, RAMFS_MAX_FILE_SIZE, big, 1, &done), STATUS_DISK_FULL);
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, ~0ull - 1, big, 4, &done), STATUS_DISK_FULL);
    RamFsTestClose(&vcb, fcb);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsWriteOutOfMemoryKeepsTheOldBytes)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    char buffer[8];
    ULONG done;

    RamFsTestVolume(&vcb, LIMIT);
    fcb = OpenNew(&vcb, "\\f");
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, 0, "keep", 4, &done), STATUS_SUCCESS);
    RamFsTestFailAfter = 0;
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, 1000, "x", 1, &done), STATUS_INSUFFICIENT_RESOURCES);
    RamFsTestFailAfter = -1;
    EXPECT_EQ(fcb->FileSize, 4);
    EXPECT_EQ(RamFsReadData(fcb, 0, buffer, 4, &done), STATUS_SUCCESS);
    EXPECT(memcmp(buffer, "keep", 4) == 0);
    RamFsTestClose(&vcb, fcb);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsSetFileSizeTruncatesAndExtendsWithZeros)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    char buffer[8];
    ULONG done;

    RamFsTestVolume(&vcb, LIMIT);
    fcb = OpenNew(&vcb, "\\f");
    EXPECT_EQ(RamFsWriteData(&vcb, fcb, 0, "abcdef", 6, &done), STATUS_SUCCESS);
    EXPECT_EQ(RamFsSetFileSize(&vcb, fcb, 2), STATUS_SUCCESS);
    EXPECT_EQ(RamFsSetFileSize(&vcb, fcb, 5), STATUS_SUCCESS);
    EXPECT_EQ(RamFsReadData(fcb, 0, buffer, 8, &done), STATUS_SUCCESS);
    EXPECT_EQ(done, 5);
    EXPECT(memcmp(buffer, "ab\0\0\0", 5) == 0);
    EXPECT_EQ(RamFsSetFileSize(&vcb, fcb, RAMFS_MAX_FILE_SIZE + 1), STATUS_DISK_FULL);
    EXPECT_EQ(RamFsSetFileSize(&vcb, vcb.RootFcb, 0), STATUS_INVALID_PARAMETER);
    RamFsTestClose(&vcb, fcb);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsCipherIsItsOwnInverseAndDependsOnKeyAndOffset)
{
    UCHAR fek[RAMFS_FEK_LENGTH] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    UCHAR other[RAMFS_FEK_LENGTH] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17};
    char text[40] = "the quick brown fox jumps over the dog";
    char a[40], b[40], c[40];

    memcpy(a, text, 40);
    RamFsCipher(fek, 0, a, 40);
    EXPECT(memcmp(a, text, 40) != 0);
    memcpy(b, text, 40);
    RamFsCipher(other, 0, b, 40);
    EXPECT(memcmp(a, b, 40) != 0);
    // Any piece deciphers on its own, at its offset.
    memcpy(c, a, 40);
    RamFsCipher(fek, 13, c + 13, 11);
    EXPECT(memcmp(c + 13, text + 13, 11) == 0);
    RamFsCipher(fek, 0, a, 40);
    EXPECT(memcmp(a, text, 40) == 0);
    // The stream tools/mkrootfs.py produces: its first bytes for this key.
    memset(a, 0, 8);
    RamFsCipher(fek, 0, a, 8);
    EXPECT_EQ(*(ULONG64 *)a, 0xdb1dd6e710f1e2b6ull);
}

// Lists `path`'s entries matching `pattern` as "a,b,c" (the enumeration one
// entry at a time, as a caller with a one-entry buffer sees it).
static const char *List(RAMFS_VCB *vcb, const char *path, const char *pattern)
{
    static char text[512];
    RAMFS_FCB *directory = RamFsTestFind(vcb, path), *entry;
    RAMFS_CCB ccb;
    BOOLEAN first = TRUE;
    NTSTATUS status;

    memset(&ccb, 0, sizeof(ccb));
    text[0] = 0;
    while (NT_SUCCESS(status = RamFsNextDirectoryEntry(directory, &ccb,
                                                       pattern ? U(pattern) : NULL, first,
                                                       &entry))) {
        if (text[0])
            strcat(text, ",");
        strcat(text, RamFsTestName(&entry->FileName));
        RamFsAdvanceEnumeration(&ccb, entry);
        first = FALSE;
    }
    if (status == STATUS_NO_SUCH_FILE)
        strcat(text, "<none>");
    else if (status != STATUS_NO_MORE_FILES)
        strcat(text, "<error>");
    RamFsDeleteCcb(&ccb);
    return text;
}

TEST(RamFsEnumerationIsOrderedAndFiltered)
{
    RAMFS_VCB vcb;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\b.txt", "1"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\A.txt", "1"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\c.log", "1"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\Dir", FILE_CREATE, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    EXPECT_STREQ(List(&vcb, "\\", NULL), "A.txt,b.txt,c.log,Dir");
    EXPECT_STREQ(List(&vcb, "\\", "*.TXT"), "A.txt,b.txt");
    EXPECT_STREQ(List(&vcb, "\\", "?.log"), "c.log");
    EXPECT_STREQ(List(&vcb, "\\", "d*"), "Dir");
    EXPECT_STREQ(List(&vcb, "\\", "*.exe"), "<none>");
    EXPECT_STREQ(List(&vcb, "\\Dir", NULL), "<none>");
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsEnumerationResumesByNameAndRestarts)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *entry;
    RAMFS_CCB ccb;

    RamFsTestVolume(&vcb, LIMIT);
    memset(&ccb, 0, sizeof(ccb));
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\a", "1"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\c", "1"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsNextDirectoryEntry(vcb.RootFcb, &ccb, NULL, FALSE, &entry), STATUS_SUCCESS);
    EXPECT_STREQ(RamFsTestName(&entry->FileName), "a");
    // Not advanced: the same entry again (it did not fit the caller's buffer).
    EXPECT_EQ(RamFsNextDirectoryEntry(vcb.RootFcb, &ccb, NULL, FALSE, &entry), STATUS_SUCCESS);
    EXPECT_STREQ(RamFsTestName(&entry->FileName), "a");
    EXPECT_EQ(RamFsAdvanceEnumeration(&ccb, entry), STATUS_SUCCESS);
    // Entries made and deleted meanwhile neither repeat nor shift the rest.
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\b", "1"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsSetDeletePending(RamFsTestFind(&vcb, "\\a"), TRUE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\a", FILE_OPEN, 0), STATUS_DELETE_PENDING);
    EXPECT_EQ(RamFsNextDirectoryEntry(vcb.RootFcb, &ccb, NULL, FALSE, &entry), STATUS_SUCCESS);
    EXPECT_STREQ(RamFsTestName(&entry->FileName), "b");
    RamFsAdvanceEnumeration(&ccb, entry);
    // A later pattern is ignored; a restart takes it.
    EXPECT_EQ(RamFsNextDirectoryEntry(vcb.RootFcb, &ccb, U("a"), FALSE, &entry),
              STATUS_SUCCESS);
    EXPECT_STREQ(RamFsTestName(&entry->FileName), "c");
    RamFsAdvanceEnumeration(&ccb, entry);
    EXPECT_EQ(RamFsNextDirectoryEntry(vcb.RootFcb, &ccb, NULL, FALSE, &entry),
              STATUS_NO_MORE_FILES);
    EXPECT_EQ(RamFsNextDirectoryEntry(vcb.RootFcb, &ccb, NULL, FALSE, &entry),
              STATUS_NO_MORE_FILES);
    EXPECT_EQ(RamFsNextDirectoryEntry(vcb.RootFcb, &ccb, U("c"), TRUE, &entry),
              STATUS_SUCCESS);
    EXPECT_STREQ(RamFsTestName(&entry->FileName), "c");
    EXPECT_EQ(RamFsNextDirectoryEntry(RamFsTestFind(&vcb, "\\c"), &ccb, NULL, TRUE, &entry),
              STATUS_INVALID_PARAMETER);
    RamFsDeleteCcb(&ccb);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsWildcardsMatchAsNtDoes)
{
    EXPECT(RamFsIsNameInExpression(U("*"), U("anything.at.all")));
    EXPECT(RamFsIsNameInExpression(U("*"), U("")));
    EXPECT(RamFsIsNameInExpression(U("a*b*c"), U("aXXbYYbZc")));
    EXPECT(!RamFsIsNameInExpression(U("a*b*c"), U("aXXbYYbZ")));
    EXPECT(RamFsIsNameInExpression(U("??.sys"), U("NT.SYS")));
    EXPECT(!RamFsIsNameInExpression(U("??.sys"), U("N.sys")));
    EXPECT(!RamFsIsNameInExpression(U("*.*"), U("noext")));
    EXPECT(RamFsIsNameInExpression(U("*.*"), U("a.b")));
    EXPECT(!RamFsIsNameInExpression(U(""), U("x")));
}

// ---- The boot image ----

// Builds an image in `image` the way tools/mkrootfs.py does.
typedef struct {
    UCHAR Bytes[4096];
    SIZE_T Size;
    ULONG Count;
} IMAGE;

static void ImageStart(IMAGE *image)
{
    memset(image, 0, sizeof(*image));
    memcpy(image->Bytes, "SLEUTHFS", 8);
    image->Size = 16;
}

static void ImageAdd(IMAGE *image, const char *path, ULONG attributes, const void *efs,
                     USHORT efsLength, const void *data, ULONG64 dataSize)
{
    USHORT pathLength = (USHORT)strlen(path);
    UCHAR *record;

    image->Size = (image->Size + 7) & ~(SIZE_T)7;
    record = image->Bytes + image->Size;
    memcpy(record, &pathLength, 2);
    memcpy(record + 2, &efsLength, 2);
    memcpy(record + 4, &attributes, 4);
    memcpy(record + 8, &dataSize, 8);
    memcpy(record + 16, path, pathLength);
    if (efsLength)
        memcpy(record + 16 + pathLength, efs, efsLength);
    if (data)
        memcpy(record + 16 + pathLength + efsLength, data, dataSize);
    image->Size += 16 + pathLength + efsLength + (data ? dataSize : 0);
    image->Count++;
    memcpy(image->Bytes + 8, &image->Count, 4);
}

static void StudentEfs(RAMFS_EFS_INFO *efs)
{
    // S-1-5-21-1-2-3-1000
    static const UCHAR sid[] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0,
                                2, 0, 0, 0, 3, 0, 0, 0, 0xe8, 3, 0, 0};

    memset(efs, 0, sizeof(*efs));
    memcpy(efs->UserSid, sid, sizeof(sid));
    memset(efs->EncryptedFek, 0x5c, sizeof(efs->EncryptedFek));
}

TEST(RamFsUnpacksATreeWithDirectoriesAndAttributes)
{
    RAMFS_VCB vcb;
    IMAGE image;
    RAMFS_EFS_INFO efs;
    RAMFS_FCB *fcb;
    char buffer[16] = {0};
    ULONG done;

    StudentEfs(&efs);
    ImageStart(&image);
    ImageAdd(&image, "etc/motd.txt", 0, NULL, 0, "welcome", 7);
    ImageAdd(&image, "empty", FILE_ATTRIBUTE_DIRECTORY, NULL, 0, NULL, 0);
    ImageAdd(&image, "home/student/secret.txt", FILE_ATTRIBUTE_ENCRYPTED, &efs, sizeof(efs),
             "ciphered", 8);
    ImageAdd(&image, "etc/ro.txt", FILE_ATTRIBUTE_READONLY, NULL, 0, "r", 1);
    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsUnpackImage(&vcb, image.Bytes, image.Size), STATUS_SUCCESS);
    fcb = RamFsTestFind(&vcb, "\\etc\\MOTD.txt");
    EXPECT(fcb != NULL);
    EXPECT_EQ(RamFsReadData(fcb, 0, buffer, sizeof(buffer), &done), STATUS_SUCCESS);
    EXPECT_STREQ(buffer, "welcome");
    EXPECT_EQ(fcb->FileAttributes, FILE_ATTRIBUTE_ARCHIVE);
    EXPECT(RamFsTestFind(&vcb, "\\empty")->FileAttributes & FILE_ATTRIBUTE_DIRECTORY);
    EXPECT(RamFsTestFind(&vcb, "\\home\\student")->FileAttributes & FILE_ATTRIBUTE_DIRECTORY);
    fcb = RamFsTestFind(&vcb, "\\home\\student\\secret.txt");
    EXPECT(fcb->FileAttributes & FILE_ATTRIBUTE_ENCRYPTED);
    EXPECT(fcb->Efs != NULL);
    EXPECT(memcmp(fcb->Efs, &efs, sizeof(efs)) == 0);
    EXPECT_EQ(fcb->FileSize, 8);
    EXPECT(RamFsTestFind(&vcb, "\\etc\\ro.txt")->FileAttributes & FILE_ATTRIBUTE_READONLY);
    // 1 root + etc, motd, empty, home, student, secret, ro
    EXPECT_EQ(vcb.FcbCount, 8);
    // The tree is the volume's as any other: it can be written.
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\etc\\motd.txt", "changed"), STATUS_SUCCESS);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsRefusesEveryTruncationOfAnImage)
{
    RAMFS_VCB vcb;
    IMAGE image;

    ImageStart(&image);
    ImageAdd(&image, "a/b.txt", 0, NULL, 0, "bytes", 5);
    ImageAdd(&image, "c.txt", 0, NULL, 0, "more bytes", 10);
    RamFsTestVolume(&vcb, LIMIT);
    for (SIZE_T size = 0; size < image.Size; size++) {
        EXPECT_EQ(RamFsUnpackImage(&vcb, image.Bytes, size), STATUS_FILE_CORRUPT_ERROR);
        EXPECT_EQ(vcb.FcbCount, 1);
    }
    EXPECT_EQ(RamFsUnpackImage(&vcb, image.Bytes, image.Size), STATUS_SUCCESS);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsRefusesMalformedRecords)
{
    RAMFS_VCB vcb;
    RAMFS_EFS_INFO efs;
    IMAGE image;
    struct {
        const char *Path;
        ULONG Attributes;
        BOOLEAN Efs;
        ULONG64 Size;
    } bad[] = {
        {"", 0, FALSE, 0},                                  // no name
        {"a//b", 0, FALSE, 0},                              // empty component
        {"a/../b", 0, FALSE, 0},
        {"x*", 0, FALSE, 0},
        {"dup", 0, FALSE, 0},                               // twice, below
        {"enc", FILE_ATTRIBUTE_ENCRYPTED, FALSE, 0},        // encrypted without EFS
        {"plain", 0, TRUE, 0},                              // EFS without encryption
        {"dir", FILE_ATTRIBUTE_DIRECTORY, FALSE, 1},        // a directory with bytes
        {"file/under", 0, FALSE, 0},                        // "file" is a file
        {"huge", 0, FALSE, ~0ull},
    };

    StudentEfs(&efs);
    RamFsTestVolume(&vcb, LIMIT);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ImageStart(&image);
        ImageAdd(&image, "ok/first.txt", 0, NULL, 0, "x", 1);
        if (!strcmp(bad[i].Path, "dup"))
            ImageAdd(&image, "dup", 0, NULL, 0, NULL, 0);
        if (!strcmp(bad[i].Path, "file/under"))
            ImageAdd(&image, "file", 0, NULL, 0, NULL, 0);
        // The bytes are there, but for the huge one.
        ImageAdd(&image, bad[i].Path, bad[i].Attributes, bad[i].Efs ? &efs : NULL,
                 bad[i].Efs ? sizeof(efs) : 0, bad[i].Size == 1 ? "x" : NULL, bad[i].Size);
        EXPECT_EQ(RamFsUnpackImage(&vcb, image.Bytes, image.Size),
                  STATUS_FILE_CORRUPT_ERROR);
        EXPECT_EQ(vcb.FcbCount, 1);
        EXPECT_EQ(vcb.BytesUsed, 0);
    }
    // A SID that is no SID.
    ImageStart(&image);
    efs.UserSid[0] = 2;
    ImageAdd(&image, "enc", FILE_ATTRIBUTE_ENCRYPTED, &efs, sizeof(efs), "x", 1);
    EXPECT_EQ(RamFsUnpackImage(&vcb, image.Bytes, image.Size), STATUS_FILE_CORRUPT_ERROR);
    EXPECT_EQ(vcb.FcbCount, 1);
    // Not an image at all.
    memcpy(image.Bytes, "SLEUTHAR", 8);
    EXPECT_EQ(RamFsUnpackImage(&vcb, image.Bytes, image.Size), STATUS_FILE_CORRUPT_ERROR);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsUnpackOutOfMemoryEmptiesTheVolume)
{
    RAMFS_VCB vcb;
    IMAGE image;
    NTSTATUS status;

    ImageStart(&image);
    ImageAdd(&image, "a/b/c.txt", 0, NULL, 0, "abc", 3);
    ImageAdd(&image, "d.txt", 0, NULL, 0, "d", 1);
    RamFsTestVolume(&vcb, LIMIT);
    for (long fail = 0;; fail++) {
        RamFsTestFailAfter = fail;
        status = RamFsUnpackImage(&vcb, image.Bytes, image.Size);
        RamFsTestFailAfter = -1;
        if (NT_SUCCESS(status))
            break;
        EXPECT_EQ(status, STATUS_INSUFFICIENT_RESOURCES);
        EXPECT_EQ(vcb.FcbCount, 1);
        EXPECT_EQ(vcb.BytesUsed, 0);
    }
    EXPECT_EQ(vcb.FcbCount, 5);          // root, a, b, c.txt, d.txt
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

// The image the build packs from user/rootfs/ (tools/mkrootfs.py), read by
// the C side: both ends of the format agree.
TEST(RamFsUnpacksTheImageTheBuildPacks)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    static UCHAR image[1 << 20];
    char text[64] = {0};
    FILE *file = fopen(RAMFS_TEST_IMAGE, "rb");
    size_t size;
    ULONG done;

    EXPECT(file != NULL);
    size = fread(image, 1, sizeof(image), file);
    fclose(file);
    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsUnpackImage(&vcb, image, size), STATUS_SUCCESS);
    fcb = RamFsTestFind(&vcb, "\\tests\\fox.txt");
    EXPECT(fcb != NULL);
    EXPECT_EQ(RamFsReadData(fcb, 0, text, sizeof(text) - 1, &done), STATUS_SUCCESS);
    EXPECT_STREQ(text, "The quick brown fox jumps over the lazy dog.\n");
    EXPECT(RamFsTestFind(&vcb, "\\tests\\readonly.txt")->FileAttributes &
           FILE_ATTRIBUTE_READONLY);
    fcb = RamFsTestFind(&vcb, "\\home\\student\\secret.txt");
    EXPECT(fcb->FileAttributes & FILE_ATTRIBUTE_ENCRYPTED);
    EXPECT_EQ(((const SID *)fcb->Efs->UserSid)->SubAuthorityCount, 5);
    // Enciphered: the text is not there as it is in user/rootfs.
    EXPECT(memcmp(fcb->Data, "The student", 11) != 0);
    EXPECT(RamFsTestFind(&vcb, "\\.attributes") == NULL);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}
