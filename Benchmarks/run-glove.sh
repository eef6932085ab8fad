#!/usr/bin/env bash
# The SMS-spam GloVe recipe (pipelines/sms-spam-glove-mlp.yaml), timed in one run:
#   1. textclf, PAIRS cold/warm pairs, interleaved: a cold run starts from an empty cache
#      folder (it parses the 400k-word file, writes the store file, averages, trains); the
#      warm run after it reuses that folder (it reads the cached averages and trains).
#   2. gensim + PyTorch (Benchmarks/reference_glove.py), once, unless --no-reference.
# Prints every pair, the medians of cold and warm, the median of the per-pair ratios, and the
# reference's time and spam F1.
#   bash Benchmarks/run-glove.sh [PAIRS] [--no-reference]
# Needs embeddings/glove.6B.50d.txt (bash embeddings/fetch-glove.sh), the shared corpora and,
# for the reference, `pip install gensim torch scikit-learn`.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"  # the interpreter with the reference tools
pairs=5
reference=1
for argument in "$@"; do
    case "$argument" in
        --no-reference) reference=0 ;;
        *) pairs="$argument" ;;
    esac
done
glove=embeddings/glove.6B.50d.txt
[ -f "$glove" ] || { echo "needs $glove: bash embeddings/fetch-glove.sh" >&2; exit 1; }
swift build -c release --static-swift-stdlib --product textclf >/dev/null
bin="$(swift build -c release --show-bin-path)/textclf"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
milliseconds() { local start end; start=$(date +%s%N); "$@" > "$out/last.txt" 2>&1; end=$(date +%s%N); echo $(((end - start) / 1000000)); }
run() { "$bin" train --pipeline pipelines/sms-spam-glove-mlp.yaml --quiet --overwrite --no-run-log --out "$out/model" --cache-dir "$out/cache"; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$out/pairs.txt"
for pair in $(seq 1 "$pairs"); do
    rm -rf "$out/cache"
    cold=$(milliseconds run)
    warm=$(milliseconds run)
    echo "$cold $warm" >> "$out/pairs.txt"
    echo "pair $pair: cold $cold ms, warm $warm ms"
done
grep 'F1 per class' "$out/last.txt" || true
"$python" - "$out/pairs.txt" <<'EOF'
import statistics, sys
pairs = [tuple(map(int, line.split())) for line in open(sys.argv[1])]
cold = [c for c, _ in pairs]
warm = [w for _, w in pairs]
print(f"cold: median {statistics.median(cold) / 1000:.2f} s ({min(cold) / 1000:.2f}-{max(cold) / 1000:.2f})")
print(f"warm: median {statistics.median(warm) / 1000:.3f} s ({min(warm) / 1000:.3f}-{max(warm) / 1000:.3f})")
print(f"cold / warm: {statistics.median(cold) / statistics.median(warm):.1f}x of the medians, "
      f"median of the pairs' ratios {statistics.median(c / w for c, w in pairs):.1f}x")
EOF
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$reference" = 1 ]; then
    theirs=$("$python" Benchmarks/reference_glove.py "$glove" --threads "$(nproc)")
    echo "gensim + PyTorch: $theirs"
    "$python" - "$out/pairs.txt" "$theirs" <<'EOF'
import json, statistics, sys
pairs = [tuple(map(int, line.split())) for line in open(sys.argv[1])]
cold = statistics.median(c for c, _ in pairs) / 1000
warm = statistics.median(w for _, w in pairs) / 1000
theirs = json.loads(sys.argv[2])
print(f"gensim's load / textclf's cold run: {theirs['load_s'] / cold:.0f}x; the whole reference / cold: "
      f"{theirs['total_s'] / cold:.0f}x, / warm: {theirs['total_s'] / warm:.0f}x")
EOF
fi
