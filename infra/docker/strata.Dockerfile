# One image for every Strata service: `docker run strata <service>` (gateway, invalidator, write-behind, cdc, warmer,
# analytics, alerting), plus `demo-origin` (the walk-through's product service) and `keygen`. Build from the repo root:
#   docker build -f infra/docker/strata.Dockerfile -t strata .
# NODE_IMAGE is the official node image by default; CI builds from a local stand-in (infra/docker/local-images).
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE}
ENV CI=true PNPM_HOME=/usr/local/pnpm PATH=/usr/local/pnpm:$PATH
RUN npm install -g --no-fund --no-audit --loglevel=error pnpm@9.15.9
WORKDIR /app
# Dependencies first (a layer that changes only with the lockfile), then the sources, installed offline from it.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch --loglevel=warn
COPY . .
RUN pnpm install --offline --frozen-lockfile --loglevel=warn \
 && pnpm console:build >/dev/null \
 && ln -s /app/packages/cli/bin/strata.js /usr/local/bin/strata \
 && install -d -o node -g node /run/strata
ENV STRATA_CONFIG_FILE=/etc/strata/strata.yaml NODE_ENV=production
USER node
ENTRYPOINT ["/app/infra/docker/strata-service.sh"]
CMD ["gateway"]
