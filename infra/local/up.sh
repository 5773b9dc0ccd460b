#!/usr/bin/env bash
# Starts the real servers on loopback that Strata's adapters and tests use (see infra/README.md). Idempotent: a server
# whose port already answers for real is reused and nothing is started for it. Usage: up.sh [module...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_modules
take_lock

selected=("$@")
((${#selected[@]})) || mapfile -t selected < <(default_modules)
for module in "${selected[@]}"; do
  declare -F "$module::up" >/dev/null || die "unknown module '$module' (one of: ${MODULES[*]})"
done

started_at=$SECONDS
say "state in $STRATA_INFRA_DIR"
# Not a server we start: the load-balancer tests run their own nginx in front of several gateways.
((${#@})) || need nginx nginx
# Start everything first, then wait: Kafka's JVM and the Sentinel handshake overlap with the other starts.
for module in "${selected[@]}"; do "$module::up"; done
for module in "${selected[@]}"; do
  if ! "$module::wait"; then
    # A reused server can vanish meanwhile (another clone's test stopped it): converge once more.
    say "$module: not ready; checking again"
    "$module::up"
    "$module::wait" || die "$module did not come up; \`pnpm infra:status\` and the logs in $LOG_DIR say why"
  fi
done
say "all servers ready ($((SECONDS - started_at))s); \`pnpm infra:status\` shows them"
