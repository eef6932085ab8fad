#!/usr/bin/env bash
# The set-up-and-run command: installs what is missing, builds textclf in release mode,
# fetches a real corpus through Debian's package registry, and runs the main job on it.
# Idempotent: a second run reuses the build and the downloaded corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "System libraries (libopenblas-dev, libopenblas-pthread-dev, libutf8proc-dev, libsqlite3-dev, zlib1g-dev)"
bash scripts/install-deps.sh
echo "present"

step "Building textclf (release)"
# The Swift runtime and Foundation are linked into the binary: it runs without the toolchain
# and starts in about two thirds of the time (no shared Swift libraries to load and bind).
swift build -c release --static-swift-stdlib --product textclf 2>&1 | grep -E "error|warning: unre|Compiling|Build" | tail -n 3
textclf="$(swift build -c release --show-bin-path)/textclf"
"$textclf" info

step "Corpus: Reuters-21578 grain (Weka ARFF from Debian's weka package)"
bash corpora/fetch-reuters.sh
train=corpora/reuters/ReutersGrain-train.arff
test=corpora/reuters/ReutersGrain-test.arff

step "What the text stages make of the first documents (textclf tokenize)"
"$textclf" tokenize "$train" --text lowercase,sklearn,stopwords,porter --limit 3 | cut -c1-160

step "Corpus report (textclf stats)"
"$textclf" stats "$train" --text lowercase,sklearn,stopwords,porter
echo
"$textclf" stats "$test" --text lowercase,sklearn,stopwords,porter

step "Train an MLP on TF-IDF features (textclf train --pipeline pipelines/reuters-grain-corn-mlp.yaml)"
"$textclf" train --pipeline pipelines/reuters-grain-corn-mlp.yaml --overwrite

step "Report on the held-out test split (textclf report)"
mkdir -p out/reuters-grain
"$textclf" report --model models/reuters-grain "$test" \
    --json out/reuters-grain/report.json --html out/reuters-grain/report.html
printf '\nHTML report: %s\n' "$(pwd)/out/reuters-grain/report.html"

step "Predict with the saved model (textclf predict)"
printf '%s\n' "wheat and corn exports rose as grain prices fell" "the company reported higher quarterly profits" \
    | "$textclf" predict --model models/reuters-grain - --proba

printf '\nDone. The binary is %s; try "%s --help".\n' "$textclf" "$textclf"
