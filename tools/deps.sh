#!/bin/sh
# Installs the Debian 12 packages Sleuth needs to build, run and test, if any
# is missing; says nothing when everything is already there. (qemu-system-gui
# gives `make run-vga` its window; a fresh install gets it as a recommendation
# of qemu-system-x86, but not one made with --no-install-recommends. Bochs
# is the one emulator here with x2APIC: tests/e2e/test_x2apic_bochs.py.)
#
# Then the sources of the disassembler the debugger is built with (Zydis, and
# the headers of its support library Zycore), as Debian source packages
# unpacked under build/deps (see fetch_sources below).
set -eu

cd "$(dirname "$0")/.."
DEPS_DIR=${DEPS_DIR:-build/deps}

PACKAGES="binutils gcc nasm grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools \
qemu-system-x86 qemu-system-gui ovmf clang make python3-pyelftools dpkg-dev debian-archive-keyring \
bochs bochsbios bochs-term vgabios"

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

ZYDIS_VERSION=4.0.0-1
ZYCORE_VERSION=1.4.1-1
# The Makefile's $(ZYDIS_STAMP): it says which versions were unpacked.
STAMP="$DEPS_DIR/fetched.stamp"
WANTED="zydis $ZYDIS_VERSION zycore-c $ZYCORE_VERSION"

# Debian 12's zydis and zycore-c source packages, fetched with apt through a
# configuration of our own (its own deb-src list, index and cache under
# $DEPS_DIR/apt), so the machine's apt setup is left as it is: its sources
# usually have no deb-src lines. The archive is the one the machine's own
# sources name for bookworm main; apt checks the index against the signed
# Release file and every downloaded file against the index. dpkg-source
# unpacks each into a fixed directory: $DEPS_DIR/zydis and $DEPS_DIR/zycore.
# Zydis is compiled from its sources; of Zycore only the headers are used
# (Zydis without libc needs none of its code). Where the archive lacks
# zycore-c's source files, the headers are taken from the same version's
# libzycore-dev package instead. Nothing is installed into the system.
fetch_sources() {
    [ "$(cat "$STAMP" 2>/dev/null)" = "$WANTED" ] && return 0
    mkdir -p "$DEPS_DIR"
    # Two builds started at once (gcc and clang) fetch once.
    exec 9>"$DEPS_DIR/.lock"
    flock 9
    [ "$(cat "$STAMP" 2>/dev/null)" = "$WANTED" ] && return 0
    rm -f "$STAMP"
    apt="$(pwd)/$DEPS_DIR/apt"
    rm -rf "$apt" "$DEPS_DIR/zydis" "$DEPS_DIR/zycore" "$DEPS_DIR/download"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" \
             "$DEPS_DIR/download"
    uris=$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' \
               'Codename: bookworm' 'Component: main' 2>/dev/null | sort -u)
    if [ -z "$uris" ]; then
        # No package index yet (a fresh machine, or one whose lists were cleaned).
        $sudo apt-get update -qq
        uris=$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' \
                   'Codename: bookworm' 'Component: main' | sort -u)
    fi
    if [ -z "$uris" ]; then
        echo "deps.sh: the apt sources name no Debian 12 (bookworm) main archive" >&2
        exit 1
    fi
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    for uri in $uris; do
        echo "deb-src [signed-by=$keyring] $uri bookworm main"
        echo "deb [signed-by=$keyring arch=amd64] $uri bookworm main"
    done >"$apt/sources.list"
    set -- -q -o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/parts" \
        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" \
        -o "Dir::State::status=/dev/null" -o "Debug::NoLocking=1"
    # As root apt would drop to its own user, who cannot write here.
    [ "$(id -u)" -eq 0 ] && set -- "$@" -o "APT::Sandbox::User=root"
    log="$(pwd)/$DEPS_DIR/fetch.log"
    echo "Fetching the Debian source packages zydis $ZYDIS_VERSION and zycore-c $ZYCORE_VERSION"
    apt-get "$@" update >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
    (cd "$DEPS_DIR/download" &&
        apt-get "$@" source --download-only "zydis=$ZYDIS_VERSION" &&
        dpkg-source -x "zydis_$ZYDIS_VERSION.dsc" ../zydis) >>"$log" 2>&1 ||
        { cat "$log" >&2; exit 1; }
    if (cd "$DEPS_DIR/download" &&
        apt-get "$@" source --download-only "zycore-c=$ZYCORE_VERSION" &&
        dpkg-source -x "zycore-c_$ZYCORE_VERSION.dsc" ../zycore) >>"$log" 2>&1; then
        :
    else
        echo "deps.sh: no zycore-c $ZYCORE_VERSION source files in the archive;" \
             "its headers from libzycore-dev $ZYCORE_VERSION instead"
        rm -rf "$DEPS_DIR/zycore"
        (cd "$DEPS_DIR/download" &&
            apt-get "$@" download "libzycore-dev=$ZYCORE_VERSION" &&
            dpkg-deb -x "libzycore-dev_${ZYCORE_VERSION}_amd64.deb" zycore-dev &&
            mkdir -p ../zycore && mv zycore-dev/usr/include ../zycore/include) >>"$log" 2>&1 ||
            { cat "$log" >&2; exit 1; }
    fi
    for f in "$DEPS_DIR/zydis/include/Zydis/Zydis.h" "$DEPS_DIR/zycore/include/Zycore/Types.h"; do
        [ -f "$f" ] || { echo "deps.sh: $f missing after the fetch" >&2; exit 1; }
    done
    # dpkg-source leaves a copy of the upstream tarball beside what it unpacked.
    rm -rf "$apt" "$DEPS_DIR/download" "$DEPS_DIR"/*.orig.tar.*
    echo "$WANTED" >"$STAMP"
}

if [ -z "$missing" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    fetch_sources
    exit 0
fi

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
fetch_sources
