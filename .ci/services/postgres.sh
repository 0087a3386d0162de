#!/usr/bin/env bash
# A throwaway Postgres server for tests and CI: Debian's postgresql, one cluster
# per run in a folder of its own, on 127.0.0.1 only, tuned for speed rather
# than durability (fsync off: a crash loses the cluster, which CI throws away
# anyway). Runs as root (the server itself runs as the `postgres` user) or as
# any user that owns DIR.
#
#   postgres.sh start PORT [DIR]
#       Installs postgresql with apt-get when no initdb is found, creates a new
#       cluster in DIR/pgdata (DIR defaults to /tmp/portfolio-postgres-PORT; any
#       old cluster there is stopped and wiped), starts it on 127.0.0.1:PORT
#       with its socket in DIR, creates the database `portfolio` owned by the
#       superuser `portfolio` (trust authentication on loopback), and prints
#       its URL on stdout:
#           postgres://portfolio@127.0.0.1:PORT/portfolio
#       The server's log goes to DIR/postgres.log.
#
#   postgres.sh stop PORT [DIR]
#       Stops that server (fast shutdown) and removes DIR/pgdata; the log stays.
#
#   postgres.sh halt PORT [DIR]
#       Stops that server (fast shutdown) and keeps its data, as in an outage.
#
#   postgres.sh resume PORT [DIR]
#       Starts a halted server again on the same data.
#
#   postgres.sh url PORT
#       Prints the URL again.
#
# DIR must be reachable by the postgres user when run as root: a folder under
# /tmp is, one under /root is not.
set -euo pipefail

PG_USER=portfolio
PG_DATABASE=portfolio

log() { printf '[postgres] %s\n' "$*" >&2; }
die() { printf '[postgres] ERROR: %s\n' "$*" >&2; exit 1; }

# The newest installed server's bin folder (initdb, pg_ctl, postgres).
server_bin() {
  local initdb
  initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$initdb" ]] && dirname "$initdb"
}

install_postgres() {
  [[ -n "$(server_bin)" ]] && return
  [[ $(id -u) -eq 0 ]] || die "postgresql is not installed and installing it needs root"
  log "installing postgresql with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
  [[ -n "$(server_bin)" ]] || die "apt-get installed postgresql but no initdb was found"
}

# Runs a command as the user that owns the cluster: postgres when we are root.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { printf 'postgres://%s@127.0.0.1:%s/%s\n' "$PG_USER" "$1" "$PG_DATABASE"; }

prepare_dir() {
  local dir=$1
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir"
    runuser -u postgres -- test -w "$dir" ||
      die "$dir is not writable by the postgres user (pick a folder under /tmp)"
  fi
}

init_cluster() {
  local bin=$1 port=$2 dir=$3
  as_owner "$bin/initdb" --pgdata="$dir/pgdata" --username="$PG_USER" --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
    die "initdb failed, see $dir/initdb.log"
  # Loopback only; durability traded for speed, as a test cluster can be rebuilt.
  cat >>"$dir/pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
checkpoint_timeout = 30min
max_wal_size = 4GB
CONF
}

start() {
  local port=$1 dir=${2:-/tmp/portfolio-postgres-$1} bin
  install_postgres
  bin=$(server_bin)
  stop "$port" "$dir" 2>/dev/null || true
  prepare_dir "$dir"
  init_cluster "$bin" "$port" "$dir"

  as_owner "$bin/pg_ctl" --pgdata="$dir/pgdata" --log="$dir/postgres.log" --wait \
    --timeout=60 start >&2 || die "the server did not start, see $dir/postgres.log"
  as_owner "$bin/createdb" --host=127.0.0.1 --port="$port" --username="$PG_USER" "$PG_DATABASE"
  log "listening on 127.0.0.1:$port, data in $dir/pgdata"
  url "$port"
}

stop() {
  local port=$1 dir=${2:-/tmp/portfolio-postgres-$1} bin
  bin=$(server_bin) || return 0
  if [[ -f "$dir/pgdata/postmaster.pid" ]]; then
    as_owner "$bin/pg_ctl" --pgdata="$dir/pgdata" --mode=fast --wait stop >&2 || true
  fi
  rm -rf "$dir/pgdata"
}

halt() {
  local dir=${2:-/tmp/portfolio-postgres-$1}
  as_owner "$(server_bin)/pg_ctl" --pgdata="$dir/pgdata" --mode=fast --wait stop >&2
}

resume() {
  local dir=${2:-/tmp/portfolio-postgres-$1}
  as_owner "$(server_bin)/pg_ctl" --pgdata="$dir/pgdata" --log="$dir/postgres.log" --wait \
    --timeout=60 start >&2 || die "the server did not start, see $dir/postgres.log"
}

main() {
  local command=${1:-}
  [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || die "usage: postgres.sh start|stop|halt|resume|url PORT [DIR]"
  case "$command" in
    start) start "$2" "${3:-}" ;;
    stop) stop "$2" "${3:-}" ;;
    halt) halt "$2" "${3:-}" ;;
    resume) resume "$2" "${3:-}" ;;
    url) url "$2" ;;
    *) die "unknown command $command; usage: postgres.sh start|stop|halt|resume|url PORT [DIR]" ;;
  esac
}

main "$@"
