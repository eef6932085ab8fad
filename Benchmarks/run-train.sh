#!/usr/bin/env bash
# Whole `textclf train` runs against the reference tools, in one run:
#   1. SST-2 seed recipe (whitespace, Porter, scikit-learn tokens, counts; logistic regression;
#      Adam 0.01; batch 16; 2 epochs; dev accuracy), whole processes, interleaved: textclf
#      RUNS times against NLTK + scikit-learn LogisticRegression (Benchmarks/reference_seed.py
#      sklearn: read, stem, CountVectorizer, fit, score); with --torch, once, also the PyTorch
#      recipe (reference_seed.py torch: rows densified per item, DataLoader batch 16; minutes).
#      Prints the medians and each reference's time over textclf's median.
#   2. With --accuracy: 20 Newsgroups (counts, multinomial logistic regression) and IMDB
#      (TF-IDF, MLP 64 hidden, dropout 0.4): textclf's test accuracy and time, and scikit-learn
#      LogisticRegression fitted on the same count matrices (`textclf vectorize`).
#   bash Benchmarks/run-train.sh [RUNS] [--torch] [--accuracy]
# Needs the shared corpora and `pip install nltk==3.10.4 scikit-learn==1.9.1 scipy` (and torch
# for --torch); $PYTHON picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
accuracy=0
has_torch=0
for argument in "$@"; do
    case "$argument" in
        --accuracy) accuracy=1 ;;
        --torch) has_torch=1 ;;
        *) runs="$argument" ;;
    esac
done
data="${TEXTCLF_SHARED_DATA:-../shared/data}"
python="${PYTHON:-python3}"
"$python" -c "import nltk, sklearn" 2>/dev/null || { echo "needs: pip install nltk==3.10.4 scikit-learn==1.9.1" >&2; exit 1; }
swift build -c release --static-swift-stdlib --product textclf >/dev/null
bin="$(swift build -c release --show-bin-path)/textclf"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
seconds() { local start end; start=$(date +%s%N); "$@" > "$out/last.txt" 2>&1; end=$(date +%s%N); echo "$(((end - start) / 1000000))"; }
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000 }'; }
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

echo "1. SST-2 seed recipe, whole processes ($runs textclf runs between the reference runs)"
ours="" sklearn="" torch=""
for run in $(seq 1 "$runs"); do
    rm -rf "$out/sst2"
    ours="$ours $(seconds "$bin" train "$data/sst2/train.tsv" --validation "$data/sst2/dev.tsv" --model logreg \
        --text whitespace,porter,sklearn --lr 0.01 --batch-size 16 --epochs 2 --seed 1 --out "$out/sst2" --no-run-log --quiet)"
    accuracy_line=$(grep 'validation:' "$out/last.txt")
    if [ "$run" -le 3 ]; then
        sklearn="$sklearn $(seconds "$python" Benchmarks/reference_seed.py sklearn)"
        sklearn_line=$(cat "$out/last.txt")
        if [ "$has_torch" = 1 ] && [ "$run" -le 1 ]; then
            torch="$(seconds "$python" Benchmarks/reference_seed.py torch --threads "$(nproc)")"
            torch_line=$(cat "$out/last.txt")
        fi
    fi
done
ours_median=$(echo $ours | median)
sklearn_median=$(echo $sklearn | median)
echo "   textclf:               median ${ours_median} s of ($ours ) ms; $accuracy_line"
echo "   NLTK + scikit-learn:   median ${sklearn_median} s of ($sklearn ) ms; last: $sklearn_line"
echo "   reference / textclf:   $("$python" -c "print(f'{$sklearn_median / $ours_median:.1f}x')")"
if [ "$has_torch" = 1 ]; then
    echo "   NLTK + PyTorch recipe: $((torch / 1000)) s; $torch_line"
    echo "   reference / textclf:   $("$python" -c "print(f'{$torch / 1000 / $ours_median:.1f}x')")"
fi

[ "$accuracy" = 1 ] || exit 0
sklearn_fit() { # folder with train.npz/test.npz from textclf vectorize
    "$python" - "$1" <<'PY'
import sys, time, scipy.sparse
from sklearn.linear_model import LogisticRegression
folder = sys.argv[1]
read = lambda name: (scipy.sparse.load_npz(f"{folder}/{name}.npz"), open(f"{folder}/{name}.labels.txt").read().split("\n")[:-1])
(X, y), (T, t) = read("train"), read("test")
start = time.perf_counter()
model = LogisticRegression(max_iter=1000).fit(X, y)
print(f"scikit-learn LogisticRegression on the same counts: test accuracy {(model.predict(T) == t).mean():.4f}, fit {time.perf_counter() - start:.1f} s")
PY
}
echo "2. 20 Newsgroups, counts, multinomial logistic regression"
t=$(seconds "$bin" train "$data/20news/train" --test "$data/20news/test" --encoding latin-1 --model logreg \
    --lr 0.01 --batch-size 32 --epochs 6 --validation-fraction 0.1 --patience 2 --monitor val-accuracy --seed 1 --out "$out/20news" --quiet)
echo "   textclf: $((t / 1000)).$(printf '%03d' $((t % 1000))) s, $(grep 'test:' "$out/last.txt")"
"$bin" vectorize "$data/20news/train" --apply "$data/20news/test" --encoding latin-1 --out "$out/20news-counts" --quiet
echo "   $(sklearn_fit "$out/20news-counts")"
echo "3. IMDB, TF-IDF, MLP"
t=$(seconds "$bin" train "$data/imdb/train.jsonl" --test "$data/imdb/test.jsonl" --model mlp --features tfidf --hidden 64 \
    --dropout 0.4 --lr 0.001 --batch-size 64 --epochs 4 --validation-fraction 0.1 --patience 1 --seed 1 --out "$out/imdb" --quiet)
echo "   textclf: $((t / 1000)).$(printf '%03d' $((t % 1000))) s, $(grep 'test:' "$out/last.txt")"
"$bin" vectorize "$data/imdb/train.jsonl" --apply "$data/imdb/test.jsonl" --out "$out/imdb-counts" --quiet
echo "   $(sklearn_fit "$out/imdb-counts")"
