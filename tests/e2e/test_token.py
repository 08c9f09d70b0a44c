"""!token on the default boot: the break-in happens in a System thread that
does not impersonate, so `!token` says so and shows the System process's
token, which is SYSTEM's (S-1-5-18, logon session 3e7, primary, in use);
`!token ADDR` shows the same token by address; a wrong address is one line."""

import re

from e2e import one_line, run

FIRMWARE = ("bios",)

HEX16 = r"[0-9a-f]{16}"


def test_token_of_the_current_thread_is_systems(vm):
    output = run(vm, "!token", "Thread is not impersonating. Using process token...\n",
                 "TS Session ID: 0\n", "User: S-1-5-18\n", "Primary Group: S-1-5-18\n",
                 "Authentication ID:         (0,3e7)\n", "TokenType:                 Primary\n",
                 "TokenFlags: ( Token in use )")
    groups = re.findall(r"^ (\d\d) (S-[0-9-]+)\n    Attributes - (.*)$", output, re.M)
    assert [(g[0], g[1]) for g in groups] == [
        ("00", "S-1-5-32-544"), ("01", "S-1-1-0"), ("02", "S-1-5-11")], output
    assert groups[0][2] == "Mandatory Default Enabled Owner", output
    privileges = re.findall(r"^ \d\d 0x([0-9a-f]{9}) (\S+) +Attributes - Enabled Default$",
                            output, re.M)
    assert ("000000002", "SeCreateTokenPrivilege") in privileges, output
    assert re.search(r"^Source: \*SYSTEM\* +TokenFlags", output, re.M), output
    m = re.search(r"^_TOKEN (%s)$" % HEX16, output, re.M)
    assert m, output
    # The same token by its address, without the first line.
    again = run(vm, "!token " + m.group(1))
    assert again == output.split("\n", 1)[1], (again, output)


def test_token_of_a_wrong_address_is_one_line(vm):
    line = one_line(vm, "!token nt!KeTickCount")
    assert line.endswith("is not a token: its object header does not say Token"), line
    line = one_line(vm, "!token 10")
    assert line.endswith("is not a token: its memory cannot be read"), line
    assert one_line(vm, "!token 1 2") == "Usage: !token [address]"
