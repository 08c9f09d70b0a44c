"""Security descriptors in the debugger on the default boot: `!object` of
\\LsaAuthenticationPort shows the port's SecurityDescriptor, and `!sd` of it
(WinDbg's format) shows what lsass gave it: owner and group from SYSTEM's
token (the Administrators, SYSTEM), a DACL with every right for SYSTEM and
the Administrators and PORT_CONNECT | READ_CONTROL for Everyone; \\SmApiPort
has no Everyone ACE. A wrong address is one line."""

import re

from e2e import one_line, run

FIRMWARE = ("bios",)

HEX16 = r"[0-9a-f]{16}"


def descriptor_of(vm, path):
    output = run(vm, "!object " + path, "Type: (")
    m = re.search(r"^    SecurityDescriptor: (%s)$" % HEX16, output, re.M)
    assert m, output
    return m.group(1)


def test_lsa_port_descriptor_lets_everyone_connect(vm):
    address = descriptor_of(vm, "\\LsaAuthenticationPort")
    output = run(vm, "!sd %s 1" % address)
    head = ("->Revision: 0x1\n"
            "->Sbz1    : 0x0\n"
            "->Control : 0x8007\n"
            "            SE_OWNER_DEFAULTED\n"
            "            SE_GROUP_DEFAULTED\n"
            "            SE_DACL_PRESENT\n"
            "            SE_SELF_RELATIVE\n"
            "->Owner   : S-1-5-32-544 (Alias: BUILTIN\\Administrators)\n"
            "->Group   : S-1-5-18 (Well Known Group: NT AUTHORITY\\SYSTEM)\n"
            "->Dacl    : \n"
            "->Dacl    : ->AclRevision: 0x2\n"
            "->Dacl    : ->Sbz1       : 0x0\n")
    assert output.startswith(head), output
    assert "->Dacl    : ->AceCount   : 0x3\n" in output, output
    aces = re.findall(r"^->Dacl    : ->Ace\[(\d)\]: ->AceType: (\S+)\n"
                      r"->Dacl    : ->Ace\[\1\]: ->AceFlags: 0x0\n"
                      r"->Dacl    : ->Ace\[\1\]: ->AceSize: (0x[0-9a-f]+)\n"
                      r"->Dacl    : ->Ace\[\1\]: ->Mask : (0x[0-9a-f]{8})\n"
                      r"->Dacl    : ->Ace\[\1\]: ->SID: (S-[0-9-]+)", output, re.M)
    assert aces == [
        ("0", "ACCESS_ALLOWED_ACE_TYPE", "0x14", "0x001f0001", "S-1-5-18"),
        ("1", "ACCESS_ALLOWED_ACE_TYPE", "0x18", "0x001f0001", "S-1-5-32-544"),
        ("2", "ACCESS_ALLOWED_ACE_TYPE", "0x14", "0x00020001", "S-1-1-0"),
    ], output
    assert output.rstrip().endswith("->Sacl    :  is NULL"), output
    # Without flags, no names.
    plain = run(vm, "!sd " + address)
    assert "->Owner   : S-1-5-32-544\n" in plain, plain


def test_sm_port_descriptor_has_no_everyone(vm):
    output = run(vm, "!sd " + descriptor_of(vm, "\\SmApiPort"), "->Dacl    : ->AceCount   : 0x2\n")
    assert "S-1-1-0" not in output, output


def test_sd_of_a_wrong_address_is_one_line(vm):
    line = one_line(vm, "!sd 10")
    assert line.endswith("is not a security descriptor: its memory cannot be read"), line
    assert one_line(vm, "!sd") == "Usage: !sd address [1]"
