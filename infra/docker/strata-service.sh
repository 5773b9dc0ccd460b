#!/bin/sh
# The Strata image's entry point: `strata-service <service> [args]` runs one service from its TypeScript sources
# (through tsx, with OpenTelemetry registered first). `keygen` writes the deployment's bootstrap admin key to
# $STRATA_ADMIN_KEY_FILE once; every service started later reads it from there (when the variables are unset) as
# its bootstrap admin key and as the key it scrapes other services' /metrics with.
set -eu
cd /app
key_file=${STRATA_ADMIN_KEY_FILE:-/run/strata/admin-key}
service=${1:-}
[ $# -gt 0 ] && shift

if [ "$service" = keygen ]; then
  if [ -s "$key_file" ]; then
    echo "admin key already in $key_file (docker compose exec gateway cat $key_file)"
  else
    umask 022
    node --import tsx services/gateway/src/keygen.ts | tr -d '\n' > "$key_file.partial" && mv "$key_file.partial" "$key_file"
    echo "admin key made: $(cat "$key_file")"
  fi
  exit 0
fi

if [ -s "$key_file" ]; then
  key=$(cat "$key_file")
  export STRATA_BOOTSTRAP_ADMIN_KEY="${STRATA_BOOTSTRAP_ADMIN_KEY:-$key}"
  export STRATA_ANALYTICS_SCRAPE_KEY="${STRATA_ANALYTICS_SCRAPE_KEY:-$key}"
  export STRATA_ALERTING_SCRAPE_KEY="${STRATA_ALERTING_SCRAPE_KEY:-$key}"
fi

case $service in
  demo-origin) cd services/platform && exec node --import tsx src/demo-origin-main.ts "$@" ;;
  gateway | invalidator | write-behind | cdc | warmer | analytics | alerting)
    cd "services/$service" && exec node --import tsx --import @strata/telemetry/register src/main.ts "$@" ;;
  strata) exec strata "$@" ;;
  *)
    echo "usage: strata-service <gateway|invalidator|write-behind|cdc|warmer|analytics|alerting|demo-origin|keygen|strata> [args]" >&2
    exit 2 ;;
esac
