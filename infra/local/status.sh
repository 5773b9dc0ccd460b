#!/usr/bin/env bash
# Checks every server for real (PING, CLUSTER INFO, sentinel master lookup, memcached version, Kafka metadata,
# select 1, Zipkin's /health) and prints a table. Usage: status.sh [module...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_modules

selected=("$@")
((${#selected[@]})) || selected=(redis redis_cluster sentinel memcached kafka postgres zipkin)
row SERVER ADDRESS STATE STARTED-BY DETAIL
for module in "${selected[@]}"; do
  declare -F "$module::status" >/dev/null || die "unknown module '$module' (one of: ${MODULES[*]})"
  "$module::status"
done
printf '\nstate: %s\n' "$STRATA_INFRA_DIR"
