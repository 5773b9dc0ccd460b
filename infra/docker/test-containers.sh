#!/usr/bin/env bash
# The store, transport and queue contract suites against servers that testcontainers starts
# (STRATA_SERVERS=containers), plus the testkit's own container-mode test; `pnpm test:containers` and
# `pnpm test:docker` run it through test-docker.sh, which picks the images. Images default to the official ones;
# STRATA_REDIS_IMAGE, STRATA_MEMCACHED_IMAGE, STRATA_KAFKA_IMAGE, STRATA_POSTGRES_IMAGE point elsewhere.
#
#   bash infra/docker/test-containers.sh [vitest args...]   # test-docker.sh has checked that Docker answers
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

export STRATA_SERVERS=containers
# Ryuk, testcontainers' reaper, is an image of its own that a machine without a registry cannot pull; the testkit
# removes its containers itself (each test file's when it ends, the run's leftovers by label at teardown).
export TESTCONTAINERS_RYUK_DISABLED=${TESTCONTAINERS_RYUK_DISABLED:-true}
# Inside a container (a /.dockerenv), testcontainers would look for the servers at the Docker gateway; with the local
# daemon they publish on this machine's loopback.
if [[ -z ${DOCKER_HOST:-} || ${DOCKER_HOST} == unix://* ]]; then
  export TESTCONTAINERS_HOST_OVERRIDE=${TESTCONTAINERS_HOST_OVERRIDE:-127.0.0.1}
fi

started_at=$SECONDS
pnpm exec vitest run \
  packages/testkit/test/server-containers.containers.test.ts \
  packages/core/test/l2-redis.contract.test.ts \
  packages/core/test/l2-memcached.contract.test.ts \
  packages/bus/test/kafka-transport.contract.test.ts \
  packages/queue/test/job-queue-bullmq.contract.test.ts \
  "$@"
echo "test:containers: passed in $((SECONDS - started_at))s" >&2
