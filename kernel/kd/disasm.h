// The disassembler of `u`, `ub`, `uf` and the breakpoint lines: Zydis's
// decoder (Debian's zydis source package, fetched by `make deps`), with the
// text written here as WinDbg prints it: MASM syntax with `h` hex suffixes,
// no space after the commas, and symbols on branch targets and RIP-relative
// operands ("call    nt!KeWaitForSingleObject (ffffffff`80123456)").
#pragma once

#include "rtl/rtl.h"

// The longest x86 instruction.
#define KD_MAX_INSTRUCTION_LENGTH 15

// What the instruction does to the flow of control, for `uf` and stepping.
typedef enum _KD_INSTRUCTION_FLOW {
    KdFlowNext,             // goes on to the next instruction
    KdFlowCall,             // call (Target set when it is direct)
    KdFlowJump,             // unconditional jmp (Target set when it is direct)
    KdFlowConditional,      // jcc, loop, jrcxz: Target or the next instruction
    KdFlowReturn,           // ret, iretq, sysret
    KdFlowStop,             // int3, ud2: the code does not go on
} KD_INSTRUCTION_FLOW;

typedef struct _KD_INSTRUCTION {
    ULONG Length;           // bytes; 1 for an undecodable byte
    BOOLEAN Valid;          // FALSE: the bytes are no instruction ("???")
    KD_INSTRUCTION_FLOW Flow;
    BOOLEAN HasTarget;
    ULONG64 Target;         // a direct branch's destination
} KD_INSTRUCTION;

// Names an address for the text: "mod!Symbol+0x1a" (TRUE), or FALSE when it
// is in no module; then the address alone is printed.
typedef BOOLEAN (*KD_DISASM_SYMBOLIZE)(void *context, ULONG64 address, char *text, size_t size);

// Decodes the instruction at `address` from the `available` bytes of `code`
// (fewer than an instruction needs: it does not decode) and writes WinDbg's
// line for it without the address: the bytes padded to 16 columns, the
// mnemonic padded to 8, then the operands ("488bc4          mov     rax,rsp").
// Bytes that are no instruction give "???" for one byte. `symbolize` may be
// NULL. Returns the length in bytes (0 only when `available` is 0).
ULONG KdpDisasmFormat(const UCHAR *code, ULONG available, ULONG64 address,
                      KD_DISASM_SYMBOLIZE symbolize, void *context, char *text, ULONG textSize,
                      KD_INSTRUCTION *instruction);

// The instruction's length and flow without its text (0: undecodable).
ULONG KdpDisasmDecode(const UCHAR *code, ULONG available, ULONG64 address,
                      KD_INSTRUCTION *instruction);

// ---- In the debugger (cmddisasm.c): memory read with the fault-safe reader ----

// The WinDbg line of the instruction at `address` without the address, its
// targets named by every module's symbols (and the current process's
// program's). Returns the length, 0 when the memory cannot be read or holds
// no instruction. For the breakpoint lines ("nt!Foo:" then the address and
// this text).
ULONG KdpDisassembleOne(ULONG64 Address, char *Text, ULONG TextSize);
// The length of the instruction at `Address` (0: unreadable or undecodable),
// and what it does to the flow of control when `Instruction` is not NULL.
ULONG KdpInstructionLength(ULONG64 Address, KD_INSTRUCTION *Instruction);
