# PostgreSQL: Strata's own cluster on 5433 with wal_level=logical (the database cache reads change events through
# logical decoding). The machine's cluster on 5432 is never touched.

PG_PORT=5433
PG_DATABASE=strata
# initdb and postgres refuse to run as root: as root the cluster belongs to the postgres user and lives where that user
# can reach it ($HOME may be /root, mode 700); as anyone else it lives in the state dir.
if ((EUID == 0)); then
  PG_HOME=${STRATA_PG_HOME:-/var/lib/strata-infra/pg}
else
  PG_HOME=${STRATA_PG_HOME:-$STRATA_INFRA_DIR/pg}
fi
PG_DATA=$PG_HOME/data

pg_bin() {
  local dir=${STRATA_PG_BIN:-}
  if [[ -z $dir ]]; then
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  fi
  echo "${dir:-/usr/lib/postgresql/15/bin}"
}

# as_pg COMMAND... — runs COMMAND as the owner of the cluster.
as_pg() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_sql() {
  PGCONNECT_TIMEOUT=2 timeout 5 psql -h "$HOST" -p "$PG_PORT" -U postgres -d "${2:-postgres}" -XAtqc "$1" 2>/dev/null
}

pg_ready() { [[ $(pg_sql 'select 1') == 1 ]]; }

postgres::up() {
  need psql postgresql-client
  if pg_ready; then
    running_note postgres postgres
    return 0
  fi
  port_open "$PG_PORT" && die "postgres: port $PG_PORT is in use by something that does not answer SQL"
  [[ -x $(pg_bin)/initdb ]] || apt_install postgresql
  local bin
  bin=$(pg_bin)
  [[ -x $bin/initdb ]] || die "postgres: no initdb under $bin (set STRATA_PG_BIN)"

  mkdir -p "$PG_HOME"
  ((EUID != 0)) || chown postgres:postgres "$PG_HOME"
  if [[ ! -s $PG_DATA/PG_VERSION ]]; then
    say "postgres: initdb $PG_DATA"
    as_pg "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --no-locale --no-instructions \
      >>"$LOG_DIR/postgres-initdb.log" 2>&1 || die "initdb failed; see $LOG_DIR/postgres-initdb.log"
    echo "include 'strata.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
  fi
  # Rendered at every start, so that a changed template takes effect on the next restart.
  render "$INFRA_SRC/postgres/strata.conf" "$STRATA_INFRA_DIR/postgres.conf" PORT="$PG_PORT" HOST="$HOST"
  as_pg tee "$PG_DATA/strata.conf" <"$STRATA_INFRA_DIR/postgres.conf" >/dev/null

  say "postgres: starting on $HOST:$PG_PORT ($PG_DATA)"
  as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_HOME/postgres.log" -w -t 60 start >>"$LOG_DIR/postgres.log" 2>&1 9>&- ||
    die "postgres did not start; see $PG_HOME/postgres.log"
  head -n 1 "$PG_DATA/postmaster.pid" >"$RUN_DIR/postgres.pid"
  pg_ready || die "postgres started but does not answer on $HOST:$PG_PORT; see $PG_HOME/postgres.log"
  if [[ $(pg_sql "select 1 from pg_database where datname = '$PG_DATABASE'") != 1 ]]; then
    say "postgres: creating database $PG_DATABASE"
    pg_sql "create database $PG_DATABASE" >/dev/null
  fi
}

postgres::wait() {
  wait_for 30 postgres pg_ready
}

# SIGINT is PostgreSQL's fast shutdown: it rolls back open transactions instead of waiting for clients to leave.
postgres::down() {
  stop_owned postgres postgres INT
}

postgres::status() {
  if pg_ready; then
    row postgres "$HOST:$PG_PORT" up "$(owner postgres postgres)" \
      "wal_level=$(pg_sql 'show wal_level'), database $PG_DATABASE $([[ $(pg_sql 'select 1' "$PG_DATABASE") == 1 ]] && echo ok || echo missing)"
  else
    row postgres "$HOST:$PG_PORT" down - -
  fi
}

# As root the data dir is outside the state dir, so several state dirs can point at it: never delete a live cluster.
postgres::purge() {
  local pid
  if [[ -s $PG_DATA/postmaster.pid ]] && pid=$(head -n 1 "$PG_DATA/postmaster.pid") && ! pid_gone "$pid"; then
    warn "postgres: $PG_DATA is in use by pid $pid; not purged"
    return 0
  fi
  purge "$PG_DATA"
}
