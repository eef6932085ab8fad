#!/usr/bin/env bash
# Exports models trained on the shared corpora and runs them in onnxruntime beside
# `textclf predict`:  scripts/check-onnx.sh [OUT_DIR]
#
#   1. SST-2: counts + logistic regression trained on train.tsv, checked on the 872 dev sentences;
#   2. SMS Spam: GloVe averages + MLP (64 hidden) trained on messages 1,001 to the end, checked on
#      the first 1,000 (embeddings/glove.6B.50d.txt if fetched, else the shared GloVe subset).
#
# Each check prints onnxruntime's largest probability difference and whether the labels agree
# (scripts/onnx_check.py), and fails above 1e-5. Needs a Python with onnx and onnxruntime:
# PYTHON (default python3); a virtual environment is made in OUT_DIR/venv when it lacks them.
# TEXTCLF picks the binary (default: .build/release/textclf, else .build/debug/textclf).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
data=${TEXTCLF_DATA:-$root/../shared/data}
[ -d "$data/sst2" ] && [ -d "$data/sms" ] || { echo "check-onnx: no shared data at $data (set TEXTCLF_DATA)" >&2; exit 1; }
textclf=${TEXTCLF:-$root/.build/release/textclf}
[ -x "$textclf" ] || textclf=$root/.build/debug/textclf
python=${PYTHON:-python3}
if ! "$python" -c "import onnx, onnxruntime" 2>/dev/null; then
    python3 -m venv "$out/venv"
    "$out/venv/bin/pip" install -q onnx onnxruntime numpy
    python=$out/venv/bin/python
fi
vectors=$root/embeddings/glove.6B.50d.txt
[ -f "$vectors" ] || vectors=$(ls "$data"/glove/*.txt | head -1)

check() {  # NAME EVAL_FILE TRAIN_ARGS...
    local name=$1 eval=$2; shift 2
    "$textclf" train "$@" --out "$out/$name" --overwrite --quiet --no-run-log
    "$textclf" export --model "$out/$name" --onnx "$out/$name.onnx"
    "$textclf" tokenize --model "$out/$name" --json "$eval" > "$out/$name.tokens.jsonl"
    "$textclf" predict --model "$out/$name" --json "$eval" > "$out/$name.predictions.jsonl"
    printf '%s: ' "$name"
    "$python" "$root/scripts/onnx_check.py" "$out/$name.onnx" "$out/$name.tokens.jsonl" "$out/$name.predictions.jsonl"
}

check sst2-counts-logreg "$data/sst2/dev.tsv" "$data/sst2/train.tsv" --features counts --model logreg
head -n 1000 "$data/sms/SMSSpamCollection" > "$out/sms-1000.tsv"
tail -n +1001 "$data/sms/SMSSpamCollection" > "$out/sms-train.tsv"
check sms-glove-mlp "$out/sms-1000.tsv" "$out/sms-train.tsv" --features glove --embeddings "$vectors" --model mlp --hidden 64
