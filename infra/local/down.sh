#!/usr/bin/env bash
# Stops the servers that up.sh started, by their recorded PIDs; servers started by anyone else are left alone.
# Usage: down.sh [--purge] [module...]   --purge also deletes their data (not the downloaded Kafka jars).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_modules
take_lock

purge=
selected=()
for arg in "$@"; do
  if [[ $arg == --purge ]]; then purge=1; else selected+=("$arg"); fi
done
((${#selected[@]})) || selected=("${MODULES[@]}")
for module in "${selected[@]}"; do
  declare -F "$module::down" >/dev/null || die "unknown module '$module' (one of: ${MODULES[*]})"
done

for ((i = ${#selected[@]} - 1; i >= 0; i--)); do "${selected[i]}::down"; done

if [[ -n $purge ]]; then
  for module in "${selected[@]}"; do "$module::purge"; done
fi
say "stopped what strata started; \`pnpm infra:status\` shows what still runs"
