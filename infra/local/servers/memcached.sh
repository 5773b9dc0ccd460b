# Memcached: two instances (11211, 11212), so that pools and consistent hashing have two real servers to spread over.

MEMCACHED_PORTS=(11211 11212)
MEMCACHED_MEMORY_MB=${STRATA_MEMCACHED_MB:-64}
# -I 2m: the engine's default maxValueBytes is 1 MiB, and an item also holds its key and header.

# memcached_version PORT — the server's answer to `version` (e.g. "VERSION 1.6.18"); fails when nothing answers.
memcached_version() {
  local reply
  # shellcheck disable=SC2016
  reply=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "version\r\n" >&3 && IFS= read -r line <&3 && echo "$line"' \
    "$HOST" "$1" 2>/dev/null) || return 1
  reply=${reply%$'\r'}
  [[ $reply == VERSION* ]] || return 1
  echo "$reply"
}

memcached::up() {
  local port user=()
  for port in "${MEMCACHED_PORTS[@]}"; do
    if memcached_version "$port" >/dev/null; then
      running_note "memcached-$port" memcached
      continue
    fi
    port_open "$port" && die "memcached-$port: port $port is in use by something that does not answer memcached"
    need memcached memcached
    # memcached refuses to run as root unless told which user to become.
    if ((EUID == 0)); then
      if id memcache >/dev/null 2>&1; then user=(-u memcache); else user=(-u root); fi
    fi
    say "memcached-$port: starting on $HOST:$port"
    spawn "memcached-$port" memcached -l "$HOST" -p "$port" -U 0 -m "$MEMCACHED_MEMORY_MB" -I 2m -c 1024 "${user[@]}"
  done
}

memcached::wait() {
  local port
  for port in "${MEMCACHED_PORTS[@]}"; do
    wait_for 10 "memcached-$port" memcached_version "$port" >/dev/null || return 1
  done
}

memcached::down() {
  local port
  for port in "${MEMCACHED_PORTS[@]}"; do stop_owned "memcached-$port" memcached; done
}

memcached::status() {
  local port version
  for port in "${MEMCACHED_PORTS[@]}"; do
    if version=$(memcached_version "$port"); then
      row "memcached-$port" "$HOST:$port" up "$(owner "memcached-$port" memcached)" "${version,,}"
    else
      row "memcached-$port" "$HOST:$port" down - -
    fi
  done
}

# Memcached keeps nothing on disk.
memcached::purge() { :; }
