#!/usr/bin/env bash
# CloudWatch Logs benchmark: builds ceap and starts it on a free loopback port with a throwaway
# data directory, then runs the logs load generator (bench/logs). Prints one JSON line per phase
# (put, filter_term, filter_json).
#   bash bench/logs/run.sh [load generator flags...]      (default: 1,000,000 events)
source "$(dirname "$0")/../lib.sh"
# CEAP_BIN: a ceap binary built beforehand (for instance from a clean `git archive` of a commit).
if [ -n "${CEAP_BIN:-}" ]; then cp "$CEAP_BIN" "$BENCH_TMP/ceap"; else build_ceap; fi
(cd "$BENCH_ROOT" && go build -o "$BENCH_TMP/loadgen" ./bench/logs)
start_ceap
"$BENCH_TMP/loadgen" --endpoint "$CEAP_URL" --server-pid "$CEAP_PID" "$@"
