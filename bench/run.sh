#!/usr/bin/env bash
# make bench: the five comparisons of BENCHMARKS.md, each side by side in
# one run and reported as a ratio (these machines are shared and noisy:
# absolute figures alone mean little). Installs its peers itself:
# json-schema-faker (npm, pinned in tools/jsf) and oha (cargo install).
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
PORT=${BENCH_PORT:-4031}
BIN=target/release/chup-harness
OUT=target/bench
mkdir -p "$OUT"

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}')" "$1" "$2"; }
now() { python3 -c 'import time; print(time.monotonic())'; }

$CARGO build --release --locked --bin chup-harness --example trivial_receiver

echo "== 1. generate + sign, one core, against a minimal json! + serde_json + hmac loop (target >= 0.50)"
$CARGO bench --locked --bench generate 2>/dev/null | grep -E "bodies/s|ratio"

echo "== 2. generate against json-schema-faker on our exported schema (target >= 20x)"
[ -d tools/jsf/node_modules/json-schema-faker ] || npm ci --prefix tools/jsf --no-audit --no-fund --ignore-scripts >/dev/null
N=200000
t0=$(now); taskset -c 0 $BIN generate --event live_queue_updated --count $N --seed 1 --unsigned --dialect seed > /dev/null; t1=$(now)
ours=$(python3 -c "print($N/($t1-$t0))")
jsf_line=$(taskset -c 0 node tools/jsf/bench.mjs contracts/schema/payloads/live_queue_updated.schema.json 5000)
jsf=$(echo "$jsf_line" | sed -E 's/.*: ([0-9]+)\/s.*/\1/')
printf 'chup-harness generate (whole process, %d payloads): %.0f payloads/s\n' $N "$ours"
echo "json-schema-faker 0.6.3: $jsf_line"
echo "ratio ours / json-schema-faker: $(ratio "$ours" "$jsf")"

echo "== 3. parse + verify, one core, against a serde_json Value + hmac loop"
$CARGO bench --locked --bench verify 2>/dev/null | grep -E "bodies/s|ratio"

echo "== 4. load against oha, trivial loopback receiver, $CONNECTIONS connections, ${SECONDS_EACH} s (target >= 0.90)"
command -v oha >/dev/null || $CARGO install oha --locked
target/release/examples/trivial_receiver 127.0.0.1:$PORT > /dev/null &
RECEIVER=$!
trap 'kill $RECEIVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
$BIN generate --count 1 --seed 1 --event live_queue_updated > "$OUT/body.json"
oha -z "${SECONDS_EACH}s" -c "$CONNECTIONS" --no-tui --output-format json -m POST \
  -H 'content-type: application/json' -D "$OUT/body.json" "http://127.0.0.1:$PORT/webhook" > "$OUT/oha.json"
oha_rate=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['requestsPerSec'])" "$OUT/oha.json")
# The same rate, open model: can the harness sustain what oha reached?
$BIN load --target "http://127.0.0.1:$PORT/webhook" --rate "$oha_rate" --duration "${SECONDS_EACH}s" \
  --connections "$CONNECTIONS" --seed 1 --json "$OUT/load.json" > "$OUT/load.txt" 2>/dev/null || true
ours_rate=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['throughput'])" "$OUT/load.json")
printf 'oha: %.0f req/s; chup-harness load at that rate: %.0f deliveries/s achieved\n' "$oha_rate" "$ours_rate"
grep -E "^latency|^errors|scheduled" "$OUT/load.txt" || true
echo "ratio ours / oha: $(ratio "$ours_rate" "$oha_rate")"

echo "== 5. memory over 100,000 deliveries of load (target < 64 MiB), and the default contract suite (target < 5 s)"
/usr/bin/time -f '%M KiB peak, %e s wall' $BIN load --target "http://127.0.0.1:$PORT/webhook" --rate 10000 \
  --duration 10s --connections "$CONNECTIONS" --seed 2 2>&1 >/dev/null | tail -1 | sed 's/^/load 100k deliveries: /'
kill $RECEIVER 2>/dev/null || true
/usr/bin/time -f '%M KiB peak, %e s wall' $BIN run --json "$OUT/suite.json" 2>&1 >/dev/null | tail -1 | sed 's/^/contract suite: /'
