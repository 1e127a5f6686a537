#!/usr/bin/env bash
# Load test of g2p-bank-proxy with wrk, on loopback only (see bench/README.md).
#
#   bench/load.sh                 # about five minutes; prints a Markdown report
#   DURATION=5s CONNS=50 bench/load.sh
#
# Needs go, curl and wrk (Debian: apt-get install -y wrk). For each wire
# protocol in turn (odoo.protocol xmlrpc, then jsonrpc) it starts a fresh
# "g2p-bank-proxy demo" for the emulated OpenSPP (also exposed on its own
# port), seeds it through the demo's proxy, and measures a proxy started
# with "serve" in front of that emulator: its time and memory are its own,
# and both protocols meet the same data.
set -euo pipefail

DURATION=${DURATION:-10s}   # each wrk run
CONNS=${CONNS:-100}         # concurrent clients of the throughput runs
THREADS=${THREADS:-2}       # wrk threads
SEED=${SEED:-120}           # individuals created before the runs (>= 100 for a full page)
PROXY=127.0.0.1:${PROXY_PORT:-18080}   # the demo's own proxy, for seeding
EMU=127.0.0.1:${EMU_PORT:-18069}
SERVE=127.0.0.1:${SERVE_PORT:-18081}   # the measured proxy
KEY=bench-load-key-0123456789abcdef
BASE=/api/v1/registry
PROTOCOLS=(xmlrpc jsonrpc)

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
  grep '^FAILED ' "$WORK/$name.wrk" >>"$WORK/failed" || true
}

direct() { # PROTOCOL: wrk settings that send an execute_kw body to the emulator
  if [[ $1 == xmlrpc ]]; then
    echo BENCH_METHOD=POST BENCH_PATH=/xmlrpc/2/object BENCH_CONTENT_TYPE=text/xml
  else
    echo BENCH_METHOD=POST BENCH_PATH=/jsonrpc BENCH_CONTENT_TYPE=application/json
  fi
}

log "building"
go build -o "$WORK/g2p-bank-proxy" ./cmd/g2p-bank-proxy
go build -o "$WORK/rpcbody" ./bench/rpcbody

declare -A IDLE PEAK HWM
# phase PROTOCOL: a fresh demo (emulator) seeded with SEED individuals, a
# proxy with "serve" speaking PROTOCOL to it, and every run against both.
phase() {
  local p=$1 addr=$SERVE
  log "$p: starting the demo on $PROXY (emulator on $EMU)"
  "$WORK/g2p-bank-proxy" demo --listen "$PROXY" --api-key "$KEY" --emulator-listen "$EMU" >"$WORK/demo-$p.out" 2>"$WORK/demo-$p.log" &
  local demo=$!
  PIDS+=("$demo")
  wait_http "http://$PROXY/healthz"

  log "$p: creating $SEED individuals"
  local first= i n body id
  for i in $(seq "$SEED"); do
    n=$((3000000000 + i))
    body=$(printf '{"given_name":"Seed","family_name":"Person %d","gender":"Male","ids":[{"id_type":"National ID","value":"%010d"}],"bank_ids":[{"bank_name":"Ecobank Sénégal","acc_number":"SEED-%d-A"},{"bank_name":"Caisse Rurale de Thiès","acc_number":"SEED-%d-B"}]}' "$i" "$n" "$i" "$i")
    id=$(curl -fsS -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$body" "http://$PROXY$BASE/individual" | sed -E 's/^\{"id":([0-9]+).*/\1/')
    first=${first:-$id}
  done

  cat >"$WORK/$p.yaml" <<EOF
server: {listen: "$addr"}
odoo: {url: "http://$EMU", db: openspp, login: admin, secret: admin, protocol: $p}
auth:
  api_keys:
    - {id: bench, key: "$KEY", scopes: [registry:read, registry:write, bank_accounts:read, bank_accounts:read_full, bank_accounts:write]}
log: {level: warn}
EOF
  "$WORK/g2p-bank-proxy" serve --config "$WORK/$p.yaml" 2>"$WORK/$p.log" &
  local serve=$!
  PIDS+=("$serve")
  wait_http "http://$addr/healthz"
  IDLE[demo-$p]=$(rss_kb "$demo")
  IDLE[$p]=$(rss_kb "$serve")
  sample_rss "$demo" "$WORK/demo-$p.peak" &
  local s1=$!
  sample_rss "$serve" "$WORK/$p.peak" &
  local s2=$!
  PIDS+=("$s1" "$s2")

  # The execute_kw calls the proxy makes for two of the requests, to send
  # them to the emulator directly.
  "$WORK/rpcbody" -protocol "$p" -odoo "http://$EMU" -path "/individual/$first" >"$WORK/get.$p"
  "$WORK/rpcbody" -protocol "$p" -odoo "http://$EMU" -path "/individual?limit=100" >"$WORK/page.$p"

  # Added latency: one client at a time, proxy and direct call alternately.
  run "get_proxy_${p}_c1" "http://$addr" 1 BENCH_PATH="$BASE/individual/$first"
  run "get_direct_${p}_c1" "http://$EMU" 1 $(direct "$p") BENCH_BODY_FILE="$WORK/get.$p"
  run "page100_proxy_${p}_c1" "http://$addr" 1 BENCH_PATH="$BASE/individual?limit=100"
  run "page100_direct_${p}_c1" "http://$EMU" 1 $(direct "$p") BENCH_BODY_FILE="$WORK/page.$p"
  # Throughput at CONNS concurrent clients. Writes last: new accounts slow
  # the emulator's feed query (it scans linearly; Odoo uses indexes).
  run "get_proxy_$p" "http://$addr" "$CONNS" BENCH_PATH="$BASE/individual/$first"
  run "get_direct_$p" "http://$EMU" "$CONNS" $(direct "$p") BENCH_BODY_FILE="$WORK/get.$p"
  run "page100_proxy_$p" "http://$addr" "$CONNS" BENCH_PATH="$BASE/individual?limit=100"
  run "feed100_proxy_$p" "http://$addr" "$CONNS" BENCH_PATH="$BASE/bank-accounts?limit=100"
  run "mix_proxy_$p" "http://$addr" "$CONNS" BENCH_KIND=mix BENCH_ID="$first"
  run "create_proxy_$p" "http://$addr" "$CONNS" BENCH_KIND=create BENCH_PATH="$BASE/individual"

  HWM[demo-$p]=$(hwm_kb "$demo")
  HWM[$p]=$(hwm_kb "$serve")
  kill "$serve" "$demo" "$s1" "$s2" 2>/dev/null || true
  wait "$serve" "$demo" "$s1" "$s2" 2>/dev/null || true
  PEAK[demo-$p]=$(cat "$WORK/demo-$p.peak")
  PEAK[$p]=$(cat "$WORK/$p.peak")
}
for p in "${PROTOCOLS[@]}"; do phase "$p"; done

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
echo "Added latency (one client; the proxy minus the same execute_kw sent to the emulator directly, in the same protocol):"
echo
echo "| request | protocol | proxy p50 ms | direct p50 ms | added ms | ratio |"
echo "|---|---|---|---|---|---|"
for r in get page100; do
  for p in "${PROTOCOLS[@]}"; do
    a=$(field "${r}_proxy_${p}_c1" 4); d=$(field "${r}_direct_${p}_c1" 4)
    echo "| $r | $p | $a | $d | $(diff_ms "$a" "$d") | $(ratio "$a" "$d") |"
  done
done
echo
echo "Memory (VmRSS from /proc):"
echo
echo "| process | idle | peak under load (sampled) | VmHWM |"
echo "|---|---|---|---|"
for p in "${PROTOCOLS[@]}"; do
  echo "| serve, $p: the proxy alone, up to $CONNS clients | $(mb "${IDLE[$p]}") | $(mb "${PEAK[$p]}") | $(mb "${HWM[$p]}") |"
  echo "| demo, $p phase: the emulator with its data | $(mb "${IDLE[demo-$p]}") | $(mb "${PEAK[demo-$p]}") | $(mb "${HWM[demo-$p]}") |"
done
if [[ -s $WORK/failed ]]; then
  echo
  echo "Answers other than 2xx, by status:"
  echo
  echo "| run | status | answers |"
  echo "|---|---|---|"
  while read -r _ name status n; do echo "| $name | $status | $n |"; done <"$WORK/failed"
fi
