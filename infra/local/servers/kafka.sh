# Apache Kafka 3.9 in KRaft mode, one node that is both broker (9092) and controller (9093), run from the Maven
# Central jars that infra/kafka/pom.xml lists.

KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
KAFKA_HOME=$STRATA_INFRA_DIR/kafka
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$INFRA_SRC/kafka/pom.xml")
KAFKA_LIB=$KAFKA_HOME/lib-$KAFKA_VERSION

# kafka_metadata — "brokers=... controller=..." from a Metadata request to the broker; fails when it does not answer.
kafka_metadata() {
  timeout 5 node "$INFRA_SRC/local/kafka-metadata.mjs" "$HOST:$KAFKA_PORT" 2>/dev/null
}

kafka_ready() { kafka_metadata >/dev/null; }

# The jars are fetched once per Kafka version; a half-finished download never counts (it is renamed into place).
kafka_fetch_jars() {
  [[ -f $KAFKA_LIB/.complete ]] && return 0
  need java default-jre-headless
  need mvn maven
  say "kafka: fetching Kafka $KAFKA_VERSION jars from Maven Central (once)"
  rm -rf "$KAFKA_LIB.partial"
  mvn -q -B -Dstyle.color=never -f "$INFRA_SRC/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIB.partial" >>"$LOG_DIR/kafka-maven.log" 2>&1 ||
    die "kafka: maven could not fetch the jars; see $LOG_DIR/kafka-maven.log"
  rm -rf "$INFRA_SRC/kafka/target"
  touch "$KAFKA_LIB.partial/.complete"
  rm -rf "$KAFKA_LIB"
  mv "$KAFKA_LIB.partial" "$KAFKA_LIB"
}

KAFKA_JAVA=(java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
  -Djava.awt.headless=true -Dkafka.logs.dir="$KAFKA_HOME/logs" -Dlog4j.configuration="file:$KAFKA_HOME/log4j.properties"
  -cp "$KAFKA_LIB/*")

kafka::up() {
  local pid
  if kafka_ready; then
    running_note kafka java
    return 0
  fi
  if pid=$(owned_pid kafka java); then
    say "kafka: still starting (strata, pid $pid)"
    return 0
  fi
  port_open "$KAFKA_PORT" && die "kafka: port $KAFKA_PORT is in use by something that does not answer Kafka"
  port_open "$KAFKA_CONTROLLER_PORT" && die "kafka: controller port $KAFKA_CONTROLLER_PORT is already in use"
  need java default-jre-headless
  kafka_fetch_jars

  mkdir -p "$KAFKA_HOME/data" "$KAFKA_HOME/logs"
  render "$INFRA_SRC/kafka/server.properties" "$KAFKA_HOME/server.properties" \
    HOST="$HOST" PORT="$KAFKA_PORT" CONTROLLER_PORT="$KAFKA_CONTROLLER_PORT" DATA_DIR="$KAFKA_HOME/data"
  cp "$INFRA_SRC/kafka/log4j.properties" "$KAFKA_HOME/log4j.properties"
  if [[ ! -f $KAFKA_HOME/data/meta.properties ]]; then
    local cluster_id
    cluster_id=$("${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid 2>>"$LOG_DIR/kafka-format.log")
    say "kafka: formatting storage (cluster id $cluster_id)"
    "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_HOME/server.properties" --ignore-formatted \
      >>"$LOG_DIR/kafka-format.log" 2>&1 || die "kafka: storage format failed; see $LOG_DIR/kafka-format.log"
  fi
  say "kafka: starting on $HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
  spawn kafka "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_HOME/server.properties"
}

kafka::wait() {
  wait_for 120 "kafka (metadata from $HOST:$KAFKA_PORT)" kafka_ready && return 0
  warn "kafka: see $KAFKA_HOME/logs/server.log and $LOG_DIR/kafka.log"
  return 1
}

kafka::down() {
  stop_owned kafka java
}

kafka::status() {
  local metadata
  if metadata=$(kafka_metadata); then
    row kafka "$HOST:$KAFKA_PORT" up "$(owner kafka java)" "$metadata"
  else
    row kafka "$HOST:$KAFKA_PORT" down - -
  fi
}

# The jars stay: they are a download, not state.
kafka::purge() { purge "$KAFKA_HOME/data" "$KAFKA_HOME/logs"; }
