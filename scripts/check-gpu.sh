#!/usr/bin/env bash
# The checks that need a GPU, in one run, ending in one table. On a machine with an NVIDIA GPU
# (cuda:N through the CUDA driver; its driver brings OpenCL too, so the GPU is also opencl:N):
#   1. textclf info: the OpenCL and CUDA devices, NVRTC and cuBLAS;
#   2. the device tests on every device (every backend operation against the reference, the
#      PyTorch-pinned layer, loss and optimizer tests, training against the CPU's weights,
#      train/predict/report with --device) and the NVRTC compile of every kernel;
#   3. the SST-2 seed recipe on the CPU and on each GPU (dev accuracy);
#   4. an IMDB TF-IDF MLP epoch (74,849 -> 64 -> 2, dropout 0.4, batch 64, Adam) on each GPU
#      against PyTorch CUDA with torch.sparse CSR batches (Benchmarks/reference_epochs.py).
#   bash scripts/check-gpu.sh [EPOCHS]
# DEVICES (e.g. "cuda:0 opencl:1") picks the devices of steps 3 and 4; by default, every CUDA
# device and every OpenCL device whose kind is gpu. $PYTHON with torch (CUDA), scipy and numpy
# runs step 4, and its nvidia-cuda-nvrtc and nvidia-cublas wheels (PyTorch's dependencies) are
# given to textclf through TEXTCLF_CUDA_PATH; without them those parts say so and skip.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${1:-2}"
data="${TEXTCLF_SHARED_DATA:-../shared/data}"
python="${PYTHON:-python3}"
bash scripts/install-deps.sh >/dev/null
swift build -c release --product textclf >/dev/null
swift build --build-tests >/dev/null
bin="$(swift build -c release --show-bin-path)/textclf"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
rows=()
row() { rows+=("$(printf '%-46s %s' "$1" "$2")"); }

echo "== textclf info"
for wheel in cuda_nvrtc cublas; do
    if site="$("$python" -c "import nvidia.$wheel, os; print(os.path.dirname(nvidia.$wheel.__file__) + '/lib')" 2>/dev/null)"; then
        export TEXTCLF_CUDA_PATH="${TEXTCLF_CUDA_PATH:+$TEXTCLF_CUDA_PATH:}$site"
    fi
done
"$bin" info | tee "$out/info.txt"
cuda="$( (grep -oE '^  cuda:[0-9]+ ' "$out/info.txt" || true) | awk '{print $1}' | tr '\n' ' ')"
opencl="$( (grep -oE '^  opencl:[0-9]+  .* \(gpu, ' "$out/info.txt" || true) | awk '{print $1}' | tr '\n' ' ')"
devices="${DEVICES:-$cuda$opencl}"
row "GPU devices" "${devices:-none}"

echo "== device tests"
filter="BackendAgreementTests|BackendKnownValueTests|OpenCLTests|CUDATests|CUDAKernelCacheTests|TextClfNNTests|trainingOnADeviceMatchesTheCPU|aGPUTrainsPredictsAndReportsAsTheCPU"
if swift test --skip-build --filter "$filter" >"$out/tests.txt" 2>&1; then status=passed; else status=FAILED; fi
row "device tests" "$status: $(grep -E 'Test run with' "$out/tests.txt" | tail -1 | sed 's/.*Test run with //')"
grep -E '✘|➜' "$out/tests.txt" | head -20 || true

if [ -d "$data/sst2" ]; then
    echo "== SST-2 seed recipe"
    for device in cpu $devices; do
        line="$("$bin" train "$data/sst2/train.tsv" --validation "$data/sst2/dev.tsv" --model logreg --text whitespace,porter,sklearn \
            --lr 0.01 --batch-size 16 --epochs 2 --seed 1 --device "$device" --out "$out/sst2-$device" --no-run-log --quiet \
            | grep '^validation: accuracy')"
        row "SST-2 recipe, $device" "$line"
    done
else
    row "SST-2 recipe" "skipped: no $data/sst2"
fi

if [ -d "$data/imdb" ] && "$python" -c 'import torch, scipy; assert torch.cuda.is_available()' 2>/dev/null; then
    echo "== IMDB TF-IDF MLP epochs"
    "$bin" vectorize "$data/imdb/train.jsonl" --features tfidf --out "$out/imdb" --quiet
    torch_json="$("$python" Benchmarks/reference_epochs.py sparse "$out/imdb" --epochs "$epochs" --device cuda)"
    torch_median="$("$python" -c 'import json, statistics, sys; print(f"{statistics.median(json.loads(sys.argv[1])["epoch_seconds"]):.3f}")' "$torch_json")"
    row "IMDB MLP epoch, PyTorch CUDA (torch.sparse)" "$torch_median s (median of $epochs)"
    for device in $devices; do
        "$bin" train "$data/imdb/train.jsonl" --features tfidf --model mlp --hidden 64 --dropout 0.4 --lr 0.001 \
            --batch-size 64 --epochs "$epochs" --seed 1 --device "$device" --out "$out/imdb-$device" --no-run-log --quiet >/dev/null
        median="$("$python" -c 'import json, statistics, sys; print(f"{statistics.median(e["seconds"] for e in json.load(open(sys.argv[1]))["training"]["history"]):.3f}")' "$out/imdb-$device/model.json")"
        row "IMDB MLP epoch, textclf $device" "$median s, $("$python" -c "print(f'{$median / $torch_median:.2f}')")x PyTorch CUDA"
    done
else
    row "IMDB MLP epochs" "skipped: needs $data/imdb and $python with torch (CUDA available) and scipy"
fi

echo
echo "== summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || echo 'no nvidia-smi'))"
printf '%s\n' "${rows[@]}"
[ "$status" = passed ]
