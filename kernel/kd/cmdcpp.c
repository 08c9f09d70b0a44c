// ??: evaluate a C++ expression and show its type and value, as WinDbg
// does: `?? sizeof(nt!_ETHREAD)` is "unsigned int64 0x450", a pointer is
// its type and address, a structure its type and then dt's field lines.

#include "kd/kdcpp.h"
#include "kd/kdparse.h"

void KdpPrintCppScalar(ULONG type, ULONG pointers, ULONG64 value)
{
    const KD_TYPE_RECORD *record = KdpTypeRecord(KdpTypeResolve(type));

    if (pointers || record->Kind == KdTypePointer || record->Kind == KdTypeArray) {
        KdpPrint("0x");
        KdpPrintAddress(value);
        return;
    }
    if (record->Kind == KdTypeEnum) {
        for (ULONG i = 0; i < record->Count; i++) {
            const KD_TYPE_ENUMERATOR *e = &KdpTypeEnumerators[record->Target + i];

            if ((ULONG64)e->Value == value) {
                KdpPrint("%s ", KdpTypeString(e->Name));
                break;
            }
        }
        KdpPrint("(0n%lld)", (long long)value);
    } else if (record->Encoding == KdBaseSigned) {
        KdpPrint("0n%lld", (long long)value);
    } else {
        KdpPrint("0x%llx", (unsigned long long)value);
    }
}

void KdpFormatCppTypeName(ULONG type, ULONG pointers, char *name, size_t size)
{
    KdpTypeFormatCName(type, name, size);
    for (ULONG i = 0; i < pointers; i++) {
        size_t length = strlen(name);

        RtlStringPrintf(name + length, size - length, " *");
    }
}

static void KdpPrintCppValue(const KD_CPP_VALUE *value)
{
    char name[128];
    const KD_TYPE_RECORD *record;

    if (value->IsBool) {
        KdpPrint("bool %s\n", value->Value ? "true" : "false");
        return;
    }
    if (value->Type == KD_TYPE_NONE) {
        KdpPrint("unsigned int64 0x%llx\n", (unsigned long long)value->Value);
        return;
    }
    KdpFormatCppTypeName(value->Type, value->Pointers, name, sizeof(name));
    record = KdpTypeRecord(KdpTypeResolve(value->Type));
    if (!value->Pointers && (record->Kind == KdTypeStruct || record->Kind == KdTypeUnion)) {
        // A counted string shows its text first, as WinDbg's ?? does.
        if (strcmp(KdpTypeString(record->Name), "_UNICODE_STRING") == 0) {
            KdpPrint("struct ");
            KdpTypePrintValue(value->Type, value->Address);
            KdpPrint("\n");
        } else {
            KdpPrint("%s\n", name);
        }
        KdpTypePrintFields(value->Type, value->Address);
        return;
    }
    KdpPrint("%s ", name);
    KdpPrintCppScalar(value->Type, value->Pointers, value->Value);
    KdpPrint("\n");
}

KD_COMMAND_RESULT KdpEvaluateCppCommand(int argc, char **argv)
{
    char expression[256];
    char error[160];
    KD_CPP_VALUE value;

    if (argc < 2) {
        KdpPrint("Usage: ?? expression\n");
        return KdCommandContinue;
    }
    if (!KdpJoinWords(argc, argv, expression, sizeof(expression))) {
        KdpPrint("Expression too long\n");
        return KdCommandContinue;
    }
    if (!KdpEvaluateCpp(&KdpEnvironment, expression, &value, error, sizeof(error))) {
        KdpPrint("%s\n", error);
        return KdCommandContinue;
    }
    if (value.IsLValue && value.Type != KD_TYPE_NONE &&
        !KdpCppLoad(&KdpEnvironment, &value)) {
        KdpPrint("Memory access error at '%llx'\n", (unsigned long long)value.Address);
        return KdCommandContinue;
    }
    KdpPrintCppValue(&value);
    return KdCommandContinue;
}
