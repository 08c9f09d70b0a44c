// The disassembler's text, instruction by instruction, against what WinDbg
// prints for the same bytes: the columns, MASM's numbers, memory operands,
// the condition-code spellings, and symbols on branch targets, RIP-relative
// operands and address constants. The first rows are seed 003's
// `u rdbss!RxWaitForStableCondition`, byte for byte.

#include "hosttest.h"
#include "kd/disasm.h"

#include <stdio.h>

// A few named functions, as the debugger's modules would name them.
typedef struct _TEST_FUNCTION {
    ULONG64 Start;
    ULONG64 Size;
    const char *Name;
} TEST_FUNCTION;

static const TEST_FUNCTION TestFunctions[] = {
    { 0xfffffa600f625af8ULL, 0x200, "rdbss!RxWaitForStableCondition" },
    { 0xffffffff80123450ULL, 0x100, "nt!KeWaitForSingleObject" },
    { 0xffffffff80200000ULL, 0x8, "nt!KiInitialThread" },
};

static int TestSymbolizeCalls;

static BOOLEAN TestSymbolize(void *context, ULONG64 address, char *text, size_t size)
{
    TestSymbolizeCalls++;
    for (size_t i = 0; i < ARRAYSIZE(TestFunctions); i++) {
        const TEST_FUNCTION *f = &TestFunctions[i];

        if (address < f->Start || address >= f->Start + f->Size)
            continue;
        if (address == f->Start)
            snprintf(text, size, "%s", f->Name);
        else
            snprintf(text, size, "%s+0x%llx", f->Name, (unsigned long long)(address - f->Start));
        return TRUE;
    }
    return FALSE;
}

typedef struct _TEST_CASE {
    ULONG64 Address;
    UCHAR Bytes[16];
    ULONG Length;
    const char *Text;
} TEST_CASE;

#define RX 0xfffffa600f625af8ULL
#define NT 0xffffffff80100000ULL

static const TEST_CASE TestCases[] = {
    // Seed 003, `u rdbss!RxWaitForStableCondition` and `u`.
    { RX + 0x00, { 0x48, 0x8b, 0xc4 }, 3, "488bc4          mov     rax,rsp" },
    { RX + 0x03, { 0x48, 0x89, 0x58, 0x08 }, 4,
      "48895808        mov     qword ptr [rax+8],rbx" },
    { RX + 0x07, { 0x48, 0x89, 0x68, 0x10 }, 4,
      "48896810        mov     qword ptr [rax+10h],rbp" },
    { RX + 0x13, { 0x41, 0x54 }, 2, "4154            push    r12" },
    { RX + 0x15, { 0x48, 0x83, 0xec, 0x30 }, 4, "4883ec30        sub     rsp,30h" },
    { RX + 0x19, { 0x33, 0xff }, 2, "33ff            xor     edi,edi" },
    { RX + 0x1b, { 0x83, 0x3a, 0x03 }, 3, "833a03          cmp     dword ptr [rdx],3" },
    { RX + 0x1e, { 0x41, 0x8a, 0xf1 }, 3, "418af1          mov     sil,r9b" },
    { RX + 0x21, { 0x4d, 0x8b, 0xe0 }, 3, "4d8be0          mov     r12,r8" },
    { RX + 0x24, { 0x48, 0x8b, 0xea }, 3, "488bea          mov     rbp,rdx" },
    { RX + 0x27, { 0x48, 0x8b, 0xd9 }, 3, "488bd9          mov     rbx,rcx" },
    { RX + 0x2a, { 0x7c, 0x07 }, 2,
      "7c07            jl      rdbss!RxWaitForStableCondition+0x33 (fffffa60`0f625b2b)" },
    { RX + 0x2c, { 0x33, 0xc0 }, 2, "33c0            xor     eax,eax" },
    { RX + 0x2e, { 0xe9, 0x68, 0x01, 0x00, 0x00 }, 5,
      "e968010000      jmp     rdbss!RxWaitForStableCondition+0x19b (fffffa60`0f625c93)" },
    // A symbolised call, and one to an address in no module.
    { NT, { 0xe8, 0x4b, 0x34, 0x02, 0x00 }, 5,
      "e84b340200      call    nt!KeWaitForSingleObject (ffffffff`80123450)" },
    { NT, { 0xe8, 0xfb, 0xff, 0x0f, 0x00 }, 5,
      "e8fbff0f00      call    nt!KiInitialThread (ffffffff`80200000)" },
    { 0x401000, { 0xe8, 0xfb, 0x0f, 0x00, 0x00 }, 5, "e8fb0f0000      call    00000000`00402000" },
    // RIP-relative operands, named.
    { NT, { 0x48, 0x8b, 0x05, 0xf9, 0xff, 0x0f, 0x00 }, 7,
      "488b05f9ff0f00  mov     rax,qword ptr [nt!KiInitialThread (ffffffff`80200000)]" },
    { NT, { 0xff, 0x15, 0xfa, 0xff, 0x0f, 0x00 }, 6,
      "ff15faff0f00    call    qword ptr [nt!KiInitialThread (ffffffff`80200000)]" },
    { NT, { 0x48, 0x8d, 0x0d, 0x01, 0x00, 0x10, 0x00 }, 7,
      "488d0d01001000  lea     rcx,[ffffffff`80200008]" },
    { NT, { 0xc6, 0x05, 0xfb, 0xff, 0x0f, 0x00, 0x05 }, 7,
      "c605fbff0f0005  mov     byte ptr [nt!KiInitialThread+0x2 (ffffffff`80200002)],5" },
    // An address constant (the kernel code model loads addresses so).
    { NT, { 0x48, 0xc7, 0xc7, 0x50, 0x34, 0x12, 0x80 }, 7,
      "48c7c750341280  mov     rdi,offset nt!KeWaitForSingleObject (ffffffff`80123450)" },
    // MASM's numbers: unsigned at the operand's size, 0 before a letter.
    { NT, { 0x48, 0x83, 0xc4, 0x80 }, 4, "4883c480        add     rsp,0FFFFFFFFFFFFFF80h" },
    { NT, { 0x83, 0xf8, 0xff }, 3, "83f8ff          cmp     eax,0FFFFFFFFh" },
    { NT, { 0x3c, 0x0a }, 2, "3c0a            cmp     al,0Ah" },
    { NT, { 0x48, 0x8b, 0x45, 0xf8 }, 4, "488b45f8        mov     rax,qword ptr [rbp-8]" },
    { NT, { 0x48, 0x8b, 0x85, 0x60, 0xff, 0xff, 0xff }, 7,
      "488b8560ffffff  mov     rax,qword ptr [rbp-0A0h]" },
    { NT, { 0x8b, 0x44, 0x81, 0x10 }, 4,
      "8b448110        mov     eax,dword ptr [rcx+rax*4+10h]" },
    { NT, { 0x48, 0x8d, 0x4c, 0x24, 0x20 }, 5, "488d4c2420      lea     rcx,[rsp+20h]" },
    { NT, { 0x0f, 0xb6, 0x01 }, 3, "0fb601          movzx   eax,byte ptr [rcx]" },
    { NT, { 0x65, 0x48, 0x8b, 0x04, 0x25, 0x88, 0x01, 0x00, 0x00 }, 9,
      "65488b042588010000 mov     rax,qword ptr gs:[188h]" },
    { NT, { 0x48, 0xb8, 0x14, 0x00, 0x00, 0x00, 0x80, 0xf7, 0xff, 0xff }, 10,
      "48b81400000080f7ffff mov     rax,0FFFFF78000000014h" },
    { NT, { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 }, 10,
      "662e0f1f840000000000 nop     word ptr cs:[rax+rax]" },
    // Condition codes as MASM spells them.
    { NT, { 0x74, 0x00 }, 2, "7400            je      ffffffff`80100002" },
    { NT, { 0x75, 0x00 }, 2, "7500            jne     ffffffff`80100002" },
    { NT, { 0x77, 0x00 }, 2, "7700            ja      ffffffff`80100002" },
    { NT, { 0x73, 0x00 }, 2, "7300            jae     ffffffff`80100002" },
    { NT, { 0x7f, 0x00 }, 2, "7f00            jg      ffffffff`80100002" },
    { NT, { 0x0f, 0x8d, 0x00, 0x00, 0x00, 0x00 }, 6, "0f8d00000000    jge     ffffffff`80100006" },
    { NT, { 0x0f, 0x94, 0xc0 }, 3, "0f94c0          sete    al" },
    { NT, { 0x48, 0x0f, 0x45, 0xc1 }, 4, "480f45c1        cmovne  rax,rcx" },
    // Prefixes and string instructions.
    { NT, { 0xf0, 0x48, 0x0f, 0xb1, 0x11 }, 5,
      "f0480fb111      lock cmpxchg qword ptr [rcx],rdx" },
    { NT, { 0xf3, 0xaa }, 2, "f3aa            rep stos byte ptr [rdi]" },
    { NT, { 0xf3, 0x48, 0xa5 }, 3, "f348a5          rep movs qword ptr [rdi],qword ptr [rsi]" },
    // No operands; the breakpoint; bytes that are no instruction.
    { NT, { 0xc3 }, 1, "c3              ret" },
    { NT, { 0x90 }, 1, "90              nop" },
    { NT, { 0xcc }, 1, "cc              int     3" },
    { NT, { 0x0f, 0x0b }, 2, "0f0b            ud2" },
    { NT, { 0x0f, 0x01, 0xf8 }, 3, "0f01f8          swapgs" },
    { NT, { 0x48, 0xcf }, 2, "48cf            iretq" },
    { NT, { 0xd1, 0xf8 }, 2, "d1f8            sar     eax,1" },
    { NT, { 0x06 }, 1, "06              ???" },
};

TEST(DisassemblyMatchesWinDbgTextForEveryRow)
{
    for (size_t i = 0; i < ARRAYSIZE(TestCases); i++) {
        const TEST_CASE *c = &TestCases[i];
        char text[256];
        KD_INSTRUCTION instruction;
        ULONG length = KdpDisasmFormat(c->Bytes, c->Length, c->Address, TestSymbolize, NULL,
                                       text, sizeof(text), &instruction);

        EXPECT_STREQ(text, c->Text);
        EXPECT_EQ(length, c->Length);
    }
}

// What uf and stepping need: each instruction's effect on the flow of
// control and a direct branch's destination.
TEST(DecodingGivesLengthFlowAndTarget)
{
    static const UCHAR jl[] = { 0x7c, 0x07 }, call[] = { 0xe8, 0x4b, 0x34, 0x02, 0x00 };
    static const UCHAR ret[] = { 0xc3 }, jmpRax[] = { 0xff, 0xe0 }, ud2[] = { 0x0f, 0x0b };
    static const UCHAR mov[] = { 0x48, 0x8b, 0xc4 }, bad[] = { 0x06 };
    static const UCHAR partial[] = { 0xe8, 0x4b };
    KD_INSTRUCTION i;

    EXPECT_EQ(KdpDisasmDecode(jl, sizeof(jl), RX + 0x2a, &i), 2);
    EXPECT(i.Flow == KdFlowConditional && i.HasTarget && i.Target == RX + 0x33);
    EXPECT_EQ(KdpDisasmDecode(call, sizeof(call), NT, &i), 5);
    EXPECT(i.Flow == KdFlowCall && i.HasTarget && i.Target == 0xffffffff80123450ULL);
    EXPECT_EQ(KdpDisasmDecode(ret, sizeof(ret), NT, &i), 1);
    EXPECT(i.Flow == KdFlowReturn && !i.HasTarget);
    EXPECT_EQ(KdpDisasmDecode(jmpRax, sizeof(jmpRax), NT, &i), 2);
    EXPECT(i.Flow == KdFlowJump && !i.HasTarget);
    EXPECT_EQ(KdpDisasmDecode(ud2, sizeof(ud2), NT, &i), 2);
    EXPECT(i.Flow == KdFlowStop);
    EXPECT_EQ(KdpDisasmDecode(mov, sizeof(mov), NT, &i), 3);
    EXPECT(i.Flow == KdFlowNext && i.Valid);
    // No instruction, or not all of one: length 0, and the caller steps one byte.
    EXPECT_EQ(KdpDisasmDecode(bad, sizeof(bad), NT, &i), 0);
    EXPECT(!i.Valid && i.Length == 1);
    EXPECT_EQ(KdpDisasmDecode(partial, sizeof(partial), NT, &i), 0);
    EXPECT(!i.Valid);
    EXPECT_EQ(KdpDisasmDecode(partial, 0, NT, &i), 0);
}

// A short buffer, a tiny text buffer, no symbolizer: never past the end.
TEST(FormattingIsBoundedAndWorksWithoutSymbols)
{
    static const UCHAR call[] = { 0xe8, 0x4b, 0x34, 0x02, 0x00 };
    char text[12];
    char full[128];
    KD_INSTRUCTION i;

    memset(text, 'x', sizeof(text));
    EXPECT_EQ(KdpDisasmFormat(call, sizeof(call), NT, TestSymbolize, NULL, text, sizeof(text),
                              &i), 5);
    EXPECT_EQ(strlen(text), sizeof(text) - 1);
    EXPECT_EQ(KdpDisasmFormat(call, sizeof(call), NT, NULL, NULL, full, sizeof(full), &i), 5);
    EXPECT_STREQ(full, "e84b340200      call    ffffffff`80123450");
    EXPECT_EQ(KdpDisasmFormat(call, 2, NT, NULL, NULL, full, sizeof(full), &i), 1);
    EXPECT_STREQ(full, "e8              ???");
    EXPECT_EQ(KdpDisasmFormat(call, 0, NT, NULL, NULL, full, sizeof(full), &i), 0);
    EXPECT_STREQ(full, "");
}
