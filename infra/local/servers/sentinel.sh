# Redis Sentinel group: primary 6390, replica 6391, sentinels 26379-26381 watching "strata-primary" (quorum 2).

SENTINEL_MASTER_NAME=strata-primary
SENTINEL_DATA_PORTS=(6390 6391)
SENTINEL_PORTS=(26379 26380 26381)

# sentinel_field PORT FIELD — one field of `SENTINEL MASTER strata-primary` as seen by the sentinel on PORT.
sentinel_field() {
  rcli "$1" SENTINEL MASTER "$SENTINEL_MASTER_NAME" | awk -v key="$2" 'previous == key { print; exit } { previous = $0 }'
}

# True when all three sentinels agree on a primary that answers with a replica in sync, each sees the two others,
# and a quorum is reachable (so a failover test can start at once).
sentinel_ready() {
  local port address='' seen replicas
  for port in "${SENTINEL_PORTS[@]}"; do
    seen=$(rcli "$port" SENTINEL GET-MASTER-ADDR-BY-NAME "$SENTINEL_MASTER_NAME" | paste -sd: -) || return 1
    [[ -n $seen && ${address:=$seen} == "$seen" ]] || return 1
    [[ $(sentinel_field "$port" flags) == master ]] || return 1
    [[ $(sentinel_field "$port" num-other-sentinels) == 2 ]] || return 1
    [[ $(rcli "$port" SENTINEL CKQUORUM "$SENTINEL_MASTER_NAME") == OK* ]] || return 1
  done
  replicas=$(redis_info_field "${address##*:}" replication connected_slaves)
  ((${replicas:-0} >= 1))
}

sentinel::up() {
  redis_need
  local primary=${SENTINEL_DATA_PORTS[0]} replica=${SENTINEL_DATA_PORTS[1]} port
  redis_check "sentinel-data-$primary" "$primary" ||
    redis_start --keep "sentinel-data-$primary" "$primary" sentinel-node.conf REPLICAOF=""
  redis_check "sentinel-data-$replica" "$replica" ||
    redis_start --keep "sentinel-data-$replica" "$replica" sentinel-node.conf REPLICAOF="replicaof $HOST $primary"
  for port in "${SENTINEL_PORTS[@]}"; do
    redis_check "sentinel-$port" "$port" ||
      redis_start --keep "sentinel-$port" "$port" sentinel.conf \
        MASTER_NAME="$SENTINEL_MASTER_NAME" MASTER_HOST="$HOST" MASTER_PORT="$primary"
  done
}

sentinel::wait() {
  wait_for 45 "sentinel group (primary, replica, 3 sentinels agreeing)" sentinel_ready
}

sentinel::down() {
  local port
  for port in "${SENTINEL_PORTS[@]}"; do stop_owned "sentinel-$port" redis-server; done
  for port in "${SENTINEL_DATA_PORTS[@]}"; do stop_owned "sentinel-data-$port" redis-server; done
}

sentinel::status() {
  local port names=() answering=0 first=''
  for port in "${SENTINEL_DATA_PORTS[@]}"; do names+=("sentinel-data-$port"); done
  for port in "${SENTINEL_PORTS[@]}"; do
    names+=("sentinel-$port")
    if redis_ping "$port"; then
      answering=$((answering + 1))
      first=${first:-$port}
    fi
  done
  local address="$HOST:${SENTINEL_PORTS[0]}-${SENTINEL_PORTS[-1]}"
  if [[ -z $first ]]; then
    row redis-sentinel "$address" down - -
    return
  fi
  local state=degraded master
  sentinel_ready && state=up
  master=$(rcli "$first" SENTINEL GET-MASTER-ADDR-BY-NAME "$SENTINEL_MASTER_NAME" | paste -sd: -) || true
  row redis-sentinel "$address" "$state" "$(group_owner redis-server "${names[@]}")" \
    "$answering/3 sentinels, $SENTINEL_MASTER_NAME at ${master:-unknown}, replicas $(sentinel_field "$first" num-slaves)"
}

sentinel::purge() {
  local port
  for port in "${SENTINEL_DATA_PORTS[@]}"; do purge "$STRATA_INFRA_DIR/sentinel-data-$port"; done
  for port in "${SENTINEL_PORTS[@]}"; do purge "$STRATA_INFRA_DIR/sentinel-$port"; done
}
