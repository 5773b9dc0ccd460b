# Stand-in for memcached:1.6.
ARG BASE
FROM ${BASE}
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends memcached >/dev/null && rm -rf /var/lib/apt/lists/*
USER memcache
EXPOSE 11211
CMD ["memcached"]
