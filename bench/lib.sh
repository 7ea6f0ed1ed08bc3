# Shared by the benchmark scripts: start ceap (SQLite or PostgreSQL) and moto_server on free
# loopback ports, and stop them on exit. Source it; it sets CEAP_URL, CEAP_PID, MOTO_URL, MOTO_PID.
set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_TMP=$(mktemp -d /tmp/ceap-bench.XXXXXX)
chmod 755 "$BENCH_TMP" # the postgres user runs the throwaway server below it
_pids=()
_pg_stop=()
bench_cleanup() {
  for p in "${_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ ${#_pg_stop[@]} -gt 0 ]; then "${_pg_stop[@]}" >/dev/null 2>&1 || true; fi
  rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() { # url
  for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "not up: $1" >&2; return 1
}

build_ceap() {
  (cd "$BENCH_ROOT" && go build -o "$BENCH_TMP/ceap" ./cmd/ceap)
}

# start_ceap [extra serve flags...]
start_ceap() {
  local port; port=$(free_port)
  mkdir -p "$BENCH_TMP/data-$port"
  "$BENCH_TMP/ceap" serve --listen "127.0.0.1:$port" --data "$BENCH_TMP/data-$port" --log-level warn "$@" >"$BENCH_TMP/ceap-$port.log" 2>&1 &
  CEAP_PID=$!
  _pids+=("$CEAP_PID")
  CEAP_URL="http://127.0.0.1:$port"
  wait_http "$CEAP_URL/_ceap/health"
}

# start_moto: the patched moto_server (real Step Functions execution enabled).
start_moto() {
  local port; port=$(free_port)
  python3 /work/shared/tools/moto_patched_server.py -H 127.0.0.1 -p "$port" >"$BENCH_TMP/moto.log" 2>&1 &
  MOTO_PID=$!
  _pids+=("$MOTO_PID")
  MOTO_URL="http://127.0.0.1:$port"
  wait_http "$MOTO_URL/moto-api/"
  curl -fs -X POST -H 'Content-Type: application/json' -d '{"stepfunctions": {"execute_state_machine": true}}' "$MOTO_URL/moto-api/config" >/dev/null
}

# start_pg: a throwaway PostgreSQL; sets PG_URL.
start_pg() {
  local pgbin port dir as=()
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  port=$(free_port)
  dir="$BENCH_TMP/pg"
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; as=(runuser -u postgres --); fi
  "${as[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
  "${as[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  _pg_stop=("${as[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m fast stop)
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}
