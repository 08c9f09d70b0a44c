#!/bin/sh
# Installs the Debian 12 packages Sleuth needs to build, run and test, if any
# is missing; says nothing when everything is already there. (qemu-system-gui
# gives `make run-vga` its window; a fresh install gets it as a recommendation
# of qemu-system-x86, but not one made with --no-install-recommends.)
set -eu

PACKAGES="binutils gcc nasm grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools \
qemu-system-x86 qemu-system-gui ovmf clang make python3-pyelftools"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    installed=" $(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null |
                  awk '$NF == "installed" { printf "%s ", $1 }')"
    for p in $PACKAGES; do
        case "$installed" in
            *" $p "*) ;;
            *) missing="$missing $p" ;;
        esac
    done
else
    echo "deps.sh: no dpkg-query: not a Debian system; install by hand: $PACKAGES" >&2
    exit 1
fi
command -v python3 >/dev/null 2>&1 || missing="$missing python3"

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "deps.sh: missing packages:$missing" >&2
    echo "deps.sh: not root and no sudo; as root run: apt-get install$missing" >&2
    exit 1
fi

echo "Installing:$missing"
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
