# Redis Cluster: 6 nodes on 7000-7005, 3 primaries + 3 replicas, formed by `redis-cli --cluster create`.

CLUSTER_PORTS=(7000 7001 7002 7003 7004 7005)

cluster_node() { echo "redis-cluster-$1"; }

# True when every node sees a healthy cluster of 6 with all slots served and every replica in sync.
cluster_ready() {
  local port info synced=0
  for port in "${CLUSTER_PORTS[@]}"; do
    info=$(rcli "$port" CLUSTER INFO | tr -d '\r')
    [[ $info == *cluster_state:ok* && $info == *cluster_slots_ok:16384* && $info == *cluster_known_nodes:6* ]] ||
      return 1
    [[ $(redis_info_field "$port" replication master_link_status) == up ]] && synced=$((synced + 1))
  done
  ((synced == 3))
}

# True when a node has never joined a cluster (knows only itself, serves no slot).
cluster_node_blank() {
  local info
  info=$(rcli "$1" CLUSTER INFO | tr -d '\r')
  [[ $info == *cluster_known_nodes:1$'\n'* && $info == *cluster_slots_assigned:0* ]]
}

redis_cluster::up() {
  redis_need
  local port started=0 ours=0 addrs=()
  for port in "${CLUSTER_PORTS[@]}"; do
    addrs+=("$HOST:$port")
    if ! redis_check "$(cluster_node "$port")" "$port"; then
      redis_start "$(cluster_node "$port")" "$port" cluster-node.conf
      started=$((started + 1))
    fi
    owned_pid "$(cluster_node "$port")" redis-server >/dev/null && ours=$((ours + 1))
  done
  ((started > 0)) || return 0
  for port in "${CLUSTER_PORTS[@]}"; do
    wait_for 10 "$(cluster_node "$port")" redis_ping "$port" || die "$(cluster_node "$port") did not answer PING"
  done
  # Form the cluster only out of our own blank nodes; restarted nodes rejoin by themselves from nodes.conf.
  for port in "${CLUSTER_PORTS[@]}"; do
    cluster_node_blank "$port" || return 0
  done
  ((ours == ${#CLUSTER_PORTS[@]})) || die "redis-cluster: blank nodes not started by strata on 7000-7005; not touching them"
  say "redis-cluster: creating the cluster (3 primaries, 3 replicas)"
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >>"$LOG_DIR/redis-cluster-create.log" 2>&1 ||
    die "redis-cli --cluster create failed; see $LOG_DIR/redis-cluster-create.log"
}

redis_cluster::wait() {
  wait_for 60 "redis-cluster (cluster_state:ok, 6 nodes, 3 replicas in sync)" cluster_ready
}

redis_cluster::down() {
  local port
  for port in "${CLUSTER_PORTS[@]}"; do stop_owned "$(cluster_node "$port")" redis-server; done
}

redis_cluster::status() {
  local port answering=0 first='' names=() info state
  for port in "${CLUSTER_PORTS[@]}"; do
    names+=("$(cluster_node "$port")")
    if redis_ping "$port"; then
      answering=$((answering + 1))
      first=${first:-$port}
    fi
  done
  local address="$HOST:${CLUSTER_PORTS[0]}-${CLUSTER_PORTS[-1]}"
  if [[ -z $first ]]; then
    row redis-cluster "$address" down - -
    return
  fi
  info=$(rcli "$first" CLUSTER INFO | tr -d '\r') || true
  state=degraded
  cluster_ready && state=up
  row redis-cluster "$address" "$state" "$(group_owner redis-server "${names[@]}")" \
    "$answering/6 answering, $(grep -E '^cluster_state:' <<<"$info"), $(grep -E '^cluster_known_nodes:' <<<"$info")"
}

redis_cluster::purge() {
  local port
  for port in "${CLUSTER_PORTS[@]}"; do purge "$STRATA_INFRA_DIR/$(cluster_node "$port")"; done
}
