#!/usr/bin/env python3
"""Packs a directory tree (user/rootfs/) into the image the RAM file system
unpacks at boot; the boot archive carries it as the entry "rootfs.img"
(tools/mkuserimg.py takes it as one more file). The format (little-endian)
is read by kernel/drivers/ramfs/rfunpack.c:

    header:  8 bytes  magic "SLEUTHFS"
             4 bytes  record count
             4 bytes  reserved (0)
    records, each starting on an 8-byte boundary:
             2 bytes  path length in bytes (ASCII, '/' between components)
             2 bytes  EFS length: 0, or 84 for an encrypted file
             4 bytes  FILE_ATTRIBUTE_* (DIRECTORY 0x10, READONLY 0x1,
                      HIDDEN 0x2, SYSTEM 0x4, ENCRYPTED 0x4000)
             8 bytes  data size
             the path, the EFS information, the data

Every file and directory under the tree is packed (directories only when
empty; the others come with their files), but for the file `.attributes`
at the top, which gives files attributes, one per line:

    PATH readonly | hidden | system
    PATH encrypted USER          (USER: student or system)

An encrypted file is packed enciphered with its own file encryption key
(FEK), and its EFS information is the user's SID followed by the FEK
enciphered with that user's key, the key lsass derives for the user
(user/lsass/efs.c). The cipher is the toy of kernel/drivers/ramfs/rfdata.c
(RamFsCipher), not cryptography: this is a model of EFS for teaching.

usage: mkrootfs.py -o rootfs.img user/rootfs
"""
import argparse
import hashlib
import os
import struct

MAGIC = b"SLEUTHFS"
MASK = (1 << 64) - 1
ATTRIBUTES = {"readonly": 0x1, "hidden": 0x2, "system": 0x4}
FILE_ATTRIBUTE_DIRECTORY = 0x10
FILE_ATTRIBUTE_ENCRYPTED = 0x4000
EFS_SID_LENGTH = 68
# The users a file may be encrypted for, and their SIDs (kernel/se's
# SeStudentSid and SeLocalSystemSid).
USERS = {"student": (5, [21, 1, 2, 3, 1000]), "system": (5, [18])}
# What lsass mixes into every user's key (user/lsass/efs.c, LsapEfsMasterSecret).
LSA_MASTER_SECRET = (0x534C455554484C53, 0x4146534D41535452)


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def cipher(fek, offset, data):
    k0, k1 = struct.unpack("<QQ", fek)
    out = bytearray(data)
    for i in range(len(out)):
        position = offset + i
        block = position // 8
        word = mix((k0 + block * 0x9E3779B97F4A7C15) & MASK) ^ mix(k1 ^ block)
        out[i] ^= (word >> (8 * (position % 8))) & 0xFF
    return bytes(out)


def sid_bytes(user):
    authority, subs = USERS[user]
    return (struct.pack("<BB", 1, len(subs)) + authority.to_bytes(6, "big") +
            b"".join(struct.pack("<I", s) for s in subs))


def user_key(sid):
    # FNV-1a over the SID, then two mixes with the master secret.
    h = 0xCBF29CE484222325
    for byte in sid:
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return struct.pack("<QQ", mix(h ^ LSA_MASTER_SECRET[0]),
                       mix((h + LSA_MASTER_SECRET[1]) & MASK))


def read_attributes(tree, parser):
    attributes = {}
    path = os.path.join(tree, ".attributes")
    if not os.path.exists(path):
        return attributes
    with open(path) as f:
        for number, line in enumerate(f, 1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            name, kind = words[0], words[1] if len(words) > 1 else ""
            if kind == "encrypted" and len(words) == 3 and words[2] in USERS:
                attributes[name] = ("encrypted", words[2])
            elif kind in ATTRIBUTES and len(words) == 2:
                attributes[name] = (kind, None)
            else:
                parser.error("%s:%d: cannot read this line" % (path, number))
            if not os.path.isfile(os.path.join(tree, name)):
                parser.error("%s:%d: no file %s" % (path, number, name))
    return attributes


def record(path, attributes, efs, data):
    name = path.encode("ascii")
    return struct.pack("<HHIQ", len(name), len(efs), attributes, len(data)) + name + efs + data


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", dest="output", required=True)
    parser.add_argument("tree")
    args = parser.parse_args()

    attributes = read_attributes(args.tree, parser)
    records = []
    for root, dirs, files in os.walk(args.tree):
        dirs.sort()
        relative = os.path.relpath(root, args.tree).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        if prefix and not files and not dirs:
            records.append(record(prefix[:-1], FILE_ATTRIBUTE_DIRECTORY, b"", b""))
        for name in sorted(files):
            path = prefix + name
            if path == ".attributes":
                continue
            with open(os.path.join(root, name), "rb") as f:
                data = f.read()
            kind, user = attributes.get(path, (None, None))
            efs = b""
            flags = 0
            if kind == "encrypted":
                fek = hashlib.sha256(b"fek:" + path.encode()).digest()[:16]
                sid = sid_bytes(user)
                encrypted_fek = bytes(a ^ b for a, b in zip(fek, user_key(sid)))
                efs = sid.ljust(EFS_SID_LENGTH, b"\0") + encrypted_fek
                data = cipher(fek, 0, data)
                flags = FILE_ATTRIBUTE_ENCRYPTED
            elif kind:
                flags = ATTRIBUTES[kind]
            records.append(record(path, flags, efs, data))

    image = MAGIC + struct.pack("<II", len(records), 0)
    for blob in records:
        image += b"\0" * (-len(image) % 8) + blob
    with open(args.output, "wb") as f:
        f.write(image)


if __name__ == "__main__":
    main()
