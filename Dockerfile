# syntax=docker/dockerfile:1
#
# frist container image.
#
#   docker build -t frist .
#   docker run -d -p 8080:8080 -v frist-data:/data frist            # SQLite in /data/frist.db
#   docker run --rm -it -v frist-data:/data frist user add --help     # any other subcommand
#
# Needs BuildKit (the default builder since Docker 23) for the cache mounts below.

ARG RUST_VERSION=1

# ---- build -----------------------------------------------------------------------------------
# The rust image already has what the build needs: a C compiler, make and perl (pq-sys builds
# libpq and OpenSSL from source, libsqlite3-sys compiles the bundled SQLite). The result links
# only against glibc, so it runs on the matching Debian release below.
FROM rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /src
COPY . .
# The registry and target/ live in cache mounts, so a rebuild after a source change recompiles
# only frist itself. A cache mount is not part of the image layer: copy the binary out of it in
# the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin frist \
 && install -D -m 0755 target/release/frist /out/frist

# ---- runtime ---------------------------------------------------------------------------------
FROM debian:bookworm-slim

# ca-certificates for TLS to PostgreSQL/SMTP, curl for the health check.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 frist \
 && useradd --system --uid 10001 --gid frist --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin frist \
 && install -d -o frist -g frist -m 0750 /data

COPY --from=builder /out/frist /usr/local/bin/frist

USER frist
WORKDIR /data
# Declared after /data is created and chowned, so a new volume starts out owned by frist.
VOLUME ["/data"]

ENV FRIST_BIND=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///data/frist.db

EXPOSE 8080

# Liveness only (/healthz); docker-compose.yml checks readiness (/readyz) instead. The port is
# fixed here: if you change FRIST_BIND, override the health check too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "http://127.0.0.1:8080/healthz"]

ENTRYPOINT ["frist"]
CMD ["serve"]
