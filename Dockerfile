# One image for every learnloop process (worker, training worker, router); the command picks the role.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# npm 10 (this image's) runs dependency install scripts that package.json's allowScripts denies to npm 11; the
# variable keeps onnxruntime-node's from downloading CUDA parts learnloop does not use.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --omit=dev
COPY . .
ENV LEARNLOOP_HOME=/var/lib/learnloop
RUN node bin/learnloop.js fetch-model
ENTRYPOINT ["node", "bin/learnloop.js"]
CMD ["--help"]
