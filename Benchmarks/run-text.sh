#!/usr/bin/env bash
# Times textclf's text stages against the reference Python tools in one run, on this machine.
#
#   bash Benchmarks/run-text.sh [REPEATS]
#
# 1. SST-2 train, whitespace split + Porter stemming (NLTK_EXTENSIONS):
#    textclf-bench (analyzer "whitespace,porter", a fresh worker and cold stem cache per run)
#    vs. NLTK's PorterStemmer().stem() over the same str.split() tokens.
# 2. IMDB train, "lowercase,sklearn" (scikit-learn's default analyzer), one core:
#    textclf-bench vs. CountVectorizer().build_analyzer(); throughput in MB/s of UTF-8 text.
# 3. End to end with the CLI: `textclf tokenize` on both (reading, analyzing, writing to
#    /dev/null), median wall time of the whole process.
# Both sides read the corpus before timing (except in 3). Medians of REPEATS runs (default 7).
# Needs: the shared corpora (../shared/data or $TEXTCLF_SHARED_DATA), and
# `pip install nltk==3.10.4 scikit-learn==1.9.1`.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"  # the interpreter with the reference tools
repeats="${1:-7}"
data="${TEXTCLF_SHARED_DATA:-../shared/data}"
[ -d "$data" ] || { echo "needs the shared corpora at $data (or set TEXTCLF_SHARED_DATA)" >&2; exit 1; }
"$python" -c "import nltk, sklearn" 2>/dev/null || { echo "needs: pip install nltk==3.10.4 scikit-learn==1.9.1" >&2; exit 1; }

swift build -c release --static-swift-stdlib --product textclf-bench >/dev/null
swift build -c release --static-swift-stdlib --product textclf >/dev/null
bin="$(swift build -c release --show-bin-path)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

field() { "$python" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
ratio() { "$python" -c "import sys; print('%.1f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "repeats: $repeats (medians reported)"
echo

# 1. Porter stemming of SST-2 train.
"$bin/textclf-bench" analyze "$data/sst2/train.tsv" --text whitespace,porter --repeat "$repeats" > "$out/ours1.json"
"$python" Benchmarks/reference.py analyze "$data/sst2/train.tsv" --tool nltk-porter --repeat "$((repeats < 5 ? repeats : 5))" > "$out/ref1.json"
ours=$(field "$out/ours1.json" median_s); ref=$(field "$out/ref1.json" median_s)
printf '1. SST-2 train, whitespace + Porter, %s tokens\n' "$(field "$out/ours1.json" tokens)"
printf '   textclf %.4f s   NLTK %.3f s   textclf is %sx faster\n\n' "$ours" "$ref" "$(ratio "$ref" "$ours")"

# 2. scikit-learn's default analyzer on IMDB train.
"$bin/textclf-bench" analyze "$data/imdb/train.jsonl" --text lowercase,sklearn --repeat "$repeats" > "$out/ours2.json"
"$python" Benchmarks/reference.py analyze "$data/imdb/train.jsonl" --tool sklearn --repeat "$((repeats < 5 ? repeats : 5))" > "$out/ref2.json"
ours=$(field "$out/ours2.json" median_s); ref=$(field "$out/ref2.json" median_s)
printf '2. IMDB train, lowercase,sklearn, %.1f MB, %s tokens\n' "$(field "$out/ours2.json" megabytes)" "$(field "$out/ours2.json" tokens)"
printf '   textclf %.3f s (%.0f MB/s)   scikit-learn %.3f s (%.1f MB/s)   textclf is %sx faster\n\n' \
    "$ours" "$(field "$out/ours2.json" mb_per_s)" "$ref" "$(field "$out/ref2.json" mb_per_s)" "$(ratio "$ref" "$ours")"

# 3. The CLI end to end (process start, reading, analyzing, writing).
wall() {  # median wall seconds of a command over $repeats runs
    local times=()
    for _ in $(seq "$repeats"); do
        local start end
        start=$(date +%s.%N); "$@" > /dev/null; end=$(date +%s.%N)
        times+=("$("$python" -c "print($end - $start)")")
    done
    "$python" -c "import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))" "${times[@]}"
}
t1=$(wall "$bin/textclf" tokenize "$data/sst2/train.tsv" --text whitespace,porter)
t2=$(wall "$bin/textclf" tokenize "$data/imdb/train.jsonl")
printf '3. textclf tokenize, whole process: SST-2 whitespace,porter %.3f s; IMDB lowercase,sklearn %.3f s (%.0f MB/s of text)\n' \
    "$t1" "$t2" "$("$python" -c "print($(field "$out/ours2.json" megabytes) / $t2)")"
