// Running debugger commands from the in-kernel tests and reading what they
// printed: one capture buffer, and lookups that name the missing text in
// the log when a test fails.
#pragma once

#include "tests/kernel/test_dispatcher.h"
#include "kd/kd.h"

#define KT_KD_OUTPUT_SIZE 65536

extern char KtKdOutput[KT_KD_OUTPUT_SIZE];

#define KT_KD_ADDRESS(p) ((unsigned long long)(ULONG_PTR)(p))

// Runs one command line and keeps its output in KtKdOutput.
const char *KtKdRun(const char *command);
const char *KtKdRunf(const char *format, ...) __attribute__((format(printf, 1, 2)));
// Where `needle` first occurs in `text`, or NULL.
const char *KtKdFind(const char *text, const char *needle);
ULONG KtKdCount(const char *text, const char *needle);
// Where the formatted text first occurs in the last output; NULL (and the
// test is marked failed, the text in the log) when it does not.
const char *KtKdExpectAt(const char *file, int line, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
#define KtKdExpect(...) KtKdExpectAt(__FILE__, __LINE__, __VA_ARGS__)
// "%016llx" of a value, in a rotating set of static buffers.
const char *KT_KD_HEX(const void *pointer);
// A symbol of tbp.exe (the breakpoint tests' program), from its ELF
// symbols; 0: not found.
ULONG64 KtTbpSymbol(const char *name);
