#!/usr/bin/env bash
# Lambda benchmark: builds ceap and starts it on a free loopback port with a throwaway data
# directory, then runs the Lambda load generator (bench/lambda), which builds the Go function in
# bench/lambda/fn. Prints one JSON line per measurement (warm_invoke, throughput, cold_start).
#   bash bench/lambda/run.sh [load generator flags...]
source "$(dirname "$0")/../lib.sh"
# CEAP_BIN: a ceap binary built beforehand (for instance from a clean `git archive` of a commit).
if [ -n "${CEAP_BIN:-}" ]; then cp "$CEAP_BIN" "$BENCH_TMP/ceap"; else build_ceap; fi
(cd "$BENCH_ROOT" && go build -o "$BENCH_TMP/loadgen" ./bench/lambda)
start_ceap
cd "$BENCH_ROOT"
"$BENCH_TMP/loadgen" --endpoint "$CEAP_URL" --server-pid "$CEAP_PID" "$@"
