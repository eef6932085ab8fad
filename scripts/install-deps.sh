#!/usr/bin/env bash
# Installs the Debian packages textclf builds against, if any is missing:
# libopenblas-dev (BLAS; its pthread build, libopenblas-pthread-dev, is what textclf links),
# libutf8proc-dev (Unicode), libsqlite3-dev (on-disk caches), zlib1g-dev (compressed .npz
# members). All four are linked statically (their `.a` archives); the release build also links
# the toolchain's libstdc++ statically. ocl-icd-libopencl1 (the OpenCL ICD loader) and
# pocl-opencl-icd (OpenCL on the CPU) are loaded at run time, never linked: they give the
# tests an OpenCL device on any machine. openmpi-bin (mpirun) and libopenmpi-dev (Open MPI's
# libmpi.so.40) give data-parallel training (`mpirun -np N textclf train`); libmpi is loaded at
# run time too.
# Runs apt-get as root, or through sudo when run as another user.
set -euo pipefail

packages=(libopenblas-dev libopenblas-pthread-dev libutf8proc-dev libsqlite3-dev zlib1g-dev ocl-icd-libopencl1 pocl-opencl-icd openmpi-bin libopenmpi-dev)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "textclf: need root (or sudo) to run: $*" >&2
        exit 1
    fi
}

if ((${#missing[@]})); then
    echo "textclf: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The library targets link `libopenblas.a` from the default search path, which Debian's
# alternatives point at one OpenBLAS build; the pthread build is the default, and the only one
# that links without an OpenMP runtime. Select it if another build was chosen.
arch="$(uname -m)-linux-gnu"
case "$(readlink -f "/usr/lib/$arch/libopenblas.a")" in
    */openblas-pthread/*) ;;
    *)
        echo "textclf: selecting OpenBLAS's pthread build (update-alternatives)" >&2
        as_root update-alternatives --quiet --set "libopenblas.so-$arch" "/usr/lib/$arch/openblas-pthread/libopenblas.so"
        ;;
esac

if ! command -v swift >/dev/null 2>&1; then
    echo "textclf: the Swift toolchain (6.0 or later) is not on PATH; see https://www.swift.org/install/linux/" >&2
    exit 1
fi
