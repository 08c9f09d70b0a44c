"""The boot matrix's share of `make test` (tools/bootmatrix.py has the whole
matrix, `make matrix` runs it): a few cells per firmware, each a different
corner -- both machines, every medium (CD, USB stick on EHCI, on xHCI), the
smallest memory and a large one, 1 to 8 processors -- booted to the prompt
with `!vm` and `!process 0 0` run. A cell that reaches the prompt without
its boot archive fails (the kernel's "Boot: the boot archive ... is
missing" line is accepted at 64 MiB only, in `make matrix`)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))

import bootmatrix  # noqa: E402

FIRMWARE = ("bios", "uefi")


def test_quick_cells(firmware, iso):
    failures = []
    for cell in bootmatrix.QUICK:
        if cell[3] != firmware:
            continue
        ok, text, _ = bootmatrix.run_cell(iso, cell)
        if not ok:
            failures.append("%s: %s" % (bootmatrix.cell_name(cell), text))
    assert not failures, "; ".join(failures)

