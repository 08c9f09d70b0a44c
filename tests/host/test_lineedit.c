// The shell's line editor. Bytes go in as a terminal sends them; the echo is
// captured and replayed on a one-line terminal simulator, because the real
// contract is that what the student sees always equals the editor's buffer,
// with the terminal's cursor where the editor thinks it is.

#include "hosttest.h"
#include "kd/lineedit.h"

#define ESC "\x1b"
#define UP ESC "[A"
#define DOWN ESC "[B"
#define RIGHT ESC "[C"
#define LEFT ESC "[D"
#define HOME ESC "[H"
#define END ESC "[F"
#define DELETE ESC "[3~"
#define BACKSPACE "\x7f"
#define CTRL_C "\x03"

#define SCREEN_WIDTH (KD_LINE_MAX + 16)

// ---- A terminal that understands what the editor may send: printable
// characters (overwrite and advance), '\b' (cursor left) and '\n' (next line).

typedef struct _TEST_TERMINAL {
    char Echo[16384];               // everything the editor sent, NUL-terminated
    size_t EchoLength;
    char Screen[SCREEN_WIDTH];      // the line being edited
    ULONG Cursor;
    ULONG NewLines;
    BOOLEAN Garbage;                // a byte no plain terminal would show as intended
} TEST_TERMINAL;

static TEST_TERMINAL Terminal;
static KD_LINE_EDITOR Editor;
static char FinishedLine[KD_LINE_MAX];
static ULONG LinesFinished;
static ULONG LinesCancelled;
static BOOLEAN ScreenDiverged;

static void TerminalClearLine(void)
{
    memset(Terminal.Screen, ' ', sizeof(Terminal.Screen));
    Terminal.Cursor = 0;
}

static void TerminalShow(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        char c = text[i];

        if (Terminal.EchoLength + 1 < sizeof(Terminal.Echo)) {
            Terminal.Echo[Terminal.EchoLength++] = c;
            Terminal.Echo[Terminal.EchoLength] = '\0';
        }
        if (c == '\n') {
            Terminal.NewLines++;
            TerminalClearLine();
        } else if (c == '\b') {
            if (Terminal.Cursor == 0)
                Terminal.Garbage = TRUE;
            else
                Terminal.Cursor--;
        } else if (c >= 0x20 && c < 0x7f && Terminal.Cursor < SCREEN_WIDTH) {
            Terminal.Screen[Terminal.Cursor++] = c;
        } else {
            Terminal.Garbage = TRUE;
        }
    }
}

// The screen shows exactly the buffer, blanks after it, and the cursor is
// where the editor's is.
static BOOLEAN ScreenShowsTheLine(void)
{
    if (Terminal.Garbage || Terminal.Cursor != Editor.Cursor || Editor.Length >= KD_LINE_MAX ||
        Editor.Cursor > Editor.Length || strlen(Editor.Buffer) != Editor.Length ||
        memcmp(Terminal.Screen, Editor.Buffer, Editor.Length) != 0)
        return FALSE;
    for (ULONG i = Editor.Length; i < SCREEN_WIDTH; i++) {
        if (Terminal.Screen[i] != ' ')
            return FALSE;
    }
    return TRUE;
}

static void StartEditor(void)
{
    memset(&Terminal, 0, sizeof(Terminal));
    TerminalClearLine();
    KdpLineEditorInitialize(&Editor, TerminalShow);
    FinishedLine[0] = '\0';
    LinesFinished = 0;
    LinesCancelled = 0;
    ScreenDiverged = FALSE;
}

static void ForgetEcho(void)
{
    Terminal.EchoLength = 0;
    Terminal.Echo[0] = '\0';
}

static KD_LINE_STATUS FeedByte(UCHAR byte)
{
    KD_LINE_STATUS status = KdpLineEditorFeed(&Editor, byte);

    // As the shell does: take the finished line, start the next one.
    if (status == KdLineDone) {
        memcpy(FinishedLine, Editor.Buffer, sizeof(FinishedLine));
        LinesFinished++;
        KdpLineEditorReset(&Editor);
    } else if (status == KdLineCancelled) {
        LinesCancelled++;
    }
    if (!ScreenShowsTheLine())
        ScreenDiverged = TRUE;
    return status;
}

// Feeds the bytes of `keys`, checking the screen after each; returns the
// status after the last.
static KD_LINE_STATUS Type(const char *keys)
{
    KD_LINE_STATUS status = KdLineEditing;

    while (*keys)
        status = FeedByte((UCHAR)*keys++);
    return status;
}

static void EnterLine(const char *text)
{
    Type(text);
    Type("\r");
}

#define EXPECT_LINE(text)                                                       \
    do {                                                                        \
        EXPECT_STREQ(Editor.Buffer, (text));                                    \
        EXPECT(!ScreenDiverged);                                                \
    } while (0)

// ---- Typing and Enter ----------------------------------------------------------------

TEST(LineEditorEchoesTypedCharacters)
{
    StartEditor();
    EXPECT_EQ(Type("!thread"), KdLineEditing);
    EXPECT_LINE("!thread");
    EXPECT_EQ(Editor.Cursor, 7);
    EXPECT_STREQ(Terminal.Echo, "!thread");
}

TEST(LineEditorEnterFinishesTheLine)
{
    StartEditor();
    Type("g");
    EXPECT_EQ(Type("\r"), KdLineDone);
    EXPECT_STREQ(FinishedLine, "g");
    EXPECT_STREQ(Terminal.Echo, "g\n");
}

TEST(LineEditorLineFeedAloneIsEnter)
{
    StartEditor();
    EXPECT_EQ(Type("k\n"), KdLineDone);
    EXPECT_STREQ(FinishedLine, "k");
}

TEST(LineEditorCrLfIsOneEnter)
{
    StartEditor();
    EXPECT_EQ(Type("r\r\n"), KdLineEditing);
    EXPECT_EQ(LinesFinished, 1);
    EXPECT_STREQ(FinishedLine, "r");
    EXPECT_EQ(Type("k\r\n"), KdLineEditing);
    EXPECT_EQ(LinesFinished, 2);
    EXPECT_STREQ(FinishedLine, "k");
}

TEST(LineEditorTwoCarriageReturnsAreTwoEnters)
{
    StartEditor();
    Type("\r\r");
    EXPECT_EQ(LinesFinished, 2);
}

TEST(LineEditorEnterInTheMiddleTakesTheWholeLine)
{
    StartEditor();
    Type("dq rsp" LEFT LEFT LEFT "\r");
    EXPECT_STREQ(FinishedLine, "dq rsp");
}

TEST(LineEditorTabTypesASpace)
{
    StartEditor();
    Type("dd\trsp");
    EXPECT_LINE("dd rsp");
}

TEST(LineEditorIgnoresOtherControlAndHighBytes)
{
    StartEditor();
    Type("a\x02\x0b\x0f\x80\xff\x1f" "b");
    EXPECT_LINE("ab");
    EXPECT_STREQ(Terminal.Echo, "ab");
}

// ---- Deleting ---------------------------------------------------------------------------

TEST(LineEditorBackspaceErasesTheLastCharacter)
{
    StartEditor();
    Type("abc" BACKSPACE);
    EXPECT_LINE("ab");
    EXPECT_STREQ(Terminal.Echo, "abc\b \b");
}

TEST(LineEditorControlHIsBackspaceToo)
{
    StartEditor();
    Type("abc\b\b");
    EXPECT_LINE("a");
}

TEST(LineEditorBackspaceInTheMiddleClosesTheGap)
{
    StartEditor();
    Type("abcd" LEFT LEFT);
    ForgetEcho();
    Type(BACKSPACE);
    EXPECT_LINE("acd");
    EXPECT_EQ(Editor.Cursor, 1);
    // Back one, redraw "cd", blank the stale last cell, return to the gap.
    EXPECT_STREQ(Terminal.Echo, "\bcd \b\b\b");
}

TEST(LineEditorBackspaceAtTheStartDoesNothing)
{
    StartEditor();
    Type("ab" HOME);
    ForgetEcho();
    Type(BACKSPACE "\b");
    EXPECT_LINE("ab");
    EXPECT_EQ(Editor.Cursor, 0);
    EXPECT_STREQ(Terminal.Echo, "");
}

TEST(LineEditorDeleteRemovesTheCharacterUnderTheCursor)
{
    StartEditor();
    Type("abcd" HOME RIGHT);
    ForgetEcho();
    Type(DELETE);
    EXPECT_LINE("acd");
    EXPECT_EQ(Editor.Cursor, 1);
    EXPECT_STREQ(Terminal.Echo, "cd \b\b\b");
}

TEST(LineEditorDeleteAtTheEndDoesNothing)
{
    StartEditor();
    Type("ab");
    ForgetEcho();
    Type(DELETE);
    EXPECT_LINE("ab");
    EXPECT_STREQ(Terminal.Echo, "");
}

TEST(LineEditorCtrlUClearsTheLine)
{
    StartEditor();
    Type("!process 0 0" LEFT LEFT "\x15");
    EXPECT_LINE("");
    EXPECT_EQ(Editor.Cursor, 0);
}

// ---- Moving ------------------------------------------------------------------------------

TEST(LineEditorLeftArrowMovesBack)
{
    StartEditor();
    Type("abc");
    ForgetEcho();
    Type(LEFT LEFT);
    EXPECT_LINE("abc");
    EXPECT_EQ(Editor.Cursor, 1);
    EXPECT_STREQ(Terminal.Echo, "\b\b");
}

TEST(LineEditorRightArrowRedrawsTheCharacterItPasses)
{
    StartEditor();
    Type("abc" HOME);
    ForgetEcho();
    Type(RIGHT);
    EXPECT_EQ(Editor.Cursor, 1);
    EXPECT_STREQ(Terminal.Echo, "a");
    EXPECT(!ScreenDiverged);
}

TEST(LineEditorArrowsStopAtTheEnds)
{
    StartEditor();
    Type("ab" RIGHT RIGHT);
    EXPECT_EQ(Editor.Cursor, 2);
    Type(LEFT LEFT LEFT LEFT);
    EXPECT_EQ(Editor.Cursor, 0);
    EXPECT_LINE("ab");
}

TEST(LineEditorInsertsInTheMiddle)
{
    StartEditor();
    Type("ac" LEFT);
    ForgetEcho();
    Type("b");
    EXPECT_LINE("abc");
    EXPECT_EQ(Editor.Cursor, 2);
    EXPECT_STREQ(Terminal.Echo, "bc\b");
}

TEST(LineEditorHomeAndEndInEveryEncoding)
{
    static const char *const homes[] = { HOME, ESC "[1~", ESC "[7~", ESC "OH", "\x01" };
    static const char *const ends[] = { END, ESC "[4~", ESC "[8~", ESC "OF", "\x05" };

    for (size_t i = 0; i < ARRAYSIZE(homes); i++) {
        StartEditor();
        Type("!lpc port");
        Type(homes[i]);
        EXPECT_EQ(Editor.Cursor, 0);
        Type(ends[i]);
        EXPECT_EQ(Editor.Cursor, 9);
        EXPECT_LINE("!lpc port");
    }
}

TEST(LineEditorHomeEchoesBackspacesAndEndRedraws)
{
    StartEditor();
    Type("lm");
    ForgetEcho();
    Type(HOME END);
    EXPECT_STREQ(Terminal.Echo, "\b\blm");
}

// ---- Escape sequences it does not know ----------------------------------------------------

TEST(LineEditorIgnoresUnknownEscapeSequences)
{
    static const char *const unknown[] = {
        ESC "[5~",      // Page Up
        ESC "[6~",      // Page Down
        ESC "[2~",      // Insert
        ESC "[Z",       // Shift+Tab
        ESC "OP",       // F1
        ESC "[15~",     // F5
        ESC "[17~",     // F6
        ESC "[19~",     // F8
        ESC "[24~",     // F12
        ESC "x",        // Alt+x
        ESC "[",        // an unfinished one, then a complete one
    };

    for (size_t i = 0; i < ARRAYSIZE(unknown); i++) {
        StartEditor();
        Type("ab" LEFT);
        ForgetEcho();
        Type(unknown[i]);
        if (i + 1 == ARRAYSIZE(unknown))
            Type("Z");
        EXPECT_LINE("ab");
        EXPECT_EQ(Editor.Cursor, 1);
        EXPECT_STREQ(Terminal.Echo, "");
    }
}

TEST(LineEditorTypesNormallyAfterAnIgnoredSequence)
{
    StartEditor();
    Type("a" ESC "[5~" "b" ESC "x" "c");
    EXPECT_LINE("abc");
}

TEST(LineEditorCtrlCCancelsEvenInsideAnEscapeSequence)
{
    StartEditor();
    Type("abc" ESC);
    EXPECT_EQ(Type(CTRL_C), KdLineCancelled);
    EXPECT_LINE("");
    Type("abc" ESC "[");
    EXPECT_EQ(Type(CTRL_C), KdLineCancelled);
    EXPECT_LINE("");
}

TEST(LineEditorEnterFinishesEvenAfterALoneEscape)
{
    StartEditor();
    Type("g" ESC "\r");
    EXPECT_EQ(LinesFinished, 1);
    EXPECT_STREQ(FinishedLine, "g");
}

// ---- Ctrl-C -----------------------------------------------------------------------------------

TEST(LineEditorCtrlCCancelsTheLine)
{
    StartEditor();
    Type("!stacks 2");
    ForgetEcho();
    EXPECT_EQ(Type(CTRL_C), KdLineCancelled);
    EXPECT_STREQ(Terminal.Echo, "^C\n");
    EXPECT_LINE("");
    EXPECT_EQ(Editor.Cursor, 0);
}

TEST(LineEditorCancelledLineIsNotRemembered)
{
    StartEditor();
    Type("!stacks 2" CTRL_C);
    Type(UP);
    EXPECT_LINE("");
}

// ---- History ----------------------------------------------------------------------------------

TEST(LineEditorUpRecallsEarlierLinesNewestFirst)
{
    StartEditor();
    EnterLine("one");
    EnterLine("two");
    Type(UP);
    EXPECT_LINE("two");
    Type(UP);
    EXPECT_LINE("one");
    EXPECT_EQ(Editor.Cursor, 3);
}

TEST(LineEditorUpPastTheOldestStaysThere)
{
    StartEditor();
    EnterLine("one");
    Type(UP UP UP);
    EXPECT_LINE("one");
}

TEST(LineEditorUpWithNoHistoryDoesNothing)
{
    StartEditor();
    Type("x");
    ForgetEcho();
    Type(UP DOWN);
    EXPECT_LINE("x");
    EXPECT_STREQ(Terminal.Echo, "");
}

TEST(LineEditorDownReturnsToTheLineBeingTyped)
{
    StartEditor();
    EnterLine("one");
    EnterLine("two");
    Type("partial" LEFT LEFT);
    Type(UP UP DOWN);
    EXPECT_LINE("two");
    Type(DOWN);
    EXPECT_LINE("partial");
    EXPECT_EQ(Editor.Cursor, 7);
}

TEST(LineEditorRecalledLineCanBeEditedAndEntered)
{
    StartEditor();
    EnterLine("dq rsp");
    Type(UP BACKSPACE BACKSPACE BACKSPACE "rbp\r");
    EXPECT_STREQ(FinishedLine, "dq rbp");
    Type(UP);
    EXPECT_LINE("dq rbp");
    Type(UP);
    EXPECT_LINE("dq rsp");
}

TEST(LineEditorShorterRecalledLineErasesTheLongerOne)
{
    StartEditor();
    EnterLine("g");
    Type("!process 0 0");
    ForgetEcho();
    Type(UP);
    EXPECT_LINE("g");
    EXPECT_STREQ(Terminal.Echo, "\b\b\b\b\b\b\b\b\b\b\b\bg           \b\b\b\b\b\b\b\b\b\b\b");
}

TEST(LineEditorRepeatedCommandIsRememberedOnce)
{
    StartEditor();
    EnterLine("p");
    EnterLine("t");
    EnterLine("t");
    EnterLine("t");
    EXPECT_EQ(Editor.HistoryCount, 2);
    Type(UP);
    EXPECT_LINE("t");
    Type(UP);
    EXPECT_LINE("p");
}

TEST(LineEditorNonConsecutiveRepeatsAreAllRemembered)
{
    StartEditor();
    EnterLine("p");
    EnterLine("t");
    EnterLine("p");
    EXPECT_EQ(Editor.HistoryCount, 3);
}

TEST(LineEditorEmptyLinesAreNotRemembered)
{
    StartEditor();
    EnterLine("k");
    EnterLine("");
    EnterLine("");
    EXPECT_EQ(Editor.HistoryCount, 1);
    Type(UP);
    EXPECT_LINE("k");
}

TEST(LineEditorHistoryKeepsTheNewestLinesWhenFull)
{
    char line[16];

    StartEditor();
    for (int i = 0; i < KD_HISTORY_DEPTH + 8; i++) {
        snprintf(line, sizeof(line), "cmd%d", i);
        EnterLine(line);
    }
    EXPECT_EQ(Editor.HistoryCount, KD_HISTORY_DEPTH);
    for (int i = KD_HISTORY_DEPTH + 7; i >= 8; i--) {
        Type(UP);
        snprintf(line, sizeof(line), "cmd%d", i);
        EXPECT_LINE(line);
    }
    Type(UP);
    EXPECT_LINE("cmd8");
    for (int i = 9; i < KD_HISTORY_DEPTH + 8; i++) {
        Type(DOWN);
        snprintf(line, sizeof(line), "cmd%d", i);
        EXPECT_LINE(line);
    }
    Type(DOWN);
    EXPECT_LINE("");
}

// ---- Limits -----------------------------------------------------------------------------

TEST(LineEditorLineStopsGrowingAtItsLimit)
{
    char keys[KD_LINE_MAX + 50];

    StartEditor();
    memset(keys, 'x', sizeof(keys) - 1);
    keys[sizeof(keys) - 1] = '\0';
    Type(keys);
    EXPECT_EQ(Editor.Length, KD_LINE_MAX - 1);
    EXPECT_EQ(strspn(Editor.Buffer, "x"), KD_LINE_MAX - 1);
    EXPECT(!ScreenDiverged);
    Type(HOME "y");
    EXPECT_EQ(Editor.Buffer[0], 'x');
    EXPECT(!ScreenDiverged);
}

TEST(LineEditorFullLineIsEnteredAndRecalledWhole)
{
    char keys[KD_LINE_MAX];

    StartEditor();
    memset(keys, 'q', sizeof(keys) - 1);
    keys[sizeof(keys) - 1] = '\0';
    EnterLine(keys);
    EXPECT_STREQ(FinishedLine, keys);
    Type(UP);
    EXPECT_LINE(keys);
}

// ---- The contract, under random keys -----------------------------------------------------------

static ULONG RandomNext(ULONG64 *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (ULONG)(*state >> 33);
}

TEST(LineEditorScreenAlwaysEqualsTheBuffer)
{
    static const char *const editingKeys[] = {
        "a", "b", "z", " ", "0", "!", "m", "m", "m", "m", "m", "m", LEFT, RIGHT, HOME, END,
        DELETE, BACKSPACE, "\b", UP, DOWN, "\x01", "\x05", ESC "[1~", ESC "[4~", ESC "[5~",
        ESC "x", ESC "[15~", "\t",
    };
    static const char *const endingKeys[] = { "\r", "\r\n", "\n", CTRL_C, "\x15" };
    ULONG64 state = 0x5EED;
    ULONG longest = 0;

    StartEditor();
    for (int step = 0; step < 200000; step++) {
        ULONG pick = RandomNext(&state);

        // Lines end rarely enough that some reach the length limit.
        if (pick % 400 == 0)
            Type(endingKeys[(pick / 400) % ARRAYSIZE(endingKeys)]);
        else
            Type(editingKeys[(pick / 400) % ARRAYSIZE(editingKeys)]);
        EXPECT(!ScreenDiverged);
        if (Editor.Length > longest)
            longest = Editor.Length;
        if (Terminal.EchoLength > sizeof(Terminal.Echo) / 2)
            ForgetEcho();
    }
    EXPECT(LinesFinished > 0 && LinesCancelled > 0);
    EXPECT_EQ(longest, KD_LINE_MAX - 1);
}

TEST(OverlongEscapeSequenceIsSwallowedWhole)
{
    StartEditor();
    Type("ab\x1b[1;2;3;4;5;6~c");
    EXPECT_LINE("abc");
}

TEST(LineEditorOverlongLineIsAnErrorNotCut)
{
    char keys[KD_LINE_MAX + 10];
    KD_LINE_STATUS status;

    StartEditor();
    memset(keys, 'z', sizeof(keys) - 1);
    keys[sizeof(keys) - 1] = '\0';
    Type(keys);
    EXPECT(!ScreenDiverged);
    // Enter: not the first KD_LINE_MAX - 1 characters run as if they were
    // the line, but the line refused whole, and not kept in the history.
    status = FeedByte('\r');
    EXPECT_EQ(status, KdLineTooLong);
    EXPECT_EQ(LinesFinished, 0);
    EXPECT_EQ(Editor.Length, 0);
    Type(UP);
    EXPECT_EQ(Editor.Length, 0);
    // Backspacing a full line does not make it whole: still refused.
    Type(keys);
    Type(BACKSPACE BACKSPACE);
    EXPECT_EQ(FeedByte('\r'), KdLineTooLong);
    // Ctrl-U starts afresh; the next line is taken as usual.
    Type(keys);
    Type("\x15" "ok");
    EnterLine("");
    EXPECT_STREQ(FinishedLine, "ok");
}
