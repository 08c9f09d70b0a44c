#!/usr/bin/env python3
"""Builds the debugger's type tables (`dt`, `??`) from the build's own DWARF.

  gentypes.py --empty -o ktypes.c                      tables with no types
  gentypes.py -o ktypes.c nt=sleuth.pass1.elf mup=mup.sys ...

Every structure, union, enum and typedef of each image (the kernel's first
link, each driver and each system program) is read with pyelftools, the
types they reach with them (pointers, arrays, base types, function types).
A type that two images describe alike (the NDK's _IRP in the kernel and in
every driver) is stored once; each module keeps its own list of the names
it knows.

For `kp` and `kP`, each module also lists its functions (start, size) with
their parameters: name, type, and where the value is over the function's
code, from DW_AT_location (a register, memory at a register or the CFA
plus an offset, a register plus an offset, a constant). What the debugger
cannot follow (DW_OP_entry_value, pieces, anything else) is not listed, so
kp says the value is unavailable there.

The tables are C arrays in .ksyms, the image's last segment, written after
the first link like the symbol table (tools/gensyms.py), so adding them
moves nothing. Run with a Python that sees Debian's python3-pyelftools
(the Makefile uses /usr/bin/python3).
"""
import argparse
import hashlib
import os
import sys

from elftools.dwarf.dwarf_expr import DWARFExprParser
from elftools.dwarf.locationlists import BaseAddressEntry, LocationEntry, LocationExpr, \
    LocationParser
from elftools.elf.elffile import ELFFile

HEADER = '#include "kd/kdtype.h"\n\n'
SECTION = '__attribute__((section(".ksyms"))) '

# Record kinds: kernel/kd/kdtype.h's KD_TYPE_KIND, same order.
VOID, BASE, STRUCT, UNION, ENUM, TYPEDEF, POINTER, ARRAY, FUNCTION = range(9)
AGGREGATE_TAGS = {"DW_TAG_structure_type": STRUCT, "DW_TAG_union_type": UNION,
                  "DW_TAG_class_type": STRUCT}
QUALIFIER_TAGS = {"DW_TAG_const_type", "DW_TAG_volatile_type", "DW_TAG_restrict_type",
                  "DW_TAG_atomic_type"}
NAMED_TAGS = set(AGGREGATE_TAGS) | {"DW_TAG_enumeration_type", "DW_TAG_typedef"}

# Where a parameter is: KD_PARAMETER_KIND (kdtype.h), same order; the
# register CFA is the frame's canonical frame address (DW_OP_fbreg's base).
LOC_REGISTER, LOC_MEMORY, LOC_VALUE, LOC_CONSTANT = range(4)
REG_CFA = 0xFF
DW_OP_REG0, DW_OP_REG31, DW_OP_BREG0, DW_OP_BREG31 = 0x50, 0x6F, 0x70, 0x8F

# Base encodings: KD_BASE_ENCODING.
ENC_SIGNED, ENC_UNSIGNED, ENC_BOOL, ENC_FLOAT = range(4)
DW_ATE = {0x2: ENC_BOOL, 0x4: ENC_FLOAT, 0x5: ENC_SIGNED, 0x6: ENC_SIGNED,
          0x7: ENC_UNSIGNED, 0x8: ENC_UNSIGNED, 0x10: ENC_UNSIGNED}


def name_of(die):
    attr = die.attributes.get("DW_AT_name")
    return attr.value.decode("utf-8", "replace") if attr else ""


def attr_int(die, name, default=0):
    attr = die.attributes.get(name)
    return attr.value if attr is not None and isinstance(attr.value, int) else default


class Tables:
    """The records every module shares, deduplicated by their key."""

    def __init__(self):
        self.strings = {}
        self.pool = []
        self.pool_size = 0
        self.string("")
        self.records = [(VOID, 0, self.string("void"), 0, 0, 0)]
        self.members = []
        self.enumerators = []
        self.by_key = {"void": 0}
        self.parameters = []      # (name, type, first location, count)
        self.locations = []       # (begin, end, kind, register, offset)

    def string(self, text):
        if text not in self.strings:
            self.strings[text] = self.pool_size
            self.pool.append(text)
            self.pool_size += len(text.encode()) + 1
        return self.strings[text]


class Module:
    """One image: resolves its DIEs to the shared records."""

    def __init__(self, tables, name, path):
        self.tables = tables
        self.name = name
        self.definitions = {}     # (kind, name) -> the complete DIE
        self.named = []           # every named type DIE
        self.keys = {}            # DIE offset -> key
        self.indexes = {}         # DIE offset -> record index
        self.functions = []       # (start, size, name, first parameter, count)
        subprograms = []
        with open(path, "rb") as f:
            elf = ELFFile(f)
            if not elf.has_dwarf_info():
                raise SystemExit("gentypes: %s has no DWARF (build with -g)" % path)
            # A driver is linked at 0: its addresses are offsets from its base.
            self.relative = elf.header["e_type"] == "ET_DYN"
            dwarf = elf.get_dwarf_info()
            for cu in dwarf.iter_CUs():
                for die in cu.iter_DIEs():
                    if die.tag == "DW_TAG_subprogram" and "DW_AT_low_pc" in die.attributes \
                            and "DW_AT_high_pc" in die.attributes and name_of(die):
                        subprograms.append((cu, die))
                    if die.tag in NAMED_TAGS and "DW_AT_name" in die.attributes:
                        self.named.append(die)
                        if die.tag != "DW_TAG_typedef" and \
                                "DW_AT_declaration" not in die.attributes:
                            self.definitions.setdefault((die.tag, name_of(die)), die)
            self.visible = {}
            for die in self.named:
                die = self.complete(die)
                kind = self.index(die)
                self.visible.setdefault(name_of(die), kind)
            self.read_functions(dwarf, subprograms)

    # ---- functions and their parameters (kp, kP) ----

    def read_functions(self, dwarf, subprograms):
        parser = LocationParser(dwarf.location_lists())
        expr = DWARFExprParser(dwarf.structs)
        seen = set()
        for cu, die in subprograms:
            low = die.attributes["DW_AT_low_pc"].value
            high = die.attributes["DW_AT_high_pc"]
            size = high.value if high.form != "DW_FORM_addr" else high.value - low
            if low in seen or size <= 0:
                continue
            seen.add(low)
            frame = die.attributes.get("DW_AT_frame_base")
            cfa_based = frame is not None and frame.form == "DW_FORM_exprloc" and \
                list(frame.value) == [0x9C]      # DW_OP_call_frame_cfa
            t = self.tables
            first = len(t.parameters)
            for c in die.iter_children():
                if c.tag != "DW_TAG_formal_parameter":
                    continue
                locs = self.parameter_locations(parser, expr, cu, c, low, size, cfa_based)
                t.parameters.append((t.string(name_of(c)), self.index(self.target(c)),
                                     len(t.locations), len(locs)))
                t.locations.extend(locs)
            self.functions.append((low, size, t.string(name_of(die)), first,
                                   len(t.parameters) - first))
        self.functions.sort()

    @staticmethod
    def decode(expr, code, cfa_based):
        """One location expression: (kind, register, offset), or None."""
        try:
            ops = expr.parse_expr(code)
        except Exception:
            return None
        o = [(op.op, op.args) for op in ops]
        if len(o) == 1 and DW_OP_REG0 <= o[0][0] <= DW_OP_REG31:
            return (LOC_REGISTER, o[0][0] - DW_OP_REG0, 0)
        if len(o) == 1 and o[0][0] == 0x90:                    # DW_OP_regx
            return (LOC_REGISTER, o[0][1][0], 0) if o[0][1][0] < 17 else None
        if len(o) == 1 and DW_OP_BREG0 <= o[0][0] <= DW_OP_BREG31:
            return (LOC_MEMORY, o[0][0] - DW_OP_BREG0, o[0][1][0])
        if len(o) == 1 and o[0][0] == 0x91 and cfa_based:     # DW_OP_fbreg
            return (LOC_MEMORY, REG_CFA, o[0][1][0])
        if len(o) == 2 and o[1][0] == 0x9F:                    # ...; DW_OP_stack_value
            op, args = o[0]
            if DW_OP_BREG0 <= op <= DW_OP_BREG31:
                return (LOC_VALUE, op - DW_OP_BREG0, args[0])
            if 0x30 <= op <= 0x4F:                              # DW_OP_lit0..31
                return (LOC_CONSTANT, 0, op - 0x30)
            if op in (0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x10, 0x11):   # DW_OP_const*
                return (LOC_CONSTANT, 0, args[0])
        return None

    def parameter_locations(self, parser, expr, cu, die, low, size, cfa_based):
        """[(begin, end, kind, register, offset)], offsets from the function's start."""
        attr = die.attributes.get("DW_AT_location")
        if attr is None:
            return []
        try:
            loc = parser.parse_from_attribute(attr, cu["version"], die)
        except Exception:
            return []       # an encoding pyelftools does not read (clang's loclistx)
        if isinstance(loc, LocationExpr):
            d = self.decode(expr, loc.loc_expr, cfa_based)
            return [(0, size) + d] if d else []
        top = cu.get_top_DIE()
        base = top.attributes["DW_AT_low_pc"].value if "DW_AT_low_pc" in top.attributes \
            else 0
        out = []
        for entry in loc:
            if isinstance(entry, BaseAddressEntry):
                base = entry.base_address
                continue
            if not isinstance(entry, LocationEntry) or entry.begin_offset < 0:
                continue
            begin = entry.begin_offset + (0 if entry.is_absolute else base)
            end = entry.end_offset + (0 if entry.is_absolute else base)
            d = self.decode(expr, entry.loc_expr, cfa_based)
            begin, end = max(begin, low) - low, min(end, low + size) - low
            if d and begin < end and -(1 << 31) <= d[2] < (1 << 31):
                out.append((begin, end) + d)
        return out

    # A named aggregate's declaration stands for its definition, if the
    # image has one.
    def complete(self, die):
        if die.tag in AGGREGATE_TAGS or die.tag == "DW_TAG_enumeration_type":
            name = name_of(die)
            if name:
                return self.definitions.get((die.tag, name), die)
        return die

    def target(self, die):
        if "DW_AT_type" not in die.attributes:
            return None
        t = die.get_DIE_from_attribute("DW_AT_type")
        while t is not None and t.tag in QUALIFIER_TAGS:
            t = t.get_DIE_from_attribute("DW_AT_type") if "DW_AT_type" in t.attributes \
                else None
        return self.complete(t) if t is not None else None

    # desc: what a type looks like, naming (not describing) the aggregates a
    # pointer reaches, so that self-referencing structures terminate.
    def desc(self, die, through_pointer=False):
        if die is None:
            return "void"
        if through_pointer and die.tag in AGGREGATE_TAGS and name_of(die):
            return "%s:%s" % (die.tag[7], name_of(die))
        return self.key(die)

    def key(self, die):
        if die is None:
            return "void"
        if die.offset in self.keys:
            return self.keys[die.offset]
        tag = die.tag
        size = attr_int(die, "DW_AT_byte_size")
        if tag == "DW_TAG_base_type":
            k = "B:%s:%d:%d" % (name_of(die), size, attr_int(die, "DW_AT_encoding"))
        elif tag == "DW_TAG_pointer_type":
            k = "P:" + self.desc(self.target(die), True)
        elif tag == "DW_TAG_array_type":
            k = "A:%s:%s" % (",".join(str(n) for n in self.dimensions(die)),
                             self.desc(self.target(die), False))
        elif tag == "DW_TAG_typedef":
            k = "T:%s:%s" % (name_of(die), self.desc(self.target(die), True))
        elif tag == "DW_TAG_subroutine_type":
            k = "F:" + self.desc(self.target(die), True)
        elif tag == "DW_TAG_enumeration_type":
            values = ",".join("%s=%d" % (name_of(c), attr_int(c, "DW_AT_const_value"))
                              for c in die.iter_children() if c.tag == "DW_TAG_enumerator")
            k = "E:%s:%d:%s" % (name_of(die), size, values)
        elif tag in AGGREGATE_TAGS:
            if "DW_AT_declaration" in die.attributes:
                k = "D:%s:%s" % (tag[7], name_of(die))
            else:
                parts = [self.member_layout(m) + self.desc(self.target(m), True)
                         for m in self.members_of(die)]
                k = "%s:%s:%d:%s" % (tag[7], name_of(die), size, "|".join(parts))
        else:
            k = "?:%s" % tag
        if len(k) > 200:
            k = k[:40] + hashlib.sha1(k.encode()).hexdigest()
        self.keys[die.offset] = k
        return k

    @staticmethod
    def members_of(die):
        return [c for c in die.iter_children() if c.tag == "DW_TAG_member"]

    @staticmethod
    def dimensions(die):
        dims = []
        for c in die.iter_children():
            if c.tag == "DW_TAG_subrange_type":
                if "DW_AT_count" in c.attributes:
                    dims.append(attr_int(c, "DW_AT_count"))
                elif "DW_AT_upper_bound" in c.attributes:
                    dims.append(attr_int(c, "DW_AT_upper_bound") + 1)
                else:
                    dims.append(0)        # a flexible array member
        return dims or [0]

    # (offset, bit position, bit size) of a member, as WinDbg shows a bit
    # field: the offset of its storage unit and its position inside it.
    def member_place(self, m):
        byte_offset = attr_int(m, "DW_AT_data_member_location")
        bits = attr_int(m, "DW_AT_bit_size")
        if not bits:
            return byte_offset, 0, 0
        # The storage unit: the member's own DW_AT_byte_size where the
        # compiler gives it (clang, with DW_AT_bit_offset), else its type's,
        # looked up through typedefs (a ULONG bit field's type is a typedef).
        unit = attr_int(m, "DW_AT_byte_size")
        t = self.target(m)
        while not unit and t is not None:
            unit = attr_int(t, "DW_AT_byte_size")
            t = self.target(t) if t.tag == "DW_TAG_typedef" else None
        unit = unit or 4
        if "DW_AT_data_bit_offset" in m.attributes:
            first = attr_int(m, "DW_AT_data_bit_offset")
        else:                       # DWARF 2-4: counted from the unit's high end
            # Signed: clang writes a field that runs past its unit's end
            # (packed structures) as a negative offset.
            bit_offset = attr_int(m, "DW_AT_bit_offset")
            if bit_offset >= 1 << 63:
                bit_offset -= 1 << 64
            first = byte_offset * 8 + unit * 8 - bit_offset - bits
        start = first // (unit * 8) * unit
        return start, first - start * 8, bits

    def member_layout(self, m):
        return "%s@%d.%d.%d:" % ((name_of(m),) + self.member_place(m))

    def index(self, die):
        t = self.tables
        if die is None:
            return 0
        if die.offset in self.indexes:
            return self.indexes[die.offset]
        k = self.key(die)
        if k in t.by_key:
            self.indexes[die.offset] = t.by_key[k]
            return t.by_key[k]
        slot = len(t.records)
        t.records.append(None)
        t.by_key[k] = slot
        self.indexes[die.offset] = slot
        tag = die.tag
        name = t.string(name_of(die))
        size = attr_int(die, "DW_AT_byte_size")
        if tag == "DW_TAG_base_type":
            enc = DW_ATE.get(attr_int(die, "DW_AT_encoding"), ENC_UNSIGNED)
            record = (BASE, enc, name, size, 0, 0)
        elif tag == "DW_TAG_pointer_type":
            record = (POINTER, 0, 0, size or 8, self.index(self.target(die)), 0)
        elif tag == "DW_TAG_typedef":
            target = self.index(self.target(die))
            record = (TYPEDEF, 0, name, 0, target, 0)
        elif tag == "DW_TAG_subroutine_type":
            record = (FUNCTION, 0, 0, 0, self.index(self.target(die)), 0)
        elif tag == "DW_TAG_array_type":
            # int a[2][3]: an array of 2 arrays of 3, as WinDbg shows "[2] [3] Int4B".
            element = self.index(self.target(die))
            dims = self.dimensions(die)
            for n in reversed(dims[1:]):
                inner = ("A:%d:" % n) + k
                element = self.array(inner, element, n)
            record = (ARRAY, 0, 0, 0, element, dims[0])
        elif tag == "DW_TAG_enumeration_type":
            first = len(t.enumerators)
            for c in die.iter_children():
                if c.tag == "DW_TAG_enumerator":
                    t.enumerators.append((t.string(name_of(c)),
                                          attr_int(c, "DW_AT_const_value")))
            signed = ENC_UNSIGNED
            underlying = self.target(die)
            if underlying is not None and \
                    DW_ATE.get(attr_int(underlying, "DW_AT_encoding")) == ENC_SIGNED:
                signed = ENC_SIGNED
            record = (ENUM, signed, name, size, first, len(t.enumerators) - first)
        elif tag in AGGREGATE_TAGS:
            members = []
            for m in self.members_of(die):
                offset, pos, bits = self.member_place(m)
                members.append((t.string(name_of(m)), self.index(self.target(m)), offset,
                                pos, bits))
            first = len(t.members)
            t.members.extend(members)
            record = (AGGREGATE_TAGS[tag], 0, name, size, first, len(members))
        else:
            record = (VOID, 0, t.string("void"), 0, 0, 0)
        t.records[slot] = record
        return slot

    def array(self, key, element, count):
        t = self.tables
        if key not in t.by_key:
            t.by_key[key] = len(t.records)
            t.records.append((ARRAY, 0, 0, 0, element, count))
        return t.by_key[key]


def c_string(s):
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("?")
    return '"' + "".join(out) + '\\0"'


def c_int64(value):
    """A 64-bit enumerator as C spells it (an unsigned one wraps, as LONG64)."""
    value &= (1 << 64) - 1
    if value >= 1 << 63:
        value -= 1 << 64
    if value == -(1 << 63):
        return "(-0x7fffffffffffffffLL - 1)"
    return "%dLL" % value


def write_array(f, declaration, rows, row, empty):
    """One table: `declaration` = { row % each of rows }; C has no empty arrays."""
    f.write(SECTION + declaration + " = {\n")
    for r in rows or [empty]:
        f.write("    " + row % r + ",\n")
    f.write("};\n")


def write(path, tables, modules):
    with open(path, "w") as f:
        f.write(HEADER)
        write_array(f, "const KD_TYPE_RECORD KdpTypeRecords[]", tables.records,
                    "{ %d, %d, 0, 0x%x, 0x%x, 0x%x, 0x%x }", None)
        write_array(f, "const KD_TYPE_MEMBER KdpTypeMembers[]", tables.members,
                    "{ 0x%x, 0x%x, 0x%x, %d, %d }", (0, 0, 0, 0, 0))
        write_array(f, "const KD_TYPE_ENUMERATOR KdpTypeEnumerators[]",
                    [(c_int64(v), n) for n, v in tables.enumerators], "{ %s, 0x%x }",
                    ("0", 0))
        # Names in arrays of their own: a string literal would land in
        # .rodata and move every symbol after it.
        for i, mod in enumerate(modules):
            f.write(SECTION + "static const char KdpModuleName%d[] = %s;\n"
                    % (i, c_string(mod.name)[:-3] + '"'))
        for i, mod in enumerate(modules):
            names = sorted(mod.visible.items(), key=lambda kv: kv[0].lower())
            write_array(f, "static const ULONG KdpModuleTypes%d[]" % i,
                        [index for _, index in names], "0x%x", 0)
        for i, mod in enumerate(modules):
            write_array(f, "static const KD_TYPE_FUNCTION KdpModuleFunctions%d[]" % i,
                        mod.functions, "{ 0x%x, 0x%x, 0x%x, 0x%x, %d }", (0, 0, 0, 0, 0))
        write_array(f, "const KD_TYPE_PARAMETER KdpTypeParameters[]", tables.parameters,
                    "{ 0x%x, 0x%x, 0x%x, %d }", (0, 0, 0, 0))
        write_array(f, "const KD_TYPE_LOCATION KdpTypeLocations[]", tables.locations,
                    "{ 0x%x, 0x%x, %d, %d, %d }", (0, 0, 0, 0, 0))
        f.write(SECTION + "const KD_TYPE_MODULE KdpTypeModules[] = {\n")
        for i, mod in enumerate(modules):
            f.write("    { KdpModuleName%d, KdpModuleTypes%d, %d, KdpModuleFunctions%d, %d, %d },"
                    "\n" % (i, i, len(mod.visible), i, len(mod.functions), int(mod.relative)))
        f.write("    { 0, 0, 0, 0, 0, 0 },\n};\n")
        f.write(SECTION + "const ULONG KdpTypeRecordCount = %d;\n" % len(tables.records))
        f.write(SECTION + "const char KdpTypeNames[] =\n")
        for s in tables.pool:
            f.write("    %s\n" % c_string(s))
        f.write("    \"\";\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--empty", action="store_true")
    p.add_argument("-o", required=True)
    p.add_argument("images", nargs="*", help="MODULE=PATH, the kernel (nt) first")
    a = p.parse_args()
    tables = Tables()
    modules = []
    if not a.empty:
        for spec in a.images:
            name, _, path = spec.partition("=")
            if not path:
                name, path = os.path.splitext(os.path.basename(spec))[0], spec
            modules.append(Module(tables, name, path))
    write(a.o, tables, modules)
    return 0


if __name__ == "__main__":
    sys.exit(main())
