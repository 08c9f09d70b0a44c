// DWARF call frame information (DWARF 4, section 6.4, as .eh_frame carries
// it: the LSB's "Exception Frames"): find the FDE for an address through
// .eh_frame_hdr's sorted table, run the CIE's and the FDE's instructions up
// to the address, and apply the row to a register set. Only what GCC and
// clang emit for C is interpreted; a DWARF expression makes its register
// (or the CFA) unknown rather than guessed.

#include "kd/unwind.h"

#define KD_CFI_WINDOW 64            // bytes read at a time
#define KD_CFI_MAX_ENTRY 0x10000    // a longer CIE or FDE is taken as damage
#define KD_CFI_STATE_DEPTH 4        // DW_CFA_remember_state nesting
#define KD_CFI_MAX_TABLE 0x100000   // entries in .eh_frame_hdr's table

// DW_EH_PE_* pointer encodings.
#define PE_OMIT 0xff
#define PE_FORMAT 0x0f
#define PE_APPLICATION 0x70
#define PE_ABSPTR 0x00
#define PE_ULEB128 0x01
#define PE_UDATA2 0x02
#define PE_UDATA4 0x03
#define PE_UDATA8 0x04
#define PE_SLEB128 0x09
#define PE_SDATA2 0x0a
#define PE_SDATA4 0x0b
#define PE_SDATA8 0x0c
#define PE_PCREL 0x10
#define PE_DATAREL 0x30

// A cursor over the table, reading through the caller's reader a window at
// a time; any failed read or a read past End sets Failed, and every value
// read after that is 0.
typedef struct _KD_CFI_CURSOR {
    const KD_CFI_SOURCE *Source;
    ULONG64 Position;
    ULONG64 End;
    ULONG64 WindowBase;
    ULONG WindowLength;
    BOOLEAN Failed;
    UCHAR Window[KD_CFI_WINDOW];
} KD_CFI_CURSOR;

static void KdpCfiInit(KD_CFI_CURSOR *cursor, const KD_CFI_SOURCE *source, ULONG64 position,
                       ULONG64 end)
{
    cursor->Source = source;
    cursor->Position = position;
    cursor->End = end;
    cursor->WindowBase = 0;
    cursor->WindowLength = 0;
    cursor->Failed = FALSE;
}

static UCHAR KdpCfiByte(KD_CFI_CURSOR *cursor)
{
    ULONG64 position = cursor->Position;

    if (cursor->Failed || position >= cursor->End) {
        cursor->Failed = TRUE;
        return 0;
    }
    if (position < cursor->WindowBase || position >= cursor->WindowBase + cursor->WindowLength) {
        ULONG length = KD_CFI_WINDOW;

        // Near the end of what is readable a whole window may fail: retry
        // with just the byte.
        if (cursor->End - position < length)
            length = (ULONG)(cursor->End - position);
        if (!cursor->Source->Read(cursor->Source->ReadContext, position, cursor->Window, length)) {
            length = 1;
            if (!cursor->Source->Read(cursor->Source->ReadContext, position, cursor->Window, 1)) {
                cursor->Failed = TRUE;
                return 0;
            }
        }
        cursor->WindowBase = position;
        cursor->WindowLength = length;
    }
    cursor->Position++;
    return cursor->Window[position - cursor->WindowBase];
}

// Steps over `length` bytes (a block of a DW_CFA_*expression, augmentation
// data): a length past the end fails the cursor, rather than wrapping the
// position back over what was read.
static void KdpCfiSkip(KD_CFI_CURSOR *cursor, ULONG64 length)
{
    if (cursor->Failed || length > cursor->End - cursor->Position)
        cursor->Failed = TRUE;
    else
        cursor->Position += length;
}

static ULONG64 KdpCfiFixed(KD_CFI_CURSOR *cursor, ULONG size)
{
    ULONG64 value = 0;

    for (ULONG i = 0; i < size; i++)
        value |= (ULONG64)KdpCfiByte(cursor) << (8 * i);
    return value;
}

static ULONG64 KdpCfiUleb(KD_CFI_CURSOR *cursor)
{
    ULONG64 value = 0;
    ULONG shift = 0;
    UCHAR byte;

    do {
        byte = KdpCfiByte(cursor);
        if (shift < 64)
            value |= (ULONG64)(byte & 0x7f) << shift;
        shift += 7;
    } while ((byte & 0x80) && !cursor->Failed && shift < 70);
    if (byte & 0x80)
        cursor->Failed = TRUE;
    return value;
}

static LONG64 KdpCfiSleb(KD_CFI_CURSOR *cursor)
{
    ULONG64 value = 0;
    ULONG shift = 0;
    UCHAR byte;

    do {
        byte = KdpCfiByte(cursor);
        if (shift < 64)
            value |= (ULONG64)(byte & 0x7f) << shift;
        shift += 7;
    } while ((byte & 0x80) && !cursor->Failed && shift < 70);
    if (byte & 0x80)
        cursor->Failed = TRUE;
    if (shift < 64 && (byte & 0x40))
        value |= ~0ULL << shift;
    return (LONG64)value;
}

// A pointer in `encoding`, relative to `dataBase` for DW_EH_PE_datarel.
// Indirect pointers and unknown formats fail the cursor.
static ULONG64 KdpCfiPointer(KD_CFI_CURSOR *cursor, UCHAR encoding, ULONG64 dataBase)
{
    ULONG64 base = 0, value;

    if (encoding == PE_OMIT)
        return 0;
    switch (encoding & PE_APPLICATION) {
    case 0:
        break;
    case PE_PCREL:
        base = cursor->Position;
        break;
    case PE_DATAREL:
        base = dataBase;
        break;
    default:
        cursor->Failed = TRUE;
        return 0;
    }
    if (encoding & 0x80) {
        cursor->Failed = TRUE;
        return 0;
    }
    switch (encoding & PE_FORMAT) {
    case PE_ABSPTR:
    case PE_UDATA8:
    case PE_SDATA8:
        value = KdpCfiFixed(cursor, 8);
        break;
    case PE_ULEB128:
        value = KdpCfiUleb(cursor);
        break;
    case PE_UDATA2:
        value = KdpCfiFixed(cursor, 2);
        break;
    case PE_UDATA4:
        value = KdpCfiFixed(cursor, 4);
        break;
    case PE_SLEB128:
        value = (ULONG64)KdpCfiSleb(cursor);
        break;
    case PE_SDATA2:
        value = (ULONG64)(LONG64)(SHORT)KdpCfiFixed(cursor, 2);
        break;
    case PE_SDATA4:
        value = (ULONG64)(LONG64)(LONG)KdpCfiFixed(cursor, 4);
        break;
    default:
        cursor->Failed = TRUE;
        return 0;
    }
    return base + value;
}

// A CIE or FDE's length field: the position after the entry, 0 for the
// terminator or damage.
static ULONG64 KdpCfiEntryEnd(KD_CFI_CURSOR *cursor)
{
    ULONG64 length = KdpCfiFixed(cursor, 4);

    if (length == 0xffffffffULL)
        length = KdpCfiFixed(cursor, 8);
    if (cursor->Failed || length == 0 || length > KD_CFI_MAX_ENTRY)
        return 0;
    return cursor->Position + length;
}

typedef struct _KD_CIE {
    ULONG64 CodeAlign;
    LONG64 DataAlign;
    ULONG ReturnRegister;
    UCHAR FdeEncoding;
    BOOLEAN HasAugmentationData;
    BOOLEAN SignalFrame;
    ULONG64 Instructions;
    ULONG64 End;
} KD_CIE;

static NTSTATUS KdpCfiReadCie(const KD_CFI_SOURCE *source, ULONG64 address, KD_CIE *cie)
{
    KD_CFI_CURSOR cursor;
    char augmentation[8];
    ULONG length = 0;
    UCHAR version, c;

    KdpCfiInit(&cursor, source, address, ~0ULL);
    cie->End = KdpCfiEntryEnd(&cursor);
    if (!cie->End)
        return STATUS_INVALID_IMAGE_FORMAT;
    cursor.End = cie->End;
    if (KdpCfiFixed(&cursor, 4) != 0)       // a CIE's id in .eh_frame
        return STATUS_INVALID_IMAGE_FORMAT;
    version = KdpCfiByte(&cursor);
    if (version != 1 && version != 3)
        return STATUS_INVALID_IMAGE_FORMAT;
    while ((c = KdpCfiByte(&cursor)) != 0 && !cursor.Failed) {
        if (length + 1 >= sizeof(augmentation))
            return STATUS_INVALID_IMAGE_FORMAT;
        augmentation[length++] = (char)c;
    }
    augmentation[length] = 0;
    cie->CodeAlign = KdpCfiUleb(&cursor);
    cie->DataAlign = KdpCfiSleb(&cursor);
    cie->ReturnRegister = version == 1 ? KdpCfiByte(&cursor) : (ULONG)KdpCfiUleb(&cursor);
    cie->FdeEncoding = PE_ABSPTR;
    cie->SignalFrame = FALSE;
    cie->HasAugmentationData = augmentation[0] == 'z';
    if (length && augmentation[0] != 'z')
        return STATUS_INVALID_IMAGE_FORMAT;     // "eh" and others: not ours
    if (cie->HasAugmentationData) {
        ULONG64 dataLength = KdpCfiUleb(&cursor);
        ULONG64 dataEnd;

        if (cursor.Failed || dataLength > cie->End - cursor.Position)
            return STATUS_INVALID_IMAGE_FORMAT;
        dataEnd = cursor.Position + dataLength;

        for (ULONG i = 1; i < length && !cursor.Failed; i++) {
            switch (augmentation[i]) {
            case 'R':
                cie->FdeEncoding = KdpCfiByte(&cursor);
                break;
            case 'L':
                KdpCfiByte(&cursor);
                break;
            case 'P': {
                UCHAR encoding = KdpCfiByte(&cursor);

                KdpCfiPointer(&cursor, (UCHAR)(encoding & ~0x80), 0);
                break;
            }
            case 'S':
                cie->SignalFrame = TRUE;
                break;
            default:
                // Unknown letters have data only the length lets us skip.
                i = length;
                break;
            }
        }
        cursor.Position = dataEnd;
    }
    if (cursor.Failed || cursor.Position > cie->End || cie->CodeAlign == 0 ||
        cie->ReturnRegister >= KD_DW_REGISTERS)
        return STATUS_INVALID_IMAGE_FORMAT;
    cie->Instructions = cursor.Position;
    return STATUS_SUCCESS;
}

typedef struct _KD_CFA_ROW {
    ULONG CfaRegister;
    LONG64 CfaOffset;
    BOOLEAN CfaIsExpression;
    KD_REGISTER_RULE Rules[KD_DW_REGISTERS];
} KD_CFA_ROW;

static void KdpCfiSetRule(KD_CFA_ROW *row, ULONG64 reg, UCHAR kind, LONG64 offset)
{
    if (reg < KD_DW_REGISTERS) {
        row->Rules[reg].Kind = kind;
        row->Rules[reg].Offset = offset;
    }
}

// Runs the instructions from `start` to `end` while the location stays at
// or below `pc` (*location starts at the function's first byte). `initial`
// is the row after the CIE's instructions, for DW_CFA_restore; NULL while
// running those.
static NTSTATUS KdpCfiExecute(const KD_CFI_SOURCE *source, const KD_CIE *cie, ULONG64 start,
                              ULONG64 end, ULONG64 pc, ULONG64 *location, KD_CFA_ROW *row,
                              const KD_CFA_ROW *initial)
{
    KD_CFA_ROW saved[KD_CFI_STATE_DEPTH];
    ULONG depth = 0;
    KD_CFI_CURSOR cursor;

    KdpCfiInit(&cursor, source, start, end);
    while (cursor.Position < end && !cursor.Failed) {
        UCHAR op = KdpCfiByte(&cursor);
        ULONG64 reg, advance = 0;

        switch (op & 0xc0) {
        case 0x40:                              // DW_CFA_advance_loc
            advance = (op & 0x3f) * cie->CodeAlign;
            break;
        case 0x80:                              // DW_CFA_offset
            KdpCfiSetRule(row, op & 0x3f, KdRuleOffset,
                          (LONG64)KdpCfiUleb(&cursor) * cie->DataAlign);
            continue;
        case 0xc0:                              // DW_CFA_restore
            if (initial && (op & 0x3f) < KD_DW_REGISTERS)
                row->Rules[op & 0x3f] = initial->Rules[op & 0x3f];
            continue;
        default:
            break;
        }
        if (!advance) {
            switch (op) {
            case 0x00:                          // DW_CFA_nop
                break;
            case 0x01: {                        // DW_CFA_set_loc
                ULONG64 target = KdpCfiPointer(&cursor, cie->FdeEncoding, 0);

                if (target > pc)
                    return STATUS_SUCCESS;
                *location = target;
                break;
            }
            case 0x02:                          // DW_CFA_advance_loc1, 2, 4
                advance = KdpCfiFixed(&cursor, 1) * cie->CodeAlign;
                break;
            case 0x03:
                advance = KdpCfiFixed(&cursor, 2) * cie->CodeAlign;
                break;
            case 0x04:
                advance = KdpCfiFixed(&cursor, 4) * cie->CodeAlign;
                break;
            case 0x05:                          // DW_CFA_offset_extended
                reg = KdpCfiUleb(&cursor);
                KdpCfiSetRule(row, reg, KdRuleOffset,
                              (LONG64)KdpCfiUleb(&cursor) * cie->DataAlign);
                break;
            case 0x06:                          // DW_CFA_restore_extended
                reg = KdpCfiUleb(&cursor);
                if (initial && reg < KD_DW_REGISTERS)
                    row->Rules[reg] = initial->Rules[reg];
                break;
            case 0x07:                          // DW_CFA_undefined
                KdpCfiSetRule(row, KdpCfiUleb(&cursor), KdRuleUndefined, 0);
                break;
            case 0x08:                          // DW_CFA_same_value
                KdpCfiSetRule(row, KdpCfiUleb(&cursor), KdRuleSameValue, 0);
                break;
            case 0x09:                          // DW_CFA_register
                reg = KdpCfiUleb(&cursor);
                KdpCfiSetRule(row, reg, KdRuleRegister, (LONG64)KdpCfiUleb(&cursor));
                break;
            case 0x0a:                          // DW_CFA_remember_state
                if (depth == KD_CFI_STATE_DEPTH)
                    return STATUS_INVALID_IMAGE_FORMAT;
                saved[depth++] = *row;
                break;
            case 0x0b:                          // DW_CFA_restore_state
                if (depth == 0)
                    return STATUS_INVALID_IMAGE_FORMAT;
                // The CFA rule is restored with the registers' (DWARF 4
                // 6.4.2.4 says only the registers; GCC and clang expect both
                // and emit accordingly).
                *row = saved[--depth];
                break;
            case 0x0c:                          // DW_CFA_def_cfa
                row->CfaRegister = (ULONG)KdpCfiUleb(&cursor);
                row->CfaOffset = (LONG64)KdpCfiUleb(&cursor);
                row->CfaIsExpression = FALSE;
                break;
            case 0x0d:                          // DW_CFA_def_cfa_register
                row->CfaRegister = (ULONG)KdpCfiUleb(&cursor);
                row->CfaIsExpression = FALSE;
                break;
            case 0x0e:                          // DW_CFA_def_cfa_offset
                row->CfaOffset = (LONG64)KdpCfiUleb(&cursor);
                break;
            case 0x0f:                          // DW_CFA_def_cfa_expression
                row->CfaIsExpression = TRUE;
                KdpCfiSkip(&cursor, KdpCfiUleb(&cursor));
                break;
            case 0x10:                          // DW_CFA_expression
            case 0x16:                          // DW_CFA_val_expression
                reg = KdpCfiUleb(&cursor);
                KdpCfiSetRule(row, reg, KdRuleExpression, 0);
                KdpCfiSkip(&cursor, KdpCfiUleb(&cursor));
                break;
            case 0x11:                          // DW_CFA_offset_extended_sf
                reg = KdpCfiUleb(&cursor);
                KdpCfiSetRule(row, reg, KdRuleOffset, KdpCfiSleb(&cursor) * cie->DataAlign);
                break;
            case 0x12:                          // DW_CFA_def_cfa_sf
                row->CfaRegister = (ULONG)KdpCfiUleb(&cursor);
                row->CfaOffset = KdpCfiSleb(&cursor) * cie->DataAlign;
                row->CfaIsExpression = FALSE;
                break;
            case 0x13:                          // DW_CFA_def_cfa_offset_sf
                row->CfaOffset = KdpCfiSleb(&cursor) * cie->DataAlign;
                break;
            case 0x14:                          // DW_CFA_val_offset
                reg = KdpCfiUleb(&cursor);
                KdpCfiSetRule(row, reg, KdRuleValueOffset,
                              (LONG64)KdpCfiUleb(&cursor) * cie->DataAlign);
                break;
            case 0x15:                          // DW_CFA_val_offset_sf
                reg = KdpCfiUleb(&cursor);
                KdpCfiSetRule(row, reg, KdRuleValueOffset, KdpCfiSleb(&cursor) * cie->DataAlign);
                break;
            case 0x2e:                          // DW_CFA_GNU_args_size
                KdpCfiUleb(&cursor);
                break;
            case 0x2f:                          // DW_CFA_GNU_negative_offset_extended
                reg = KdpCfiUleb(&cursor);
                KdpCfiSetRule(row, reg, KdRuleOffset,
                              -(LONG64)KdpCfiUleb(&cursor) * cie->DataAlign);
                break;
            default:
                return STATUS_INVALID_IMAGE_FORMAT;
            }
        }
        if (advance) {
            if (*location + advance > pc)
                return cursor.Failed ? STATUS_INVALID_IMAGE_FORMAT : STATUS_SUCCESS;
            *location += advance;
        }
    }
    return cursor.Failed ? STATUS_INVALID_IMAGE_FORMAT : STATUS_SUCCESS;
}

NTSTATUS KdpUnwindRulesFromFde(const KD_CFI_SOURCE *source, ULONG64 fde, ULONG64 pc,
                               KD_FRAME_RULES *rules)
{
    KD_CFI_CURSOR cursor;
    KD_CIE cie;
    KD_CFA_ROW initial, row;
    ULONG64 end, cieOffset, begin, range, location;
    NTSTATUS status;

    KdpCfiInit(&cursor, source, fde, ~0ULL);
    end = KdpCfiEntryEnd(&cursor);
    if (!end)
        return STATUS_INVALID_IMAGE_FORMAT;
    cursor.End = end;
    cieOffset = KdpCfiFixed(&cursor, 4);
    if (cursor.Failed || cieOffset == 0 || cieOffset > cursor.Position - 4)
        return STATUS_INVALID_IMAGE_FORMAT;     // a CIE, or pointing nowhere
    status = KdpCfiReadCie(source, cursor.Position - 4 - cieOffset, &cie);
    if (!NT_SUCCESS(status))
        return status;
    begin = KdpCfiPointer(&cursor, cie.FdeEncoding, 0);
    range = KdpCfiPointer(&cursor, (UCHAR)(cie.FdeEncoding & PE_FORMAT), 0);
    if (cie.HasAugmentationData)
        KdpCfiSkip(&cursor, KdpCfiUleb(&cursor));
    if (cursor.Failed || cursor.Position > end)
        return STATUS_INVALID_IMAGE_FORMAT;
    if (pc < begin || pc - begin >= range)
        return STATUS_NOT_FOUND;

    // Before any instruction: the CFA is undefined and every register keeps
    // its value (the CIE's instructions say otherwise for what they change).
    memset(&row, 0, sizeof(row));
    row.CfaRegister = KD_DW_RSP;
    row.CfaOffset = 8;
    location = begin;
    status = KdpCfiExecute(source, &cie, cie.Instructions, cie.End, ~0ULL, &location, &row, NULL);
    if (!NT_SUCCESS(status))
        return status;
    initial = row;
    location = begin;
    status = KdpCfiExecute(source, &cie, cursor.Position, end, pc, &location, &row, &initial);
    if (!NT_SUCCESS(status))
        return status;
    rules->FunctionStart = begin;
    rules->FunctionEnd = begin + range;
    rules->CfaRegister = row.CfaRegister;
    rules->CfaOffset = row.CfaOffset;
    rules->CfaIsExpression = row.CfaIsExpression;
    rules->SignalFrame = cie.SignalFrame;
    rules->ReturnRegister = cie.ReturnRegister;
    memcpy(rules->Rules, row.Rules, sizeof(rules->Rules));
    return STATUS_SUCCESS;
}

// .eh_frame_hdr: version 1, the encodings of eh_frame_ptr, fde_count and the
// table, then those, then fde_count pairs (initial location, FDE address)
// sorted by location. ld writes the table as datarel sdata4; that is the
// only form searched.
NTSTATUS KdpUnwindFindRules(const KD_CFI_SOURCE *source, ULONG64 pc, KD_FRAME_RULES *rules)
{
    ULONG64 hdr = source->EhFrameHdr, table, count, low, high;
    KD_CFI_CURSOR cursor;
    UCHAR header[4];

    if (!hdr || !source->Read(source->ReadContext, hdr, header, sizeof(header)) ||
        header[0] != 1 || header[3] != (PE_DATAREL | PE_SDATA4))
        return STATUS_INVALID_IMAGE_FORMAT;
    KdpCfiInit(&cursor, source, hdr + 4, ~0ULL);
    KdpCfiPointer(&cursor, header[1], hdr);
    count = KdpCfiPointer(&cursor, header[2], hdr);
    if (cursor.Failed || header[2] == PE_OMIT || count > KD_CFI_MAX_TABLE)
        return STATUS_INVALID_IMAGE_FORMAT;
    table = cursor.Position;
    // The last entry whose location is at or below pc.
    low = 0;
    high = count;
    while (low < high) {
        ULONG64 middle = low + (high - low) / 2;
        LONG entry[2];

        if (!source->Read(source->ReadContext, table + middle * 8, entry, sizeof(entry)))
            return STATUS_UNSUCCESSFUL;
        if (hdr + (ULONG64)(LONG64)entry[0] <= pc)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == 0)
        return STATUS_NOT_FOUND;
    {
        LONG entry[2];

        if (!source->Read(source->ReadContext, table + (low - 1) * 8, entry, sizeof(entry)))
            return STATUS_UNSUCCESSFUL;
        return KdpUnwindRulesFromFde(source, hdr + (ULONG64)(LONG64)entry[1], pc, rules);
    }
}

NTSTATUS KdpUnwindStep(const KD_FRAME_RULES *rules, KD_UNWIND_CONTEXT *context,
                       KD_UNWIND_READ read, void *readContext, ULONG64 *cfa)
{
    KD_UNWIND_CONTEXT next;
    ULONG64 frameAddress;

    if (rules->CfaIsExpression || rules->CfaRegister >= KD_DW_RA ||
        !(context->Valid & KD_UNWIND_BIT(rules->CfaRegister)))
        return STATUS_NOT_FOUND;
    frameAddress = context->Value[rules->CfaRegister] + (ULONG64)rules->CfaOffset;
    next.Valid = 0;
    memset(next.Value, 0, sizeof(next.Value));
    for (ULONG reg = 0; reg < KD_DW_REGISTERS; reg++) {
        const KD_REGISTER_RULE *rule = &rules->Rules[reg];
        ULONG64 value = 0;

        switch (rule->Kind) {
        case KdRuleSameValue:
            // No rule: a callee-saved register is the caller's; the others
            // the function was free to change (the return address column
            // always has a rule).
            if (!(KD_UNWIND_CALLEE_SAVED & KD_UNWIND_BIT(reg)) ||
                !(context->Valid & KD_UNWIND_BIT(reg)))
                continue;
            value = context->Value[reg];
            break;
        case KdRuleOffset:
            if (!read(readContext, frameAddress + (ULONG64)rule->Offset, &value, sizeof(value))) {
                if (reg == rules->ReturnRegister)
                    return STATUS_UNSUCCESSFUL;
                continue;
            }
            break;
        case KdRuleValueOffset:
            value = frameAddress + (ULONG64)rule->Offset;
            break;
        case KdRuleRegister:
            if (rule->Offset < 0 || rule->Offset >= KD_DW_REGISTERS ||
                !(context->Valid & KD_UNWIND_BIT(rule->Offset)))
                continue;
            value = context->Value[rule->Offset];
            break;
        default:
            continue;
        }
        next.Value[reg] = value;
        next.Valid |= KD_UNWIND_BIT(reg);
    }
    if (!(next.Valid & KD_UNWIND_BIT(rules->ReturnRegister)))
        return STATUS_NOT_FOUND;
    // The caller's rip is the return address; its rsp the CFA.
    next.Value[KD_DW_RA] = next.Value[rules->ReturnRegister];
    next.Valid |= KD_UNWIND_BIT(KD_DW_RA);
    next.Value[KD_DW_RSP] = frameAddress;
    next.Valid |= KD_UNWIND_BIT(KD_DW_RSP);
    *context = next;
    *cfa = frameAddress;
    return STATUS_SUCCESS;
}
