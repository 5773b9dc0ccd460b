# Stand-in for node:20-bookworm-slim: the build machine's Node.js with npm and corepack, a `node` user (uid 1000).
ARG BASE
FROM ${BASE}
COPY node /usr/local/bin/node
COPY node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack \
 && rm -rf /usr/local/lib/node_modules/pnpm \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# npm and Node use the system trust store (the base carries the build machine's).
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
