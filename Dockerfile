# syntax=docker/dockerfile:1
# Portfolio: one image for every role (`serve`, `gateway`, `metadata`, `blobs`,
# `consumer referrers|gc-feed`, `collector`, `gc`); the role is the command.
#
#   docker build -t portfolio .
#   docker run --rm -p 5000:5000 -e PORTFOLIO_HOST=0.0.0.0 portfolio          # embedded `serve`
#   docker run --rm portfolio gateway                                           # one split role
#
# Not built on the development machines (they have no Docker engine): written
# to be read, and kept deliberately plain.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------- build stage
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so that `npm ci` stays cached while only sources change.
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/http-metrics/package.json packages/http-metrics/
COPY packages/proto/package.json packages/proto/
COPY services/blobs/package.json services/blobs/
COPY services/gateway/package.json services/gateway/
COPY services/gc/package.json services/gc/
COPY services/metadata/package.json services/metadata/
COPY services/portfolio/package.json services/portfolio/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json turbo.json ./
COPY prisma prisma
COPY proto proto
COPY packages packages
COPY services services
# turbo runs `generate` (the Prisma client, into services/metadata/src/generated)
# before each `build` (tsc into dist/).
RUN npm run build

# -------------------------------------------------------------- runtime stage
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# A smaller young generation: less resident memory at no measurable
# throughput cost; and a floor under the old generation's limit, without
# which the buffers of streamed blobs set off a full collection every few
# dozen MB (docs/configuration.md, Memory). The metadata role needs only the
# first (deploy/k8s, docker-compose.yml).
ENV NODE_OPTIONS="--max-semi-space-size=4 --initial-old-space-size=64"
# For every role in every deployment of this image (bench/run.sh reads it from
# here): glibc's malloc keeps up to 32 MiB of freed memory instead of handing
# it back at once, and takes buffers up to 1 MiB (the gateway's reads from
# object storage) from its heap rather than mapping each: streamed blobs
# allocate a buffer per socket read, and giving the pages back and faulting
# them in again cost a third to a half of a pull's CPU. One arena for all
# threads: V8's worker threads otherwise keep a second one of 35–40 MiB
# (docs/configuration.md, Memory).
ENV GLIBC_TUNABLES=glibc.malloc.trim_threshold=33554432:glibc.malloc.mmap_threshold=1114112:glibc.malloc.arena_max=1
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/http-metrics/package.json packages/http-metrics/
COPY packages/proto/package.json packages/proto/
COPY services/blobs/package.json services/blobs/
COPY services/gateway/package.json services/gateway/
COPY services/gc/package.json services/gc/
COPY services/metadata/package.json services/metadata/
COPY services/portfolio/package.json services/portfolio/
# Production dependencies only; the workspaces are linked into node_modules/@portfolio.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/packages/core/dist packages/core/dist
COPY --from=build /app/packages/http-metrics/dist packages/http-metrics/dist
COPY --from=build /app/packages/proto/dist packages/proto/dist
COPY --from=build /app/services/blobs/dist services/blobs/dist
COPY --from=build /app/services/gateway/dist services/gateway/dist
COPY --from=build /app/services/gc/dist services/gc/dist
COPY --from=build /app/services/metadata/dist services/metadata/dist
COPY --from=build /app/services/portfolio/dist services/portfolio/dist
# The metadata service applies these at start (services/metadata/dist/../../../prisma/migrations).
COPY prisma/migrations prisma/migrations

# The image's own `node` user (uid 1000); numeric, so that Kubernetes'
# runAsNonRoot can verify it. /data is for the embedded `serve` and filesystem
# storage; mount a volume there.
RUN mkdir -p /data && chown 1000:1000 /data
ENV PORTFOLIO_DATA_DIR=/data
USER 1000:1000
EXPOSE 5000 5001 5002 5011 5021 5022
ENTRYPOINT ["node", "services/portfolio/dist/main.js"]
CMD ["serve"]
