# Redis standalone: the cache instance (6379; the machine's own Redis serves when it answers) and the queue instance
# (6380, append-only, for BullMQ). Also the Redis helpers the cluster and sentinel modules share.

REDIS_CACHE_PORT=6379
REDIS_QUEUE_PORT=6380

# rcli PORT ARGS... — redis-cli against one local port, never hanging on a stuck server.
rcli() {
  local port=$1
  shift
  timeout 3 redis-cli -h "$HOST" -p "$port" "$@" 2>/dev/null
}

redis_ping() { [[ $(rcli "$1" PING) == PONG ]]; }

# redis_info_field PORT SECTION FIELD — one field of INFO (or of CLUSTER INFO when SECTION is "cluster-info").
redis_info_field() {
  local text
  if [[ $2 == cluster-info ]]; then text=$(rcli "$1" CLUSTER INFO); else text=$(rcli "$1" INFO "$2"); fi
  tr -d '\r' <<<"$text" | sed -n "s/^$3://p"
}

redis_need() {
  need redis-server redis-server
  need redis-cli redis-tools
}

# redis_check NAME PORT — 0 when PORT answers PING (prints "already running"); 1 when the port is free; dies when the
# port is held by something that is not Redis.
redis_check() {
  if redis_ping "$2"; then
    running_note "$1" redis-server
    return 0
  fi
  port_open "$2" && die "$1: port $2 is in use by something that does not answer Redis PING"
  return 1
}

# redis_start [--keep] NAME PORT TEMPLATE [KEY=VALUE...] — renders infra/redis/TEMPLATE into NAME's dir in the state
# dir and starts redis-server on it (as a sentinel for sentinel.conf). With --keep an existing config is kept: Sentinel
# rewrites its own and its data nodes' configs (after a failover the primary is 6391), which a restart must not undo.
redis_start() {
  local keep=''
  if [[ $1 == --keep ]]; then
    keep=1
    shift
  fi
  local name=$1 port=$2 template=$3 dir="$STRATA_INFRA_DIR/$1" mode=()
  shift 3
  mkdir -p "$dir"
  [[ -n $keep && -s $dir/redis.conf ]] ||
    render "$INFRA_SRC/redis/$template" "$dir/redis.conf" BIND="$HOST" PORT="$port" DIR="$dir" "$@"
  [[ $template != sentinel.conf ]] || mode=(--sentinel)
  say "$name: starting on $HOST:$port"
  spawn "$name" redis-server "$dir/redis.conf" "${mode[@]}"
}

redis::up() {
  redis_need
  redis_check redis-cache "$REDIS_CACHE_PORT" || redis_start redis-cache "$REDIS_CACHE_PORT" cache.conf
  redis_check redis-queue "$REDIS_QUEUE_PORT" || redis_start redis-queue "$REDIS_QUEUE_PORT" queue.conf
}

redis::wait() {
  wait_for 10 "redis-cache" redis_ping "$REDIS_CACHE_PORT" || return 1
  wait_for 10 "redis-queue" redis_ping "$REDIS_QUEUE_PORT"
}

redis::down() {
  stop_owned redis-queue redis-server
  stop_owned redis-cache redis-server
}

redis::status() {
  local name port detail
  for name in cache queue; do
    if [[ $name == cache ]]; then port=$REDIS_CACHE_PORT; else port=$REDIS_QUEUE_PORT; fi
    if redis_ping "$port"; then
      detail="redis $(redis_info_field "$port" server redis_version)"
      [[ $name == queue ]] && detail+=", appendonly=$(rcli "$port" CONFIG GET appendonly | tail -n 1)"
      row "redis-$name" "$HOST:$port" up "$(owner "redis-$name" redis-server)" "$detail"
    else
      row "redis-$name" "$HOST:$port" down - -
    fi
  done
}

redis::purge() { purge "$STRATA_INFRA_DIR/redis-cache" "$STRATA_INFRA_DIR/redis-queue"; }
