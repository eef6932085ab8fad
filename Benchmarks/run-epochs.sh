#!/usr/bin/env bash
# Training epochs, textclf against PyTorch (CPU) on the same feature matrices, in one run:
#   1. dense: SST-2 train as GloVe 6B 50d averages, MLP 50 -> 256 -> 256 -> 2, batch 64, Adam
#      0.001, 1 thread;
#   2. sparse: IMDB train as TF-IDF (scikit-learn's default analyzer), MLP 74,849 -> 64 -> 2,
#      dropout 0.4, batch 64, Adam 0.001, 2 threads; PyTorch takes each batch as a
#      torch.sparse CSR tensor.
# textclf's epoch times are those `textclf train` records in model.json (no validation set,
# so an epoch is batching, forward, loss, backward and the update); PyTorch's come from
# Benchmarks/reference_epochs.py on the matrices `textclf vectorize` wrote. Prints each side's
# epoch times, the ratio of the medians, and each side's second epoch over its first.
#   bash Benchmarks/run-epochs.sh [EPOCHS]
# Needs embeddings/glove.6B.50d.txt (bash embeddings/fetch-glove.sh), the shared corpora and
# `pip install torch scipy numpy`.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${1:-3}"
data="${TEXTCLF_SHARED_DATA:-../shared/data}"
python="${PYTHON:-python3}"
"$python" -c "import torch, scipy" 2>/dev/null || { echo "needs: pip install torch scipy numpy" >&2; exit 1; }
[ -f embeddings/glove.6B.50d.txt ] || { echo "needs embeddings/glove.6B.50d.txt: bash embeddings/fetch-glove.sh" >&2; exit 1; }
swift build -c release --static-swift-stdlib --product textclf >/dev/null
bin="$(swift build -c release --show-bin-path)/textclf"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

compare() { # name, textclf model folder, PyTorch's JSON
    "$python" - "$1" "$2/model.json" "$3" <<'PY'
import json, statistics, sys
name, model, theirs = sys.argv[1], json.load(open(sys.argv[2])), json.loads(sys.argv[3])
ours = [epoch["seconds"] for epoch in model["training"]["history"]]
theirs = theirs["epoch_seconds"]
show = lambda times: " ".join(f"{t:.3f}" for t in times)
print(f"{name}\n  textclf epochs (s): {show(ours)}\n  PyTorch epochs (s): {show(theirs)}")
print(f"  median epoch: textclf {statistics.median(ours):.3f} s, PyTorch {statistics.median(theirs):.3f} s, "
      f"textclf/PyTorch {statistics.median(ours) / statistics.median(theirs):.2f}x")
print(f"  second epoch / first: textclf {ours[1] / ours[0]:.2f}, PyTorch {theirs[1] / theirs[0]:.2f}")
PY
}

"$bin" vectorize "$data/sst2/train.tsv" --features glove --embeddings embeddings/glove.6B.50d.txt \
    --cache-dir "$out/cache" --out "$out/sst2" --quiet
"$bin" train "$data/sst2/train.tsv" --features glove --embeddings embeddings/glove.6B.50d.txt --cache-dir "$out/cache" \
    --model mlp --hidden 256,256 --lr 0.001 --batch-size 64 --epochs "$epochs" --threads 1 --seed 1 \
    --out "$out/sst2-model" --no-run-log --quiet
compare "dense: SST-2 GloVe averages, MLP 50-256-256-2, batch 64, 1 thread" "$out/sst2-model" \
    "$("$python" Benchmarks/reference_epochs.py dense "$out/sst2" --epochs "$epochs" --threads 1)"

"$bin" vectorize "$data/imdb/train.jsonl" --features tfidf --out "$out/imdb" --quiet
"$bin" train "$data/imdb/train.jsonl" --features tfidf --model mlp --hidden 64 --dropout 0.4 --lr 0.001 \
    --batch-size 64 --epochs "$epochs" --threads 2 --seed 1 --out "$out/imdb-model" --no-run-log --quiet
compare "sparse: IMDB TF-IDF, MLP 74849-64-2, batch 64, 2 threads" "$out/imdb-model" \
    "$("$python" Benchmarks/reference_epochs.py sparse "$out/imdb" --epochs "$epochs" --threads 2)"
