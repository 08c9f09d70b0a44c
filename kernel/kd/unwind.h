// Unwinding by DWARF call frame information (the .eh_frame every image is
// built with, -fasynchronous-unwind-tables, and the linker's sorted table of
// it, .eh_frame_hdr). Pure code: every byte is read through the caller's
// reader, so a damaged table or stack is an error, never a fault, and the
// same code runs on the host for the unit tests.
#pragma once

#include "rtl/rtl.h"

// The DWARF numbers of the x86-64 registers (System V psABI, figure 3.36);
// KD_DW_RA is the return address column, the caller's rip.
enum {
    KD_DW_RAX, KD_DW_RDX, KD_DW_RCX, KD_DW_RBX, KD_DW_RSI, KD_DW_RDI, KD_DW_RBP, KD_DW_RSP,
    KD_DW_R8, KD_DW_R9, KD_DW_R10, KD_DW_R11, KD_DW_R12, KD_DW_R13, KD_DW_R14, KD_DW_R15,
    KD_DW_RA, KD_DW_REGISTERS
};

// Reads `length` bytes at `address`; FALSE when any of them cannot be read.
typedef BOOLEAN (*KD_UNWIND_READ)(void *context, ULONG64 address, void *buffer, SIZE_T length);

// Where an image's call frame information is: its .eh_frame_hdr, read
// through Read (the kernel's memory, or a process's address space).
typedef struct _KD_CFI_SOURCE {
    ULONG64 EhFrameHdr;
    KD_UNWIND_READ Read;
    void *ReadContext;
} KD_CFI_SOURCE;

typedef enum _KD_REGISTER_RULE_KIND {
    KdRuleSameValue,        // unchanged by the function (the default here)
    KdRuleUndefined,        // not recoverable
    KdRuleOffset,           // saved at CFA + Offset
    KdRuleValueOffset,      // is CFA + Offset
    KdRuleRegister,         // in register Offset
    KdRuleExpression,       // a DWARF expression: not evaluated, so unknown
} KD_REGISTER_RULE_KIND;

typedef struct _KD_REGISTER_RULE {
    UCHAR Kind;             // KD_REGISTER_RULE_KIND
    LONG64 Offset;
} KD_REGISTER_RULE;

// The row of the CFI table for one address: how to find the canonical frame
// address (the caller's rsp: CfaRegister + CfaOffset) and each register.
typedef struct _KD_FRAME_RULES {
    ULONG64 FunctionStart;
    ULONG64 FunctionEnd;
    ULONG CfaRegister;
    LONG64 CfaOffset;
    BOOLEAN CfaIsExpression;
    BOOLEAN SignalFrame;    // the CIE's 'S': its pc is not a return address
    ULONG ReturnRegister;
    KD_REGISTER_RULE Rules[KD_DW_REGISTERS];
} KD_FRAME_RULES;

// A register set being unwound: Value by DWARF number, Valid a bit for each.
typedef struct _KD_UNWIND_CONTEXT {
    ULONG64 Value[KD_DW_REGISTERS];
    ULONG Valid;
} KD_UNWIND_CONTEXT;

#define KD_UNWIND_BIT(reg) (1u << (reg))
// What the System V ABI says a function keeps for its caller.
#define KD_UNWIND_CALLEE_SAVED                                                             \
    (KD_UNWIND_BIT(KD_DW_RBX) | KD_UNWIND_BIT(KD_DW_RBP) | KD_UNWIND_BIT(KD_DW_R12) |      \
     KD_UNWIND_BIT(KD_DW_R13) | KD_UNWIND_BIT(KD_DW_R14) | KD_UNWIND_BIT(KD_DW_R15))

// The rules at `pc`: STATUS_NOT_FOUND when no FDE covers it,
// STATUS_INVALID_IMAGE_FORMAT (or a read error's STATUS_UNSUCCESSFUL) for a
// table that cannot be read or makes no sense.
NTSTATUS KdpUnwindFindRules(const KD_CFI_SOURCE *source, ULONG64 pc, KD_FRAME_RULES *rules);

// The same from an FDE at `fde` in .eh_frame (no table lookup): for tests
// and for images without .eh_frame_hdr.
NTSTATUS KdpUnwindRulesFromFde(const KD_CFI_SOURCE *source, ULONG64 fde, ULONG64 pc,
                               KD_FRAME_RULES *rules);

// One frame up: from the registers of a frame (`context`, rip = Value[KD_DW_RA])
// to its caller's, by `rules`, reading saved registers through `read`.
// Registers the ABI does not keep become invalid; rsp becomes the CFA, rip
// the return address. *cfa receives the CFA.
NTSTATUS KdpUnwindStep(const KD_FRAME_RULES *rules, KD_UNWIND_CONTEXT *context,
                       KD_UNWIND_READ read, void *readContext, ULONG64 *cfa);
