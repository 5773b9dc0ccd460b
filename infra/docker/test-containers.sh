#!/usr/bin/env bash
# `pnpm test:containers`: the store, transport and queue contract suites against servers that testcontainers starts
# (STRATA_SERVERS=containers), plus the testkit's own container-mode test. Images default to the official ones;
# STRATA_REDIS_IMAGE, STRATA_MEMCACHED_IMAGE, STRATA_KAFKA_IMAGE, STRATA_POSTGRES_IMAGE point elsewhere (on a
# machine without a registry: eval "$(infra/docker/local-images/build.sh)" first).
#
#   bash infra/docker/test-containers.sh [vitest args...]   # fails when Docker does not answer
#   bash infra/docker/test-containers.sh --if-docker        # `pnpm test`: skips, saying so, when Docker does not
#                                                           # answer, except in CI (CI=true), where it fails
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if_docker=false
if [[ ${1:-} == --if-docker ]]; then if_docker=true; shift; fi

if ! docker_error=$(docker info 2>&1 >/dev/null); then
  reason="Docker does not answer (\`docker info\`: ${docker_error##*$'\n'})"
  if $if_docker && [[ ${CI:-} != true ]]; then
    echo "test:containers: skipped: $reason. The same suites ran above against the loopback servers." >&2
    exit 0
  fi
  echo "test:containers: $reason. Start Docker, or run the suites against \`pnpm infra:up\`'s servers with vitest." >&2
  exit 1
fi

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
