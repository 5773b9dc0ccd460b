# Zipkin, the tracing UI of the loopback servers (9411: UI at /zipkin/, span intake at /api/v2/spans, queries at
# /api/v2/...), run with the JDK from the server's `exec` jar on Maven Central, spans kept in memory only.
# STRATA_INFRA_ZIPKIN=off leaves it out of a plain `up.sh`; `up.sh zipkin` starts it regardless.

ZIPKIN_PORT=${STRATA_ZIPKIN_PORT:-9411}
ZIPKIN_VERSION=3.6.1
# Checked against the download, so a truncated or substituted jar is never run.
ZIPKIN_SHA256=d8326e0ed4f43855dba81228f688554706e52578a7c782d9a90b73f8680654a1
ZIPKIN_HOME=$STRATA_INFRA_DIR/zipkin
ZIPKIN_JAR=$ZIPKIN_HOME/zipkin-server-$ZIPKIN_VERSION-exec.jar
ZIPKIN_URL=https://repo1.maven.org/maven2/io/zipkin/zipkin-server/$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar
# The in-memory store evicts the oldest traces past this many spans; with the heap below it stays well inside 256 MiB
# however many test runs send their traces.
ZIPKIN_MAX_SPANS=${STRATA_ZIPKIN_MAX_SPANS:-100000}

# Whether a plain `up.sh` (no modules named) starts it.
zipkin::enabled() { [[ ${STRATA_INFRA_ZIPKIN:-on} != off ]]; }

# zipkin_health — Zipkin's /health answer ({"status":"UP",...}); fails when nothing (or something else) answers.
zipkin_health() {
  local body
  body=$(curl -fsS --max-time 2 "http://$HOST:$ZIPKIN_PORT/health" 2>/dev/null) || return 1
  [[ $body == *'"zipkin"'* && $body == *'"UP"'* ]] || return 1
  echo "$body"
}

zipkin_ready() { zipkin_health >/dev/null; }

# The jar is fetched once per version into a .partial file and renamed into place only when its checksum matches.
zipkin_fetch_jar() {
  [[ -f $ZIPKIN_JAR ]] && return 0
  mkdir -p "$ZIPKIN_HOME"
  say "zipkin: fetching zipkin-server $ZIPKIN_VERSION (exec jar, 135 MB) from Maven Central (once)"
  curl -fsSL --retry 3 -o "$ZIPKIN_JAR.partial" "$ZIPKIN_URL" || die "zipkin: could not download $ZIPKIN_URL"
  local sum
  sum=$(sha256sum "$ZIPKIN_JAR.partial")
  sum=${sum%% *}
  [[ $sum == "$ZIPKIN_SHA256" ]] || {
    rm -f "$ZIPKIN_JAR.partial"
    die "zipkin: $ZIPKIN_URL has sha256 $sum, expected $ZIPKIN_SHA256"
  }
  mv "$ZIPKIN_JAR.partial" "$ZIPKIN_JAR"
}

zipkin::up() {
  local pid
  # Its health check and download are HTTP: curl first, or a running Zipkin would look like a stranger on the port.
  need curl curl
  if zipkin_ready; then
    running_note zipkin java
    return 0
  fi
  if pid=$(owned_pid zipkin java); then
    say "zipkin: still starting (strata, pid $pid)"
    return 0
  fi
  port_open "$ZIPKIN_PORT" && die "zipkin: port $ZIPKIN_PORT is in use by something that does not answer as Zipkin"
  need java default-jre-headless
  zipkin_fetch_jar
  say "zipkin: starting on $HOST:$ZIPKIN_PORT (in-memory storage, UI at http://$HOST:$ZIPKIN_PORT/zipkin/)"
  # Loopback only, like every other server here; a small heap and one GC thread: it shares the machine with the tests.
  spawn zipkin env STORAGE_TYPE=mem MEM_MAX_SPANS="$ZIPKIN_MAX_SPANS" QUERY_PORT="$ZIPKIN_PORT" \
    java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Djava.awt.headless=true \
    -jar "$ZIPKIN_JAR" "--armeria.ports[0].ip=$HOST" "--armeria.ports[0].port=$ZIPKIN_PORT" \
    "--armeria.ports[0].protocols[0]=http" --logging.level.root=WARN
}

zipkin::wait() {
  wait_for 90 "zipkin ($HOST:$ZIPKIN_PORT/health)" zipkin_ready && return 0
  warn "zipkin: see $LOG_DIR/zipkin.log"
  return 1
}

zipkin::down() {
  stop_owned zipkin java
}

zipkin::status() {
  if zipkin_ready; then
    row zipkin "$HOST:$ZIPKIN_PORT" up "$(owner zipkin java)" "zipkin $ZIPKIN_VERSION, UI http://$HOST:$ZIPKIN_PORT/zipkin/"
  elif zipkin::enabled; then
    row zipkin "$HOST:$ZIPKIN_PORT" down - -
  else
    row zipkin "$HOST:$ZIPKIN_PORT" off - "STRATA_INFRA_ZIPKIN=off"
  fi
}

# Spans live in memory only; the jar stays: it is a download, not state.
zipkin::purge() { :; }
