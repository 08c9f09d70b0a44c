// The kernel command line GRUB passes: consoles, tests, break-in, benchmarks.

#include "hosttest.h"
#include "init/cmdline.h"

static KBOOT_OPTIONS Options;

static BOOLEAN Parse(const char *commandLine)
{
    memset(&Options, 0xA5, sizeof(Options));    // nothing may survive from before
    return KiParseCommandLine(commandLine, &Options);
}

// ---- Defaults --------------------------------------------------------------------------

TEST(EmptyCommandLineGivesTheDefaults)
{
    EXPECT(Parse(""));
    EXPECT(Options.SerialConsole && Options.ScreenConsole);
    EXPECT(!Options.NoInitialBreak);
    EXPECT(!Options.RunTests && !Options.AllTests);
    EXPECT_EQ(Options.TestCount, 0);
    EXPECT(!Options.RunBenchmarks);
    EXPECT_STREQ(Options.Unknown, "");
}

TEST(BlankCommandLineGivesTheDefaults)
{
    EXPECT(Parse("  \t "));
    EXPECT(Options.SerialConsole && Options.ScreenConsole);
    EXPECT_STREQ(Options.Unknown, "");
}

// ---- console= -------------------------------------------------------------------------------

TEST(ConsoleSerialTurnsTheScreenOff)
{
    EXPECT(Parse("console=serial"));
    EXPECT(Options.SerialConsole);
    EXPECT(!Options.ScreenConsole);
}

TEST(ConsoleScreenTurnsSerialOff)
{
    EXPECT(Parse("console=screen"));
    EXPECT(!Options.SerialConsole);
    EXPECT(Options.ScreenConsole);
}

TEST(ConsoleBothKeepsBoth)
{
    EXPECT(Parse("console=both"));
    EXPECT(Options.SerialConsole && Options.ScreenConsole);
}

TEST(ConsoleWithABadValueIsMalformedAndKeepsBoth)
{
    EXPECT(!Parse("console=vga"));
    EXPECT(Options.SerialConsole && Options.ScreenConsole);
    EXPECT(!Parse("console="));
    EXPECT(!Parse("console=serialx"));
    EXPECT(!Parse("console=Serial"));
}

TEST(LastConsoleOptionWins)
{
    // GRUB entries append options; the later one must not leave no console at all.
    EXPECT(Parse("console=serial console=screen"));
    EXPECT(!Options.SerialConsole);
    EXPECT(Options.ScreenConsole);
    EXPECT(Parse("console=screen console=both"));
    EXPECT(Options.SerialConsole && Options.ScreenConsole);
}

TEST(ConsoleWithoutAValueIsUnknown)
{
    EXPECT(Parse("console"));
    EXPECT(Options.SerialConsole && Options.ScreenConsole);
    EXPECT_STREQ(Options.Unknown, "console");
}

// ---- test= ------------------------------------------------------------------------------------

TEST(TestAllRunsEveryTest)
{
    EXPECT(Parse("test=all"));
    EXPECT(Options.RunTests);
    EXPECT(Options.AllTests);
    EXPECT_EQ(Options.TestCount, 0);
}

TEST(TestListNamesTheTestsInOrder)
{
    EXPECT(Parse("test=PoolDoubleFreeIsABugCheck,TrapDivideByZero"));
    EXPECT(Options.RunTests);
    EXPECT(!Options.AllTests);
    EXPECT_EQ(Options.TestCount, 2);
    EXPECT_STREQ(Options.Tests[0], "PoolDoubleFreeIsABugCheck");
    EXPECT_STREQ(Options.Tests[1], "TrapDivideByZero");
}

TEST(TestListOfOneName)
{
    EXPECT(Parse("test=Lpc"));
    EXPECT_EQ(Options.TestCount, 1);
    EXPECT_STREQ(Options.Tests[0], "Lpc");
}

TEST(TestNamedAllAmongOthersIsJustAName)
{
    EXPECT(Parse("test=A,all"));
    EXPECT(!Options.AllTests);
    EXPECT_EQ(Options.TestCount, 2);
    EXPECT_STREQ(Options.Tests[1], "all");
}

TEST(TestListsAccumulateAcrossOptions)
{
    EXPECT(Parse("test=A test=B,C"));
    EXPECT_EQ(Options.TestCount, 3);
    EXPECT_STREQ(Options.Tests[2], "C");
}

TEST(TestListWithAnEmptyNameIsMalformed)
{
    EXPECT(!Parse("test=A,,B"));
    EXPECT(!Parse("test=,A"));
}

TEST(TestListWithATrailingCommaIsMalformed)
{
    EXPECT(!Parse("test=A,"));
}

TEST(EmptyTestListIsMalformed)
{
    EXPECT(!Parse("test="));
    EXPECT(!Options.RunTests);
}

TEST(TestListWithTooManyNamesIsMalformed)
{
    char line[KCMDLINE_MAX_TESTS * 4 + 16] = "test=";

    for (int i = 0; i < KCMDLINE_MAX_TESTS; i++)
        snprintf(line + strlen(line), sizeof(line) - strlen(line), "%sT%d", i ? "," : "", i);
    EXPECT(Parse(line));
    EXPECT_EQ(Options.TestCount, KCMDLINE_MAX_TESTS);
    strcat(line, ",X");
    EXPECT(!Parse(line));
    EXPECT_EQ(Options.TestCount, KCMDLINE_MAX_TESTS);
}

TEST(TestNameTooLongIsMalformed)
{
    char line[KCMDLINE_NAME_LENGTH + 16] = "test=";

    memset(line + 5, 'N', KCMDLINE_NAME_LENGTH - 1);
    line[5 + KCMDLINE_NAME_LENGTH - 1] = '\0';
    EXPECT(Parse(line));
    EXPECT_EQ(strlen(Options.Tests[0]), KCMDLINE_NAME_LENGTH - 1);
    strcat(line, "N");
    EXPECT(!Parse(line));
}

TEST(TestWithoutAValueIsUnknown)
{
    EXPECT(Parse("test"));
    EXPECT(!Options.RunTests);
    EXPECT_STREQ(Options.Unknown, "test");
}

// ---- Flags ------------------------------------------------------------------------------

TEST(NobreakSkipsTheInitialBreakIn)
{
    EXPECT(Parse("nobreak"));
    EXPECT(Options.NoInitialBreak);
}

TEST(BenchRunsTheBenchmarks)
{
    EXPECT(Parse("bench"));
    EXPECT(Options.RunBenchmarks);
}

TEST(StressRunsTheLoadTests)
{
    EXPECT(Parse("stress"));
    EXPECT(Options.RunStress && !Options.RunBenchmarks);
    EXPECT(Parse("stressx"));
    EXPECT(!Options.RunStress);
}

TEST(ClockIsTicklessUnlessPeriodicIsAskedFor)
{
    EXPECT(Parse("nobreak"));
    EXPECT(!Options.PeriodicClock);
    EXPECT(Parse("clock=periodic"));
    EXPECT(Options.PeriodicClock);
    EXPECT(Parse("clock=periodic clock=tickless"));
    EXPECT(!Options.PeriodicClock);
    EXPECT(Parse("clock=slow"));
    EXPECT(!Options.PeriodicClock);
    EXPECT_STREQ(Options.Unknown, "clock=slow");
}

TEST(FlagsMatchWholeWordsOnly)
{
    EXPECT(Parse("nobreakx benchmark"));
    EXPECT(!Options.NoInitialBreak);
    EXPECT(!Options.RunBenchmarks);
    EXPECT(Parse("nobreak=1"));
    EXPECT(!Options.NoInitialBreak);
}

TEST(OptionsCombine)
{
    EXPECT(Parse("console=serial test=A,B nobreak bench"));
    EXPECT(Options.SerialConsole && !Options.ScreenConsole);
    EXPECT(Options.RunTests && Options.TestCount == 2);
    EXPECT(Options.NoInitialBreak && Options.RunBenchmarks);
    EXPECT_STREQ(Options.Unknown, "");
}

// ---- Unknown words and spacing ----------------------------------------------------------

TEST(UnknownWordIsRecordedButNotFatal)
{
    EXPECT(Parse("quiet nobreak"));
    EXPECT_STREQ(Options.Unknown, "quiet");
    EXPECT(Options.NoInitialBreak);
}

TEST(OnlyTheFirstUnknownWordIsRecorded)
{
    EXPECT(Parse("quiet splash=1 loglevel=3"));
    EXPECT_STREQ(Options.Unknown, "quiet");
}

TEST(LongUnknownWordIsCutToFit)
{
    char line[300];

    memset(line, 'u', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    EXPECT(Parse(line));
    EXPECT_EQ(strlen(Options.Unknown), sizeof(Options.Unknown) - 1);
}

TEST(ExtraSpacesAndTabsAreIgnored)
{
    EXPECT(Parse("   console=serial \t  nobreak\t\ttest=A,B   "));
    EXPECT(!Options.ScreenConsole);
    EXPECT(Options.NoInitialBreak);
    EXPECT_EQ(Options.TestCount, 2);
    EXPECT_STREQ(Options.Tests[1], "B");
    EXPECT_STREQ(Options.Unknown, "");
}

TEST(OptionNamesAreCaseSensitive)
{
    EXPECT(Parse("NOBREAK"));
    EXPECT(!Options.NoInitialBreak);
    EXPECT_STREQ(Options.Unknown, "NOBREAK");
}

TEST(MalformedOptionDoesNotStopTheOthers)
{
    EXPECT(!Parse("console=vga nobreak test=A"));
    EXPECT(Options.NoInitialBreak);
    EXPECT_EQ(Options.TestCount, 1);
}

// ---- demo=NAME chooses a debugging scenario ----

TEST(NoDemoByDefault)
{
    EXPECT(Parse(""));
    EXPECT_EQ(Options.Demo, KBootDemoNone);
    EXPECT(Parse("console=serial nobreak"));
    EXPECT_EQ(Options.Demo, KBootDemoNone);
}

TEST(DemoWaitsSelectsTheWaitsScenario)
{
    EXPECT(Parse("demo=waits"));
    EXPECT_EQ(Options.Demo, KBootDemoWaits);
    EXPECT_STREQ(Options.Unknown, "");
}

TEST(DemoExQueueSelectsTheStuckWorkerQueue)
{
    EXPECT(Parse("demo=exqueue"));
    EXPECT_EQ(Options.Demo, KBootDemoExQueue);
    EXPECT(!Parse("demo=exqueues"));
    EXPECT_EQ(Options.Demo, KBootDemoNone);
}

TEST(DemoAlpcSelectsTheAlpcChain)
{
    EXPECT(Parse("demo=alpc"));
    EXPECT_EQ(Options.Demo, KBootDemoAlpc);
    EXPECT(!Parse("demo=alpcs"));
    EXPECT_EQ(Options.Demo, KBootDemoNone);
}

TEST(DemoCombinesWithOtherOptions)
{
    EXPECT(Parse("console=serial demo=waits nobreak"));
    EXPECT_EQ(Options.Demo, KBootDemoWaits);
    EXPECT(Options.NoInitialBreak);
    EXPECT(!Options.ScreenConsole);
}

TEST(UnknownDemoIsMalformedAndRunsNone)
{
    EXPECT(!Parse("demo=lpc"));
    EXPECT_EQ(Options.Demo, KBootDemoNone);
    EXPECT(!Parse("demo="));
    EXPECT_EQ(Options.Demo, KBootDemoNone);
    EXPECT(!Parse("demo=Waits"));
    EXPECT(!Parse("demo=waitsx"));
}

TEST(DemoWithoutAValueIsUnknown)
{
    EXPECT(Parse("demo"));
    EXPECT_EQ(Options.Demo, KBootDemoNone);
    EXPECT_STREQ(Options.Unknown, "demo");
}

TEST(MalformedDemoDoesNotStopTheOthers)
{
    EXPECT(!Parse("demo=nope nobreak"));
    EXPECT(Options.NoInitialBreak);
    EXPECT_EQ(Options.Demo, KBootDemoNone);
}

TEST(DemoHangSelectsTheHangScenario)
{
    EXPECT(Parse("demo=hang nobreak"));
    EXPECT_EQ(Options.Demo, KBootDemoHang);
    EXPECT(Options.NoInitialBreak);
}

// ---- run=NAME starts a user program ----

TEST(NoProgramRunsByDefault)
{
    EXPECT(Parse("console=serial nobreak"));
    EXPECT_STREQ(Options.Run, "");
}

TEST(RunNamesTheProgram)
{
    EXPECT(Parse("console=serial run=hello nobreak"));
    EXPECT_STREQ(Options.Run, "hello");
    EXPECT(Options.NoInitialBreak);
    EXPECT_STREQ(Options.Unknown, "");
}

TEST(RunWithABadNameIsMalformedAndRunsNothing)
{
    EXPECT(!Parse("run="));
    EXPECT_STREQ(Options.Run, "");
    EXPECT(!Parse("run=../hello"));
    EXPECT_STREQ(Options.Run, "");
    EXPECT(!Parse("run=averyverylongname"));
    EXPECT_STREQ(Options.Run, "");
    EXPECT(!Parse("run=hello,"));
    EXPECT_STREQ(Options.Run, "");
    EXPECT(!Parse("run=,hello"));
    EXPECT_STREQ(Options.Run, "");
    EXPECT(!Parse("run=hello,,hello"));
    EXPECT_STREQ(Options.Run, "");
    EXPECT(!Parse("run=hello,averyverylongname"));
    EXPECT_STREQ(Options.Run, "");
}

TEST(RunNamesSeveralProgramsSeparatedByCommas)
{
    EXPECT(Parse("run=hello,sharer,sharer nobreak"));
    EXPECT_STREQ(Options.Run, "hello,sharer,sharer");
    EXPECT(Options.NoInitialBreak);
}

TEST(RunWithoutAValueIsUnknown)
{
    EXPECT(Parse("run"));
    EXPECT_STREQ(Options.Run, "");
    EXPECT_STREQ(Options.Unknown, "run");
}

// ---- fuzz= ------------------------------------------------------------------------------------

TEST(NoFuzzingByDefault)
{
    EXPECT(Parse("test=all"));
    EXPECT(!Options.RunFuzz);
    EXPECT_STREQ(Options.FuzzAvoid, "");
}

TEST(FuzzTakesASeedAndSeconds)
{
    EXPECT(Parse("fuzz=20261206,300 console=serial fuzzavoid=1,5"));
    EXPECT(Options.RunFuzz);
    EXPECT_EQ(Options.FuzzSeed, 20261206);
    EXPECT_EQ(Options.FuzzSeconds, 300);
    EXPECT_STREQ(Options.FuzzAvoid, "1,5");
    EXPECT(Options.SerialConsole && !Options.ScreenConsole);
}

TEST(FuzzWithABadValueIsMalformedAndDoesNotRun)
{
    static const char *const Bad[] = {"fuzz=", "fuzz=1", "fuzz=1,", "fuzz=,5", "fuzz=1,0",
                                      "fuzz=1,x", "fuzz=1,2,3", "fuzz=-1,5",
                                      "fuzz=1,99999999999"};

    for (size_t i = 0; i < sizeof(Bad) / sizeof(Bad[0]); i++) {
        EXPECT(!Parse(Bad[i]));
        EXPECT(!Options.RunFuzz);
    }
}

TEST(DemoIoSelectsTheIrpPendingInADriver)
{
    EXPECT(Parse("demo=io"));
    EXPECT_EQ(Options.Demo, KBootDemoIo);
    EXPECT(!Parse("demo=iox"));
    EXPECT_EQ(Options.Demo, KBootDemoNone);
}

TEST(ExerciseTakesTheCaseStudysNumberAndAStudentId)
{
    EXPECT(Parse(""));
    EXPECT_EQ(Options.Exercise, KBOOT_NO_EXERCISE);
    EXPECT_STREQ(Options.Student, "");
    EXPECT(Parse("exercise=003 student=s1234567.doe_x-2"));
    EXPECT_EQ(Options.Exercise, 3);
    EXPECT_STREQ(Options.Student, "s1234567.doe_x-2");
}

TEST(ExerciseOrStudentWithABadValueIsMalformed)
{
    static const char *const Bad[] = {"exercise=", "exercise=3", "exercise=0003", "exercise=00x",
                                      "student=", "student=a/b", "student=a,b",
                                      "student=123456789012345678901234567890123"};

    for (size_t i = 0; i < sizeof(Bad) / sizeof(Bad[0]); i++) {
        EXPECT(!Parse(Bad[i]));
        EXPECT_EQ(Options.Exercise, KBOOT_NO_EXERCISE);
        EXPECT_STREQ(Options.Student, "");
    }
}

TEST(AgeTakesDecimalSecondsForTheExercise)
{
    static const char *const Bad[] = {"age=", "age=-1", "age=1h", "age=0x10", "age=1000000001",
                                      "age=99999999999"};

    EXPECT(Parse("exercise=001"));
    EXPECT(!Options.AgeGiven);
    EXPECT(Parse("exercise=001 age=0"));
    EXPECT(Options.AgeGiven);
    EXPECT_EQ(Options.AgeSeconds, 0);
    EXPECT(Parse("age=14400 exercise=000"));
    EXPECT(Options.AgeGiven);
    EXPECT_EQ(Options.AgeSeconds, 14400);
    EXPECT(Parse("age=1000000000"));
    EXPECT_EQ(Options.AgeSeconds, 1000000000);
    for (size_t i = 0; i < sizeof(Bad) / sizeof(Bad[0]); i++) {
        EXPECT(!Parse(Bad[i]));
        EXPECT(!Options.AgeGiven);
        EXPECT_EQ(Options.AgeSeconds, 0);
    }
}
