// kp and kP: a frame's function with its parameters, as WinDbg prints
// them with private symbols: "nt!Name(void * Object = 0xfffffa80`00011200,
// unsigned long Count = 0x2)+0x1a", kP with each parameter on a line of its
// own. The names, types and places come from the build's DWARF
// (tools/gentypes.py); the values from the frame's registers as the CFI
// walk recovered them, or from memory. A parameter whose place the
// debugger cannot follow there, or whose register the walk could not
// recover (a caller-saved one, past frame 0), is "<value unavailable>":
// no value is ever guessed.

#include "kd/kd.h"
#include "kd/kdcpp.h"
#include "kd/kdtype.h"

#define KD_PARAMETER_UNAVAILABLE "<value unavailable>"

static BOOLEAN KdpFrameRead(const KD_FRAME *frame, ULONG64 address, void *buffer, SIZE_T size)
{
    if (frame->User)
        return KdpReadProcessMemory(frame->DirectoryTableBase, address, buffer, size);
    return KdpReadMemory(address, buffer, size);
}

static BOOLEAN KdpFrameRegister(const KD_FRAME *frame, ULONG reg, ULONG64 *value)
{
    if (reg == KD_PARAMETER_CFA) {
        *value = frame->Cfa;
        return frame->Cfa != 0;
    }
    if (reg >= KD_DW_REGISTERS || !(frame->Registers.Valid & KD_UNWIND_BIT(reg)))
        return FALSE;
    *value = frame->Registers.Value[reg];
    return TRUE;
}

// A value of `size` bytes (at most 8) as its type reads: the low bytes,
// sign-extended when the type is signed.
static ULONG64 KdpTruncate(ULONG type, ULONG64 value, ULONG size)
{
    const KD_TYPE_RECORD *record = KdpTypeRecord(KdpTypeResolve(type));

    if (size >= 8)
        return value;
    value &= (1ULL << (size * 8)) - 1;
    if ((record->Kind == KdTypeBase || record->Kind == KdTypeEnum) &&
        record->Encoding == KdBaseSigned && (value & (1ULL << (size * 8 - 1))))
        value |= ~0ULL << (size * 8);
    return value;
}

// The parameter's value at `offset` into its function, in `frame`.
static BOOLEAN KdpParameterValue(const KD_FRAME *frame, const KD_TYPE_PARAMETER *parameter,
                                 ULONG64 offset, ULONG64 *value)
{
    ULONG size = KdpTypeSize(parameter->Type);
    ULONG64 base = 0;

    if (size == 0 || size > 8)
        return FALSE;       // an aggregate passed by value: not shown
    for (ULONG i = 0; i < parameter->LocationCount; i++) {
        const KD_TYPE_LOCATION *location = &KdpTypeLocations[parameter->FirstLocation + i];

        if (offset < location->Begin || offset >= location->End)
            continue;
        switch (location->Kind) {
        case KdParameterConstant:
            *value = KdpTruncate(parameter->Type, (ULONG64)(LONG64)location->Offset, size);
            return TRUE;
        case KdParameterRegister:
            if (!KdpFrameRegister(frame, location->Register, value))
                return FALSE;
            *value = KdpTruncate(parameter->Type, *value, size);
            return TRUE;
        case KdParameterValue:
            if (!KdpFrameRegister(frame, location->Register, &base))
                return FALSE;
            *value = KdpTruncate(parameter->Type, base + (ULONG64)(LONG64)location->Offset,
                                 size);
            return TRUE;
        case KdParameterMemory:
            *value = 0;
            if (!KdpFrameRegister(frame, location->Register, &base) ||
                !KdpFrameRead(frame, base + (ULONG64)(LONG64)location->Offset, value, size))
                return FALSE;
            *value = KdpTruncate(parameter->Type, *value, size);
            return TRUE;
        default:
            return FALSE;
        }
    }
    return FALSE;
}

static void KdpPrintParameter(const KD_FRAME *frame, const KD_TYPE_PARAMETER *parameter,
                              ULONG64 offset)
{
    char type[128];
    ULONG64 value;

    KdpFormatCppTypeName(parameter->Type, 0, type, sizeof(type));
    KdpPrint("%s %s = ", type, KdpTypeString(parameter->Name));
    if (KdpParameterValue(frame, parameter, offset, &value))
        KdpPrintCppScalar(parameter->Type, 0, value);
    else
        KdpPrint(KD_PARAMETER_UNAVAILABLE);
}

BOOLEAN KdpPrintFrameFunction(const KD_FRAME *frame, const char *symbol, ULONG flags,
                              const char *imageName)
{
    const KD_TYPE_FUNCTION *function;
    char module[KD_MODULE_NAME_LENGTH];
    ULONG64 base = 0, offset, pc = frame->Exact ? frame->CallSite : frame->CallSite - 1;
    KD_MODULE loaded;

    if (!strchr(symbol, '!'))
        return FALSE;       // no symbol at all: k's address form stays
    if (frame->User) {
        const char *dot;

        if (!imageName)
            return FALSE;
        dot = strchr(imageName, '.');
        RtlStringPrintf(module, sizeof(module), "%.*s",
                        (int)(dot ? (size_t)(dot - imageName) : strlen(imageName)), imageName);
    } else {
        if (!KdpFindModuleByAddress(frame->CallSite, &loaded))
            return FALSE;
        RtlStringPrintf(module, sizeof(module), "%s", loaded.Name);
        base = loaded.Base;
    }
    function = KdpTypeFindFunction(module, base, pc, &offset);
    if (!function)
        return FALSE;
    KdpPrint("%s!%s(", module, KdpTypeString(function->Name));
    if (function->ParameterCount == 0)
        KdpPrint("void");
    for (ULONG i = 0; i < function->ParameterCount; i++) {
        if (flags & KD_STACK_PARAM_LINES)
            KdpPrint("\n\t\t\t");
        KdpPrintParameter(frame, &KdpTypeParameters[function->FirstParameter + i], offset);
        if (i + 1 < function->ParameterCount)
            KdpPrint(", ");
    }
    // The offset of the call site itself (pc is one byte back in a caller).
    offset += frame->CallSite - pc;
    KdpPrint(")");
    if (offset)
        KdpPrint("+0x%llx", (unsigned long long)offset);
    return TRUE;
}
