#!/usr/bin/env bash
# S3 side by side in one run: ceap on SQLite, moto_server, and ceap on PostgreSQL, with ceap's Go
# load generator (bench/s3), each with the SDK client and then the plain HTTP one. Prints one JSON
# line per phase.
#   bash bench/s3/compare.sh [small objects for ceap] [keys for ceap] [large MiB] [small objects for moto]
source "$(dirname "$0")/../lib.sh"
N=${1:-20000}
KEYS=${2:-100000}
LARGE=${3:-256}
NMOTO=${4:-1000}
build_ceap
(cd "$BENCH_ROOT" && go build -o "$BENCH_TMP/loadgen" ./bench/s3)

start_ceap
"$BENCH_TMP/loadgen" --endpoint "$CEAP_URL" --small "$N" --keys "$KEYS" --large-mb "$LARGE" --server-pid "$CEAP_PID" --label ceap-sqlite --client sdk,http

start_moto
"$BENCH_TMP/loadgen" --endpoint "$MOTO_URL" --small "$NMOTO" --keys "$((NMOTO * 5))" --large-mb "$((LARGE / 4))" --server-pid "$MOTO_PID" --label moto --client sdk,http

start_pg
start_ceap --store "$PG_URL"
"$BENCH_TMP/loadgen" --endpoint "$CEAP_URL" --small "$N" --keys "$KEYS" --large-mb "$LARGE" --server-pid "$CEAP_PID" --label ceap-postgres --client sdk,http
