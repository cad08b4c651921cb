# recprep: the recprepd service and the recprep CLI in one small image.
#
# Build (see deploy/README.md; on machines with no registry, ../shared/DOCKER.md
# style: a local debian:bookworm-slim and --network=host):
#   docker build --network=host -t recprep .
# Run with the built-in demo dataset:
#   docker run --rm -p 8080:8080 recprep
# Run with your own data, mounted read-only at /data:
#   docker run --rm -p 8080:8080 -v "$PWD/data:/data:ro" \
#     -e RECPREP_DATASETS="beauty=/data/ratings_Beauty.csv" recprep

# ---- build stage: compiler, -dev packages, the core's tests -----------------
FROM debian:bookworm-slim AS build

ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gcc libc6-dev make cmake pkg-config \
        libmicrohttpd-dev libjansson-dev zlib1g-dev nettle-dev uthash-dev libyaml-dev \
        check libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# Build everything, run the core's unit and golden tests (the server's
# end-to-end tests run in CI, outside the image build), install stripped
# binaries into /out.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
    && cmake --build /build -j"$(nproc)" \
    && ctest --test-dir /build -L 'unit|golden|deploy' -LE 'e2e' --output-on-failure \
    && install -D -m 0755 -s /build/recprepd /out/usr/local/bin/recprepd \
    && install -D -m 0755 -s /build/recprep /out/usr/local/bin/recprep

# ---- run stage: runtime libraries only ---------------------------------------
FROM debian:bookworm-slim

ARG DEBIAN_FRONTEND=noninteractive
# curl serves the HEALTHCHECK and lets a trainer container built from this
# image fetch files (deploy/docker-compose.yml).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libjansson4 zlib1g libnettle8 curl \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
    && groupadd --system --gid 10001 recprep \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/recprep \
        --shell /usr/sbin/nologin recprep \
    && install -d -o recprep -g recprep -m 0755 /var/lib/recprep \
    && install -d -m 0755 /data

COPY --from=build /out/ /

# Listen on every interface inside the container; datasets come from the
# read-only /data volume, named through RECPREP_DATASETS ("name=/data/file;...").
# Unset RECPREP_DATASETS serves the built-in demo dataset.
ENV RECPREP_LISTEN=0.0.0.0:8080
VOLUME ["/data"]
WORKDIR /var/lib/recprep
USER 10001:10001
EXPOSE 8080

# Ready once every dataset is loaded (override it if you change the port).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/readyz"]

# recprepd finishes in-flight responses on SIGTERM and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/recprepd"]
