#!/usr/bin/env bash
# SQS side by side in one run: ceap on SQLite, ceap on PostgreSQL and moto_server, with ceap's Go
# load generator (bench/sqs) and the shared boto3 peer benchmark. Prints one JSON line per phase.
#   bash bench/sqs/compare.sh [N for ceap] [N for moto] [messages queued for the memory check]
source "$(dirname "$0")/../lib.sh"
N=${1:-200000}
NMOTO=${2:-2000}
FILL=${3:-1000000}
label() { while read -r l; do echo "{\"server\":\"$1\",\"peer_bench\":$l}"; done; }
build_ceap
(cd "$BENCH_ROOT" && go build -o "$BENCH_TMP/loadgen" ./bench/sqs)

start_ceap
"$BENCH_TMP/loadgen" --endpoint "$CEAP_URL" -n "$N" --senders 128 --receivers 128 --server-pid "$CEAP_PID" --label ceap-sqlite
"$BENCH_TMP/loadgen" --endpoint "$CEAP_URL" -n "$FILL" --fill --senders 128 --server-pid "$CEAP_PID" --label ceap-sqlite
python3 /work/shared/tools/peer_bench.py --endpoint "$CEAP_URL" --phases sqs -N "$NMOTO" --server-pid "$CEAP_PID" 2>/dev/null | label ceap-sqlite

start_moto
"$BENCH_TMP/loadgen" --endpoint "$MOTO_URL" -n "$NMOTO" --server-pid "$MOTO_PID" --label moto
python3 /work/shared/tools/peer_bench.py --endpoint "$MOTO_URL" --phases sqs -N "$NMOTO" --server-pid "$MOTO_PID" 2>/dev/null | label moto

start_pg
start_ceap --store "$PG_URL"
"$BENCH_TMP/loadgen" --endpoint "$CEAP_URL" -n "$N" --senders 128 --receivers 128 --server-pid "$CEAP_PID" --label ceap-postgres
