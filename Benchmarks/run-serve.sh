#!/usr/bin/env bash
# `textclf serve` against FastAPI + scikit-learn under wrk:  bash Benchmarks/run-serve.sh [SECONDS] [CONNECTIONS] [ROUNDS]
#
# Both servers hold a counts + logistic-regression model of SST-2 train (textclf's trained by
# `textclf train --features counts --model logreg`, the reference's by scikit-learn) and answer
# the same requests: 1 SST-2 dev sentence per request, then 64 (dev sentences 1-64). For each,
# wrk (Debian's; installed if missing) runs 2 s of warm-up, then SECONDS (default 10) with
# CONNECTIONS (default 16) keep-alive connections on one wrk thread, alternating between the
# servers for ROUNDS rounds (default 3), and the script prints the medians of requests per
# second, documents per second and the 50th/99th percentile latency, with the throughput ratio. The reference runs on $PYTHON (default python3) with fastapi, uvicorn and
# scikit-learn.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-10}
connections=${2:-16}
rounds=${3:-3}
data=${TEXTCLF_SHARED_DATA:-$root/../shared/data}
python=${PYTHON:-python3}
[ -f "$data/sst2/train.tsv" ] || { echo "run-serve: no SST-2 at $data/sst2" >&2; exit 1; }
"$python" -c "import fastapi, uvicorn, sklearn" || { echo "run-serve: $python lacks fastapi, uvicorn or scikit-learn" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
fi
swift build -c release --product textclf --package-path "$root" >/tmp/run-serve-build.log 2>&1 \
    || { cat /tmp/run-serve-build.log >&2; exit 1; }
textclf=$root/.build/release/textclf
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

"$textclf" train "$data/sst2/train.tsv" --features counts --model logreg --out "$work/sst2" --quiet --no-run-log
"$python" - "$data/sst2/dev.tsv" "$work" <<'PY'
import csv, json, sys
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    texts = [row[0] for row in list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]]
for n in (1, 64):
    body = json.dumps({"texts": texts[:n]})
    with open(f"{sys.argv[2]}/request-{n}.lua", "w") as lua:
        lua.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ' + json.dumps(body) + "\n")
PY

wait_for() {  # URL: until it answers
    for _ in $(seq 1 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done
    echo "run-serve: $1 does not answer" >&2; exit 1
}
# wrk's requests/s, then its 50% and 99% latencies in milliseconds.
measure() {  # PORT DOCUMENTS
    local out
    wrk -t1 -c"$connections" -d2s -s "$work/request-$2.lua" "http://127.0.0.1:$1/v1/predict" >/dev/null
    out=$(wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/request-$2.lua" "http://127.0.0.1:$1/v1/predict")
    if grep -q "Non-2xx" <<<"$out"; then echo "run-serve: errors on port $1:" >&2; echo "$out" >&2; exit 1; fi
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        END { printf "%s %.3f %.3f\n", rps, p50, p99 }' <<<"$out"
}

"$textclf" serve --model "$work/sst2" --port 18431 --quiet &
pids+=($!)
"$python" "$root/Benchmarks/reference_serve.py" "$data/sst2/train.tsv" 18432 &
pids+=($!)
wait_for http://127.0.0.1:18431/health
wait_for http://127.0.0.1:18432/health

printf '%-26s %12s %12s %9s %9s\n' server requests/s documents/s "p50 ms" "p99 ms"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for documents in 1 64; do
    : > "$work/t" ; : > "$work/r"
    for _ in $(seq 1 "$rounds"); do
        measure 18431 $documents >> "$work/t"
        measure 18432 $documents >> "$work/r"
    done
    t_rps=$(cut -d' ' -f1 "$work/t" | median); t_p50=$(cut -d' ' -f2 "$work/t" | median); t_p99=$(cut -d' ' -f3 "$work/t" | median)
    r_rps=$(cut -d' ' -f1 "$work/r" | median); r_p50=$(cut -d' ' -f2 "$work/r" | median); r_p99=$(cut -d' ' -f3 "$work/r" | median)
    printf '%-26s %12.1f %12.0f %9.2f %9.2f\n' "textclf, $documents doc/request" "$t_rps" "$(echo "$t_rps * $documents" | bc)" "$t_p50" "$t_p99"
    printf '%-26s %12.1f %12.0f %9.2f %9.2f\n' "FastAPI, $documents doc/request" "$r_rps" "$(echo "$r_rps * $documents" | bc)" "$r_p50" "$r_p99"
    printf '%-26s %12s\n' "ratio" "$(echo "scale=1; $t_rps / $r_rps" | bc)x"
done
