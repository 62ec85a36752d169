#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL (Debian's postgresql
# package): initdb into a temporary folder, the server on a unix socket in
# that folder and a free port, no TCP listener; TM2_STUDY_PG holds the
# libpq connection string (without dbname) and TM2_PG_BIN the tools'
# folder. The cluster is stopped and deleted on exit.
#
#   tests/study-server/with-postgres.sh node --test tests/study-server/
#
# PostgreSQL refuses to run as root: as root (CI), the cluster belongs to
# `nobody` and is run through runuser. The tests run it with fsync=off
# (nothing here survives a power cut); TM2_PG_OPTIONS= (empty) keeps
# the default durability, as the load figures do. Exit 77 (CTest: skipped) when no
# PostgreSQL is installed.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  echo "with-postgres: PostgreSQL is not installed (apt-get install postgresql): skipped" >&2
  exit 77
fi
dir=$(mktemp -d /tmp/tm2-pg.XXXXXX)
as=()
if [[ $(id -u) == 0 ]]; then
  if ! command -v runuser >/dev/null; then
    echo "with-postgres: running as root without runuser: cannot start PostgreSQL: skipped" >&2
    rm -rf "$dir"; exit 77
  fi
  chown nobody "$dir"
  as=(runuser -u nobody --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  "${as[@]}" "$bin/pg_ctl" -D "$dir/db" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
# Runs from $dir: a worktree under /root is unreadable to nobody.
(cd "$dir" && "${as[@]}" "$bin/initdb" -D "$dir/db" -U tm2 -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1) ||
  { cat "$dir/initdb.log" >&2; exit 1; }
(cd "$dir" && "${as[@]}" "$bin/pg_ctl" -D "$dir/db" -l "$dir/server.log" -w \
  -o "-k $dir -p $port -c listen_addresses= -c max_connections=200 -c shared_buffers=32MB ${TM2_PG_OPTIONS--c fsync=off}" start >/dev/null) ||
  { cat "$dir/server.log" >&2; exit 1; }
export TM2_STUDY_PG="host=$dir port=$port user=tm2"
export TM2_PG_BIN="$bin"
"$@"
