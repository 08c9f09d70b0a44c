// One instruction as WinDbg's `u` prints it, from Zydis's decoder.
//
// Zydis's own formatter writes MASM differently from WinDbg ("[rax+8h]",
// "add rsp, -80h", "$+9h" for a branch), so only the decoder is used and the
// text is written here from the decoded operands, WinDbg's way:
//   - numbers in hex with an `h` suffix and a leading 0 before a letter
//     ("30h", "0FFFFFFFFh"), below 10 as the digit alone ("8");
//   - immediates unsigned at the operand's size ("add rsp,0FFFFFFFFFFFFFF80h");
//   - memory as "qword ptr gs:[rax+rcx*8+10h]", lea's without the size;
//   - branch targets and RIP-relative operands named by the symbolizer, the
//     address in parentheses ("jl      rdbss!Foo+0x33 (fffffa60`0f625b2b)",
//     "qword ptr [nt!KiBar (fffff800`01234560)]");
//   - the condition codes as MASM spells them (je, jne, ja, jae, jg, jge);
//   - string instructions with their memory operands ("rep stos byte ptr [rdi]").
// Pure code: the host tests run it on byte tables.

#include "kd/disasm.h"

#include <Zydis/Decoder.h>
#include <Zydis/Mnemonic.h>
#include <Zydis/Register.h>
#include <Zydis/Utils.h>

typedef struct _KD_TEXT {
    char *Buffer;
    ULONG Size;
    ULONG Length;
} KD_TEXT;

static void KdpTextAppend(KD_TEXT *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void KdpTextAppend(KD_TEXT *text, const char *format, ...)
{
    va_list args;

    if (text->Length + 1 >= text->Size)
        return;
    va_start(args, format);
    RtlStringPrintfV(text->Buffer + text->Length, text->Size - text->Length, format, args);
    va_end(args);
    text->Length += (ULONG)strlen(text->Buffer + text->Length);
}

// MASM's numbers as WinDbg writes them.
static void KdpAppendNumber(KD_TEXT *text, ULONG64 value)
{
    char hex[24];

    if (value < 10) {
        KdpTextAppend(text, "%llu", (unsigned long long)value);
        return;
    }
    RtlStringPrintf(hex, sizeof(hex), "%llX", (unsigned long long)value);
    KdpTextAppend(text, "%s%sh", hex[0] > '9' ? "0" : "", hex);
}

// "name (fffff800`01234567)" when the symbolizer knows the address, else
// the address alone.
static void KdpAppendTarget(KD_TEXT *text, ULONG64 address, KD_DISASM_SYMBOLIZE symbolize,
                            void *context)
{
    char symbol[128], digits[18];

    RtlFormatAddress(digits, address);
    if (symbolize && symbolize(context, address, symbol, sizeof(symbol)))
        KdpTextAppend(text, "%s (%s)", symbol, digits);
    else
        KdpTextAppend(text, "%s", digits);
}

static const char *KdpSizeKeyword(ULONG bits)
{
    switch (bits) {
    case 8: return "byte ptr ";
    case 16: return "word ptr ";
    case 32: return "dword ptr ";
    case 48: return "fword ptr ";
    case 64: return "qword ptr ";
    case 80: return "tbyte ptr ";
    case 128: return "xmmword ptr ";
    case 256: return "ymmword ptr ";
    case 512: return "zmmword ptr ";
    default: return "";
    }
}

// The segment a prefix names (the last one wins, as for the CPU), or NULL.
static const char *KdpSegmentPrefix(const ZydisDecodedInstruction *instruction)
{
    const char *segment = NULL;

    for (ULONG i = 0; i < instruction->raw.prefix_count; i++) {
        switch (instruction->raw.prefixes[i].value) {
        case 0x26: segment = "es"; break;
        case 0x2e: segment = "cs"; break;
        case 0x36: segment = "ss"; break;
        case 0x3e: segment = "ds"; break;
        default: break;
        }
    }
    return segment;
}

static void KdpAppendMemory(KD_TEXT *text, const ZydisDecodedInstruction *instruction,
                            const ZydisDecodedOperand *operand, ULONG64 address,
                            KD_DISASM_SYMBOLIZE symbolize, void *context)
{
    const ZydisDecodedOperandMem *memory = &operand->mem;
    BOOLEAN any = FALSE;

    if (memory->type != ZYDIS_MEMOP_TYPE_AGEN)
        KdpTextAppend(text, "%s", KdpSizeKeyword(operand->size));
    // A segment the code names: fs and gs always (they mean something in
    // 64-bit mode), the others where a prefix says so, even one the CPU
    // ignores ("nop word ptr cs:[rax+rax]", the compilers' padding).
    if (memory->segment == ZYDIS_REGISTER_FS || memory->segment == ZYDIS_REGISTER_GS)
        KdpTextAppend(text, "%s:", ZydisRegisterGetString(memory->segment));
    else if (KdpSegmentPrefix(instruction))
        KdpTextAppend(text, "%s:", KdpSegmentPrefix(instruction));
    KdpTextAppend(text, "[");
    if (memory->base == ZYDIS_REGISTER_RIP || memory->base == ZYDIS_REGISTER_EIP) {
        ZyanU64 absolute;

        if (ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(instruction, operand, address, &absolute)))
            KdpAppendTarget(text, absolute, symbolize, context);
        KdpTextAppend(text, "]");
        return;
    }
    if (memory->base != ZYDIS_REGISTER_NONE) {
        KdpTextAppend(text, "%s", ZydisRegisterGetString(memory->base));
        any = TRUE;
    }
    if (memory->index != ZYDIS_REGISTER_NONE) {
        KdpTextAppend(text, "%s%s", any ? "+" : "", ZydisRegisterGetString(memory->index));
        if (memory->scale > 1)
            KdpTextAppend(text, "*%u", memory->scale);
        any = TRUE;
    }
    if (!any) {
        // An absolute address: as the CPU forms it, at the address width.
        ULONG64 value = (ULONG64)memory->disp.value;

        if (instruction->address_width == 32)
            value &= 0xFFFFFFFFULL;
        KdpAppendNumber(text, value);
    } else if (memory->disp.has_displacement && memory->disp.value != 0) {
        if (memory->disp.value < 0) {
            KdpTextAppend(text, "-");
            KdpAppendNumber(text, (ULONG64)0 - (ULONG64)memory->disp.value);
        } else {
            KdpTextAppend(text, "+");
            KdpAppendNumber(text, (ULONG64)memory->disp.value);
        }
    }
    KdpTextAppend(text, "]");
}

static void KdpAppendImmediate(KD_TEXT *text, const ZydisDecodedInstruction *instruction,
                               const ZydisDecodedOperand *operand, ULONG64 address,
                               KD_DISASM_SYMBOLIZE symbolize, void *context)
{
    ULONG64 value = operand->imm.value.u;
    ULONG width = operand->size > instruction->operand_width ? operand->size
                                                              : instruction->operand_width;
    char symbol[128], digits[18];

    if (operand->imm.is_relative) {
        ZyanU64 absolute;

        if (ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(instruction, operand, address, &absolute)))
            KdpAppendTarget(text, absolute, symbolize, context);
        return;
    }
    // Zydis gives a signed immediate sign-extended; it is shown at the
    // instruction's operand size ("mov rdi,imm32" loads 64 bits, "cmp
    // eax,-1" compares 32).
    if (width > 0 && width < 64)
        value &= (1ULL << width) - 1;
    // A constant that is an address in a module, as the compiler loads a
    // symbol's address: WinDbg's "offset nt!Name (address)".
    if (width >= 32 && symbolize && value >= 0x10000 &&
        symbolize(context, value, symbol, sizeof(symbol))) {
        RtlFormatAddress(digits, value);
        KdpTextAppend(text, "offset %s (%s)", symbol, digits);
        return;
    }
    KdpAppendNumber(text, value);
}

// MASM's condition suffixes where Zydis uses the other spelling.
static void KdpAppendMnemonic(KD_TEXT *text, const ZydisDecodedInstruction *instruction)
{
    static const char *const prefixes[] = { "j", "set", "cmov" };
    static const struct {
        const char *Zydis;
        const char *Masm;
    } conditions[] = {
        { "nbe", "a" }, { "nb", "ae" }, { "z", "e" }, { "nz", "ne" },
        { "nle", "g" }, { "nl", "ge" },
    };
    const char *name = ZydisMnemonicGetString(instruction->mnemonic);
    size_t length;

    if (!name)
        name = "???";
    length = strlen(name);
    if (instruction->meta.category == ZYDIS_CATEGORY_STRINGOP && length > 3 &&
        instruction->mnemonic != ZYDIS_MNEMONIC_MOVSXD) {
        // movsb/stosq/...: the size is in the operands.
        char last = name[length - 1];

        if (last == 'b' || last == 'w' || last == 'd' || last == 'q') {
            KdpTextAppend(text, "%.*s", (int)(length - 1), name);
            return;
        }
    }
    for (ULONG i = 0; i < ARRAYSIZE(prefixes); i++) {
        size_t prefixLength = strlen(prefixes[i]);

        if (strncmp(name, prefixes[i], prefixLength) != 0)
            continue;
        if (i == 0 && instruction->meta.category != ZYDIS_CATEGORY_COND_BR)
            break;
        for (ULONG j = 0; j < ARRAYSIZE(conditions); j++) {
            if (strcmp(name + prefixLength, conditions[j].Zydis) == 0) {
                KdpTextAppend(text, "%s%s", prefixes[i], conditions[j].Masm);
                return;
            }
        }
        break;
    }
    KdpTextAppend(text, "%s", name);
}

static void KdpClassify(const ZydisDecodedInstruction *instruction,
                        const ZydisDecodedOperand *operands, ULONG64 address,
                        KD_INSTRUCTION *result)
{
    result->Length = instruction->length;
    result->Valid = TRUE;
    result->Flow = KdFlowNext;
    result->HasTarget = FALSE;
    result->Target = 0;
    switch (instruction->meta.category) {
    case ZYDIS_CATEGORY_CALL:
        result->Flow = KdFlowCall;
        break;
    case ZYDIS_CATEGORY_COND_BR:
        result->Flow = KdFlowConditional;
        break;
    case ZYDIS_CATEGORY_UNCOND_BR:
        result->Flow = KdFlowJump;
        break;
    case ZYDIS_CATEGORY_RET:
        result->Flow = KdFlowReturn;
        break;
    default:
        break;
    }
    switch (instruction->mnemonic) {
    case ZYDIS_MNEMONIC_IRETQ:
    case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_SYSRET:
        result->Flow = KdFlowReturn;
        break;
    case ZYDIS_MNEMONIC_INT3:
    case ZYDIS_MNEMONIC_UD2:
        result->Flow = KdFlowStop;
        break;
    default:
        break;
    }
    if (result->Flow != KdFlowNext && instruction->operand_count > 0 &&
        operands[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && operands[0].imm.is_relative) {
        ZyanU64 absolute;

        if (ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(instruction, &operands[0], address,
                                                  &absolute))) {
            result->HasTarget = TRUE;
            result->Target = absolute;
        }
    }
}

static BOOLEAN KdpDecode(const UCHAR *code, ULONG available, ZydisDecodedInstruction *instruction,
                         ZydisDecodedOperand *operands)
{
    ZydisDecoder decoder;

    if (!ZYAN_SUCCESS(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
                                       ZYDIS_STACK_WIDTH_64)))
        return FALSE;
    return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code, available, instruction,
                                               operands));
}

ULONG KdpDisasmDecode(const UCHAR *code, ULONG available, ULONG64 address,
                      KD_INSTRUCTION *instruction)
{
    ZydisDecodedInstruction decoded;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];

    if (!available || !KdpDecode(code, available, &decoded, operands)) {
        if (instruction) {
            RtlZeroMemory(instruction, sizeof(*instruction));
            instruction->Length = available ? 1 : 0;
            instruction->Flow = KdFlowStop;
        }
        return 0;
    }
    if (instruction)
        KdpClassify(&decoded, operands, address, instruction);
    return decoded.length;
}

// The bytes in hex, padded to WinDbg's 16 columns (a longer run is followed
// by one space).
static void KdpAppendBytes(KD_TEXT *text, const UCHAR *code, ULONG length)
{
    for (ULONG i = 0; i < length; i++)
        KdpTextAppend(text, "%02x", code[i]);
    KdpTextAppend(text, "%*s", length * 2 < 16 ? (int)(16 - length * 2) : 1, "");
}

ULONG KdpDisasmFormat(const UCHAR *code, ULONG available, ULONG64 address,
                      KD_DISASM_SYMBOLIZE symbolize, void *context, char *buffer, ULONG size,
                      KD_INSTRUCTION *result)
{
    ZydisDecodedInstruction instruction;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
    KD_TEXT text = { buffer, size, 0 };
    KD_TEXT mnemonic;
    char mnemonicText[32];
    BOOLEAN first = TRUE, stringOp;

    if (size)
        buffer[0] = '\0';
    if (!available) {
        if (result)
            RtlZeroMemory(result, sizeof(*result));
        return 0;
    }
    if (!KdpDecode(code, available, &instruction, operands)) {
        KdpDisasmDecode(code, available, address, result);
        KdpAppendBytes(&text, code, 1);
        KdpTextAppend(&text, "???");
        return 1;
    }
    if (result)
        KdpClassify(&instruction, operands, address, result);
    KdpAppendBytes(&text, code, instruction.length);

    mnemonic.Buffer = mnemonicText;
    mnemonic.Size = sizeof(mnemonicText);
    mnemonic.Length = 0;
    mnemonicText[0] = '\0';
    if (instruction.attributes & ZYDIS_ATTRIB_HAS_LOCK)
        KdpTextAppend(&mnemonic, "lock ");
    if (instruction.attributes & ZYDIS_ATTRIB_HAS_REP)
        KdpTextAppend(&mnemonic, "rep ");
    if (instruction.attributes & ZYDIS_ATTRIB_HAS_REPE)
        KdpTextAppend(&mnemonic, "repe ");
    if (instruction.attributes & ZYDIS_ATTRIB_HAS_REPNE)
        KdpTextAppend(&mnemonic, "repne ");
    if (instruction.mnemonic == ZYDIS_MNEMONIC_INT3) {
        // WinDbg writes the breakpoint instruction as the interrupt it is.
        KdpTextAppend(&text, "int     3");
        return instruction.length;
    }
    KdpAppendMnemonic(&mnemonic, &instruction);

    stringOp = instruction.meta.category == ZYDIS_CATEGORY_STRINGOP;
    for (ULONG i = 0; i < instruction.operand_count; i++) {
        const ZydisDecodedOperand *operand = &operands[i];

        // A string instruction shows its memory operands, hidden or not;
        // everything else what the assembler would write.
        if (stringOp ? operand->type != ZYDIS_OPERAND_TYPE_MEMORY
                     : operand->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
            continue;
        // The multi-byte nop's register operand is no part of its MASM form.
        if (instruction.mnemonic == ZYDIS_MNEMONIC_NOP && !first)
            break;
        if (first)
            KdpTextAppend(&text, "%-7s ", mnemonicText);
        else
            KdpTextAppend(&text, ",");
        first = FALSE;
        switch (operand->type) {
        case ZYDIS_OPERAND_TYPE_REGISTER:
            KdpTextAppend(&text, "%s", ZydisRegisterGetString(operand->reg.value));
            break;
        case ZYDIS_OPERAND_TYPE_MEMORY:
            KdpAppendMemory(&text, &instruction, operand, address, symbolize, context);
            break;
        case ZYDIS_OPERAND_TYPE_IMMEDIATE:
            KdpAppendImmediate(&text, &instruction, operand, address, symbolize, context);
            break;
        case ZYDIS_OPERAND_TYPE_POINTER:
            KdpAppendNumber(&text, operand->ptr.segment);
            KdpTextAppend(&text, ":");
            KdpAppendNumber(&text, operand->ptr.offset);
            break;
        default:
            break;
        }
    }
    if (first)
        KdpTextAppend(&text, "%s", mnemonicText);
    return instruction.length;
}
