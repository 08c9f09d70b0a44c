// The C++ expression evaluator of `??` (cppexpr.c): values that carry a
// type from the generated tables (kdtype.h).
#pragma once

#include "kd/kd.h"
#include "kd/kdtype.h"

typedef struct _KD_CPP_VALUE {
    ULONG Type;                 // KD_TYPE_NONE: a plain number (unsigned int64)
    ULONG Pointers;             // pointers to Type on top of it: (T **) is 2
    BOOLEAN IsLValue;           // an object in memory, at Address
    BOOLEAN IsBool;             // a comparison's or a logical operator's result
    UCHAR BitPosition;          // a bit field's, in the unit at Address
    UCHAR BitSize;
    ULONG64 Address;
    ULONG64 Value;              // a number, a pointer, or a loaded scalar
} KD_CPP_VALUE;

// Evaluates `text` in full. On failure returns FALSE with a one-line reason
// in `error`. A structure comes back as an lvalue; other objects too, to be
// loaded with KdpCppLoad.
BOOLEAN KdpEvaluateCpp(const KD_EXPRESSION_ENVIRONMENT *environment, const char *text,
                       KD_CPP_VALUE *value, char *error, size_t errorSize);
// Reads an lvalue scalar into Value (FALSE: its memory cannot be read).
BOOLEAN KdpCppLoad(const KD_EXPRESSION_ENVIRONMENT *environment, KD_CPP_VALUE *value);

// `??` (cmdcpp.c).
// What ?? prints after a scalar's type: "0xfffffa80`00011200" (a pointer
// or an array), "0n-3" (signed), "0x10" (unsigned), "WrLpcReceive (0n16)"
// (an enum). kp and kP print parameters so.
void KdpPrintCppScalar(ULONG type, ULONG pointers, ULONG64 value);
// The C name of `type` with `pointers` stars: "struct _KQUEUE *".
void KdpFormatCppTypeName(ULONG type, ULONG pointers, char *name, size_t size);
KD_COMMAND_RESULT KdpEvaluateCppCommand(int argc, char **argv);
