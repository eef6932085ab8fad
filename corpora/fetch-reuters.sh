#!/usr/bin/env bash
# Fetches the Reuters-21578 "grain" and "corn" corpora that Debian's weka package ships as
# Weka ARFF files (train/test splits, a string attribute and a 0/1 class), without installing
# weka or Java: `apt-get download` the package and unpack only the examples.
# Writes corpora/reuters/Reuters{Grain,Corn}-{train,test}.arff; does nothing if they exist.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="$here/reuters"
files=(ReutersGrain-train.arff ReutersGrain-test.arff ReutersCorn-train.arff ReutersCorn-test.arff)

complete=1
for file in "${files[@]}"; do [ -s "$target/$file" ] || complete=0; done
if ((complete)); then
    echo "corpora/reuters: already present"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "corpora/reuters: downloading Debian's weka package (about 7 MB) for its ARFF examples"
(cd "$work" && apt-get download weka >/dev/null 2>&1) || {
    (apt-get update -qq >/dev/null 2>&1 || true)
    (cd "$work" && apt-get download weka)
}
dpkg-deb -x "$work"/weka_*.deb "$work/x"
mkdir -p "$target"
for file in "${files[@]}"; do
    source="$work/x/usr/share/doc/weka/examples/$file"
    [ -f "$source" ] || { [ -f "$source.gz" ] && gunzip -c "$source.gz" > "$source"; }
    [ -s "$source" ] || { echo "corpora/reuters: $file is not in the weka package" >&2; exit 1; }
    # Copy, then rename: a partial file is never left under its final name.
    cp "$source" "$target/.$file.tmp"
    mv "$target/.$file.tmp" "$target/$file"
done
echo "corpora/reuters: wrote ${files[*]}"
