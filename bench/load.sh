#!/usr/bin/env bash
# Load test of g2p-bank-proxy with wrk, on loopback only (see bench/README.md).
#
#   bench/load.sh                 # about two minutes; prints a Markdown report
#   DURATION=5s CONNS=50 bench/load.sh
#
# Needs go, curl and wrk (Debian: apt-get install -y wrk). It starts
# "g2p-bank-proxy demo" (the proxy and the emulated OpenSPP in one process,
# the emulator also exposed for direct XML-RPC), then a second proxy with
# "serve" in front of that same emulator to measure the proxy's own memory.
set -euo pipefail

DURATION=${DURATION:-10s}   # each wrk run
CONNS=${CONNS:-100}         # concurrent clients of the throughput runs
THREADS=${THREADS:-2}       # wrk threads
SEED=${SEED:-120}           # individuals created before the runs (>= 100 for a full page)
PROXY=127.0.0.1:${PROXY_PORT:-18080}
EMU=127.0.0.1:${EMU_PORT:-18069}
SERVE=127.0.0.1:${SERVE_PORT:-18081}
KEY=bench-load-key-0123456789abcdef
BASE=/api/v1/registry

cd "$(dirname "$0")/.."
for tool in go curl wrk; do
  command -v "$tool" >/dev/null || { echo "load.sh: $tool is missing (wrk: apt-get install -y wrk)" >&2; exit 1; }
done

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "load.sh: $*" >&2; }

wait_http() { # URL: wait until it answers 200
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  log "$1 never answered"; return 1
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# sample_rss PID OUTFILE: the largest VmRSS seen until killed, every 100 ms.
sample_rss() {
  local max=0 cur
  while kill -0 "$1" 2>/dev/null; do
    cur=$(rss_kb "$1" 2>/dev/null || echo 0)
    (( cur > max )) && max=$cur && echo "$max" > "$2"
    sleep 0.1
  done
}

# run NAME URL CONNS [VAR=VALUE...]: one wrk run with bench/request.lua;
# appends its RESULT line to $WORK/results.
run() {
  local name=$1 url=$2 conns=$3; shift 3
  local threads=$THREADS
  (( conns < threads )) && threads=$conns
  log "$name: $conns connections, $DURATION"
  env BENCH_NAME="$name" BENCH_KEY="$KEY" BENCH_BASE="$BASE" "$@" \
    wrk -t"$threads" -c"$conns" -d"$DURATION" --timeout 10s -s bench/request.lua "$url" >"$WORK/$name.wrk"
  grep '^RESULT ' "$WORK/$name.wrk" >>"$WORK/results" || { cat "$WORK/$name.wrk" >&2; return 1; }
}

log "building"
go build -o "$WORK/g2p-bank-proxy" ./cmd/g2p-bank-proxy
go build -o "$WORK/xmlrpcbody" ./bench/xmlrpcbody

log "starting the demo on $PROXY (emulator on $EMU)"
"$WORK/g2p-bank-proxy" demo --listen "$PROXY" --api-key "$KEY" --emulator-listen "$EMU" >"$WORK/demo.out" 2>"$WORK/demo.log" &
DEMO=$!
PIDS+=("$DEMO")
wait_http "http://$PROXY/healthz"

log "creating $SEED individuals"
FIRST=
for i in $(seq "$SEED"); do
  n=$((3000000000 + i))
  body=$(printf '{"given_name":"Seed","family_name":"Person %d","gender":"Male","ids":[{"id_type":"National ID","value":"%010d"}],"bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"SEED-%d-A"},{"bank_name":"Caisse Rurale de Thiès","acc_number":"SEED-%d-B"}]}' "$i" "$n" "$i" "$i")
  id=$(curl -fsS -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$body" "http://$PROXY$BASE/individual" | sed -E 's/^\{"id":([0-9]+).*/\1/')
  FIRST=${FIRST:-$id}
done
log "first seeded individual: $FIRST"

# The XML-RPC calls the proxy makes for two of the requests, to send them
# to the emulator directly.
"$WORK/xmlrpcbody" -odoo "http://$EMU" -path "/individual/$FIRST" >"$WORK/get.xml"
"$WORK/xmlrpcbody" -odoo "http://$EMU" -path "/individual?limit=100" >"$WORK/page.xml"
DIRECT=(BENCH_METHOD=POST BENCH_PATH=/xmlrpc/2/object BENCH_CONTENT_TYPE=text/xml)

IDLE_RSS=$(rss_kb "$DEMO")
sample_rss "$DEMO" "$WORK/demo.peak" &
PIDS+=("$!")

# Added latency: one client at a time, proxy and direct call alternately.
run get_proxy_c1 "http://$PROXY" 1 BENCH_PATH="$BASE/individual/$FIRST"
run get_direct_c1 "http://$EMU" 1 "${DIRECT[@]}" BENCH_BODY_FILE="$WORK/get.xml"
run page100_proxy_c1 "http://$PROXY" 1 BENCH_PATH="$BASE/individual?limit=100"
run page100_direct_c1 "http://$EMU" 1 "${DIRECT[@]}" BENCH_BODY_FILE="$WORK/page.xml"

# Throughput at CONNS concurrent clients.
run get_proxy "http://$PROXY" "$CONNS" BENCH_PATH="$BASE/individual/$FIRST"
run get_direct "http://$EMU" "$CONNS" "${DIRECT[@]}" BENCH_BODY_FILE="$WORK/get.xml"
run page100_proxy "http://$PROXY" "$CONNS" BENCH_PATH="$BASE/individual?limit=100"
run feed100_proxy "http://$PROXY" "$CONNS" BENCH_PATH="$BASE/bank-accounts?limit=100"
# Creates last: thousands of new accounts slow the emulator's feed query
# (it scans linearly; Odoo uses indexes), which would skew the runs above.
run create_proxy "http://$PROXY" "$CONNS" BENCH_KIND=create BENCH_PATH="$BASE/individual"
DEMO_HWM=$(hwm_kb "$DEMO")

# The proxy's own memory: a second proxy process ("serve") in front of the
# demo's emulator, under the mixed load.
cat >"$WORK/serve.yaml" <<EOF
server: {listen: "$SERVE"}
odoo: {url: "http://$EMU", db: openspp, login: admin, secret: admin}
auth:
  api_keys:
    - {id: bench, key: "$KEY", scopes: [registry:read, registry:write, bank_accounts:read, bank_accounts:read_full, bank_accounts:write]}
log: {level: warn}
EOF
"$WORK/g2p-bank-proxy" serve --config "$WORK/serve.yaml" 2>"$WORK/serve.log" &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
wait_http "http://$SERVE/healthz"
SERVE_IDLE=$(rss_kb "$SERVE_PID")
sample_rss "$SERVE_PID" "$WORK/serve.peak" &
PIDS+=("$!")
run mix_serve "http://$SERVE" "$CONNS" BENCH_KIND=mix BENCH_ID="$FIRST"
SERVE_HWM=$(hwm_kb "$SERVE_PID")

# Report.
mb() { awk -v kb="$1" 'BEGIN {printf "%.1f MiB", kb / 1024}'; }
field() { awk -v n="$1" -v f="$2" '$2 == n {print $f}' "$WORK/results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a - b}'; }

echo "## Load test ($(date -u +%Y-%m-%d), $(nproc) CPUs, wrk $THREADS threads, $DURATION per run)"
echo
echo "| run | clients | requests/s | p50 ms | p99 ms | errors | requests |"
echo "|---|---|---|---|---|---|---|"
while read -r _ name rps p50 p99 errs total; do
  clients=$CONNS
  [[ $name == *_c1 ]] && clients=1
  echo "| $name | $clients | $rps | $p50 | $p99 | $errs | $total |"
done <"$WORK/results"
echo
echo "Added latency (one client; proxy minus direct XML-RPC of the same execute_kw):"
echo
echo "| request | proxy p50 ms | direct p50 ms | added ms | ratio |"
echo "|---|---|---|---|---|"
for r in get page100; do
  p=$(field "${r}_proxy_c1" 4); d=$(field "${r}_direct_c1" 4)
  echo "| $r | $p | $d | $(diff_ms "$p" "$d") | $(ratio "$p" "$d") |"
done
echo
echo "Memory (VmRSS from /proc):"
echo
echo "| process | idle | peak under load (sampled) | VmHWM |"
echo "|---|---|---|---|"
echo "| demo (proxy + emulator with its data) | $(mb "$IDLE_RSS") | $(mb "$(cat "$WORK/demo.peak")") | $(mb "$DEMO_HWM") |"
echo "| serve (proxy alone), mixed load at $CONNS clients | $(mb "$SERVE_IDLE") | $(mb "$(cat "$WORK/serve.peak")") | $(mb "$SERVE_HWM") |"
