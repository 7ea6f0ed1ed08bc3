#!/usr/bin/env bash
# Runs every test of ceap: go vet, then go test over the whole module, with a PostgreSQL server for
# the store conformance suite and the PostgreSQL server tests. PostgreSQL is installed from
# Debian's packages when missing, started on a free loopback port in a temporary directory, and
# stopped at the end. Extra arguments go to `go test` (e.g. -run TestX ./internal/queues/...).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }

need_root() { [ "$(id -u)" = 0 ] || { echo "installing $1 needs root; install it and rerun" >&2; exit 1; }; }

# --- tools the tests drive -------------------------------------------------------------------
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need_root postgresql
  log "installing PostgreSQL from Debian's packages"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! command -v aws >/dev/null 2>&1; then
  need_root awscli
  log "installing the aws CLI from Debian's packages"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli >/dev/null
fi
if ! python3 -c 'import boto3' >/dev/null 2>&1; then # the CEAP example's Glue job uses boto3
  need_root python3-boto3
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-boto3 >/dev/null
fi
if ! command -v zip >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1; then
  need_root "zip, python3 and jq"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zip python3 jq >/dev/null
fi

# --- a throwaway PostgreSQL server -----------------------------------------------------------
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pgroot=$(mktemp -d /tmp/ceap-test-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
  chown postgres "$pgroot"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgroot/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pgroot"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$pgbin/initdb" -D "$pgroot/data" -U postgres --auth=trust -E UTF8 >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgroot/data" -l "$pgroot/log" -w \
  -o "-p $port -k $pgroot -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=128MB" start >/dev/null
export CEAP_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
log "PostgreSQL $(basename "$(dirname "$pgbin")") on 127.0.0.1:$port"

# --- the tests ---------------------------------------------------------------------------------
export AWS_PAGER="" # the aws CLI v2 (Debian's awscli) would page its output
log "go vet"
go vet ./...
log "go test"
if [ $# -eq 0 ]; then set -- ./...; fi
go test -count=1 -timeout 25m "$@"
