#!/usr/bin/env bash
# Step Functions side by side in one run: ceap on SQLite, ceap on PostgreSQL and the patched
# moto_server with real execution, with ceap's Go load generator and the shared boto3 peer
# benchmark. Prints one JSON line per phase.
#   bash bench/sfn/compare.sh [Standard executions for ceap] [StartSyncExecution calls for ceap]
source "$(dirname "$0")/../lib.sh"
NSTD=${1:-20000}
NSYNC=${2:-50000}
label() { while read -r l; do echo "{\"server\":\"$1\",\"peer_bench\":$l}"; done; }
build_ceap
(cd "$BENCH_ROOT" && go build -o "$BENCH_TMP/loadgen" ./bench/sfn)

start_ceap
"$BENCH_TMP/loadgen" --endpoint "$CEAP_URL" -standard "$NSTD" -sync "$NSYNC" -c 64 -client http --server-pid "$CEAP_PID" --label ceap-sqlite
"$BENCH_TMP/loadgen" --endpoint "$CEAP_URL" -standard "$NSTD" -sync "$NSYNC" -map 0 -c 64 -client sdk --server-pid "$CEAP_PID" --label ceap-sqlite
python3 /work/shared/tools/peer_bench.py --endpoint "$CEAP_URL" --phases sfn-standard,sfn-express-sync,sfn-map -M 500 -K 300 --server-pid "$CEAP_PID" 2>/dev/null | label ceap-sqlite

start_moto
"$BENCH_TMP/loadgen" --endpoint "$MOTO_URL" -standard 200 -sync 200 -map 3 --server-pid "$MOTO_PID" --label moto
python3 /work/shared/tools/peer_bench.py --endpoint "$MOTO_URL" --phases sfn-standard,sfn-express-sync,sfn-map -M 200 -K 100 --map-executions 5 --server-pid "$MOTO_PID" 2>/dev/null | label moto

start_pg
start_ceap --store "$PG_URL"
"$BENCH_TMP/loadgen" --endpoint "$CEAP_URL" -standard "$NSTD" -sync "$NSYNC" -c 64 -client http --server-pid "$CEAP_PID" --label ceap-postgres
