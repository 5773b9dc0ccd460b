# Stand-in for the tracing slot (Jaeger for Docker users): Zipkin's server from Maven Central, which takes the same
# Zipkin-format spans Jaeger's Zipkin collector does, on 9411.
ARG BASE
FROM ${BASE}
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY zipkin-server-*-exec.jar /opt/zipkin/zipkin.jar
EXPOSE 9411
CMD ["java", "-Xmx256m", "-jar", "/opt/zipkin/zipkin.jar"]
