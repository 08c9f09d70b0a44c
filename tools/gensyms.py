#!/usr/bin/env python3
"""Builds the kernel's symbol table from its own ELF, for `ln`, `x`, `k`.

  gensyms.py --empty -o ksyms.c            table with no entries (first link)
  gensyms.py -o ksyms.c sleuth.pass1.elf   table from the first link's symbols
  gensyms.py --check pass1.elf final.elf   fail if any symbol moved

The table lives in .ksyms, the image's last segment, so adding it moves
nothing else; --check proves that.
"""
import argparse
import os
import time
import subprocess
import sys

HEADER = '#include "kd/ksyms.h"\n\n'


def read_symbols(nm, elf):
    out = subprocess.run([nm, "-n", "-S", "--defined-only", elf], check=True,
                         capture_output=True, text=True).stdout
    symbols = []
    ksyms_start = None
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            addr, size, kind, name = parts
        elif len(parts) == 3:
            addr, kind, name = parts
            size = "0"
        else:
            continue
        addr = int(addr, 16)
        if name == "__KsymsStart":
            ksyms_start = addr
        symbols.append((addr, int(size, 16), kind, name))
    return symbols, ksyms_start


def interesting(sym, ksyms_start):
    addr, _, kind, name = sym
    if addr < 0xFFFFFFFF80000000:
        return False          # the boot stub at its physical address; absolute values
    if ksyms_start is not None and addr >= ksyms_start:
        return False          # the table itself
    if kind.lower() not in "tdbr":
        return False
    if name.startswith(".") or name.startswith("$"):
        return False
    return True


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '\\0"'


def write_table(path, symbols, build_time=""):
    names = []
    offsets = []
    at = 0
    for _, _, _, name in symbols:
        offsets.append(at)
        names.append(name)
        at += len(name) + 1
    with open(path, "w") as f:
        f.write(HEADER)
        f.write("__attribute__((section(\".ksyms\"))) const ULONG KdpSymbolCount = %d;\n"
                % len(symbols))
        f.write("__attribute__((section(\".ksyms\"))) const char KdpBuildTime[] = %s;\n"
                % ('"' + build_time + '"'))
        f.write("__attribute__((section(\".ksyms\"))) const KSYM_ENTRY KdpSymbolTable[] = {\n")
        for (addr, size, kind, _), off in zip(symbols, offsets):
            f.write("    { 0x%016xULL, 0x%x, %d, '%s' },\n" % (addr, size, off, kind))
        if not symbols:
            f.write("    { 0, 0, 0, 0 },\n")
        f.write("};\n")
        f.write("__attribute__((section(\".ksyms\"))) const char KdpSymbolNames[] =\n")
        for name in names:
            f.write("    %s\n" % c_string(name))
        f.write("    \"\";\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nm", default="nm")
    p.add_argument("--empty", action="store_true")
    p.add_argument("--check", action="store_true")
    p.add_argument("-o")
    p.add_argument("elf", nargs="*")
    a = p.parse_args()

    if a.empty:
        write_table(a.o, [])
        return 0
    if a.check:
        before, start1 = read_symbols(a.nm, a.elf[0])
        after, _ = read_symbols(a.nm, a.elf[1])
        b = {(n, ad) for ad, _, _, n in before if interesting((ad, 0, "t", n), start1)}
        c = {(n, ad) for ad, _, _, n in after if interesting((ad, 0, "t", n), start1)}
        moved = sorted(b ^ c)
        if moved:
            print("gensyms: symbols moved between the two links:", moved[:10], file=sys.stderr)
            return 1
        return 0
    symbols, start = read_symbols(a.nm, a.elf[0])
    symbols = [s for s in symbols if interesting(s, start)]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(
        int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))))
    write_table(a.o, symbols, stamp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
