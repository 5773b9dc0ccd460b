#!/usr/bin/env bash
# Makes sure a Docker engine answers, for the compose and container tests (`pnpm test:docker`): installs Debian's
# docker.io, docker-compose (v1) and debootstrap when missing, and starts dockerd when none runs (no systemd here),
# publishing ports on loopback only. Prints the pid of a dockerd it started (nothing when one was running), so the
# caller can stop what it started and only that.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../local/lib.sh"
exec 3>&1 1>&2 # stdout carries only the pid
need dockerd docker.io
need docker-compose docker-compose
need debootstrap debootstrap
docker info >/dev/null 2>&1 && exit 0
mkdir -p "$LOG_DIR"
say "docker: starting dockerd (ports published on 127.0.0.1; log $LOG_DIR/dockerd.log)"
# fd 3 (our stdout, a pipe to the caller's $(...)) is closed for dockerd: held open, the caller would wait forever.
setsid dockerd --ip 127.0.0.1 >"$LOG_DIR/dockerd.log" 2>&1 </dev/null 3>&- &
pid=$!
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && { echo "$pid" >&3; exit 0; }
  kill -0 "$pid" 2>/dev/null || die "docker: dockerd exited; see $LOG_DIR/dockerd.log"
  sleep 1
done
die "docker: dockerd did not answer within 60 s; see $LOG_DIR/dockerd.log"
