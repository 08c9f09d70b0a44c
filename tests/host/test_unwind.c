// The CFI unwinder (kernel/kd/unwind.c) over a hand-assembled .eh_frame and
// .eh_frame_hdr laid out as ld writes them, at a made-up address: the CFA and
// register rules at each point of a function's prologue and epilogue, a
// step that recovers the caller's rbx and rbp, and damage as an error.

#define _GNU_SOURCE     // dl_iterate_phdr
#include <link.h>

#include "hosttest.h"
#include "kd/unwind.h"

#define IMAGE_BASE 0xffffffff80200000ULL
#define FUNCTION_A 0xffffffff80201000ULL    // 0x40 bytes
#define FUNCTION_B 0xffffffff80201040ULL    // 0x20 bytes, no frame pointer

typedef struct _TEST_IMAGE {
    UCHAR Bytes[4096];
    ULONG Length;
    ULONG64 Base;
} TEST_IMAGE;

static BOOLEAN TestRead(void *context, ULONG64 address, void *buffer, SIZE_T length)
{
    TEST_IMAGE *image = context;

    if (address < image->Base || address - image->Base > image->Length ||
        length > image->Length - (address - image->Base))
        return FALSE;
    memcpy(buffer, image->Bytes + (address - image->Base), length);
    return TRUE;
}

static void Put(TEST_IMAGE *image, const void *bytes, ULONG length)
{
    memcpy(image->Bytes + image->Length, bytes, length);
    image->Length += length;
}

static void Put32(TEST_IMAGE *image, ULONG offset, LONG value)
{
    memcpy(image->Bytes + offset, &value, 4);
}

// hdr (12 bytes + 2 entries), then the CIE, then the FDEs of A and B.
static ULONG64 BuildImage(TEST_IMAGE *image, ULONG64 *fdeA)
{
    static const UCHAR cie[] = {
        0x14, 0, 0, 0,  0, 0, 0, 0,  1, 'z', 'R', 0,  1, 0x78, 16,  1, 0x1b,
        0x0c, 7, 8,     // def_cfa rsp+8
        0x90, 1,        // return address at cfa-8
        0, 0,           // padding
    };
    static const UCHAR fdeAInstructions[] = {
        0x41, 0x0e, 16, 0x86, 2,    // +1 push rbp: cfa rsp+16, rbp at cfa-16
        0x43, 0x0d, 6,              // +4 mov rbp,rsp: cfa rbp+16
        0x42, 0x83, 3,              // +6 push rbx: rbx at cfa-24
        0x0a,                       // remember_state
        0x70,                       // +0x36: the epilogue
        0x0c, 7, 8,                 // def_cfa rsp+8 (after leave; ret)
        0x41, 0x0b,                 // +0x37 restore_state (a second exit path)
        0, 0,
    };
    static const UCHAR fdeBInstructions[] = {
        0x44, 0x0e, 0x30,           // +4 sub rsp,0x28: cfa rsp+0x30
        0x41, 0x8c, 2,              // +5 r12 at cfa-16 (a move to the frame)
        0, 0, 0,
    };
    ULONG hdr, cieAt, fdeAt, fdeBAt;

    memset(image, 0, sizeof(*image));
    image->Base = IMAGE_BASE;
    hdr = 0;
    {
        UCHAR head[] = { 1, 0x1b, 0x03, 0x3b, 0, 0, 0, 0, 2, 0, 0, 0 };
        Put(image, head, sizeof(head));
        image->Length += 16;
    }
    cieAt = image->Length;
    Put(image, cie, sizeof(cie));
    fdeAt = image->Length;
    {
        ULONG length = 4 + 4 + 4 + 1 + sizeof(fdeAInstructions);
        UCHAR head[13] = { 0 };

        memcpy(head, &length, 4);
        Put(image, head, sizeof(head));
        Put32(image, fdeAt + 4, (LONG)(fdeAt + 4 - cieAt));
        Put32(image, fdeAt + 8, (LONG)(FUNCTION_A - (IMAGE_BASE + fdeAt + 8)));
        Put32(image, fdeAt + 12, 0x40);
        image->Bytes[fdeAt + 16] = 0;        // augmentation data length
        image->Length = fdeAt + 17;
        Put(image, fdeAInstructions, sizeof(fdeAInstructions));
        Put32(image, fdeAt, (LONG)(image->Length - fdeAt - 4));
    }
    fdeBAt = image->Length;
    {
        UCHAR head[17] = { 0 };

        Put(image, head, sizeof(head));
        Put32(image, fdeBAt + 4, (LONG)(fdeBAt + 4 - cieAt));
        Put32(image, fdeBAt + 8, (LONG)(FUNCTION_B - (IMAGE_BASE + fdeBAt + 8)));
        Put32(image, fdeBAt + 12, 0x20);
        Put(image, fdeBInstructions, sizeof(fdeBInstructions));
        Put32(image, fdeBAt, (LONG)(image->Length - fdeBAt - 4));
    }
    Put32(image, hdr + 4, (LONG)(cieAt - (hdr + 4)));
    Put32(image, 12, (LONG)(FUNCTION_A - IMAGE_BASE));
    Put32(image, 16, (LONG)fdeAt);
    Put32(image, 20, (LONG)(FUNCTION_B - IMAGE_BASE));
    Put32(image, 24, (LONG)fdeBAt);
    *fdeA = IMAGE_BASE + fdeAt;
    return IMAGE_BASE + hdr;
}

TEST(UnwindRulesFollowThePrologue)
{
    TEST_IMAGE image;
    ULONG64 fdeA;
    KD_CFI_SOURCE source;
    KD_FRAME_RULES rules;

    source.EhFrameHdr = BuildImage(&image, &fdeA);
    source.Read = TestRead;
    source.ReadContext = &image;

    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A, &rules), STATUS_SUCCESS);
    EXPECT_EQ(rules.FunctionStart, FUNCTION_A);
    EXPECT_EQ(rules.FunctionEnd, FUNCTION_A + 0x40);
    EXPECT_EQ(rules.CfaRegister, KD_DW_RSP);
    EXPECT_EQ(rules.CfaOffset, 8);
    EXPECT_EQ(rules.Rules[KD_DW_RA].Kind, KdRuleOffset);
    EXPECT_EQ(rules.Rules[KD_DW_RA].Offset, -8);
    EXPECT_EQ(rules.Rules[KD_DW_RBP].Kind, KdRuleSameValue);

    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A + 1, &rules), STATUS_SUCCESS);
    EXPECT_EQ(rules.CfaOffset, 16);
    EXPECT_EQ(rules.Rules[KD_DW_RBP].Kind, KdRuleOffset);
    EXPECT_EQ(rules.Rules[KD_DW_RBP].Offset, -16);

    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A + 0x20, &rules), STATUS_SUCCESS);
    EXPECT_EQ(rules.CfaRegister, KD_DW_RBP);
    EXPECT_EQ(rules.CfaOffset, 16);
    EXPECT_EQ(rules.Rules[KD_DW_RBX].Kind, KdRuleOffset);
    EXPECT_EQ(rules.Rules[KD_DW_RBX].Offset, -24);

    // The epilogue, then the state remembered before it.
    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A + 0x36, &rules), STATUS_SUCCESS);
    EXPECT_EQ(rules.CfaRegister, KD_DW_RSP);
    EXPECT_EQ(rules.CfaOffset, 8);
    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A + 0x3f, &rules), STATUS_SUCCESS);
    EXPECT_EQ(rules.CfaRegister, KD_DW_RBP);
    EXPECT_EQ(rules.Rules[KD_DW_RBX].Offset, -24);

    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_B + 0x10, &rules), STATUS_SUCCESS);
    EXPECT_EQ(rules.FunctionStart, FUNCTION_B);
    EXPECT_EQ(rules.CfaOffset, 0x30);
    EXPECT_EQ(rules.Rules[KD_DW_R12].Offset, -16);

    // Outside every FDE: below the first, past the end of the last.
    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A - 1, &rules), STATUS_NOT_FOUND);
    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_B + 0x20, &rules), STATUS_NOT_FOUND);
    EXPECT_EQ(KdpUnwindRulesFromFde(&source, fdeA, FUNCTION_A + 8, &rules), STATUS_SUCCESS);
    EXPECT_EQ(rules.CfaRegister, KD_DW_RBP);
}

// A stack as function A left it at +0x20 having been called from 0x...5555:
// [rsp] junk, [rbp-8] saved rbx, [rbp] saved rbp, [rbp+8] return address.
TEST(UnwindStepRecoversCalleeSaved)
{
    TEST_IMAGE image, stack;
    ULONG64 fdeA, cfa = 0, stackBase = 0x7000, words[6];
    KD_CFI_SOURCE source;
    KD_FRAME_RULES rules;
    KD_UNWIND_CONTEXT context;

    source.EhFrameHdr = BuildImage(&image, &fdeA);
    source.Read = TestRead;
    source.ReadContext = &image;
    memset(&stack, 0, sizeof(stack));
    stack.Base = stackBase;
    stack.Length = sizeof(words);
    words[0] = 0x1111;                      // rsp: a local
    words[1] = 0xb0b0b0b0b0b0b0b0ULL;       // rbp-8: the caller's rbx
    words[2] = 0x7f00;                      // rbp: the caller's rbp
    words[3] = 0xffffffff80305555ULL;       // rbp+8: return address
    words[4] = words[5] = 0;
    memcpy(stack.Bytes, words, sizeof(words));

    memset(&context, 0, sizeof(context));
    context.Value[KD_DW_RA] = FUNCTION_A + 0x20;
    context.Value[KD_DW_RSP] = stackBase;
    context.Value[KD_DW_RBP] = stackBase + 0x10;
    context.Value[KD_DW_RBX] = 0x42;        // A's own use of rbx
    context.Value[KD_DW_R12] = 0x1212;      // untouched by A: the caller's
    context.Value[KD_DW_RAX] = 0xaaaa;
    context.Valid = 0xffffffff & ((1u << KD_DW_REGISTERS) - 1);
    EXPECT_EQ(KdpUnwindFindRules(&source, context.Value[KD_DW_RA], &rules), STATUS_SUCCESS);
    EXPECT_EQ(KdpUnwindStep(&rules, &context, TestRead, &stack, &cfa), STATUS_SUCCESS);
    EXPECT_EQ(cfa, stackBase + 0x20);
    EXPECT_EQ(context.Value[KD_DW_RA], 0xffffffff80305555ULL);
    EXPECT_EQ(context.Value[KD_DW_RSP], stackBase + 0x20);
    EXPECT_EQ(context.Value[KD_DW_RBP], 0x7f00);
    EXPECT_EQ(context.Value[KD_DW_RBX], 0xb0b0b0b0b0b0b0b0ULL);
    EXPECT_EQ(context.Value[KD_DW_R12], 0x1212);
    EXPECT(context.Valid & KD_UNWIND_BIT(KD_DW_RBX));
    EXPECT(!(context.Valid & KD_UNWIND_BIT(KD_DW_RAX)));   // volatile: unknown

    // A CFA register that is not known cannot be unwound.
    context.Valid &= ~KD_UNWIND_BIT(KD_DW_RBP);
    context.Value[KD_DW_RA] = FUNCTION_A + 0x20;
    EXPECT_EQ(KdpUnwindStep(&rules, &context, TestRead, &stack, &cfa), STATUS_NOT_FOUND);
    // A return address that cannot be read: an error, not a guess.
    context.Valid |= KD_UNWIND_BIT(KD_DW_RBP);
    context.Value[KD_DW_RBP] = 0x9000;
    EXPECT_EQ(KdpUnwindStep(&rules, &context, TestRead, &stack, &cfa), STATUS_UNSUCCESSFUL);
}

TEST(UnwindDamagedTablesAreErrors)
{
    TEST_IMAGE image;
    ULONG64 fdeA, hdr;
    KD_CFI_SOURCE source;
    KD_FRAME_RULES rules;

    hdr = BuildImage(&image, &fdeA);
    source.EhFrameHdr = hdr;
    source.Read = TestRead;
    source.ReadContext = &image;
    // A table encoding other than ld's.
    image.Bytes[3] = 0x03;
    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A, &rules), STATUS_INVALID_IMAGE_FORMAT);
    image.Bytes[3] = 0x3b;
    // An FDE entry pointing outside the image.
    Put32(&image, 16, 0x7ffffff0);
    EXPECT(!NT_SUCCESS(KdpUnwindFindRules(&source, FUNCTION_A + 1, &rules)));
    BuildImage(&image, &fdeA);
    // The CIE's version, then an unknown CFA opcode in A's FDE.
    image.Bytes[fdeA - IMAGE_BASE - 24 + 8] = 9;
    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A + 1, &rules), STATUS_INVALID_IMAGE_FORMAT);
    BuildImage(&image, &fdeA);
    image.Bytes[fdeA - IMAGE_BASE + 17] = 0x3f;
    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A + 1, &rules), STATUS_INVALID_IMAGE_FORMAT);
    // A DW_CFA_def_cfa_expression whose block length takes the position
    // back to the opcode itself (2^64 - 11): an error, not an endless loop.
    BuildImage(&image, &fdeA);
    {
        static const UCHAR loop[] = { 0x0f, 0xf5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0x01 };

        memcpy(image.Bytes + (fdeA - IMAGE_BASE) + 17, loop, sizeof(loop));
    }
    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A + 1, &rules), STATUS_INVALID_IMAGE_FORMAT);
    // A table too short to hold its header.
    image.Length = 6;
    EXPECT(!NT_SUCCESS(KdpUnwindFindRules(&source, FUNCTION_A + 1, &rules)));
}

// A table of many functions, 0x10 bytes each, function i's CFA at rsp+16+i:
// the binary search must find each one, whichever part of the table it is in.
#define MANY_FUNCTIONS 61

TEST(UnwindTableSearchFindsEveryFunction)
{
    static const UCHAR cie[] = {
        0x14, 0, 0, 0,  0, 0, 0, 0,  1, 'z', 'R', 0,  1, 0x78, 16,  1, 0x1b,
        0x0c, 7, 8,  0x90, 1,  0, 0,
    };
    TEST_IMAGE image;
    KD_CFI_SOURCE source;
    KD_FRAME_RULES rules;
    ULONG table = 12, cieAt = table + MANY_FUNCTIONS * 8, fdeAt;

    memset(&image, 0, sizeof(image));
    image.Base = IMAGE_BASE;
    image.Bytes[0] = 1;
    image.Bytes[1] = 0x1b;
    image.Bytes[2] = 0x03;
    image.Bytes[3] = 0x3b;
    Put32(&image, 4, (LONG)(cieAt - 4));
    Put32(&image, 8, MANY_FUNCTIONS);
    image.Length = cieAt;
    Put(&image, cie, sizeof(cie));
    for (ULONG i = 0; i < MANY_FUNCTIONS; i++) {
        UCHAR fde[24] = { 20, 0, 0, 0 };
        ULONG64 function = FUNCTION_A + i * 0x10;

        fdeAt = image.Length;
        Put(&image, fde, sizeof(fde));
        Put32(&image, fdeAt + 4, (LONG)(fdeAt + 4 - cieAt));
        Put32(&image, fdeAt + 8, (LONG)(function - (IMAGE_BASE + fdeAt + 8)));
        Put32(&image, fdeAt + 12, 0x10);
        image.Bytes[fdeAt + 17] = 0x0e;     // def_cfa_offset 16 + i
        image.Bytes[fdeAt + 18] = (UCHAR)(16 + i);
        Put32(&image, table + i * 8, (LONG)(function - IMAGE_BASE));
        Put32(&image, table + i * 8 + 4, (LONG)fdeAt);
    }
    source.EhFrameHdr = IMAGE_BASE;
    source.Read = TestRead;
    source.ReadContext = &image;
    for (ULONG i = 0; i < MANY_FUNCTIONS; i++) {
        for (ULONG offset = 0; offset < 0x10; offset += 0xf) {
            EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A + i * 0x10 + offset, &rules),
                      STATUS_SUCCESS);
            EXPECT_EQ(rules.FunctionStart, FUNCTION_A + i * 0x10);
            EXPECT_EQ(rules.CfaOffset, 16 + i);
        }
    }
    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A - 1, &rules), STATUS_NOT_FOUND);
    EXPECT_EQ(KdpUnwindFindRules(&source, FUNCTION_A + MANY_FUNCTIONS * 0x10, &rules),
              STATUS_NOT_FOUND);
}

// ---- The host compiler's own CFI ----------------------------------------------------------
//
// This program is built with the host GCC or clang's unwind tables: a
// routine that clobbers rbx and r12 (so its prologue saves them, and its FDE
// says where) captures its own registers; one step of the unwinder over the
// program's own .eh_frame_hdr must give back the caller's values.


#define HOST_CALLER_RBX 0x5eed5eed00000001ULL
#define HOST_CALLER_R12 0x5eed5eed00000002ULL

typedef struct _HOST_HDR_SEARCH {
    ULONG64 Code;
    ULONG64 Hdr;
} HOST_HDR_SEARCH;

static int HostFindHdr(struct dl_phdr_info *info, size_t size, void *data)
{
    HOST_HDR_SEARCH *search = data;
    ULONG64 hdr = 0;
    BOOLEAN holds = FALSE;

    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *phdr = &info->dlpi_phdr[i];
        ULONG64 start = info->dlpi_addr + phdr->p_vaddr;

        if (phdr->p_type == PT_GNU_EH_FRAME)
            hdr = start;
        if (phdr->p_type == PT_LOAD && search->Code >= start &&
            search->Code < start + phdr->p_memsz)
            holds = TRUE;
    }
    if (holds && hdr)
        search->Hdr = hdr;
    return holds;
}

static BOOLEAN HostReadSelf(void *context, ULONG64 address, void *buffer, SIZE_T length)
{
    memcpy(buffer, (const void *)address, length);
    return TRUE;
}

// What one step from HostCapture's registers gave, taken while its frame
// and its caller's are still on the stack.
static KD_CFI_SOURCE HostSource;
static KD_FRAME_RULES HostRules;
static KD_UNWIND_CONTEXT HostUnwound;
static NTSTATUS HostFindStatus, HostStepStatus;

static __attribute__((noinline)) void HostUnwindOnce(const KD_UNWIND_CONTEXT *context)
{
    ULONG64 cfa;

    HostUnwound = *context;
    HostFindStatus = KdpUnwindFindRules(&HostSource, context->Value[KD_DW_RA], &HostRules);
    if (NT_SUCCESS(HostFindStatus))
        HostStepStatus = KdpUnwindStep(&HostRules, &HostUnwound, HostReadSelf, NULL, &cfa);
}

static __attribute__((noinline)) void HostCapture(KD_UNWIND_CONTEXT *context)
{
    register ULONG64 rbx __asm__("rbx") = 0x1111;
    register ULONG64 r12 __asm__("r12") = 0x2222;
    ULONG64 *value = context->Value;

    __asm__ volatile("" : "+r"(rbx), "+r"(r12));
    __asm__ volatile("leaq 0(%%rip), %%rax\n\t"
                     "movq %%rax, %c[ra](%[v])\n\t"
                     "movq %%rsp, %c[sp](%[v])\n\t"
                     "movq %%rbp, %c[bp](%[v])\n\t"
                     "movq %%rbx, %c[bx](%[v])\n\t"
                     "movq %%r12, %c[r12](%[v])\n\t"
                     "movq %%r13, %c[r13](%[v])\n\t"
                     "movq %%r14, %c[r14](%[v])\n\t"
                     "movq %%r15, %c[r15](%[v])\n\t"
                     :
                     : [v] "r"(value), [ra] "i"(KD_DW_RA * 8), [sp] "i"(KD_DW_RSP * 8),
                       [bp] "i"(KD_DW_RBP * 8), [bx] "i"(KD_DW_RBX * 8),
                       [r12] "i"(KD_DW_R12 * 8), [r13] "i"(KD_DW_R13 * 8),
                       [r14] "i"(KD_DW_R14 * 8), [r15] "i"(KD_DW_R15 * 8), "r"(rbx), "r"(r12)
                     : "rax", "memory");
    context->Valid = KD_UNWIND_BIT(KD_DW_RA) | KD_UNWIND_BIT(KD_DW_RSP) | KD_UNWIND_CALLEE_SAVED;
    HostUnwindOnce(context);
}

static __attribute__((noinline)) ULONG64 HostCaller(KD_UNWIND_CONTEXT *context)
{
    register ULONG64 rbx __asm__("rbx") = HOST_CALLER_RBX;
    register ULONG64 r12 __asm__("r12") = HOST_CALLER_R12;

    __asm__ volatile("" : "+r"(rbx), "+r"(r12));
    HostCapture(context);
    __asm__ volatile("" : "+r"(rbx), "+r"(r12));
    return rbx ^ r12;
}

TEST(UnwindStepsThroughTheHostCompilersOwnCfi)
{
    HOST_HDR_SEARCH search = { (ULONG64)HostCapture, 0 };
    KD_UNWIND_CONTEXT context;
    KD_FRAME_RULES rules;

    dl_iterate_phdr(HostFindHdr, &search);
    EXPECT(search.Hdr != 0);
    HostSource.EhFrameHdr = search.Hdr;
    HostSource.Read = HostReadSelf;
    HostSource.ReadContext = NULL;
    memset(&context, 0, sizeof(context));
    EXPECT_EQ(HostCaller(&context), HOST_CALLER_RBX ^ HOST_CALLER_R12);
    EXPECT_EQ(context.Value[KD_DW_RBX], 0x1111);     // HostCapture's own
    EXPECT_EQ(HostFindStatus, STATUS_SUCCESS);
    EXPECT_EQ(HostRules.FunctionStart, (ULONG64)HostCapture);
    EXPECT_EQ(HostStepStatus, STATUS_SUCCESS);
    EXPECT_EQ(HostUnwound.Value[KD_DW_RBX], HOST_CALLER_RBX);
    EXPECT_EQ(HostUnwound.Value[KD_DW_R12], HOST_CALLER_R12);
    // The return address is in HostCaller, whose FDE covers it.
    EXPECT_EQ(KdpUnwindFindRules(&HostSource, HostUnwound.Value[KD_DW_RA] - 1, &rules),
              STATUS_SUCCESS);
    EXPECT_EQ(rules.FunctionStart, (ULONG64)HostCaller);
}
