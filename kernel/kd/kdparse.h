// The shell's pure parsing (kdparse.c): command lines split at `;` and
// into words, `!list`'s options and `s`'s patterns. No memory is read here,
// so the host tests run it as is.
#pragma once

#include "rtl/rtl.h"

// The first command of `line`: NUL-terminates it at the first `;` outside
// quotes and returns what follows (NULL when there is no `;`). Inside
// quotes, \" is a quote that does not end them.
char *KdpSplitCommands(char *line);

// Splits a command into words, writing NULs into `line`. A word may hold
// quoted parts ("a b" is one word, -x"a b" is the word -xa b); the quotes
// are dropped, and inside them \" stands for a quote. Outside quotes a
// backslash is an ordinary character (\Driver\Null). Returns the count, or
// -1 when there are more than `max` words.
int KdpSplitWords(char *line, char **argv, int max);
// The same, and bit i of *quotedMask set when word i begins with a quote
// (`bp Address 3` is a pass count, `bp Address "3"` a command).
int KdpSplitWordsQuoted(char *line, char **argv, int max, ULONG64 *quotedMask);

// Joins argv[1..] with single spaces into `text` (an expression the shell
// split at its spaces: `? 1 + 2`). FALSE when it does not fit.
BOOLEAN KdpJoinWords(int argc, char **argv, char *text, size_t size);

// `!list`'s options, WinDbg's: -t [Module!]Type.Field, -x "Commands",
// -e (echo), -m Max, -a "Arguments" (not supported: an error), -h, and the
// start address (an expression, left as text).
typedef struct _KD_LIST_OPTIONS {
    const char *TypeName;           // "nt!_LIST_ENTRY" (NULL: no -t; the link at 0)
    char FieldPath[64];             // "Flink"
    const char *Commands;           // NULL: WinDbg's default, dp
    const char *Address;
    ULONG64 Max;                    // 0: no -m
    const char *MaxText;            // -m's text, evaluated by the caller
    BOOLEAN Echo;
    BOOLEAN Help;
} KD_LIST_OPTIONS;

// Parses the words after `!list` (argv[0] is the first option). The words
// are modified (the type name is cut at its field). FALSE with a one-line
// reason in `error`.
BOOLEAN KdpParseListOptions(int argc, char **argv, KD_LIST_OPTIONS *options, char *error,
                            size_t errorSize);

// `s`'s element kinds.
typedef enum _KD_SEARCH_KIND {
    KdSearchBytes,          // -b (the default)
    KdSearchWords,          // -w
    KdSearchDwords,         // -d
    KdSearchQwords,         // -q
    KdSearchAscii,          // -a "text"
    KdSearchUnicode,        // -u "text"
} KD_SEARCH_KIND;

#define KD_SEARCH_MAX_PATTERN 64

typedef BOOLEAN (*KD_PARSE_VALUE)(const char *text, ULONG64 *value);

typedef struct _KD_SEARCH {
    KD_SEARCH_KIND Kind;
    ULONG ElementSize;              // 1 2 4 8 (a: 1, u: 2): L counts these
    ULONG64 Start;
    ULONG64 Length;                 // bytes
    UCHAR Pattern[KD_SEARCH_MAX_PATTERN];
    ULONG PatternLength;
} KD_SEARCH;

// WinDbg's largest range without L? (256 MB), and the largest with it.
#define KD_SEARCH_MAX_RANGE      0x10000000ULL
#define KD_SEARCH_MAX_RANGE_HUGE 0x0001000000000000ULL

// Parses `s`'s words after the command name: [-b|-w|-d|-q|-a|-u] START
// (L count | L?count | END) pattern... Values are evaluated with `parse`.
// FALSE with a one-line reason in `error`.
BOOLEAN KdpParseSearch(int argc, char **argv, KD_PARSE_VALUE parse, KD_SEARCH *search,
                       char *error, size_t errorSize);

// An answer's words (.answer, kd/exNNN.c): a thread or object address as
// the debugger prints it (hex, an optional 0x, WinDbg's backtick between
// the halves), and a module as `lm` names it (any case, with or without
// ".sys").
BOOLEAN KdpParseAnswerAddress(const char *text, ULONG64 *value);
BOOLEAN KdpIsAnswerModule(const char *text, const char *module);
