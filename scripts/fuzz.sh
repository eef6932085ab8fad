#!/usr/bin/env bash
# Coverage-guided fuzzing of every file format textclf reads (libFuzzer, with AddressSanitizer).
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 600); TARGETs from: tsv csv jsonl arff embeddings-text
# word2vec-binary pipeline model vectorizer npz npy svmlight (default: all). Set JOBS to run
# that many targets at once (default 1).
#
# Each target starts from its committed seeds (Fuzz/<target>/seeds) and regression inputs
# (Fuzz/<target>/regressions), and grows a working corpus in .build/fuzz-corpus/<target>.
# A fault (a crash, a trap, a sanitizer report, an error message that does not name the file,
# or an input that takes over 10 s) stops the target and leaves the input in
# .build/fuzz-findings/<target>/; once fixed, commit it under Fuzz/<target>/regressions/,
# where the test suite (FuzzRegressionTests) replays it on every run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tsv csv jsonl arff embeddings-text word2vec-binary pipeline model vectorizer npz npy svmlight)
jobs=${JOBS:-1}

bash scripts/install-deps.sh >/dev/null
echo "fuzz: building the fuzzing binary (.build/fuzz)" >&2
swift build -c release --product textclf --build-path .build/fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DTEXTCLF_FUZZ >&2
binary=.build/fuzz/release/textclf

fuzz_one() {
    local target=$1 corpus=.build/fuzz-corpus/$1 findings=.build/fuzz-findings/$1 log=.build/fuzz-logs/$1.log
    mkdir -p "$corpus" "$findings" .build/fuzz-logs "Fuzz/$target/regressions"
    local status=0
    # -max_len fits the largest seed; -rss_limit_mb bounds memory per input.
    TEXTCLF_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0 "$binary" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$findings/" \
        "$corpus" "Fuzz/$target/seeds" "Fuzz/$target/regressions" >"$log" 2>&1 || status=$?
    local runs
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    if [ "$status" -eq 0 ]; then
        printf '%-16s ok     %10s executions in %ss\n' "$target" "$runs" "$seconds"
    else
        printf '%-16s FAULT  %10s executions; input in %s, log %s\n' "$target" "$runs" "$findings" "$log"
        grep -m3 -E 'ERROR|Fatal error|fault|timeout' "$log" | sed 's/^/    /'
    fi
    return "$status"
}

failed=0
running=0
for target in "${targets[@]}"; do
    fuzz_one "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || failed=1; running=$((running - 1)); fi
done
while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
exit "$failed"
