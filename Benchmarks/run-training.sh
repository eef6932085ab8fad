#!/usr/bin/env bash
# Times one training step (forward + backward + Adam) in textclf and in PyTorch (CPU), in one
# run, with the same number of threads:
#   1. an MLP 300 -> 256 -> 256 -> 2 (ReLU) on a dense batch of 256;
#   2. Linear(10106, 2) on batches of 256 sparse SST-2 rows (the seed recipe's count matrix):
#      textclf multiplies the CSR rows directly; PyTorch densifies each batch, as the usual
#      recipe does.
#   bash Benchmarks/run-training.sh [THREADS] [STEPS]
# Needs the shared corpora and `pip install torch scipy`.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"  # the interpreter with the reference tools
threads="${1:-$(nproc)}"
steps="${2:-300}"
data="${TEXTCLF_SHARED_DATA:-../shared/data}"
"$python" -c "import torch, scipy" 2>/dev/null || { echo "needs: pip install torch scipy" >&2; exit 1; }

swift build -c release --static-swift-stdlib --product textclf-bench >/dev/null
swift build -c release --static-swift-stdlib --product textclf >/dev/null
bin="$(swift build -c release --show-bin-path)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bin/textclf" vectorize "$data/sst2/train.tsv" --text whitespace,porter,sklearn --out "$out" --quiet

field() { "$python" -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
ratio() { "$python" -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
echo "threads: $threads, steps: $steps (median step time)"
ours=$("$bin/textclf-bench" mlp --threads "$threads" --steps "$steps")
theirs=$("$python" Benchmarks/reference_torch.py mlp --threads "$threads" --steps "$steps")
printf 'MLP 300-256-256-2, dense batch 256:   textclf %.3f ms   PyTorch %.3f ms   ratio %sx\n' \
    "$(field "$ours" median_ms)" "$(field "$theirs" median_ms)" "$(ratio "$(field "$theirs" median_ms)" "$(field "$ours" median_ms)")"
ours=$("$bin/textclf-bench" sparse-linear "$out/train.npz" --threads "$threads" --steps "$steps")
theirs=$("$python" Benchmarks/reference_torch.py sparse-linear "$out/train.npz" --threads "$threads" --steps "$steps")
printf 'Linear 10106-2, 256 sparse SST-2 rows: textclf %.3f ms   PyTorch %.3f ms   ratio %sx\n' \
    "$(field "$ours" median_ms)" "$(field "$theirs" median_ms)" "$(ratio "$(field "$theirs" median_ms)" "$(field "$ours" median_ms)")"
