#!/usr/bin/env bash
# Installs the Debian packages textclf builds against, if any is missing:
# libopenblas-dev (BLAS; its pthread build, libopenblas-pthread-dev, is what textclf links),
# libutf8proc-dev (Unicode), libsqlite3-dev (on-disk caches), zlib1g-dev (compressed .npz
# members). All four are linked statically (their `.a` archives); the release build also links
# the toolchain's libstdc++ statically.
# Runs apt-get as root, or through sudo when run as another user.
set -euo pipefail

packages=(libopenblas-dev libopenblas-pthread-dev libutf8proc-dev libsqlite3-dev zlib1g-dev)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]})); then
    echo "textclf: installing ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "textclf: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "textclf: the Swift toolchain (6.0 or later) is not on PATH; see https://www.swift.org/install/linux/" >&2
    exit 1
fi
