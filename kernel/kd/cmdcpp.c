// ??: evaluate a C++ expression and show its type and value, as WinDbg
// does: `?? sizeof(nt!_ETHREAD)` is "unsigned int64 0x450", a pointer is
// its type and address, a structure its type and then dt's field lines.

#include "kd/kdcpp.h"
#include "kd/kdparse.h"

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
    KdpTypeFormatCName(value->Type, name, sizeof(name));
    for (ULONG i = 0; i < value->Pointers; i++) {
        size_t length = strlen(name);

        RtlStringPrintf(name + length, sizeof(name) - length, " *");
    }
    record = KdpTypeRecord(KdpTypeResolve(value->Type));
    if (value->Pointers || record->Kind == KdTypePointer) {
        KdpPrint("%s 0x", name);
        KdpPrintAddress(value->Value);
        KdpPrint("\n");
        return;
    }
    switch (record->Kind) {
    case KdTypeStruct:
    case KdTypeUnion:
        // A counted string shows its text first, as WinDbg's ?? does.
        if (strcmp(KdpTypeString(record->Name), "_UNICODE_STRING") == 0) {
            KdpPrint("struct ");
            KdpTypePrintValue(value->Type, value->Address);
            KdpPrint("\n");
        } else {
            KdpPrint("%s\n", name);
        }
        KdpTypePrintFields(value->Type, value->Address);
        break;
    case KdTypeArray:
        KdpPrint("%s 0x", name);
        KdpPrintAddress(value->Value);
        KdpPrint("\n");
        break;
    case KdTypeEnum:
        KdpPrint("%s ", name);
        for (ULONG i = 0; i < record->Count; i++) {
            const KD_TYPE_ENUMERATOR *e = &KdpTypeEnumerators[record->Target + i];

            if ((ULONG64)e->Value == value->Value) {
                KdpPrint("%s ", KdpTypeString(e->Name));
                break;
            }
        }
        KdpPrint("(0n%lld)\n", (long long)value->Value);
        break;
    default:
        if (record->Encoding == KdBaseSigned)
            KdpPrint("%s 0n%lld\n", name, (long long)value->Value);
        else
            KdpPrint("%s 0x%llx\n", name, (unsigned long long)value->Value);
        break;
    }
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
