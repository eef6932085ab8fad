#!/usr/bin/env bash
# The training acceptance runs, timed against the reference tools in the same run:
#   1. SST-2 seed recipe (whitespace,porter,sklearn counts; logistic regression; Adam 0.01;
#      batch 16; 2 epochs): textclf end to end vs the PyTorch recipe end to end (rows
#      densified, DataLoader batch 16) and vs scikit-learn's LogisticRegression fit alone.
#   2. 20 Newsgroups, default counts, multinomial logistic regression: test accuracy and time.
#   3. IMDB, TF-IDF, MLP (64 hidden, dropout 0.4): test accuracy and time.
#   bash Benchmarks/run-train.sh
# Needs the shared corpora and `pip install nltk==3.10.4 scikit-learn==1.9.1 torch==2.13.0+cpu`.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${TEXTCLF_SHARED_DATA:-../shared/data}"
swift build -c release --static-swift-stdlib --product textclf >/dev/null
bin="$(swift build -c release --show-bin-path)/textclf"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
seconds() { local start end; start=$(date +%s.%N); "$@" > "$out/last.txt" 2>&1; end=$(date +%s.%N); python3 -c "print(round($end - $start, 3))"; }

echo "1. SST-2 seed recipe"
for run in 1 2 3; do
    rm -rf "$out/sst2"
    t=$(seconds "$bin" train "$data/sst2/train.tsv" --validation "$data/sst2/dev.tsv" --model logreg \
        --text whitespace,porter,sklearn --lr 0.01 --batch-size 16 --epochs 2 --seed 1 --out "$out/sst2" --quiet)
    echo "   textclf run $run: $t s, $(grep 'validation:' "$out/last.txt")"
done
echo "   scikit-learn: $(python3 Benchmarks/reference_seed.py sklearn)"
echo "   PyTorch:      $(python3 Benchmarks/reference_seed.py torch --threads "$(nproc)")"

echo "2. 20 Newsgroups, counts, multinomial logistic regression"
t=$(seconds "$bin" train "$data/20news/train" --test "$data/20news/test" --encoding latin-1 --model logreg \
    --lr 0.01 --batch-size 32 --epochs 6 --validation-fraction 0.1 --patience 2 --monitor val-accuracy --seed 1 --out "$out/20news" --quiet)
echo "   textclf: $t s, $(grep 'test:' "$out/last.txt")"

echo "3. IMDB, TF-IDF, MLP"
t=$(seconds "$bin" train "$data/imdb/train.jsonl" --test "$data/imdb/test.jsonl" --model mlp --features tfidf --hidden 64 \
    --dropout 0.4 --lr 0.001 --batch-size 64 --epochs 4 --validation-fraction 0.1 --patience 1 --seed 1 --out "$out/imdb" --quiet)
echo "   textclf: $t s, $(grep 'test:' "$out/last.txt")"
