# syntax=docker/dockerfile:1
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The types of src are checked here; the build itself only emits.
RUN npx tsc -p tsconfig.build.json --noEmit && npm run build && npm prune --omit=dev

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY views ./views
COPY config ./config
# Generated keys land in .data unless the configuration points elsewhere (mount a volume there).
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
# libuv's pool signs ES384 and RS256 tokens: one thread per core, at least two, unless set
# (docs/operations.md: Several instances and cluster mode). exec leaves node as PID 1, to receive the stop signal itself.
CMD ["sh", "-c", "n=$(nproc); export UV_THREADPOOL_SIZE=${UV_THREADPOOL_SIZE:-$(( n > 2 ? n : 2 ))}; exec node dist/main.js"]
