#!/usr/bin/env bash
# Builds, on a machine that reaches no image registry, local stand-ins for the official images docker-compose.yml
# names (node, redis, memcached, postgres, apache/kafka, nginx, prometheus; Zipkin in the tracing slot), from a Debian
# base made with debootstrap and Debian's packages, and prints the STRATA_*_IMAGE variables that point compose at them.
# Docker users never need this: compose defaults to the official images.
#
#   eval "$(infra/docker/local-images/build.sh)"   # then docker-compose build / up as usual
#
# Each image is rebuilt only when its Dockerfile or inputs change (docker's layer cache); the base only once.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../local/lib.sh"
source "$here/../../local/servers/kafka.sh"
source "$here/../../local/servers/zipkin.sh"
exec 3>&1 1>&2 # progress on stderr; stdout carries only the variables

TAG=strata-local
BASE=$TAG/debian:bookworm

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  need debootstrap debootstrap
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  say "docker: debootstrap bookworm (minbase) from ${mirror:-http://deb.debian.org/debian}"
  debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >"$LOG_DIR/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $LOG_DIR/debootstrap.log"
  # The host's trust store goes in: where egress passes a TLS-inspecting proxy, apt, npm and curl inside the builds
  # must trust what the host trusts.
  mkdir -p "$rootfs/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
  rm -rf "$rootfs/var/cache/apt/archives/"*.deb
  tar -C "$rootfs" -c . | docker import -c 'ENV LANG=C.UTF-8' -c 'CMD ["bash"]' - "$BASE" >/dev/null
  rm -rf "$rootfs"; trap - EXIT
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT

# build NAME DOCKERFILE [FILE...] — builds $TAG/NAME:local from DOCKERFILE with the named files in its context.
build() {
  local name=$1 dockerfile=$2; shift 2
  rm -rf "${context:?}"/*
  cp "$here/$dockerfile" "$context/Dockerfile"
  for file in "$@"; do cp -a "$file" "$context/"; done
  say "docker: building $TAG/$name:local"
  docker build -q --force-rm --build-arg BASE="$BASE" -t "$TAG/$name:local" "$context" >/dev/null 2>"$LOG_DIR/docker-build-$name.log" ||
    die "docker: building $TAG/$name:local failed; see $LOG_DIR/docker-build-$name.log"
}

# Node: the machine's own Node.js runtime (Debian's is older than the project needs), with npm and corepack.
node_root=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
build node node.Dockerfile "$(readlink -f "$(command -v node)")" "$node_root/lib/node_modules"
build redis redis.Dockerfile
build memcached memcached.Dockerfile
build postgres postgres.Dockerfile "$here/postgres-entrypoint.sh"
kafka_fetch_jars
build kafka kafka.Dockerfile "$KAFKA_LIB" "$here/kafka-entrypoint.sh" "$INFRA_SRC/kafka/log4j.properties"
build nginx nginx.Dockerfile
build prometheus prometheus.Dockerfile
zipkin_fetch_jar
build zipkin zipkin.Dockerfile "$ZIPKIN_JAR"

cat >&3 <<VARS
export STRATA_NODE_IMAGE=$TAG/node:local
export STRATA_REDIS_IMAGE=$TAG/redis:local
export STRATA_MEMCACHED_IMAGE=$TAG/memcached:local
export STRATA_POSTGRES_IMAGE=$TAG/postgres:local
export STRATA_KAFKA_IMAGE=$TAG/kafka:local
export STRATA_NGINX_IMAGE=$TAG/nginx:local
export STRATA_PROMETHEUS_IMAGE=$TAG/prometheus:local
export STRATA_TRACING_IMAGE=$TAG/zipkin:local
VARS
