#!/usr/bin/env bash
# End-to-end benchmark of the CEAP realtime workflow: builds ceap and the load generator, serves
# ceap (with --pprof) on a fresh data directory, deploys the realtime workflow with
# examples/ceap/deploy.sh (which builds the Go stage functions), then runs bench/e2e: idle
# latency, where the time goes, throughput, the server's CPU profile by service. One JSON line
# per measurement on stdout, preceded by the machine's load average.
#
#   bash bench/e2e/run.sh [messages for the throughput run] [idle messages] [extra bench/e2e flags...]
#
# Example: bash bench/e2e/run.sh 5000 300
source "$(dirname "$0")/../lib.sh"
MESSAGES=${1:-5000}
IDLE=${2:-300}
shift $(($# < 2 ? $# : 2))

build_ceap
(cd "$BENCH_ROOT" && go build -o "$BENCH_TMP/e2e" ./bench/e2e)
start_ceap --pprof
echo "{\"phase\":\"setup\",\"server\":\"$CEAP_URL\",\"uptime\":\"$(uptime)\"}"
if ! CEAP_ENDPOINT="$CEAP_URL" bash "$BENCH_ROOT/examples/ceap/deploy.sh" realtime express >"$BENCH_TMP/deploy.log" 2>&1; then
  cat "$BENCH_TMP/deploy.log" >&2
  echo "deploy failed" >&2
  exit 1
fi
"$BENCH_TMP/e2e" --endpoint "$CEAP_URL" --server-pid "$CEAP_PID" -idle "$IDLE" -messages "$MESSAGES" "$@"
echo "{\"phase\":\"done\",\"uptime\":\"$(uptime)\"}"
