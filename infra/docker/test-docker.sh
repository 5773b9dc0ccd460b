#!/usr/bin/env bash
# `pnpm test:docker`: the tests that need Docker, after the rest of `pnpm test` — the contract suites against servers
# testcontainers starts (infra/docker/test-containers.sh), then docker-compose.yml's walk-through
# (services/platform/test/docker). Images: local stand-ins (infra/docker/local-images/build.sh) unless
# STRATA_IMAGES=official, or unless the STRATA_*_IMAGE variables are set already.
#
#   bash infra/docker/test-docker.sh [containers|compose]   # both by default; fails when Docker does not answer
#   bash infra/docker/test-docker.sh --if-docker            # `pnpm test`: skips, saying so, when Docker does not
#                                                           # answer, except in CI (CI=true), where it fails
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if_docker=false
if [[ ${1:-} == --if-docker ]]; then if_docker=true; shift; fi
part=${1:-all}

if ! docker_error=$(docker info 2>&1 >/dev/null); then
  reason="Docker does not answer (\`docker info\`: ${docker_error##*$'\n'})"
  if $if_docker && [[ ${CI:-} != true ]]; then
    echo "test:docker: skipped: $reason. The contract suites ran above against the loopback servers." >&2
    exit 0
  fi
  echo "test:docker: $reason. Start Docker (infra/docker/dockerd.sh does on Debian), then run it again." >&2
  exit 1
fi

if [[ ${STRATA_IMAGES:-local} != official && -z ${STRATA_REDIS_IMAGE:-} ]]; then
  eval "$(bash infra/docker/local-images/build.sh)"
fi

started_at=$SECONDS
if [[ $part == all || $part == containers ]]; then bash infra/docker/test-containers.sh; fi
if [[ $part == all || $part == compose ]]; then STRATA_DOCKER_TESTS=1 pnpm exec vitest run --project docker; fi
echo "test:docker: passed in $((SECONDS - started_at))s" >&2
