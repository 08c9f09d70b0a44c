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

usage: mkuserimg.py -o user.img hello.exe [more.exe ...]
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
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    blobs = []
    for path in args.files:
        name = os.path.basename(path).encode()
        if len(name) >= NAME_LENGTH:
            parser.error("name too long: %s" % path)
        with open(path, "rb") as f:
            blobs.append((name, f.read()))

    offset = 16 + len(blobs) * (NAME_LENGTH + 16)
    table = b""
    data = b""
    for name, blob in blobs:
        offset = (offset + 7) & ~7
        padding = offset - (16 + len(blobs) * (NAME_LENGTH + 16) + len(data))
        data += b"\0" * padding
        table += name.ljust(NAME_LENGTH, b"\0") + struct.pack("<QQ", offset, len(blob))
        data += blob
        offset += len(blob)
    with open(args.output, "wb") as f:
        f.write(MAGIC + struct.pack("<II", len(blobs), 0) + table + data)


if __name__ == "__main__":
    main()
