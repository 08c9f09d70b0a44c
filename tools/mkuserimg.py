#!/usr/bin/env python3
"""Packs user programs into the archive GRUB loads as the `user` module.

The format (little-endian) is read by kernel/ps/archive.c:

    header:  8 bytes  magic "SLEUTHAR"
             4 bytes  entry count
             4 bytes  reserved (0)
    entries: 32 bytes name (NUL-padded, e.g. "hello.exe")
             8 bytes  offset of the file from the start of the archive
             8 bytes  size in bytes
    then the files, each starting on an 8-byte boundary.

usage: mkuserimg.py -o user.img [-a aliases.txt] hello.exe [more.exe ...]

An aliases file (lines "NAME PROGRAM", # comments) adds entries NAME that
point at PROGRAM's bytes: one copy, several names.
"""
import argparse
import os
import struct

MAGIC = b"SLEUTHAR"
NAME_LENGTH = 32


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", dest="output", required=True)
    parser.add_argument("-a", dest="aliases", action="append", default=[])
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    blobs = []
    for path in args.files:
        name = os.path.basename(path).encode()
        if len(name) >= NAME_LENGTH:
            parser.error("name too long: %s" % path)
        with open(path, "rb") as f:
            blobs.append((name, f.read()))
    aliases = []
    for path in args.aliases:
        with open(path) as f:
            for number, line in enumerate(f, 1):
                words = line.split("#", 1)[0].split()
                if not words:
                    continue
                if len(words) != 2 or len(words[0].encode()) >= NAME_LENGTH:
                    parser.error("%s:%d: want NAME PROGRAM" % (path, number))
                target = [i for i, (name, _) in enumerate(blobs) if name == words[1].encode()]
                if not target:
                    parser.error("%s:%d: no program %s" % (path, number, words[1]))
                aliases.append((words[0].encode(), target[0]))

    entries = len(blobs) + len(aliases)
    offset = 16 + entries * (NAME_LENGTH + 16)
    table = b""
    data = b""
    placed = []
    for name, blob in blobs:
        offset = (offset + 7) & ~7
        padding = offset - (16 + entries * (NAME_LENGTH + 16) + len(data))
        data += b"\0" * padding
        table += name.ljust(NAME_LENGTH, b"\0") + struct.pack("<QQ", offset, len(blob))
        placed.append((offset, len(blob)))
        data += blob
        offset += len(blob)
    for name, target in aliases:
        table += name.ljust(NAME_LENGTH, b"\0") + struct.pack("<QQ", *placed[target])
    with open(args.output, "wb") as f:
        f.write(MAGIC + struct.pack("<II", entries, 0) + table + data)


if __name__ == "__main__":
    main()
