# Stand-in for apache/kafka:3.9: the Kafka jars from Maven Central (those `pnpm infra:up` runs) on Debian's JRE,
# configured like the official image: every KAFKA_* variable becomes a server property, CLUSTER_ID formats storage.
ARG BASE
FROM ${BASE}
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /var/lib/kafka/data /opt/kafka/config
COPY lib-* /opt/kafka/libs/
COPY log4j.properties /opt/kafka/config/log4j.properties
COPY kafka-entrypoint.sh /opt/kafka/entrypoint.sh
EXPOSE 9092
CMD ["/opt/kafka/entrypoint.sh"]
