#!/bin/sh
# The official apache/kafka image's configuration rule: KAFKA_FOO_BAR=x becomes foo.bar=x ("__" stands for "_");
# the JVM's own KAFKA_*_OPTS variables are not properties. CLUSTER_ID formats the storage once.
set -eu
props=/opt/kafka/config/server.properties
: > "$props"
env | grep '^KAFKA_' | while IFS='=' read -r name value; do
  case $name in KAFKA_HEAP_OPTS|KAFKA_OPTS|KAFKA_JVM_PERFORMANCE_OPTS|KAFKA_LOG4J_OPTS|KAFKA_JMX_OPTS) continue ;; esac
  key=$(printf '%s' "${name#KAFKA_}" | sed -e 's/__/\x01/g' -e 's/_/./g' -e 's/\x01/_/g' | tr '[:upper:]' '[:lower:]')
  printf '%s=%s\n' "$key" "$value" >> "$props"
done
grep -q '^log.dirs=' "$props" || echo 'log.dirs=/var/lib/kafka/data' >> "$props"
java_run() { exec_or_run=$1; shift; $exec_or_run java ${KAFKA_HEAP_OPTS:--Xmx512m} -Dlog4j.configuration=file:/opt/kafka/config/log4j.properties -Dkafka.logs.dir=/tmp -cp '/opt/kafka/libs/*' "$@"; }
java_run "" kafka.tools.StorageTool format -t "${CLUSTER_ID:?CLUSTER_ID names the KRaft cluster}" -c "$props" --ignore-formatted >/dev/null
java_run exec kafka.Kafka "$props"
