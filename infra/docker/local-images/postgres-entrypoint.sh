#!/bin/sh
# Initialises $PGDATA on first start (trust or scram from POSTGRES_HOST_AUTH_METHOD / POSTGRES_PASSWORD), creates
# POSTGRES_DB, then runs the server with the command's -c settings, listening on every interface of the container.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  pwfile=$(mktemp)
  printf '%s' "${POSTGRES_PASSWORD:-}" > "$pwfile"
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    initdb -U postgres --pwfile="$pwfile" --auth-local=trust --auth-host="$auth" -D "$PGDATA" >/dev/null
  else
    initdb -U postgres --auth-local=trust --auth-host="$auth" -D "$PGDATA" >/dev/null
  fi
  rm -f "$pwfile"
  echo "host all all all $auth" >> "$PGDATA/pg_hba.conf"
  echo "host replication all all $auth" >> "$PGDATA/pg_hba.conf"
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    postgres --single -D "$PGDATA" postgres >/dev/null <<SQL
CREATE DATABASE "$POSTGRES_DB";
SQL
  fi
fi
[ "${1:-}" = postgres ] && shift
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
