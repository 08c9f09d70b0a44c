// The RAM file system's tree: lookup, create dispositions, delete, rename.

#include "ramfstest.h"

#define LIMIT (1024 * 1024)

TEST(RamFsLookupIgnoresCaseAndKeepsTheCreatedSpelling)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\Docs", FILE_CREATE, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\Docs\\ReadMe.TXT", "x"), STATUS_SUCCESS);
    fcb = RamFsTestFind(&vcb, "\\DOCS\\readme.txt");
    EXPECT(fcb != NULL);
    EXPECT_STREQ(RamFsTestName(&fcb->FileName), "ReadMe.TXT");
    EXPECT(RamFsTestFind(&vcb, "docs\\README.txt") == fcb);     // no leading '\'
    EXPECT(RamFsTestFind(&vcb, "\\") == vcb.RootFcb);
    EXPECT(RamFsTestFind(&vcb, "") == vcb.RootFcb);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsLookupTellsAMissingNameFromAMissingPath)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb, *parent;
    UNICODE_STRING last;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\a", FILE_CREATE, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\a\\f", "x"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsLookupPath(&vcb, U("\\a\\missing"), &fcb, &parent, &last),
              STATUS_OBJECT_NAME_NOT_FOUND);
    EXPECT(parent == RamFsTestFind(&vcb, "\\a"));
    EXPECT_STREQ(RamFsTestName(&last), "missing");
    EXPECT_EQ(RamFsLookupPath(&vcb, U("\\b\\missing"), &fcb, &parent, &last),
              STATUS_OBJECT_PATH_NOT_FOUND);
    // A file in the middle of a path is no directory.
    EXPECT_EQ(RamFsLookupPath(&vcb, U("\\a\\f\\g"), &fcb, NULL, NULL),
              STATUS_OBJECT_PATH_NOT_FOUND);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsLookupRefusesBadComponents)
{
    static const char *const bad[] = {"\\a\\\\b", "\\.", "\\a\\..", "\\x*", "\\x?",
                                      "\\x:stream", "\\x|y", "\\x\"", "\\\\"};
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    char longName[300];

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\a", FILE_CREATE, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        EXPECT_EQ(RamFsLookupPath(&vcb, U(bad[i]), &fcb, NULL, NULL),
                  STATUS_OBJECT_NAME_INVALID);
    longName[0] = '\\';
    memset(longName + 1, 'n', 256);
    longName[257] = 0;
    EXPECT_EQ(RamFsLookupPath(&vcb, U(longName), &fcb, NULL, NULL), STATUS_OBJECT_NAME_INVALID);
    longName[256] = 0;          // 255 characters: allowed
    EXPECT_EQ(RamFsTestTouch(&vcb, longName, FILE_CREATE, 0), STATUS_SUCCESS);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsTrailingBackslashNamesOnlyADirectory)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\d\\", FILE_CREATE, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\f", "x"), STATUS_SUCCESS);
    EXPECT(RamFsTestFind(&vcb, "\\d\\") != NULL);
    EXPECT_EQ(RamFsLookupPath(&vcb, U("\\f\\"), &fcb, NULL, NULL), STATUS_OBJECT_NAME_INVALID);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\g\\", FILE_CREATE, 0), STATUS_OBJECT_NAME_INVALID);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsCreateDispositionsFollowNt)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    ULONG_PTR info;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_OPEN, 0, 0, &fcb, &info),
              STATUS_OBJECT_NAME_NOT_FOUND);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_OVERWRITE, 0, 0, &fcb, &info),
              STATUS_OBJECT_NAME_NOT_FOUND);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_CREATE, 0, 0, &fcb, &info), STATUS_SUCCESS);
    EXPECT_EQ(info, FILE_CREATED);
    RamFsTestClose(&vcb, fcb);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\F"), FILE_CREATE, 0, 0, &fcb, &info),
              STATUS_OBJECT_NAME_COLLISION);
    EXPECT(fcb == NULL);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_OPEN, 0, 0, &fcb, &info), STATUS_SUCCESS);
    EXPECT_EQ(info, FILE_OPENED);
    RamFsTestClose(&vcb, fcb);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_OPEN_IF, 0, 0, &fcb, &info), STATUS_SUCCESS);
    EXPECT_EQ(info, FILE_OPENED);
    RamFsTestClose(&vcb, fcb);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\g"), FILE_OPEN_IF, 0, 0, &fcb, &info), STATUS_SUCCESS);
    EXPECT_EQ(info, FILE_CREATED);
    RamFsTestClose(&vcb, fcb);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_OVERWRITE, 0, 0, &fcb, &info), STATUS_SUCCESS);
    EXPECT_EQ(info, FILE_OVERWRITTEN);
    RamFsTestClose(&vcb, fcb);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_OVERWRITE_IF, 0, 0, &fcb, &info),
              STATUS_SUCCESS);
    EXPECT_EQ(info, FILE_OVERWRITTEN);
    RamFsTestClose(&vcb, fcb);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\h"), FILE_OVERWRITE_IF, 0, 0, &fcb, &info),
              STATUS_SUCCESS);
    EXPECT_EQ(info, FILE_CREATED);
    RamFsTestClose(&vcb, fcb);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_SUPERSEDE, 0, 0, &fcb, &info), STATUS_SUCCESS);
    EXPECT_EQ(info, FILE_SUPERSEDED);
    RamFsTestClose(&vcb, fcb);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\i"), FILE_SUPERSEDE, 0, 0, &fcb, &info), STATUS_SUCCESS);
    EXPECT_EQ(info, FILE_CREATED);
    RamFsTestClose(&vcb, fcb);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_MAXIMUM_DISPOSITION + 1, 0, 0, &fcb, &info),
              STATUS_INVALID_PARAMETER);
    EXPECT_EQ(vcb.FcbCount, 5);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsOverwriteEmptiesTheFile)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    ULONG_PTR info;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\f", "hello"), STATUS_SUCCESS);
    EXPECT(vcb.BytesUsed > 0);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_OVERWRITE, 0, 0, &fcb, &info), STATUS_SUCCESS);
    EXPECT_EQ(fcb->FileSize, 0);
    EXPECT_EQ(vcb.BytesUsed, 0);
    RamFsTestClose(&vcb, fcb);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsDirectoryOptionsAreChecked)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    ULONG_PTR info;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\d", FILE_CREATE, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\f", "x"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\f", FILE_OPEN, FILE_DIRECTORY_FILE),
              STATUS_NOT_A_DIRECTORY);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\d", FILE_OPEN, FILE_NON_DIRECTORY_FILE),
              STATUS_FILE_IS_A_DIRECTORY);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\d", FILE_OPEN, FILE_DIRECTORY_FILE |
                                                     FILE_NON_DIRECTORY_FILE),
              STATUS_INVALID_PARAMETER);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\e", FILE_OVERWRITE_IF, FILE_DIRECTORY_FILE),
              STATUS_INVALID_PARAMETER);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\d", FILE_OVERWRITE, 0), STATUS_FILE_IS_A_DIRECTORY);
    // Without either option an open takes what it finds.
    EXPECT_EQ(RamFsCreate(&vcb, U("\\d"), FILE_OPEN, 0, 0, &fcb, &info), STATUS_SUCCESS);
    EXPECT(fcb->FileAttributes & FILE_ATTRIBUTE_DIRECTORY);
    RamFsTestClose(&vcb, fcb);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsReadOnlyFileCannotBeOverwrittenOrDeleted)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    ULONG_PTR info;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\r"), FILE_CREATE, 0, FILE_ATTRIBUTE_READONLY, &fcb, &info),
              STATUS_SUCCESS);
    EXPECT(fcb->FileAttributes & FILE_ATTRIBUTE_READONLY);
    EXPECT_EQ(RamFsSetDeletePending(fcb, TRUE), STATUS_CANNOT_DELETE);
    RamFsTestClose(&vcb, fcb);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\r", FILE_OVERWRITE, 0), STATUS_ACCESS_DENIED);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsCreateOutOfMemoryLeavesNothing)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    ULONG_PTR info;
    long before;

    RamFsTestVolume(&vcb, LIMIT);
    before = RamFsTestBlocks;
    for (long fail = 0; fail < 2; fail++) {
        RamFsTestFailAfter = fail;
        EXPECT_EQ(RamFsCreate(&vcb, U("\\new"), FILE_CREATE, 0, 0, &fcb, &info),
                  STATUS_INSUFFICIENT_RESOURCES);
        EXPECT_EQ(RamFsTestBlocks, before);
        EXPECT(RamFsTestFind(&vcb, "\\new") == NULL);
    }
    RamFsTestFailAfter = -1;
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsDeleteHappensAtTheLastCleanup)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *first, *second;
    ULONG_PTR info;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\f", "bytes"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_OPEN, 0, 0, &first, &info), STATUS_SUCCESS);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\f"), FILE_OPEN, 0, 0, &second, &info), STATUS_SUCCESS);
    EXPECT_EQ(RamFsSetDeletePending(first, TRUE), STATUS_SUCCESS);
    // Pending: new opens fail, the name is still there.
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\f", FILE_OPEN, 0), STATUS_DELETE_PENDING);
    RamFsCleanupFcb(&vcb, first);
    EXPECT(RamFsTestFind(&vcb, "\\f") == second);
    RamFsCleanupFcb(&vcb, second);
    EXPECT(RamFsTestFind(&vcb, "\\f") == NULL);
    // Closed file objects may still hold the FCB; it goes with the last.
    EXPECT_EQ(vcb.FcbCount, 2);
    RamFsCloseFcb(&vcb, first);
    RamFsCloseFcb(&vcb, second);
    EXPECT_EQ(vcb.FcbCount, 1);
    EXPECT_EQ(vcb.BytesUsed, 0);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsDeleteRefusesTheRootAndFullDirectories)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    ULONG_PTR info;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsSetDeletePending(vcb.RootFcb, TRUE), STATUS_CANNOT_DELETE);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\d", FILE_CREATE, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\d\\f", "x"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\d"), FILE_OPEN, 0, 0, &fcb, &info), STATUS_SUCCESS);
    EXPECT_EQ(RamFsSetDeletePending(fcb, TRUE), STATUS_DIRECTORY_NOT_EMPTY);
    RamFsTestClose(&vcb, fcb);
    // Cleared again, a delete does not happen.
    EXPECT_EQ(RamFsCreate(&vcb, U("\\d\\f"), FILE_OPEN, 0, 0, &fcb, &info), STATUS_SUCCESS);
    EXPECT_EQ(RamFsSetDeletePending(fcb, TRUE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsSetDeletePending(fcb, FALSE), STATUS_SUCCESS);
    RamFsTestClose(&vcb, fcb);
    EXPECT(RamFsTestFind(&vcb, "\\d\\f") != NULL);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsCreateInADirectoryBeingDeletedFails)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;
    ULONG_PTR info;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\d"), FILE_CREATE, FILE_DIRECTORY_FILE, 0, &fcb, &info),
              STATUS_SUCCESS);
    EXPECT_EQ(RamFsSetDeletePending(fcb, TRUE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\d\\f", FILE_CREATE, 0), STATUS_DELETE_PENDING);
    RamFsTestClose(&vcb, fcb);
    EXPECT(RamFsTestFind(&vcb, "\\d") == NULL);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsRenameMovesAndRenames)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\a", FILE_CREATE, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\b", FILE_CREATE, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\a\\old", "data"), STATUS_SUCCESS);
    fcb = RamFsTestFind(&vcb, "\\a\\old");
    EXPECT_EQ(RamFsRename(&vcb, fcb, U("\\b\\New"), FALSE), STATUS_SUCCESS);
    EXPECT(RamFsTestFind(&vcb, "\\a\\old") == NULL);
    EXPECT(RamFsTestFind(&vcb, "\\b\\new") == fcb);
    EXPECT_STREQ(RamFsTestName(&fcb->FileName), "New");
    EXPECT_EQ(vcb.RootFcb->ChildCount, 2);
    EXPECT_EQ(RamFsTestFind(&vcb, "\\a")->ChildCount, 0);
    // Only the case changes.
    EXPECT_EQ(RamFsRename(&vcb, fcb, U("\\b\\NEW"), FALSE), STATUS_SUCCESS);
    EXPECT_STREQ(RamFsTestName(&fcb->FileName), "NEW");
    EXPECT_EQ(RamFsRename(&vcb, fcb, U("\\c\\x"), FALSE), STATUS_OBJECT_PATH_NOT_FOUND);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsRenameReplacesOnlyWhenAsked)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *fcb, *open;
    ULONG_PTR info;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\src", "new"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestWriteFile(&vcb, "\\dst", "old"), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\dir", FILE_CREATE, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    fcb = RamFsTestFind(&vcb, "\\src");
    EXPECT_EQ(RamFsRename(&vcb, fcb, U("\\dst"), FALSE), STATUS_OBJECT_NAME_COLLISION);
    EXPECT_EQ(RamFsRename(&vcb, fcb, U("\\dir"), TRUE), STATUS_ACCESS_DENIED);
    // An open target is not replaced.
    EXPECT_EQ(RamFsCreate(&vcb, U("\\dst"), FILE_OPEN, 0, 0, &open, &info), STATUS_SUCCESS);
    EXPECT_EQ(RamFsRename(&vcb, fcb, U("\\dst"), TRUE), STATUS_ACCESS_DENIED);
    RamFsTestClose(&vcb, open);
    EXPECT_EQ(RamFsRename(&vcb, fcb, U("\\dst"), TRUE), STATUS_SUCCESS);
    EXPECT(RamFsTestFind(&vcb, "\\dst") == fcb);
    EXPECT_EQ(fcb->FileSize, 3);
    EXPECT_EQ(vcb.FcbCount, 3);             // root, dir, dst: the old dst is gone
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsDirectoryCannotMoveUnderItself)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *a;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\a", FILE_CREATE, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\a\\b", FILE_CREATE, FILE_DIRECTORY_FILE),
              STATUS_SUCCESS);
    a = RamFsTestFind(&vcb, "\\a");
    EXPECT_EQ(RamFsRename(&vcb, a, U("\\a\\b\\c"), FALSE), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(RamFsRename(&vcb, vcb.RootFcb, U("\\z"), FALSE), STATUS_ACCESS_DENIED);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsDeepTreeIsDeletedWithoutRecursion)
{
    RAMFS_VCB vcb;
    char path[4096];
    size_t length = 0;

    RamFsTestVolume(&vcb, LIMIT);
    for (int i = 0; i < 1000; i++) {
        memcpy(path + length, "\\d", 2);
        length += 2;
        path[length] = 0;
        if (length > 500)
            break;
        EXPECT_EQ(RamFsTestTouch(&vcb, path, FILE_CREATE, FILE_DIRECTORY_FILE),
                  STATUS_SUCCESS);
    }
    EXPECT_EQ(vcb.FcbCount, 251);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsRelativeOpensStartAtTheirDirectory)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *directory, *fcb;
    ULONG_PTR info;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\d"), FILE_CREATE, FILE_DIRECTORY_FILE, 0, &directory,
                          &info), STATUS_SUCCESS);
    EXPECT_EQ(RamFsCreateIn(&vcb, directory, U("f"), FILE_CREATE, 0, 0, &fcb, &info),
              STATUS_SUCCESS);
    RamFsTestClose(&vcb, fcb);
    EXPECT(RamFsTestFind(&vcb, "\\d\\f") != NULL);
    EXPECT_EQ(RamFsCreateIn(&vcb, directory, U("\\f"), FILE_OPEN, 0, 0, &fcb, &info),
              STATUS_OBJECT_NAME_INVALID);
    EXPECT_EQ(RamFsCreateIn(&vcb, RamFsTestFind(&vcb, "\\d\\f"), U("x"), FILE_OPEN, 0, 0, &fcb,
                            &info), STATUS_INVALID_PARAMETER);
    // Empty: the directory itself.
    EXPECT_EQ(RamFsCreateIn(&vcb, directory, U(""), FILE_OPEN, 0, 0, &fcb, &info),
              STATUS_SUCCESS);
    EXPECT(fcb == directory);
    RamFsTestClose(&vcb, fcb);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\d\\f", FILE_OPEN, 0), STATUS_SUCCESS);
    EXPECT_EQ(RamFsSetDeletePending(RamFsTestFind(&vcb, "\\d\\f"), TRUE), STATUS_SUCCESS);
    EXPECT_EQ(RamFsTestTouch(&vcb, "\\d\\f", FILE_OPEN, 0), STATUS_DELETE_PENDING);
    RamFsTestClose(&vcb, directory);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}

TEST(RamFsRelativeOpenInADeletedDirectoryFails)
{
    RAMFS_VCB vcb;
    RAMFS_FCB *directory, *fcb;
    ULONG_PTR info;

    RamFsTestVolume(&vcb, LIMIT);
    EXPECT_EQ(RamFsCreate(&vcb, U("\\d"), FILE_CREATE, FILE_DIRECTORY_FILE, 0, &directory,
                          &info), STATUS_SUCCESS);
    EXPECT_EQ(RamFsSetDeletePending(directory, TRUE), STATUS_SUCCESS);
    RamFsCleanupFcb(&vcb, directory);
    EXPECT_EQ(RamFsCreateIn(&vcb, directory, U("f"), FILE_CREATE, 0, 0, &fcb, &info),
              STATUS_FILE_DELETED);
    RamFsCloseFcb(&vcb, directory);
    RamFsDeleteVcb(&vcb);
    EXPECT_EQ(RamFsTestBlocks, 0);
}
